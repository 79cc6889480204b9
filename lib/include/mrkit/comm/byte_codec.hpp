// Bytes in a fixed layout, for messages and checkpoint records: ByteWriter appends fixed-width
// numbers (little-endian) and byte strings to a std::string; ByteReader reads them back in the
// same order and throws std::runtime_error rather than read past the end of a short or corrupt
// buffer. Every packed format of the library and its programs is written with these two.
#pragma once

#include <bit>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <stdexcept>
#include <string>
#include <string_view>
#include <tuple>
#include <type_traits>
#include <utility>

namespace mrkit {

namespace detail {

// The numbers the codec writes: integers (not bool) and floating point, 1 to 8 bytes.
template <class T>
concept fixed_width_number = (std::is_integral_v<T> ||
                              std::is_floating_point_v<T>)&&!std::is_same_v<T, bool> &&
                             sizeof(T) <= 8;

// The little-endian bytes of `value` (on a little-endian host, its own bytes: the layout every
// record written so far has).
template <fixed_width_number T>
void store_little(char* to, T value) noexcept {
  std::memcpy(to, &value, sizeof value);
  if constexpr (std::endian::native != std::endian::little && sizeof(T) > 1) {
    for (std::size_t i = 0; i < sizeof(T) / 2; ++i) std::swap(to[i], to[sizeof(T) - 1 - i]);
  }
}

template <fixed_width_number T>
[[nodiscard]] T load_little(const char* from) noexcept {
  char bytes[sizeof(T)];
  std::memcpy(bytes, from, sizeof(T));
  if constexpr (std::endian::native != std::endian::little && sizeof(T) > 1) {
    for (std::size_t i = 0; i < sizeof(T) / 2; ++i) std::swap(bytes[i], bytes[sizeof(T) - 1 - i]);
  }
  T value;
  std::memcpy(&value, bytes, sizeof(T));
  return value;
}

}  // namespace detail

// Appends to a string it does not own (several writers may fill one buffer in turn).
class ByteWriter {
 public:
  explicit ByteWriter(std::string& out) noexcept : out_(&out) {}

  // One or more numbers, in order, with one append (for hot loops: a whole entry's head).
  template <detail::fixed_width_number... T>
  void put(T... values) {
    char bytes[(sizeof(T) + ...)];
    std::size_t at = 0;
    ((detail::store_little(bytes + at, values), at += sizeof(T)), ...);
    out_->append(bytes, sizeof bytes);
  }
  void u8(std::uint8_t v) { put(v); }
  void u32(std::uint32_t v) { put(v); }
  void i32(std::int32_t v) { put(v); }
  void u64(std::uint64_t v) { put(v); }
  void i64(std::int64_t v) { put(v); }
  void f64(double v) { put(v); }
  // The bytes alone: the reader must know their length (written before, or "the rest").
  void bytes(std::string_view b) { out_->append(b); }
  // A 64-bit length, then the bytes (ByteReader::piece).
  void piece(std::string_view b) {
    u64(b.size());
    bytes(b);
  }
  [[nodiscard]] std::string& buffer() noexcept { return *out_; }

 private:
  std::string* out_;
};

// Reads a view it does not own; the buffer must outlive the views bytes() and piece() return.
// A read past the end throws std::runtime_error(what), `what` naming the buffer for the user
// ("truncated checkpoint record"): a string literal, or one that outlives the reader.
class ByteReader {
 public:
  explicit ByteReader(std::string_view bytes, const char* what = "truncated message") noexcept
      : bytes_(bytes), what_(what) {}

  // One number, or several in a std::tuple with one bounds check (for hot loops: a whole
  // entry's head, `const auto [length, count] = in.get<std::uint64_t, std::uint64_t>();`).
  template <detail::fixed_width_number... T>
  requires(sizeof...(T) >= 1) [[nodiscard]] auto get() {
    constexpr std::size_t size = (sizeof(T) + ...);
    need(size);
    const char* from = bytes_.data() + at_;
    at_ += size;
    if constexpr (sizeof...(T) == 1) {
      return detail::load_little<T...>(from);
    } else {
      std::tuple<T...> values;
      std::size_t at = 0;
      std::apply(
          [&](auto&... v) {
            ((v = detail::load_little<std::remove_cvref_t<decltype(v)>>(from + at), at += sizeof v),
             ...);
          },
          values);
      return values;
    }
  }
  [[nodiscard]] std::uint8_t u8() { return get<std::uint8_t>(); }
  [[nodiscard]] std::uint32_t u32() { return get<std::uint32_t>(); }
  [[nodiscard]] std::int32_t i32() { return get<std::int32_t>(); }
  [[nodiscard]] std::uint64_t u64() { return get<std::uint64_t>(); }
  [[nodiscard]] std::int64_t i64() { return get<std::int64_t>(); }
  [[nodiscard]] double f64() { return get<double>(); }
  // The next n bytes.
  [[nodiscard]] std::string_view bytes(std::uint64_t n) {
    need(n);
    const std::string_view b = bytes_.substr(at_, static_cast<std::size_t>(n));
    at_ += static_cast<std::size_t>(n);
    return b;
  }
  void skip(std::uint64_t n) { (void)bytes(n); }
  // A piece written by ByteWriter::piece.
  [[nodiscard]] std::string_view piece() { return bytes(u64()); }
  // Everything not read yet (then done()).
  [[nodiscard]] std::string_view rest() noexcept {
    const std::string_view b = bytes_.substr(at_);
    at_ = bytes_.size();
    return b;
  }
  [[nodiscard]] std::size_t remaining() const noexcept { return bytes_.size() - at_; }
  [[nodiscard]] std::size_t offset() const noexcept { return at_; }
  [[nodiscard]] bool done() const noexcept { return at_ == bytes_.size(); }
  // For a buffer that must hold nothing more: throws std::runtime_error(what) if bytes are left.
  void expect_done() const {
    if (!done()) fail();
  }

 private:
  void need(std::uint64_t n) const {
    if (n > bytes_.size() - at_) fail();
  }
  [[noreturn]] void fail() const { throw std::runtime_error(what_); }

  std::string_view bytes_;
  std::size_t at_ = 0;
  const char* what_;
};

}  // namespace mrkit
