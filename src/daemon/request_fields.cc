#include "daemon/request_fields.h"

namespace licet::daemon {
namespace {

Status Invalid(const char* key, const std::string& why) {
  return Error(ErrorCode::kInvalidArgument, std::string("field '") + key + "' " + why);
}

}  // namespace

std::optional<uint64_t> AsUint(const nlohmann::json& value) {
  if (value.is_number_unsigned()) return value.get<uint64_t>();
  if (value.is_number_integer()) {
    int64_t v = value.get<int64_t>();
    if (v >= 0) return static_cast<uint64_t>(v);
  }
  return std::nullopt;
}

Result<uint64_t> GetUintField(const nlohmann::json& request, const char* key,
                              std::optional<uint64_t> fallback, uint64_t max) {
  auto it = request.find(key);
  if (it == request.end()) {
    if (fallback) return *fallback;
    return Invalid(key, "is missing");
  }
  std::optional<uint64_t> value = AsUint(*it);
  if (!value) return Invalid(key, "must be an unsigned integer");
  uint64_t v = *value;
  if (v > max) return Invalid(key, "is " + std::to_string(v) + ", at most " + std::to_string(max));
  return v;
}

Result<int64_t> GetIntField(const nlohmann::json& request, const char* key, int64_t fallback) {
  auto it = request.find(key);
  if (it == request.end()) return fallback;
  if (it->is_number_unsigned()) {
    uint64_t v = it->get<uint64_t>();
    if (v > static_cast<uint64_t>(INT64_MAX)) return Invalid(key, "is out of range");
    return static_cast<int64_t>(v);
  }
  if (!it->is_number_integer()) return Invalid(key, "must be an integer");
  return it->get<int64_t>();
}

Result<std::optional<std::string>> GetTextField(const nlohmann::json& request, const char* key,
                                                size_t max_size) {
  auto it = request.find(key);
  if (it == request.end()) return std::optional<std::string>();
  if (!it->is_string()) return Invalid(key, "must be text");
  const std::string& s = it->get_ref<const std::string&>();
  if (s.size() > max_size)
    return Invalid(key, "is longer than " + std::to_string(max_size) + " bytes");
  return std::optional<std::string>(s);
}

Result<bool> GetBoolField(const nlohmann::json& request, const char* key, bool fallback) {
  auto it = request.find(key);
  if (it == request.end()) return fallback;
  if (!it->is_boolean()) return Invalid(key, "must be a bool");
  return it->get<bool>();
}

Result<std::optional<Bytes>> TakeBinaryField(nlohmann::json& request, const char* key,
                                             size_t size) {
  auto it = request.find(key);
  if (it == request.end()) return std::optional<Bytes>();
  if (!it->is_binary()) return Invalid(key, "must be a byte string");
  Bytes& bin = it->get_binary();
  if (size != 0 && bin.size() != size) {
    return Invalid(key,
                   "must be " + std::to_string(size) + " bytes, got " + std::to_string(bin.size()));
  }
  return std::optional<Bytes>(std::move(bin));
}

}  // namespace licet::daemon
