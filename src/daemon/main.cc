// licetd: the Licet runtime daemon (docs/LICETD.md).
#include <spdlog/spdlog.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <exception>

#include "daemon/config.h"
#include "daemon/daemon.h"
#include "daemon/logging.h"
#include "licet/licet.h"

namespace {

using licet::ErrorCode;
using licet::Status;

// docs/LICETD.md "Exit status".
constexpr int kExitOk = 0;
constexpr int kExitFailure = 1;
constexpr int kExitUsage = 2;
constexpr int kExitAlreadyRunning = 3;
constexpr int kExitCannotListen = 4;

constexpr const char* kFooter =
    R"(Every option is also a key of the config file and an environment variable
(see docs/LICETD.md). Precedence: flags > environment > config file > defaults.
Signals: SIGTERM/SIGINT stop gracefully, SIGHUP reloads the config and rescans containers.
Exit status: 0 stopped cleanly, 1 failure, 2 bad usage or config, 3 another licetd is
running on the socket, 4 cannot listen on the socket or the admin address.)";

// systemd's readiness notification (Type=notify), without libsystemd: one datagram to
// $NOTIFY_SOCKET. Nothing happens when licetd does not run under systemd.
void NotifyReady() {
  const char* path = std::getenv("NOTIFY_SOCKET");
  if (path == nullptr || (path[0] != '/' && path[0] != '@')) return;
  int fd = ::socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return;
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  size_t len = std::min(std::strlen(path), sizeof addr.sun_path - 1);
  std::memcpy(addr.sun_path, path, len);
  if (addr.sun_path[0] == '@') addr.sun_path[0] = '\0';  // abstract namespace
  const char msg[] = "READY=1";
  ::sendto(fd, msg, sizeof msg - 1, 0, reinterpret_cast<sockaddr*>(&addr),
           static_cast<socklen_t>(offsetof(sockaddr_un, sun_path) + len));
  ::close(fd);
}

int ExitCodeFor(const Status& st) {
  switch (st.code()) {
    case ErrorCode::kAlreadyExists:
      return kExitAlreadyRunning;
    case ErrorCode::kIoError:
      return kExitCannotListen;
    case ErrorCode::kInvalidArgument:
      return kExitUsage;
    default:
      return kExitFailure;
  }
}

}  // namespace

int main(int argc, char** argv) {
  using namespace licet::daemon;
  CLI::App app{"licetd: the Licet runtime daemon (local license access API and admin HTTP API)"};
  app.footer(kFooter);
  app.set_version_flag("--version", "licetd " LICET_VERSION);

  ConfigFlags flags;
  std::string config_file;
  app.add_option("--config", config_file,
                 "config file (TOML); default /etc/licet/licetd.toml for "
                 "root, ~/.config/licet/licetd.toml otherwise ($LICETD_CONFIG)");
  std::map<std::string, std::string> values;
  for (const ConfigKey& key : ConfigKeys()) {
    std::string help = std::string(key.help) + " ($" + key.env + ")";
    app.add_option_function<std::string>(
        key.flag,
        [&values, name = std::string(key.name)](const std::string& v) { values[name] = v; }, help);
  }
  bool foreground = true;
  bool print_config = false;
  app.add_flag("--foreground", foreground,
               "stay in the foreground (the default and only mode: systemd or a test harness "
               "supervises licetd)");
  app.add_flag("--print-config", print_config, "print the effective configuration and exit");

  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForVersion& e) {
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    std::fprintf(stderr, "licetd: %s (see 'licetd --help')\n", e.what());
    return kExitUsage;
  }
  if (!config_file.empty()) flags.config = config_file;
  flags.values = values;

  try {
    auto config = LoadConfig(flags, ProcessEnv());
    if (!config.ok()) {
      std::fprintf(stderr, "licetd: %s\n", config.status().ToString().c_str());
      return kExitUsage;
    }
    if (print_config) {
      std::fputs(ConfigToToml(*config).c_str(), stdout);
      return kExitOk;
    }
    Status st = SetupLogging(config->log_level, config->log_format);
    if (!st.ok()) {
      std::fprintf(stderr, "licetd: %s\n", st.ToString().c_str());
      return kExitUsage;
    }
    if (!config->config_file.empty()) spdlog::info("configuration from {}", config->config_file);
    Daemon daemon(*config, [flags] { return LoadConfig(flags, ProcessEnv()); });
    st = daemon.Start();
    if (!st.ok()) {
      spdlog::critical("cannot start: {}", st.ToString());
      std::fprintf(stderr, "licetd: %s\n", st.ToString().c_str());
      return ExitCodeFor(st);
    }
    // One line on stdout for whoever started us (tests read the admin port from it).
    std::printf("licetd ready socket=%s admin=%s pid=%d", daemon.socket_path().c_str(),
                daemon.admin_address().c_str(), static_cast<int>(::getpid()));
    if (daemon.network_port() != 0) {
      std::printf(" network=%u fingerprint=%s", static_cast<unsigned>(daemon.network_port()),
                  daemon.network_fingerprint().c_str());
      std::printf(" usage_log_key=%s", daemon.usage_log_public_key().c_str());
    }
    std::printf("\n");
    std::fflush(stdout);
    NotifyReady();
    daemon.Run();
  } catch (const std::exception& e) {
    spdlog::critical("internal error: {}", e.what());
    std::fprintf(stderr, "licetd: internal error: %s\n", e.what());
    return kExitFailure;
  }
  return kExitOk;
}
