// Update operations and the pure engine that applies them to a container's license state.
//
// Every change to a firm's items is one operation numbered by the firm update counter (FUC):
// the firm item remembers the FUC of the last operation applied, and an update applies only
// the operations above it. So importing the same update twice, an old one, or one that
// overlaps what is there is harmless, while a missing range is refused (kFucGap) rather than
// silently skipped. Every operation advances the FUC, deletion included (DESIGN §1, and
// CodeMeter's firm update counter in PEERS.md).
#ifndef LICET_MODEL_OPERATION_H_
#define LICET_MODEL_OPERATION_H_

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <variant>
#include <vector>

#include "common/bytes.h"
#include "common/clock.h"
#include "common/status.h"
#include "model/items.h"

namespace licet::model {

inline constexpr size_t kMaxOperations = 10000;  // per update

// Stable numbers: written nowhere (operations serialize their kind by name), but kept in the
// order of OperationBody's alternatives.
enum class OperationKind : uint8_t {
  kAddFirmItem = 0,
  kAddProduct = 1,
  kModifyProduct = 2,
  kDeleteProduct = 3,
  kSetUnits = 4,
  kAddUnits = 5,
  kSetExpiration = 6,
};

// "add_firm_item", "add_product", "modify_product", "delete_product", "set_units",
// "add_units", "set_expiration": the names used in serialized operations.
const char* OperationKindName(OperationKind kind);
std::optional<OperationKind> ParseOperationKind(std::string_view name);

// A change to some fields of a product item. A field left unset keeps its value. Fields that
// are optional in the item also have a `clear_*` flag that removes them (setting and clearing
// the same field is invalid). `modules` replaces the whole module list.
struct ProductPatch {
  std::optional<uint32_t> feature_map;
  std::optional<uint64_t> unit_counter;
  bool clear_unit_counter = false;
  std::optional<UnixTime> expiration;
  bool clear_expiration = false;
  std::optional<UnixTime> activation_time;
  bool clear_activation_time = false;
  std::optional<int64_t> usage_period;  // keeps usage_started; clearing removes both
  bool clear_usage_period = false;
  std::optional<UnixTime> maintenance_until;
  bool clear_maintenance_until = false;
  std::optional<uint32_t> license_quantity;
  std::optional<AccessModeMask> access_modes;
  std::optional<int64_t> linger_time;
  std::optional<std::string> text;
  std::optional<Bytes> protected_data;
  std::optional<Bytes> hidden_data;
  std::optional<Bytes> hidden_access_code;  // HashAccessCode(code)
  std::optional<uint32_t> checkpoint_days;  // clearing removes last_checkpoint too
  bool clear_checkpoint_days = false;
  std::optional<BorrowRules> borrow;
  std::optional<std::vector<ModuleItem>> modules;

  // kInvalidArgument when a field is both set and cleared.
  [[nodiscard]] Status CheckConsistent() const;
  bool operator==(const ProductPatch&) const = default;
};

// The operations. The firm code is not repeated in them: an update belongs to one firm.
namespace op {
// Creates the firm item; must be the firm's first operation (FUC 1).
struct AddFirmItem {
  std::string name;
  Bytes public_key;  // Ed25519, 32 bytes
  bool operator==(const AddFirmItem&) const = default;
};
// Adds a product item whose code (and module codes) are not yet used in the firm item.
// If the item has checkpoint_days and no last_checkpoint, the checkpoint starts at the
// update's certified time.
struct AddProduct {
  ProductItem item;
  bool operator==(const AddProduct&) const = default;
};
// Changes fields of an existing product item. An empty patch is valid: like every operation
// on an item with a checkpoint, it renews the checkpoint (last_checkpoint = certified time).
struct ModifyProduct {
  uint32_t product_code = 0;
  ProductPatch patch;
  bool operator==(const ModifyProduct&) const = default;
};
struct DeleteProduct {
  uint32_t product_code = 0;
  bool operator==(const DeleteProduct&) const = default;
};
// Sets the unit counter of a product or a module item (creating the counter if absent).
struct SetUnits {
  uint32_t product_code = 0;  // a product or a module code
  uint64_t units = 0;
  bool operator==(const SetUnits&) const = default;
};
// Adds to (or, with a negative delta, takes from) an existing unit counter of a product or a
// module item; refused if the counter would drop below 0 or overflow.
struct AddUnits {
  uint32_t product_code = 0;  // a product or a module code
  int64_t delta = 0;
  bool operator==(const AddUnits&) const = default;
};
// Sets a product item's expiration (modules inherit it from their parent).
struct SetExpiration {
  uint32_t product_code = 0;
  UnixTime expiration = 0;
  bool operator==(const SetExpiration&) const = default;
};
}  // namespace op

// The alternatives are in OperationKind order.
using OperationBody =
    std::variant<op::AddFirmItem, op::AddProduct, op::ModifyProduct, op::DeleteProduct,
                 op::SetUnits, op::AddUnits, op::SetExpiration>;

// One numbered operation, e.g. `Operation{.fuc = 7, .body = op::SetUnits{201010, 150}}`.
struct Operation {
  uint64_t fuc = 0;  // >= 1
  OperationBody body;

  OperationKind kind() const { return static_cast<OperationKind>(body.index()); }
  // The product (or module) code the operation targets; 0 for kAddFirmItem.
  uint32_t product_code() const;
  bool operator==(const Operation&) const = default;
};

// What an import did, for the CLI, the receipt and the audit log.
struct ApplyReport {
  uint32_t firm_code = 0;
  uint64_t fuc_before = 0;  // 0 when the firm item did not exist
  uint64_t fuc_after = 0;
  int applied = 0;  // operations applied now
  int skipped = 0;  // operations the container had applied before
  // One human line per applied operation, e.g.
  // "added product 201010 'Sample App' (features 0x3, 100 units, expires 2027-11-28T00:00:00Z)",
  // "units of 201010: 100 -> 150".
  std::vector<std::string> changes;

  // True when the update carried operations and all of them had been applied before.
  bool already_applied() const { return applied == 0 && skipped > 0; }
};

// Applies the operations of one update for `firm_code` to `state`, all or nothing.
//
// `ops` must be sorted by FUC, contiguous (each FUC one above the previous) and start at
// FUC >= 1, else kCorruptData. Operations at or below the firm item's FUC are skipped. The
// first remaining one must be exactly FUC + 1, else kFucGap with a message naming the missing
// range. A firm item that does not exist yet is created only by an AddFirmItem at FUC 1, else
// kFirmNotFound; an empty `ops` for an unknown firm is kFirmNotFound too.
//
// Any failing operation leaves `state` unchanged and returns an error naming the firm, the
// FUC and the product: kAlreadyExists (code in use), kEntryNotFound (no such product or
// module), kInvalidArgument (the result would be an invalid item, units below 0, ...).
//
// On success the firm item's FUC is the last operation's, and certified_time and
// highest_time_seen are raised to `certified_time` (the update's certified time) if it is
// newer; they never go down here, because an update file may be old.
Result<ApplyReport> ApplyOperations(ContainerState& state, uint32_t firm_code,
                                    std::span<const Operation> ops, UnixTime certified_time);

// Applies a patch to an item (no FUC, no validation; the engine validates afterwards).
// Returns human descriptions of the fields that changed ("expiration none -> 2027-...").
std::vector<std::string> ApplyPatch(ProductItem& item, const ProductPatch& patch);

}  // namespace licet::model

#endif  // LICET_MODEL_OPERATION_H_
