// licet firm init: the vendor's key material (firm.key).
#include <cstdio>

#include "common/env.h"
#include "engine/firm_key.h"
#include "tools/licet/cli.h"
#include "tools/licet/passphrase.h"

namespace licet::cli {
namespace {

struct FirmInitOptions {
  std::string firm_code;
  std::string name;
  std::string output;
  std::string passphrase_file;
  bool force = false;
};

Status FirmInit(const FirmInitOptions& o) {
  LICET_ASSIGN_OR_RETURN(uint64_t code, ParseNumber(o.firm_code, 0xffffffff, "firm code"));
  if (!o.force && Env::Default().FileExists(o.output)) {
    return Error(ErrorCode::kAlreadyExists,
                 o.output + " exists: a firm key cannot be recreated, keep it or pass --force");
  }
  LICET_ASSIGN_OR_RETURN(std::string passphrase, ReadPassphrase(o.passphrase_file));
  LICET_ASSIGN_OR_RETURN(engine::FirmKey key,
                         engine::GenerateFirmKey(static_cast<uint32_t>(code), o.name,
                                                 SystemClock::Get().Now()));
  auto file = engine::EncodeFirmKeyFile(key, passphrase);
  SecureWipe(passphrase.data(), passphrase.size());
  if (!file.ok()) return file.status();
  LICET_RETURN_IF_ERROR(WriteOutput(o.output, *file, 0600));
  std::printf("firm %u '%s': key written to %s (mode 0600%s); keep it safe, never ship it\n",
              key.firm_code, key.name.c_str(), o.output.c_str(),
              passphrase.empty() ? ", no passphrase" : ", passphrase-protected");
  return Status::Ok();
}

}  // namespace

void RegisterFirmCommands(CLI::App& app, Globals& /*g*/, Action* action) {
  CLI::App* firm = app.add_subcommand("firm", "vendor key material");
  firm->require_subcommand(1);
  auto o = std::make_shared<FirmInitOptions>();
  CLI::App* init = firm->add_subcommand("init", "create a firm key (Ed25519 signing key + firm secret)");
  init->add_option("--firm-code", o->firm_code, "the firm code, e.g. 6000010")->required();
  init->add_option("--name", o->name, "the firm's display name")->required();
  init->add_option("-o,--output", o->output, "the firm.key file to write")->required();
  init->add_option("--passphrase-file", o->passphrase_file,
                   "protect the key with the passphrase in this file (or $LICET_FIRM_KEY_PASSPHRASE)");
  init->add_flag("--force", o->force, "overwrite an existing file");
  init->callback([action, o] { *action = [o] { return FirmInit(*o); }; });
}

}  // namespace licet::cli
