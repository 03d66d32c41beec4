// licet protect functions: encrypts the functions a program marked with LICET_PROTECTED
// (include/licet/protect.h), one content key per feature code. docs/PROTECTION.md
// "Function-level protection"; src/protect/functions does the work.
#include <cstdio>
#include <memory>
#include <nlohmann/json.hpp>

#include "common/env.h"
#include "engine/firm_key.h"
#include "protect/elf/elf_file.h"
#include "protect/functions/protector.h"
#include "tools/licet/cli.h"
#include "tools/licet/protect_common.h"

namespace licet::cli {
namespace {

struct FunctionsCliOptions : ProtectTarget {
  std::string activation_hint;
};

// Encrypts c.input into c.output and prints the report.
Status Protect(const FunctionsCliOptions& c, const protect::functions::FunctionsOptions& o,
               const engine::FirmKey& firm) {
  LICET_ASSIGN_OR_RETURN(InputFile in, ReadInputFile(c.input));
  auto regions = protect::functions::ProtectFunctions(in.bytes, firm, o);
  if (!regions.ok()) return regions.status().WithContext(c.input);
  LICET_RETURN_IF_ERROR(Env::Default().WriteFileAtomic(c.output, in.bytes, in.mode));
  if (c.json) {
    nlohmann::json list = nlohmann::json::array();
    for (const auto& r : *regions) {
      list.push_back({{"feature_code", r.feature_code}, {"vaddr", r.vaddr}, {"size", r.size},
                      {"encryption_code", r.encryption_code}});
    }
    nlohmann::json report = {{"input", c.input},
                             {"output", c.output},
                             {"mode", o.ip_protection ? "ip-protection" : "license"},
                             {"firm_code", firm.firm_code},
                             {"product_code", o.product_code},
                             {"regions", list}};
    std::printf("%s\n", report.dump(2).c_str());
  } else {
    uint64_t bytes = 0;
    for (const auto& r : *regions) bytes += r.size;
    std::printf("%s: %llu bytes of protected functions encrypted in %zu regions -> %s\n",
                c.input.c_str(), static_cast<unsigned long long>(bytes), regions->size(),
                c.output.c_str());
  }
  return Status::Ok();
}

Status RunProtectFunctions(const FunctionsCliOptions& c) {
  protect::functions::FunctionsOptions o;
  LICET_ASSIGN_OR_RETURN(o.where, ParseWhere(c.where));
  LICET_ASSIGN_OR_RETURN(o.access_mode, ParseAccessMode(c.mode));
  o.product_name = c.product_name;
  o.activation_hint = c.activation_hint;
  o.ip_protection = c.ip_protection;
  if (c.ip_protection) return Protect(c, o, engine::FirmKey{});
  if (c.product_code.empty()) return Error(ErrorCode::kInvalidArgument, "--product-code is required");
  LICET_ASSIGN_OR_RETURN(uint64_t product, ParseNumber(c.product_code, UINT32_MAX, "--product-code"));
  o.product_code = static_cast<uint32_t>(product);
  uint32_t firm_code = 0;  // any: the firm key names it
  if (!c.firm_code.empty()) {
    LICET_ASSIGN_OR_RETURN(uint64_t code, ParseNumber(c.firm_code, UINT32_MAX, "--firm-code"));
    firm_code = static_cast<uint32_t>(code);
  }
  LICET_ASSIGN_OR_RETURN(engine::FirmKey firm, LoadFirmKey(c.firm_key, c.passphrase_file, firm_code));
  return Protect(c, o, firm);
}

}  // namespace

void RegisterProtectFunctionsCommand(CLI::App& protect, Globals& g, Action* action) {
  (void)g;
  auto o = std::make_shared<FunctionsCliOptions>();
  CLI::App* cmd = protect.add_subcommand(
      "functions", "encrypt the functions marked LICET_PROTECTED(feature) in a linked program");
  cmd->set_config("--config", "", "read these options from a TOML file (keys = long option names)");
  AddProtectTargetOptions(cmd, o.get(), "the linked ELF executable or shared object");
  cmd->add_option("--activation-hint", o->activation_hint,
                  "how to get a license, shown in messages (up to 191 bytes)");
  cmd->callback([o, action] { *action = [o] { return RunProtectFunctions(*o); }; });
}

}  // namespace licet::cli
