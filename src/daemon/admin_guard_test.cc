#include "daemon/admin_guard.h"

#include <gtest/gtest.h>

#include "daemon/admin_routes.h"

namespace licet::daemon {
namespace {

TEST(AdminGuardTest, ParsesListenAddresses) {
  auto a = ParseListenAddress("127.0.0.1:22452");
  ASSERT_TRUE(a.ok() && a->has_value());
  EXPECT_EQ((*a)->host, "127.0.0.1");
  EXPECT_EQ((*a)->port, 22452);
  EXPECT_EQ((*ParseListenAddress("localhost:0"))->host, "127.0.0.1");
  EXPECT_EQ((*ParseListenAddress("[::1]:8080"))->host, "::1");
  EXPECT_FALSE(ParseListenAddress("off")->has_value());
  for (const char* bad : {"", "127.0.0.1", "127.0.0.1:", ":80", "host:80", "1.2.3:80", "[::1:80",
                          "::1:80", "127.0.0.1:65536", "127.0.0.1:-1", "[]:1"}) {
    EXPECT_FALSE(ParseListenAddress(bad).ok()) << bad;
  }
}

TEST(AdminGuardTest, HostHeaderMustNameThisServer) {
  ListenAddress listen{"127.0.0.1", 22452};
  EXPECT_TRUE(IsAllowedHost("127.0.0.1:22452", listen, 22452));
  EXPECT_TRUE(IsAllowedHost("localhost:22452", listen, 22452));
  EXPECT_TRUE(IsAllowedHost("LOCALHOST", listen, 22452));
  EXPECT_TRUE(IsAllowedHost("[::1]:22452", listen, 22452));
  EXPECT_FALSE(IsAllowedHost("127.0.0.1:80", listen, 22452));
  EXPECT_FALSE(IsAllowedHost("evil.example:22452", listen, 22452));
  EXPECT_FALSE(IsAllowedHost("localhost.evil.example", listen, 22452));
  EXPECT_FALSE(IsAllowedHost("", listen, 22452));
  EXPECT_FALSE(IsAllowedHost("127.0.0.1:22452:1", listen, 22452));
  EXPECT_TRUE(IsAllowedHost("10.0.0.5:22452", ListenAddress{"10.0.0.5", 22452}, 22452));
}

TEST(AdminGuardTest, OriginsAreRefusedUnlessOwnOrConfigured) {
  std::vector<std::string> allowed = {"https://portal.example"};
  EXPECT_TRUE(IsAllowedOrigin(std::nullopt, {}, 22452));
  EXPECT_TRUE(IsAllowedOrigin(std::string_view("http://127.0.0.1:22452"), {}, 22452));
  EXPECT_FALSE(IsAllowedOrigin(std::string_view("http://127.0.0.1:9999"), {}, 22452));
  EXPECT_FALSE(IsAllowedOrigin(std::string_view("https://evil.example"), allowed, 22452));
  EXPECT_TRUE(IsAllowedOrigin(std::string_view("https://PORTAL.example"), allowed, 22452));
  EXPECT_FALSE(IsAllowedOrigin(std::string_view("null"), {"null"}, 22452));
  EXPECT_TRUE(ValidateOrigin("http://localhost:3000").ok());
  EXPECT_TRUE(ValidateOrigin("https://[::1]:3000").ok());
  for (const char* bad : {"localhost:3000", "ftp://x", "http://x/path", "http://u@x",
                          "http://x:99999", "http://", "http://a b"}) {
    EXPECT_FALSE(ValidateOrigin(bad).ok()) << bad;
  }
}

TEST(AdminRoutesTest, RoutesAndProblems) {
  AdminContext ctx;
  ctx.listen = {"127.0.0.1", 0};
  ctx.port = 5000;
  ctx.status = [] { return nlohmann::json{{"ok", true}}; };
  ctx.metrics = [] { return std::string("licetd_up 1\n"); };
  AdminRequest req{"GET", "/api/v1/status?pretty=1", std::string_view("localhost:5000"),
                   std::nullopt};
  AdminResponse r = RouteAdmin(req, ctx);
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.content_type, "application/json");
  EXPECT_EQ(r.body, "{\"ok\":true}");
  req.target = "/metrics";
  EXPECT_EQ(RouteAdmin(req, ctx).body, "licetd_up 1\n");
  req.method = "POST";
  r = RouteAdmin(req, ctx);
  EXPECT_EQ(r.status, 405);
  auto body = nlohmann::json::parse(r.body);
  EXPECT_EQ(body["status"], 405);
  EXPECT_EQ(body["code"], "invalid_argument");
  req.method = "GET";
  req.host.reset();
  EXPECT_EQ(RouteAdmin(req, ctx).status, 400);
  req.host = "127.0.0.1:5000";
  req.origin = "http://attacker.example";
  EXPECT_EQ(RouteAdmin(req, ctx).status, 403);
  ctx.allowed_origins = {"http://attacker.example"};
  r = RouteAdmin(req, ctx);
  EXPECT_EQ(r.status, 200);
  ASSERT_FALSE(r.headers.empty());
  EXPECT_EQ(r.headers[0].second, "http://attacker.example");
}

}  // namespace
}  // namespace licet::daemon
