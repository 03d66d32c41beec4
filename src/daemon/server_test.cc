// licetd in-process: a Daemon on a temp socket and an ephemeral admin port, driven over real
// sockets by a minimal client.
#include <gtest/gtest.h>
#include <stdlib.h>
#include <sys/stat.h>

#include <thread>

#include "daemon/daemon.h"
#include "daemon/logging.h"
#include "daemon/test_client.h"
#include "engine/context_file.h"
#include "engine/firm_key.h"
#include "engine/update_file.h"

namespace licet::daemon::testing {
namespace {

using nlohmann::json;

constexpr uint32_t kFirm = 6000010;

// A home with one container holding product 201010 (100 units, 1 seat).
std::string MakeHome(const std::string& dir) {
  engine::ContainerStore store(dir + "/home");
  std::string serial = *store.Create();
  engine::FirmKey firm = *engine::GenerateFirmKey(kFirm, "Sample", SystemClock::Get().Now());
  engine::SoftContainer c = *store.Open(serial);
  auto ctx = *engine::ReadContextFile(
      *engine::MakeContextFile(c, kFirm, format::FileKind::kContext, SystemClock::Get().Now()));
  model::ProductItem item;
  item.product_code = 201010;
  item.unit_counter = 100;
  std::vector<model::OperationBody> ops;
  ops.push_back(model::op::AddProduct{item});
  auto update = engine::CreateUpdateFile(firm, ctx, std::move(ops), SystemClock::Get().Now());
  EXPECT_TRUE(engine::ImportUpdate(store, *update).ok());
  return serial;
}

class ServerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(SetupLogging("warn", "text").ok());
    char tmpl[] = "/tmp/licetd-server-test-XXXXXX";
    ASSERT_NE(mkdtemp(tmpl), nullptr);
    dir_ = tmpl;
    serial_ = MakeHome(dir_);
    config_.home = dir_ + "/home";
    config_.socket = dir_ + "/run/licetd.sock";
    config_.admin_listen = "127.0.0.1:0";
    config_.shutdown_timeout = 5;
  }
  void TearDown() override {
    StopDaemon();
    std::system(("rm -rf " + dir_).c_str());
  }
  void StartDaemon() {
    daemon_ = std::make_unique<Daemon>(config_, nullptr, /*handle_signals=*/false);
    Status st = daemon_->Start();
    ASSERT_TRUE(st.ok()) << st.ToString();
    runner_ = std::thread([this] { daemon_->Run(); });
  }
  void StopDaemon() {
    if (!daemon_) return;
    daemon_->Stop();
    runner_.join();
    daemon_.reset();
  }
  std::unique_ptr<TestClient> Client() {
    auto c = std::make_unique<TestClient>();
    EXPECT_TRUE(c->Connect(config_.socket));
    EXPECT_TRUE(c->Hello());
    return c;
  }
  json Access(TestClient& c) {
    return c.Call({{"op", "access"}, {"firm_code", kFirm}, {"product_code", 201010}});
  }

  std::string dir_;
  std::string serial_;
  DaemonConfig config_;
  std::unique_ptr<Daemon> daemon_;
  std::thread runner_;
};

TEST_F(ServerTest, HelloAccessUnitsReleaseOverTheSocket) {
  StartDaemon();
  auto c = Client();
  json r = Access(*c);
  ASSERT_EQ(r["code"], 0) << r.dump();
  EXPECT_EQ(r["serial"], serial_);
  EXPECT_EQ(r["item"]["unit_counter"], 100);
  uint64_t handle = r["handle"];
  json units = c->Call({{"op", "units"}, {"handle", handle}, {"decrement", 5}});
  ASSERT_EQ(units["code"], 0) << units.dump();
  EXPECT_EQ(units["remaining"], 95);
  EXPECT_EQ(c->Call({{"op", "release"}, {"handle", handle}})["code"], 0);
  EXPECT_EQ(c->Call({{"op", "release"}, {"handle", handle}})["code"], 1);
  engine::ContainerStore store(config_.home);
  EXPECT_EQ(store.Open(serial_)->state.FindProduct(kFirm, 201010)->unit_counter, 95u);
}

TEST_F(ServerTest, LargeCryptBuffersRoundTripOverTheSocket) {
  StartDaemon();
  auto c = Client();
  json r = Access(*c);
  ASSERT_EQ(r["code"], 0);
  Bytes data(3u << 20);  // 3 MiB: grows the session's buffer and runs on a worker
  for (size_t i = 0; i < data.size(); ++i) data[i] = static_cast<uint8_t>(i * 7);
  json enc = c->Call({{"op", "crypt"},
                      {"handle", r["handle"]},
                      {"crypt_op", 1},
                      {"iv", json::binary(Bytes(12, 1))},
                      {"data", json::binary(data)}});
  ASSERT_EQ(enc["code"], 0) << enc.value("message", "");
  json dec = c->Call({{"op", "crypt"},
                      {"handle", r["handle"]},
                      {"crypt_op", 2},
                      {"iv", json::binary(Bytes(12, 1))},
                      {"tag", enc["tag"]},
                      {"data", enc["data"]}});
  ASSERT_EQ(dec["code"], 0);
  const auto& back = dec["data"].get_binary();
  EXPECT_TRUE(std::equal(back.begin(), back.end(), data.begin(), data.end()));
  // And the connection still serves small requests.
  EXPECT_EQ(c->Call({{"op", "info"}, {"handle", r["handle"]}})["code"], 0);
}

TEST_F(ServerTest, PipelinedRequestsAreAnsweredInOrder) {
  StartDaemon();
  auto c = Client();
  Bytes batch;
  for (uint64_t id = 10; id < 20; ++id) {
    json req = id == 12 ? json{{"id", id}, {"op", "units"}, {"handle", 999}, {"decrement", 1}}
                        : json{{"id", id}, {"op", "hello"}, {"version", 1}};
    Bytes frame = protocol::EncodeFrame(req);
    batch.insert(batch.end(), frame.begin(), frame.end());
  }
  ASSERT_TRUE(c->SendRaw(batch));
  for (uint64_t id = 10; id < 20; ++id) {
    auto r = c->Read();
    ASSERT_TRUE(r.has_value());
    EXPECT_EQ((*r)["id"], id);
  }
}

TEST_F(ServerTest, BadFramesGetProtocolErrorAndClose) {
  StartDaemon();
  {
    auto c = Client();
    ASSERT_TRUE(c->SendRaw({0x7f, 0xff, 0xff, 0xff}));  // 2 GiB announced
    auto r = c->Read();
    ASSERT_TRUE(r.has_value());
    EXPECT_EQ((*r)["code"], 102);
    EXPECT_TRUE(c->ClosedByPeer());
  }
  {
    auto c = Client();
    ASSERT_TRUE(c->SendRaw({0, 0, 0, 2, 0xff, 0xff}));  // not CBOR
    auto r = c->Read();
    ASSERT_TRUE(r.has_value());
    EXPECT_EQ((*r)["code"], 102);
    EXPECT_TRUE(c->ClosedByPeer());
  }
  // The server still serves others.
  EXPECT_EQ(Access(*Client())["code"], 0);
}

TEST_F(ServerTest, ClosingTheConnectionFreesTheSeat) {
  StartDaemon();
  auto a = Client();
  ASSERT_EQ(Access(*a)["code"], 0);
  auto b = Client();
  EXPECT_EQ(Access(*b)["code"], 212);
  a->Close();  // as a process killed -9 would
  json r;
  for (int i = 0; i < 100; ++i) {  // the close reaches licetd asynchronously
    r = Access(*b);
    if (r["code"] == 0) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  EXPECT_EQ(r["code"], 0);
}

TEST_F(ServerTest, AdminStatusAndMetrics) {
  StartDaemon();
  uint16_t port = daemon_->admin_port();
  ASSERT_NE(port, 0);
  auto c = Client();
  ASSERT_EQ(Access(*c)["code"], 0);
  std::string host = "Host: 127.0.0.1:" + std::to_string(port) + "\r\n";
  std::string status = HttpGet(port, "/api/v1/status", host);
  ASSERT_NE(status.find("200 OK"), std::string::npos) << status;
  json doc = json::parse(status.substr(status.find("\r\n\r\n") + 4), nullptr, false);
  ASSERT_TRUE(doc.is_object()) << status;
  EXPECT_EQ(doc["version"], "0.1.0");
  EXPECT_EQ(doc["containers"][0]["serial"], serial_);
  const json& item = doc["containers"][0]["firms"][0]["items"][0];
  EXPECT_EQ(item["seats_in_use"], 1);
  EXPECT_EQ(item["seats_free"], 0);
  ASSERT_EQ(doc["sessions"].size(), 1u);
  EXPECT_EQ(doc["sessions"][0]["pid"], ::getpid());
  EXPECT_EQ(doc["sessions"][0]["leases"][0]["mode"], "user-limit");

  std::string metrics =
      HttpGet(port, "/metrics", "Host: localhost:" + std::to_string(port) + "\r\n");
  EXPECT_NE(metrics.find("text/plain; version=0.0.4"), std::string::npos);
  EXPECT_NE(metrics.find("licetd_up 1"), std::string::npos);
  EXPECT_NE(metrics.find("licetd_connections 1"), std::string::npos);
  EXPECT_NE(metrics.find("licetd_leases{firm=\"6000010\",product=\"201010\"} 1"),
            std::string::npos);
  EXPECT_NE(metrics.find("licetd_access_total{result=\"ok\"} 1"), std::string::npos);
  EXPECT_NE(metrics.find("licetd_request_duration_seconds_count{op=\"access\"} 1"),
            std::string::npos);

  // DNS rebinding, cross-origin pages and unknown paths are refused as problem+json.
  std::string rebound =
      HttpGet(port, "/api/v1/status", "Host: evil.example:" + std::to_string(port) + "\r\n");
  EXPECT_NE(rebound.find("403 Forbidden"), std::string::npos);
  EXPECT_NE(rebound.find("application/problem+json"), std::string::npos);
  std::string cross = HttpGet(port, "/metrics", host + "Origin: https://evil.example\r\n");
  EXPECT_NE(cross.find("403 Forbidden"), std::string::npos);
  EXPECT_NE(HttpGet(port, "/nope", host).find("404 Not Found"), std::string::npos);
  EXPECT_NE(HttpGet(port, "/metrics", "").find("400 Bad Request"), std::string::npos);
}

TEST_F(ServerTest, SecondDaemonOnTheSameSocketIsRefused) {
  StartDaemon();
  Daemon second(config_, nullptr, false);
  Status st = second.Start();
  EXPECT_EQ(st.code(), ErrorCode::kAlreadyExists) << st.ToString();
}

TEST_F(ServerTest, StaleSocketIsReplacedAndRemovedOnStop) {
  // A socket file left by a licetd that was killed -9.
  mkdir((dir_ + "/run").c_str(), 0700);
  {
    int fd = ::socket(AF_UNIX, SOCK_STREAM, 0);
    sockaddr_un addr{};
    addr.sun_family = AF_UNIX;
    std::strncpy(addr.sun_path, config_.socket.c_str(), sizeof addr.sun_path - 1);
    ASSERT_EQ(::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0);
    ::close(fd);
  }
  StartDaemon();
  EXPECT_EQ(Access(*Client())["code"], 0);
  StopDaemon();
  struct stat st {};
  EXPECT_NE(::stat(config_.socket.c_str(), &st), 0);
}

TEST_F(ServerTest, StopAnswersTheRequestInProgress) {
  StartDaemon();
  auto c = Client();
  json r = Access(*c);
  ASSERT_EQ(r["code"], 0);
  // A unit decrement (a disk write) sent right before the stop still gets its answer.
  ASSERT_TRUE(c->Send({{"op", "units"}, {"handle", r["handle"]}, {"decrement", 1}}));
  std::this_thread::sleep_for(std::chrono::milliseconds(1));
  daemon_->Stop();
  auto answer = c->Read();
  ASSERT_TRUE(answer.has_value());
  EXPECT_EQ((*answer)["code"], 0);
  EXPECT_TRUE(c->ClosedByPeer());
  runner_.join();
  daemon_.reset();
}

}  // namespace
}  // namespace licet::daemon::testing
