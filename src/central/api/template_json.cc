#include "central/api/template_json.h"

#include "common/clock.h"
#include "format/payload.h"
#include "model/display.h"
#include "model/serialize.h"

namespace licet::central::api {
namespace {

using nlohmann::json;

Status Bad(const std::string& field, const std::string& why) {
  return Error(ErrorCode::kInvalidArgument, "template field '" + field + "' " + why);
}

Status HexToBinary(json& j, const char* key) {
  if (!j.contains(key) || j[key].is_binary()) return Status::Ok();
  if (!j[key].is_string()) return Bad(key, "must be a hex string");
  auto bytes = HexDecode(j[key].get<std::string>());
  if (!bytes.ok()) return Bad(key, "must be a hex string");
  j[key] = format::Binary(*bytes);
  return Status::Ok();
}

Status TimeToInt(json& j, const char* key) {
  if (!j.contains(key) || !j[key].is_string()) return Status::Ok();
  auto t = ParseTime(j[key].get<std::string>());
  if (!t.ok() || *t < 0) return Bad(key, "must be an RFC 3339 time or Unix seconds");
  j[key] = static_cast<uint64_t>(*t);
  return Status::Ok();
}

Status DurationToInt(json& j, const char* key) {
  if (!j.contains(key) || !j[key].is_string()) return Status::Ok();
  auto d = ParseDuration(j[key].get<std::string>());
  if (!d.ok() || *d < 0) return Bad(key, "must be a duration such as \"30d\" or seconds");
  j[key] = static_cast<uint64_t>(*d);
  return Status::Ok();
}

}  // namespace

Result<engine::ProductTemplate> TemplateFromApiJson(const json& input, uint32_t product_code) {
  if (!input.is_object()) return Error(ErrorCode::kInvalidArgument, "template must be an object");
  json j = input;
  engine::ProductTemplate t;
  // Central-only keys first.
  if (j.contains("expires_after")) {
    LICET_RETURN_IF_ERROR(DurationToInt(j, "expires_after"));
    if (!j["expires_after"].is_number_unsigned()) return Bad("expires_after", "must be a duration");
    t.expires_after = static_cast<int64_t>(
        std::min<uint64_t>(j["expires_after"].get<uint64_t>(), uint64_t{1} << 62));
    j.erase("expires_after");
  }
  if (j.contains("hidden_access_code")) {
    if (!j["hidden_access_code"].is_string() || j.contains("hidden_code")) {
      return Bad("hidden_access_code", "must be a string (and excludes hidden_code)");
    }
    std::string code = j["hidden_access_code"].get<std::string>();
    j["hidden_code"] = format::Binary(model::HashAccessCode(AsBytes(code)));
    j.erase("hidden_access_code");
  }
  if (j.contains("code")) {
    if (!j["code"].is_number_unsigned() || j["code"].get<uint64_t>() != product_code) {
      return Bad("code", "must equal the product code");
    }
  }
  j["code"] = product_code;
  if (!j.contains("features")) j["features"] = 0;  // a template may license no feature bits
  if (j.contains("usage_started") || j.contains("last_checkpoint")) {
    return Error(ErrorCode::kInvalidArgument,
                 "usage_started and last_checkpoint are set by containers, not templates");
  }
  for (const char* key : {"protected", "hidden", "hidden_code", "secret"}) {
    LICET_RETURN_IF_ERROR(HexToBinary(j, key));
  }
  for (const char* key : {"expires", "active_from", "maintenance_until"}) {
    LICET_RETURN_IF_ERROR(TimeToInt(j, key));
  }
  for (const char* key : {"usage_period", "linger"}) {
    LICET_RETURN_IF_ERROR(DurationToInt(j, key));
  }
  if (j.contains("modes") && j["modes"].is_string()) {
    auto modes = model::ParseAccessModes(j["modes"].get<std::string>());
    if (!modes.ok()) return Bad("modes", modes.status().message());
    j["modes"] = *modes;
  }
  auto item = model::ProductItemFromJson(j);
  if (!item.ok()) return Error(ErrorCode::kInvalidArgument, item.status().message());
  t.item = std::move(item).value();
  LICET_RETURN_IF_ERROR(engine::ValidateTemplate(t));
  return t;
}

json TemplateToApiJson(const engine::ProductTemplate& t) {
  json j = model::ToDisplayJson(t.item);
  if (t.expires_after) j["expires_after"] = FormatDuration(*t.expires_after);
  return j;
}

}  // namespace licet::central::api
