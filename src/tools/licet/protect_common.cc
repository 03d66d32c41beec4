#include "tools/licet/protect_common.h"

#include <sys/stat.h>

#include "common/env.h"
#include "protect/elf/elf_file.h"
#include "tools/licet/cli.h"
#include "tools/licet/passphrase.h"

namespace licet::cli {

void AddProtectTargetOptions(CLI::App* cmd, ProtectTarget* o, const char* input_help) {
  cmd->add_option("input", o->input, input_help)->required();
  cmd->add_option("-o,--output", o->output, "the protected file to write")->required();
  cmd->add_option("--firm-key", o->firm_key, "the vendor's firm.key (gives the product secret)");
  cmd->add_option("--passphrase-file", o->passphrase_file, "file holding the firm.key passphrase");
  cmd->add_option("--firm-code", o->firm_code, "firm code (checked against the firm key)");
  cmd->add_option("--product-code", o->product_code, "product code");
  cmd->add_option("--where", o->where, "local, lan, local-lan or lan-local (default local)");
  cmd->add_option("--mode", o->mode, "user-limit, station-share, exclusive or no-user-limit");
  cmd->add_option("--product-name", o->product_name, "name shown in messages (up to 63 bytes)");
  cmd->add_flag("--ip-protection", o->ip_protection,
                "no license: embedded obfuscated key (anti-reverse-engineering only)");
  cmd->add_flag("--json", o->json, "print a JSON report of what was encrypted");
}

Result<uint32_t> Choice(const std::string& value, const char* what,
                        std::initializer_list<std::pair<const char*, uint32_t>> choices) {
  std::string names;
  for (const auto& [name, v] : choices) {
    if (value == name) return v;
    names += names.empty() ? name : std::string(", ") + name;
  }
  return Error(ErrorCode::kInvalidArgument, std::string(what) + " must be one of " + names);
}

Result<uint32_t> ParseWhere(const std::string& value) {
  return Choice(value, "--where", {{"local", 0}, {"lan", 1}, {"local-lan", 2}, {"lan-local", 3}});
}

Result<uint32_t> ParseAccessMode(const std::string& value) {
  return Choice(value, "--mode",
                {{"user-limit", 1}, {"station-share", 2}, {"exclusive", 4}, {"no-user-limit", 8}});
}

Result<engine::FirmKey> LoadFirmKey(const std::string& path, const std::string& passphrase_file,
                                    uint32_t firm_code) {
  if (path.empty()) {
    return Error(ErrorCode::kInvalidArgument, "--firm-key is required (or --ip-protection)");
  }
  LICET_ASSIGN_OR_RETURN(Bytes key_file, ReadInput(path));
  LICET_ASSIGN_OR_RETURN(std::string passphrase, ReadPassphrase(passphrase_file));
  auto firm = engine::DecodeFirmKeyFile(key_file, passphrase);
  SecureWipe(passphrase.data(), passphrase.size());
  if (!firm.ok()) return firm.status().WithContext(path);
  if (firm_code != 0 && firm->firm_code != firm_code) {
    return Error(ErrorCode::kInvalidArgument, path + " is the key of firm " +
                                                  std::to_string(firm->firm_code) +
                                                  ", not of firm " + std::to_string(firm_code));
  }
  return firm;
}

Result<InputFile> ReadInputFile(const std::string& path) {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) return Error(ErrorCode::kNotFound, path + ": cannot read it");
  InputFile in;
  in.mode = st.st_mode & 07777;
  LICET_ASSIGN_OR_RETURN(in.bytes, Env::Default().ReadFile(path, protect::elf::kMaxFileSize));
  return in;
}

}  // namespace licet::cli
