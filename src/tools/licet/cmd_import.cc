// licet import FILE.update
#include <cstdio>
#include <nlohmann/json.hpp>

#include "client/connection.h"
#include "engine/container_store.h"
#include "engine/update_file.h"
#include "protocol/protocol.h"
#include "tools/licet/cli.h"

namespace licet::cli {
namespace {

using nlohmann::json;

// licetd imports (and reloads its copy) when it runs; otherwise the files are updated under
// their locks.
Result<engine::ImportResult> ImportThroughDaemonOrFiles(const Globals& g, const Bytes& file) {
  auto daemon = ConnectDaemon(g);
  if (!daemon) {
    engine::ContainerStore store(g.home);
    return engine::ImportUpdate(store, file);
  }
  LICET_ASSIGN_OR_RETURN(json r, daemon->Call({{"op", protocol::kOpImport}, {"file", json::binary(file)}}));
  engine::ImportResult result;
  try {
    result.serial = r.at("serial").get<std::string>();
    model::ApplyReport& rep = result.report;
    rep.firm_code = r.at("firm_code").get<uint32_t>();
    rep.fuc_before = r.at("fuc_before").get<uint64_t>();
    rep.fuc_after = r.at("fuc_after").get<uint64_t>();
    rep.applied = r.at("applied").get<int>();
    rep.skipped = r.at("skipped").get<int>();
    rep.changes = r.at("changes").get<std::vector<std::string>>();
  } catch (const json::exception& e) {
    return Error(ErrorCode::kProtocolError, std::string("licetd's import answer: ") + e.what());
  }
  return result;
}

Status Import(const Globals& g, const std::string& path) {
  LICET_ASSIGN_OR_RETURN(Bytes file, ReadInput(path));
  auto result = ImportThroughDaemonOrFiles(g, file);
  if (!result.ok()) return result.status().WithContext("cannot import " + path);
  const model::ApplyReport& r = result->report;
  if (g.json) {
    json j = {{"serial", result->serial},   {"firm_code", r.firm_code},
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
