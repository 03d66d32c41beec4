// Shared plumbing of the `licet` subcommands: global options, config, one-line errors,
// file input and output.
#ifndef LICET_TOOLS_LICET_CLI_H_
#define LICET_TOOLS_LICET_CLI_H_

#include <CLI/CLI.hpp>

#include <functional>
#include <memory>
#include <string>

#include "common/bytes.h"
#include "common/status.h"

namespace licet::client {
class Connection;
}  // namespace licet::client

namespace licet::cli {

// Exit codes of `licet`, documented in its --help and docs/CLI.md.
inline constexpr int kExitOk = 0;
inline constexpr int kExitError = 1;  // the command failed; stderr says why in one line
inline constexpr int kExitUsage = 2;  // bad flags or arguments

struct Globals {
  std::string home;         // --home, $LICET_HOME, config "home"
  std::string config_path;  // --config, $LICET_CONFIG
  std::string socket;       // --socket, $LICET_SOCKET: licetd's local API
  bool no_daemon = false;   // --no-daemon, $LICET_NO_DAEMON: work on the files even if licetd runs
  bool home_explicit = false;  // the state dir was asked for (flag, environment or config)
  bool json = false;        // --json where a command supports it
};

// The action a parsed subcommand runs; returns a Status whose message is the one-line error.
using Action = std::function<Status()>;

// Each command file registers its subcommands and stores the action to run in *action.
void RegisterContainerCommands(CLI::App& app, Globals& g, Action* action);
void RegisterListCommand(CLI::App& app, Globals& g, Action* action);
void RegisterContextCommands(CLI::App& app, Globals& g, Action* action);
void RegisterImportCommand(CLI::App& app, Globals& g, Action* action);
void RegisterInfoCommand(CLI::App& app, Globals& g, Action* action);
void RegisterFirmCommands(CLI::App& app, Globals& g, Action* action);
void RegisterUpdateCommands(CLI::App& app, Globals& g, Action* action);
void RegisterAccessCommand(CLI::App& app, Globals& g, Action* action);
void RegisterActivateCommand(CLI::App& app, Globals& g, Action* action);
// `licet protect` with `exe` and `lib` (cmd_protect.cc); returns the group so that other
// protect subcommands (functions) can be added to it.
CLI::App* RegisterProtectCommands(CLI::App& app, Globals& g, Action* action);
// `licet protect functions` (cmd_protect_functions.cc), added to that group.
void RegisterProtectFunctionsCommand(CLI::App& protect, Globals& g, Action* action);

// licetd, when it runs and serves the state dir asked for; nullptr otherwise, and the command
// then works on the files, with their locks.
std::unique_ptr<client::Connection> ConnectDaemon(const Globals& g);

// Reads a file given on the command line ("-" = stdin), with a message naming it on error.
Result<Bytes> ReadInput(const std::string& path);
// Writes an output file atomically ("-" = stdout) with `mode`.
Status WriteOutput(const std::string& path, ByteSpan data, mode_t mode = 0644);

// Parses "0x3", "3", "0b11" as an unsigned number of at most `max`.
// The value of environment variable `name`, or "" when it is not set.
std::string EnvValue(const char* name);

Result<uint64_t> ParseNumber(const std::string& text, uint64_t max, const char* what);

// Applies the config file (TOML) to globals not set by flag or environment.
Status LoadConfig(Globals& g);

}  // namespace licet::cli

#endif  // LICET_TOOLS_LICET_CLI_H_
