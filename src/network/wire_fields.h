// Strict readers of one field of a decoded network message (a CBOR map as nlohmann::json),
// shared by the parsers of wire.cc and borrow_wire.cc. Each refuses a wrong type, range or
// size with kInvalidArgument naming the field ("field 'days' must be ..."), and never throws.
#ifndef LICET_NETWORK_WIRE_FIELDS_H_
#define LICET_NETWORK_WIRE_FIELDS_H_

#include <cstddef>
#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>

#include "common/bytes.h"
#include "common/status.h"

namespace licet::network::wire_fields {

// kInvalidArgument: "field '<field>' <why>".
Status Bad(const char* field, const std::string& why);

// CBOR unsigned integers decode as number_unsigned; a hand-built json may hold a
// non-negative number_integer. Anything else is not an unsigned value.
std::optional<uint64_t> AsUint(const nlohmann::json& v);

// An unsigned integer in [min, max]; `fallback` when absent (absent without one: an error).
[[nodiscard]] Result<uint64_t> Uint(const nlohmann::json& m, const char* key,
                                    std::optional<uint64_t> fallback, uint64_t min, uint64_t max);
// Text of at most `max` bytes without control characters (names end up in tables, logs and
// the admin page); "" when absent and not required.
[[nodiscard]] Result<std::string> Text(const nlohmann::json& m, const char* key, bool required,
                                       size_t max);
// A byte string of min..max bytes; required.
[[nodiscard]] Result<Bytes> Binary(const nlohmann::json& m, const char* key, size_t min,
                                   size_t max);

}  // namespace licet::network::wire_fields

#endif  // LICET_NETWORK_WIRE_FIELDS_H_
