// licet protect exe|lib: encrypts an ELF executable or shared object so that it runs only
// with a license (or, with --ip-protection, with an embedded obfuscated key).
// docs/PROTECTION.md is the reference; src/protect/packer does the work.
#include <toml++/toml.h>

#include <cstdio>
#include <nlohmann/json.hpp>

#include "common/clock.h"
#include "common/env.h"
#include "engine/firm_key.h"
#include "protect/packer/packer.h"
#include "protect/stub/stub_blob.h"
#include "tools/licet/cli.h"
#include "tools/licet/protect_common.h"

namespace licet::cli {
namespace {

using nlohmann::json;
using protect::key::Kind;
using protect::key::Mode;
using protect::key::OnLoss;
using protect::key::Policy;

struct ProtectCliOptions : ProtectTarget {
  std::string feature_code = "0";
  std::string check_interval = "30s";
  std::string on_loss = "warn";
  std::string grace = "60s";
  std::string warn_units = "0";
  std::string warn_days = "0";
  std::string hardening = "off";
  std::string message_url;
  std::string config;
};

// --config FILE: a TOML table whose keys are the long option names; a flag given on the
// command line wins over the file. Unknown keys are refused, so a typo does not pass silently.
Status ApplyConfig(const CLI::App& cmd, ProtectCliOptions* o) {
  toml::table table;
  try {
    table = toml::parse_file(o->config);
  } catch (const toml::parse_error& err) {
    return Error(ErrorCode::kInvalidArgument, "config " + o->config + " line " +
                                                  std::to_string(err.source().begin.line) + ": " +
                                                  std::string(err.description()));
  }
  const std::pair<const char*, std::string*> strings[] = {{"firm-key", &o->firm_key},
                                                          {"passphrase-file", &o->passphrase_file},
                                                          {"firm-code", &o->firm_code},
                                                          {"product-code", &o->product_code},
                                                          {"feature-code", &o->feature_code},
                                                          {"where", &o->where},
                                                          {"mode", &o->mode},
                                                          {"check-interval", &o->check_interval},
                                                          {"on-loss", &o->on_loss},
                                                          {"grace", &o->grace},
                                                          {"warn-units", &o->warn_units},
                                                          {"warn-days", &o->warn_days},
                                                          {"hardening", &o->hardening},
                                                          {"product-name", &o->product_name},
                                                          {"message-url", &o->message_url}};
  for (const auto& [key, node] : table) {
    std::string name(key.str());
    const CLI::Option* flag_option = cmd.get_option_no_throw("--" + name);
    bool given = flag_option != nullptr && flag_option->count() > 0;
    bool known = false;
    for (const auto& [option, field] : strings) {
      if (name != option) continue;
      known = true;
      if (given) break;
      if (auto text = node.value<std::string>()) {
        *field = *text;
      } else if (auto number = node.value<int64_t>(); number && *number >= 0) {
        *field = std::to_string(*number);
      } else {
        return Error(ErrorCode::kInvalidArgument,
                     "config " + o->config + ": " + name + " must be a string or a number");
      }
    }
    if (name == "ip-protection") {
      known = true;
      auto flag = node.value<bool>();
      if (!flag)
        return Error(ErrorCode::kInvalidArgument,
                     "config " + o->config + ": ip-protection must be true or false");
      if (!given) o->ip_protection = *flag;
    }
    if (!known) {
      return Error(ErrorCode::kInvalidArgument,
                   "config " + o->config + ": unknown key '" + name + "'");
    }
  }
  return Status::Ok();
}

Result<uint32_t> Seconds(const std::string& text, const char* what) {
  Result<int64_t> s = ParseDuration(text);
  if (!s.ok() || *s < 0 || *s > 0x7fffffff) {
    return Error(ErrorCode::kInvalidArgument,
                 std::string(what) + ": not a duration (e.g. 30s, 5m)");
  }
  return static_cast<uint32_t>(*s);
}

Result<protect::packer::ProtectOptions> BuildOptions(const ProtectCliOptions& c, Kind kind) {
  protect::packer::ProtectOptions o;
  o.kind = kind;
  o.mode = c.ip_protection ? Mode::kIpProtection : Mode::kLicense;
  if (!c.ip_protection) {
    if (c.firm_code.empty() || c.product_code.empty()) {
      return Error(ErrorCode::kInvalidArgument, "--firm-code and --product-code are required");
    }
    LICET_ASSIGN_OR_RETURN(uint64_t firm, ParseNumber(c.firm_code, 0xffffffff, "firm code"));
    LICET_ASSIGN_OR_RETURN(uint64_t product,
                           ParseNumber(c.product_code, 0xffffffff, "product code"));
    if (firm == 0 || product == 0) {
      return Error(ErrorCode::kInvalidArgument, "firm and product codes must not be 0");
    }
    o.firm_code = static_cast<uint32_t>(firm);
    o.product_code = static_cast<uint32_t>(product);
  }
  LICET_ASSIGN_OR_RETURN(uint64_t feature, ParseNumber(c.feature_code, 0xffffffff, "feature code"));
  o.feature_code = static_cast<uint32_t>(feature);
  LICET_ASSIGN_OR_RETURN(o.where, ParseWhere(c.where));
  LICET_ASSIGN_OR_RETURN(o.access_mode, ParseAccessMode(c.mode));
  LICET_ASSIGN_OR_RETURN(o.check_interval_seconds, Seconds(c.check_interval, "--check-interval"));
  LICET_ASSIGN_OR_RETURN(uint32_t loss, Choice(c.on_loss, "--on-loss", {{"warn", 0}, {"exit", 1}}));
  o.on_loss = static_cast<OnLoss>(loss);
  LICET_ASSIGN_OR_RETURN(o.grace_seconds, Seconds(c.grace, "--grace"));
  LICET_ASSIGN_OR_RETURN(uint64_t units, ParseNumber(c.warn_units, 0xffffffff, "--warn-units"));
  LICET_ASSIGN_OR_RETURN(uint64_t days, ParseNumber(c.warn_days, 0xffffffff, "--warn-days"));
  o.low_units = static_cast<uint32_t>(units);
  o.low_days = static_cast<uint32_t>(days);
  LICET_ASSIGN_OR_RETURN(uint32_t policy, Choice(c.hardening, "--hardening",
                                                 {{"off", 0}, {"report", 1}, {"enforce", 2}}));
  o.hardening = (policy << protect::key::kHardenNonDumpable) |
                (policy << protect::key::kHardenNoCore) | (policy << protect::key::kHardenTracer);
  o.product_name = c.product_name;
  if (o.product_name.empty()) {
    size_t slash = c.input.find_last_of('/');
    o.product_name = slash == std::string::npos ? c.input : c.input.substr(slash + 1);
  }
  // Empty: the stub prints its default, "licet activate <ticket> (from your vendor)".
  if (!c.message_url.empty()) {
    o.activation_hint = "get a ticket at " + c.message_url + ", then run: licet activate <ticket>";
  }
  return o;
}

json ReportJson(const protect::packer::ProtectReport& r, const ProtectCliOptions& c) {
  json ranges = json::array();
  for (const auto& range : r.ranges) {
    ranges.push_back({{"vaddr", range.vaddr},
                      {"file_offset", range.file_offset},
                      {"length", range.length},
                      {"prot", (range.prot & 1 ? std::string("r") : std::string("-")) +
                                   (range.prot & 4 ? "x" : "-")}});
  }
  return {{"input", c.input},
          {"output", c.output},
          {"mode", c.ip_protection ? "ip-protection" : "license"},
          {"ranges", ranges},
          {"bytes_encrypted", r.bytes_encrypted},
          {"entry_hook", r.entry_hook},
          {"stub_size", r.stub_size},
          {"stub_vaddr", r.stub_vaddr},
          {"descriptor_offset", r.descriptor_offset},
          {"output_size", r.output_size}};
}

Status RunProtect(const ProtectCliOptions& c, Kind kind) {
  LICET_ASSIGN_OR_RETURN(protect::packer::ProtectOptions o, BuildOptions(c, kind));
  SecretBytes firm_secret;
  if (!c.ip_protection) {
    LICET_ASSIGN_OR_RETURN(engine::FirmKey firm, LoadFirmKey(c.firm_key, c.passphrase_file, o.firm_code));
    firm_secret = std::move(firm.firm_secret);
  }
  LICET_ASSIGN_OR_RETURN(InputFile in, ReadInputFile(c.input));
  protect::packer::ProtectReport report;
  auto out = protect::packer::Protect(in.bytes, o, firm_secret, protect::stub::StubBlob(), &report);
  if (!out.ok()) return out.status().WithContext(c.input);
  LICET_RETURN_IF_ERROR(Env::Default().WriteFileAtomic(c.output, *out, in.mode));
  if (c.json) {
    std::printf("%s\n", ReportJson(report, c).dump(2).c_str());
  } else {
    std::printf(
        "%s: %llu bytes encrypted in %zu ranges, decryptor (%llu bytes) hooked at %s -> %s\n",
        c.input.c_str(), static_cast<unsigned long long>(report.bytes_encrypted),
        report.ranges.size(), static_cast<unsigned long long>(report.stub_size),
        report.entry_hook.c_str(), c.output.c_str());
  }
  return Status::Ok();
}

void AddProtectOptions(CLI::App* cmd, ProtectCliOptions* o) {
  cmd->add_option("--config", o->config,
                  "read these options from a TOML file (keys = long option names)");
  AddProtectTargetOptions(cmd, o, "the ELF file to protect");
  cmd->add_option("--feature-code", o->feature_code,
                  "feature code the license must have (default 0)");
  cmd->add_option("--check-interval", o->check_interval,
                  "license re-check period, 0 = none (default 30s)");
  cmd->add_option("--on-loss", o->on_loss, "warn or exit when the license is lost (default warn)");
  cmd->add_option("--grace", o->grace, "with --on-loss exit: time before exiting (default 60s)");
  cmd->add_option("--warn-units", o->warn_units, "warn when this few units are left (0 = never)");
  cmd->add_option("--warn-days", o->warn_days, "warn this many days before expiry (0 = never)");
  cmd->add_option("--hardening", o->hardening, "off, report or enforce (default off)");
  cmd->add_option("--message-url", o->message_url, "where users get a license (shown in messages)");
}

}  // namespace

CLI::App* RegisterProtectCommands(CLI::App& app, Globals& g, Action* action) {
  (void)g;
  CLI::App* protect =
      app.add_subcommand("protect", "encrypt software so it runs only with a license");
  protect->require_subcommand(1);
  auto exe_options = std::make_shared<ProtectCliOptions>();
  CLI::App* exe = protect->add_subcommand("exe", "protect an ELF executable");
  AddProtectOptions(exe, exe_options.get());
  exe->callback([exe, exe_options, action] {
    *action = [exe, exe_options] {
      if (!exe_options->config.empty()) LICET_RETURN_IF_ERROR(ApplyConfig(*exe, exe_options.get()));
      return RunProtect(*exe_options, Kind::kExecutable);
    };
  });
  auto lib_options = std::make_shared<ProtectCliOptions>();
  CLI::App* lib =
      protect->add_subcommand("lib", "protect an ELF shared object (also Python extensions)");
  AddProtectOptions(lib, lib_options.get());
  lib->callback([lib, lib_options, action] {
    *action = [lib, lib_options] {
      if (!lib_options->config.empty()) LICET_RETURN_IF_ERROR(ApplyConfig(*lib, lib_options.get()));
      return RunProtect(*lib_options, Kind::kLibrary);
    };
  });
  return protect;
}

}  // namespace licet::cli
