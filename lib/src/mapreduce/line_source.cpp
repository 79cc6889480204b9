#include "mrkit/mapreduce/line_source.hpp"

#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <stdexcept>
#include <string>

namespace mrkit {

namespace {

// Reads exactly n bytes at `at` into buf (resized), or throws.
std::string_view read_exactly(int fd, std::string_view name, std::uint64_t at, std::size_t n,
                              std::string& buf) {
  buf.resize(n);
  std::size_t got = 0;
  while (got < n) {
    const ssize_t r = ::pread(fd, buf.data() + got, n - got, static_cast<off_t>(at + got));
    if (r < 0 && errno == EINTR) continue;
    if (r < 0) {
      throw std::runtime_error("cannot read " + std::string(name) + ": " + std::strerror(errno));
    }
    if (r == 0) throw std::runtime_error(std::string(name) + " shrank while being read");
    got += static_cast<std::size_t>(r);
  }
  return {buf.data(), n};
}

std::string_view without_cr(std::string_view line) {
  if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
  return line;
}

}  // namespace

void for_each_line(int fd, std::string_view name, std::uint64_t file_size, std::uint64_t begin,
                   std::uint64_t end, const LineFunction& f, std::size_t block_bytes) {
  end = std::min(end, file_size);
  if (begin >= end) return;
  block_bytes = std::max<std::size_t>(block_bytes, 1);
  std::string buf;
  auto block_at = [&](std::uint64_t at) {
    const auto n = static_cast<std::size_t>(std::min<std::uint64_t>(block_bytes, file_size - at));
    return read_exactly(fd, name, at, n, buf);
  };

  // The first line this range owns: at `begin` if a line starts there, else after the next '\n'.
  std::uint64_t line_start = begin;
  if (begin > 0 && read_exactly(fd, name, begin - 1, 1, buf)[0] != '\n') {
    std::uint64_t at = begin;
    for (;;) {
      if (at >= file_size) return;  // no line begins in [begin, end): all of it is a line's tail
      const std::string_view data = block_at(at);
      const void* nl = std::memchr(data.data(), '\n', data.size());
      if (nl != nullptr) {
        line_start =
            at + static_cast<std::uint64_t>(static_cast<const char*>(nl) - data.data()) + 1;
        break;
      }
      at += data.size();
    }
    if (line_start >= end) return;
  }

  std::string line;  // the part read so far of a line that crosses blocks
  std::uint64_t at = line_start;
  while (at < file_size) {
    const std::string_view data = block_at(at);
    std::size_t i = 0;
    while (i < data.size()) {
      const void* found = std::memchr(data.data() + i, '\n', data.size() - i);
      if (found == nullptr) {
        line.append(data.substr(i));
        break;
      }
      const auto nl = static_cast<std::size_t>(static_cast<const char*>(found) - data.data());
      if (line.empty()) {
        f(without_cr(data.substr(i, nl - i)), line_start);
      } else {
        line.append(data.substr(i, nl - i));
        f(without_cr(line), line_start);
        line.clear();
      }
      i = nl + 1;
      line_start = at + i;
      if (line_start >= end) return;
    }
    at += data.size();
  }
  if (!line.empty()) f(without_cr(line), line_start);  // the last line, without '\n'
}

}  // namespace mrkit
