// licet info FILE: a readable dump of any Licet file, its signature checked.
#include <cstdio>

#include <nlohmann/json.hpp>

#include "client/connection.h"
#include "engine/container_store.h"
#include "engine/file_info.h"
#include "protocol/protocol.h"
#include "tools/licet/cli.h"

namespace licet::cli {

void RegisterInfoCommand(CLI::App& app, Globals& g, Action* action) {
  auto path = std::make_shared<std::string>();
  CLI::App* cmd = app.add_subcommand(
      "info", "show any Licet file (context, update, receipt, firm key, container), signature checked");
  cmd->add_option("file", *path, "the file ('-' for stdin)")->required();
  cmd->add_flag("--json", g.json, "print JSON");
  cmd->callback([&g, action, path] {
    *action = [&g, path]() -> Status {
      LICET_ASSIGN_OR_RETURN(Bytes file, ReadInput(*path));
      engine::FileDescription described;
      if (auto daemon = ConnectDaemon(g)) {
        // licetd can open the containers an update is for; an unprivileged user cannot.
        auto r = daemon->Call({{"op", protocol::kOpDescribe}, {"file", nlohmann::json::binary(file)}});
        if (!r.ok()) return r.status().WithContext(*path);
        described.text = r->value("text", "");
        described.json = r->value("description", nlohmann::json::object());
      } else {
        engine::ContainerStore store(g.home);
        auto d = engine::DescribeFile(file, &store);
        if (!d.ok()) return d.status().WithContext(*path);
        described = std::move(d).value();
      }
      if (g.json) {
        std::printf("%s\n", described.json.dump(2).c_str());
      } else {
        std::fputs(described.text.c_str(), stdout);
      }
      return Status::Ok();
    };
  });
}

}  // namespace licet::cli
