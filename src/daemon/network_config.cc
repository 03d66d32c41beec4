#include "daemon/network_config.h"

#include <algorithm>
#include <charconv>

#include "common/config_values.h"
#include "daemon/admin_guard.h"
#include "network/access_rules.h"
#include "network/client.h"
#include "network/tls.h"

namespace licet::daemon {
namespace {

using config::Bad;
using config::SetBool;
using config::SplitList;
using config::SetInt;
using config::SetPath;
using config::Trim;

bool ParseU32(std::string_view text, uint32_t& out) {
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), out);
  return !text.empty() && ec == std::errc() && end == text.data() + text.size();
}

// "FIRM:PRODUCT=SECONDS".
Status SetProductTimeouts(NetworkConfig& c, std::string_view key, std::string_view value,
                          const std::string& origin) {
  LICET_ASSIGN_OR_RETURN(auto items, SplitList(key, value, origin));
  std::map<std::pair<uint32_t, uint32_t>, int> parsed;
  for (const std::string& item : items) {
    size_t colon = item.find(':');
    size_t eq = item.find('=');
    uint32_t firm = 0, product = 0;
    int seconds = 0;
    if (colon == std::string::npos || eq == std::string::npos || eq < colon ||
        !ParseU32(Trim(std::string_view(item).substr(0, colon)), firm) ||
        !ParseU32(Trim(std::string_view(item).substr(colon + 1, eq - colon - 1)), product) ||
        firm == 0 || product == 0) {
      return Bad(key, origin, "'" + item.substr(0, 80) + "' is not FIRM:PRODUCT=SECONDS");
    }
    LICET_RETURN_IF_ERROR(
        SetInt(seconds, key, std::string_view(item).substr(eq + 1), 1, 86400, origin));
    parsed[{firm, product}] = seconds;
  }
  c.product_lease_timeouts = std::move(parsed);
  return Status::Ok();
}

// network.allow / deny / groups / reservations: each item is checked alone here (groups
// may be defined by a later key), the references between them by ValidateNetworkConfig.
Status SetAccessList(NetworkConfig& c, std::string_view key, std::string_view value,
                     const std::string& origin) {
  LICET_ASSIGN_OR_RETURN(auto items, SplitList(key, value, origin));
  if (key == "network.allow" || key == "network.deny") {
    for (const std::string& item : items) {
      auto rule = network::ParseAccessRule(item);
      if (!rule.ok()) return Bad(key, origin, rule.status().message());
    }
    (key == "network.allow" ? c.allow : c.deny) = std::move(items);
  } else if (key == "network.groups") {
    auto rules = network::AccessRules::Parse({}, {}, items, {});
    if (!rules.ok()) return Bad(key, origin, rules.status().message());
    c.groups = std::move(items);
  } else {
    c.reservations = std::move(items);
  }
  return Status::Ok();
}

}  // namespace

Result<network::AccessRules> NetworkConfig::ParsedAccessRules() const {
  return network::AccessRules::Parse(allow, deny, groups, reservations);
}

int NetworkConfig::LeaseTimeoutOf(uint32_t firm_code, uint32_t product_code) const {
  auto it = product_lease_timeouts.find({firm_code, product_code});
  return it == product_lease_timeouts.end() ? lease_timeout : it->second;
}

int NetworkConfig::MinLeaseTimeout() const {
  int m = lease_timeout;
  for (const auto& entry : product_lease_timeouts) m = std::min(m, entry.second);
  return m;
}

bool IsNetworkKey(std::string_view key) { return key.substr(0, 8) == "network."; }

bool IsNetworkListKey(std::string_view key) {
  return key == "network.lease_timeouts" || key == "network.allow" || key == "network.deny" ||
         key == "network.groups" || key == "network.reservations" || key == "network.client.servers" ||
         key == "network.client.fingerprints";
}

Status SetNetworkConfigKey(NetworkConfig& c, std::string_view key, std::string_view value,
                           const std::string& origin) {
  if (key == "network.enable") return SetBool(c.enable, key, value, origin);
  if (key == "network.listen") {
    std::string t = Trim(value);
    auto parsed = ParseListenAddress(t);
    if (!parsed.ok()) return Bad(key, origin, parsed.status().message());
    if (!*parsed) return Bad(key, origin, "use network.enable = false to turn the server off");
    c.listen = t;
    return Status::Ok();
  }
  if (key == "network.cert") return SetPath(c.cert, key, value, origin);
  if (key == "network.key") return SetPath(c.key, key, value, origin);
  if (key == "network.client_ca") return SetPath(c.client_ca, key, value, origin);
  if (key == "network.lease_timeout") return SetInt(c.lease_timeout, key, value, 1, 86400, origin);
  if (key == "network.lease_timeouts") return SetProductTimeouts(c, key, value, origin);
  if (key == "network.allow" || key == "network.deny" || key == "network.groups" ||
      key == "network.reservations") {
    return SetAccessList(c, key, value, origin);
  }
  if (key == "network.client.servers") {
    LICET_ASSIGN_OR_RETURN(auto items, SplitList(key, value, origin));
    for (const std::string& item : items) {
      auto parsed = network::ParseServerAddress(item);
      if (!parsed.ok()) return Bad(key, origin, parsed.status().message());
    }
    c.servers = std::move(items);
    return Status::Ok();
  }
  if (key == "network.client.fingerprints") {
    LICET_ASSIGN_OR_RETURN(auto items, SplitList(key, value, origin));
    for (const std::string& item : items) {
      auto parsed = network::ParseFingerprint(item);
      if (!parsed.ok()) return Bad(key, origin, parsed.status().message());
    }
    c.fingerprints = std::move(items);
    return Status::Ok();
  }
  if (key == "network.client.ca") return SetPath(c.server_ca, key, value, origin);
  if (key == "network.client.cert") return SetPath(c.client_cert, key, value, origin);
  if (key == "network.client.key") return SetPath(c.client_key, key, value, origin);
  if (key == "network.client.heartbeat") return SetInt(c.heartbeat, key, value, 0, 3600, origin);
  if (key == "network.server.discovery") return SetBool(c.server_discovery, key, value, origin);
  if (key == "network.client.discovery") return SetBool(c.client_discovery, key, value, origin);
  if (key == "network.client.trust_discovered") {
    return SetBool(c.trust_discovered, key, value, origin);
  }
  if (key == "network.client.discovery_port") {
    return SetInt(c.discovery_port, key, value, 1, 65535, origin);
  }
  return Error(ErrorCode::kInvalidArgument, origin + ": unknown key '" + std::string(key) + "'");
}

Status ValidateNetworkConfig(const NetworkConfig& c) {
  if (!c.servers.empty() && c.fingerprints.empty() && c.server_ca.empty()) {
    return Error(ErrorCode::kInvalidArgument,
                 "network.client.servers is set but neither network.client.fingerprints nor "
                 "network.client.ca: licetd would not know which server to trust (the server "
                 "prints its fingerprint at start: 'licetd ... network fingerprint')");
  }
  if (c.servers.empty() && c.client_discovery && !c.trust_discovered && c.fingerprints.empty() &&
      c.server_ca.empty()) {
    return Error(ErrorCode::kInvalidArgument,
                 "network.client.discovery finds servers but does not make them trusted: set "
                 "network.client.fingerprints or network.client.ca (or, in a lab only, "
                 "network.client.trust_discovered = true)");
  }
  if (c.client_cert.empty() != c.client_key.empty()) {
    return Error(ErrorCode::kInvalidArgument,
                 "network.client.cert and network.client.key go together");
  }
  if (auto rules = c.ParsedAccessRules(); !rules.ok()) {
    return Error(ErrorCode::kInvalidArgument,
                 "network.allow/deny/groups/reservations: " + rules.status().message());
  }
  return Status::Ok();
}

}  // namespace licet::daemon
