// Typed, checked reads of request fields: hostile maps never throw, and every mistake becomes
// a kInvalidArgument that names the field.
#ifndef LICET_DAEMON_REQUEST_FIELDS_H_
#define LICET_DAEMON_REQUEST_FIELDS_H_

#include <nlohmann/json.hpp>
#include <optional>
#include <string>

#include "common/bytes.h"
#include "common/status.h"

namespace licet::daemon {

// A non-negative integer (CBOR major type 0 decodes as unsigned; a signed JSON value >= 0 is
// accepted too, for callers that build maps by hand); nullopt for anything else.
std::optional<uint64_t> AsUint(const nlohmann::json& value);

// An unsigned integer field <= `max`; `fallback` when absent (nullopt: required).
Result<uint64_t> GetUintField(const nlohmann::json& request, const char* key,
                              std::optional<uint64_t> fallback, uint64_t max);
// A signed integer field; `fallback` when absent.
Result<int64_t> GetIntField(const nlohmann::json& request, const char* key, int64_t fallback);
// A text field of at most `max_size` bytes; nullopt when absent.
Result<std::optional<std::string>> GetTextField(const nlohmann::json& request, const char* key,
                                                size_t max_size);
// A bool field; `fallback` when absent.
Result<bool> GetBoolField(const nlohmann::json& request, const char* key, bool fallback);
// A byte-string field, moved out of the request; exactly `size` bytes unless size is 0.
// nullopt when absent.
Result<std::optional<Bytes>> TakeBinaryField(nlohmann::json& request, const char* key, size_t size);

}  // namespace licet::daemon

#endif  // LICET_DAEMON_REQUEST_FIELDS_H_
