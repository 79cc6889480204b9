#include "mrkit/mapreduce/key_hash.hpp"

#include <xxhash.h>

namespace mrkit {

std::uint64_t hash_bytes(std::string_view bytes) noexcept {
  return XXH3_64bits(bytes.data(), bytes.size());
}

}  // namespace mrkit
