// Times (and, under valgrind --tool=callgrind, counts instructions of) the word-count kernels
// on one file in memory, without MPI: the count-only scan, and the tabulating scan with and
// without case folding. Usage: scan_bench FILE [REPEAT] [count|table|table-i] (default: all three)
#include <mrkit/word_counts.hpp>
#include <mrkit/word_scan.hpp>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <sstream>
#include <string>

int main(int argc, char** argv) {
  if (argc < 2) {
    std::fprintf(stderr, "usage: scan_bench FILE [REPEAT] [count|table|table-i]\n");
    return 2;
  }
  std::ifstream in(argv[1], std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  const std::string data = ss.str();
  const int repeat = argc > 2 ? std::atoi(argv[2]) : 3;
  const mrkit::ReadAt read = [&data](std::uint64_t offset, std::span<char> into) -> std::size_t {
    if (offset >= data.size()) return 0;
    const std::size_t n = std::min<std::size_t>(into.size(), data.size() - offset);
    std::memcpy(into.data(), data.data() + offset, n);
    return n;
  };
  std::vector<char> buffer;
  const char* only = argc > 3 ? argv[3] : nullptr;
  for (const char* mode : {"count", "table", "table-i"}) {
    if (only != nullptr && std::strcmp(only, mode) != 0) continue;
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
