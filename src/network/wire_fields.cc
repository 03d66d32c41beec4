#include "network/wire_fields.h"

namespace licet::network::wire_fields {

using nlohmann::json;

Status Bad(const char* field, const std::string& why) {
  return Error(ErrorCode::kInvalidArgument, std::string("field '") + field + "' " + why);
}

std::optional<uint64_t> AsUint(const json& v) {
  if (v.is_number_unsigned()) return v.get<uint64_t>();
  if (v.is_number_integer() && v.get<int64_t>() >= 0)
    return static_cast<uint64_t>(v.get<int64_t>());
  return std::nullopt;
}

Result<uint64_t> Uint(const json& m, const char* key, std::optional<uint64_t> fallback,
                      uint64_t min, uint64_t max) {
  auto it = m.find(key);
  if (it == m.end()) {
    if (fallback) return *fallback;
    return Bad(key, "is missing");
  }
  auto v = AsUint(*it);
  if (!v || *v < min || *v > max) {
    return Bad(key, min == 0 ? "must be an unsigned integer <= " + std::to_string(max)
                             : "must be an unsigned integer from " + std::to_string(min) +
                                   " to " + std::to_string(max));
  }
  return *v;
}

Result<std::string> Text(const json& m, const char* key, bool required, size_t max) {
  auto it = m.find(key);
  if (it == m.end()) {
    if (required) return Bad(key, "is missing");
    return std::string();
  }
  if (!it->is_string()) return Bad(key, "must be text");
  const auto& s = it->get_ref<const std::string&>();
  if (s.size() > max) return Bad(key, "is longer than " + std::to_string(max) + " bytes");
  for (unsigned char c : s) {
    if (c < 0x20 || c == 0x7f) return Bad(key, "holds a control character");
  }
  return s;
}

Result<Bytes> Binary(const json& m, const char* key, size_t min, size_t max) {
  auto it = m.find(key);
  if (it == m.end()) return Bad(key, "is missing");
  if (!it->is_binary() || it->get_binary().size() < min || it->get_binary().size() > max) {
    return Bad(key, min == max ? "must be " + std::to_string(min) + " bytes"
                               : "must be " + std::to_string(min) + ".." + std::to_string(max) +
                                     " bytes");
  }
  return Bytes(it->get_binary().begin(), it->get_binary().end());
}

}  // namespace licet::network::wire_fields
