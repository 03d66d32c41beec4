#include "client/request_codec.h"

#include <string.h>

#include <algorithm>
#include <limits>
#include <optional>

#include "common/bytes.h"
#include "protocol/protocol.h"

namespace licet::client {

using nlohmann::json;

namespace {

constexpr size_t kMaxSerialLength = 63;
constexpr size_t kMaxServerLength = 255;
constexpr size_t kIvSize = sizeof(licet_crypt_params{}.iv);
constexpr size_t kTagSize = sizeof(licet_crypt_params{}.tag);
constexpr size_t kFirmKeySize = 32;

// A struct input from the app: `T` initialised with its defaults, overwritten by the bytes
// the app declared (no more than we know). Fields the app's older header lacks keep the
// defaults.
template <typename T>
T ReadInput(const T* in, T defaults) {
  memcpy(&defaults, in, std::min<size_t>(in->size, sizeof(T)));
  return defaults;
}

Status BadResponse(const std::string& what) {
  return Error(ErrorCode::kProtocolError, "malformed response from licetd: " + what);
}

// An optional unsigned field no larger than `max`. nullopt when absent.
Result<std::optional<uint64_t>> OptionalUint(const json& map, const char* key, uint64_t max) {
  auto it = map.find(key);
  if (it == map.end() || it->is_null()) return std::optional<uint64_t>();
  // CBOR decodes every non-negative integer as unsigned; a signed one here came from JSON
  // built in memory and is fine when it is not negative.
  const bool non_negative = it->is_number_unsigned() || (it->is_number_integer() && it->get<int64_t>() >= 0);
  if (!non_negative || it->get<uint64_t>() > max) {
    return BadResponse(std::string("'") + key + "' is not an unsigned integer up to " + std::to_string(max));
  }
  return std::optional<uint64_t>(it->get<uint64_t>());
}

// An optional signed 64-bit field (Unix times, durations). 0 when absent.
Result<int64_t> OptionalInt(const json& map, const char* key) {
  auto it = map.find(key);
  if (it == map.end() || it->is_null()) return int64_t{0};
  if (it->is_number_unsigned()) {
    if (it->get<uint64_t>() > static_cast<uint64_t>(std::numeric_limits<int64_t>::max())) {
      return BadResponse(std::string("'") + key + "' is out of range");
    }
    return static_cast<int64_t>(it->get<uint64_t>());
  }
  if (!it->is_number_integer()) return BadResponse(std::string("'") + key + "' is not an integer");
  return it->get<int64_t>();
}

Result<uint32_t> RequiredUint32(const json& map, const char* key) {
  LICET_ASSIGN_OR_RETURN(std::optional<uint64_t> v, OptionalUint(map, key, 0xffffffffu));
  if (!v) return BadResponse(std::string("'") + key + "' is missing");
  return static_cast<uint32_t>(*v);
}

// Copies `s` into `out[0..n)` with a NUL, cutting at a UTF-8 character boundary if too long.
void CopyText(const std::string& s, char* out, size_t n) {
  size_t len = std::min(s.size(), n - 1);
  if (len < s.size()) {
    // Step back over continuation bytes (10xxxxxx) so that no character is split.
    while (len > 0 && (static_cast<uint8_t>(s[len]) & 0xc0) == 0x80) --len;
  }
  memcpy(out, s.data(), len);
  memset(out + len, 0, n - len);
}

// CBOR byte strings become hex in licet_list's JSON text (JSON has no bytes).
json BytesToHex(const json& value) {
  if (value.is_binary()) return HexEncode(ByteSpan(value.get_binary().data(), value.get_binary().size()));
  if (value.is_object()) {
    json out = json::object();
    for (const auto& [k, v] : value.items()) out[k] = BytesToHex(v);
    return out;
  }
  if (value.is_array()) {
    json out = json::array();
    for (const auto& v : value) out.push_back(BytesToHex(v));
    return out;
  }
  return value;
}

}  // namespace

Status CheckStructSize(const void* object, uint32_t size, uint32_t min_size, uint32_t known_size,
                       bool input, const char* name) {
  if (size == 0 || size > kMaxStructSize) {
    return Error(ErrorCode::kInvalidArgument,
                 std::string(name) + ".size is " + std::to_string(size) + ": initialise the struct with " +
                     "its _INIT macro so that size is sizeof the struct");
  }
  if (size < min_size) {
    return Error(ErrorCode::kInvalidArgument, std::string(name) + ".size is " + std::to_string(size) +
                                                  ", below the " + std::to_string(min_size) +
                                                  " bytes every version of the struct has");
  }
  if (input && size > known_size) {
    const auto* bytes = static_cast<const uint8_t*>(object);
    for (uint32_t i = known_size; i < size; ++i) {
      if (bytes[i] != 0) {
        return Error(ErrorCode::kInvalidArgument,
                     std::string(name) + " sets fields that this liblicet " LICET_VERSION
                                         " does not know (byte " +
                         std::to_string(i) + "): update liblicet");
      }
    }
  }
  return Status::Ok();
}

Result<json> EncodeAccess(const licet_access_params* in) {
  if (in == nullptr) return Error(ErrorCode::kInvalidArgument, "licet_access: params is NULL");
  LICET_RETURN_IF_ERROR(CheckStructSize(in, in->size, kMinAccessParamsSize, sizeof(licet_access_params),
                                        true, "licet_access_params"));
  const licet_access_params p = ReadInput(in, licet_access_params LICET_ACCESS_PARAMS_INIT);
  if (p.firm_code == 0) {
    return Error(ErrorCode::kInvalidArgument, "licet_access_params.firm_code is required (0 given)");
  }
  if (p.where < LICET_WHERE_LOCAL || p.where > LICET_WHERE_LAN_LOCAL) {
    return Error(ErrorCode::kInvalidArgument,
                 "licet_access_params.where is " + std::to_string(p.where) + ": use a LICET_WHERE_* value");
  }
  if (p.mode != LICET_MODE_USER_LIMIT && p.mode != LICET_MODE_STATION_SHARE &&
      p.mode != LICET_MODE_EXCLUSIVE && p.mode != LICET_MODE_NO_USER_LIMIT) {
    return Error(ErrorCode::kInvalidArgument,
                 "licet_access_params.mode is " + std::to_string(p.mode) + ": use one LICET_MODE_* value");
  }
  json request = {{"op", protocol::kOpAccess},
                  {"firm_code", p.firm_code},
                  {"product_code", p.product_code},
                  {"feature_code", p.feature_code},
                  {"mode", p.mode},
                  {"where", p.where},
                  {"release_date", p.release_date},
                  // The C API keeps only the handle: a lean answer saves building, sending and
                  // decoding the item map on every access (docs/PERFORMANCE.md).
                  {"item", false}};
  if (p.serial != nullptr) {
    size_t n = strnlen(p.serial, kMaxSerialLength + 1);
    if (n == 0 || n > kMaxSerialLength) {
      return Error(ErrorCode::kInvalidArgument,
                   "licet_access_params.serial must be a container serial such as \"130-1166426881\" or NULL");
    }
    request["serial"] = std::string(p.serial, n);
  }
  if (p.server != nullptr) {
    size_t n = strnlen(p.server, kMaxServerLength + 1);
    if (n == 0 || n > kMaxServerLength) {
      return Error(ErrorCode::kInvalidArgument,
                   "licet_access_params.server must be a host name (up to 255 bytes) or NULL");
    }
    request["server"] = std::string(p.server, n);
  }
  if (p.firm_public_key != nullptr) {
    request["firm_key"] = json::binary(std::vector<uint8_t>(p.firm_public_key, p.firm_public_key + kFirmKeySize));
  }
  return request;
}

Result<json> EncodeCrypt(uint64_t handle, int op, const licet_crypt_params* params, const void* buf,
                         size_t len, bool with_data) {
  if (op != LICET_CRYPT_ENCRYPT && op != LICET_CRYPT_DECRYPT && op != LICET_CRYPT_DIRECT) {
    return Error(ErrorCode::kInvalidArgument,
                 "licet_crypt: op is " + std::to_string(op) + ": use LICET_CRYPT_ENCRYPT, _DECRYPT or _DIRECT");
  }
  if (params == nullptr) return Error(ErrorCode::kInvalidArgument, "licet_crypt: params is NULL");
  LICET_RETURN_IF_ERROR(CheckStructSize(params, params->size, kMinCryptParamsSize,
                                        sizeof(licet_crypt_params), true, "licet_crypt_params"));
  if (buf == nullptr && len != 0) return Error(ErrorCode::kInvalidArgument, "licet_crypt: buf is NULL");
  if (len > LICET_CRYPT_MAX_LEN) {
    return Error(ErrorCode::kInvalidArgument,
                 "licet_crypt: len " + std::to_string(len) + " exceeds LICET_CRYPT_MAX_LEN (" +
                     std::to_string(LICET_CRYPT_MAX_LEN) + "); encrypt in chunks");
  }
  const auto* data = static_cast<const uint8_t*>(buf);
  json request = {{"op", protocol::kOpCrypt},
                  {"handle", handle},
                  {"crypt_op", op},
                  {"encryption_code", params->encryption_code},
                  {"feature_code", params->feature_code},
                  {"iv", json::binary(std::vector<uint8_t>(params->iv, params->iv + kIvSize))}};
  if (with_data) {
    request["data"] = json::binary(len == 0 ? std::vector<uint8_t>() : std::vector<uint8_t>(data, data + len));
  }
  if (op == LICET_CRYPT_DECRYPT) {
    request["tag"] = json::binary(std::vector<uint8_t>(params->tag, params->tag + kTagSize));
  }
  return request;
}

namespace {

// The data of a crypt response: `result`, checked to be len bytes; the tag from the
// response for LICET_CRYPT_ENCRYPT. Copies only when everything checks out.
Status CopyCryptResult(const json& response, int op, licet_crypt_params* params,
                       const uint8_t* result, size_t result_size, void* buf, size_t len) {
  if (result_size != len) return BadResponse("'data' is missing or not " + std::to_string(len) + " bytes");
  const json::binary_t* tag = nullptr;
  if (op == LICET_CRYPT_ENCRYPT) {
    auto t = response.find("tag");
    if (t == response.end() || !t->is_binary() || t->get_binary().size() != kTagSize) {
      return BadResponse("'tag' is missing or not 16 bytes");
    }
    tag = &t->get_binary();
  }
  if (len != 0) memcpy(buf, result, len);
  if (tag != nullptr) memcpy(params->tag, tag->data(), kTagSize);
  return Status::Ok();
}

}  // namespace

Status DecodeCrypt(const json& response, int op, licet_crypt_params* params, void* buf, size_t len) {
  auto data = response.find("data");
  if (data == response.end() || !data->is_binary()) {
    return BadResponse("'data' is missing or not " + std::to_string(len) + " bytes");
  }
  const auto& bytes = data->get_binary();
  return CopyCryptResult(response, op, params, bytes.data(), bytes.size(), buf, len);
}

Status DecodeCryptTag(const json& response, int op, licet_crypt_params* params) {
  return CopyCryptResult(response, op, params, nullptr, 0, nullptr, 0);
}

Status DecodeItemInfo(const json& response, licet_item_info* info) {
  auto serial = response.find("serial");
  if (serial == response.end() || !serial->is_string() ||
      serial->get_ref<const std::string&>().size() >= sizeof(info->serial)) {
    return BadResponse("'serial' is missing or too long");
  }
  auto item_it = response.find("item");
  if (item_it == response.end() || !item_it->is_object()) return BadResponse("'item' is missing");
  const json& item = *item_it;

  licet_item_info out;
  memset(&out, 0, sizeof(out));
  out.size = info->size;
  CopyText(serial->get<std::string>(), out.serial, sizeof(out.serial));
  LICET_ASSIGN_OR_RETURN(out.firm_code, RequiredUint32(item, "firm_code"));
  LICET_ASSIGN_OR_RETURN(out.product_code, RequiredUint32(item, "product_code"));
  LICET_ASSIGN_OR_RETURN(auto feature_map, OptionalUint(item, "feature_map", 0xffffffffu));
  out.feature_map = static_cast<uint32_t>(feature_map.value_or(0));
  LICET_ASSIGN_OR_RETURN(auto units, OptionalUint(item, "unit_counter", std::numeric_limits<uint64_t>::max()));
  out.has_unit_counter = units.has_value() ? 1 : 0;
  out.unit_counter = units.value_or(0);
  LICET_ASSIGN_OR_RETURN(out.expiration, OptionalInt(item, "expiration"));
  LICET_ASSIGN_OR_RETURN(out.activation_time, OptionalInt(item, "activation_time"));
  LICET_ASSIGN_OR_RETURN(out.usage_period, OptionalInt(item, "usage_period"));
  LICET_ASSIGN_OR_RETURN(out.usage_started, OptionalInt(item, "usage_started"));
  LICET_ASSIGN_OR_RETURN(out.maintenance_until, OptionalInt(item, "maintenance_until"));
  LICET_ASSIGN_OR_RETURN(auto quantity, OptionalUint(item, "license_quantity", 0xffffffffu));
  out.license_quantity = static_cast<uint32_t>(quantity.value_or(0));
  LICET_ASSIGN_OR_RETURN(auto modes, OptionalUint(item, "access_modes", 0xffffffffu));
  out.access_modes = static_cast<uint32_t>(modes.value_or(0));
  if (auto text = item.find("text"); text != item.end() && !text->is_null()) {
    if (!text->is_string()) return BadResponse("'text' is not text");
    CopyText(text->get<std::string>(), out.text, sizeof(out.text));
  }
  if (auto pd = item.find("protected_data"); pd != item.end() && !pd->is_null()) {
    if (!pd->is_binary() || pd->get_binary().size() > sizeof(out.protected_data)) {
      return BadResponse("'protected_data' is not a byte string of at most 256 bytes");
    }
    if (!pd->get_binary().empty()) {  // data() of an empty vector may be NULL
      memcpy(out.protected_data, pd->get_binary().data(), pd->get_binary().size());
    }
    out.protected_data_size = static_cast<uint32_t>(pd->get_binary().size());
  }

  // Only what the app's struct has room for; a newer app's unknown tail reads as zero.
  const size_t declared = info->size;
  memcpy(info, &out, std::min(declared, sizeof(out)));
  if (declared > sizeof(out)) memset(reinterpret_cast<uint8_t*>(info) + sizeof(out), 0, declared - sizeof(out));
  return Status::Ok();
}

Result<uint64_t> DecodeRemaining(const json& response) {
  LICET_ASSIGN_OR_RETURN(auto remaining, OptionalUint(response, "remaining", std::numeric_limits<uint64_t>::max()));
  if (!remaining) return BadResponse("'remaining' is missing");
  return *remaining;
}

Result<uint64_t> DecodeHandle(const json& response) {
  LICET_ASSIGN_OR_RETURN(auto handle, OptionalUint(response, "handle", std::numeric_limits<uint64_t>::max()));
  if (!handle) return BadResponse("'handle' is missing");
  return *handle;
}

Result<std::string> DecodeList(const json& response) {
  auto containers = response.find("containers");
  if (containers == response.end() || !containers->is_array()) {
    return BadResponse("'containers' is missing or not an array");
  }
  json out = json::object();
  for (const auto& [key, value] : response.items()) {
    if (key == "id" || key == "code") continue;
    out[key] = BytesToHex(value);
  }
  // Replace, not throw, on invalid UTF-8 from a hostile or buggy peer.
  return out.dump(2, ' ', false, json::error_handler_t::replace);
}

}  // namespace licet::client
