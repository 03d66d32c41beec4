#include "tools/licet/item_options.h"

#include <cctype>

#include "crypto/crypto.h"
#include "tools/licet/cli.h"

namespace licet::cli {
namespace {

// An absolute time (RFC 3339 or a date) or a duration from now ("365d").
Result<UnixTime> ParseWhen(const std::string& text, UnixTime now, const char* what) {
  if (!text.empty() && std::isdigit(static_cast<unsigned char>(text[0])) &&
      text.find('-') == std::string::npos) {
    auto d = ParseDuration(text);
    if (!d.ok()) return d.status().WithContext(what);
    return now + *d;
  }
  auto t = ParseTime(text);
  if (!t.ok()) return t.status().WithContext(what);
  return *t;
}

// "hex:0011" or plain UTF-8 text.
Result<Bytes> ParseData(const std::string& text, const char* what) {
  if (text.rfind("hex:", 0) == 0) {
    auto bytes = HexDecode(text.substr(4));
    if (!bytes.ok()) return bytes.status().WithContext(what);
    return *bytes;
  }
  return ToBytes(text);
}

Result<uint32_t> U32(const std::string& text, const char* what) {
  LICET_ASSIGN_OR_RETURN(uint64_t v, ParseNumber(text, 0xffffffff, what));
  return static_cast<uint32_t>(v);
}

// CODE[:FEATURES[:UNITS[:TEXT]]]
Result<model::ModuleItem> ParseModule(const std::string& spec) {
  std::vector<std::string> parts;
  size_t start = 0;
  for (int i = 0; i < 3; ++i) {
    size_t colon = spec.find(':', start);
    if (colon == std::string::npos) break;
    parts.push_back(spec.substr(start, colon - start));
    start = colon + 1;
  }
  parts.push_back(spec.substr(start));
  model::ModuleItem m;
  LICET_ASSIGN_OR_RETURN(m.product_code, U32(parts[0], "--module code"));
  if (parts.size() > 1 && !parts[1].empty()) {
    LICET_ASSIGN_OR_RETURN(m.feature_map, U32(parts[1], "--module features"));
  }
  if (parts.size() > 2 && !parts[2].empty()) {
    LICET_ASSIGN_OR_RETURN(uint64_t units, ParseNumber(parts[2], UINT64_MAX, "--module units"));
    m.unit_counter = units;
  }
  if (parts.size() > 3) m.text = parts[3];
  return m;
}

// "random" or 64 hex digits.
Result<model::ItemSecret> ParseSecret(const std::string& text) {
  if (text == "random") return model::ItemSecret(crypto::RandomSecret(model::kSecretSize));
  auto bytes = HexDecode(text);
  if (!bytes.ok() || bytes->size() != model::kSecretSize) {
    return Error(ErrorCode::kInvalidArgument,
                 "--secret-data must be 'random' or 64 hex digits (32 bytes)");
  }
  model::ItemSecret secret(*bytes);
  SecureWipe(bytes->data(), bytes->size());
  return secret;
}

bool IsNone(const std::string& text) { return text == "none"; }

}  // namespace

void AddItemOptions(CLI::App& cmd, ItemOptions& o) {
  const char* group = "Product item options";
  cmd.add_option("--feature-map", o.feature_map, "licensed feature bits, e.g. 0x3")->group(group);
  cmd.add_option("--units", o.units, "unit counter (pay-per-use); 'none' removes it")->group(group);
  cmd.add_option("--expiration", o.expiration,
                 "expires at a time (2027-12-31, RFC 3339) or after a duration (365d); 'none'")
      ->group(group);
  cmd.add_option("--activation-time", o.activation_time, "not valid before this time; 'none'")->group(group);
  cmd.add_option("--usage-period", o.usage_period,
                 "valid for a duration from the first use, e.g. 30d; 'none'")->group(group);
  cmd.add_option("--maintenance-until", o.maintenance_until,
                 "releases dated after this are not covered; 'none'")->group(group);
  cmd.add_option("--license-quantity", o.license_quantity, "seats for network use (default 1)")->group(group);
  cmd.add_option("--access-modes", o.access_modes,
                 "allowed modes: user-limit,station-share,exclusive,no-user-limit")->group(group);
  cmd.add_option("--linger-time", o.linger_time, "a released seat stays taken this long, e.g. 5m")->group(group);
  cmd.add_option("--text", o.text, "product name or text, up to 256 bytes")->group(group);
  cmd.add_option("--protected-data", o.protected_data, "data the app can read: text or hex:...")->group(group);
  cmd.add_option("--hidden-data", o.hidden_data,
                 "data readable only with --hidden-access-code: text or hex:...")->group(group);
  cmd.add_option("--hidden-access-code", o.hidden_access_code, "access code of the hidden data")->group(group);
  cmd.add_option("--secret-data", o.secret_data,
                 "key source that never leaves the container: random or 64 hex digits "
                 "(default: the product secret derived from the firm secret)")->group(group);
  cmd.add_option("--checkpoint-days", o.checkpoint_days, "must be renewed online every N days; 'none'")
      ->group(group);
  cmd.add_option("--borrow-max-days", o.borrow_max_days, "longest borrow of a network seat, in days")->group(group);
  cmd.add_option("--borrow-max-seats", o.borrow_max_seats, "seats that may be borrowed at once")->group(group);
  cmd.add_option("--module", o.modules, "module item CODE[:FEATURES[:UNITS[:TEXT]]], repeatable")->group(group);
}

bool HasAnyItemOption(const ItemOptions& o) {
  for (const std::string* s :
       {&o.feature_map, &o.units, &o.expiration, &o.activation_time, &o.usage_period,
        &o.maintenance_until, &o.license_quantity, &o.access_modes, &o.linger_time, &o.text,
        &o.protected_data, &o.hidden_data, &o.hidden_access_code, &o.secret_data,
        &o.checkpoint_days, &o.borrow_max_days, &o.borrow_max_seats}) {
    if (!s->empty()) return true;
  }
  return !o.modules.empty();
}

Result<model::ProductItem> BuildProductItem(uint32_t product_code, const ItemOptions& o, UnixTime now) {
  model::ProductItem item;
  item.product_code = product_code;
  for (const std::string* s : {&o.units, &o.expiration, &o.activation_time, &o.usage_period,
                               &o.maintenance_until, &o.checkpoint_days}) {
    if (IsNone(*s)) {
      return Error(ErrorCode::kInvalidArgument, "'none' removes an option of an existing product; "
                                                "for a new product leave the option out");
    }
  }
  if (!o.feature_map.empty()) {
    LICET_ASSIGN_OR_RETURN(item.feature_map, U32(o.feature_map, "--feature-map"));
  }
  if (!o.units.empty()) {
    LICET_ASSIGN_OR_RETURN(uint64_t units, ParseNumber(o.units, UINT64_MAX, "--units"));
    item.unit_counter = units;
  }
  if (!o.expiration.empty()) {
    LICET_ASSIGN_OR_RETURN(item.expiration, ParseWhen(o.expiration, now, "--expiration"));
  }
  if (!o.activation_time.empty()) {
    LICET_ASSIGN_OR_RETURN(item.activation_time, ParseWhen(o.activation_time, now, "--activation-time"));
  }
  if (!o.usage_period.empty()) {
    auto d = ParseDuration(o.usage_period);
    if (!d.ok()) return d.status().WithContext("--usage-period");
    item.usage_period = *d;
  }
  if (!o.maintenance_until.empty()) {
    LICET_ASSIGN_OR_RETURN(item.maintenance_until, ParseWhen(o.maintenance_until, now, "--maintenance-until"));
  }
  if (!o.license_quantity.empty()) {
    LICET_ASSIGN_OR_RETURN(item.license_quantity, U32(o.license_quantity, "--license-quantity"));
  }
  if (!o.access_modes.empty()) {
    auto modes = model::ParseAccessModes(o.access_modes);
    if (!modes.ok()) return modes.status().WithContext("--access-modes");
    item.access_modes = *modes;
  }
  if (!o.linger_time.empty()) {
    auto d = ParseDuration(o.linger_time);
    if (!d.ok()) return d.status().WithContext("--linger-time");
    item.linger_time = *d;
  }
  item.text = o.text;
  if (!o.protected_data.empty()) {
    LICET_ASSIGN_OR_RETURN(item.protected_data, ParseData(o.protected_data, "--protected-data"));
  }
  if (!o.hidden_data.empty() || !o.hidden_access_code.empty()) {
    if (o.hidden_data.empty() || o.hidden_access_code.empty()) {
      return Error(ErrorCode::kInvalidArgument, "--hidden-data and --hidden-access-code go together");
    }
    LICET_ASSIGN_OR_RETURN(Bytes hidden, ParseData(o.hidden_data, "--hidden-data"));
    model::SetHiddenData(item, std::move(hidden), AsBytes(o.hidden_access_code));
  }
  if (!o.secret_data.empty()) {
    LICET_ASSIGN_OR_RETURN(item.secret_data, ParseSecret(o.secret_data));
  }
  if (!o.checkpoint_days.empty()) {
    LICET_ASSIGN_OR_RETURN(item.checkpoint_days, U32(o.checkpoint_days, "--checkpoint-days"));
  }
  if (!o.borrow_max_days.empty()) {
    LICET_ASSIGN_OR_RETURN(item.borrow.max_days, U32(o.borrow_max_days, "--borrow-max-days"));
  }
  if (!o.borrow_max_seats.empty()) {
    LICET_ASSIGN_OR_RETURN(item.borrow.max_seats, U32(o.borrow_max_seats, "--borrow-max-seats"));
  }
  for (const std::string& spec : o.modules) {
    LICET_ASSIGN_OR_RETURN(model::ModuleItem m, ParseModule(spec));
    item.modules.push_back(std::move(m));
  }
  LICET_RETURN_IF_ERROR(model::Validate(item));
  return item;
}

Result<std::optional<model::ProductPatch>> BuildProductPatch(const ItemOptions& o, UnixTime now) {
  if (!HasAnyItemOption(o)) return std::optional<model::ProductPatch>();
  if (!o.secret_data.empty()) {
    return Error(ErrorCode::kInvalidArgument,
                 "the secret data of a product cannot change: delete and add the product instead");
  }
  model::ProductPatch p;
  if (!o.feature_map.empty()) {
    LICET_ASSIGN_OR_RETURN(p.feature_map, U32(o.feature_map, "--feature-map"));
  }
  if (IsNone(o.units)) {
    p.clear_unit_counter = true;
  } else if (!o.units.empty()) {
    LICET_ASSIGN_OR_RETURN(p.unit_counter, ParseNumber(o.units, UINT64_MAX, "--units"));
  }
  if (IsNone(o.expiration)) {
    p.clear_expiration = true;
  } else if (!o.expiration.empty()) {
    LICET_ASSIGN_OR_RETURN(p.expiration, ParseWhen(o.expiration, now, "--expiration"));
  }
  if (IsNone(o.activation_time)) {
    p.clear_activation_time = true;
  } else if (!o.activation_time.empty()) {
    LICET_ASSIGN_OR_RETURN(p.activation_time, ParseWhen(o.activation_time, now, "--activation-time"));
  }
  if (IsNone(o.usage_period)) {
    p.clear_usage_period = true;
  } else if (!o.usage_period.empty()) {
    auto d = ParseDuration(o.usage_period);
    if (!d.ok()) return d.status().WithContext("--usage-period");
    p.usage_period = *d;
  }
  if (IsNone(o.maintenance_until)) {
    p.clear_maintenance_until = true;
  } else if (!o.maintenance_until.empty()) {
    LICET_ASSIGN_OR_RETURN(p.maintenance_until, ParseWhen(o.maintenance_until, now, "--maintenance-until"));
  }
  if (!o.license_quantity.empty()) {
    LICET_ASSIGN_OR_RETURN(p.license_quantity, U32(o.license_quantity, "--license-quantity"));
  }
  if (!o.access_modes.empty()) {
    auto modes = model::ParseAccessModes(o.access_modes);
    if (!modes.ok()) return modes.status().WithContext("--access-modes");
    p.access_modes = *modes;
  }
  if (!o.linger_time.empty()) {
    auto d = ParseDuration(o.linger_time);
    if (!d.ok()) return d.status().WithContext("--linger-time");
    p.linger_time = *d;
  }
  if (!o.text.empty()) p.text = o.text;
  if (!o.protected_data.empty()) {
    LICET_ASSIGN_OR_RETURN(p.protected_data, ParseData(o.protected_data, "--protected-data"));
  }
  if (!o.hidden_data.empty() || !o.hidden_access_code.empty()) {
    if (o.hidden_data.empty() || o.hidden_access_code.empty()) {
      return Error(ErrorCode::kInvalidArgument, "--hidden-data and --hidden-access-code go together");
    }
    LICET_ASSIGN_OR_RETURN(p.hidden_data, ParseData(o.hidden_data, "--hidden-data"));
    p.hidden_access_code = model::HashAccessCode(AsBytes(o.hidden_access_code));
  }
  if (IsNone(o.checkpoint_days)) {
    p.clear_checkpoint_days = true;
  } else if (!o.checkpoint_days.empty()) {
    LICET_ASSIGN_OR_RETURN(p.checkpoint_days, U32(o.checkpoint_days, "--checkpoint-days"));
  }
  if (!o.borrow_max_days.empty() || !o.borrow_max_seats.empty()) {
    model::BorrowRules rules;
    if (!o.borrow_max_days.empty()) {
      LICET_ASSIGN_OR_RETURN(rules.max_days, U32(o.borrow_max_days, "--borrow-max-days"));
    }
    if (!o.borrow_max_seats.empty()) {
      LICET_ASSIGN_OR_RETURN(rules.max_seats, U32(o.borrow_max_seats, "--borrow-max-seats"));
    }
    p.borrow = rules;
  }
  if (!o.modules.empty()) {
    std::vector<model::ModuleItem> modules;
    for (const std::string& spec : o.modules) {
      LICET_ASSIGN_OR_RETURN(model::ModuleItem m, ParseModule(spec));
      modules.push_back(std::move(m));
    }
    p.modules = std::move(modules);
  }
  LICET_RETURN_IF_ERROR(p.CheckConsistent());
  return std::optional<model::ProductPatch>(std::move(p));
}

}  // namespace licet::cli
