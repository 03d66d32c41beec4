#include "daemon/item_json.h"

#include "model/checks.h"
#include "model/display.h"

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
    if (!entry.container) {
      // One unreadable container must not hide the others (as `licet list`).
      out.push_back({{"serial", entry.serial},
                     {"error", entry.error.ToString()},
                     {"error_code", ErrorCodeName(entry.error.code())}});
      continue;
    }
    const engine::SoftContainer& c = *entry.container;
    json state = model::ToDisplayJson(c.state);
    for (size_t f = 0; f < c.state.firms.size(); ++f) {
      for (size_t p = 0; p < c.state.firms[f].products.size(); ++p) {
        Status st = model::CheckTimeLimits(c.state.firms[f].products[p], c.state, now);
        state["firms"][f]["products"][p]["status"] = st.ok() ? "valid" : st.ToString();
      }
    }
    Status clock = model::CheckClock(c.state, now);
    out.push_back({{"serial", c.serial},
                   {"type", "soft"},
                   {"binding", {{"threshold", c.binding.threshold}, {"count", c.binding.count}}},
                   {"created", FormatTime(c.created)},
                   {"clock", clock.ok() ? "ok" : clock.ToString()},
                   {"state", state}});
  }
  return out;
}

}  // namespace licet::daemon
