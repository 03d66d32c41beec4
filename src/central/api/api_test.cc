// The REST API in-process (no sockets): every route through Api::Handle with a real SQLite
// database and real containers in memory.
#include "central/api/api.h"

#include <gtest/gtest.h>

#include "central/api/auth.h"
#include "central/api/codec.h"
#include "central/engine/ticket_code.h"
#include "central/http/log.h"
#include "central/store/open.h"
#include "central/tests/test_support.h"

namespace licet::central::api {
namespace {

using nlohmann::json;
using testing::ContextOf;
using testing::Import;
using testing::NewContainer;
using testing::Products;

constexpr uint32_t kFirm = 6000010;
constexpr UnixTime kNow = 1800000000;

class ApiTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(http::InitLogging("off", "text").ok());
    db_ = *store::OpenAndMigrate(*store::ParseDatabaseUrl(dir_.path() + "/c.db"), 4, kNow);
    store_ = std::make_unique<store::Store>(*db_);
    vault_ = std::make_unique<engine::Vault>(*engine::Vault::FromHex(std::string(64, '3')));
    ApiOptions o;
    o.gateway_rate_per_minute = 60;
    o.gateway_burst = 1000;
    api_ = std::make_unique<Api>(*store_, *db_, *vault_, clock_, o);
    admin_ = Key("*");
  }

  std::string Key(const std::string& scopes, std::optional<uint32_t> firm = std::nullopt) {
    auto k = CreateApiKey(*store_, *ParseScopes(scopes), firm, "test", kNow);
    EXPECT_TRUE(k.ok()) << k.status().ToString();
    return k->key;
  }

  http::HttpResponse Call(const std::string& method, const std::string& target,
                          const std::string& body = "", const std::string& key = "",
                          std::vector<std::pair<std::string, std::string>> headers = {}) {
    http::HttpRequest r;
    r.method = method;
    size_t q = target.find('?');
    r.path = target.substr(0, q);
    if (q != std::string::npos) r.query = target.substr(q + 1);
    r.body = body;
    r.remote_ip = "192.0.2.1";
    r.request_id = "test";
    if (!key.empty()) r.headers.emplace_back("authorization", "Bearer " + key);
    if (!body.empty() && body[0] == '{') r.headers.emplace_back("content-type", "application/json");
    for (auto& [k, v] : headers) r.headers.emplace_back(k, v);
    return api_->Handle(r);
  }

  json Json(const http::HttpResponse& r) { return json::parse(r.body, nullptr, false); }

  void Seed() {
    ASSERT_EQ(
        Call("POST", "/api/v1/firms", R"({"firm_code": 6000010, "name": "Sample"})", admin_).status,
        201);
    for (uint32_t code : {201010u, 201020u}) {
      json p = {{"product_code", code},
                {"name", "Product " + std::to_string(code)},
                {"template", {{"features", 3}, {"units", 100}, {"expires_after", "365d"}}}};
      auto r = Call("POST", "/api/v1/firms/6000010/products", p.dump(), admin_);
      ASSERT_EQ(r.status, 201) << r.body;
    }
  }

  std::vector<std::string> Order(const std::string& request_id, uint32_t product,
                                 uint32_t activations = 1, uint32_t quantity = 1) {
    json o = {{"request_id", request_id},
              {"firm_code", kFirm},
              {"items",
               {{{"product_code", product},
                 {"quantity", quantity},
                 {"rights", {{"activations_allowed", activations}}}}}}};
    auto r = Call("POST", "/api/v1/orders", o.dump(), admin_);
    EXPECT_TRUE(r.status == 201 || r.status == 200) << r.body;
    std::vector<std::string> out;
    json body = Json(r);
    for (const auto& t : body["tickets"]) out.push_back(t["ticket"]);
    return out;
  }

  testing::TempDir dir_;
  FakeClock clock_{kNow};
  std::unique_ptr<store::Database> db_;
  std::unique_ptr<store::Store> store_;
  std::unique_ptr<engine::Vault> vault_;
  std::unique_ptr<Api> api_;
  std::string admin_;
};

TEST_F(ApiTest, HealthProbes) {
  EXPECT_EQ(Call("GET", "/healthz").status, 200);
  auto r = Call("GET", "/readyz");
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(Json(r)["database"], "sqlite");
}

TEST_F(ApiTest, AuthenticationAndScopes) {
  auto r = Call("GET", "/api/v1/firms");
  EXPECT_EQ(r.status, 401);
  EXPECT_EQ(r.content_type, "application/problem+json");
  EXPECT_EQ(Json(r)["code"], "unauthorized");
  EXPECT_EQ(Call("GET", "/api/v1/firms", "", "lck_nope_nope").status, 401);
  EXPECT_EQ(Call("GET", "/api/v1/firms", "", "not-even-a-key").status, 401);
  std::string reader = Key("firms:read");
  EXPECT_EQ(Call("GET", "/api/v1/firms", "", reader).status, 200);
  r = Call("POST", "/api/v1/firms", R"({"firm_code": 1, "name": "X"})", reader);
  EXPECT_EQ(r.status, 403);
  EXPECT_EQ(Json(r)["code"], "insufficient_scope");
  // Revoked keys stop working.
  auto rec = Authenticate(*store_, "Bearer " + reader);
  ASSERT_TRUE(rec.ok());
  ASSERT_TRUE(store_
                  ->Transact(store::TxMode::kWrite,
                             [&](store::Tx& tx) { return tx.RevokeApiKey(rec->id, kNow); })
                  .ok());
  EXPECT_EQ(Call("GET", "/api/v1/firms", "", reader).status, 401);
}

TEST_F(ApiTest, FirmLimitedKeys) {
  Seed();
  ASSERT_EQ(
      Call("POST", "/api/v1/firms", R"({"firm_code": 6000011, "name": "Other"})", admin_).status,
      201);
  std::string limited = Key("*", kFirm);
  EXPECT_EQ(Call("GET", "/api/v1/firms/6000010", "", limited).status, 200);
  EXPECT_EQ(Call("GET", "/api/v1/firms/6000011", "", limited).status, 403);
  auto list = Json(Call("GET", "/api/v1/firms", "", limited));
  EXPECT_EQ(list["items"].size(), 1u);
  EXPECT_EQ(Call("POST", "/api/v1/firms", R"({"firm_code": 7, "name": "X"})", limited).status, 403);
}

TEST_F(ApiTest, FirmsCrudAndPagination) {
  for (uint32_t code = 100; code < 105; ++code) {
    json f = {{"firm_code", code}, {"name", "Firm " + std::to_string(code)}};
    auto r = Call("POST", "/api/v1/firms", f.dump(), admin_);
    ASSERT_EQ(r.status, 201) << r.body;
    EXPECT_EQ(Json(r)["public_key"].get<std::string>().size(), 64u);
    EXPECT_FALSE(Json(r).contains("firm_secret"));
  }
  EXPECT_EQ(
      Json(Call("POST", "/api/v1/firms", R"({"firm_code": 100, "name": "Dup"})", admin_))["code"],
      "already_exists");
  EXPECT_EQ(Call("POST", "/api/v1/firms", R"({"firm_code": 0, "name": "Zero"})", admin_).status,
            400);
  EXPECT_EQ(Call("POST", "/api/v1/firms", R"({"firm_code": 9, "nam": "typo"})", admin_).status,
            400);
  EXPECT_EQ(Call("POST", "/api/v1/firms", "not json", admin_).status, 400);
  std::vector<uint32_t> seen;
  std::string cursor;
  for (int page = 0; page < 5; ++page) {
    auto r = Json(Call("GET", "/api/v1/firms?limit=2" + (cursor.empty() ? "" : "&cursor=" + cursor),
                       "", admin_));
    for (const auto& f : r["items"]) seen.push_back(f["firm_code"]);
    if (r["next_cursor"].is_null()) break;
    cursor = r["next_cursor"];
  }
  EXPECT_EQ(seen, (std::vector<uint32_t>{100, 101, 102, 103, 104}));
  EXPECT_EQ(Call("GET", "/api/v1/firms/103", "", admin_).status, 200);
  EXPECT_EQ(Call("GET", "/api/v1/firms/999", "", admin_).status, 404);
  EXPECT_EQ(Call("GET", "/api/v1/firms/abc", "", admin_).status, 404);
  EXPECT_EQ(Call("GET", "/api/v1/firms?limit=0", "", admin_).status, 400);
}

TEST_F(ApiTest, ProductTemplates) {
  Seed();
  auto r = Call("GET", "/api/v1/firms/6000010/products/201010", "", admin_);
  ASSERT_EQ(r.status, 200);
  EXPECT_EQ(Json(r)["template"]["expires_after"], "365d");
  EXPECT_EQ(Json(Call("GET", "/api/v1/firms/6000010/products", "", admin_))["items"].size(), 2u);
  EXPECT_EQ(Call("GET", "/api/v1/firms/6000010/products/1", "", admin_).status, 404);
  EXPECT_EQ(Call("GET", "/api/v1/firms/1/products", "", admin_).status, 404);
  json bad = {{"product_code", 5}, {"name", "x"}, {"template", {{"features", "lots"}}}};
  EXPECT_EQ(Call("POST", "/api/v1/firms/6000010/products", bad.dump(), admin_).status, 400);
  json orphan = {{"product_code", 5}, {"name", "x"}};
  EXPECT_EQ(Call("POST", "/api/v1/firms/1/products", orphan.dump(), admin_).status, 404);
}

TEST_F(ApiTest, OrdersAreIdempotent) {
  Seed();
  json o = {{"request_id", "erp-1"},
            {"firm_code", kFirm},
            {"erp", {{"customer", "ACME"}}},
            {"items",
             {{{"product_code", 201010}, {"quantity", 2}},
              {{"products", {201010, 201020}},
               {"rights", {{"activations_allowed", 3}, {"container_types", {"soft"}}}}}}}};
  auto first = Call("POST", "/api/v1/orders", o.dump(), admin_);
  ASSERT_EQ(first.status, 201) << first.body;
  auto tickets = Json(first)["tickets"];
  ASSERT_EQ(tickets.size(), 3u);
  EXPECT_EQ(tickets[2]["rights"]["container_types"][0], "soft");
  auto again = Call("POST", "/api/v1/orders", o.dump(), admin_);
  EXPECT_EQ(again.status, 200);
  EXPECT_EQ(Json(again)["tickets"], tickets);
  o["items"][0]["quantity"] = 5;
  auto conflict = Call("POST", "/api/v1/orders", o.dump(), admin_);
  EXPECT_EQ(conflict.status, 409);
  EXPECT_EQ(Json(conflict)["code"], "already_exists");
  // Idempotency-Key: the same key replays, another body with it is refused.
  json o2 = {
      {"request_id", "erp-2"}, {"firm_code", kFirm}, {"items", {{{"product_code", 201010}}}}};
  auto k1 = Call("POST", "/api/v1/orders", o2.dump(), admin_, {{"idempotency-key", "abc"}});
  ASSERT_EQ(k1.status, 201);
  auto k2 = Call("POST", "/api/v1/orders", o2.dump(), admin_, {{"idempotency-key", "abc"}});
  EXPECT_EQ(k2.status, 201);
  EXPECT_EQ(k2.body, k1.body);
  bool replayed = false;
  for (auto& [k, v] : k2.headers)
    replayed = replayed || (k == "Idempotent-Replayed" && v == "true");
  EXPECT_TRUE(replayed);
  o2["request_id"] = "erp-3";
  EXPECT_EQ(Call("POST", "/api/v1/orders", o2.dump(), admin_, {{"idempotency-key", "abc"}}).status,
            422);
  // Bad orders.
  json unknown = {
      {"request_id", "erp-4"}, {"firm_code", kFirm}, {"items", {{{"product_code", 9}}}}};
  EXPECT_EQ(Call("POST", "/api/v1/orders", unknown.dump(), admin_).status, 404);
  json both = {{"request_id", "erp-5"},
               {"firm_code", kFirm},
               {"items", {{{"product_code", 201010}, {"products", {201010}}}}}};
  EXPECT_EQ(Call("POST", "/api/v1/orders", both.dump(), admin_).status, 400);
  std::string order_id = Json(first)["order_id"];
  EXPECT_EQ(Json(Call("GET", "/api/v1/orders/" + order_id, "", admin_))["tickets"], tickets);
  EXPECT_EQ(Call("GET", "/api/v1/orders/ord_nope", "", admin_).status, 404);
}

TEST_F(ApiTest, OnlineActivationEndToEnd) {
  Seed();
  std::string ticket = Order("erp-1", 201010, 1)[0];
  auto status = Call("GET", "/api/v1/tickets/" + ticket + "/status");
  ASSERT_EQ(status.status, 200);
  EXPECT_EQ(Json(status)["activations_left"], 1);
  EXPECT_EQ(Json(status)["firm_name"], "Sample");
  auto c = NewContainer(1, kNow);
  json req = {{"ticket", ticket}, {"context", Base64Encode(ContextOf(c, kFirm, kNow))}};
  auto r = Call("POST", "/api/v1/activations", req.dump(), "", {{"accept", "application/json"}});
  ASSERT_EQ(r.status, 200) << r.body;
  auto update = Base64Decode(Json(r)["update"].get<std::string>());
  ASSERT_TRUE(update.ok());
  ASSERT_TRUE(Import(c, *update).ok());
  EXPECT_EQ(Products(c, kFirm), (std::set<uint32_t>{201010}));
  // The binary form of the same route: the repeat is idempotent (nothing spent).
  std::string ctx = [&] {
    Bytes b = ContextOf(c, kFirm, kNow);
    return std::string(b.begin(), b.end());
  }();
  auto again = Call("POST", "/api/v1/activations", ctx, "",
                    {{"content-type", "application/cbor"}, {"licet-ticket", ticket}});
  ASSERT_EQ(again.status, 200) << again.body;
  EXPECT_EQ(again.content_type, "application/cbor");
  EXPECT_TRUE(Import(c, AsBytes(again.body))->already_applied());
  // Another container: exhausted.
  auto other = NewContainer(2, kNow);
  json req2 = {{"ticket", ticket}, {"context", Base64Encode(ContextOf(other, kFirm, kNow))}};
  auto refused = Call("POST", "/api/v1/activations", req2.dump());
  EXPECT_EQ(refused.status, 409);
  EXPECT_EQ(Json(refused)["code"], "no_more_licenses");
  // Receipt confirms the license.
  auto receipt = ContextOf(c, kFirm, kNow, format::FileKind::kReceipt);
  auto rr = Call("POST", "/api/v1/receipts", std::string(receipt.begin(), receipt.end()), "",
                 {{"content-type", "application/cbor"}});
  ASSERT_EQ(rr.status, 200) << rr.body;
  // The repeated activation's context already showed FUC 2 and confirmed the license.
  EXPECT_EQ(Json(rr)["firms"][0]["fuc"], 2);
  EXPECT_EQ(Json(rr)["firms"][0]["licenses_confirmed"], 0);
  auto t = Json(Call("GET", "/api/v1/tickets/" + ticket, "", admin_));
  EXPECT_EQ(t["licenses"][0]["state"], "confirmed");
  EXPECT_EQ(t["activations"][0]["serial"], c.serial);
  auto cont = Json(Call("GET", "/api/v1/containers/" + c.serial, "", admin_));
  EXPECT_EQ(cont["firms"][0]["confirmed_fuc"], 2);
  EXPECT_EQ(cont["state"], "active");
}

TEST_F(ApiTest, OfflineActivationWithAForm) {
  Seed();
  std::string ticket = Order("erp-1", 201020)[0];
  auto c = NewContainer(3, kNow);
  Bytes ctx = ContextOf(c, kFirm, kNow);
  std::string body = "--b0undary\r\nContent-Disposition: form-data; name=\"ticket\"\r\n\r\n" +
                     ticket +
                     "\r\n--b0undary\r\nContent-Disposition: form-data; name=\"context\"; "
                     "filename=\"req.context\"\r\nContent-Type: application/octet-stream\r\n\r\n" +
                     std::string(ctx.begin(), ctx.end()) + "\r\n--b0undary--\r\n";
  auto r = Call("POST", "/api/v1/activations/offline", body, "",
                {{"content-type", "multipart/form-data; boundary=b0undary"}});
  ASSERT_EQ(r.status, 200) << r.body;
  bool attachment = false;
  for (auto& [k, v] : r.headers) {
    attachment = attachment ||
                 (k == "Content-Disposition" && v.find(c.serial + ".update") != std::string::npos);
  }
  EXPECT_TRUE(attachment);
  ASSERT_TRUE(Import(c, AsBytes(r.body)).ok());
  EXPECT_EQ(Products(c, kFirm), (std::set<uint32_t>{201020}));
}

TEST_F(ApiTest, GatewayRefusals) {
  Seed();
  std::string ticket = Order("erp-1", 201010)[0];
  auto c = NewContainer(4, kNow);
  std::string typo = ticket;
  typo[0] = typo[0] == 'A' ? 'B' : 'A';
  EXPECT_EQ(Call("GET", "/api/v1/tickets/" + typo + "/status").status, 400);
  EXPECT_EQ(Call("GET", "/api/v1/tickets/" +
                            engine::FormatTicketCode(engine::GenerateTicketCode()) + "/status")
                .status,
            404);
  EXPECT_EQ(Call("POST", "/api/v1/activations", "x", "", {{"content-type", "text/plain"}}).status,
            415);
  json no_ticket = {{"context", Base64Encode(ContextOf(c, kFirm, kNow))}};
  EXPECT_EQ(Call("POST", "/api/v1/activations", no_ticket.dump()).status, 400);
  json garbage = {{"ticket", ticket}, {"context", Base64Encode(Bytes{1, 2, 3})}};
  EXPECT_EQ(Call("POST", "/api/v1/activations", garbage.dump()).status, 400);
  json not_b64 = {{"ticket", ticket}, {"context", "!!!"}};
  EXPECT_EQ(Call("POST", "/api/v1/activations", not_b64.dump()).status, 400);
  EXPECT_EQ(Call("DELETE", "/api/v1/activations").status, 405);
  EXPECT_EQ(Call("GET", "/nope").status, 404);
}

TEST_F(ApiTest, ManipulationAndVendorDecision) {
  Seed();
  auto c = NewContainer(5, kNow);
  std::string t1 = Order("erp-1", 201010)[0];
  json req = {{"ticket", t1}, {"context", Base64Encode(ContextOf(c, kFirm, kNow))}};
  auto r = Call("POST", "/api/v1/activations", req.dump(), "", {{"accept", "application/json"}});
  ASSERT_EQ(r.status, 200);
  ASSERT_TRUE(Import(c, *Base64Decode(Json(r)["update"].get<std::string>())).ok());
  c.state.FindFirm(kFirm)->fuc = 9;  // claims updates Central never issued
  std::string t2 = Order("erp-2", 201020)[0];
  json bad = {{"ticket", t2}, {"context", Base64Encode(ContextOf(c, kFirm, kNow))}};
  auto refused = Call("POST", "/api/v1/activations", bad.dump());
  EXPECT_EQ(refused.status, 403);
  EXPECT_EQ(Json(refused)["code"], "manipulation_detected");
  auto cont = Json(Call("GET", "/api/v1/containers/" + c.serial, "", admin_));
  EXPECT_EQ(cont["state"], "manipulation_detected");
  EXPECT_EQ(cont["flagged_report"]["firms"][0]["fuc"], 9);
  EXPECT_EQ(Call("POST", "/api/v1/containers/" + c.serial + "/decision", R"({"decision":"maybe"})",
                 admin_)
                .status,
            400);
  auto released = Call("POST", "/api/v1/containers/" + c.serial + "/decision",
                       R"({"decision":"release","note":"support case 17"})", admin_);
  ASSERT_EQ(released.status, 200) << released.body;
  EXPECT_EQ(Json(released)["state"], "active");
  EXPECT_EQ(Json(released)["firms"][0]["baseline_fuc"], 9);
  auto ok = Call("POST", "/api/v1/activations", bad.dump(), "", {{"accept", "application/json"}});
  ASSERT_EQ(ok.status, 200) << ok.body;
  EXPECT_EQ(Json(ok)["fuc_from"], 10);
}

TEST_F(ApiTest, PushUpdates) {
  Seed();
  auto c = NewContainer(6, kNow);
  std::string t1 = Order("erp-1", 201010)[0];
  json req = {{"ticket", t1}, {"context", Base64Encode(ContextOf(c, kFirm, kNow))}};
  ASSERT_EQ(Call("POST", "/api/v1/activations", req.dump()).status, 200);
  std::string t2 = Order("erp-2", 201020)[0];
  json push = {{"firm_code", kFirm}, {"ticket", t2}};
  auto r = Call("POST", "/api/v1/containers/" + c.serial + "/push", push.dump(), admin_);
  ASSERT_EQ(r.status, 200) << r.body;
  // Never confirmed: the push carries the first activation too (FUC 1..3).
  auto report = Import(c, AsBytes(r.body));
  ASSERT_TRUE(report.ok()) << report.status().ToString();
  EXPECT_EQ(Products(c, kFirm), (std::set<uint32_t>{201010, 201020}));
  EXPECT_EQ(Call("POST", "/api/v1/containers/130-99/push", push.dump(), admin_).status, 404);
  std::string reader = Key("licenses:read");
  EXPECT_EQ(Call("POST", "/api/v1/containers/" + c.serial + "/push", push.dump(), reader).status,
            403);
}

TEST_F(ApiTest, AuditLogPages) {
  Seed();
  Order("erp-1", 201010);
  std::vector<std::string> events;
  std::string cursor;
  for (int i = 0; i < 10; ++i) {
    auto r = Json(Call("GET", "/api/v1/audit?limit=2" + (cursor.empty() ? "" : "&cursor=" + cursor),
                       "", admin_));
    for (const auto& e : r["items"]) events.push_back(e["event"]);
    if (r["next_cursor"].is_null()) break;
    cursor = r["next_cursor"];
  }
  EXPECT_EQ(events, (std::vector<std::string>{"firm.created", "product.created", "product.created",
                                              "order.created"}));
}

TEST(ApiRateLimitTest, GatewayIsRateLimitedPerAddress) {
  ASSERT_TRUE(http::InitLogging("off", "text").ok());
  testing::TempDir dir;
  auto db = *store::OpenAndMigrate(*store::ParseDatabaseUrl(dir.path() + "/c.db"), 2, kNow);
  store::Store store(*db);
  auto vault = *engine::Vault::FromHex(std::string(64, '3'));
  FakeClock clock(kNow);
  ApiOptions o;
  o.gateway_rate_per_minute = 1;
  o.gateway_burst = 3;
  Api api(store, *db, vault, clock, o);
  http::HttpRequest r;
  r.method = "GET";
  r.path = "/api/v1/tickets/" + engine::FormatTicketCode(engine::GenerateTicketCode()) + "/status";
  r.remote_ip = "198.51.100.7";
  for (int i = 0; i < 3; ++i) EXPECT_EQ(api.Handle(r).status, 404);
  auto limited = api.Handle(r);
  EXPECT_EQ(limited.status, 429);
  EXPECT_NE(limited.body.find("rate_limited"), std::string::npos);
  r.remote_ip = "198.51.100.8";
  EXPECT_EQ(api.Handle(r).status, 404) << "another address has its own bucket";
  // The vendor API is not rate-limited by the gateway's buckets.
  r.path = "/healthz";
  r.remote_ip = "198.51.100.7";
  EXPECT_EQ(api.Handle(r).status, 200);
}

}  // namespace
}  // namespace licet::central::api
