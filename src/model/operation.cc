#include "model/operation.h"

#include <algorithm>
#include <array>
#include <limits>
#include <utility>

#include "model/display.h"

namespace licet::model {
namespace {

constexpr std::array<const char*, 7> kKindNames = {
    "add_firm_item", "add_product", "modify_product", "delete_product",
    "set_units",     "add_units",   "set_expiration"};
static_assert(kKindNames.size() == std::variant_size_v<OperationBody>);

std::string Code(uint32_t code) { return std::to_string(code); }

std::string TimeOrNone(const std::optional<UnixTime>& t) { return t ? FormatTime(*t) : "none"; }

std::string UnitsOrNone(const std::optional<uint64_t>& u) {
  return u ? std::to_string(*u) : "none";
}

std::string DurationOrNone(const std::optional<int64_t>& d) {
  return d ? FormatDuration(*d) : "none";
}

std::string BorrowText(const BorrowRules& b) {
  return b.allowed()
             ? std::to_string(b.max_days) + " days/" + std::to_string(b.max_seats) + " seats"
             : "not allowed";
}

// Records "label old -> new" in `changes` and assigns, when the value differs.
template <typename T, typename Format>
void Change(std::vector<std::string>& changes, const char* label, T& field, const T& value,
            Format format) {
  if (field == value) return;
  changes.push_back(std::string(label) + " " + format(field) + " -> " + format(value));
  field = value;
}

// Applies a "set or clear" pair of an optional field.
template <typename T, typename Format>
void ChangeOptional(std::vector<std::string>& changes, const char* label, std::optional<T>& field,
                    const std::optional<T>& value, bool clear, Format format) {
  if (clear) {
    Change(changes, label, field, std::optional<T>(), format);
  } else if (value) {
    Change(changes, label, field, value, format);
  }
}

// Every operation on an item with a checkpoint is an online contact with the vendor, so it
// renews the checkpoint to the update's certified time (never backwards: files may be old).
bool RenewCheckpoint(ProductItem& item, UnixTime certified_time) {
  if (!item.checkpoint_days) return false;
  if (item.last_checkpoint && *item.last_checkpoint >= certified_time) return false;
  item.last_checkpoint = certified_time;
  return true;
}

// kAlreadyExists when `code` names a product or module of `firm` other than in `except`.
Status CheckCodeFree(const FirmItem& firm, uint32_t code, const ProductItem* except) {
  for (const ProductItem& product : firm.products) {
    if (&product == except) continue;
    if (product.product_code == code) {
      return Error(ErrorCode::kAlreadyExists, "product " + Code(code) + " exists already");
    }
    if (product.FindModule(code) != nullptr) {
      return Error(
          ErrorCode::kAlreadyExists,
          "code " + Code(code) + " is already a module of product " + Code(product.product_code));
    }
  }
  return Status::Ok();
}

Status EntryNotFound(uint32_t code) {
  return Error(ErrorCode::kEntryNotFound, "product " + Code(code) + " is not in the container");
}

// Where a unit operation's counter lives: a product's or a module's.
struct UnitTarget {
  ProductItem* product = nullptr;  // the product, or the module's parent
  std::optional<uint64_t>* counter = nullptr;
  std::string label;  // "201010" or "module 201011 (of 201010)"
};

Result<UnitTarget> FindUnitTarget(FirmItem& firm, uint32_t code) {
  if (ProductItem* product = firm.FindProduct(code)) {
    return UnitTarget{product, &product->unit_counter, Code(code)};
  }
  if (ProductItem* parent = firm.FindModuleParent(code)) {
    return UnitTarget{parent, &parent->FindModule(code)->unit_counter,
                      "module " + Code(code) + " (of " + Code(parent->product_code) + ")"};
  }
  return EntryNotFound(code);
}

class Applier {
 public:
  Applier(FirmItem& firm, UnixTime certified_time, std::vector<std::string>& changes)
      : firm_(firm), certified_time_(certified_time), changes_(changes) {}

  Status operator()(const op::AddFirmItem& add) {
    if (firm_.fuc != 0) {
      return Error(ErrorCode::kAlreadyExists,
                   "firm item " + Code(firm_.firm_code) + " exists already");
    }
    firm_.name = add.name;
    firm_.public_key = add.public_key;
    LICET_RETURN_IF_ERROR(Validate(firm_));
    changes_.push_back("added firm item " + Code(firm_.firm_code) + " " + QuoteText(add.name));
    return Status::Ok();
  }

  Status operator()(const op::AddProduct& add) {
    const ProductItem& item = add.item;
    LICET_RETURN_IF_ERROR(Validate(item));
    LICET_RETURN_IF_ERROR(CheckCodeFree(firm_, item.product_code, nullptr));
    for (const ModuleItem& module : item.modules) {
      LICET_RETURN_IF_ERROR(CheckCodeFree(firm_, module.product_code, nullptr)
                                .WithContext("module of product " + Code(item.product_code)));
    }
    if (firm_.products.size() >= kMaxProductsPerFirm) {
      return Error(ErrorCode::kInvalidArgument, "firm " + Code(firm_.firm_code) + " has " +
                                                    std::to_string(kMaxProductsPerFirm) +
                                                    " products, no more can be added");
    }
    ProductItem added = item;
    if (!added.last_checkpoint) RenewCheckpoint(added, certified_time_);
    changes_.push_back("added " + DescribeProductItem(added));
    firm_.products.push_back(std::move(added));
    return Status::Ok();
  }

  Status operator()(const op::ModifyProduct& modify) {
    ProductItem* product = firm_.FindProduct(modify.product_code);
    if (product == nullptr) return EntryNotFound(modify.product_code);
    LICET_RETURN_IF_ERROR(modify.patch.CheckConsistent());
    ProductItem changed = *product;
    std::vector<std::string> fields = ApplyPatch(changed, modify.patch);
    LICET_RETURN_IF_ERROR(Validate(changed));
    for (const ModuleItem& module : changed.modules) {
      LICET_RETURN_IF_ERROR(CheckCodeFree(firm_, module.product_code, product)
                                .WithContext("module of product " + Code(modify.product_code)));
    }
    if (RenewCheckpoint(changed, certified_time_)) {
      fields.push_back("checkpoint renewed at " + FormatTime(certified_time_));
    }
    std::string line = "modified product " + Code(modify.product_code) + ": ";
    if (fields.empty()) {
      line += "no change";
    } else {
      for (size_t i = 0; i < fields.size(); ++i) line += (i ? "; " : "") + fields[i];
    }
    changes_.push_back(std::move(line));
    *product = std::move(changed);
    return Status::Ok();
  }

  Status operator()(const op::DeleteProduct& del) {
    auto it = std::find_if(firm_.products.begin(), firm_.products.end(), [&](const ProductItem& p) {
      return p.product_code == del.product_code;
    });
    if (it == firm_.products.end()) return EntryNotFound(del.product_code);
    firm_.products.erase(it);
    changes_.push_back("deleted product " + Code(del.product_code));
    return Status::Ok();
  }

  Status operator()(const op::SetUnits& set) {
    LICET_ASSIGN_OR_RETURN(UnitTarget target, FindUnitTarget(firm_, set.product_code));
    changes_.push_back("units of " + target.label + ": " + UnitsOrNone(*target.counter) + " -> " +
                       std::to_string(set.units));
    *target.counter = set.units;
    RenewCheckpoint(*target.product, certified_time_);
    return Status::Ok();
  }

  Status operator()(const op::AddUnits& add) {
    LICET_ASSIGN_OR_RETURN(UnitTarget target, FindUnitTarget(firm_, add.product_code));
    if (!target.counter->has_value()) {
      return Error(ErrorCode::kInvalidArgument, "product " + target.label +
                                                    " has no unit counter to add to "
                                                    "(a set_units operation creates one)");
    }
    const uint64_t before = **target.counter;
    uint64_t after;
    if (add.delta >= 0) {
      const auto delta = static_cast<uint64_t>(add.delta);
      if (before > std::numeric_limits<uint64_t>::max() - delta) {
        return Error(ErrorCode::kInvalidArgument, "units of " + target.label + " would overflow");
      }
      after = before + delta;
    } else {
      // -(delta + 1) + 1 avoids negating INT64_MIN.
      const uint64_t take = static_cast<uint64_t>(-(add.delta + 1)) + 1;
      if (take > before) {
        return Error(ErrorCode::kInvalidArgument,
                     "units of " + target.label + " would drop below 0 (has " +
                         std::to_string(before) + ", delta " + std::to_string(add.delta) + ")");
      }
      after = before - take;
    }
    changes_.push_back("units of " + target.label + ": " + std::to_string(before) + " -> " +
                       std::to_string(after));
    *target.counter = after;
    RenewCheckpoint(*target.product, certified_time_);
    return Status::Ok();
  }

  Status operator()(const op::SetExpiration& set) {
    ProductItem* product = firm_.FindProduct(set.product_code);
    if (product == nullptr) {
      if (const ProductItem* parent = firm_.FindModuleParent(set.product_code)) {
        return Error(ErrorCode::kInvalidArgument,
                     "product " + Code(set.product_code) + " is a module of product " +
                         Code(parent->product_code) + " and inherits its expiration");
      }
      return EntryNotFound(set.product_code);
    }
    ProductItem changed = *product;
    changed.expiration = set.expiration;
    LICET_RETURN_IF_ERROR(Validate(changed));
    RenewCheckpoint(changed, certified_time_);
    changes_.push_back("expiration of " + Code(set.product_code) + ": " +
                       TimeOrNone(product->expiration) + " -> " + FormatTime(set.expiration));
    *product = std::move(changed);
    return Status::Ok();
  }

 private:
  FirmItem& firm_;
  UnixTime certified_time_;
  std::vector<std::string>& changes_;
};

std::string FucRange(uint64_t from, uint64_t to) {
  return from == to ? "FUC " + std::to_string(from)
                    : "FUC " + std::to_string(from) + ".." + std::to_string(to);
}

}  // namespace

const char* OperationKindName(OperationKind kind) {
  const auto i = static_cast<size_t>(kind);
  return i < kKindNames.size() ? kKindNames[i] : "unknown";
}

std::optional<OperationKind> ParseOperationKind(std::string_view name) {
  for (size_t i = 0; i < kKindNames.size(); ++i) {
    if (name == kKindNames[i]) return static_cast<OperationKind>(i);
  }
  return std::nullopt;
}

Status ProductPatch::CheckConsistent() const {
  const std::pair<bool, const char*> both[] = {
      {unit_counter && clear_unit_counter, "unit_counter"},
      {expiration && clear_expiration, "expiration"},
      {activation_time && clear_activation_time, "activation_time"},
      {usage_period && clear_usage_period, "usage_period"},
      {maintenance_until && clear_maintenance_until, "maintenance_until"},
      {checkpoint_days && clear_checkpoint_days, "checkpoint_days"},
  };
  for (const auto& [conflict, field] : both) {
    if (conflict) {
      return Error(ErrorCode::kInvalidArgument, std::string("patch both sets and clears ") + field);
    }
  }
  return Status::Ok();
}

uint32_t Operation::product_code() const {
  return std::visit(
      [](const auto& alternative) -> uint32_t {
        using T = std::decay_t<decltype(alternative)>;
        if constexpr (std::is_same_v<T, op::AddFirmItem>) {
          return 0;
        } else if constexpr (std::is_same_v<T, op::AddProduct>) {
          return alternative.item.product_code;
        } else {
          return alternative.product_code;
        }
      },
      body);
}

std::vector<std::string> ApplyPatch(ProductItem& item, const ProductPatch& patch) {
  std::vector<std::string> c;
  auto hex = [](uint32_t v) { return FormatFeatureMap(v); };
  auto num = [](auto v) { return std::to_string(v); };
  if (patch.feature_map) Change(c, "features", item.feature_map, *patch.feature_map, hex);
  ChangeOptional(c, "units", item.unit_counter, patch.unit_counter, patch.clear_unit_counter,
                 UnitsOrNone);
  ChangeOptional(c, "expiration", item.expiration, patch.expiration, patch.clear_expiration,
                 TimeOrNone);
  ChangeOptional(c, "activation time", item.activation_time, patch.activation_time,
                 patch.clear_activation_time, TimeOrNone);
  ChangeOptional(c, "usage period", item.usage_period, patch.usage_period, patch.clear_usage_period,
                 DurationOrNone);
  if (!item.usage_period) item.usage_started.reset();
  ChangeOptional(c, "maintenance until", item.maintenance_until, patch.maintenance_until,
                 patch.clear_maintenance_until, TimeOrNone);
  if (patch.license_quantity) {
    Change(c, "license quantity", item.license_quantity, *patch.license_quantity, num);
  }
  if (patch.access_modes) {
    Change(c, "access modes", item.access_modes, *patch.access_modes,
           [](AccessModeMask m) { return "[" + FormatAccessModes(m) + "]"; });
  }
  if (patch.linger_time) {
    Change(c, "linger time", item.linger_time, *patch.linger_time,
           [](int64_t s) { return FormatDuration(s); });
  }
  if (patch.text) {
    Change(c, "text", item.text, *patch.text, [](const std::string& t) { return QuoteText(t); });
  }
  auto size = [](const Bytes& b) { return std::to_string(b.size()) + " bytes"; };
  if (patch.protected_data)
    Change(c, "protected data", item.protected_data, *patch.protected_data, size);
  if (patch.hidden_data) Change(c, "hidden data", item.hidden_data, *patch.hidden_data, size);
  if (patch.hidden_access_code && item.hidden_access_code != *patch.hidden_access_code) {
    item.hidden_access_code = *patch.hidden_access_code;
    c.push_back("hidden data access code changed");
  }
  ChangeOptional(c, "checkpoint days", item.checkpoint_days, patch.checkpoint_days,
                 patch.clear_checkpoint_days,
                 [](const std::optional<uint32_t>& d) { return d ? std::to_string(*d) : "none"; });
  if (!item.checkpoint_days) item.last_checkpoint.reset();
  if (patch.borrow) Change(c, "borrow", item.borrow, *patch.borrow, BorrowText);
  if (patch.modules && item.modules != *patch.modules) {
    c.push_back("modules replaced (" + std::to_string(item.modules.size()) + " -> " +
                std::to_string(patch.modules->size()) + ")");
    item.modules = *patch.modules;
  }
  return c;
}

Result<ApplyReport> ApplyOperations(ContainerState& state, uint32_t firm_code,
                                    std::span<const Operation> ops, UnixTime certified_time) {
  const std::string firm_name = "firm " + Code(firm_code);
  if (certified_time < 0 || certified_time > kMaxTime) {
    return Error(ErrorCode::kInvalidArgument,
                 "certified time " + std::to_string(certified_time) + " is out of range");
  }
  if (ops.size() > kMaxOperations) {
    return Error(ErrorCode::kCorruptData, "update for " + firm_name + " has " +
                                              std::to_string(ops.size()) + " operations, at most " +
                                              std::to_string(kMaxOperations) + " are allowed");
  }
  for (size_t i = 0; i < ops.size(); ++i) {
    if (ops[i].fuc == 0) {
      return Error(ErrorCode::kCorruptData,
                   "update for " + firm_name + " has an operation at FUC 0");
    }
    if (i > 0 && ops[i].fuc != ops[i - 1].fuc + 1) {
      return Error(ErrorCode::kCorruptData, "update for " + firm_name +
                                                " is not numbered consecutively: FUC " +
                                                std::to_string(ops[i].fuc) + " follows FUC " +
                                                std::to_string(ops[i - 1].fuc));
    }
  }

  FirmItem* existing = state.FindFirm(firm_code);
  const uint64_t current = existing ? existing->fuc : 0;
  if (existing == nullptr &&
      (ops.empty() || ops.front().fuc != 1 || ops.front().kind() != OperationKind::kAddFirmItem)) {
    return Error(ErrorCode::kFirmNotFound,
                 "the container has no firm item for " + firm_name +
                     (ops.empty() ? std::string()
                                  : ", and this update (from FUC " +
                                        std::to_string(ops.front().fuc) + ") does not create it") +
                     "; import the firm's first update (FUC 1) first");
  }
  if (existing == nullptr && state.firms.size() >= kMaxFirmsPerContainer) {
    return Error(ErrorCode::kInvalidArgument, "the container holds " +
                                                  std::to_string(kMaxFirmsPerContainer) +
                                                  " firm items, no more can be added");
  }

  // Operations are sorted, so the ones applied before form a prefix.
  size_t first = 0;
  while (first < ops.size() && ops[first].fuc <= current) ++first;
  if (first < ops.size() && ops[first].fuc != current + 1) {
    return Error(ErrorCode::kFucGap,
                 "updates for " + firm_name + " are missing: the container is at FUC " +
                     std::to_string(current) + ", this file starts at FUC " +
                     std::to_string(ops[first].fuc) + " (import the updates for " +
                     FucRange(current + 1, ops[first].fuc - 1) +
                     " first, or ask for a new update)");
  }

  ApplyReport report;
  report.firm_code = firm_code;
  report.fuc_before = current;
  report.skipped = static_cast<int>(first);

  // All-or-nothing: change a copy of the firm item, then commit it.
  FirmItem work;
  if (existing) {
    work = *existing;
  } else {
    work.firm_code = firm_code;
  }
  Applier applier(work, certified_time, report.changes);
  for (size_t i = first; i < ops.size(); ++i) {
    const Operation& op = ops[i];
    Status st = std::visit(applier, op.body);
    if (!st.ok()) {
      return st.WithContext("update for " + firm_name + " refused at FUC " +
                            std::to_string(op.fuc) + " (" + OperationKindName(op.kind()) + ")");
    }
    work.fuc = op.fuc;
    ++report.applied;
  }
  // Each operation validated what it touched; this guards the invariants as a whole.
  LICET_RETURN_IF_ERROR(Validate(work).WithContext("update for " + firm_name + " refused"));

  report.fuc_after = work.fuc;
  if (existing) {
    *existing = std::move(work);
  } else {
    state.firms.push_back(std::move(work));
  }
  state.certified_time = std::max(state.certified_time, certified_time);
  state.highest_time_seen = std::max(state.highest_time_seen, certified_time);
  return report;
}

}  // namespace licet::model
