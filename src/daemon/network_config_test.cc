#include "daemon/network_config.h"

#include <gtest/gtest.h>

#include "daemon/config.h"

namespace licet::daemon {
namespace {

TEST(NetworkConfigTest, TomlTables) {
  DaemonConfig c;
  Status st = ApplyConfigToml(c,
                              R"(
log_level = "warn"
[network]
enable = true
listen = "127.0.0.1:22460"
lease_timeout = 60
lease_timeouts = ["6000010:13=30", "6000010:14=300"]
[network.client]
servers = ["licsrv", "[::1]:22451"]
fingerprints = ["sha256:)" + std::string(64, 'a') +
                                  R"("]
heartbeat = 5
)",
                              "t.toml");
  ASSERT_TRUE(st.ok()) << st.ToString();
  EXPECT_TRUE(c.network.enable);
  EXPECT_EQ(c.network.listen, "127.0.0.1:22460");
  EXPECT_EQ(c.network.LeaseTimeoutOf(6000010, 13), 30);
  EXPECT_EQ(c.network.LeaseTimeoutOf(6000010, 99), 60);
  EXPECT_EQ(c.network.MinLeaseTimeout(), 30);
  ASSERT_EQ(c.network.servers.size(), 2u);
  EXPECT_EQ(c.network.heartbeat, 5);
  EXPECT_TRUE(ValidateNetworkConfig(c.network).ok());
  // What --print-config prints reads back.
  DaemonConfig again;
  c.home = "/var/lib/licet";  // LoadConfig fills these; a bare DaemonConfig has them empty
  c.socket = "/run/licet/licetd.sock";
  std::string printed = ConfigToToml(c);
  ASSERT_TRUE(ApplyConfigToml(again, printed, "printed").ok()) << printed;
  EXPECT_EQ(again.network.servers, c.network.servers);
  EXPECT_EQ(again.network.product_lease_timeouts, c.network.product_lease_timeouts);
}

TEST(NetworkConfigTest, RefusesBadValues) {
  NetworkConfig n;
  EXPECT_FALSE(SetNetworkConfigKey(n, "network.enable", "maybe", "x").ok());
  EXPECT_FALSE(SetNetworkConfigKey(n, "network.listen", "off", "x").ok());
  EXPECT_FALSE(SetNetworkConfigKey(n, "network.listen", "example.com:1", "x").ok());
  EXPECT_FALSE(SetNetworkConfigKey(n, "network.lease_timeout", "0", "x").ok());
  EXPECT_FALSE(SetNetworkConfigKey(n, "network.lease_timeouts", "6000010=3", "x").ok());
  EXPECT_FALSE(SetNetworkConfigKey(n, "network.lease_timeouts", "0:1=3", "x").ok());
  EXPECT_FALSE(SetNetworkConfigKey(n, "network.lease_timeouts", "1:1=99999999", "x").ok());
  EXPECT_FALSE(SetNetworkConfigKey(n, "network.client.servers", "a:b:c", "x").ok());
  EXPECT_FALSE(SetNetworkConfigKey(n, "network.client.servers", "host:0", "x").ok());
  EXPECT_FALSE(SetNetworkConfigKey(n, "network.client.servers", "host:70000", "x").ok());
  EXPECT_FALSE(SetNetworkConfigKey(n, "network.client.fingerprints", "sha256:abc", "x").ok());
  EXPECT_FALSE(SetNetworkConfigKey(n, "network.client.ca", "relative.pem", "x").ok());
  EXPECT_FALSE(SetNetworkConfigKey(n, "network.nonsense", "1", "x").ok());
  DaemonConfig c;
  EXPECT_FALSE(ApplyConfigToml(c, "[network]\nenable = [1]\n", "t").ok());
  EXPECT_FALSE(ApplyConfigToml(c, "[elsewhere]\nx = 1\n", "t").ok());
  EXPECT_FALSE(ApplyConfigToml(c, "[network.client]\nservers = [1]\n", "t").ok());
}

TEST(NetworkConfigTest, ServersNeedATrustAnchor) {
  NetworkConfig n;
  ASSERT_TRUE(SetNetworkConfigKey(n, "network.client.servers", "licsrv, licsrv2:22451", "x").ok());
  EXPECT_EQ(ValidateNetworkConfig(n).code(), ErrorCode::kInvalidArgument);
  ASSERT_TRUE(SetNetworkConfigKey(n, "network.client.ca", "/etc/licet/ca.pem", "x").ok());
  EXPECT_TRUE(ValidateNetworkConfig(n).ok());
  ASSERT_TRUE(SetNetworkConfigKey(n, "network.client.cert", "/etc/licet/c.pem", "x").ok());
  EXPECT_FALSE(ValidateNetworkConfig(n).ok());
}

TEST(NetworkConfigTest, EnvironmentAndFlags) {
  ConfigFlags flags;
  flags.config = "/dev/null";
  flags.values["network.enable"] = "true";
  auto env = [](const std::string& name) -> std::optional<std::string> {
    if (name == "LICET_SERVERS") return "a.example,b.example:1234";
    if (name == "LICET_SERVER_FINGERPRINTS") return "sha256:" + std::string(64, 'b');
    return std::nullopt;
  };
  auto c = LoadConfig(flags, env);
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  EXPECT_TRUE(c->network.enable);
  EXPECT_EQ(c->network.servers.size(), 2u);
}

TEST(NetworkConfigTest, AccessRulesAndReservations) {
  DaemonConfig c;
  Status st = ApplyConfigToml(c, R"(
[network]
allow = ["10.0.0.0/8", "fd00::/8", "host:build-*", "group:cad"]
deny = ["user:mallory"]
groups = ["cad=alice bob host:ws-7"]
reservations = ["6000010:13=3@cad"]
)",
                              "t.toml");
  ASSERT_TRUE(st.ok()) << st.ToString();
  ASSERT_TRUE(ValidateNetworkConfig(c.network).ok());
  auto rules = c.network.ParsedAccessRules();
  ASSERT_TRUE(rules.ok());
  EXPECT_EQ(rules->Check({"10.1.1.1", "x", "mallory"}).code(), ErrorCode::kAccessDenied);
  EXPECT_TRUE(rules->Check({"192.168.0.1", "x", "bob"}).ok());
  c.home = "/var/lib/licet";
  c.socket = "/run/licet/licetd.sock";
  DaemonConfig again;
  ASSERT_TRUE(ApplyConfigToml(again, ConfigToToml(c), "printed").ok());
  EXPECT_EQ(again.network.allow, c.network.allow);
  EXPECT_EQ(again.network.groups, c.network.groups);
  EXPECT_EQ(again.network.reservations, c.network.reservations);

  NetworkConfig n;
  EXPECT_FALSE(SetNetworkConfigKey(n, "network.allow", "10.0.0.0/33", "x").ok());
  EXPECT_FALSE(SetNetworkConfigKey(n, "network.deny", "somehost", "x").ok());
  EXPECT_FALSE(SetNetworkConfigKey(n, "network.groups", "cad", "x").ok());
  EXPECT_FALSE(SetNetworkConfigKey(n, "network.groups", "cad=group:x", "x").ok());
  // A reservation or rule that names an undefined group fails validation.
  ASSERT_TRUE(SetNetworkConfigKey(n, "network.reservations", "6000010:13=3@cad", "x").ok());
  EXPECT_EQ(ValidateNetworkConfig(n).code(), ErrorCode::kInvalidArgument);
  ASSERT_TRUE(SetNetworkConfigKey(n, "network.groups", "cad=alice", "x").ok());
  EXPECT_TRUE(ValidateNetworkConfig(n).ok());
  ASSERT_TRUE(SetNetworkConfigKey(n, "network.reservations", "6000010:13=x@cad", "x").ok());
  Status bad = ValidateNetworkConfig(n);
  EXPECT_NE(bad.message().find("FIRM:PRODUCT=SEATS@GROUP"), std::string::npos) << bad.ToString();
}

}  // namespace
}  // namespace licet::daemon

namespace licet::daemon {
namespace {

TEST(NetworkConfigDiscoveryTest, KeysTablesAndTrust) {
  DaemonConfig c;
  ASSERT_TRUE(ApplyConfigToml(c,
                              "[network.server]\ndiscovery = false\n"
                              "[network.client]\ndiscovery = true\ndiscovery_port = 22460\n",
                              "t")
                  .ok());
  EXPECT_FALSE(c.network.server_discovery);
  EXPECT_TRUE(c.network.client_discovery);
  EXPECT_EQ(c.network.discovery_port, 22460);
  // Discovery finds servers but does not make them trusted.
  EXPECT_EQ(ValidateNetworkConfig(c.network).code(), ErrorCode::kInvalidArgument);
  ASSERT_TRUE(SetNetworkConfigKey(c.network, "network.client.trust_discovered", "true", "x").ok());
  EXPECT_TRUE(ValidateNetworkConfig(c.network).ok());
  c.network.trust_discovered = false;
  c.network.fingerprints = {"sha256:" + std::string(64, 'a')};
  EXPECT_TRUE(ValidateNetworkConfig(c.network).ok());
  EXPECT_FALSE(SetNetworkConfigKey(c.network, "network.client.discovery_port", "0", "x").ok());
  EXPECT_FALSE(SetNetworkConfigKey(c.network, "network.client.discovery", "maybe", "x").ok());
  EXPECT_FALSE(ApplyConfigToml(c, "[network.server]\nnonsense = 1\n", "t").ok());
  // Defaults: a server answers probes, a client does not probe.
  NetworkConfig d;
  EXPECT_TRUE(d.server_discovery);
  EXPECT_FALSE(d.client_discovery);
}

}  // namespace
}  // namespace licet::daemon
