// licet network audit FILE --public-key HEX: verifies a network server's per-firm usage log
// (docs/NETWORK.md, "Usage log") offline, as a vendor or auditor would: the hash chain, every
// signed checkpoint, and names the first broken record.
#include <cstdio>
#include <memory>
#include <nlohmann/json.hpp>

#include "network/usage_log.h"
#include "tools/licet/cmd_network.h"

namespace licet::cli {
namespace {

struct AuditOptions {
  std::string file;
  std::string public_key;  // hex, as licetd prints it at start and its admin API shows it
  bool require_signed = false;
};

Status NetworkAudit(const Globals& g, const AuditOptions& o) {
  LICET_ASSIGN_OR_RETURN(Bytes key, HexDecode(o.public_key));
  if (key.size() != crypto::kKeySize) {
    return Error(ErrorCode::kInvalidArgument,
                 "--public-key: a usage-log public key is 64 hex digits");
  }
  LICET_ASSIGN_OR_RETURN(Bytes log, ReadInput(o.file));
  auto audit = network::VerifyUsageLog(log, key);
  if (!audit.ok()) {
    return Error(audit.status().code(), o.file + ": " + audit.status().message());
  }
  if (g.json) {
    nlohmann::json j = {{"file", o.file},
                        {"firm", audit->firm_code},
                        {"records", audit->records},
                        {"checkpoints", audit->checkpoints},
                        {"unsigned_tail", audit->unsigned_tail}};
    std::printf("%s\n", j.dump(2).c_str());
  } else {
    std::printf("%s: firm %u, %llu record(s), %llu signed checkpoint(s): chain and signatures OK\n",
                o.file.c_str(), audit->firm_code, static_cast<unsigned long long>(audit->records),
                static_cast<unsigned long long>(audit->checkpoints));
    if (audit->unsigned_tail > 0) {
      std::printf("note: the last %llu record(s) follow the last checkpoint: chained, not signed\n",
                  static_cast<unsigned long long>(audit->unsigned_tail));
    }
  }
  if (o.require_signed && audit->unsigned_tail > 0) {
    return Error(ErrorCode::kBadSignature,
                 std::to_string(audit->unsigned_tail) + " record(s) after the last checkpoint");
  }
  return Status::Ok();
}

}  // namespace

void RegisterNetworkAuditCommand(CLI::App& network, Globals& g, Action* action) {
  auto o = std::make_shared<AuditOptions>();
  CLI::App* audit = network.add_subcommand(
      "audit", "verify a network server's signed usage log (hash chain and checkpoints)");
  audit->add_option("FILE", o->file, "the usage log, e.g. HOME/network/usage/6000010.log")
      ->required();
  audit
      ->add_option("--public-key", o->public_key,
                   "the server's usage-log public key, hex (licetd prints it at start)")
      ->required();
  audit->add_flag("--require-signed", o->require_signed,
                  "fail when records follow the last signed checkpoint");
  audit->add_flag("--json", g.json, "print JSON");
  audit->callback([&g, action, o] { *action = [&g, o] { return NetworkAudit(g, *o); }; });
}

}  // namespace licet::cli
