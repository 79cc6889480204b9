#include "key_files.hpp"

#include <mrkit/core/runtime.hpp>
#include <mrkit/io/input_files.hpp>

#include <fcntl.h>
#include <fmt/format.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <bit>
#include <cerrno>
#include <cstring>
#include <optional>
#include <string>

namespace mrkit {
namespace {

constexpr std::uint64_t golden_gamma = 0x9e3779b97f4a7c15ULL;

constexpr std::uint64_t mix64(std::uint64_t z) noexcept {
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}

// A second, unrelated mix for the summary (Murmur3's finaliser), so the two hash sums are
// independent.
constexpr std::uint64_t fmix64(std::uint64_t k) noexcept {
  k ^= k >> 33;
  k *= 0xff51afd7ed558ccdULL;
  k ^= k >> 33;
  k *= 0xc4ceb9fe1a85ec53ULL;
  return k ^ (k >> 33);
}

void to_little_endian(std::vector<Key>& keys) {
  if constexpr (std::endian::native == std::endian::big) {
    for (Key& k : keys) {
      auto u = std::bit_cast<std::uint64_t>(k);
      u = __builtin_bswap64(u);
      k = std::bit_cast<Key>(u);
    }
  }
}

}  // namespace

std::vector<Key> generate_keys(std::uint64_t count, std::uint64_t seed, std::uint64_t first) {
  std::vector<Key> keys(static_cast<std::size_t>(count));
  std::uint64_t state = seed + first * golden_gamma;  // wraps, as the generator's own steps
  for (Key& k : keys) {
    state += golden_gamma;
    k = std::bit_cast<Key>(mix64(state));
  }
  return keys;
}

std::string KeySummary::text() const {
  return fmt::format("count {}, sum {:#018x}, checksum {:#018x}-{:#018x}", count, sum, mix_sum,
                     mix_xor);
}

KeySummary summarize_keys(std::span<const Key> keys) {
  KeySummary s;
  s.count = keys.size();
  for (const Key k : keys) {
    const auto u = std::bit_cast<std::uint64_t>(k);
    s.sum += u;
    const std::uint64_t h = fmix64(u + golden_gamma);
    s.mix_sum += h;
    s.mix_xor ^= mix64(h);
  }
  return s;
}

std::optional<std::size_t> first_unsorted(std::span<const Key> keys) {
  const auto it = std::is_sorted_until(keys.begin(), keys.end());
  if (it == keys.end()) return std::nullopt;
  return static_cast<std::size_t>(it - keys.begin());
}

std::vector<Key> read_key_file(const std::string& path) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) throw InputError("cannot open '" + path + "': " + std::strerror(errno));
  struct stat st {};
  if (::fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
    ::close(fd);
    throw InputError("'" + path + "' is not a regular file");
  }
  // A file whose listed size is not its content (/proc, /sys, listed with size 0) is read to
  // its end, at most max_unsized_file_bytes (input_files.hpp).
  std::optional<std::string> content;
  if (!listed_size_is_content(fd)) {
    try {
      content = read_to_end(fd, path);
    } catch (...) {
      ::close(fd);
      throw;
    }
  }
  const auto bytes = content ? content->size() : static_cast<std::uint64_t>(st.st_size);
  if (bytes % sizeof(Key) != 0) {
    ::close(fd);
    throw InputError(
        fmt::format("'{}' holds {} bytes, not a whole number of 8-byte keys", path, bytes));
  }
  std::vector<Key> keys(static_cast<std::size_t>(bytes / sizeof(Key)));
  auto* data = reinterpret_cast<char*>(keys.data());
  std::size_t done = 0;
  if (content) {
    if (bytes > 0) std::memcpy(data, content->data(), static_cast<std::size_t>(bytes));
    done = static_cast<std::size_t>(bytes);
  }
  while (done < bytes) {
    const ssize_t n = ::read(fd, data + done, static_cast<std::size_t>(bytes) - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      const int err = n < 0 ? errno : EIO;
      ::close(fd);
      throw InputError(
          "cannot read '" + path +
          "': " + (n == 0 ? std::string("the file shrank while reading") : std::strerror(err)));
    }
    done += static_cast<std::size_t>(n);
  }
  ::close(fd);
  to_little_endian(keys);  // the same swap turns file order into host order
  return keys;
}

KeyFileInfo inspect_key_file(const std::string& path) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) throw InputError("cannot open '" + path + "': " + std::strerror(errno));
  struct stat st {};
  if (::fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
    ::close(fd);
    throw InputError("'" + path + "' is not a regular file");
  }
  const bool in_parts = listed_size_is_content(fd);
  ::close(fd);
  if (!in_parts) return {read_key_file(path).size(), false};  // read (and checked) whole
  const auto bytes = static_cast<std::uint64_t>(st.st_size);
  if (bytes % sizeof(Key) != 0) {
    throw InputError(
        fmt::format("'{}' holds {} bytes, not a whole number of 8-byte keys", path, bytes));
  }
  return {bytes / sizeof(Key), true};
}

std::vector<Key> read_key_file_part(const std::string& path, std::uint64_t first,
                                    std::uint64_t count) {
  std::vector<Key> keys(static_cast<std::size_t>(count));
  if (count == 0) return keys;
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) throw InputError("cannot open '" + path + "': " + std::strerror(errno));
  auto* data = reinterpret_cast<char*>(keys.data());
  const std::uint64_t bytes = count * sizeof(Key);
  std::uint64_t done = 0;
  while (done < bytes) {
    const ssize_t n = ::pread(fd, data + done, static_cast<std::size_t>(bytes - done),
                              static_cast<off_t>(first * sizeof(Key) + done));
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      const int err = n < 0 ? errno : EIO;
      ::close(fd);
      throw InputError(
          "cannot read '" + path +
          "': " + (n == 0 ? std::string("the file shrank while reading") : std::strerror(err)));
    }
    done += static_cast<std::uint64_t>(n);
  }
  ::close(fd);
  to_little_endian(keys);
  return keys;
}

std::string_view key_file_bytes(std::vector<Key>& keys) {
  to_little_endian(keys);
  return {reinterpret_cast<const char*>(keys.data()), keys.size() * sizeof(Key)};
}

}  // namespace mrkit
