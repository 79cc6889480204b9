// The course's Manager().dict(), spread over the ranks: a key -> value table whose every key
// lives on one rank (its owner, by a hash of the key), which any rank can set, read and erase.
// An owner answers the others whenever it is inside a call on any table, and until everyone is
// there in synchronize() (collective); so between calls a rank should not compute for long, nor
// wait elsewhere (a barrier, a pipe) while others may still ask it.
#pragma once

#include "mrkit/comm/message_codec.hpp"
#include "mrkit/patterns/detail/table_bytes.hpp"

#include <boost/mpi/communicator.hpp>

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace mrkit {

// Collective construction and destruction (the destructor synchronizes). K and V travel as bytes
// (message_codec.hpp). The table is ordered by the keys' bytes, not by insertion.
template <class K, class V>
class KeyValueTable {
 public:
  explicit KeyValueTable(const boost::mpi::communicator& comm) : bytes_(comm) {}

  void set(const K& key, const V& value) { bytes_.set(encode(key), encode(value)); }
  [[nodiscard]] std::optional<V> get(const K& key) {
    std::optional<std::string> bytes = bytes_.get(encode(key));
    if (!bytes) return std::nullopt;
    return decode<V>(*bytes);
  }
  // True if the key was there.
  bool erase(const K& key) { return bytes_.erase(encode(key)); }
  [[nodiscard]] int owner(const K& key) const { return bytes_.owner(encode(key)); }

  // Collective: every set and erase made before it is seen by every get made after it.
  void synchronize() { bytes_.synchronize(); }
  // Collective: the whole table on `root` (others get an empty map).
  [[nodiscard]] std::map<K, V> gather(int root) {
    std::map<K, V> out;
    for (auto& [k, v] : bytes_.gather(root)) out.emplace(decode<K>(k), decode<V>(v));
    return out;
  }

 private:
  detail::TableBytes bytes_;
};

}  // namespace mrkit
