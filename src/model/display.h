// The human-facing forms of the model: `licet list --json`, `licet info`, import reports.
// Not a storage format (that is serialize.h): keys are long names, times RFC 3339, and
// secrets never appear. secret_data shows only as "set" or "derived"; hidden_data and the
// access code hash are left out entirely.
#ifndef LICET_MODEL_DISPLAY_H_
#define LICET_MODEL_DISPLAY_H_

#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>

#include "model/items.h"

namespace licet::model {

// {"product_code": 201010, "feature_map": 3, "feature_map_hex": "0x3", "unit_counter": 100,
//  "expiration": "2027-11-28T00:00:00Z", "usage_period": "30d", "license_quantity": 1,
//  "access_modes": ["user-limit", ...], "linger_time": "0s", "text": "...",
//  "protected_data": "<hex>", "secret_data": "set" | "derived", "borrow": {...},
//  "modules": [...], ...}. Absent optionals are left out. Never throws.
nlohmann::json ToDisplayJson(const ModuleItem& module);
nlohmann::json ToDisplayJson(const ProductItem& item);
// Firm: {"firm_code", "name", "public_key" (hex), "fuc", "products": [...]}.
nlohmann::json ToDisplayJson(const FirmItem& firm);
// {"firms": [...], "certified_time": RFC 3339 or null, "highest_time_seen": ...}.
nlohmann::json ToDisplayJson(const ContainerState& state);

// One line for reports and logs, e.g.
// "product 201010 'Sample App' (features 0x3, 100 units, expires 2027-11-28T00:00:00Z)".
std::string DescribeProductItem(const ProductItem& item);
// "module 201011 'Extra' (features 0x1, 5 units)".
std::string DescribeModuleItem(const ModuleItem& module);

// "0x3": a feature map in hex, no leading zeros.
std::string FormatFeatureMap(uint32_t feature_map);
// 'text' in single quotes, with control characters, quotes, backslashes and invalid UTF-8
// escaped (\n, \x1b, ...), so that item text cannot forge lines or terminal sequences.
std::string QuoteText(std::string_view text);

}  // namespace licet::model

#endif  // LICET_MODEL_DISPLAY_H_
