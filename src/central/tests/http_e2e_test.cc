// licet-central in-process over real sockets: the App with its HTTP server, driven by the
// HTTP client. Concurrency of activations, the KEK at rest, rate limits, body limits.
#include <gtest/gtest.h>

#include <atomic>
#include <fstream>
#include <sstream>
#include <thread>

#include "central/api/auth.h"
#include "central/api/codec.h"
#include "central/app.h"
#include "central/http/client.h"
#include "central/http/log.h"
#include "central/tests/test_support.h"
#include "common/env.h"

namespace licet::central {
namespace {

using nlohmann::json;
using testing::ContextOf;
using testing::NewContainer;

constexpr uint32_t kFirm = 6000010;

class HttpE2eTest : public ::testing::Test {
 protected:
  void SetUp() override { ASSERT_TRUE(http::InitLogging("warn", "text").ok()); }

  CentralConfig Config(const std::string& kek_hex) {
    CentralConfig c;
    c.listen = "127.0.0.1:0";
    c.data_dir = dir_.path() + "/data";
    c.database = "sqlite://" + c.data_dir + "/central.db";
    c.kek_file = dir_.path() + "/kek";
    EXPECT_TRUE(Env::Default().WriteFileAtomic(c.kek_file, AsBytes(kek_hex), 0600).ok());
    c.workers = 4;
    c.gateway_rate = 0;
    return c;
  }

  void Start(const CentralConfig& c) {
    auto app = App::Open(c);
    ASSERT_TRUE(app.ok()) << app.status().ToString();
    app_ = std::move(app).value();
    ASSERT_TRUE(app_->StartServer().ok());
    std::string bound = app_->BoundAddress();
    port_ = static_cast<uint16_t>(std::stoi(bound.substr(bound.rfind(':') + 1)));
    auto key = api::CreateApiKey(app_->store(), {"*"}, std::nullopt, "test", 1);
    ASSERT_TRUE(key.ok());
    key_ = key->key;
  }

  http::ClientResponse Call(const std::string& method, const std::string& target,
                            const std::string& body = "", bool auth = true,
                            std::vector<std::pair<std::string, std::string>> headers = {}) {
    http::ClientRequest req;
    req.method = method;
    req.target = target;
    req.body = body;
    if (!body.empty()) req.content_type = "application/json";
    if (auth) req.headers.emplace_back("Authorization", "Bearer " + key_);
    for (auto& h : headers) req.headers.push_back(h);
    auto r = http::HttpCall("127.0.0.1", port_, req);
    EXPECT_TRUE(r.ok()) << r.status().ToString();
    return r.ok() ? *r : http::ClientResponse{};
  }

  std::string SeedTicket(uint32_t activations) {
    EXPECT_EQ(Call("POST", "/api/v1/firms", R"({"firm_code": 6000010, "name": "Sample"})").status,
              201);
    EXPECT_EQ(Call("POST", "/api/v1/firms/6000010/products",
                   R"({"product_code": 201010, "name": "App", "template": {"features": 3}})")
                  .status,
              201);
    json o = {{"request_id", "r1"},
              {"firm_code", kFirm},
              {"items",
               {{{"product_code", 201010}, {"rights", {{"activations_allowed", activations}}}}}}};
    auto r = Call("POST", "/api/v1/orders", o.dump());
    EXPECT_EQ(r.status, 201) << r.body;
    return json::parse(r.body)["tickets"][0]["ticket"];
  }

  testing::TempDir dir_;
  std::unique_ptr<App> app_;
  uint16_t port_ = 0;
  std::string key_;
};

// Requirement 6: 200 concurrent activation requests for a ticket allowing 10.
TEST_F(HttpE2eTest, TwoHundredConcurrentActivationsForTenAllowed) {
  Start(Config(std::string(64, '7')));
  std::string ticket = SeedTicket(10);
  constexpr int kRequests = 200;
  std::vector<std::string> bodies;
  for (int i = 0; i < kRequests; ++i) {
    auto c = NewContainer(5000 + i, 1800000000);
    json req = {{"ticket", ticket},
                {"context", api::Base64Encode(ContextOf(c, kFirm, 1800000000))}};
    bodies.push_back(req.dump());
  }
  std::atomic<int> ok{0}, exhausted{0}, other{0};
  std::atomic<bool> go{false};
  std::vector<std::thread> threads;
  for (int i = 0; i < kRequests; ++i) {
    threads.emplace_back([&, i] {
      while (!go) std::this_thread::yield();
      http::ClientRequest req;
      req.method = "POST";
      req.target = "/api/v1/activations";
      req.body = bodies[i];
      req.content_type = "application/json";
      auto r = http::HttpCall("127.0.0.1", port_, req, std::chrono::seconds(120));
      if (r.ok() && r->status == 200) {
        ++ok;
      } else if (r.ok() && r->status == 409 &&
                 r->body.find("no_more_licenses") != std::string::npos) {
        ++exhausted;
      } else {
        ++other;
      }
    });
  }
  go = true;
  for (auto& t : threads) t.join();
  EXPECT_EQ(ok.load(), 10);
  EXPECT_EQ(exhausted.load(), kRequests - 10);
  EXPECT_EQ(other.load(), 0);
  auto t = json::parse(Call("GET", "/api/v1/tickets/" + ticket).body);
  EXPECT_EQ(t["activations_used"], 10);
  EXPECT_EQ(t["activations"].size(), 10u);
}

// Requirement 6: the database file holds no firm secret (nor signing key) in clear.
TEST_F(HttpE2eTest, DatabaseHoldsNoSecretInClear) {
  CentralConfig c = Config(std::string(64, '9'));
  Start(c);
  SeedTicket(1);
  auto firm = app_->store().TransactResult<std::optional<store::FirmRecord>>(
      store::TxMode::kRead, [](store::Tx& tx) { return tx.GetFirm(kFirm); });
  ASSERT_TRUE(firm.ok() && firm->has_value());
  auto key = app_->vault().OpenFirmSecrets(kFirm, (*firm)->name, (*firm)->public_key,
                                           (*firm)->created_at, (*firm)->sealed_secrets);
  ASSERT_TRUE(key.ok());
  std::string secret(key->firm_secret.span().begin(), key->firm_secret.span().end());
  std::string signing(key->signing_key.span().begin(), key->signing_key.span().end());
  std::string secret_hex = HexEncode(key->firm_secret.span());
  app_.reset();  // closes the database (and checkpoints the WAL)
  std::string all;
  for (const char* suffix : {"", "-wal", "-shm"}) {
    std::ifstream in(c.data_dir + "/central.db" + suffix, std::ios::binary);
    std::stringstream s;
    s << in.rdbuf();
    all += s.str();
  }
  ASSERT_GT(all.size(), 4096u);
  EXPECT_EQ(all.find(secret), std::string::npos);
  EXPECT_EQ(all.find(signing), std::string::npos);
  EXPECT_EQ(all.find(secret_hex), std::string::npos);
  // The public key is there (it is public).
  EXPECT_NE(all.find(std::string((*firm)->public_key.begin(), (*firm)->public_key.end())),
            std::string::npos);
}

TEST_F(HttpE2eTest, AnotherKekIsRefusedAtStart) {
  CentralConfig c = Config(std::string(64, '1'));
  Start(c);
  app_.reset();
  CentralConfig other = Config(std::string(64, '2'));
  auto app = App::Open(other);
  ASSERT_FALSE(app.ok());
  EXPECT_EQ(app.status().code(), ErrorCode::kPermissionDenied);
  EXPECT_NE(app.status().message().find("KEK does not match"), std::string::npos);
}

TEST_F(HttpE2eTest, GatewayRateLimitAndBodyLimitOverHttp) {
  CentralConfig c = Config(std::string(64, '4'));
  c.gateway_rate = 1;
  c.gateway_burst = 2;
  c.body_limit = 4096;
  Start(c);
  std::string path = "/api/v1/tickets/00000-00000-00000-00000-00000/status";
  EXPECT_NE(Call("GET", path, "", false).status, 429);
  EXPECT_NE(Call("GET", path, "", false).status, 429);
  auto limited = Call("GET", path, "", false);
  EXPECT_EQ(limited.status, 429);
  EXPECT_NE(limited.Header("retry-after"), nullptr);
  EXPECT_EQ(limited.content_type, "application/problem+json");
  auto big = Call("POST", "/api/v1/firms", std::string(5000, '{'));
  EXPECT_EQ(big.status, 413);
  EXPECT_EQ(Call("GET", "/readyz", "", false).status, 200);
  auto health = Call("GET", "/healthz", "", false);
  EXPECT_NE(health.Header("x-request-id"), nullptr);
}

TEST_F(HttpE2eTest, RateLimitKeysOnTheClientBehindATrustedProxy) {
  CentralConfig c = Config(std::string(64, '5'));
  c.gateway_rate = 1;
  c.gateway_burst = 1;
  c.trusted_proxies = "127.0.0.0/8";  // the test plays the reverse proxy
  Start(c);
  std::string path = "/api/v1/tickets/00000-00000-00000-00000-00000/status";
  auto as = [&](const std::string& xff) {
    return Call("GET", path, "", false, {{"X-Forwarded-For", xff}}).status;
  };
  EXPECT_NE(as("203.0.113.1"), 429);
  EXPECT_EQ(as("203.0.113.1"), 429);
  EXPECT_NE(as("203.0.113.2"), 429) << "another client behind the proxy has its own bucket";
  // The client wrote an address of its own; the proxy appended the real one.
  EXPECT_EQ(as("198.51.100.50, 203.0.113.1"), 429);
  // A malformed header counts against the proxy's own address.
  EXPECT_NE(as("203.0.113.1:80"), 429);
  EXPECT_EQ(as("not-an-ip"), 429);
}

TEST_F(HttpE2eTest, XForwardedForIsIgnoredWithoutTrustedProxies) {
  CentralConfig c = Config(std::string(64, '6'));
  c.gateway_rate = 1;
  c.gateway_burst = 1;
  Start(c);
  std::string path = "/api/v1/tickets/00000-00000-00000-00000-00000/status";
  EXPECT_NE(Call("GET", path, "", false, {{"X-Forwarded-For", "203.0.113.1"}}).status, 429);
  EXPECT_EQ(Call("GET", path, "", false, {{"X-Forwarded-For", "203.0.113.2"}}).status, 429)
      << "a client cannot get a fresh bucket by claiming another address";
}

TEST_F(HttpE2eTest, BadTrustedProxiesRefuseToStart) {
  CentralConfig c = Config(std::string(64, '7'));
  c.trusted_proxies = "proxy.example.com";
  auto app = App::Open(c);
  ASSERT_TRUE(app.ok()) << app.status().ToString();
  EXPECT_EQ((*app)->StartServer().code(), ErrorCode::kInvalidArgument);
}

}  // namespace
}  // namespace licet::central
