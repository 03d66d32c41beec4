// licetd's [network] and [network.client] configuration (docs/NETWORK.md "Configuration"):
// the network license server this licetd runs, and the servers it relays LAN accesses to.
// Keys are named "network.<key>" and "network.client.<key>" as in the TOML tables; each has
// an environment variable and a flag (daemon/config.h lists them with the others).
#ifndef LICET_DAEMON_NETWORK_CONFIG_H_
#define LICET_DAEMON_NETWORK_CONFIG_H_

#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "common/status.h"
#include "network/access_rules.h"

namespace licet::daemon {

struct NetworkConfig {
  // The server.
  bool enable = false;
  std::string listen = "0.0.0.0:22450";
  std::string cert;       // PEM; "" = <home>/network/server.crt (made on first start)
  std::string key;        // PEM; "" = <home>/network/server.key
  std::string client_ca;  // PEM; set: mutual TLS, clients need a certificate from this CA
  int lease_timeout = 120;
  // Per product: (firm_code, product_code) -> seconds; "FIRM:PRODUCT=SECONDS" in text.
  std::map<std::pair<uint32_t, uint32_t>, int> product_lease_timeouts;
  // Access rules and seat reservations (network/access_rules.h has the syntax), as written;
  // each key is checked on its own when set and all together by ValidateNetworkConfig.
  std::vector<std::string> allow;
  std::vector<std::string> deny;
  std::vector<std::string> groups;        // "NAME=MEMBER MEMBER..."
  std::vector<std::string> reservations;  // "FIRM:PRODUCT=SEATS@GROUP"

  // The client: where LAN accesses go.
  std::vector<std::string> servers;       // "host[:port]", in order of preference
  std::vector<std::string> fingerprints;  // "sha256:<hex>" of acceptable server certificates
  std::string server_ca;                  // PEM CA, when no fingerprint is pinned
  std::string client_cert;                // for mutual TLS
  std::string client_key;
  int heartbeat = 0;  // seconds between heartbeats; 0 = a third of the server's lease timeout

  // Discovery (network/discovery.h): the server answers probes ([network.server]
  // discovery); a client without servers broadcasts them ([network.client] discovery).
  bool server_discovery = true;
  bool client_discovery = false;
  bool trust_discovered = false;  // labs only: pin what discovered servers announce
  int discovery_port = 22450;

  // The allow/deny rules and reservations parsed together (kInvalidArgument when they do not
  // fit, e.g. a rule names an undefined group).
  [[nodiscard]] Result<network::AccessRules> ParsedAccessRules() const;
  // The lease timeout of a product (its own, else the default).
  int LeaseTimeoutOf(uint32_t firm_code, uint32_t product_code) const;
  // The shortest lease timeout configured (told to clients so that they heartbeat in time).
  int MinLeaseTimeout() const;
};

// True when `key` is one of the network keys ("network." prefix).
bool IsNetworkKey(std::string_view key);
// True for the keys whose TOML value is an array of strings.
bool IsNetworkListKey(std::string_view key);

// Sets one network key from text (lists comma-separated; booleans true/false/1/0/yes/no).
// kInvalidArgument naming the key and `origin`.
[[nodiscard]] Status SetNetworkConfigKey(NetworkConfig& config, std::string_view key,
                                         std::string_view value, const std::string& origin);
// Checks what single keys cannot: a client with servers needs fingerprints or a CA; the
// client certificate and key come together; rules and reservations name defined groups.
[[nodiscard]] Status ValidateNetworkConfig(const NetworkConfig& config);

}  // namespace licet::daemon

#endif  // LICET_DAEMON_NETWORK_CONFIG_H_
