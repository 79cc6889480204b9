// How a C++ value travels between ranks: numbers, strings and vectors of numbers as their raw
// bytes, anything else through Boost.Serialization; every send goes through chunked_messages,
// so a value of any size (more than 2^31 bytes too) crosses in pieces of at most 1 GiB.
#pragma once

#include "mrkit/comm/byte_codec.hpp"
#include "mrkit/comm/chunked_messages.hpp"

#include <boost/archive/binary_iarchive.hpp>
#include <boost/archive/binary_oarchive.hpp>
#include <boost/mpi/communicator.hpp>

#include <bit>
#include <cstdint>
#include <cstring>
#include <functional>
#include <sstream>
#include <stdexcept>
#include <string>
#include <string_view>
#include <type_traits>
#include <vector>

namespace mrkit {

namespace detail {

template <class T>
inline constexpr bool is_plain_number = std::is_arithmetic_v<T> && !std::is_same_v<T, bool>;

template <class T>
struct is_plain_vector : std::false_type {};
template <class T>
struct is_plain_vector<std::vector<T>> : std::bool_constant<is_plain_number<T>> {};

}  // namespace detail

// Values that travel as their own bytes, with no archive around them.
template <class T>
inline constexpr bool travels_raw = detail::is_plain_number<T> || std::is_same_v<T, std::string> ||
                                    detail::is_plain_vector<T>::value;

// The bytes of `value` (what decode<T> turns back into an equal value).
template <class T>
[[nodiscard]] std::string encode(const T& value) {
  if constexpr (std::is_same_v<T, std::string>) {
    return value;
  } else if constexpr (detail::is_plain_number<T>) {
    std::string out;
    ByteWriter(out).put(value);
    return out;
  } else if constexpr (detail::is_plain_vector<T>::value) {
    using V = typename T::value_type;
    if constexpr (std::endian::native == std::endian::little) {  // the layout: one copy
      return std::string(reinterpret_cast<const char*>(value.data()), value.size() * sizeof(V));
    } else {
      std::string out;
      out.reserve(value.size() * sizeof(V));
      ByteWriter writer(out);
      for (const V v : value) writer.put(v);
      return out;
    }
  } else {
    std::ostringstream out;
    {
      boost::archive::binary_oarchive archive(out, boost::archive::no_header);
      archive << value;
    }
    return std::move(out).str();
  }
}

template <class T>
[[nodiscard]] T decode(std::string_view bytes) {
  if constexpr (std::is_same_v<T, std::string>) {
    return std::string(bytes);
  } else if constexpr (detail::is_plain_number<T>) {
    ByteReader reader(bytes, "decode: wrong size for a number");
    const T value = reader.get<T>();
    reader.expect_done();
    return value;
  } else if constexpr (detail::is_plain_vector<T>::value) {
    using V = typename T::value_type;
    if (bytes.size() % sizeof(V) != 0) throw std::runtime_error("decode: torn vector");
    T value(bytes.size() / sizeof(V));
    if constexpr (std::endian::native == std::endian::little) {  // the layout: one copy
      if (!bytes.empty()) std::memcpy(value.data(), bytes.data(), bytes.size());
    } else {
      ByteReader reader(bytes, "decode: torn vector");
      for (V& v : value) v = reader.get<V>();
    }
    return value;
  } else {
    std::istringstream in{std::string(bytes)};
    boost::archive::binary_iarchive archive(in, boost::archive::no_header);
    T value{};
    archive >> value;
    return value;
  }
}

// Several byte strings in one: each as a 64-bit length and its bytes (ByteWriter::piece).
inline void append_piece(std::string& out, std::string_view piece) {
  ByteWriter(out).piece(piece);
}

// Reads pieces written by append_piece, in order.
class PieceReader {
 public:
  explicit PieceReader(std::string_view bytes) : reader_(bytes, "torn message: short piece") {}
  [[nodiscard]] bool done() const noexcept { return reader_.done(); }
  [[nodiscard]] std::string_view next() { return reader_.piece(); }
  template <class T>
  [[nodiscard]] T next_value() {
    return decode<T>(next());
  }

 private:
  ByteReader reader_;
};

namespace detail {

// Receives a send_bytes message straight into the memory that allocate(size) returns, with no
// copy through a string: chunked_messages' wire format (a 64-bit size, then the bytes in pieces
// of at most max_message_bytes() on the same tag).
void recv_bytes_into(const boost::mpi::communicator& comm, int source, int tag,
                     const std::function<char*(std::size_t bytes)>& allocate);

}  // namespace detail

// A blocking send of one value (its size first, then the bytes in pieces).
template <class T>
void send_value(const boost::mpi::communicator& comm, int dest, int tag, const T& value) {
  if constexpr (detail::is_plain_vector<T>::value) {
    // No copy: the vector's own bytes go out.
    send_bytes(comm, dest, tag,
               std::string_view(reinterpret_cast<const char*>(value.data()),
                                value.size() * sizeof(typename T::value_type)));
  } else if constexpr (std::is_same_v<T, std::string>) {
    send_bytes(comm, dest, tag, value);
  } else {
    send_bytes(comm, dest, tag, encode(value));
  }
}

template <class T>
[[nodiscard]] T recv_value(const boost::mpi::communicator& comm, int source, int tag) {
  if constexpr (std::is_same_v<T, std::string>) {
    return recv_bytes(comm, source, tag);
  } else if constexpr (detail::is_plain_vector<T>::value) {
    using V = typename T::value_type;
    T value;
    detail::recv_bytes_into(comm, source, tag, [&value](std::size_t bytes) {
      if (bytes % sizeof(V) != 0) throw std::runtime_error("recv_value: torn vector");
      value.resize(bytes / sizeof(V));
      return reinterpret_cast<char*>(value.data());
    });
    return value;
  } else {
    return decode<T>(recv_bytes(comm, source, tag));
  }
}

}  // namespace mrkit
