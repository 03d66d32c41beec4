#include "network/access_rules.h"

#include <gtest/gtest.h>

namespace licet::network {
namespace {

using Strings = std::vector<std::string>;

AccessRules MustParse(const Strings& allow, const Strings& deny, const Strings& groups = {},
                      const Strings& reservations = {}) {
  auto rules = AccessRules::Parse(allow, deny, groups, reservations);
  EXPECT_TRUE(rules.ok()) << rules.status().ToString();
  return rules.ok() ? std::move(*rules) : AccessRules();
}

TEST(AccessRulesTest, EmptyAllowsEveryone) {
  AccessRules rules = MustParse({}, {});
  EXPECT_TRUE(rules.empty());
  EXPECT_TRUE(rules.Check({"10.1.2.3", "ws", "alice"}).ok());
}

TEST(AccessRulesTest, Ipv4AndIpv6Cidr) {
  AccessRules rules = MustParse({"10.0.0.0/8", "fd00::/8", "192.168.1.7", "::1"}, {});
  EXPECT_TRUE(rules.Check({"10.200.3.4", "", "a"}).ok());
  EXPECT_TRUE(rules.Check({"::ffff:10.1.1.1", "", "a"}).ok());  // dual-stack listener
  EXPECT_TRUE(rules.Check({"fd12:3456::1", "", "a"}).ok());
  EXPECT_TRUE(rules.Check({"192.168.1.7", "", "a"}).ok());
  EXPECT_TRUE(rules.Check({"::1", "", "a"}).ok());
  Status no = rules.Check({"11.0.0.1", "", "a"});
  EXPECT_EQ(no.code(), ErrorCode::kAccessDenied);
  EXPECT_NE(no.message().find("no allow rule"), std::string::npos);
  EXPECT_EQ(rules.Check({"192.168.1.8", "", "a"}).code(), ErrorCode::kAccessDenied);
  EXPECT_EQ(rules.Check({"fe80::1", "", "a"}).code(), ErrorCode::kAccessDenied);
  EXPECT_EQ(rules.Check({"not-an-ip", "", "a"}).code(), ErrorCode::kAccessDenied);
  AccessRules odd = MustParse({"10.1.2.0/23"}, {});
  EXPECT_TRUE(odd.Check({"10.1.3.255", "", ""}).ok());
  EXPECT_FALSE(odd.Check({"10.1.4.0", "", ""}).ok());
  AccessRules all = MustParse({"0.0.0.0/0"}, {});
  EXPECT_TRUE(all.Check({"1.2.3.4", "", ""}).ok());
  EXPECT_FALSE(all.Check({"::2", "", ""}).ok());
}

TEST(AccessRulesTest, DenyWinsAndHostUserGlobs) {
  AccessRules rules = MustParse({"10.0.0.0/8", "host:build-*"}, {"user:mallory", "host:BAD?"});
  EXPECT_TRUE(rules.Check({"10.0.0.1", "ws", "alice"}).ok());
  EXPECT_TRUE(rules.Check({"172.16.0.1", "Build-17", "alice"}).ok());  // hosts ignore case
  Status st = rules.Check({"10.0.0.1", "ws", "mallory"});
  EXPECT_EQ(st.code(), ErrorCode::kAccessDenied);
  EXPECT_NE(st.message().find("deny rule 'user:mallory'"), std::string::npos);
  EXPECT_EQ(rules.Check({"10.0.0.1", "bad1", "alice"}).code(), ErrorCode::kAccessDenied);
  EXPECT_TRUE(rules.Check({"10.0.0.1", "bad12", "alice"}).ok());
  EXPECT_TRUE(rules.Check({"10.0.0.1", "ws", "Mallory"}).ok());  // users are case-sensitive
}

TEST(AccessRulesTest, GroupsInRulesAndReservations) {
  AccessRules rules = MustParse({"group:cad"}, {}, {"cad=alice bob host:ws-7 10.9.0.0/16"},
                                {"6000010:13=3@cad", "6000010:14=1@group:cad"});
  EXPECT_TRUE(rules.Check({"1.1.1.1", "x", "alice"}).ok());
  EXPECT_TRUE(rules.Check({"1.1.1.1", "ws-7", "zed"}).ok());
  EXPECT_TRUE(rules.Check({"10.9.1.1", "x", "zed"}).ok());
  EXPECT_FALSE(rules.Check({"1.1.1.1", "x", "zed"}).ok());
  AccessRules dotted = MustParse({"group:g"}, {}, {"g=john.doe 10.0.0.1"});
  EXPECT_TRUE(dotted.Check({"1.1.1.1", "x", "john.doe"}).ok());
  EXPECT_TRUE(dotted.Check({"10.0.0.1", "x", "zed"}).ok());
  EXPECT_FALSE(dotted.Check({"1.1.1.1", "x", "10.0.0.1"}).ok());
  auto r = rules.ReservationsFor(6000010, 13, {"1.1.1.1", "x", "bob"});
  ASSERT_EQ(r.size(), 1u);
  EXPECT_EQ(r[0].group, "cad");
  EXPECT_EQ(r[0].seats, 3u);
  EXPECT_TRUE(r[0].member);
  EXPECT_FALSE(rules.ReservationsFor(6000010, 14, {"1.1.1.1", "x", "carol"})[0].member);
  EXPECT_TRUE(rules.ReservationsFor(6000010, 15, {"1.1.1.1", "x", "bob"}).empty());
}

TEST(AccessRulesTest, RejectsMalformed) {
  auto bad = [](const Strings& allow, const Strings& deny, const Strings& groups,
                const Strings& reservations) {
    auto r = AccessRules::Parse(allow, deny, groups, reservations);
    EXPECT_FALSE(r.ok());
    return r.ok() ? std::string() : r.status().message();
  };
  for (const char* rule : {"10.0.0.0/33", "10.0.0/8", "::1/129", "10.0.0.0/", "10.0.0.0/-1",
                           "host:", "user:a b", "frog", "1.2.3.4/8x", "group:none", ""}) {
    SCOPED_TRACE(rule);
    bad({rule}, {}, {}, {});
  }
  EXPECT_NE(bad({}, {"10.0.0.0/40"}, {}, {}).find("prefix length must be 0..32"),
            std::string::npos);
  bad({}, {}, {"cad"}, {});
  bad({}, {}, {"cad="}, {});
  bad({}, {}, {"=alice"}, {});
  bad({}, {}, {"cad=alice", "cad=bob"}, {});
  bad({}, {}, {"a=x", "b=group:a"}, {});
  bad({}, {}, {"cad=alice"}, {"6000010:13=3@nogroup"});
  bad({}, {}, {"cad=alice"}, {"6000010:13=0@cad"});
  bad({}, {}, {"cad=alice"}, {"6000010:13@cad"});
  bad({}, {}, {"cad=alice"}, {"6000010=3@cad"});
  bad({}, {}, {"cad=alice"}, {"0:13=3@cad"});
  bad({}, {}, {"cad=alice"}, {"6000010:13=3@cad", "6000010:13=1@cad"});
  bad({}, {}, {"cad=alice"}, {"6000010:13=99999999999@cad"});
}

TEST(GlobMatchTest, Basics) {
  EXPECT_TRUE(GlobMatch("*", "", false));
  EXPECT_TRUE(GlobMatch("a*b*c", "axxbyyc", false));
  EXPECT_FALSE(GlobMatch("a*b*c", "axxbyy", false));
  EXPECT_TRUE(GlobMatch("a?c", "abc", false));
  EXPECT_FALSE(GlobMatch("a?c", "ac", false));
  EXPECT_TRUE(GlobMatch("ABC", "abc", true));
  EXPECT_FALSE(GlobMatch("ABC", "abc", false));
  // Many stars against a long non-match stays quick (no exponential backtracking).
  EXPECT_FALSE(GlobMatch(std::string(100, '*') + "b", std::string(10000, 'a'), false));
}

}  // namespace
}  // namespace licet::network
