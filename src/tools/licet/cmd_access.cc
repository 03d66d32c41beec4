// licet access: tests an access through licetd, as an application would, and prints the
// product item. The lease is released when the command ends.
#include <cstdio>
#include <nlohmann/json.hpp>

#include "client/connection.h"
#include "model/items.h"
#include "protocol/protocol.h"
#include "tools/licet/cli.h"

namespace licet::cli {
namespace {

using nlohmann::json;

struct AccessOptions {
  std::string firm_code;
  std::string product_code;
  std::string feature_code = "0";
  std::string mode = "user-limit";
  std::string serial;
};

Status Access(const Globals& g, const AccessOptions& o) {
  LICET_ASSIGN_OR_RETURN(uint64_t firm, ParseNumber(o.firm_code, 0xffffffff, "firm code"));
  LICET_ASSIGN_OR_RETURN(uint64_t product, ParseNumber(o.product_code, 0xffffffff, "product code"));
  LICET_ASSIGN_OR_RETURN(uint64_t feature, ParseNumber(o.feature_code, 0xffffffff, "feature code"));
  auto mode = model::ParseAccessMode(o.mode);
  if (!mode.ok()) return mode.status().WithContext("--mode");
  auto daemon = ConnectDaemon(g);
  if (!daemon) {
    return Error(ErrorCode::kUnavailable,
                 "licet access needs licetd, which does every license check: start it "
                 "(systemctl start licetd, or licetd --foreground)");
  }
  json request = {{"op", protocol::kOpAccess},
                  {"firm_code", firm},
                  {"product_code", product},
                  {"feature_code", feature},
                  {"mode", static_cast<int>(model::ModeBit(*mode))}};
  if (!o.serial.empty()) request["serial"] = o.serial;
  LICET_ASSIGN_OR_RETURN(json r, daemon->Call(std::move(request)));
  json item = r.value("item", json::object());
  if (item.contains("protected_data") && item["protected_data"].is_binary()) {
    item["protected_data"] = HexEncode(item["protected_data"].get_binary());
  }
  if (g.json) {
    std::printf("%s\n", json{{"access", "granted"}, {"serial", r.value("serial", "")}, {"item", item}}.dump(2).c_str());
  } else {
    std::printf("access granted: firm %llu product %llu in container %s (%s)\n",
                static_cast<unsigned long long>(firm), static_cast<unsigned long long>(product),
                r.value("serial", "?").c_str(), o.mode.c_str());
    for (const auto& [key, value] : item.items()) {
      std::printf("  %-18s %s\n", key.c_str(), value.is_string() ? value.get<std::string>().c_str() : value.dump().c_str());
    }
  }
  if (r.contains("handle")) {
    (void)daemon->Call({{"op", protocol::kOpRelease}, {"handle", r["handle"]}});
  }
  return Status::Ok();
}

}  // namespace

void RegisterAccessCommand(CLI::App& app, Globals& g, Action* action) {
  auto o = std::make_shared<AccessOptions>();
  CLI::App* cmd = app.add_subcommand(
      "access", "test an access to a product item through licetd and print the item");
  cmd->add_option("--firm-code", o->firm_code, "the firm code")->required();
  cmd->add_option("--product-code", o->product_code, "the product code")->required();
  cmd->add_option("--feature-code", o->feature_code, "feature bits that must be licensed");
  cmd->add_option("--mode", o->mode, "user-limit, station-share, exclusive or no-user-limit");
  cmd->add_option("--serial", o->serial, "only this container");
  cmd->add_flag("--json", g.json, "print JSON");
  cmd->callback([&g, action, o] { *action = [&g, o] { return Access(g, *o); }; });
}

}  // namespace licet::cli
