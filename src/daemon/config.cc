#include "daemon/config.h"

#include <toml++/toml.h>
#include <unistd.h>

#include <charconv>
#include <cstdlib>
#include <exception>
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
  };
  return keys;
}

Status SetConfigKey(DaemonConfig& c, std::string_view key, std::string_view value,
                    const std::string& origin) {
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
    std::vector<std::string> origins;
    std::string_view rest = value;
    while (!rest.empty()) {
      size_t comma = rest.find(',');
      std::string item = Trim(rest.substr(0, comma));
      rest = comma == std::string_view::npos ? std::string_view() : rest.substr(comma + 1);
      if (item.empty()) continue;
      Status st = ValidateOrigin(item);
      if (!st.ok()) return Bad(key, origin, st.message());
      origins.push_back(item);
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
  for (const auto& [key, node] : table) {
    const std::string name(key.str());
    const std::string at = origin + ":" + std::to_string(node.source().begin.line);
    std::string text_value;
    if (const auto* s = node.as_string()) {
      text_value = s->get();
    } else if (const auto* i = node.as_integer()) {
      text_value = std::to_string(i->get());
    } else if (const auto* a = node.as_array(); a != nullptr && name == "admin_allowed_origins") {
      for (const auto& element : *a) {
        const auto* s2 = element.as_string();
        if (s2 == nullptr) return Bad(name, at, "must be an array of strings");
        if (s2->get().find(',') != std::string::npos)
          return Bad(name, at, "an origin has no comma");
        text_value += (text_value.empty() ? "" : ",") + s2->get();
      }
    } else {
      return Bad(name, at, "has the wrong type (a string or an integer is expected)");
    }
    LICET_RETURN_IF_ERROR(SetConfigKey(c, name, text_value, at));
  }
  return Status::Ok();
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
  std::ostringstream out;
  out << "# effective licetd configuration";
  if (!c.config_file.empty()) out << " (file: " << c.config_file << ")";
  out << "\n" << t << "\n";
  return out.str();
}

}  // namespace licet::daemon
