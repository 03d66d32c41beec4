#include "central/http/client_address.h"

#include <gtest/gtest.h>

namespace licet::central::http {
namespace {

using Headers = std::vector<std::pair<std::string, std::string>>;

TrustedProxies Trusted(std::string_view list) {
  auto t = TrustedProxies::Parse(list);
  EXPECT_TRUE(t.ok()) << t.status().ToString();
  return t.ok() ? *t : TrustedProxies();
}

Headers Xff(std::string value) { return {{"x-forwarded-for", std::move(value)}}; }

TEST(TrustedProxiesTest, ParsesAddressesAndBlocks) {
  TrustedProxies t = Trusted(" 10.0.0.0/8,192.0.2.7  ::1\tfd00::/8 ");
  EXPECT_EQ(t.size(), 4u);
  EXPECT_TRUE(t.Contains("10.1.2.3"));
  EXPECT_TRUE(t.Contains("192.0.2.7"));
  EXPECT_FALSE(t.Contains("192.0.2.8"));
  EXPECT_FALSE(t.Contains("11.0.0.1"));
  EXPECT_TRUE(t.Contains("::1"));
  EXPECT_TRUE(t.Contains("fd12::5"));
  EXPECT_FALSE(t.Contains("fe80::1"));
  EXPECT_TRUE(t.Contains("::ffff:10.9.9.9")) << "IPv4-mapped IPv6 matches the IPv4 block";
  EXPECT_FALSE(t.Contains("not an address"));
  EXPECT_FALSE(t.Contains(""));
}

TEST(TrustedProxiesTest, PrefixEdges) {
  EXPECT_TRUE(Trusted("0.0.0.0/0").Contains("203.0.113.9"));
  EXPECT_FALSE(Trusted("0.0.0.0/0").Contains("2001:db8::1")) << "an IPv4 block is IPv4 only";
  EXPECT_TRUE(Trusted("::/0").Contains("2001:db8::1"));
  EXPECT_TRUE(Trusted("192.0.2.0/25").Contains("192.0.2.127"));
  EXPECT_FALSE(Trusted("192.0.2.0/25").Contains("192.0.2.128"));
  EXPECT_TRUE(Trusted("192.0.2.1/24").Contains("192.0.2.200")) << "host bits are ignored";
}

TEST(TrustedProxiesTest, EmptyListTrustsNobody) {
  TrustedProxies t = Trusted("");
  EXPECT_TRUE(t.empty());
  EXPECT_FALSE(t.Contains("127.0.0.1"));
  EXPECT_TRUE(Trusted(" , ").empty());
}

TEST(TrustedProxiesTest, RejectsMalformedEntries) {
  for (const char* bad : {"localhost", "10.0.0.0/33", "::/129", "10.0.0.0/", "10.0.0.0/-1",
                          "10.0.0.0/+8", "10.0.0.0/8/8", "10.0.0.0/0x8", "10.0.0", "10.0.0.256",
                          "[::1]", "10.0.0.1:80", "fe80::1%eth0", "/8", "1.2.3.4/0008"}) {
    auto t = TrustedProxies::Parse(bad);
    EXPECT_FALSE(t.ok()) << bad;
    if (!t.ok()) {
      EXPECT_EQ(t.status().code(), ErrorCode::kInvalidArgument) << bad;
    }
  }
  std::string many;
  for (size_t i = 0; i <= TrustedProxies::kMaxNetworks; ++i) many += "10.0.0.1 ";
  EXPECT_FALSE(TrustedProxies::Parse(many).ok());
}

TEST(ClientAddressTest, WithoutTrustedProxiesThePeerIsTheClient) {
  EXPECT_EQ(ClientAddress("198.51.100.7", Xff("203.0.113.1"), TrustedProxies()), "198.51.100.7");
}

TEST(ClientAddressTest, ADirectClientCannotSpoofItsAddress) {
  TrustedProxies t = Trusted("10.0.0.0/8");
  // Not from a proxy: the header is the client's own claim.
  EXPECT_EQ(ClientAddress("198.51.100.7", Xff("203.0.113.1"), t), "198.51.100.7");
  // Claiming to be a trusted proxy in the header changes nothing either.
  EXPECT_EQ(ClientAddress("198.51.100.7", Xff("10.0.0.1"), t), "198.51.100.7");
}

TEST(ClientAddressTest, BehindAProxyTheForwardedAddressIsTheClient) {
  TrustedProxies t = Trusted("10.0.0.0/8");
  EXPECT_EQ(ClientAddress("10.0.0.2", Xff("203.0.113.1"), t), "203.0.113.1");
  EXPECT_EQ(ClientAddress("10.0.0.2", {}, t), "10.0.0.2") << "no header: the proxy itself";
}

TEST(ClientAddressTest, EntriesTheClientWroteAreIgnored) {
  TrustedProxies t = Trusted("10.0.0.0/8");
  // The client sent "X-Forwarded-For: 192.0.2.99" hoping for a fresh rate-limit bucket; the
  // proxy appended the address it saw.
  EXPECT_EQ(ClientAddress("10.0.0.2", Xff("192.0.2.99, 203.0.113.1"), t), "203.0.113.1");
  // Pretending to be a trusted proxy on the left is no better.
  EXPECT_EQ(ClientAddress("10.0.0.2", Xff("10.0.0.5, 203.0.113.1"), t), "203.0.113.1");
  // Two chained trusted proxies: skipped from the right.
  EXPECT_EQ(ClientAddress("10.0.0.2", Xff("192.0.2.99,203.0.113.1 , 10.0.0.3"), t),
            "203.0.113.1");
}

TEST(ClientAddressTest, SeveralHeadersFormOneList) {
  TrustedProxies t = Trusted("10.0.0.0/8");
  Headers h = {{"x-forwarded-for", "192.0.2.99"}, {"host", "x"},
               {"x-forwarded-for", "203.0.113.1, 10.0.0.3"}};
  EXPECT_EQ(ClientAddress("10.0.0.2", h, t), "203.0.113.1");
}

TEST(ClientAddressTest, AChainOfTrustedProxiesOnlyGivesTheLeftMost) {
  TrustedProxies t = Trusted("10.0.0.0/8");
  EXPECT_EQ(ClientAddress("10.0.0.2", Xff("10.0.0.7, 10.0.0.3"), t), "10.0.0.7");
}

TEST(ClientAddressTest, MalformedHeadersFallBackToThePeer) {
  TrustedProxies t = Trusted("10.0.0.0/8");
  for (const char* bad :
       {"", " ", "unknown", "203.0.113.1:4711", "[2001:db8::1]", "203.0.113.1,", ",203.0.113.1",
        "203.0.113.1,,203.0.113.2", "fe80::1%eth0", "203.0.113.1 203.0.113.2", "_hidden",
        "203.0.113.1, garbage", "garbage, 203.0.113.1", "203.0.113.1\x01", "2001:db8::1::1",
        "1.2.3", "01.2.3.4"}) {
    EXPECT_EQ(ClientAddress("10.0.0.2", Xff(bad), t), "10.0.0.2") << "'" << bad << "'";
  }
  // A malformed second header spoils the list too.
  Headers h = {{"x-forwarded-for", "203.0.113.1"}, {"x-forwarded-for", "nope"}};
  EXPECT_EQ(ClientAddress("10.0.0.2", h, t), "10.0.0.2");
}

TEST(ClientAddressTest, OversizedHeadersFallBackToThePeer) {
  TrustedProxies t = Trusted("10.0.0.0/8");
  std::string hops;
  for (size_t i = 0; i <= kMaxForwardedHops; ++i) hops += (i ? "," : "") + std::string("1.2.3.4");
  EXPECT_EQ(ClientAddress("10.0.0.2", Xff(hops), t), "10.0.0.2");
  std::string ok_hops;
  for (size_t i = 0; i < kMaxForwardedHops; ++i) ok_hops += (i ? "," : "") + std::string("1.2.3.4");
  EXPECT_EQ(ClientAddress("10.0.0.2", Xff(ok_hops), t), "1.2.3.4");
  Headers h;
  for (int i = 0; i < 200; ++i) h.emplace_back("x-forwarded-for", std::string(40, ' ') + "1.2.3.4");
  EXPECT_EQ(ClientAddress("10.0.0.2", h, t), "10.0.0.2");
}

TEST(ClientAddressTest, AddressesAreCanonical) {
  TrustedProxies t = Trusted("10.0.0.0/8, fd00::/8");
  // One client, two spellings: one rate-limit bucket.
  EXPECT_EQ(ClientAddress("10.0.0.2", Xff("::ffff:203.0.113.1"), t), "203.0.113.1");
  EXPECT_EQ(ClientAddress("10.0.0.2", Xff("2001:DB8:0:0::1"), t), "2001:db8::1");
  // A proxy reached over IPv6 with an IPv4-mapped peer address is trusted by its IPv4 block.
  EXPECT_EQ(ClientAddress("::ffff:10.0.0.2", Xff("203.0.113.1"), t), "203.0.113.1");
  EXPECT_EQ(ClientAddress("fd00::2", Xff("2001:db8::9"), t), "2001:db8::9");
}

}  // namespace
}  // namespace licet::central::http
