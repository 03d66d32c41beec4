// licet info FILE: a readable dump of any Licet file, its signature checked.
#include <cstdio>

#include "engine/container_store.h"
#include "engine/file_info.h"
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
      engine::ContainerStore store(g.home);
      auto d = engine::DescribeFile(file, &store);
      if (!d.ok()) return d.status().WithContext(*path);
      if (g.json) {
        std::printf("%s\n", d->json.dump(2).c_str());
      } else {
        std::fputs(d->text.c_str(), stdout);
      }
      return Status::Ok();
    };
  });
}

}  // namespace licet::cli
