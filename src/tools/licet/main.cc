// licet: the one command-line tool of Licet (DESIGN §2). This file wires the subcommands;
// each lives in its own cmd_*.cc and calls the libraries.
#include <CLI/CLI.hpp>

#include <cstdio>
#include <exception>
#include <iostream>

#include "tools/licet/cli.h"
#include "tools/licet/cmd_borrow.h"
#include "tools/licet/cmd_network.h"

namespace {

constexpr const char* kFooter = R"(Exit codes: 0 success, 1 the command failed (one line on stderr says why),
2 bad usage.
Environment: LICET_HOME (state dir), LICET_CONFIG (config file),
LICET_FIRM_KEY_PASSPHRASE (passphrase of a firm.key).
Config (TOML, /etc/licet/licet.toml or ~/.config/licet/licet.toml): home = "DIR".)";

}  // namespace

int main(int argc, char** argv) {
  using namespace licet;
  CLI::App app{"licet: software licenses in device-bound containers, online or offline"};
  app.footer(kFooter);
  app.require_subcommand(1);
  app.fallthrough();
  app.set_version_flag("--version", "licet 0.1.0");

  cli::Globals globals;
  app.add_option("--home", globals.home, "state dir (default $LICET_HOME, /var/lib/licet for root)")
      ->envname("LICET_HOME");
  app.add_option("--config", globals.config_path, "config file (TOML)")->envname("LICET_CONFIG");
  app.add_option("--socket", globals.socket, "licetd's socket (default /run/licet/licetd.sock for root)")
      ->envname("LICET_SOCKET");
  app.add_flag("--no-daemon", globals.no_daemon, "work on the container files even if licetd runs")
      ->envname("LICET_NO_DAEMON");

  cli::Action action;
  cli::RegisterContainerCommands(app, globals, &action);
  cli::RegisterListCommand(app, globals, &action);
  cli::RegisterContextCommands(app, globals, &action);
  cli::RegisterImportCommand(app, globals, &action);
  cli::RegisterInfoCommand(app, globals, &action);
  cli::RegisterFirmCommands(app, globals, &action);
  cli::RegisterUpdateCommands(app, globals, &action);
  cli::RegisterAccessCommand(app, globals, &action);
  cli::RegisterActivateCommand(app, globals, &action);
  cli::RegisterNetworkCommands(app, globals, &action);  // licet network (cmd_network.cc)
  cli::RegisterBorrowCommands(app, globals, &action);   // licet borrow (cmd_borrow.cc)
  CLI::App* protect = cli::RegisterProtectCommands(app, globals, &action);
  cli::RegisterProtectFunctionsCommand(*protect, globals, &action);

  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForAllHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForVersion& e) {
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    std::fprintf(stderr, "licet: %s (see 'licet --help')\n", e.what());
    return cli::kExitUsage;
  }

  try {
    Status st = cli::LoadConfig(globals);
    if (st.ok() && action) st = action();
    if (!st.ok()) {
      std::fprintf(stderr, "licet: %s\n", st.ToString().c_str());
      return cli::kExitError;
    }
  } catch (const std::exception& e) {
    std::fprintf(stderr, "licet: internal error: %s\n", e.what());
    return cli::kExitError;
  }
  return cli::kExitOk;
}
