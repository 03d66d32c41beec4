// licet-central's configuration (docs/CENTRAL.md "Configuration"): a TOML file whose every
// key is also an environment variable LICET_CENTRAL_<KEY> and a flag --<key-with-dashes>.
// Precedence: flags > environment > file > defaults.
#ifndef LICET_CENTRAL_CONFIG_H_
#define LICET_CENTRAL_CONFIG_H_

#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/bytes.h"
#include "common/status.h"

namespace licet::central {

struct CentralConfig {
  std::string listen = "127.0.0.1:22480";
  std::string data_dir;  // default: DefaultDataDir()
  std::string database;  // default: sqlite://<data_dir>/central.db
  std::string kek;       // 64 hex characters; prefer kek_file
  std::string kek_file;  // a file holding the 64 hex characters (mode 0600 or stricter)
  std::string log_level = "info";
  std::string log_format = "text";
  int threads = 2;           // I/O threads
  int workers = 4;           // request handler threads (and database connections);
                             // LoadConfig: DefaultWorkers(database) unless given
  int body_limit = 1 << 20;  // bytes
  int gateway_rate = 60;     // gateway requests per minute per client address; 0 = no limit
  int gateway_burst = 20;
  int request_timeout = 30;   // seconds to receive a request or write a response
  int shutdown_timeout = 10;  // seconds to finish requests in progress on SIGTERM
  // Reverse proxies whose X-Forwarded-For names the client (http/client_address.h): IP
  // addresses and CIDR blocks, comma-separated; "" trusts none. Validated when set.
  std::string trusted_proxies;
  std::string config_file;    // the file read, "" when none
};

// Workers when the configuration names none. SQLite has one writer (group commit batches
// the writes of any number of workers), so a few suffice; on PostgreSQL every worker holds a
// transaction open while it waits for its COMMIT's WAL flush, so the activations per second
// are at most workers / flush time, and more workers let one flush serve more commits
// (docs/PERFORMANCE.md, "License Central activations").
inline constexpr int kDefaultSqliteWorkers = 4;
inline constexpr int kDefaultPostgresWorkers = 16;
// kDefaultPostgresWorkers for a postgresql:// or postgres:// URL, else kDefaultSqliteWorkers.
int DefaultWorkers(std::string_view database);

struct ConfigKey {
  const char* name;  // in the TOML file
  const char* env;   // LICET_CENTRAL_...
  const char* flag;  // --...
  const char* help;
};
// Every key, in documentation order.
const std::vector<ConfigKey>& ConfigKeys();

using EnvLookup = std::function<std::optional<std::string>(const std::string& name)>;
EnvLookup ProcessEnv();

// $LICET_CENTRAL_DATA_DIR is handled as a key; this is the default: /var/lib/licet-central
// for root, else $XDG_DATA_HOME/licet-central or ~/.local/share/licet-central.
std::string DefaultDataDir(const EnvLookup& env);

// Sets one key from text; kInvalidArgument naming `origin` and the key.
[[nodiscard]] Status SetConfigKey(CentralConfig& c, std::string_view key, std::string_view value,
                                  const std::string& origin);
// Applies a TOML document (top-level keys only). Never throws.
[[nodiscard]] Status ApplyConfigToml(CentralConfig& c, std::string_view text,
                                     const std::string& origin);

struct ConfigFlags {
  std::optional<std::string> config;          // --config
  std::map<std::string, std::string> values;  // key -> text, from flags
};

// Defaults, then the file (--config, $LICET_CENTRAL_CONFIG, or /etc/licet/central.toml for
// root / $XDG_CONFIG_HOME/licet/central.toml when it exists), the environment, the flags.
[[nodiscard]] Result<CentralConfig> LoadConfig(const ConfigFlags& flags, const EnvLookup& env);

// The KEK from `kek` or `kek_file` (exactly one must be set). kInvalidArgument when missing,
// both set, or malformed; kPermissionDenied when kek_file is readable by group or others.
Result<SecretBytes> LoadKek(const CentralConfig& c);

// The effective configuration as TOML, with the KEK shown as "(set)".
std::string ConfigToToml(const CentralConfig& c);

}  // namespace licet::central

#endif  // LICET_CENTRAL_CONFIG_H_
