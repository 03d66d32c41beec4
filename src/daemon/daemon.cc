#include "daemon/daemon.h"

#include <spdlog/spdlog.h>
#include <unistd.h>

#include <csignal>
#include <thread>

#include "daemon/logging.h"
#include "licet/licet.h"

namespace licet::daemon {

Daemon::Daemon(DaemonConfig config, Reloader reloader, bool handle_signals)
    : config_(std::move(config)),
      reloader_(std::move(reloader)),
      handle_signals_(handle_signals),
      started_(std::chrono::steady_clock::now()),
      io_(config_.threads),
      workers_(static_cast<size_t>(config_.workers)),
      signals_(io_),
      rescan_timer_(io_) {
  store_ = std::make_unique<engine::ContainerStore>(config_.home);
  cache_ = std::make_unique<engine::ContainerCache>(store_.get());
  auto runner = [this](std::function<void()> job) { RunBlocking(std::move(job)); };
  writes_ = std::make_unique<WriteQueue>(cache_.get(), runner);
  dispatcher_ = std::make_unique<Dispatcher>(cache_.get(), writes_.get(), &metrics_,
                                             &SystemClock::Get(), runner, ::geteuid());
  local_ = std::make_unique<LocalServer>(io_, dispatcher_.get(), &metrics_);
  if (handle_signals_) {
    signals_.add(SIGINT);
    signals_.add(SIGTERM);
    signals_.add(SIGHUP);
  }
}

Daemon::~Daemon() {
  // Jobs in the pool may still post to io_: let them finish while io_ exists.
  workers_.join();
}

void Daemon::RunBlocking(std::function<void()> job) {
  // The guard keeps io_ running until the job has posted its answer, so that a shutdown does
  // not drop an answer that is being computed.
  auto guard =
      std::make_shared<boost::asio::executor_work_guard<boost::asio::io_context::executor_type>>(
          io_.get_executor());
  boost::asio::post(workers_, [job = std::move(job), guard]() mutable {
    job();
    guard->reset();
  });
}

Status Daemon::Start() {
  auto scanned = cache_->Rescan();
  if (!scanned.ok()) {
    // A missing or unreadable home is not fatal: containers can be created later.
    spdlog::warn("cannot scan containers in {}: {}", config_.home, scanned.status().ToString());
  } else {
    for (const engine::CachedContainer& c : **scanned) {
      if (c.container) {
        spdlog::info("container {} loaded ({} firm item(s))", c.serial,
                     c.container->state.firms.size());
      } else {
        spdlog::warn("container {} cannot be used: {}", c.serial, c.error.ToString());
      }
    }
  }
  LICET_RETURN_IF_ERROR(local_->Listen(config_.socket));
  LICET_RETURN_IF_ERROR(StartNetwork());
  auto listen = ParseListenAddress(config_.admin_listen);
  if (!listen.ok()) return listen.status();
  if (*listen) {
    AdminContext context;
    context.allowed_origins = config_.admin_allowed_origins;
    context.status = [this] { return StatusDocument(); };
    context.metrics = [this] {
      double uptime =
          std::chrono::duration<double>(std::chrono::steady_clock::now() - started_).count();
      return metrics_.RenderPrometheus(dispatcher_->LeaseCounts(), uptime) + NetworkMetrics();
    };
    if (network_) {
      context.free_lease = [this](uint64_t lease) {
        Status st = network_->Revoke(lease);
        if (st.ok()) spdlog::info("network: lease {} freed by the administrator", lease);
        return st;
      };
    }
    admin_ = std::make_unique<AdminServer>(io_, std::move(context));
    LICET_RETURN_IF_ERROR(admin_->Listen(**listen));
  }
  spdlog::info("licetd {} ready: socket={} admin={} home={} threads={} workers={}", LICET_VERSION,
               config_.socket, admin_address(), config_.home, config_.threads, config_.workers);
  return Status::Ok();
}

std::string Daemon::admin_address() const {
  if (!admin_) return "off";
  auto listen = ParseListenAddress(config_.admin_listen);
  std::string host = listen.ok() && *listen ? (*listen)->host : "127.0.0.1";
  if (host.find(':') != std::string::npos) host = "[" + host + "]";
  return host + ":" + std::to_string(admin_->port());
}

void Daemon::Run() {
  local_->Start();
  if (admin_) admin_->Start();
  if (network_) network_->Start();
  ScheduleRescan();
  if (handle_signals_) WatchSignals();

  std::vector<std::thread> extra;
  for (int i = 1; i < config_.threads; ++i) extra.emplace_back([this] { io_.run(); });
  io_.run();
  for (auto& t : extra) t.join();
  if (watchdog_.joinable()) watchdog_.join();
  local_->RemoveSocket();
  spdlog::info("licetd stopped");
}

void Daemon::Stop() {
  if (stopping_.exchange(true)) return;
  boost::asio::post(io_, [this] {
    spdlog::info("shutting down: no new connections; finishing requests in progress");
    local_->Stop();
    if (admin_) admin_->Stop();
    if (network_) network_->Stop();
    if (lan_) lan_->Close();
    rescan_timer_.cancel();
    boost::system::error_code ignored;
    signals_.cancel(ignored);
    // A watchdog thread, not a timer on io_: a pending timer would itself keep io_ running.
    // Run() joins it.
    watchdog_ = std::thread([this, timeout = config_.shutdown_timeout] {
      auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(timeout);
      while (!io_.stopped() && std::chrono::steady_clock::now() < deadline) {
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
      }
      if (!io_.stopped()) {
        spdlog::warn("shutdown took longer than {}s: closing what is left", timeout);
        io_.stop();
      }
    });
  });
}

void Daemon::WatchSignals() {
  signals_.async_wait([this](const boost::system::error_code& ec, int signal) {
    if (ec) return;
    if (signal == SIGHUP) {
      Reload();
      WatchSignals();
      return;
    }
    spdlog::info("received {}", signal == SIGTERM ? "SIGTERM" : "SIGINT");
    Stop();
  });
}

void Daemon::Reload() {
  boost::asio::post(io_, [this] {
    if (!reloader_) return;
    auto fresh = reloader_();
    if (!fresh.ok()) {
      spdlog::error("SIGHUP: configuration not reloaded: {}", fresh.status().ToString());
      return;
    }
    const DaemonConfig& c = *fresh;
    Status st = SetupLogging(c.log_level, c.log_format);
    if (!st.ok()) spdlog::error("SIGHUP: {}", st.ToString());
    if (admin_) admin_->SetAllowedOrigins(c.admin_allowed_origins);
    for (auto [name, changed] : {std::pair{"home", c.home != config_.home},
                                 std::pair{"socket", c.socket != config_.socket},
                                 std::pair{"admin_listen", c.admin_listen != config_.admin_listen},
                                 std::pair{"threads", c.threads != config_.threads},
                                 std::pair{"workers", c.workers != config_.workers}}) {
      if (changed) spdlog::warn("SIGHUP: {} changed; it takes effect at the next start", name);
    }
    config_.log_level = c.log_level;
    config_.log_format = c.log_format;
    config_.admin_allowed_origins = c.admin_allowed_origins;
    config_.rescan_interval = c.rescan_interval;
    config_.shutdown_timeout = c.shutdown_timeout;
    ScheduleRescan();
    RunBlocking([this] {
      auto scanned = cache_->Rescan();
      if (scanned.ok()) {
        spdlog::info("SIGHUP: configuration reloaded; {} container(s)", (*scanned)->size());
      } else {
        spdlog::warn("SIGHUP: rescan failed: {}", scanned.status().ToString());
      }
    });
  });
}

void Daemon::ScheduleRescan() {
  rescan_timer_.cancel();
  if (config_.rescan_interval <= 0 || stopping_) return;
  rescan_timer_.expires_after(std::chrono::seconds(config_.rescan_interval));
  rescan_timer_.async_wait([this](const boost::system::error_code& ec) {
    if (ec || stopping_) return;
    // Loading a new container reads device properties: not on the io threads.
    RunBlocking([this] {
      auto scanned = cache_->Rescan();
      if (!scanned.ok()) spdlog::debug("rescan failed: {}", scanned.status().ToString());
    });
    ScheduleRescan();
  });
}

nlohmann::json Daemon::StatusDocument() {
  nlohmann::json doc = dispatcher_->StatusJson();
  doc["version"] = LICET_VERSION;
  doc["pid"] = ::getpid();
  doc["uptime_seconds"] =
      std::chrono::duration_cast<std::chrono::seconds>(std::chrono::steady_clock::now() - started_)
          .count();
  doc["socket"] = config_.socket;
  doc["home"] = config_.home;
  doc["connections"] = metrics_.connections();
  if (network_) {
    doc["network_server"] = network_->StatusJson(1000);
    doc["network_server"]["fingerprint"] = network_fingerprint_;
    doc["network_server"]["usage_log_public_key"] = usage_log_public_key();
  }
  if (lan_) doc["network_client"] = lan_->StatusJson();
  return doc;
}

}  // namespace licet::daemon
