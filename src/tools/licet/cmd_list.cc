// licet list [--json]: containers, firm items, product items with all their options, through
// licetd when it runs, else from the files.
#include <cstdio>
#include <nlohmann/json.hpp>

#include "client/connection.h"
#include "engine/container_store.h"
#include "engine/list_json.h"
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

// "product 201010 'Sample App' (features 0x3, 100 units, expires ...)" from the display form.
std::string ProductHeadline(const json& p) {
  std::string line = "product " + Scalar(p.value("product_code", json()));
  if (p.contains("text")) line += " '" + Scalar(p["text"]) + "'";
  std::string details = "features " + Scalar(p.value("feature_map_hex", json("0x0")));
  if (p.contains("unit_counter")) details += ", " + Scalar(p["unit_counter"]) + " units";
  if (p.contains("expiration")) details += ", expires " + Scalar(p["expiration"]);
  return line + " (" + details + ")";
}

void PrintText(const json& containers, const std::string& home) {
  if (containers.empty()) {
    std::printf("no containers in %s (create one with 'licet container create')\n", home.c_str());
    return;
  }
  for (const json& c : containers) {
    const std::string serial = Scalar(c.value("serial", json("?")));
    if (c.contains("error")) {
      std::printf("container %s: %s\n", serial.c_str(), Scalar(c["error"]).c_str());
      continue;
    }
    std::printf("container %s (%s, device-bound: %s of %s properties)\n", serial.c_str(),
                Scalar(c.value("type", json("soft"))).c_str(),
                Scalar(c["binding"].value("threshold", json(0))).c_str(),
                Scalar(c["binding"].value("count", json(0))).c_str());
    if (c.value("clock", "ok") != "ok") std::printf("  warning: %s\n", Scalar(c["clock"]).c_str());
    const json& firms = c["state"].value("firms", json::array());
    if (firms.empty()) std::printf("  no licenses yet\n");
    for (const json& f : firms) {
      std::printf("  firm %s '%s' FUC %s\n", Scalar(f.value("firm_code", json())).c_str(),
                  Scalar(f.value("name", json(""))).c_str(), Scalar(f.value("fuc", json(0))).c_str());
      for (const json& p : f.value("products", json::array())) {
        std::printf("    %s\n", ProductHeadline(p).c_str());
        for (const auto& [key, value] : p.items()) {
          if (key == "product_code" || key == "feature_map_hex" || key == "modules") continue;
          std::printf("      %-18s %s\n", key.c_str(), Scalar(value).c_str());
        }
        for (const json& m : p.value("modules", json::array())) {
          std::printf("      module %s\n", Scalar(m).c_str());
        }
      }
    }
  }
}

Result<json> ListFromFiles(const Globals& g) {
  engine::ContainerStore store(g.home);
  LICET_ASSIGN_OR_RETURN(std::vector<std::string> serials, store.ListSerials());
  json containers = json::array();
  for (const std::string& serial : serials) {
    auto c = store.Open(serial);
    containers.push_back(c.ok() ? engine::ContainerDisplayJson(*c, store.clock().Now())
                                : engine::UnreadableContainerJson(serial, c.status()));
  }
  return containers;
}

Status ListContainers(const Globals& g) {
  json containers;
  std::string source = "files";
  if (auto daemon = ConnectDaemon(g)) {
    LICET_ASSIGN_OR_RETURN(json r, daemon->Call({{"op", "list"}}));
    containers = r.value("containers", json::array());
    source = "licetd";
  } else {
    LICET_ASSIGN_OR_RETURN(containers, ListFromFiles(g));
  }
  if (g.json) {
    json out = {{"home", g.home}, {"source", source}, {"containers", containers}};
    std::printf("%s\n", out.dump(2).c_str());
  } else {
    PrintText(containers, g.home);
  }
  return Status::Ok();
}

}  // namespace

void RegisterListCommand(CLI::App& app, Globals& g, Action* action) {
  CLI::App* list = app.add_subcommand("list", "list containers, firm items and product items");
  list->add_flag("--json", g.json, "print JSON");
  list->callback([&g, action] { *action = [&g] { return ListContainers(g); }; });
}

}  // namespace licet::cli
