// Test fixtures shared by the model's unit tests: one product item with every option set,
// so that a test of validation, serialization or display covers every field at once.
#pragma once

#include "model/items.h"

namespace licet::model::testing {

inline constexpr UnixTime kJan2026 = 1767225600;  // 2026-01-01T00:00:00Z
inline constexpr UnixTime kNov2027 = 1827360000;  // 2027-11-28T00:00:00Z

// Every DESIGN §1 option set, modules included; the text carries a non-ASCII character so
// that byte and character lengths differ.
inline ProductItem FullItem() {
  ProductItem item;
  item.product_code = 201010;
  item.feature_map = 0x3;
  item.unit_counter = 100;
  item.expiration = kNov2027;
  item.activation_time = kJan2026;
  item.usage_period = 30 * 86400;
  item.usage_started = kJan2026 + 10;
  item.maintenance_until = kNov2027;
  item.license_quantity = 5;
  item.access_modes = ModeBit(AccessMode::kUserLimit) | ModeBit(AccessMode::kNoUserLimit);
  item.linger_time = 300;
  item.text = "Sample App \xe2\x82\xac";
  item.protected_data = {1, 2, 3};
  SetHiddenData(item, {4, 5, 6}, AsBytes("open sesame"));
  item.secret_data = ItemSecret(Bytes(kSecretSize, 0x42));
  item.checkpoint_days = 30;
  item.last_checkpoint = kJan2026;
  item.borrow = {.max_days = 7, .max_seats = 2};
  item.modules = {{.product_code = 201011, .feature_map = 1, .unit_counter = 5, .text = "Extra"},
                  {.product_code = 201012, .feature_map = 2}};
  return item;
}

}  // namespace licet::model::testing
