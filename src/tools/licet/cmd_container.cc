// licet container create | properties
#include <cstdio>

#include <nlohmann/json.hpp>

#include "client/connection.h"
#include "container/fingerprint.h"
#include "engine/container_store.h"
#include "protocol/protocol.h"
#include "tools/licet/cli.h"

namespace licet::cli {

void RegisterContainerCommands(CLI::App& app, Globals& g, Action* action) {
  CLI::App* container = app.add_subcommand("container", "manage the soft containers of this machine");
  container->require_subcommand(1);

  auto threshold = std::make_shared<int>(0);
  CLI::App* create = container->add_subcommand(
      "create", "create a soft container bound to this device and print its serial (mask 130)");
  create->add_option("--threshold", *threshold,
                     "device properties that must match to open it (default: all but one, at least 2)")
      ->check(CLI::Range(0, 16));
  create->callback([&g, action, threshold] {
    *action = [&g, threshold]() -> Status {
      std::string serial;
      if (auto daemon = ConnectDaemon(g)) {
        LICET_ASSIGN_OR_RETURN(nlohmann::json r,
                               daemon->Call({{"op", protocol::kOpCreateContainer}, {"threshold", *threshold}}));
        serial = r.value("serial", "");
      } else {
        engine::ContainerStore store(g.home);
        LICET_ASSIGN_OR_RETURN(serial, store.Create(*threshold));
      }
      std::printf("%s\n", serial.c_str());
      return Status::Ok();
    };
  });

  CLI::App* props = container->add_subcommand(
      "properties", "show which device properties this machine offers for binding (digests only)");
  props->callback([action] {
    *action = []() -> Status {
      LICET_ASSIGN_OR_RETURN(auto list, container::ReadDeviceProperties());
      for (const auto& p : list) {
        std::printf("%-10s %zu value(s), digest %s\n", container::PropertyKindName(p.kind),
                    p.values.size(), container::PropertyDigest(p).c_str());
      }
      return Status::Ok();
    };
  });
}

}  // namespace licet::cli
