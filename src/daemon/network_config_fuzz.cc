// licetd's configuration parser on hostile TOML, including the [network] and
// [network.client] tables (server lists, fingerprints, per-product lease timeouts).
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "daemon/config.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace licet::daemon;
  DaemonConfig config;
  std::string_view text(reinterpret_cast<const char*>(data), size);
  (void)ApplyConfigToml(config, text, "fuzz.toml");
  (void)ValidateNetworkConfig(config.network);
  // The same bytes as the value of each list key (environment and flags take text).
  for (const char* key : {"network.client.servers", "network.client.fingerprints",
                          "network.lease_timeouts", "network.listen", "network.allow",
                          "network.deny", "network.groups", "network.reservations"}) {
    NetworkConfig n;
    (void)SetNetworkConfigKey(n, key, text, "fuzz");
  }
  return 0;
}
