// licetd's configuration (docs/LICETD.md "Configuration"): a TOML file whose every key is also
// an environment variable and a flag. Precedence: flags > environment > file > defaults.
#ifndef LICET_DAEMON_CONFIG_H_
#define LICET_DAEMON_CONFIG_H_

#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"
#include "daemon/network_config.h"

namespace licet::daemon {

struct DaemonConfig {
  std::string home;    // state dir with containers/ (engine::DefaultHome())
  std::string socket;  // local API socket (protocol::DefaultSocketPath())
  // Admin HTTP "HOST:PORT" (port 0 = any free port); "off" disables it.
  std::string admin_listen = "127.0.0.1:22452";
  // Origins ("http://localhost:3000") whose browser requests the admin API accepts. Empty:
  // every request carrying an Origin header is refused.
  std::vector<std::string> admin_allowed_origins;
  std::string log_level = "info";   // trace, debug, info, warn, error, critical, off
  std::string log_format = "text";  // text or json (one JSON object per line)
  int threads = 1;                  // threads serving the sockets
  int workers = 2;                  // threads for blocking work: writes, imports
  int rescan_interval = 10;         // seconds between container directory scans; 0 = never
  int shutdown_timeout = 10;        // seconds to finish in-flight requests on SIGTERM
  NetworkConfig network;            // [network] and [network.client] (daemon/network_config.h)
  std::string config_file;          // the file read, "" when none
};

// Values given on the command line; unset ones leave the lower layers alone.
struct ConfigFlags {
  std::optional<std::string> config;
  std::map<std::string, std::string> values;  // key (as in the file) -> text
};

// Reads an environment variable; std::getenv in production, a map in tests.
using EnvLookup = std::function<std::optional<std::string>(const std::string& name)>;
EnvLookup ProcessEnv();

// One configuration key: its name in the file, its environment variable, its flag, the help.
struct ConfigKey {
  const char* name;
  const char* env;
  const char* flag;
  const char* help;
};
// Every key, in documentation order.
const std::vector<ConfigKey>& ConfigKeys();

// Sets one key from its text form (as an environment variable or flag gives it; lists are
// comma-separated). kInvalidArgument naming the key and `origin` for an unknown key or a bad
// value.
[[nodiscard]] Status SetConfigKey(DaemonConfig& config, std::string_view key,
                                  std::string_view value, const std::string& origin);

// Applies a TOML document: top-level keys of ConfigKeys() and the [network] and
// [network.client] tables; strings, integers, booleans, and arrays of strings for the list keys. kInvalidArgument with the line for syntax errors,
// unknown keys and wrong types. Never throws.
[[nodiscard]] Status ApplyConfigToml(DaemonConfig& config, std::string_view text,
                                     const std::string& origin);

// The whole stack: defaults, then the config file (flags.config, else $LICETD_CONFIG, else
// /etc/licet/licetd.toml for root or $XDG_CONFIG_HOME/licet/licetd.toml otherwise, when it
// exists), then the environment, then the flags. A file named explicitly must exist.
[[nodiscard]] Result<DaemonConfig> LoadConfig(const ConfigFlags& flags, const EnvLookup& env);

// The effective configuration as a TOML document (what --print-config shows).
std::string ConfigToToml(const DaemonConfig& config);

}  // namespace licet::daemon

#endif  // LICET_DAEMON_CONFIG_H_
