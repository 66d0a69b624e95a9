// Stable content hashes for file identity and line keys. xxHash64 with seed 0:
// identical across processes and machines (absl::Hash is salted per process
// and must never be persisted).
#ifndef CCO_SRC_HASH_H_
#define CCO_SRC_HASH_H_

#include <cstdint>
#include <string_view>

namespace cco {

uint64_t StableHash(std::string_view bytes);

// SQLite stores signed 64-bit integers; hashes are stored bit-cast.
inline int64_t ToSqlInt(uint64_t v) { return static_cast<int64_t>(v); }

}  // namespace cco

#endif  // CCO_SRC_HASH_H_
