// Keys and values in the engine's buffers: numbers as their fixed little-endian bytes, strings
// and vectors of numbers as a length and their bytes, other vectors (group_by_key's values) as
// a count and their items, anything else as a length and its encode() bytes (through
// Boost.Serialization).
#pragma once

#include "mrkit/comm/byte_codec.hpp"
#include "mrkit/comm/message_codec.hpp"

#include <algorithm>
#include <cstdint>
#include <string>
#include <type_traits>
#include <vector>

namespace mrkit::detail {

template <class T>
struct is_vector : std::false_type {};
template <class T, class A>
struct is_vector<std::vector<T, A>> : std::true_type {};

template <class T>
void put_item(ByteWriter& out, const T& item) {
  if constexpr (fixed_width_number<T>) {
    out.put(item);
  } else if constexpr (std::is_same_v<T, std::string>) {
    out.piece(item);
  } else if constexpr (is_vector<T>::value && !is_plain_vector<T>::value) {
    out.put(static_cast<std::uint64_t>(item.size()));
    for (const auto& each : item) put_item(out, each);
  } else {
    out.piece(encode(item));
  }
}

template <class T>
[[nodiscard]] T get_item(ByteReader& in) {
  if constexpr (fixed_width_number<T>) {
    return in.get<T>();
  } else if constexpr (std::is_same_v<T, std::string>) {
    return std::string(in.piece());
  } else if constexpr (is_vector<T>::value && !is_plain_vector<T>::value) {
    const auto count = in.get<std::uint64_t>();
    T items;
    items.reserve(static_cast<std::size_t>(std::min<std::uint64_t>(count, 1 << 16)));
    for (std::uint64_t i = 0; i < count; ++i) items.push_back(get_item<typename T::value_type>(in));
    return items;
  } else {
    return decode<T>(in.piece());
  }
}

}  // namespace mrkit::detail
