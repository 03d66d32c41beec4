// The product item options of `licet update create` (every option of DESIGN §1), parsed
// into a ProductItem (for --add-product) or a ProductPatch (for --modify-product).
#ifndef LICET_TOOLS_LICET_ITEM_OPTIONS_H_
#define LICET_TOOLS_LICET_ITEM_OPTIONS_H_

#include <CLI/CLI.hpp>

#include <optional>
#include <string>
#include <vector>

#include "common/clock.h"
#include "model/items.h"
#include "model/operation.h"

namespace licet::cli {

// Raw option values; empty = not given.
struct ItemOptions {
  std::string feature_map;
  std::string units;
  std::string expiration;
  std::string activation_time;
  std::string usage_period;
  std::string maintenance_until;
  std::string license_quantity;
  std::string access_modes;
  std::string linger_time;
  std::string text;
  std::string protected_data;
  std::string hidden_data;
  std::string hidden_access_code;
  std::string secret_data;
  std::string checkpoint_days;
  std::string borrow_max_days;
  std::string borrow_max_seats;
  std::vector<std::string> modules;
};

void AddItemOptions(CLI::App& cmd, ItemOptions& o);
bool HasAnyItemOption(const ItemOptions& o);

// A new product item; times given as durations ("365d") count from `now`.
Result<model::ProductItem> BuildProductItem(uint32_t product_code, const ItemOptions& o, UnixTime now);
// A patch of the options given (nullopt when none); "none" clears a time limit or counter.
Result<std::optional<model::ProductPatch>> BuildProductPatch(const ItemOptions& o, UnixTime now);

}  // namespace licet::cli

#endif  // LICET_TOOLS_LICET_ITEM_OPTIONS_H_
