// licet import FILE.update
#include <cstdio>
#include <nlohmann/json.hpp>

#include "engine/container_store.h"
#include "engine/update_file.h"
#include "tools/licet/cli.h"

namespace licet::cli {
namespace {

Status Import(const Globals& g, const std::string& path) {
  LICET_ASSIGN_OR_RETURN(Bytes file, ReadInput(path));
  engine::ContainerStore store(g.home);
  auto result = engine::ImportUpdate(store, file);
  if (!result.ok()) return result.status().WithContext("cannot import " + path);
  const model::ApplyReport& r = result->report;
  if (g.json) {
    nlohmann::json j = {{"serial", result->serial},   {"firm_code", r.firm_code},
                        {"fuc_before", r.fuc_before}, {"fuc_after", r.fuc_after},
                        {"applied", r.applied},       {"skipped", r.skipped},
                        {"already_applied", r.already_applied()}, {"changes", r.changes}};
    std::printf("%s\n", j.dump(2).c_str());
    return Status::Ok();
  }
  if (r.already_applied()) {
    std::printf("container %s: update already applied (firm %u is at FUC %llu); nothing changed\n",
                result->serial.c_str(), r.firm_code, static_cast<unsigned long long>(r.fuc_after));
    return Status::Ok();
  }
  std::printf("container %s: firm %u FUC %llu -> %llu\n", result->serial.c_str(), r.firm_code,
              static_cast<unsigned long long>(r.fuc_before),
              static_cast<unsigned long long>(r.fuc_after));
  for (const auto& change : r.changes) std::printf("  %s\n", change.c_str());
  return Status::Ok();
}

}  // namespace

void RegisterImportCommand(CLI::App& app, Globals& g, Action* action) {
  auto path = std::make_shared<std::string>();
  CLI::App* cmd = app.add_subcommand("import", "import an update file into its container");
  cmd->add_option("file", *path, "the .update file ('-' for stdin)")->required();
  cmd->add_flag("--json", g.json, "print JSON");
  cmd->callback([&g, action, path] { *action = [&g, path] { return Import(g, *path); }; });
}

}  // namespace licet::cli
