#include "model/display.h"

#include <cstdio>
#include <vector>

namespace licet::model {
namespace {

using nlohmann::json;

std::string Hex32(uint32_t v) {
  char buf[16];
  std::snprintf(buf, sizeof buf, "0x%x", v);
  return buf;
}

// A JSON string that dump() will accept: nlohmann throws on invalid UTF-8 when dumping, and
// display output must never throw, so text that is not UTF-8 (an item that was never
// validated) is shown escaped instead.
json SafeString(const std::string& text) {
  if (IsValidUtf8(text)) return text;
  std::string quoted = QuoteText(text);
  return quoted.substr(1, quoted.size() - 2);
}

void AddUnits(std::vector<std::string>& parts, const std::optional<uint64_t>& units) {
  if (units) parts.push_back(std::to_string(*units) + (*units == 1 ? " unit" : " units"));
}

std::string JoinParts(const std::vector<std::string>& parts) {
  std::string out;
  for (const std::string& part : parts) {
    if (!out.empty()) out += ", ";
    out += part;
  }
  return out;
}

}  // namespace

std::string FormatFeatureMap(uint32_t feature_map) { return Hex32(feature_map); }

std::string QuoteText(std::string_view text) {
  std::string out = "'";
  size_t i = 0;
  while (i < text.size()) {
    const auto c = static_cast<uint8_t>(text[i]);
    if (c >= 0x80) {
      // Copy a whole well-formed UTF-8 sequence; escape a stray byte.
      size_t len = (c & 0xe0) == 0xc0 ? 2 : (c & 0xf0) == 0xe0 ? 3 : (c & 0xf8) == 0xf0 ? 4 : 0;
      if (len != 0 && i + len <= text.size() && IsValidUtf8(text.substr(i, len))) {
        out.append(text.substr(i, len));
        i += len;
        continue;
      }
    }
    char buf[8];
    if (c == '\n') {
      out += "\\n";
    } else if (c == '\t') {
      out += "\\t";
    } else if (c == '\'' || c == '\\') {
      out += '\\';
      out += static_cast<char>(c);
    } else if (c < 0x20 || c == 0x7f || c >= 0x80) {
      std::snprintf(buf, sizeof buf, "\\x%02x", c);
      out += buf;
    } else {
      out += static_cast<char>(c);
    }
    ++i;
  }
  out += '\'';
  return out;
}

std::string DescribeModuleItem(const ModuleItem& module) {
  std::string out = "module " + std::to_string(module.product_code);
  if (!module.text.empty()) out += " " + QuoteText(module.text);
  std::vector<std::string> parts = {"features " + FormatFeatureMap(module.feature_map)};
  AddUnits(parts, module.unit_counter);
  return out + " (" + JoinParts(parts) + ")";
}

std::string DescribeProductItem(const ProductItem& item) {
  std::string out = "product " + std::to_string(item.product_code);
  if (!item.text.empty()) out += " " + QuoteText(item.text);
  std::vector<std::string> parts = {"features " + FormatFeatureMap(item.feature_map)};
  AddUnits(parts, item.unit_counter);
  if (item.license_quantity != 1) parts.push_back(std::to_string(item.license_quantity) + " seats");
  if (item.activation_time) parts.push_back("active from " + FormatTime(*item.activation_time));
  if (item.expiration) parts.push_back("expires " + FormatTime(*item.expiration));
  if (item.usage_period) parts.push_back("usage period " + FormatDuration(*item.usage_period));
  if (item.maintenance_until) {
    parts.push_back("maintenance until " + FormatTime(*item.maintenance_until));
  }
  if (item.checkpoint_days) {
    parts.push_back("checkpoint every " + std::to_string(*item.checkpoint_days) + " days");
  }
  if (!item.modules.empty()) {
    parts.push_back(std::to_string(item.modules.size()) +
                    (item.modules.size() == 1 ? " module" : " modules"));
  }
  return out + " (" + JoinParts(parts) + ")";
}

json ToDisplayJson(const ModuleItem& module) {
  json j = json::object();
  j["product_code"] = module.product_code;
  j["feature_map"] = module.feature_map;
  j["feature_map_hex"] = FormatFeatureMap(module.feature_map);
  if (module.unit_counter) j["unit_counter"] = *module.unit_counter;
  if (!module.text.empty()) j["text"] = SafeString(module.text);
  return j;
}

json ToDisplayJson(const ProductItem& item) {
  json j = json::object();
  j["product_code"] = item.product_code;
  j["feature_map"] = item.feature_map;
  j["feature_map_hex"] = FormatFeatureMap(item.feature_map);
  if (item.unit_counter) j["unit_counter"] = *item.unit_counter;
  if (item.expiration) j["expiration"] = FormatTime(*item.expiration);
  if (item.activation_time) j["activation_time"] = FormatTime(*item.activation_time);
  if (item.usage_period) j["usage_period"] = FormatDuration(*item.usage_period);
  if (item.usage_started) j["usage_started"] = FormatTime(*item.usage_started);
  if (item.maintenance_until) j["maintenance_until"] = FormatTime(*item.maintenance_until);
  j["license_quantity"] = item.license_quantity;
  json modes = json::array();
  for (AccessMode mode : {AccessMode::kUserLimit, AccessMode::kStationShare, AccessMode::kExclusive,
                          AccessMode::kNoUserLimit}) {
    if (Allows(item.access_modes, mode)) modes.push_back(AccessModeName(mode));
  }
  j["access_modes"] = std::move(modes);
  j["linger_time"] = FormatDuration(item.linger_time);
  if (!item.text.empty()) j["text"] = SafeString(item.text);
  if (!item.protected_data.empty()) j["protected_data"] = HexEncode(item.protected_data);
  // hidden_data and its access code hash are deliberately absent; secret_data only says
  // whether the item carries its own secret or uses the firm-derived one.
  j["secret_data"] = item.secret_data.empty() ? "derived" : "set";
  if (item.checkpoint_days) j["checkpoint_days"] = *item.checkpoint_days;
  if (item.last_checkpoint) j["last_checkpoint"] = FormatTime(*item.last_checkpoint);
  if (item.borrow.allowed()) {
    j["borrow"] = {{"max_days", item.borrow.max_days}, {"max_seats", item.borrow.max_seats}};
  }
  if (!item.modules.empty()) {
    json modules = json::array();
    for (const ModuleItem& module : item.modules) modules.push_back(ToDisplayJson(module));
    j["modules"] = std::move(modules);
  }
  return j;
}

json ToDisplayJson(const FirmItem& firm) {
  json j = json::object();
  j["firm_code"] = firm.firm_code;
  j["name"] = SafeString(firm.name);
  j["public_key"] = HexEncode(firm.public_key);
  j["fuc"] = firm.fuc;
  json products = json::array();
  for (const ProductItem& item : firm.products) products.push_back(ToDisplayJson(item));
  j["products"] = std::move(products);
  return j;
}

json ToDisplayJson(const ContainerState& state) {
  json j = json::object();
  json firms = json::array();
  for (const FirmItem& firm : state.firms) firms.push_back(ToDisplayJson(firm));
  j["firms"] = std::move(firms);
  j["certified_time"] = state.certified_time > 0 ? json(FormatTime(state.certified_time)) : json();
  j["highest_time_seen"] =
      state.highest_time_seen > 0 ? json(FormatTime(state.highest_time_seen)) : json();
  return j;
}

}  // namespace licet::model
