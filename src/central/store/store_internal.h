// Helpers shared by the store_*.cc files: list columns and row decoding.
#ifndef LICET_CENTRAL_STORE_STORE_INTERNAL_H_
#define LICET_CENTRAL_STORE_STORE_INTERNAL_H_

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "central/store/sql.h"

namespace licet::central::store::internal {

// "1,2,3" <-> {1, 2, 3}: small lists kept in one TEXT column (never searched by element).
std::string JoinCodes(const std::vector<uint32_t>& codes);
std::vector<uint32_t> SplitCodes(const std::string& text);

// Optional values as SQL NULL.
inline SqlValue OrNull(const std::optional<uint32_t>& v) {
  return v ? SqlValue(static_cast<int64_t>(*v)) : SqlValue(std::monostate{});
}
inline SqlValue OrNull(const std::optional<int64_t>& v) {
  return v ? SqlValue(*v) : SqlValue(std::monostate{});
}
inline SqlValue OrNull(const std::optional<std::string>& v) {
  return v ? SqlValue(*v) : SqlValue(std::monostate{});
}
inline SqlValue I(uint64_t v) { return static_cast<int64_t>(v); }
inline std::optional<int64_t> OptInt(const Row& r, size_t i) {
  return r.IsNull(i) ? std::nullopt : std::optional<int64_t>(r.Int(i));
}
inline std::optional<std::string> OptText(const Row& r, size_t i) {
  return r.IsNull(i) ? std::nullopt : std::optional<std::string>(r.Text(i));
}
inline uint32_t U32(const Row& r, size_t i) { return static_cast<uint32_t>(r.Int(i)); }
inline uint64_t U64(const Row& r, size_t i) { return static_cast<uint64_t>(r.Int(i)); }

}  // namespace licet::central::store::internal

#endif  // LICET_CENTRAL_STORE_STORE_INTERNAL_H_
