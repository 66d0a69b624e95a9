#include "src/hash.h"

#include <xxhash.h>

namespace cco {

uint64_t StableHash(std::string_view bytes) {
  return XXH64(bytes.data(), bytes.size(), 0);
}

}  // namespace cco
