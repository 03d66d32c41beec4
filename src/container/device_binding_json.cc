// JSON (for CBOR) form of DeviceBinding. The reader is strict: the binding comes from a file
// anyone can edit, so every key, type and size is checked before anything is used.
#include <initializer_list>
#include <string_view>

#include "container/device_binding.h"

namespace licet::container {
namespace {

using nlohmann::json;

// "device binding: slots[2].nonce: must be 12 bytes, got 11"; `field` empty at the top level.
Status Corrupt(const std::string& field, const std::string& problem) {
  return Error(ErrorCode::kCorruptData,
               "device binding: " + (field.empty() ? problem : field + ": " + problem));
}

// OK when `object` is an object with exactly the keys `keys`.
Status ExpectKeys(const json& object, const std::string& field,
                  std::initializer_list<std::string_view> keys) {
  if (!object.is_object()) return Corrupt(field, "must be a map");
  for (std::string_view key : keys) {
    if (!object.contains(key)) return Corrupt(field, "missing \"" + std::string(key) + "\"");
  }
  if (object.size() != keys.size()) return Corrupt(field, "unexpected keys");
  return Status::Ok();
}

Result<uint64_t> ReadUnsigned(const json& object, const char* key, const std::string& field,
                              uint64_t max) {
  const json& value = object.find(key).value();
  // CBOR decoding gives unsigned numbers; a json built in memory may hold signed ones.
  const bool non_negative =
      value.is_number_unsigned() || (value.is_number_integer() && value.get<int64_t>() >= 0);
  if (!non_negative) return Corrupt(field + key, "must be a non-negative integer");
  const uint64_t number = value.get<uint64_t>();
  if (number > max) return Corrupt(field + key, "must be at most " + std::to_string(max));
  return number;
}

Result<Bytes> ReadBinary(const json& object, const char* key, const std::string& field,
                         size_t size) {
  const json& value = object.find(key).value();
  if (!value.is_binary()) return Corrupt(field + key, "must be a byte string");
  const json::binary_t& bytes = value.get_binary();
  if (bytes.size() != size) {
    return Corrupt(field + key, "must be " + std::to_string(size) + " bytes, got " +
                                    std::to_string(bytes.size()));
  }
  return Bytes(bytes.begin(), bytes.end());
}

Result<ShareSlot> ReadSlot(const json& object, const std::string& field) {
  LICET_RETURN_IF_ERROR(ExpectKeys(object, field, {"kind", "x", "salt", "nonce", "ciphertext"}));
  const std::string prefix = field + ".";
  ShareSlot slot;
  LICET_ASSIGN_OR_RETURN(uint64_t kind, ReadUnsigned(object, "kind", prefix, 255));
  std::optional<PropertyKind> known = PropertyKindFromNumber(kind);
  if (!known)
    return Corrupt(prefix + "kind", "unknown device property kind " + std::to_string(kind));
  slot.kind = *known;
  LICET_ASSIGN_OR_RETURN(uint64_t x, ReadUnsigned(object, "x", prefix, 255));
  slot.x = static_cast<uint8_t>(x);
  LICET_ASSIGN_OR_RETURN(slot.salt, ReadBinary(object, "salt", prefix, kShareSaltSize));
  LICET_ASSIGN_OR_RETURN(slot.nonce, ReadBinary(object, "nonce", prefix, kShareNonceSize));
  LICET_ASSIGN_OR_RETURN(slot.ciphertext,
                         ReadBinary(object, "ciphertext", prefix, kShareCiphertextSize));
  return slot;
}

Result<DeviceBinding> ReadBinding(const json& object) {
  LICET_RETURN_IF_ERROR(ExpectKeys(object, "", {"threshold", "count", "slots"}));
  DeviceBinding binding;
  LICET_ASSIGN_OR_RETURN(uint64_t threshold, ReadUnsigned(object, "threshold", "", 255));
  LICET_ASSIGN_OR_RETURN(uint64_t count, ReadUnsigned(object, "count", "", 255));
  binding.threshold = static_cast<int>(threshold);
  binding.count = static_cast<int>(count);
  const json& slots = object.find("slots").value();
  if (!slots.is_array()) return Corrupt("slots", "must be an array");
  if (slots.empty() || slots.size() > kMaxShareSlots) {
    return Corrupt("slots", "between 1 and " + std::to_string(kMaxShareSlots) + " expected");
  }
  for (size_t i = 0; i < slots.size(); ++i) {
    LICET_ASSIGN_OR_RETURN(ShareSlot slot, ReadSlot(slots[i], "slots[" + std::to_string(i) + "]"));
    binding.slots.push_back(std::move(slot));
  }
  LICET_RETURN_IF_ERROR(ValidateDeviceBinding(binding));
  return binding;
}

}  // namespace

json DeviceBindingToJson(const DeviceBinding& binding) {
  json slots = json::array();
  for (const ShareSlot& slot : binding.slots) {
    slots.push_back({{"kind", static_cast<uint64_t>(slot.kind)},
                     {"x", static_cast<uint64_t>(slot.x)},
                     {"salt", json::binary(slot.salt)},
                     {"nonce", json::binary(slot.nonce)},
                     {"ciphertext", json::binary(slot.ciphertext)}});
  }
  // Unsigned, as CBOR decoding gives them back; a negative (invalid) value stays visible.
  const auto number = [](int v) { return v >= 0 ? json(static_cast<uint64_t>(v)) : json(v); };
  return {{"threshold", number(binding.threshold)},
          {"count", number(binding.count)},
          {"slots", std::move(slots)}};
}

Result<DeviceBinding> DeviceBindingFromJson(const json& json_value) {
  // Every access above is type-checked first; the catch is a last line of defence so that a
  // missed case reports corrupt data instead of unwinding through the caller.
  try {
    return ReadBinding(json_value);
  } catch (const json::exception& e) {
    return Error(ErrorCode::kCorruptData, std::string("device binding: ") + e.what());
  }
}

}  // namespace licet::container
