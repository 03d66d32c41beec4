// The model as nlohmann::json maps, which the format layer writes with json::to_cbor (and
// reads back with json::from_cbor) for container files and update payloads.
//
// Keys are short, stable, snake_case strings; optional fields that are absent, and fields at
// their default (empty text or data, linger 0, no borrowing, no modules), are left out.
// Binary fields are json::binary so they become CBOR byte strings. Times and durations are
// unsigned integers of seconds. The key list is documented per function below.
//
// The decoders take untrusted input (update payloads arrive from files). They never throw:
// every value's type is checked before it is read; sizes and counts are limited (256-byte
// texts and data, 64 modules per product, 1,000 products per firm, 1,000 firms, 10,000
// operations); unknown fields and operation kinds are refused; and the decoded value goes
// through Validate(). Every error is kCorruptData and names the field path, e.g.
// "firms[0].products[2].features must be an unsigned integer".
//
// ToJson of a ProductItem (and of what contains one) puts secret_data into the json as a
// plain byte string, which nlohmann cannot wipe: keep such json values short-lived and
// encrypt what is written from them (the container and update formats do).
#ifndef LICET_MODEL_SERIALIZE_H_
#define LICET_MODEL_SERIALIZE_H_

#include <nlohmann/json.hpp>
#include <span>
#include <vector>

#include "common/status.h"
#include "model/display.h"  // the human-facing forms: ToDisplayJson, DescribeProductItem
#include "model/items.h"
#include "model/operation.h"

namespace licet::model {

// ModuleItem: {"code", "features", "units"?, "text"?}.
nlohmann::json ToJson(const ModuleItem& module);
Result<ModuleItem> ModuleItemFromJson(const nlohmann::json& j);

// ProductItem: {"code", "features", "units"?, "expires"?, "active_from"?, "usage_period"?,
// "usage_started"?, "maintenance_until"?, "quantity", "modes", "linger"?, "text"?,
// "protected"?, "hidden"?, "hidden_code"?, "secret"?, "checkpoint_days"?,
// "last_checkpoint"?, "borrow"? {"days", "seats"}, "modules"? [ModuleItem]}.
// On reading, "quantity" defaults to 1 and "modes" to kDefaultAccessModes when absent.
nlohmann::json ToJson(const ProductItem& item);
Result<ProductItem> ProductItemFromJson(const nlohmann::json& j);

// FirmItem: {"firm", "name", "key", "fuc", "products": [ProductItem]}.
nlohmann::json ToJson(const FirmItem& firm);
Result<FirmItem> FirmItemFromJson(const nlohmann::json& j);

// ContainerState: {"firms": [FirmItem], "certified_time", "highest_time"}.
nlohmann::json ToJson(const ContainerState& state);
Result<ContainerState> ContainerStateFromJson(const nlohmann::json& j);

// ProductPatch: the ProductItem keys it can change (not "code", "usage_started", "secret",
// "last_checkpoint"), plus "clear": ["units" | "expires" | "active_from" | "usage_period" |
// "maintenance_until" | "checkpoint_days", ...].
nlohmann::json ToJson(const ProductPatch& patch);
Result<ProductPatch> ProductPatchFromJson(const nlohmann::json& j);

// Operation: {"fuc", "op": OperationKindName, ...} with, per kind:
//   add_firm_item {"name", "key"}      add_product {"item": ProductItem}
//   modify_product {"code", "patch"}   delete_product {"code"}
//   set_units {"code", "units"}        add_units {"code", "delta" (signed)}
//   set_expiration {"code", "expires"}
nlohmann::json ToJson(const Operation& op);
Result<Operation> OperationFromJson(const nlohmann::json& j);

// An array of operations (at most kMaxOperations). Order and FUC contiguity are not checked
// here; ApplyOperations checks them.
nlohmann::json OperationsToJson(std::span<const Operation> ops);
Result<std::vector<Operation>> OperationsFromJson(const nlohmann::json& j);

}  // namespace licet::model

#endif  // LICET_MODEL_SERIALIZE_H_
