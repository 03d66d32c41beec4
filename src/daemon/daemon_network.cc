// licetd's network parts (docs/NETWORK.md): the network license server over TLS when
// [network] enable is set, and the relay of LAN accesses when [network.client] names servers.
#include <spdlog/spdlog.h>

#include <future>
#include <sstream>

#include "common/env.h"
#include "daemon/daemon.h"
#include "daemon/daemon_borrow.h"
#include "daemon/network_item_ops.h"
#include "daemon/network_items.h"
#include "network/discovery.h"
#include "network/tls.h"

namespace licet::daemon {

Status Daemon::StartNetwork() {
  const NetworkConfig& n = config_.network;
  if (n.enable) {
    network::ServerOptions options;
    options.tls.cert_file = n.cert.empty() ? JoinPath(config_.home, "network/server.crt") : n.cert;
    options.tls.key_file = n.key.empty() ? JoinPath(config_.home, "network/server.key") : n.key;
    options.tls.client_ca_file = n.client_ca;
    options.min_lease_timeout = n.MinLeaseTimeout();
    LICET_ASSIGN_OR_RETURN(options.rules, n.ParsedAccessRules());
    LICET_RETURN_IF_ERROR(network::EnsureServerCertificate(options.tls.cert_file,
                                                           options.tls.key_file, LocalHostName()));
    auto fingerprint = network::CertificateFingerprint(options.tls.cert_file);
    if (!fingerprint.ok()) return fingerprint.status();
    network_fingerprint_ = network::FormatFingerprint(*fingerprint);
    auto listen = ParseListenAddress(n.listen);
    if (!listen.ok()) return listen.status();
    network_ = std::make_unique<network::Server>(
        io_, options, MakeItemLookup(cache_.get(), &config_.network, &SystemClock::Get()),
        &SystemClock::Get());
    network_->SetItemOps(MakeItemOps(cache_.get(), writes_.get(), &SystemClock::Get()));
    // Lending seats (daemon_borrow.cc): loans are kept in HOME/network/borrows.cbor.
    LICET_RETURN_IF_ERROR(EnableNetworkBorrowing(*network_, cache_.get(), &config_.network,
                                                 config_.home, &SystemClock::Get()));
    LICET_RETURN_IF_ERROR(StartUsageLog());
    LICET_RETURN_IF_ERROR(network_->Listen((*listen)->host, (*listen)->port));
    spdlog::info("network server on {}:{} certificate {} fingerprint {}", (*listen)->host,
                 network_->port(), options.tls.cert_file, network_fingerprint_);
    if (n.server_discovery) StartDiscoveryResponder((*listen)->host, *fingerprint);
  }
  if (!n.servers.empty() || n.client_discovery) {
    network::ClientOptions options;
    for (const std::string& s : n.servers) {
      auto address = network::ParseServerAddress(s);
      if (!address.ok()) return address.status();
      options.servers.push_back(*address);
    }
    for (const std::string& f : n.fingerprints) {
      auto pin = network::ParseFingerprint(f);
      if (!pin.ok()) return pin.status();
      options.tls.pinned.push_back(*pin);
    }
    options.tls.ca_file = n.server_ca;
    options.tls.cert_file = n.client_cert;
    options.tls.key_file = n.client_key;
    options.host = LocalHostName();
    options.machine = LocalMachineIdentity();
    options.heartbeat_interval = n.heartbeat;
    if (n.servers.empty()) LICET_RETURN_IF_ERROR(SetUpDiscovery(options));
    auto client = network::Client::Create(io_, std::move(options));
    if (!client.ok()) return client.status();
    lan_ = std::make_unique<LanAccess>(*client);
    dispatcher_->SetLanAccess(lan_.get());
    spdlog::info(
        "network client: LAN accesses go to {}",
        n.servers.empty() ? std::string("the servers discovery finds") : n.servers.front());
  }
  return Status::Ok();
}

// --- discovery (docs/NETWORK.md "Discovery") ---

void Daemon::StartDiscoveryResponder(const std::string& host, const Bytes& fingerprint) {
  Status st = network_->EnableDiscovery(host, [cache = cache_.get(), fingerprint] {
    network::DiscoveryAnswer answer;
    answer.fingerprint = fingerprint;
    for (const engine::CachedContainer& c : *cache->Current()) {
      if (c.container) answer.serials.push_back(c.serial);
    }
    return answer;
  });
  // Discovery is a convenience: a taken UDP port must not keep the licenses from being served.
  if (!st.ok()) {
    spdlog::warn("network server: no discovery: {}", st.message());
  } else {
    spdlog::info("network server answers discovery probes on udp {}:{}", host, network_->port());
  }
}

Status Daemon::SetUpDiscovery(network::ClientOptions& options) {
  const NetworkConfig& n = config_.network;
  network::DiscoveryOptions probe;
  probe.port = static_cast<uint16_t>(n.discovery_port);
  if (n.trust_discovered && options.tls.pinned.empty() && options.tls.ca_file.empty()) {
    // Labs only: the fingerprints that answer now become the pins, once, at start.
    std::promise<std::vector<network::DiscoveredServer>> found;
    boost::asio::io_context io;
    network::DiscoverServers(io, probe, [&found](std::vector<network::DiscoveredServer> f) {
      found.set_value(std::move(f));
    });
    io.run();
    for (const network::DiscoveredServer& s : found.get_future().get()) {
      spdlog::warn(
          "network client: trusting discovered server {} fingerprint {} "
          "(trust_discovered: for labs only)",
          s.address.ToString(), network::FormatFingerprint(s.fingerprint));
      options.tls.pinned.push_back(s.fingerprint);
    }
    if (options.tls.pinned.empty()) {
      return Error(ErrorCode::kServerNotFound,
                   "network.client.trust_discovered: no network license server answered the "
                   "discovery probe at start");
    }
  }
  options.discover = [this, probe, pins = options.tls.pinned](
                         std::function<void(std::vector<network::ServerAddress>)> done) {
    network::DiscoverServers(
        io_, probe, [pins, done = std::move(done)](std::vector<network::DiscoveredServer> found) {
          for (const network::DiscoveredServer& s : found) {
            spdlog::info("network client: discovered {} fingerprint {}", s.address.ToString(),
                         network::FormatFingerprint(s.fingerprint));
          }
          done(network::OrderDiscovered(found, pins));
        });
  };
  return Status::Ok();
}

std::string Daemon::NetworkMetrics() {
  if (!network_) return "";
  std::ostringstream out;
  const auto seats = network_->SeatSummary();
  auto label = [](const network::Server::ItemSeats& s) {
    return "{firm_code=\"" + std::to_string(s.firm_code) + "\",product_code=\"" +
           std::to_string(s.product_code) + "\"}";
  };
  out << "# HELP licet_network_seats_used Network seats taken per product item.\n"
      << "# TYPE licet_network_seats_used gauge\n";
  for (const auto& s : seats)
    out << "licet_network_seats_used" << label(s) << " " << s.used << "\n";
  out << "# HELP licet_network_seats_free Network seats free per product item.\n"
      << "# TYPE licet_network_seats_free gauge\n";
  for (const auto& s : seats) {
    out << "licet_network_seats_free" << label(s) << " "
        << (s.quantity > s.used ? s.quantity - s.used : 0) << "\n";
  }
  out << "# HELP licet_network_denied_total Network accesses refused per product item.\n"
      << "# TYPE licet_network_denied_total counter\n";
  for (const auto& s : seats)
    out << "licet_network_denied_total" << label(s) << " " << s.denied << "\n";
  const auto& c = network_->counters();
  out << "# HELP licet_network_connections_total TLS connections accepted.\n"
      << "# TYPE licet_network_connections_total counter\n"
      << "licet_network_connections_total " << c.connections.load() << "\n"
      << "# HELP licet_network_handshake_failures_total TLS handshakes that failed.\n"
      << "# TYPE licet_network_handshake_failures_total counter\n"
      << "licet_network_handshake_failures_total " << c.handshake_failures.load() << "\n"
      << "# HELP licet_network_leases_expired_total Network leases freed by the lease timeout.\n"
      << "# TYPE licet_network_leases_expired_total counter\n"
      << "licet_network_leases_expired_total " << c.expired.load() << "\n";
  return out.str();
}

}  // namespace licet::daemon
