#include "model/items.h"

#include <algorithm>
#include <array>
#include <set>
#include <utility>

#include "crypto/crypto.h"

namespace licet::model {
namespace {

constexpr std::array<std::pair<AccessMode, const char*>, 4> kModeNames = {{
    {AccessMode::kUserLimit, "user-limit"},
    {AccessMode::kStationShare, "station-share"},
    {AccessMode::kExclusive, "exclusive"},
    {AccessMode::kNoUserLimit, "no-user-limit"},
}};

std::string_view Trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

Status Invalid(const std::string& what, const std::string& message) {
  return Error(ErrorCode::kInvalidArgument, what + ": " + message);
}

std::string ProductName(uint32_t code) { return "product " + std::to_string(code); }

Status CheckTime(const std::string& what, const char* field, UnixTime t) {
  if (t < 0 || t > kMaxTime) {
    return Invalid(
        what, std::string(field) + " " + std::to_string(t) + " is outside 1970-01-01..9999-12-31");
  }
  return Status::Ok();
}

Status CheckOptionalTime(const std::string& what, const char* field,
                         const std::optional<UnixTime>& t) {
  return t ? CheckTime(what, field, *t) : Status::Ok();
}

Status CheckText(const std::string& what, const char* field, std::string_view text,
                 size_t max_size) {
  if (text.size() > max_size) {
    return Invalid(what, std::string(field) + " is " + std::to_string(text.size()) +
                             " bytes, at most " + std::to_string(max_size) + " are allowed");
  }
  if (!IsValidUtf8(text)) return Invalid(what, std::string(field) + " is not valid UTF-8");
  return Status::Ok();
}

Status CheckSize(const std::string& what, const char* field, size_t size, size_t max_size) {
  if (size > max_size) {
    return Invalid(what, std::string(field) + " is " + std::to_string(size) + " bytes, at most " +
                             std::to_string(max_size) + " are allowed");
  }
  return Status::Ok();
}

// Adds `code` to `seen`; an error naming `what` when it was there already.
Status ClaimCode(std::set<uint32_t>& seen, uint32_t code, const std::string& what) {
  if (!seen.insert(code).second) {
    return Invalid(what, "product code " + std::to_string(code) +
                             " is used twice (product and module codes must be distinct)");
  }
  return Status::Ok();
}

template <typename Product>
Product* FindByCode(std::vector<Product>& products, uint32_t code) {
  auto it = std::find_if(products.begin(), products.end(),
                         [code](const Product& p) { return p.product_code == code; });
  return it == products.end() ? nullptr : &*it;
}

}  // namespace

const char* AccessModeName(AccessMode mode) {
  for (const auto& [m, name] : kModeNames) {
    if (m == mode) return name;
  }
  return "unknown";
}

Result<AccessMode> ParseAccessMode(std::string_view name) {
  for (const auto& [m, mode_name] : kModeNames) {
    if (name == mode_name) return m;
  }
  return Error(ErrorCode::kInvalidArgument,
               "unknown access mode '" + std::string(name) +
                   "' (use user-limit, station-share, exclusive or no-user-limit)");
}

std::string FormatAccessModes(AccessModeMask mask) {
  std::string out;
  for (const auto& [m, name] : kModeNames) {
    if (!Allows(mask, m)) continue;
    if (!out.empty()) out += ',';
    out += name;
  }
  return out;
}

Result<AccessModeMask> ParseAccessModes(std::string_view list) {
  AccessModeMask mask = 0;
  size_t start = 0;
  while (start <= list.size()) {
    size_t comma = list.find(',', start);
    if (comma == std::string_view::npos) comma = list.size();
    std::string_view name = Trim(list.substr(start, comma - start));
    LICET_ASSIGN_OR_RETURN(AccessMode mode, ParseAccessMode(name));
    if (Allows(mask, mode)) {
      return Error(ErrorCode::kInvalidArgument,
                   "access mode '" + std::string(name) + "' is listed twice");
    }
    mask |= ModeBit(mode);
    start = comma + 1;
  }
  return mask;
}

bool ItemSecret::operator==(const ItemSecret& other) const {
  return crypto::ConstantTimeEqual(span(), other.span());
}

Result<SecretBytes> DeriveProductSecret(const SecretBytes& firm_secret, uint32_t firm_code,
                                        uint32_t product_code) {
  if (firm_secret.size() != kSecretSize) {
    return Error(ErrorCode::kInvalidArgument,
                 "firm secret must be " + std::to_string(kSecretSize) + " bytes");
  }
  static constexpr std::string_view kSalt = "licet/product-secret/v1";
  const uint8_t info[8] = {
      static_cast<uint8_t>(firm_code >> 24),    static_cast<uint8_t>(firm_code >> 16),
      static_cast<uint8_t>(firm_code >> 8),     static_cast<uint8_t>(firm_code),
      static_cast<uint8_t>(product_code >> 24), static_cast<uint8_t>(product_code >> 16),
      static_cast<uint8_t>(product_code >> 8),  static_cast<uint8_t>(product_code)};
  return crypto::HkdfSha256(firm_secret.span(), AsBytes(kSalt), ByteSpan(info, sizeof info),
                            kSecretSize);
}

Bytes HashAccessCode(ByteSpan access_code) {
  crypto::Hash hash = crypto::Sha256(access_code);
  return Bytes(hash.begin(), hash.end());
}

bool ProductItem::HasTimeLimits() const {
  return expiration.has_value() || activation_time.has_value() || usage_period.has_value() ||
         checkpoint_days.has_value();
}

const ModuleItem* ProductItem::FindModule(uint32_t module_code) const {
  return const_cast<ProductItem*>(this)->FindModule(module_code);
}

ModuleItem* ProductItem::FindModule(uint32_t module_code) {
  return FindByCode(modules, module_code);
}

void SetHiddenData(ProductItem& item, Bytes data, ByteSpan access_code) {
  item.hidden_data = std::move(data);
  item.hidden_access_code = HashAccessCode(access_code);
}

bool MarkFirstUse(ProductItem& item, UnixTime now) {
  if (!item.usage_period || item.usage_started) return false;
  item.usage_started = now;
  return true;
}

const ProductItem* FirmItem::FindProduct(uint32_t product_code) const {
  return const_cast<FirmItem*>(this)->FindProduct(product_code);
}

ProductItem* FirmItem::FindProduct(uint32_t product_code) {
  return FindByCode(products, product_code);
}

const ProductItem* FirmItem::FindModuleParent(uint32_t module_code) const {
  return const_cast<FirmItem*>(this)->FindModuleParent(module_code);
}

ProductItem* FirmItem::FindModuleParent(uint32_t module_code) {
  for (ProductItem& product : products) {
    if (product.FindModule(module_code) != nullptr) return &product;
  }
  return nullptr;
}

const FirmItem* ContainerState::FindFirm(uint32_t firm_code) const {
  return const_cast<ContainerState*>(this)->FindFirm(firm_code);
}

FirmItem* ContainerState::FindFirm(uint32_t firm_code) {
  auto it = std::find_if(firms.begin(), firms.end(),
                         [firm_code](const FirmItem& f) { return f.firm_code == firm_code; });
  return it == firms.end() ? nullptr : &*it;
}

const ProductItem* ContainerState::FindProduct(uint32_t firm_code, uint32_t product_code) const {
  return const_cast<ContainerState*>(this)->FindProduct(firm_code, product_code);
}

ProductItem* ContainerState::FindProduct(uint32_t firm_code, uint32_t product_code) {
  FirmItem* firm = FindFirm(firm_code);
  return firm ? firm->FindProduct(product_code) : nullptr;
}

Status Validate(const ModuleItem& module) {
  const std::string what = "module " + std::to_string(module.product_code);
  if (module.product_code == 0) return Invalid("module", "product_code must not be 0");
  return CheckText(what, "text", module.text, kMaxTextSize);
}

Status Validate(const ProductItem& item) {
  const std::string what = ProductName(item.product_code);
  if (item.product_code == 0) return Invalid("product", "product_code must not be 0");
  LICET_RETURN_IF_ERROR(CheckOptionalTime(what, "expiration", item.expiration));
  LICET_RETURN_IF_ERROR(CheckOptionalTime(what, "activation_time", item.activation_time));
  LICET_RETURN_IF_ERROR(CheckOptionalTime(what, "usage_started", item.usage_started));
  LICET_RETURN_IF_ERROR(CheckOptionalTime(what, "maintenance_until", item.maintenance_until));
  LICET_RETURN_IF_ERROR(CheckOptionalTime(what, "last_checkpoint", item.last_checkpoint));
  if (item.expiration && item.activation_time && *item.activation_time >= *item.expiration) {
    return Invalid(what, "activation_time " + FormatTime(*item.activation_time) +
                             " must be before expiration " + FormatTime(*item.expiration));
  }
  if (item.usage_period && (*item.usage_period <= 0 || *item.usage_period > kMaxUsagePeriod)) {
    return Invalid(what, "usage_period must be between 1 second and 100 years");
  }
  if (item.usage_started && !item.usage_period) {
    return Invalid(what, "usage_started is set but the item has no usage_period");
  }
  if (item.license_quantity == 0) return Invalid(what, "license_quantity must be at least 1");
  if (item.access_modes == 0 || (item.access_modes & ~kAllAccessModeBits) != 0) {
    return Invalid(what,
                   "access_modes must be a non-empty set of user-limit, station-share, "
                   "exclusive and no-user-limit");
  }
  if (item.linger_time < 0 || item.linger_time > kMaxLingerTime) {
    return Invalid(what, "linger_time must be between 0 and 366 days");
  }
  LICET_RETURN_IF_ERROR(CheckText(what, "text", item.text, kMaxTextSize));
  LICET_RETURN_IF_ERROR(
      CheckSize(what, "protected_data", item.protected_data.size(), kMaxDataSize));
  LICET_RETURN_IF_ERROR(CheckSize(what, "hidden_data", item.hidden_data.size(), kMaxDataSize));
  if (!item.hidden_access_code.empty() && item.hidden_access_code.size() != kAccessCodeHashSize) {
    return Invalid(what, "hidden_access_code must be a 32-byte SHA-256 hash");
  }
  if (!item.hidden_data.empty() && item.hidden_access_code.empty()) {
    return Invalid(what, "hidden_data needs a hidden_access_code");
  }
  if (!item.secret_data.empty() && item.secret_data.size() != kSecretSize) {
    return Invalid(what, "secret_data must be 32 bytes, or empty to use the derived secret");
  }
  if (item.checkpoint_days &&
      (*item.checkpoint_days == 0 || *item.checkpoint_days > kMaxCheckpointDays)) {
    return Invalid(what,
                   "checkpoint_days must be between 1 and " + std::to_string(kMaxCheckpointDays));
  }
  if (item.last_checkpoint && !item.checkpoint_days) {
    return Invalid(what, "last_checkpoint is set but the item has no checkpoint_days");
  }
  if ((item.borrow.max_days == 0) != (item.borrow.max_seats == 0)) {
    return Invalid(what, "borrow needs both max_days and max_seats, or neither");
  }
  if (item.borrow.max_days > kMaxBorrowDays) {
    return Invalid(what, "borrow max_days must be at most " + std::to_string(kMaxBorrowDays));
  }
  if (item.borrow.max_seats > item.license_quantity) {
    return Invalid(what, "borrow max_seats " + std::to_string(item.borrow.max_seats) +
                             " exceeds license_quantity " + std::to_string(item.license_quantity));
  }
  if (item.modules.size() > kMaxModulesPerProduct) {
    return Invalid(what, "has " + std::to_string(item.modules.size()) + " modules, at most " +
                             std::to_string(kMaxModulesPerProduct) + " are allowed");
  }
  std::set<uint32_t> codes = {item.product_code};
  for (const ModuleItem& module : item.modules) {
    LICET_RETURN_IF_ERROR(Validate(module).WithContext(what));
    LICET_RETURN_IF_ERROR(ClaimCode(codes, module.product_code, what));
  }
  return Status::Ok();
}

Status Validate(const FirmItem& firm) {
  const std::string what = "firm " + std::to_string(firm.firm_code);
  if (firm.firm_code == 0) return Invalid("firm", "firm_code must not be 0");
  LICET_RETURN_IF_ERROR(CheckText(what, "name", firm.name, kMaxFirmNameSize));
  if (firm.public_key.size() != kPublicKeySize) {
    return Invalid(what, "public_key must be a 32-byte Ed25519 key");
  }
  if (firm.products.size() > kMaxProductsPerFirm) {
    return Invalid(what, "has " + std::to_string(firm.products.size()) + " products, at most " +
                             std::to_string(kMaxProductsPerFirm) + " are allowed");
  }
  std::set<uint32_t> codes;
  for (const ProductItem& product : firm.products) {
    LICET_RETURN_IF_ERROR(Validate(product).WithContext(what));
    LICET_RETURN_IF_ERROR(ClaimCode(codes, product.product_code, what));
    for (const ModuleItem& module : product.modules) {
      LICET_RETURN_IF_ERROR(ClaimCode(codes, module.product_code, what));
    }
  }
  return Status::Ok();
}

Status Validate(const ContainerState& state) {
  if (state.firms.size() > kMaxFirmsPerContainer) {
    return Invalid("container", "has " + std::to_string(state.firms.size()) +
                                    " firm items, at most " +
                                    std::to_string(kMaxFirmsPerContainer) + " are allowed");
  }
  LICET_RETURN_IF_ERROR(CheckTime("container", "certified_time", state.certified_time));
  LICET_RETURN_IF_ERROR(CheckTime("container", "highest_time_seen", state.highest_time_seen));
  std::set<uint32_t> codes;
  for (const FirmItem& firm : state.firms) {
    LICET_RETURN_IF_ERROR(Validate(firm));
    if (!codes.insert(firm.firm_code).second) {
      return Invalid("container", "firm " + std::to_string(firm.firm_code) + " appears twice");
    }
  }
  return Status::Ok();
}

}  // namespace licet::model
