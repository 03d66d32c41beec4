// licet context | receipt: a signed file telling what a container holds.
#include <cstdio>

#include <nlohmann/json.hpp>

#include "client/connection.h"
#include "engine/container_store.h"
#include "engine/context_file.h"
#include "protocol/protocol.h"
#include "tools/licet/cli.h"

namespace licet::cli {
namespace {

struct ContextOptions {
  std::string serial;
  std::string firm_code;
  std::string output;
};

Status MakeContext(const Globals& g, const ContextOptions& o, format::FileKind kind) {
  std::optional<uint32_t> firm;
  if (!o.firm_code.empty()) {
    LICET_ASSIGN_OR_RETURN(uint64_t code, ParseNumber(o.firm_code, 0xffffffff, "firm code"));
    firm = static_cast<uint32_t>(code);
  }
  Bytes file;
  if (auto daemon = ConnectDaemon(g)) {
    nlohmann::json request = {{"op", protocol::kOpContext}, {"serial", o.serial},
                              {"firm_code", firm.value_or(0)},
                              {"receipt", kind == format::FileKind::kReceipt}};
    LICET_ASSIGN_OR_RETURN(nlohmann::json r, daemon->Call(std::move(request)));
    if (!r.contains("file") || !r["file"].is_binary()) {
      return Error(ErrorCode::kProtocolError, "licetd answered without a file");
    }
    file = r["file"].get_binary();
  } else {
    engine::ContainerStore store(g.home);
    LICET_ASSIGN_OR_RETURN(std::string serial, store.ResolveSerial(o.serial));
    LICET_ASSIGN_OR_RETURN(engine::SoftContainer c, store.Open(serial));
    LICET_ASSIGN_OR_RETURN(file, engine::MakeContextFile(c, firm, kind, store.clock().Now()));
  }
  LICET_RETURN_IF_ERROR(WriteOutput(o.output, file));
  if (o.output != "-") {
    std::fprintf(stderr, "wrote %s to %s\n", format::FileKindName(kind), o.output.c_str());
  }
  return Status::Ok();
}

void Register(CLI::App& app, Globals& g, Action* action, const char* name, const char* help,
              format::FileKind kind) {
  auto o = std::make_shared<ContextOptions>();
  CLI::App* cmd = app.add_subcommand(name, help);
  cmd->add_option("--serial", o->serial, "container serial (default: the only container)");
  cmd->add_option("--firm-code", o->firm_code, "only this firm (listed with FUC 0 if absent)");
  cmd->add_option("-o,--output", o->output, "output file ('-' for stdout)")->required();
  cmd->callback([&g, action, o, kind] { *action = [&g, o, kind] { return MakeContext(g, *o, kind); }; });
}

}  // namespace

void RegisterContextCommands(CLI::App& app, Globals& g, Action* action) {
  Register(app, g, action, "context",
           "write a context file: the license request to take to the vendor", format::FileKind::kContext);
  Register(app, g, action, "receipt",
           "write a receipt: confirms to the vendor what the container holds after an import",
           format::FileKind::kReceipt);
}

}  // namespace licet::cli
