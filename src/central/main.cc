// licet-central: License Central (DESIGN §2, §4; docs/CENTRAL.md). Subcommands: serve (the
// default), migrate, apikey create|list|revoke, activate-offline. Exits non-zero with a
// one-line reason.
#include <signal.h>

#include <CLI/CLI.hpp>
#include <cstdio>
#include <exception>
#include <iostream>

#include "central/api/auth.h"
#include "central/app.h"
#include "central/engine/activation.h"
#include "central/engine/catalog.h"
#include "central/http/log.h"
#include "common/clock.h"
#include "common/env.h"

namespace {

using namespace licet;
using namespace licet::central;

constexpr int kExitFailure = 1;
constexpr int kExitUsage = 2;

int Fail(const Status& st) {
  std::fprintf(stderr, "licet-central: %s\n", st.ToString().c_str());
  return kExitFailure;
}

// SIGTERM and SIGINT are blocked in every thread and taken by sigwait in main, so the
// shutdown runs as ordinary code rather than in a signal handler.
int Serve(App& app) {
  Status st = app.StartServer();
  if (!st.ok()) return Fail(st);
  std::printf("licet-central listening on %s\n", app.BoundAddress().c_str());
  std::fflush(stdout);
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGTERM);
  sigaddset(&set, SIGINT);
  int sig = 0;
  sigwait(&set, &sig);
  http::Log(http::LogLevel::kInfo, "shutting down", {{"signal", sig == SIGTERM ? "TERM" : "INT"}});
  app.Stop();
  http::Log(http::LogLevel::kInfo, "stopped");
  return 0;
}

int CreateKey(App& app, const std::string& scopes_text, std::optional<uint32_t> firm,
              const std::string& description) {
  auto scopes = api::ParseScopes(scopes_text);
  if (!scopes.ok()) return Fail(scopes.status());
  auto key = api::CreateApiKey(app.store(), *scopes, firm, description, app.clock().Now());
  if (!key.ok()) return Fail(key.status());
  // The key goes to stdout alone (for scripts); the rest to stderr.
  std::printf("%s\n", key->key.c_str());
  std::fprintf(stderr, "created API key %s (scopes %s%s); it is shown only now\n",
               key->record.prefix.c_str(), scopes_text.c_str(),
               firm ? (", firm " + std::to_string(*firm)).c_str() : "");
  return 0;
}

int ListKeys(App& app) {
  auto keys = app.store().TransactResult<std::vector<store::ApiKeyRecord>>(
      store::TxMode::kRead, [](store::Tx& tx) { return tx.ListApiKeys(); });
  if (!keys.ok()) return Fail(keys.status());
  for (const auto& k : *keys) {
    std::string scopes;
    for (const auto& s : k.scopes) scopes += (scopes.empty() ? "" : ",") + s;
    std::printf("%s\t%s\t%s\t%s\t%s\t%s\n", k.id.c_str(), scopes.c_str(),
                k.firm_code ? std::to_string(*k.firm_code).c_str() : "*",
                FormatTime(k.created_at).c_str(),
                k.revoked_at ? ("revoked " + FormatTime(*k.revoked_at)).c_str() : "active",
                k.description.c_str());
  }
  return 0;
}

// Offline activation on the vendor's side: the customer's .context and ticket in, the
// .update out, through the same engine (and the same checks) as the gateway.
int ActivateOffline(App& app, const std::string& ticket, const std::string& context_path,
                    const std::string& output) {
  constexpr size_t kMaxContext = 1u << 20;  // the gateway's default body limit
  auto context = Env::Default().ReadFile(context_path, kMaxContext);
  if (!context.ok()) return Fail(context.status().WithContext("cannot read " + context_path));
  central::engine::Catalog catalog(app.store(), app.vault(), app.clock());
  central::engine::LicenseEngine activation(app.store(), app.vault(), catalog, app.clock());
  auto issued = activation.Activate(ticket, *context, "cli:activate-offline");
  if (!issued.ok()) return Fail(issued.status());
  Status st = Env::Default().WriteFileAtomic(output, issued->file, 0644);
  if (!st.ok()) return Fail(st.WithContext("cannot write " + output));
  std::fprintf(stderr,
               "licet-central: wrote the update of container %s to %s (firm %u, FUC %llu..%llu, "
               "%s, %u activation(s) left); the customer runs 'licet import %s'\n",
               issued->serial.c_str(), output.c_str(), issued->firm_code,
               static_cast<unsigned long long>(issued->fuc_from),
               static_cast<unsigned long long>(issued->fuc_to),
               issued->new_activation ? "new activation" : "repeat, nothing spent",
               issued->activations_left, output.c_str());
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  // Block before any thread starts, so that every thread inherits the mask.
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGTERM);
  sigaddset(&set, SIGINT);
  pthread_sigmask(SIG_BLOCK, &set, nullptr);
  signal(SIGPIPE, SIG_IGN);

  CLI::App cli{"licet-central: License Central, the back office of Licet (docs/CENTRAL.md)"};
  cli.set_version_flag("--version", "licet-central 0.1.0");
  cli.require_subcommand(0, 1);
  cli.fallthrough();
  ConfigFlags flags;
  std::string config_path;
  cli.add_option("--config", config_path, "config file (TOML; env LICET_CENTRAL_CONFIG)");
  std::map<std::string, std::string> values;
  for (const ConfigKey& k : ConfigKeys()) {
    cli.add_option_function<std::string>(
        k.flag, [&values, name = std::string(k.name)](const std::string& v) { values[name] = v; },
        std::string(k.help) + " (env " + k.env + ")");
  }
  bool print_config = false;
  cli.add_flag("--print-config", print_config, "print the effective configuration and exit");

  auto* serve = cli.add_subcommand("serve", "serve the REST and gateway API (the default)");
  (void)serve;
  auto* migrate = cli.add_subcommand("migrate", "apply database migrations and exit");
  auto* apikey = cli.add_subcommand("apikey", "manage API keys of the vendor API");
  apikey->require_subcommand(1);
  std::string scopes, description;
  std::optional<uint32_t> firm;
  auto* create = apikey->add_subcommand("create", "create a key and print it once on stdout");
  create->add_option("--scopes", scopes, "comma-separated scopes, or '*'")->required();
  create->add_option("--firm", firm, "limit the key to this firm code");
  create->add_option("--description", description, "what the key is for");
  apikey->add_subcommand("list", "list keys (never the secrets)");
  std::string revoke_id;
  auto* revoke = apikey->add_subcommand("revoke", "revoke a key by id");
  revoke->add_option("id", revoke_id, "the key id (lck_<id>_...)")->required();

  std::string offline_ticket, offline_context, offline_output;
  auto* offline = cli.add_subcommand(
      "activate-offline", "turn a customer's .context and a ticket into an .update file");
  offline->add_option("--ticket", offline_ticket, "the ticket")->required();
  offline->add_option("--context", offline_context, "the customer's .context file")->required();
  offline->add_option("-o,--output", offline_output, "the .update file to write")->required();

  try {
    cli.parse(argc, argv);
  } catch (const CLI::CallForHelp& e) {
    return cli.exit(e);
  } catch (const CLI::CallForAllHelp& e) {
    return cli.exit(e);
  } catch (const CLI::CallForVersion& e) {
    return cli.exit(e);
  } catch (const CLI::ParseError& e) {
    std::fprintf(stderr, "licet-central: %s (see 'licet-central --help')\n", e.what());
    return kExitUsage;
  }

  try {
    if (!config_path.empty()) flags.config = config_path;
    flags.values = values;
    auto config = LoadConfig(flags, ProcessEnv());
    if (!config.ok()) return Fail(config.status());
    if (print_config) {
      std::printf("%s", ConfigToToml(*config).c_str());
      return 0;
    }
    Status logging = http::InitLogging(config->log_level, config->log_format);
    if (!logging.ok()) return Fail(logging);
    auto app = App::Open(*config);
    if (!app.ok()) return Fail(app.status());
    if (migrate->parsed()) {
      std::fprintf(stderr, "licet-central: database is up to date\n");
      return 0;
    }
    if (create->parsed()) return CreateKey(**app, scopes, firm, description);
    if (offline->parsed()) {
      return ActivateOffline(**app, offline_ticket, offline_context, offline_output);
    }
    if (apikey->parsed() && revoke->parsed()) {
      Status st = (*app)->store().Transact(store::TxMode::kWrite, [&](store::Tx& tx) {
        return tx.RevokeApiKey(revoke_id, (*app)->clock().Now());
      });
      if (!st.ok()) return Fail(st);
      std::fprintf(stderr, "licet-central: revoked API key %s\n", revoke_id.c_str());
      return 0;
    }
    if (apikey->parsed()) return ListKeys(**app);
    return Serve(**app);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "licet-central: unexpected error: %s\n", e.what());
    return kExitFailure;
  }
}
