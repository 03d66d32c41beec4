// licetd as a whole: the container cache, the dispatcher, the local socket and the admin
// HTTP server on one io_context, a worker pool for blocking work, signals and timers.
//
// Lifecycle: Start() binds everything (and fails early with a clear Status), Run() serves until
// Stop() or SIGTERM/SIGINT, then stops accepting, lets in-flight requests finish (at most
// shutdown_timeout seconds), closes every connection and removes the socket. SIGHUP reloads the
// configuration (log level and format, allowed origins, rescan interval) and rescans the
// containers.
#ifndef LICET_DAEMON_DAEMON_H_
#define LICET_DAEMON_DAEMON_H_

#include <atomic>
#include <chrono>
#include <functional>
#include <memory>
#include <string>
#include <thread>
#include <utility>

#include "daemon/admin_server.h"
#include "daemon/asio.h"
#include "daemon/config.h"
#include "daemon/dispatcher.h"
#include "daemon/lan_access.h"
#include "daemon/local_server.h"
#include "daemon/metrics.h"
#include "daemon/write_queue.h"
#include "engine/container_cache.h"
#include "network/server.h"

namespace licet::daemon {

class Daemon {
 public:
  // Produces the configuration again for SIGHUP (file and environment re-read, same flags).
  using Reloader = std::function<Result<DaemonConfig>()>;

  // `handle_signals`: install SIGTERM/SIGINT/SIGHUP handlers (licetd); false in tests that
  // run a daemon inside the test process.
  Daemon(DaemonConfig config, Reloader reloader, bool handle_signals = true);
  ~Daemon();
  Daemon(const Daemon&) = delete;
  Daemon& operator=(const Daemon&) = delete;

  // Loads the containers and binds the socket and the admin address. kAlreadyExists when
  // another licetd serves the socket; kIoError or kInvalidArgument when an address cannot be
  // used.
  [[nodiscard]] Status Start();
  // Serves until Stop() or a stop signal; returns after the graceful shutdown.
  void Run();
  // Thread-safe; what SIGTERM does.
  void Stop();
  // Thread-safe; what SIGHUP does.
  void Reload();

  const std::string& socket_path() const { return config_.socket; }
  // The bound admin port; 0 when the admin API is off.
  uint16_t admin_port() const { return admin_ ? admin_->port() : 0; }
  std::string admin_address() const;
  // The bound network server port; 0 when the network server is off.
  uint16_t network_port() const { return network_ ? network_->port() : 0; }
  // "sha256:..." of the network server's certificate; "" when off.
  const std::string& network_fingerprint() const { return network_fingerprint_; }
  // Hex Ed25519 public key of the network server's usage log (audits); "" when off.
  std::string usage_log_public_key() const {
    return usage_log_ ? HexEncode(usage_log_->public_key()) : "";
  }

 private:
  void ScheduleRescan();
  void WatchSignals();
  void RunBlocking(std::function<void()> job);
  nlohmann::json StatusDocument();
  // daemon_network.cc: the network server ([network]) and the relay ([network.client]).
  [[nodiscard]] Status StartNetwork();
  [[nodiscard]] Status StartUsageLog();  // daemon_usage_log.cc
  // UDP discovery: the server's responder and the relay's probe (daemon_network.cc).
  void StartDiscoveryResponder(const std::string& host, const Bytes& fingerprint);
  [[nodiscard]] Status SetUpDiscovery(network::ClientOptions& options);
  std::string NetworkMetrics();

  DaemonConfig config_;
  Reloader reloader_;
  bool handle_signals_;
  std::chrono::steady_clock::time_point started_;
  std::atomic<bool> stopping_{false};

  Metrics metrics_;
  std::unique_ptr<engine::ContainerStore> store_;
  std::unique_ptr<engine::ContainerCache> cache_;
  std::unique_ptr<WriteQueue> writes_;
  std::unique_ptr<Dispatcher> dispatcher_;
  // Destroyed before the dispatcher (handlers own sessions, which call it), after the
  // objects that use it below.
  boost::asio::io_context io_;
  boost::asio::thread_pool workers_;
  std::unique_ptr<LocalServer> local_;
  std::unique_ptr<AdminServer> admin_;
  // The network server's signed per-firm usage log; declared first, so destroyed after it.
  std::unique_ptr<network::UsageLogSet> usage_log_;
  std::unique_ptr<network::Server> network_;  // the network license server, when enabled
  std::unique_ptr<LanAccess> lan_;            // the relay to network servers, when configured
  std::string network_fingerprint_;
  boost::asio::signal_set signals_;
  boost::asio::steady_timer rescan_timer_;
  std::thread watchdog_;  // ends a shutdown that takes longer than shutdown_timeout
};

}  // namespace licet::daemon

#endif  // LICET_DAEMON_DAEMON_H_
