// The baseline of dcsort in bench/run: one process reads raw signed 64-bit little-endian keys,
// std::sort's them and writes them out, timing each step on standard error.
//   std_sort INPUT OUTPUT
#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <vector>

int main(int argc, char** argv) {
  if (argc != 3) {
    std::cerr << "usage: std_sort INPUT OUTPUT\n";
    return 2;
  }
  using Clock = std::chrono::steady_clock;
  const auto t0 = Clock::now();
  std::ifstream in(argv[1], std::ios::binary | std::ios::ate);
  if (!in) {
    std::cerr << "std_sort: cannot open " << argv[1] << "\n";
    return 3;
  }
  const auto bytes = static_cast<std::size_t>(in.tellg());
  std::vector<std::int64_t> keys(bytes / sizeof(std::int64_t));
  in.seekg(0);
  in.read(reinterpret_cast<char*>(keys.data()), static_cast<std::streamsize>(keys.size() * 8));
  const auto t1 = Clock::now();
  std::sort(keys.begin(), keys.end());
  const auto t2 = Clock::now();
  std::ofstream out(argv[2], std::ios::binary | std::ios::trunc);
  out.write(reinterpret_cast<const char*>(keys.data()),
            static_cast<std::streamsize>(keys.size() * 8));
  out.close();
  if (!out) {
    std::cerr << "std_sort: cannot write " << argv[2] << "\n";
    return 1;
  }
  const auto t3 = Clock::now();
  const auto s = [](auto a, auto b) { return std::chrono::duration<double>(b - a).count(); };
  std::fprintf(stderr, "std_sort: %zu keys; read %.3f s, sort %.3f s, write %.3f s\n", keys.size(),
               s(t0, t1), s(t1, t2), s(t2, t3));
  return 0;
}
