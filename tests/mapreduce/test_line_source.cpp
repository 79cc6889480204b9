// Lines of a file cut into byte ranges at every split size: every line exactly once, in order,
// against a reference that splits the whole file at once (Python's
// [l.removesuffix(b"\r") for l in data.split(b"\n")], without the empty piece after a final
// newline), with blocks small enough that lines cross them.
#include <mrkit/mapreduce/range_records.hpp>

#include <fcntl.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <string>
#include <utility>
#include <vector>

namespace {

std::vector<std::string> reference_lines(const std::string& data) {
  std::vector<std::string> lines;
  std::size_t start = 0;
  for (;;) {
    const std::size_t nl = data.find('\n', start);
    std::string line = data.substr(start, nl == std::string::npos ? std::string::npos : nl - start);
    if (nl == std::string::npos) {
      if (!line.empty()) {
        if (line.back() == '\r') line.pop_back();
        lines.push_back(line);
      }
      return lines;
    }
    if (!line.empty() && line.back() == '\r') line.pop_back();
    lines.push_back(line);
    start = nl + 1;
  }
}

class TempFile {
 public:
  explicit TempFile(const std::string& data) {
    char name[] = "/tmp/mrkit-lines-XXXXXX";
    fd_ = ::mkstemp(name);
    path_ = name;
    if (fd_ >= 0 && ::write(fd_, data.data(), data.size()) != static_cast<ssize_t>(data.size())) {
      ::close(fd_);
      fd_ = -1;
    }
  }
  ~TempFile() {
    if (fd_ >= 0) ::close(fd_);
    ::unlink(path_.c_str());
  }
  TempFile(const TempFile&) = delete;
  TempFile& operator=(const TempFile&) = delete;
  [[nodiscard]] int fd() const { return fd_; }

 private:
  int fd_ = -1;
  std::string path_;
};

// Every line of `data`, read range by range of `split` bytes with `block`-byte reads.
std::vector<std::pair<std::string, std::uint64_t>> split_read(const TempFile& file,
                                                              const std::string& data,
                                                              std::uint64_t split,
                                                              std::size_t block) {
  std::vector<std::pair<std::string, std::uint64_t>> got;
  for (std::uint64_t begin = 0; begin < data.size(); begin += split) {
    const std::uint64_t end = begin + split;
    mrkit::for_each_line(
        file.fd(), "test", data.size(), begin, end,
        [&](std::string_view line, std::uint64_t offset) {
          // Each line begins in its range, on a line start.
          EXPECT_GE(offset, begin);
          EXPECT_LT(offset, end);
          EXPECT_TRUE(offset == 0 || data[offset - 1] == '\n') << offset;
          got.emplace_back(std::string(line), offset);
        },
        block);
  }
  return got;
}

std::string generated(std::uint64_t seed, std::size_t lines) {
  std::string data;
  const std::string alphabet("ab \t\r\n\0x", 8);
  for (std::size_t i = 0; i < lines; ++i) {
    seed = seed * 6364136223846793005ULL + 1442695040888963407ULL;
    const std::size_t length = (seed >> 33) % 12;
    for (std::size_t k = 0; k < length; ++k) {
      seed = seed * 6364136223846793005ULL + 1442695040888963407ULL;
      data += alphabet[(seed >> 40) % alphabet.size()];
    }
    data += (seed >> 20) % 3 == 0 ? "\r\n" : "\n";
  }
  return data;
}

}  // namespace

TEST(LineSource, EveryLineOnceAtEverySplitAndBlockSize) {
  const std::vector<std::string> cases = {
      "",
      "abc",
      "abc\n",
      "\n",
      "\n\n\n",
      "a\r\nb\r\n\r\nc",
      "x\ry\nlast\r",
      "no final newline\nhere",
      std::string("nul\0inside\n\0\n", 14),
      "\r",
      generated(1, 300),
      generated(2, 200) + "tail without newline",
      std::string(5000, 'L') + "\nshort\n" + std::string(3000, 'M'),
  };
  for (const std::string& data : cases) {
    const auto want = reference_lines(data);
    TempFile file(data);
    ASSERT_GE(file.fd(), 0);
    for (const std::uint64_t split : {1UL, 2UL, 3UL, 7UL, 64UL, 4096UL, 1UL << 20}) {
      for (const std::size_t block : {std::size_t{1}, std::size_t{5}, std::size_t{1} << 20}) {
        // One-byte reads of one-byte ranges re-read long lines quadratically: small data only.
        if (block == 1 && split < 64 && data.size() > 1000) continue;
        const auto got = split_read(file, data, split, block);
        std::vector<std::string> lines;
        for (const auto& [line, offset] : got) lines.push_back(line);
        ASSERT_EQ(lines, want) << "split " << split << " block " << block << " data size "
                               << data.size();
        for (std::size_t i = 1; i < got.size(); ++i) ASSERT_LT(got[i - 1].second, got[i].second);
      }
    }
  }
}

TEST(LineSource, AFileShorterThanListedIsAnError) {
  const std::string data = "one\ntwo\n";
  TempFile file(data);
  ASSERT_GE(file.fd(), 0);
  EXPECT_THROW(mrkit::for_each_line(file.fd(), "short.txt", data.size() + 10, 0, data.size() + 10,
                                    [](std::string_view, std::uint64_t) {}),
               std::runtime_error);
}
