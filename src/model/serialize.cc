#include "model/serialize.h"

#include <exception>
#include <string>
#include <type_traits>
#include <utility>

#include "model/json_reader.h"

namespace licet::model {
namespace {

using internal::ElementPath;
using internal::ObjectReader;
using internal::ValidationError;
using nlohmann::json;
using Need = ObjectReader::Need;

// Keys shared by ProductItem and ProductPatch.
constexpr const char kCode[] = "code";
constexpr const char kFeatures[] = "features";
constexpr const char kUnits[] = "units";
constexpr const char kExpires[] = "expires";
constexpr const char kActiveFrom[] = "active_from";
constexpr const char kUsagePeriod[] = "usage_period";
constexpr const char kUsageStarted[] = "usage_started";
constexpr const char kMaintenance[] = "maintenance_until";
constexpr const char kQuantity[] = "quantity";
constexpr const char kModes[] = "modes";
constexpr const char kLinger[] = "linger";
constexpr const char kText[] = "text";
constexpr const char kProtected[] = "protected";
constexpr const char kHidden[] = "hidden";
constexpr const char kHiddenCode[] = "hidden_code";
constexpr const char kSecret[] = "secret";
constexpr const char kCheckpointDays[] = "checkpoint_days";
constexpr const char kLastCheckpoint[] = "last_checkpoint";
constexpr const char kBorrow[] = "borrow";
constexpr const char kModules[] = "modules";
constexpr const char kClear[] = "clear";

json Binary(ByteSpan bytes) { return json::binary(Bytes(bytes.begin(), bytes.end())); }

// The public decoders promise never to throw; nlohmann only throws on misuse we check for,
// and allocation can fail, so a catch-all at the boundary turns either into a Status.
template <typename T, typename F>
Result<T> NoThrow(F&& decode) {
  try {
    return decode();
  } catch (const std::exception& e) {
    return Error(ErrorCode::kCorruptData, std::string("cannot decode: ") + e.what());
  }
}

// ---- Writing ----

// Times and durations are written as unsigned integers (CBOR major type 0), which is what
// the reader accepts; a negative value (an invalid item) stays signed and is refused on
// reading.
json Seconds(int64_t value) {
  return value >= 0 ? json(static_cast<uint64_t>(value)) : json(value);
}

template <typename T>
void PutOptional(json& j, const char* key, const std::optional<T>& value) {
  if (!value) return;
  if constexpr (std::is_same_v<T, int64_t>) {
    j[key] = Seconds(*value);
  } else {
    j[key] = *value;
  }
}

json BorrowToJson(const BorrowRules& borrow) {
  return {{"days", borrow.max_days}, {"seats", borrow.max_seats}};
}

json ModulesToJson(const std::vector<ModuleItem>& modules) {
  json array = json::array();
  for (const ModuleItem& module : modules) array.push_back(ToJson(module));
  return array;
}

// ---- Reading ----

Result<BorrowRules> ReadBorrow(const json& j, const std::string& path) {
  ObjectReader r(j, path);
  BorrowRules borrow;
  r.Required("days", borrow.max_days);
  r.Required("seats", borrow.max_seats);
  LICET_RETURN_IF_ERROR(r.Finish());
  return borrow;
}

Result<ModuleItem> ReadModule(const json& j, const std::string& path) {
  ObjectReader r(j, path);
  ModuleItem module;
  r.Required(kCode, module.product_code);
  r.Required(kFeatures, module.feature_map);
  r.Optional(kUnits, module.unit_counter);
  r.ReadString(kText, kMaxTextSize, &module.text, Need::kOptional);
  LICET_RETURN_IF_ERROR(r.Finish());
  LICET_RETURN_IF_ERROR(ValidationError(path, Validate(module)));
  return module;
}

Result<std::vector<ModuleItem>> ReadModules(const json& array, const std::string& path) {
  std::vector<ModuleItem> modules;
  modules.reserve(array.size());
  for (size_t i = 0; i < array.size(); ++i) {
    LICET_ASSIGN_OR_RETURN(ModuleItem module, ReadModule(array[i], ElementPath(path, i)));
    modules.push_back(std::move(module));
  }
  return modules;
}

// Reads the secret into the item, wiping the plain copy the reader made.
void ReadSecret(ObjectReader& r, ProductItem& item) {
  Bytes secret;
  if (r.ReadBytes(kSecret, kSecretSize, &secret, Need::kOptional)) {
    item.secret_data = ItemSecret(ByteSpan(secret));
  }
  // SecureWipe's explicit_bzero must not get the null data() of an empty vector.
  if (!secret.empty()) SecureWipe(secret.data(), secret.size());
}

Result<ProductItem> ReadProduct(const json& j, const std::string& path) {
  ObjectReader r(j, path);
  ProductItem item;
  r.Required(kCode, item.product_code);
  r.Required(kFeatures, item.feature_map);
  r.Optional(kUnits, item.unit_counter);
  r.Seconds(kExpires, kMaxTime, item.expiration);
  r.Seconds(kActiveFrom, kMaxTime, item.activation_time);
  r.Seconds(kUsagePeriod, kMaxUsagePeriod, item.usage_period);
  r.Seconds(kUsageStarted, kMaxTime, item.usage_started);
  r.Seconds(kMaintenance, kMaxTime, item.maintenance_until);
  r.Defaulted(kQuantity, item.license_quantity);
  r.Defaulted(kModes, item.access_modes);
  r.Seconds(kLinger, kMaxLingerTime, item.linger_time, Need::kOptional);
  r.ReadString(kText, kMaxTextSize, &item.text, Need::kOptional);
  r.ReadBytes(kProtected, kMaxDataSize, &item.protected_data, Need::kOptional);
  r.ReadBytes(kHidden, kMaxDataSize, &item.hidden_data, Need::kOptional);
  r.ReadBytes(kHiddenCode, kAccessCodeHashSize, &item.hidden_access_code, Need::kOptional);
  ReadSecret(r, item);
  r.Optional(kCheckpointDays, item.checkpoint_days);
  r.Seconds(kLastCheckpoint, kMaxTime, item.last_checkpoint);
  if (const json* borrow = r.ReadObject(kBorrow, Need::kOptional)) {
    auto read = ReadBorrow(*borrow, r.PathOf(kBorrow));
    r.Absorb(read.status());
    if (read.ok()) item.borrow = *read;
  }
  if (const json* modules = r.ReadArray(kModules, kMaxModulesPerProduct, Need::kOptional)) {
    auto read = ReadModules(*modules, r.PathOf(kModules));
    r.Absorb(read.status());
    if (read.ok()) item.modules = std::move(*read);
  }
  LICET_RETURN_IF_ERROR(r.Finish());
  LICET_RETURN_IF_ERROR(ValidationError(path, Validate(item)));
  return item;
}

Result<FirmItem> ReadFirm(const json& j, const std::string& path) {
  ObjectReader r(j, path);
  FirmItem firm;
  r.Required("firm", firm.firm_code);
  r.ReadString("name", kMaxFirmNameSize, &firm.name, Need::kRequired);
  r.ReadBytes("key", kPublicKeySize, &firm.public_key, Need::kRequired);
  r.Required("fuc", firm.fuc);
  if (const json* products = r.ReadArray("products", kMaxProductsPerFirm, Need::kRequired)) {
    firm.products.reserve(products->size());
    for (size_t i = 0; i < products->size() && r.ok(); ++i) {
      auto read = ReadProduct((*products)[i], ElementPath(r.PathOf("products"), i));
      r.Absorb(read.status());
      if (read.ok()) firm.products.push_back(std::move(*read));
    }
  }
  LICET_RETURN_IF_ERROR(r.Finish());
  LICET_RETURN_IF_ERROR(ValidationError(path, Validate(firm)));
  return firm;
}

Result<ContainerState> ReadState(const json& j) {
  ObjectReader r(j, "");
  ContainerState state;
  if (const json* firms = r.ReadArray("firms", kMaxFirmsPerContainer, Need::kRequired)) {
    state.firms.reserve(firms->size());
    for (size_t i = 0; i < firms->size() && r.ok(); ++i) {
      auto read = ReadFirm((*firms)[i], ElementPath("firms", i));
      r.Absorb(read.status());
      if (read.ok()) state.firms.push_back(std::move(*read));
    }
  }
  r.Seconds("certified_time", kMaxTime, state.certified_time, Need::kRequired);
  r.Seconds("highest_time", kMaxTime, state.highest_time_seen, Need::kRequired);
  LICET_RETURN_IF_ERROR(r.Finish());
  LICET_RETURN_IF_ERROR(ValidationError("", Validate(state)));
  return state;
}

// ---- Patches ----

struct Clearable {
  const char* key;
  bool ProductPatch::*flag;
};
constexpr Clearable kClearable[] = {
    {kUnits, &ProductPatch::clear_unit_counter},
    {kExpires, &ProductPatch::clear_expiration},
    {kActiveFrom, &ProductPatch::clear_activation_time},
    {kUsagePeriod, &ProductPatch::clear_usage_period},
    {kMaintenance, &ProductPatch::clear_maintenance_until},
    {kCheckpointDays, &ProductPatch::clear_checkpoint_days},
};

void ReadClear(ObjectReader& r, ProductPatch& patch) {
  const json* clear = r.ReadArray(kClear, std::size(kClearable), Need::kOptional);
  if (clear == nullptr) return;
  for (size_t i = 0; i < clear->size(); ++i) {
    const json& name = (*clear)[i];
    const Clearable* match = nullptr;
    if (name.is_string()) {
      for (const Clearable& c : kClearable) {
        if (name.get_ref<const std::string&>() == c.key) match = &c;
      }
    }
    if (match == nullptr) {
      r.Fail(kClear, "element " + std::to_string(i) +
                         " must name a clearable field (units, "
                         "expires, active_from, usage_period, maintenance_until, checkpoint_days)");
      return;
    }
    if (patch.*(match->flag)) {
      r.Fail(kClear, std::string("names ") + match->key + " twice");
      return;
    }
    patch.*(match->flag) = true;
  }
}

Result<ProductPatch> ReadPatch(const json& j, const std::string& path) {
  ObjectReader r(j, path);
  ProductPatch patch;
  r.Optional(kFeatures, patch.feature_map);
  r.Optional(kUnits, patch.unit_counter);
  r.Seconds(kExpires, kMaxTime, patch.expiration);
  r.Seconds(kActiveFrom, kMaxTime, patch.activation_time);
  r.Seconds(kUsagePeriod, kMaxUsagePeriod, patch.usage_period);
  r.Seconds(kMaintenance, kMaxTime, patch.maintenance_until);
  r.Optional(kQuantity, patch.license_quantity);
  r.Optional(kModes, patch.access_modes);
  r.Seconds(kLinger, kMaxLingerTime, patch.linger_time);
  std::string text;
  if (r.ReadString(kText, kMaxTextSize, &text, Need::kOptional)) patch.text = std::move(text);
  Bytes bytes;
  if (r.ReadBytes(kProtected, kMaxDataSize, &bytes, Need::kOptional)) patch.protected_data = bytes;
  if (r.ReadBytes(kHidden, kMaxDataSize, &bytes, Need::kOptional)) patch.hidden_data = bytes;
  if (r.ReadBytes(kHiddenCode, kAccessCodeHashSize, &bytes, Need::kOptional)) {
    patch.hidden_access_code = bytes;
  }
  r.Optional(kCheckpointDays, patch.checkpoint_days);
  if (const json* borrow = r.ReadObject(kBorrow, Need::kOptional)) {
    auto read = ReadBorrow(*borrow, r.PathOf(kBorrow));
    r.Absorb(read.status());
    if (read.ok()) patch.borrow = *read;
  }
  if (const json* modules = r.ReadArray(kModules, kMaxModulesPerProduct, Need::kOptional)) {
    auto read = ReadModules(*modules, r.PathOf(kModules));
    r.Absorb(read.status());
    if (read.ok()) patch.modules = std::move(*read);
  }
  ReadClear(r, patch);
  LICET_RETURN_IF_ERROR(r.Finish());
  LICET_RETURN_IF_ERROR(ValidationError(path, patch.CheckConsistent()));
  return patch;
}

// ---- Operations ----

Result<OperationBody> ReadBody(ObjectReader& r, OperationKind kind) {
  switch (kind) {
    case OperationKind::kAddFirmItem: {
      op::AddFirmItem add;
      r.ReadString("name", kMaxFirmNameSize, &add.name, Need::kRequired);
      r.ReadBytes("key", kPublicKeySize, &add.public_key, Need::kRequired);
      return OperationBody(std::move(add));
    }
    case OperationKind::kAddProduct: {
      op::AddProduct add;
      if (const json* item = r.ReadObject("item", Need::kRequired)) {
        auto read = ReadProduct(*item, r.PathOf("item"));
        r.Absorb(read.status());
        if (read.ok()) add.item = std::move(*read);
      }
      return OperationBody(std::move(add));
    }
    case OperationKind::kModifyProduct: {
      op::ModifyProduct modify;
      r.Required(kCode, modify.product_code);
      if (const json* patch = r.ReadObject("patch", Need::kRequired)) {
        auto read = ReadPatch(*patch, r.PathOf("patch"));
        r.Absorb(read.status());
        if (read.ok()) modify.patch = std::move(*read);
      }
      return OperationBody(std::move(modify));
    }
    case OperationKind::kDeleteProduct: {
      op::DeleteProduct del;
      r.Required(kCode, del.product_code);
      return OperationBody(del);
    }
    case OperationKind::kSetUnits: {
      op::SetUnits set;
      r.Required(kCode, set.product_code);
      r.Required(kUnits, set.units);
      return OperationBody(set);
    }
    case OperationKind::kAddUnits: {
      op::AddUnits add;
      r.Required(kCode, add.product_code);
      r.ReadInt("delta", &add.delta, Need::kRequired);
      return OperationBody(add);
    }
    case OperationKind::kSetExpiration: {
      op::SetExpiration set;
      r.Required(kCode, set.product_code);
      r.Seconds(kExpires, kMaxTime, set.expiration, Need::kRequired);
      return OperationBody(set);
    }
  }
  return Error(ErrorCode::kCorruptData, r.path() + " has an unknown operation kind");
}

Result<Operation> ReadOperation(const json& j, const std::string& path) {
  ObjectReader r(j, path);
  Operation op;
  r.Required("fuc", op.fuc);
  if (r.ok() && op.fuc == 0) r.Fail("fuc", "must be at least 1");
  std::string name;
  if (!r.ReadString("op", 64, &name, Need::kRequired)) return r.Finish();
  const std::optional<OperationKind> kind = ParseOperationKind(name);
  if (!kind) {
    r.Fail("op", "names an unknown operation kind " + QuoteText(name));
    return r.Finish();
  }
  LICET_ASSIGN_OR_RETURN(op.body, ReadBody(r, *kind));
  LICET_RETURN_IF_ERROR(r.Finish());
  return op;
}

Result<std::vector<Operation>> ReadOperations(const json& j) {
  if (!j.is_array()) return Error(ErrorCode::kCorruptData, "operations must be an array");
  if (j.size() > kMaxOperations) {
    return Error(ErrorCode::kCorruptData, "update has " + std::to_string(j.size()) +
                                              " operations, at most " +
                                              std::to_string(kMaxOperations) + " allowed");
  }
  std::vector<Operation> ops;
  ops.reserve(j.size());
  for (size_t i = 0; i < j.size(); ++i) {
    LICET_ASSIGN_OR_RETURN(Operation op, ReadOperation(j[i], ElementPath("ops", i)));
    ops.push_back(std::move(op));
  }
  return ops;
}

}  // namespace

// ---- Public: items ----

json ToJson(const ModuleItem& module) {
  json j = {{kCode, module.product_code}, {kFeatures, module.feature_map}};
  PutOptional(j, kUnits, module.unit_counter);
  if (!module.text.empty()) j[kText] = module.text;
  return j;
}

json ToJson(const ProductItem& item) {
  json j = {{kCode, item.product_code}, {kFeatures, item.feature_map}};
  PutOptional(j, kUnits, item.unit_counter);
  PutOptional(j, kExpires, item.expiration);
  PutOptional(j, kActiveFrom, item.activation_time);
  PutOptional(j, kUsagePeriod, item.usage_period);
  PutOptional(j, kUsageStarted, item.usage_started);
  PutOptional(j, kMaintenance, item.maintenance_until);
  j[kQuantity] = item.license_quantity;
  j[kModes] = item.access_modes;
  if (item.linger_time != 0) j[kLinger] = Seconds(item.linger_time);
  if (!item.text.empty()) j[kText] = item.text;
  if (!item.protected_data.empty()) j[kProtected] = Binary(item.protected_data);
  if (!item.hidden_data.empty()) j[kHidden] = Binary(item.hidden_data);
  if (!item.hidden_access_code.empty()) j[kHiddenCode] = Binary(item.hidden_access_code);
  if (!item.secret_data.empty()) j[kSecret] = Binary(item.secret_data.span());
  PutOptional(j, kCheckpointDays, item.checkpoint_days);
  PutOptional(j, kLastCheckpoint, item.last_checkpoint);
  if (item.borrow != BorrowRules{}) j[kBorrow] = BorrowToJson(item.borrow);
  if (!item.modules.empty()) j[kModules] = ModulesToJson(item.modules);
  return j;
}

json ToJson(const FirmItem& firm) {
  json products = json::array();
  for (const ProductItem& item : firm.products) products.push_back(ToJson(item));
  return {{"firm", firm.firm_code},
          {"name", firm.name},
          {"key", Binary(firm.public_key)},
          {"fuc", firm.fuc},
          {"products", std::move(products)}};
}

json ToJson(const ContainerState& state) {
  json firms = json::array();
  for (const FirmItem& firm : state.firms) firms.push_back(ToJson(firm));
  return {{"firms", std::move(firms)},
          {"certified_time", Seconds(state.certified_time)},
          {"highest_time", Seconds(state.highest_time_seen)}};
}

Result<ModuleItem> ModuleItemFromJson(const json& j) {
  return NoThrow<ModuleItem>([&] { return ReadModule(j, ""); });
}

Result<ProductItem> ProductItemFromJson(const json& j) {
  return NoThrow<ProductItem>([&] { return ReadProduct(j, ""); });
}

Result<FirmItem> FirmItemFromJson(const json& j) {
  return NoThrow<FirmItem>([&] { return ReadFirm(j, ""); });
}

Result<ContainerState> ContainerStateFromJson(const json& j) {
  return NoThrow<ContainerState>([&] { return ReadState(j); });
}

// ---- Public: patches and operations ----

json ToJson(const ProductPatch& patch) {
  json j = json::object();
  PutOptional(j, kFeatures, patch.feature_map);
  PutOptional(j, kUnits, patch.unit_counter);
  PutOptional(j, kExpires, patch.expiration);
  PutOptional(j, kActiveFrom, patch.activation_time);
  PutOptional(j, kUsagePeriod, patch.usage_period);
  PutOptional(j, kMaintenance, patch.maintenance_until);
  PutOptional(j, kQuantity, patch.license_quantity);
  PutOptional(j, kModes, patch.access_modes);
  PutOptional(j, kLinger, patch.linger_time);
  PutOptional(j, kText, patch.text);
  if (patch.protected_data) j[kProtected] = Binary(*patch.protected_data);
  if (patch.hidden_data) j[kHidden] = Binary(*patch.hidden_data);
  if (patch.hidden_access_code) j[kHiddenCode] = Binary(*patch.hidden_access_code);
  PutOptional(j, kCheckpointDays, patch.checkpoint_days);
  if (patch.borrow) j[kBorrow] = BorrowToJson(*patch.borrow);
  if (patch.modules) j[kModules] = ModulesToJson(*patch.modules);
  json clear = json::array();
  for (const Clearable& c : kClearable) {
    if (patch.*(c.flag)) clear.push_back(c.key);
  }
  if (!clear.empty()) j[kClear] = std::move(clear);
  return j;
}

Result<ProductPatch> ProductPatchFromJson(const json& j) {
  return NoThrow<ProductPatch>([&] { return ReadPatch(j, ""); });
}

json ToJson(const Operation& op) {
  json j = {{"fuc", op.fuc}, {"op", OperationKindName(op.kind())}};
  std::visit(
      [&j](const auto& body) {
        using T = std::decay_t<decltype(body)>;
        if constexpr (std::is_same_v<T, op::AddFirmItem>) {
          j["name"] = body.name;
          j["key"] = Binary(body.public_key);
        } else if constexpr (std::is_same_v<T, op::AddProduct>) {
          j["item"] = ToJson(body.item);
        } else if constexpr (std::is_same_v<T, op::ModifyProduct>) {
          j[kCode] = body.product_code;
          j["patch"] = ToJson(body.patch);
        } else if constexpr (std::is_same_v<T, op::DeleteProduct>) {
          j[kCode] = body.product_code;
        } else if constexpr (std::is_same_v<T, op::SetUnits>) {
          j[kCode] = body.product_code;
          j[kUnits] = body.units;
        } else if constexpr (std::is_same_v<T, op::AddUnits>) {
          j[kCode] = body.product_code;
          j["delta"] = body.delta;
        } else {
          static_assert(std::is_same_v<T, op::SetExpiration>);
          j[kCode] = body.product_code;
          j[kExpires] = Seconds(body.expiration);
        }
      },
      op.body);
  return j;
}

Result<Operation> OperationFromJson(const json& j) {
  return NoThrow<Operation>([&] { return ReadOperation(j, ""); });
}

json OperationsToJson(std::span<const Operation> ops) {
  json array = json::array();
  for (const Operation& op : ops) array.push_back(ToJson(op));
  return array;
}

Result<std::vector<Operation>> OperationsFromJson(const json& j) {
  return NoThrow<std::vector<Operation>>([&] { return ReadOperations(j); });
}

}  // namespace licet::model
