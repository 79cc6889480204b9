// Times reading every file under the given paths once, whole, without counting a word: the
// listing, then the reads through WholeFileReader (io_uring batches; one by one with
// MRKIT_IO_URING=0). For many small files this is the kernel's share of a word count (a stat,
// an open, a read and a close per file), so it bounds how close the count can come to the
// time on one big file. Usage: read_files PATH... [--repeat N]   (best of N, default 3)
#include "cli.hpp"

#include <mrkit/io/input_files.hpp>
#include <mrkit/io/whole_files.hpp>
#include <mrkit/text/word_counts.hpp>

#include <chrono>
#include <cstdio>
#include <string>
#include <vector>

namespace {
double seconds_since(std::chrono::steady_clock::time_point t) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t).count();
}

int read_files(const std::vector<std::string>& paths, int repeat) {
  double best_list = 1e30;
  double best_read = 1e30;
  std::uint64_t bytes = 0;
  std::size_t files = 0;
  bool batched = false;
  for (int r = 0; r < repeat; ++r) {
    auto start = std::chrono::steady_clock::now();
    const mrkit::InputListing listing = mrkit::list_input_files(paths);
    best_list = std::min(best_list, seconds_since(start));
    std::vector<mrkit::WholeFile> whole;
    for (const mrkit::InputFile& f : listing.files) whole.push_back({&f.path, f.size});
    start = std::chrono::steady_clock::now();
    mrkit::WholeFileReader reader;
    bytes = 0;
    reader.read(whole, mrkit::WordCounts::read_padding,
                [&](std::size_t, std::span<char> b) { bytes += b.size(); });
    best_read = std::min(best_read, seconds_since(start));
    files = whole.size();
    batched = reader.batched();
  }
  std::printf("%zu files, %llu bytes: listing %.3f s, reading (%s) %.3f s, best of %d\n", files,
              static_cast<unsigned long long>(bytes), best_list,
              batched ? "io_uring batches" : "one by one", best_read, repeat);
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{
      "Times reading every file under PATHs once, whole, without counting a word: the listing, "
      "then the reads (io_uring batches; one by one with MRKIT_IO_URING=0); best of --repeat "
      "runs. Exit codes: 0 success, 2 bad command line, 3 bad input (as wordcount's).",
      "read_files"};
  std::vector<std::string> paths;
  int repeat = 3;
  app.add_option("PATH", paths, "Files and directories (walked recursively)")->required();
  app.add_option("--repeat", repeat, "Runs; the best counts (default 3)")
      ->type_name("N")
      ->check(mrkit::whole_number(1, 1000000));
  return bench::run(app, argc, argv, [&] { return read_files(paths, repeat); });
}
