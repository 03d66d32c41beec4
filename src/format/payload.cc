#include "format/payload.h"

#include <exception>
#include <limits>
#include <string>

#include "format/cbor.h"

namespace licet::format {
namespace {

using nlohmann::json;

// Bounds what nlohmann builds from a payload (about 16 bytes and up per item).
constexpr size_t kMaxPayloadItems = size_t{1} << 18;

Status FieldError(const char* key, const std::string& what) {
  return Error(ErrorCode::kCorruptData, std::string("field '") + key + "' " + what);
}

const json* FindField(const json& obj, const char* key) {
  if (!obj.is_object()) return nullptr;
  auto it = obj.find(key);
  return it == obj.end() ? nullptr : &*it;
}

// Converters from a present field to T; `max` bounds unsigned values.
Result<uint64_t> ToUint(const json& v, const char* key,
                        uint64_t max = std::numeric_limits<uint64_t>::max()) {
  uint64_t value;
  if (v.is_number_unsigned()) {
    value = v.get<uint64_t>();
  } else if (v.is_number_integer() && v.get<int64_t>() >= 0) {
    // A json built in memory from a signed C++ integer, not yet through CBOR.
    value = static_cast<uint64_t>(v.get<int64_t>());
  } else {
    return FieldError(key, "must be an unsigned integer");
  }
  if (value > max) {
    return FieldError(key,
                      "is " + std::to_string(value) + ", above the maximum " + std::to_string(max));
  }
  return value;
}

Result<uint32_t> ToUint32(const json& v, const char* key) {
  LICET_ASSIGN_OR_RETURN(uint64_t value, ToUint(v, key, std::numeric_limits<uint32_t>::max()));
  return static_cast<uint32_t>(value);
}

Result<int64_t> ToInt(const json& v, const char* key) {
  if (v.is_number_unsigned()) {
    const uint64_t value = v.get<uint64_t>();
    if (value > static_cast<uint64_t>(std::numeric_limits<int64_t>::max())) {
      return FieldError(key, "is " + std::to_string(value) + ", above the maximum " +
                                 std::to_string(std::numeric_limits<int64_t>::max()));
    }
    return static_cast<int64_t>(value);
  }
  if (v.is_number_integer()) return v.get<int64_t>();
  return FieldError(key, "must be an integer");
}

Result<bool> ToBool(const json& v, const char* key) {
  if (!v.is_boolean()) return FieldError(key, "must be true or false");
  return v.get<bool>();
}

Result<std::string> ToString(const json& v, const char* key) {
  if (!v.is_string()) return FieldError(key, "must be a text string");
  return v.get<std::string>();
}

Result<Bytes> ToBinary(const json& v, const char* key) {
  if (!v.is_binary()) return FieldError(key, "must be a byte string");
  const auto& binary = v.get_binary();
  return Bytes(binary.begin(), binary.end());
}

template <typename T>
Result<T> Required(const json& obj, const char* key,
                   Result<T> (*convert)(const json&, const char*)) {
  const json* field = FindField(obj, key);
  if (!field) return FieldError(key, "is missing");
  return convert(*field, key);
}

template <typename T>
Result<std::optional<T>> Optional(const json& obj, const char* key,
                                  Result<T> (*convert)(const json&, const char*)) {
  const json* field = FindField(obj, key);
  if (!field) return std::optional<T>();
  LICET_ASSIGN_OR_RETURN(T value, convert(*field, key));
  return std::optional<T>(std::move(value));
}

Result<uint64_t> ToAnyUint(const json& v, const char* key) { return ToUint(v, key); }

Result<const json*> Container(const json& obj, const char* key, bool optional, bool want_map) {
  const json* field = FindField(obj, key);
  if (!field) {
    if (optional) return static_cast<const json*>(nullptr);
    return FieldError(key, "is missing");
  }
  if (want_map && !field->is_object()) return FieldError(key, "must be a map");
  if (!want_map && !field->is_array()) return FieldError(key, "must be an array");
  return field;
}

}  // namespace

Bytes EncodePayload(const json& payload) { return json::to_cbor(payload); }

Result<json> DecodePayload(ByteSpan data, size_t max_size) {
  if (data.size() > max_size) {
    return Error(ErrorCode::kCorruptData, "payload is " + std::to_string(data.size()) +
                                              " bytes, more than the limit of " +
                                              std::to_string(max_size));
  }
  if (data.empty()) return Error(ErrorCode::kCorruptData, "payload is empty");
  // nlohmann recurses without a depth limit and accepts non-canonical CBOR: our own strict
  // walk goes first, so nlohmann only ever sees shallow, well-formed input.
  const CborLimits limits{.max_depth = kMaxPayloadDepth, .max_items = kMaxPayloadItems};
  Status valid = CborValidate(data, limits);
  if (!valid.ok()) return valid.WithContext("malformed payload");
  if (static_cast<CborMajor>(data[0] >> 5) != CborMajor::kMap) {
    return Error(ErrorCode::kCorruptData, "payload must be a CBOR map");
  }
  try {
    json result = json::from_cbor(data.begin(), data.end(), /*strict=*/true,
                                  /*allow_exceptions=*/false, json::cbor_tag_handler_t::error);
    if (result.is_discarded()) {
      return Error(ErrorCode::kCorruptData,
                   "malformed payload: map keys must be text strings, and tags are not allowed");
    }
    return result;
  } catch (const std::exception& e) {
    return Error(ErrorCode::kCorruptData, std::string("malformed payload: ") + e.what());
  }
}

Result<uint64_t> GetUint(const json& obj, const char* key) {
  return Required<uint64_t>(obj, key, ToAnyUint);
}
Result<uint32_t> GetUint32(const json& obj, const char* key) {
  return Required<uint32_t>(obj, key, ToUint32);
}
Result<int64_t> GetInt(const json& obj, const char* key) {
  return Required<int64_t>(obj, key, ToInt);
}
Result<bool> GetBool(const json& obj, const char* key) { return Required<bool>(obj, key, ToBool); }
Result<std::string> GetString(const json& obj, const char* key) {
  return Required<std::string>(obj, key, ToString);
}
Result<Bytes> GetBinary(const json& obj, const char* key) {
  return Required<Bytes>(obj, key, ToBinary);
}

Result<Bytes> GetBinaryOfSize(const json& obj, const char* key, size_t size) {
  LICET_ASSIGN_OR_RETURN(Bytes value, GetBinary(obj, key));
  if (value.size() != size) {
    return FieldError(
        key, "must be " + std::to_string(size) + " bytes, got " + std::to_string(value.size()));
  }
  return value;
}

Result<const json*> GetMap(const json& obj, const char* key) {
  return Container(obj, key, false, true);
}
Result<const json*> GetArray(const json& obj, const char* key) {
  return Container(obj, key, false, false);
}

Result<std::optional<uint64_t>> GetOptionalUint(const json& obj, const char* key) {
  return Optional<uint64_t>(obj, key, ToAnyUint);
}
Result<std::optional<uint32_t>> GetOptionalUint32(const json& obj, const char* key) {
  return Optional<uint32_t>(obj, key, ToUint32);
}
Result<std::optional<int64_t>> GetOptionalInt(const json& obj, const char* key) {
  return Optional<int64_t>(obj, key, ToInt);
}
Result<std::optional<bool>> GetOptionalBool(const json& obj, const char* key) {
  return Optional<bool>(obj, key, ToBool);
}
Result<std::optional<std::string>> GetOptionalString(const json& obj, const char* key) {
  return Optional<std::string>(obj, key, ToString);
}
Result<std::optional<Bytes>> GetOptionalBinary(const json& obj, const char* key) {
  return Optional<Bytes>(obj, key, ToBinary);
}
Result<const json*> GetOptionalMap(const json& obj, const char* key) {
  return Container(obj, key, true, true);
}
Result<const json*> GetOptionalArray(const json& obj, const char* key) {
  return Container(obj, key, true, false);
}

json Binary(ByteSpan data) { return json::binary(std::vector<uint8_t>(data.begin(), data.end())); }

void WipeBinaries(json& j) {
  if (j.is_binary()) {
    SecureWipe(j.get_binary().data(), j.get_binary().size());
  } else if (j.is_structured()) {
    for (auto& child : j) WipeBinaries(child);
  }
}

}  // namespace licet::format
