// The status document of the admin API: what licetd holds right now.
#include "daemon/dispatcher.h"
#include "model/checks.h"

namespace licet::daemon {

using nlohmann::json;

json Dispatcher::StatusJson() {
  engine::ContainerCache::Snapshot snapshot = cache_->Current();
  const UnixTime now = clock_->Now();
  std::lock_guard<std::mutex> lock(mu_);
  json containers = json::array();
  for (const engine::CachedContainer& c : *snapshot) {
    if (!c.container) {
      containers.push_back({{"serial", c.serial},
                            {"error", c.error.ToString()},
                            {"error_code", ErrorCodeName(c.error.code())}});
      continue;
    }
    json firms = json::array();
    for (const model::FirmItem& firm : c.container->state.firms) {
      json items = json::array();
      for (const model::ProductItem& item : firm.products) {
        SeatUsage usage = leases_.Usage(ItemKey{c.serial, firm.firm_code, item.product_code});
        Status valid = model::CheckTimeLimits(item, c.container->state, now);
        json entry = {
            {"product_code", item.product_code},
            {"text", item.text},
            {"license_quantity", item.license_quantity},
            {"seats_in_use", usage.seats},
            {"seats_free",
             item.license_quantity > usage.seats ? item.license_quantity - usage.seats : 0},
            {"handles", usage.handles},
            {"lingering", usage.lingering},
            {"exclusive", usage.exclusive},
            {"status", valid.ok() ? "valid" : valid.ToString()}};
        if (item.unit_counter) entry["unit_counter"] = *item.unit_counter;
        items.push_back(std::move(entry));
      }
      firms.push_back({{"firm_code", firm.firm_code},
                       {"name", firm.name},
                       {"fuc", firm.fuc},
                       {"items", std::move(items)}});
    }
    containers.push_back({{"serial", c.serial},
                          {"generation", c.container->generation},
                          {"firms", std::move(firms)}});
  }

  std::map<ConnectionId, json> sessions;
  for (const auto& [id, info] : connections_) {
    sessions[id] = {{"connection", id},
                    {"pid", info.peer.pid},
                    {"uid", info.peer.uid},
                    {"since", FormatTime(info.since)},
                    {"leases", json::array()}};
  }
  for (const Lease* lease : leases_.All()) {
    auto it = sessions.find(lease->connection);
    if (it == sessions.end()) continue;
    it->second["leases"].push_back({{"handle", lease->handle},
                                    {"serial", lease->item.serial},
                                    {"firm_code", lease->item.firm_code},
                                    {"product_code", lease->item.product_code},
                                    {"mode", model::AccessModeName(lease->mode)},
                                    {"since", FormatTime(lease->since)}});
  }
  json session_list = json::array();
  for (auto& [id, s] : sessions) session_list.push_back(std::move(s));
  return {{"containers", std::move(containers)},
          {"sessions", std::move(session_list)},
          {"leases", leases_.size()}};
}

}  // namespace licet::daemon
