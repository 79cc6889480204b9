// Times (and, under valgrind --tool=callgrind, counts instructions of) the word-count kernels
// on one file in memory, without MPI: the count-only scan, and the tabulating scan with and
// without case folding. Usage: scan_bench FILE [REPEAT] [count|table|table-i] (default: all three)
#include "cli.hpp"

#include <mrkit/text/word_counts.hpp>
#include <mrkit/text/word_scan.hpp>

#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <sstream>
#include <string>

namespace {

int scan_bench(const std::string& path, int repeat, const std::string& only_mode) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw mrkit::InputError("cannot open '" + path + "': " + std::strerror(errno));
  std::stringstream ss;
  ss << in.rdbuf();
  if (in.bad()) throw mrkit::InputError("cannot read '" + path + "'");
  const std::string data = ss.str();
  const mrkit::ReadAt read = [&data](std::uint64_t offset, std::span<char> into) -> std::size_t {
    if (offset >= data.size()) return 0;
    const std::size_t n = std::min<std::size_t>(into.size(), data.size() - offset);
    std::memcpy(into.data(), data.data() + offset, n);
    return n;
  };
  std::vector<char> buffer;
  for (const char* mode : {"count", "table", "table-i"}) {
    if (!only_mode.empty() && only_mode != mode) continue;
    double best = 1e30;
    std::uint64_t words = 0;
    std::size_t distinct = 0;
    for (int r = 0; r < repeat; ++r) {
      mrkit::ScanOptions opt;
      opt.ignore_case = std::strcmp(mode, "table-i") == 0;
      mrkit::WordCounts table;
      const bool tab = std::strcmp(mode, "count") != 0;
      const auto start = std::chrono::steady_clock::now();
      words = mrkit::scan_words(read, data.size(), {0, data.size()}, opt, tab ? &table : nullptr,
                                buffer)
                  .words;
      const double s =
          std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
      best = std::min(best, s);
      distinct = table.size();
    }
    std::printf("%-8s %12llu words %8zu distinct %8.3f s %8.0f MB/s\n", mode,
                static_cast<unsigned long long>(words), distinct, best,
                static_cast<double>(data.size()) / best / 1e6);
  }
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{
      "Times the word-count kernels on one file in memory, without MPI: count (words only), "
      "table (word frequencies), table-i (frequencies, ASCII case folded); best of REPEAT runs "
      "each. Exit codes: 0 success, 2 bad command line, 3 unreadable FILE.",
      "scan_bench"};
  std::string path;
  int repeat = 3;
  std::string mode;
  app.add_option("FILE", path, "The file to scan (read into memory first)")->required();
  app.add_option("REPEAT", repeat, "Runs of each kernel; the best counts (default 3)")
      ->check(mrkit::whole_number(1, 1000000));
  app.add_option("MODE", mode, "Only this kernel: count, table or table-i (default: all three)")
      ->check(mrkit::one_of({"count", "table", "table-i"}));
  return bench::run(app, argc, argv, [&] { return scan_bench(path, repeat, mode); });
}
