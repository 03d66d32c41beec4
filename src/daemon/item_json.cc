#include "daemon/item_json.h"

#include "engine/list_json.h"

namespace licet::daemon {

using nlohmann::json;

json ItemMap(uint32_t firm_code, const model::ProductItem& item) {
  json m = json::object();
  m["firm_code"] = firm_code;
  m["product_code"] = item.product_code;
  m["feature_map"] = item.feature_map;
  if (item.unit_counter) m["unit_counter"] = *item.unit_counter;
  if (item.expiration) m["expiration"] = *item.expiration;
  if (item.activation_time) m["activation_time"] = *item.activation_time;
  if (item.usage_period) m["usage_period"] = *item.usage_period;
  if (item.usage_started) m["usage_started"] = *item.usage_started;
  if (item.maintenance_until) m["maintenance_until"] = *item.maintenance_until;
  m["license_quantity"] = item.license_quantity;
  m["access_modes"] = item.access_modes;
  m["text"] = item.text;
  m["protected_data"] = json::binary(item.protected_data);
  return m;
}

json ContainersJson(const std::vector<engine::CachedContainer>& containers, UnixTime now) {
  json out = json::array();
  for (const engine::CachedContainer& entry : containers) {
    out.push_back(entry.container ? engine::ContainerDisplayJson(*entry.container, now)
                                  : engine::UnreadableContainerJson(entry.serial, entry.error));
  }
  return out;
}

}  // namespace licet::daemon
