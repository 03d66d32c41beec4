#include "tools/licet/cli.h"

#include <limits.h>
#include <stdlib.h>
#include <toml++/toml.h>
#include <unistd.h>

#include <cstdlib>
#include <iostream>
#include <iterator>

#include "client/connection.h"
#include "common/env.h"
#include "engine/paths.h"
#include "protocol/protocol.h"

namespace licet::cli {

Result<Bytes> ReadInput(const std::string& path) {
  if (path == "-") {
    std::string data((std::istreambuf_iterator<char>(std::cin)), std::istreambuf_iterator<char>());
    return ToBytes(data);
  }
  auto data = Env::Default().ReadFile(path);
  if (!data.ok() && data.status().code() == ErrorCode::kNotFound) {
    return Error(ErrorCode::kNotFound, "cannot read " + path + ": no such file");
  }
  return data;
}

Status WriteOutput(const std::string& path, ByteSpan data, mode_t mode) {
  if (path == "-") {
    std::cout.write(reinterpret_cast<const char*>(data.data()),
                    static_cast<std::streamsize>(data.size()));
    std::cout.flush();
    return Status::Ok();
  }
  return Env::Default().WriteFileAtomic(path, data, mode);
}

std::string EnvValue(const char* name) {
  const char* v = std::getenv(name);
  return v == nullptr ? "" : v;
}

Result<uint64_t> ParseNumber(const std::string& text, uint64_t max, const char* what) {
  int base = 10;
  std::string digits = text;
  if (text.rfind("0x", 0) == 0 || text.rfind("0X", 0) == 0) {
    base = 16;
    digits = text.substr(2);
  } else if (text.rfind("0b", 0) == 0) {
    base = 2;
    digits = text.substr(2);
  }
  if (digits.empty() || digits.size() > 64) {
    return Error(ErrorCode::kInvalidArgument, std::string(what) + " '" + text + "' is not a number");
  }
  char* end = nullptr;
  errno = 0;
  unsigned long long v = std::strtoull(digits.c_str(), &end, base);
  if (errno != 0 || end == nullptr || *end != '\0' || digits[0] == '-' || v > max) {
    return Error(ErrorCode::kInvalidArgument, std::string(what) + " '" + text +
                                                  "' is not a number from 0 to " +
                                                  std::to_string(max));
  }
  return static_cast<uint64_t>(v);
}

Status LoadConfig(Globals& g) {
  std::string path = g.config_path;
  bool explicit_path = !path.empty();
  if (path.empty()) {
    if (::geteuid() == 0) {
      path = "/etc/licet/licet.toml";
    } else if (const char* xdg = std::getenv("XDG_CONFIG_HOME"); xdg && *xdg) {
      path = JoinPath(xdg, "licet/licet.toml");
    } else if (const char* home = std::getenv("HOME"); home && *home) {
      path = JoinPath(home, ".config/licet/licet.toml");
    }
  }
  if (!path.empty() && Env::Default().FileExists(path)) {
    // Debian's toml++ is built with exceptions: its parse error is caught here, at the edge.
    toml::table table;
    try {
      table = toml::parse_file(path);
    } catch (const toml::parse_error& err) {
      return Error(ErrorCode::kInvalidArgument,
                   "config " + path + " line " + std::to_string(err.source().begin.line) + ": " +
                       std::string(err.description()));
    }
    if (g.home.empty()) {
      if (auto home = table["home"].value<std::string>()) g.home = *home;
    }
  } else if (explicit_path) {
    return Error(ErrorCode::kNotFound, "config file " + path + " does not exist");
  }
  g.home_explicit = !g.home.empty();
  if (g.home.empty()) g.home = engine::DefaultHome();
  return Status::Ok();
}

namespace {
std::string Canonical(const std::string& path) {
  char resolved[PATH_MAX];
  return ::realpath(path.c_str(), resolved) != nullptr ? std::string(resolved) : path;
}
}  // namespace

std::unique_ptr<client::Connection> ConnectDaemon(const Globals& g) {
  if (g.no_daemon) return nullptr;
  const std::string path = g.socket.empty() ? protocol::DefaultSocketPath() : g.socket;
  if (!Env::Default().FileExists(path)) return nullptr;
  client::ConnectionOptions options;
  options.timeout = std::chrono::seconds(60);  // imports fsync; a loaded machine is slow
  auto conn = client::Connection::Open(path, options);
  if (!conn.ok()) return nullptr;  // a stale socket: licetd is not running
  // A state dir asked for by name that licetd does not serve is worked on directly.
  if (g.home_explicit && Canonical((*conn)->home()) != Canonical(g.home)) return nullptr;
  return std::move(conn).value();
}

}  // namespace licet::cli
