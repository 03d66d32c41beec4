#include "central/config.h"

#include <sys/stat.h>
#include <toml++/toml.h>
#include <unistd.h>

#include <charconv>
#include <cstdlib>
#include <exception>
#include <sstream>

#include "central/http/client_address.h"
#include "common/config_values.h"
#include "common/env.h"

namespace licet::central {
namespace {

using config::Bad;
using config::SetChoice;
using config::SetInt;
using config::SetPath;
using config::Trim;

}  // namespace

const std::vector<ConfigKey>& ConfigKeys() {
  static const std::vector<ConfigKey> keys = {
      {"listen", "LICET_CENTRAL_LISTEN", "--listen",
       "HTTP address HOST:PORT (port 0: any free port; default 127.0.0.1:22480)"},
      {"data_dir", "LICET_CENTRAL_DATA_DIR", "--data-dir",
       "state directory (default /var/lib/licet-central for root, else "
       "~/.local/share/licet-central)"},
      {"database", "LICET_CENTRAL_DATABASE", "--database",
       "sqlite:///ABSOLUTE/PATH (default <data_dir>/central.db) or postgresql://..."},
      {"kek", "LICET_CENTRAL_KEK", "--kek",
       "key-encryption key, 64 hex characters (prefer kek_file: flags show in ps)"},
      {"kek_file", "LICET_CENTRAL_KEK_FILE", "--kek-file",
       "file holding the key-encryption key (mode 0600)"},
      {"log_level", "LICET_CENTRAL_LOG_LEVEL", "--log-level",
       "trace, debug, info, warn, error, critical or off"},
      {"log_format", "LICET_CENTRAL_LOG_FORMAT", "--log-format", "text or json"},
      {"threads", "LICET_CENTRAL_THREADS", "--threads", "I/O threads (1-64)"},
      {"workers", "LICET_CENTRAL_WORKERS", "--workers",
       "request handler threads and database connections (1-64)"},
      {"body_limit", "LICET_CENTRAL_BODY_LIMIT", "--body-limit",
       "largest request body in bytes (1024-67108864)"},
      {"gateway_rate", "LICET_CENTRAL_GATEWAY_RATE", "--gateway-rate",
       "gateway requests per minute per client address (0: no limit)"},
      {"gateway_burst", "LICET_CENTRAL_GATEWAY_BURST", "--gateway-burst",
       "gateway requests a client may make at once"},
      {"request_timeout", "LICET_CENTRAL_REQUEST_TIMEOUT", "--request-timeout",
       "seconds to receive a request or send a response"},
      {"shutdown_timeout", "LICET_CENTRAL_SHUTDOWN_TIMEOUT", "--shutdown-timeout",
       "seconds to finish requests in progress after SIGTERM"},
      {"trusted_proxies", "LICET_CENTRAL_TRUSTED_PROXIES", "--trusted-proxies",
       "reverse proxies (IP addresses, CIDR blocks; comma-separated) whose X-Forwarded-For "
       "names the client (default: none)"},
  };
  return keys;
}

EnvLookup ProcessEnv() {
  return [](const std::string& name) -> std::optional<std::string> {
    const char* v = std::getenv(name.c_str());
    if (v == nullptr) return std::nullopt;
    return std::string(v);
  };
}

std::string DefaultDataDir(const EnvLookup& env) {
  if (::geteuid() == 0) return "/var/lib/licet-central";
  if (auto xdg = env("XDG_DATA_HOME"); xdg && !xdg->empty() && (*xdg)[0] == '/') {
    return *xdg + "/licet-central";
  }
  if (auto home = env("HOME"); home && !home->empty()) {
    return *home + "/.local/share/licet-central";
  }
  return "/var/lib/licet-central";
}

Status SetConfigKey(CentralConfig& c, std::string_view key, std::string_view value,
                    const std::string& origin) {
  if (key == "listen") {
    std::string t = Trim(value);
    if (t.empty() || t.find(':') == std::string::npos) return Bad(key, origin, "must be HOST:PORT");
    c.listen = t;
    return Status::Ok();
  }
  if (key == "data_dir") return SetPath(c.data_dir, key, value, origin);
  if (key == "database") {
    c.database = Trim(value);
    if (c.database.empty()) return Bad(key, origin, "must not be empty");
    return Status::Ok();
  }
  if (key == "kek") {
    c.kek = Trim(value);
    return Status::Ok();
  }
  if (key == "kek_file") return SetPath(c.kek_file, key, value, origin);
  if (key == "log_level") {
    return SetChoice(c.log_level, key, value,
                     {"trace", "debug", "info", "warn", "error", "critical", "off"}, origin);
  }
  if (key == "log_format") return SetChoice(c.log_format, key, value, {"text", "json"}, origin);
  if (key == "threads") return SetInt(c.threads, key, value, 1, 64, origin);
  if (key == "workers") return SetInt(c.workers, key, value, 1, 64, origin);
  if (key == "body_limit") return SetInt(c.body_limit, key, value, 1024, 64 << 20, origin);
  if (key == "gateway_rate") return SetInt(c.gateway_rate, key, value, 0, 1000000, origin);
  if (key == "gateway_burst") return SetInt(c.gateway_burst, key, value, 1, 1000000, origin);
  if (key == "request_timeout") return SetInt(c.request_timeout, key, value, 1, 3600, origin);
  if (key == "shutdown_timeout") return SetInt(c.shutdown_timeout, key, value, 0, 3600, origin);
  if (key == "trusted_proxies") {
    auto parsed = http::TrustedProxies::Parse(value);
    if (!parsed.ok()) return Bad(key, origin, parsed.status().message());
    c.trusted_proxies = Trim(value);
    return Status::Ok();
  }
  return Error(ErrorCode::kInvalidArgument, origin + ": unknown key '" + std::string(key) + "'");
}

Status ApplyConfigToml(CentralConfig& c, std::string_view text, const std::string& origin) {
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
    } else if (const auto* list = node.as_array(); list != nullptr && name == "trusted_proxies") {
      // The one list-valued key: an array of strings, joined as the text form would be.
      for (const auto& item : *list) {
        const auto* entry = item.as_string();
        if (entry == nullptr) return Bad(name, at, "must be an array of strings");
        text_value += (text_value.empty() ? "" : ", ") + entry->get();
      }
    } else {
      return Bad(name, at, "has the wrong type (a string or an integer is expected)");
    }
    LICET_RETURN_IF_ERROR(SetConfigKey(c, name, text_value, at));
  }
  return Status::Ok();
}

int DefaultWorkers(std::string_view database) {
  const bool postgres = database.rfind("postgresql://", 0) == 0 ||
                        database.rfind("postgres://", 0) == 0;
  return postgres ? kDefaultPostgresWorkers : kDefaultSqliteWorkers;
}

Result<CentralConfig> LoadConfig(const ConfigFlags& flags, const EnvLookup& env) {
  CentralConfig c;
  c.workers = 0;  // not given (SetConfigKey accepts 1..64): chosen by database below
  std::string file;
  bool explicit_file = false;
  if (flags.config) {
    file = *flags.config;
    explicit_file = true;
  } else if (auto v = env("LICET_CENTRAL_CONFIG"); v && !v->empty()) {
    file = *v;
    explicit_file = true;
  } else if (::geteuid() == 0) {
    file = "/etc/licet/central.toml";
  } else if (auto xdg = env("XDG_CONFIG_HOME"); xdg && !xdg->empty()) {
    file = *xdg + "/licet/central.toml";
  } else if (auto home = env("HOME"); home && !home->empty()) {
    file = *home + "/.config/licet/central.toml";
  }
  if (!file.empty() && (explicit_file || Env::Default().FileExists(file))) {
    auto text = Env::Default().ReadFile(file, 1u << 20);
    if (!text.ok()) {
      return Error(ErrorCode::kInvalidArgument,
                   "cannot read config file " + file + ": " + text.status().message());
    }
    LICET_RETURN_IF_ERROR(ApplyConfigToml(
        c, std::string_view(reinterpret_cast<const char*>(text->data()), text->size()), file));
    c.config_file = file;
  }
  for (const ConfigKey& k : ConfigKeys()) {
    if (auto v = env(k.env)) LICET_RETURN_IF_ERROR(SetConfigKey(c, k.name, *v, k.env));
  }
  for (const auto& [key, value] : flags.values) {
    std::string flag = "--" + key;
    for (char& ch : flag) ch = ch == '_' ? '-' : ch;
    LICET_RETURN_IF_ERROR(SetConfigKey(c, key, value, flag));
  }
  if (c.data_dir.empty()) c.data_dir = DefaultDataDir(env);
  if (c.database.empty()) c.database = "sqlite://" + JoinPath(c.data_dir, "central.db");
  if (c.workers == 0) c.workers = DefaultWorkers(c.database);
  return c;
}

Result<SecretBytes> LoadKek(const CentralConfig& c) {
  if (c.kek.empty() == c.kek_file.empty()) {
    return Error(ErrorCode::kInvalidArgument,
                 c.kek.empty() ? "no key-encryption key: set kek_file (or kek); make one with "
                                 "'openssl rand -hex 32 > kek && chmod 600 kek'"
                               : "set either kek or kek_file, not both");
  }
  std::string hex = c.kek;
  if (!c.kek_file.empty()) {
    struct stat st {};
    if (::stat(c.kek_file.c_str(), &st) != 0) {
      return Error(ErrorCode::kInvalidArgument, "kek_file " + c.kek_file + " does not exist");
    }
    if ((st.st_mode & 077) != 0) {
      return Error(ErrorCode::kPermissionDenied,
                   "kek_file " + c.kek_file + " is readable by others: chmod 600 it");
    }
    auto bytes = Env::Default().ReadFile(c.kek_file, 4096);
    if (!bytes.ok()) return bytes.status();
    hex.assign(bytes->begin(), bytes->end());
    SecureWipe(bytes->data(), bytes->size());
  }
  hex = Trim(hex);
  auto raw = HexDecode(hex);
  SecureWipe(hex.data(), hex.size());
  if (!raw.ok() || raw->size() != 32) {
    return Error(ErrorCode::kInvalidArgument, "the KEK must be 64 hex characters (32 bytes)");
  }
  SecretBytes kek(*raw);
  SecureWipe(raw->data(), raw->size());
  return kek;
}

std::string ConfigToToml(const CentralConfig& c) {
  std::ostringstream o;
  auto q = [](const std::string& s) {
    std::string out = "\"";
    for (char ch : s) {
      if (ch == '"' || ch == '\\') out += '\\';
      out += ch;
    }
    return out + "\"";
  };
  o << "listen = " << q(c.listen) << "\n"
    << "data_dir = " << q(c.data_dir) << "\n"
    << "database = " << q(c.database) << "\n";
  if (!c.kek.empty()) o << "kek = \"(set)\"\n";
  if (!c.kek_file.empty()) o << "kek_file = " << q(c.kek_file) << "\n";
  o << "log_level = " << q(c.log_level) << "\n"
    << "log_format = " << q(c.log_format) << "\n"
    << "threads = " << c.threads << "\n"
    << "workers = " << c.workers << "\n"
    << "body_limit = " << c.body_limit << "\n"
    << "gateway_rate = " << c.gateway_rate << "\n"
    << "gateway_burst = " << c.gateway_burst << "\n"
    << "request_timeout = " << c.request_timeout << "\n"
    << "shutdown_timeout = " << c.shutdown_timeout << "\n"
    << "trusted_proxies = " << q(c.trusted_proxies) << "\n";
  return o.str();
}

}  // namespace licet::central
