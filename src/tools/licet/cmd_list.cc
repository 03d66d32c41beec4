// licet list [--json]: containers, firm items, product items with all their options.
#include <cstdio>
#include <nlohmann/json.hpp>

#include "container/fingerprint.h"
#include "engine/container_store.h"
#include "model/checks.h"
#include "model/display.h"
#include "tools/licet/cli.h"

namespace licet::cli {
namespace {

using nlohmann::json;

std::string Scalar(const json& v) {
  if (v.is_string()) return v.get<std::string>();
  if (v.is_array()) {
    std::string out;
    for (const auto& e : v) out += (out.empty() ? "" : ",") + Scalar(e);
    return out;
  }
  return v.dump();
}

// "valid", or why an access would be refused now (expired, not yet active, clock set back...).
std::string ItemStatus(const model::ProductItem& item, const model::ContainerState& state, UnixTime now) {
  Status st = model::CheckTimeLimits(item, state, now);
  return st.ok() ? "valid" : st.ToString();
}

void PrintProduct(const model::ProductItem& item, const std::string& status) {
  std::printf("    %s\n", model::DescribeProductItem(item).c_str());
  std::printf("      %-18s %s\n", "status", status.c_str());
  json display = model::ToDisplayJson(item);
  for (const auto& [key, value] : display.items()) {
    if (key == "product_code" || key == "feature_map_hex" || key == "modules") continue;
    std::printf("      %-18s %s\n", key.c_str(), Scalar(value).c_str());
  }
  for (const auto& module : item.modules) {
    std::printf("      %s\n", model::DescribeModuleItem(module).c_str());
  }
}

Status ListContainers(const Globals& g) {
  engine::ContainerStore store(g.home);
  LICET_ASSIGN_OR_RETURN(std::vector<std::string> serials, store.ListSerials());
  json out = {{"home", g.home}, {"containers", json::array()}};
  if (serials.empty() && !g.json) {
    std::printf("no containers in %s (create one with 'licet container create')\n", g.home.c_str());
    return Status::Ok();
  }
  for (const std::string& serial : serials) {
    auto c = store.Open(serial);
    if (!c.ok()) {
      // One unreadable container must not hide the others.
      out["containers"].push_back({{"serial", serial}, {"error", c.status().ToString()},
                                   {"error_code", ErrorCodeName(c.status().code())}});
      if (!g.json) std::printf("container %s: %s\n", serial.c_str(), c.status().ToString().c_str());
      continue;
    }
    UnixTime now = store.clock().Now();
    json state = model::ToDisplayJson(c->state);
    for (size_t f = 0; f < c->state.firms.size(); ++f) {
      for (size_t p = 0; p < c->state.firms[f].products.size(); ++p) {
        state["firms"][f]["products"][p]["status"] = ItemStatus(c->state.firms[f].products[p], c->state, now);
      }
    }
    Status clock = model::CheckClock(c->state, now);
    json entry = {{"serial", serial},
                  {"type", "soft"},
                  {"binding", {{"threshold", c->binding.threshold}, {"count", c->binding.count}}},
                  {"created", FormatTime(c->created)},
                  {"clock", clock.ok() ? "ok" : clock.ToString()},
                  {"state", state}};
    out["containers"].push_back(entry);
    if (g.json) continue;
    std::printf("container %s (soft, device-bound: %d of %d properties)\n", serial.c_str(),
                c->binding.threshold, c->binding.count);
    if (!clock.ok()) std::printf("  warning: %s\n", clock.ToString().c_str());
    if (c->state.firms.empty()) std::printf("  no licenses yet\n");
    for (const auto& firm : c->state.firms) {
      std::printf("  firm %u '%s' FUC %llu\n", firm.firm_code, firm.name.c_str(),
                  static_cast<unsigned long long>(firm.fuc));
      for (const auto& item : firm.products) PrintProduct(item, ItemStatus(item, c->state, now));
    }
  }
  if (g.json) std::printf("%s\n", out.dump(2).c_str());
  return Status::Ok();
}

}  // namespace

void RegisterListCommand(CLI::App& app, Globals& g, Action* action) {
  CLI::App* list = app.add_subcommand("list", "list containers, firm items and product items");
  list->add_flag("--json", g.json, "print JSON");
  list->callback([&g, action] { *action = [&g] { return ListContainers(g); }; });
}

}  // namespace licet::cli
