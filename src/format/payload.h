// Payload bodies: the string-keyed CBOR maps inside Licet files and messages, handled as
// nlohmann::json, and typed getters that turn a missing or mistyped field into a clear
// kCorruptData instead of an exception.
//
// Conventions for payloads: top level is a map; keys are text; byte strings are
// json::binary without a subtype (use Binary() below; a subtype would be written as a CBOR
// tag, which DecodePayload refuses); integers only (no floats: times are integer seconds);
// optional fields are absent rather than null. All functions are thread-safe.
#ifndef LICET_FORMAT_PAYLOAD_H_
#define LICET_FORMAT_PAYLOAD_H_

#include <cstddef>
#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>

#include "common/bytes.h"
#include "common/status.h"

namespace licet::format {

inline constexpr size_t kMaxPayloadSize = size_t{1} << 20;
// Nesting (maps and arrays) a payload may have; Licet's deepest is well below it.
inline constexpr size_t kMaxPayloadDepth = 16;

// CBOR (RFC 8949) encoding of `payload` (nlohmann's to_cbor: shortest heads, keys in
// std::map order). `payload` must follow the conventions above: DecodePayload refuses floats.
Bytes EncodePayload(const nlohmann::json& payload);

// Decodes a payload. Never throws. kCorruptData when `data` is larger than `max_size`, is not
// exactly one strict CBOR item (cbor.h rules: no floats, tags, duplicate keys, invalid UTF-8 or
// non-shortest heads), nests deeper than kMaxPayloadDepth, or is not a map with text keys.
Result<nlohmann::json> DecodePayload(ByteSpan data, size_t max_size = kMaxPayloadSize);

// Typed getters for a field of the map `obj`. Each returns kCorruptData naming the field:
//   "field 'firm_code' is missing", "field 'firm_code' must be an unsigned integer",
//   "field 'firm_code' is 4294967296, above the maximum 4294967295".
// `obj` that is not a map reads as a map without fields. The Optional variants return
// nullopt when the field is absent, and the same errors when it is present but wrong.
// Add context for nested maps with Status::WithContext("product item 3").
Result<uint64_t> GetUint(const nlohmann::json& obj, const char* key);
Result<uint32_t> GetUint32(const nlohmann::json& obj, const char* key);
Result<int64_t> GetInt(const nlohmann::json& obj, const char* key);
Result<bool> GetBool(const nlohmann::json& obj, const char* key);
Result<std::string> GetString(const nlohmann::json& obj, const char* key);
Result<Bytes> GetBinary(const nlohmann::json& obj, const char* key);
// A byte string of exactly `size` bytes (keys, hashes): "field 'x' must be 32 bytes, got 31".
Result<Bytes> GetBinaryOfSize(const nlohmann::json& obj, const char* key, size_t size);
// A nested map or array; the pointer refers into `obj`.
Result<const nlohmann::json*> GetMap(const nlohmann::json& obj, const char* key);
Result<const nlohmann::json*> GetArray(const nlohmann::json& obj, const char* key);

Result<std::optional<uint64_t>> GetOptionalUint(const nlohmann::json& obj, const char* key);
Result<std::optional<uint32_t>> GetOptionalUint32(const nlohmann::json& obj, const char* key);
Result<std::optional<int64_t>> GetOptionalInt(const nlohmann::json& obj, const char* key);
Result<std::optional<bool>> GetOptionalBool(const nlohmann::json& obj, const char* key);
Result<std::optional<std::string>> GetOptionalString(const nlohmann::json& obj, const char* key);
Result<std::optional<Bytes>> GetOptionalBinary(const nlohmann::json& obj, const char* key);
Result<const nlohmann::json*> GetOptionalMap(const nlohmann::json& obj,
                                             const char* key);  // null when absent
Result<const nlohmann::json*> GetOptionalArray(const nlohmann::json& obj,
                                               const char* key);  // null when absent

// A json::binary value holding `data`, for building payloads.
nlohmann::json Binary(ByteSpan data);

// Overwrites every byte string in `j`, recursively, in place. nlohmann keeps its own copies
// of binary values: a tree that held secrets is wiped with this before it is freed.
void WipeBinaries(nlohmann::json& j);

}  // namespace licet::format

#endif  // LICET_FORMAT_PAYLOAD_H_
