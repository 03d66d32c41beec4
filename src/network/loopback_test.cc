// The server and the client over real TLS on loopback, in one process.
#include <gtest/gtest.h>

#include <filesystem>
#include <future>
#include <thread>

#include "network/client.h"
#include "network/server.h"
#include "protocol/protocol.h"

namespace licet::network {
namespace {

namespace asio = boost::asio;
constexpr uint32_t kFirm = 6000010;

class LoopbackTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() /
           ("licet-net-loop-" + std::to_string(::getpid()) + "-" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::remove_all(dir_);
    tls_.cert_file = (dir_ / "server.crt").string();
    tls_.key_file = (dir_ / "server.key").string();
    ASSERT_TRUE(EnsureServerCertificate(tls_.cert_file, tls_.key_file, "localhost").ok());
    StartServer(0);
    thread_ = std::thread([this] { io_.run(); });
  }
  void TearDown() override {
    if (client_) client_->Close();
    if (server_) server_->Stop();
    work_.reset();
    thread_.join();
    std::filesystem::remove_all(dir_);
  }

  void StartServer(uint16_t port) {
    ServerOptions options;
    options.tls = tls_;
    options.min_lease_timeout = 3;
    // A stopped server may still have sessions winding down on the io thread: keep it alive.
    if (server_) stopped_.push_back(std::move(server_));
    server_ = std::make_unique<Server>(
        io_, options,
        [](const AccessRequest& a) -> Result<ItemSpec> {
          if (a.product_code != 13) {
            return Error(ErrorCode::kEntryNotFound, "no product " + std::to_string(a.product_code));
          }
          return ItemSpec{"130-42", 2, 3};
        },
        &SystemClock::Get());
    ASSERT_TRUE(server_->Listen("127.0.0.1", port).ok());
    server_->Start();
  }

  std::shared_ptr<Client> MakeClient(Bytes pin) {
    ClientOptions o;
    o.servers.push_back(ServerAddress{"127.0.0.1", server_->port()});
    o.tls.pinned.push_back(std::move(pin));
    o.host = "test";
    o.connect_timeout = 3;
    o.heartbeat_interval = 1;
    auto c = Client::Create(io_, o);
    EXPECT_TRUE(c.ok()) << c.status().ToString();
    return c.ok() ? *c : nullptr;
  }

  Bytes Pin() { return *CertificateFingerprint(tls_.cert_file); }

  Result<TicketId> Access(Client& c, uint32_t product) {
    std::promise<Result<TicketId>> p;
    AccessRequest a;
    a.firm_code = kFirm;
    a.product_code = product;
    a.user = "alice";
    c.Access(a, [&p](Result<TicketId> t, const Grant&) { p.set_value(std::move(t)); });
    return p.get_future().get();
  }

  size_t ServerLeases() { return server_->StatusJson(100)["lease_count"].get<size_t>(); }

  std::filesystem::path dir_;
  ServerTlsConfig tls_;
  asio::io_context io_;
  asio::executor_work_guard<asio::io_context::executor_type> work_ = asio::make_work_guard(io_);
  std::thread thread_;
  std::unique_ptr<Server> server_;
  std::vector<std::unique_ptr<Server>> stopped_;
  std::shared_ptr<Client> client_;
};

TEST_F(LoopbackTest, GrantsDeniesAndReleases) {
  client_ = MakeClient(Pin());
  auto a = Access(*client_, 13);
  ASSERT_TRUE(a.ok()) << a.status().ToString();
  auto b = Access(*client_, 13);
  ASSERT_TRUE(b.ok()) << b.status().ToString();
  auto c = Access(*client_, 13);
  EXPECT_EQ(c.status().code(), ErrorCode::kNoMoreLicenses) << c.status().ToString();
  EXPECT_EQ(Access(*client_, 14).status().code(), ErrorCode::kEntryNotFound);
  EXPECT_EQ(ServerLeases(), 2u);
  std::promise<Status> released;
  client_->Release(*a, [&](Status st) { released.set_value(st); });
  EXPECT_TRUE(released.get_future().get().ok());
  EXPECT_EQ(ServerLeases(), 1u);
  auto status = server_->StatusJson(10);
  EXPECT_EQ(status["denials"].size(), 2u);
  EXPECT_EQ(status["items"][0]["peak_seats"], 2);
}

TEST_F(LoopbackTest, WrongPinRefusesTheServer) {
  client_ = MakeClient(Bytes(32, 0x42));
  auto a = Access(*client_, 13);
  EXPECT_EQ(a.status().code(), ErrorCode::kServerNotFound);
  EXPECT_NE(a.status().message().find("not trusted"), std::string::npos) << a.status().message();
  EXPECT_EQ(ServerLeases(), 0u);
}

TEST_F(LoopbackTest, PlaintextIsRefused) {
  asio::io_context io;
  asio::ip::tcp::socket s(io);
  s.connect({asio::ip::make_address("127.0.0.1"), server_->port()});
  Bytes frame = protocol::EncodeFrame(nlohmann::json{{"id", 1}, {"op", "status"}});
  asio::write(s, asio::buffer(frame));
  Bytes got(4096);
  boost::system::error_code ec;
  size_t total = 0;
  for (;;) {
    size_t n = s.read_some(asio::buffer(got.data() + total, got.size() - total), ec);
    total += n;
    if (ec || total == got.size()) break;
  }
  EXPECT_TRUE(ec);  // the server closed the connection
  // Whatever came back (a TLS alert at most) is no protocol frame.
  if (total >= 4) {
    EXPECT_FALSE(protocol::DecodeMessage(ByteSpan(got.data() + 4, total - 4)).ok());
  }
  EXPECT_GE(server_->counters().handshake_failures.load(), 1u);
}

TEST_F(LoopbackTest, ReclaimsAfterServerRestart) {
  client_ = MakeClient(Pin());
  ASSERT_TRUE(Access(*client_, 13).ok());
  EXPECT_EQ(ServerLeases(), 1u);
  const uint16_t port = server_->port();
  std::promise<void> stopped;
  asio::post(io_, [&] {
    server_->Stop();
    stopped.set_value();
  });
  stopped.get_future().get();
  std::this_thread::sleep_for(std::chrono::milliseconds(100));
  std::promise<void> started;
  asio::post(io_, [&] {
    StartServer(port);
    started.set_value();
  });
  started.get_future().get();
  for (int i = 0; i < 100 && ServerLeases() == 0; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  EXPECT_EQ(ServerLeases(), 1u);
  EXPECT_EQ(client_->held_tickets(), 1u);
}

TEST_F(LoopbackTest, SilentClientLosesItsSeat) {
  client_ = MakeClient(Pin());
  ASSERT_TRUE(Access(*client_, 13).ok());
  client_->Close();  // no release, no more heartbeats
  client_.reset();
  for (int i = 0; i < 80 && ServerLeases() != 0; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  EXPECT_EQ(ServerLeases(), 0u);
}

}  // namespace
}  // namespace licet::network
