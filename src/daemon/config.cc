#include "daemon/config.h"

#include <toml++/toml.h>
#include <unistd.h>

#include <charconv>
#include <cstdlib>
#include <exception>
#include <functional>
#include <sstream>

#include "common/config_values.h"
#include "common/env.h"
#include "daemon/admin_guard.h"
#include "engine/paths.h"
#include "protocol/protocol.h"

namespace licet::daemon {
namespace {

constexpr size_t kMaxConfigFileSize = 1u << 20;

using config::Bad;
using config::SetChoice;
using config::SetInt;
using config::SetPath;
using config::Trim;

}  // namespace

EnvLookup ProcessEnv() {
  return [](const std::string& name) -> std::optional<std::string> {
    const char* v = std::getenv(name.c_str());
    if (v == nullptr) return std::nullopt;
    return std::string(v);
  };
}

const std::vector<ConfigKey>& ConfigKeys() {
  static const std::vector<ConfigKey> keys = {
      {"home", "LICET_HOME", "--home", "state directory holding containers/"},
      {"socket", "LICET_SOCKET", "--socket", "path of the local API Unix socket"},
      {"admin_listen", "LICETD_ADMIN_LISTEN", "--admin-listen",
       "admin HTTP address HOST:PORT (port 0: any free port), or 'off'"},
      {"admin_allowed_origins", "LICETD_ADMIN_ALLOWED_ORIGINS", "--admin-allowed-origins",
       "comma-separated browser origins the admin API accepts (default: none)"},
      {"log_level", "LICETD_LOG_LEVEL", "--log-level",
       "trace, debug, info, warn, error, critical or off"},
      {"log_format", "LICETD_LOG_FORMAT", "--log-format", "text or json"},
      {"threads", "LICETD_THREADS", "--threads", "threads serving the sockets (1-64)"},
      {"workers", "LICETD_WORKERS", "--workers", "threads for disk writes and imports (1-64)"},
      {"rescan_interval", "LICETD_RESCAN_INTERVAL", "--rescan-interval",
       "seconds between scans of the container directory; 0: only on demand and SIGHUP"},
      {"shutdown_timeout", "LICETD_SHUTDOWN_TIMEOUT", "--shutdown-timeout",
       "seconds to finish in-flight requests after SIGTERM"},
      // [network]: the network license server (docs/NETWORK.md).
      {"network.enable", "LICETD_NETWORK_ENABLE", "--network-enable",
       "true: serve this machine's licenses to the network over TLS"},
      {"network.listen", "LICETD_NETWORK_LISTEN", "--network-listen",
       "network server address HOST:PORT (default 0.0.0.0:22450)"},
      {"network.cert", "LICETD_NETWORK_CERT", "--network-cert",
       "server certificate (PEM; default HOME/network/server.crt, made on first start)"},
      {"network.key", "LICETD_NETWORK_KEY", "--network-key",
       "server key (PEM, 0600; default HOME/network/server.key)"},
      {"network.client_ca", "LICETD_NETWORK_CLIENT_CA", "--network-client-ca",
       "CA file: require client certificates from it (mutual TLS)"},
      {"network.lease_timeout", "LICETD_NETWORK_LEASE_TIMEOUT", "--network-lease-timeout",
       "seconds without heartbeat before a network seat is freed (default 120)"},
      {"network.lease_timeouts", "LICETD_NETWORK_LEASE_TIMEOUTS", "--network-lease-timeouts",
       "per-product lease timeouts, comma-separated FIRM:PRODUCT=SECONDS"},
      {"network.allow", "LICETD_NETWORK_ALLOW", "--network-allow",
       "who may use the network server: IP/CIDR, host:GLOB, user:GLOB, group:NAME (empty: all)"},
      {"network.deny", "LICETD_NETWORK_DENY", "--network-deny",
       "who may not (wins over allow), same syntax as network.allow"},
      {"network.groups", "LICETD_NETWORK_GROUPS", "--network-groups",
       "groups for rules and reservations: NAME=MEMBER MEMBER... (user, host:, IP/CIDR)"},
      {"network.reservations", "LICETD_NETWORK_RESERVATIONS", "--network-reservations",
       "seats held for a group: FIRM:PRODUCT=SEATS@GROUP"},
      // [network.client]: where accesses with where=LAN go.
      {"network.client.servers", "LICET_SERVERS", "--servers",
       "network license servers host[:port], comma-separated, tried in order"},
      {"network.client.fingerprints", "LICET_SERVER_FINGERPRINTS", "--server-fingerprints",
       "pinned SHA-256 fingerprints (sha256:HEX) of the servers' certificates"},
      {"network.client.ca", "LICET_SERVER_CA", "--server-ca",
       "CA file that signs the servers' certificates (instead of fingerprints)"},
      {"network.client.cert", "LICETD_NETWORK_CLIENT_CERT", "--network-client-cert",
       "client certificate for servers that require mutual TLS"},
      {"network.client.key", "LICETD_NETWORK_CLIENT_KEY", "--network-client-key",
       "key of the client certificate"},
      {"network.client.heartbeat", "LICETD_NETWORK_HEARTBEAT", "--network-heartbeat",
       "seconds between heartbeats; 0: a third of the server's lease timeout"},
      // Discovery (docs/NETWORK.md "Discovery").
      {"network.server.discovery", "LICETD_NETWORK_DISCOVERY", "--network-discovery",
       "true (default): the network server answers UDP discovery probes on its port"},
      {"network.client.discovery", "LICET_DISCOVERY", "--discovery",
       "true: without servers, find them by UDP broadcast (still pinned or CA-checked)"},
      {"network.client.trust_discovered", "LICET_TRUST_DISCOVERED", "--trust-discovered",
       "true: trust the fingerprints discovered servers announce (labs only)"},
      {"network.client.discovery_port", "LICET_DISCOVERY_PORT", "--discovery-port",
       "UDP port discovery probes go to (default 22450)"},
  };
  return keys;
}

Status SetConfigKey(DaemonConfig& c, std::string_view key, std::string_view value,
                    const std::string& origin) {
  if (IsNetworkKey(key)) return SetNetworkConfigKey(c.network, key, value, origin);
  if (key == "home") return SetPath(c.home, key, value, origin);
  if (key == "socket") {
    LICET_RETURN_IF_ERROR(SetPath(c.socket, key, value, origin));
    // sockaddr_un holds 108 bytes with the terminating NUL.
    if (c.socket.size() > 107) return Bad(key, origin, "a socket path is at most 107 bytes");
    return Status::Ok();
  }
  if (key == "admin_listen") {
    std::string t = Trim(value);
    auto parsed = ParseListenAddress(t);
    if (!parsed.ok()) return Bad(key, origin, parsed.status().message());
    c.admin_listen = t;
    return Status::Ok();
  }
  if (key == "admin_allowed_origins") {
    LICET_ASSIGN_OR_RETURN(std::vector<std::string> origins, config::SplitList(key, value, origin));
    for (const std::string& item : origins) {
      Status st = ValidateOrigin(item);
      if (!st.ok()) return Bad(key, origin, st.message());
    }
    c.admin_allowed_origins = std::move(origins);
    return Status::Ok();
  }
  if (key == "log_level") {
    return SetChoice(c.log_level, key, value,
                     {"trace", "debug", "info", "warn", "error", "critical", "off"}, origin);
  }
  if (key == "log_format") return SetChoice(c.log_format, key, value, {"text", "json"}, origin);
  if (key == "threads") return SetInt(c.threads, key, value, 1, 64, origin);
  if (key == "workers") return SetInt(c.workers, key, value, 1, 64, origin);
  if (key == "rescan_interval") return SetInt(c.rescan_interval, key, value, 0, 86400, origin);
  if (key == "shutdown_timeout") return SetInt(c.shutdown_timeout, key, value, 0, 3600, origin);
  return Error(ErrorCode::kInvalidArgument, origin + ": unknown key '" + std::string(key) + "'");
}

Status ApplyConfigToml(DaemonConfig& c, std::string_view text, const std::string& origin) {
  toml::table table;
  try {
    table = toml::parse(text, origin);
  } catch (const toml::parse_error& e) {
    std::ostringstream where;
    where << origin << ":" << e.source().begin.line << ": " << e.description();
    return Error(ErrorCode::kInvalidArgument, where.str());
  } catch (const std::exception& e) {
    return Error(ErrorCode::kInvalidArgument, origin + ": " + e.what());
  }
  // Tables nest as "network" and "network.client"; their keys are set as "network.<key>".
  std::function<Status(const toml::table&, const std::string&)> apply =
      [&](const toml::table& t, const std::string& prefix) -> Status {
    for (const auto& [key, node] : t) {
      const std::string name = prefix + std::string(key.str());
      const std::string at = origin + ":" + std::to_string(node.source().begin.line);
      std::string text_value;
      if (const auto* sub = node.as_table()) {
        if (name != "network" && name != "network.client" && name != "network.server") {
          return Bad(name, at, "unknown table");
        }
        LICET_RETURN_IF_ERROR(apply(*sub, name + "."));
        continue;
      }
      const bool list_key = name == "admin_allowed_origins" || IsNetworkListKey(name);
      if (const auto* s = node.as_string()) {
        text_value = s->get();
      } else if (const auto* i = node.as_integer()) {
        text_value = std::to_string(i->get());
      } else if (const auto* b = node.as_boolean()) {
        text_value = b->get() ? "true" : "false";
      } else if (const auto* a = node.as_array(); a != nullptr && list_key) {
        for (const auto& element : *a) {
          const auto* s2 = element.as_string();
          if (s2 == nullptr) return Bad(name, at, "must be an array of strings");
          if (s2->get().find(',') != std::string::npos)
            return Bad(name, at, "an item has no comma");
          text_value += (text_value.empty() ? "" : ",") + s2->get();
        }
      } else {
        return Bad(name, at, "has the wrong type (a string or an integer is expected)");
      }
      LICET_RETURN_IF_ERROR(SetConfigKey(c, name, text_value, at));
    }
    return Status::Ok();
  };
  return apply(table, "");
}

Result<DaemonConfig> LoadConfig(const ConfigFlags& flags, const EnvLookup& env) {
  DaemonConfig c;
  // Defaults that depend on who runs licetd; computed without the environment overrides,
  // which the environment layer below applies with its own origin in messages.
  c.home = engine::DefaultHome();
  c.socket = protocol::DefaultSocketPath();

  std::string file;
  bool explicit_file = false;
  if (flags.config) {
    file = *flags.config;
    explicit_file = true;
  } else if (auto v = env("LICETD_CONFIG"); v && !v->empty()) {
    file = *v;
    explicit_file = true;
  } else if (::geteuid() == 0) {
    file = "/etc/licet/licetd.toml";
  } else if (auto xdg = env("XDG_CONFIG_HOME"); xdg && !xdg->empty()) {
    file = *xdg + "/licet/licetd.toml";
  } else if (auto home = env("HOME"); home && !home->empty()) {
    file = *home + "/.config/licet/licetd.toml";
  }
  if (!file.empty() && (explicit_file || Env::Default().FileExists(file))) {
    auto text = Env::Default().ReadFile(file, kMaxConfigFileSize);
    if (!text.ok()) return text.status().WithContext("cannot read config file " + file);
    std::string_view view(reinterpret_cast<const char*>(text->data()), text->size());
    LICET_RETURN_IF_ERROR(ApplyConfigToml(c, view, file));
    c.config_file = file;
  }
  for (const ConfigKey& key : ConfigKeys()) {
    if (auto v = env(key.env)) {
      LICET_RETURN_IF_ERROR(SetConfigKey(c, key.name, *v, std::string("$") + key.env));
    }
  }
  for (const auto& [key, value] : flags.values) {
    std::string flag = "--" + key;
    for (const ConfigKey& k : ConfigKeys()) {
      if (key == k.name) flag = k.flag;
    }
    LICET_RETURN_IF_ERROR(SetConfigKey(c, key, value, flag));
  }
  LICET_RETURN_IF_ERROR(ValidateNetworkConfig(c.network));
  return c;
}

std::string ConfigToToml(const DaemonConfig& c) {
  toml::array origins;
  for (const auto& o : c.admin_allowed_origins) origins.push_back(o);
  toml::table t{{"home", c.home},
                {"socket", c.socket},
                {"admin_listen", c.admin_listen},
                {"admin_allowed_origins", origins},
                {"log_level", c.log_level},
                {"log_format", c.log_format},
                {"threads", c.threads},
                {"workers", c.workers},
                {"rescan_interval", c.rescan_interval},
                {"shutdown_timeout", c.shutdown_timeout}};
  const NetworkConfig& n = c.network;
  toml::array timeouts;
  for (const auto& [key, seconds] : n.product_lease_timeouts) {
    timeouts.push_back(std::to_string(key.first) + ":" + std::to_string(key.second) + "=" +
                       std::to_string(seconds));
  }
  auto array = [](const std::vector<std::string>& items) {
    toml::array a;
    for (const auto& item : items) a.push_back(item);
    return a;
  };
  toml::array servers;
  for (const auto& s : n.servers) servers.push_back(s);
  toml::array fingerprints;
  for (const auto& f : n.fingerprints) fingerprints.push_back(f);
  // Empty paths mean "the default" and are left out, so that the output reads back.
  auto put = [](toml::table& table, const char* key, const std::string& value) {
    if (!value.empty()) table.insert(key, value);
  };
  toml::table client{{"servers", servers}, {"fingerprints", fingerprints},
                     {"heartbeat", n.heartbeat}};
  client.insert("discovery", n.client_discovery);
  client.insert("trust_discovered", n.trust_discovered);
  client.insert("discovery_port", n.discovery_port);
  put(client, "ca", n.server_ca);
  put(client, "cert", n.client_cert);
  put(client, "key", n.client_key);
  toml::table network{{"enable", n.enable},
                      {"listen", n.listen},
                      {"lease_timeout", n.lease_timeout},
                      {"lease_timeouts", timeouts},
                      {"allow", array(n.allow)},
                      {"deny", array(n.deny)},
                      {"groups", array(n.groups)},
                      {"reservations", array(n.reservations)}};
  put(network, "cert", n.cert);
  put(network, "key", n.key);
  put(network, "client_ca", n.client_ca);
  network.insert("client", std::move(client));
  network.insert("server", toml::table{{"discovery", n.server_discovery}});
  t.insert("network", std::move(network));
  std::ostringstream out;
  out << "# effective licetd configuration";
  if (!c.config_file.empty()) out << " (file: " << c.config_file << ")";
  out << "\n" << t << "\n";
  return out.str();
}

}  // namespace licet::daemon
