// licetd's network parts (docs/NETWORK.md): the network license server over TLS when
// [network] enable is set, and the relay of LAN accesses when [network.client] names servers.
#include <spdlog/spdlog.h>

#include <sstream>

#include "common/env.h"
#include "daemon/daemon.h"
#include "daemon/network_items.h"
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
    LICET_RETURN_IF_ERROR(StartUsageLog());
    LICET_RETURN_IF_ERROR(network_->Listen((*listen)->host, (*listen)->port));
    spdlog::info("network server on {}:{} certificate {} fingerprint {}", (*listen)->host,
                 network_->port(), options.tls.cert_file, network_fingerprint_);
  }
  if (!n.servers.empty()) {
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
    auto client = network::Client::Create(io_, std::move(options));
    if (!client.ok()) return client.status();
    lan_ = std::make_unique<LanAccess>(*client);
    dispatcher_->SetLanAccess(lan_.get());
    spdlog::info("network client: LAN accesses go to {}", n.servers.front());
  }
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
