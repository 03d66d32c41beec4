// Crypt, units and first use over real TLS on loopback (server_item_ops.h): the server checks
// the lease, relays to its ItemOps, and answers asynchronously; the client maps tickets.
#include <gtest/gtest.h>

#include <filesystem>
#include <future>
#include <mutex>
#include <thread>

#include "network/client.h"
#include "network/server.h"
#include "protocol/protocol.h"

namespace licet::network {
namespace {

namespace asio = boost::asio;
constexpr uint32_t kFirm = 6000010;
constexpr uint32_t kUnitsProduct = 13;
constexpr uint32_t kFirstUseProduct = 15;
constexpr uint32_t kBrokenFirstUseProduct = 16;

class ItemOpsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() /
           ("licet-net-ops-" + std::to_string(::getpid()) + "-" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::remove_all(dir_);
    ServerOptions options;
    options.tls.cert_file = (dir_ / "server.crt").string();
    options.tls.key_file = (dir_ / "server.key").string();
    ASSERT_TRUE(
        EnsureServerCertificate(options.tls.cert_file, options.tls.key_file, "localhost").ok());
    pin_ = *CertificateFingerprint(options.tls.cert_file);
    server_ = std::make_unique<Server>(
        io_, options,
        [](const AccessRequest& a) -> Result<ItemSpec> {
          ItemSpec spec{"130-42", 5, 30};
          spec.first_use = a.product_code != kUnitsProduct;
          return spec;
        },
        &SystemClock::Get());
    server_->SetItemOps(FakeOps());
    ASSERT_TRUE(server_->Listen("127.0.0.1", 0).ok());
    server_->Start();
    thread_ = std::thread([this] { io_.run(); });
    ClientOptions o;
    o.servers.push_back(ServerAddress{"127.0.0.1", server_->port()});
    o.tls.pinned.push_back(pin_);
    o.connect_timeout = 3;
    client_ = *Client::Create(io_, o);
  }
  void TearDown() override {
    client_->Close();
    server_->Stop();
    work_.reset();
    thread_.join();
    std::filesystem::remove_all(dir_);
  }

  // Crypt: the data reversed, "encrypt" adds a tag of 0x7a; feature 99 is refused. Units: a
  // counter of 3 answered from another thread, as the write queue does.
  ItemOps FakeOps() {
    ItemOps ops;
    ops.crypt = [this](const LeaseTarget& t, const CryptRequest& r) -> Result<CryptAnswer> {
      if (r.feature_code == 99) return Error(ErrorCode::kFeatureMissing, "no feature 99");
      {
        std::lock_guard<std::mutex> lock(mu_);
        last_target_ = t;
      }
      CryptAnswer a{Bytes(r.data.rbegin(), r.data.rend()), {}};
      if (r.op == NetCryptOp::kEncrypt) a.tag = Bytes(16, 0x7a);
      return a;
    };
    ops.units = [this](const LeaseTarget&, uint64_t n, std::function<void(Result<uint64_t>)> done) {
      std::thread([this, n, done = std::move(done)] {
        std::unique_lock<std::mutex> lock(mu_);
        if (units_ < n) {
          lock.unlock();
          return done(Error(ErrorCode::kUnitCounterZero, "no units left"));
        }
        units_ -= n;
        const uint64_t left = units_;
        lock.unlock();
        done(left);
      }).detach();
    };
    ops.first_use = [this](const LeaseTarget& t, std::function<void(Result<nlohmann::json>)> done) {
      {
        std::lock_guard<std::mutex> lock(mu_);
        ++first_uses_;
      }
      if (t.product_code == kBrokenFirstUseProduct) {
        return done(Error(ErrorCode::kIoError, "disk full"));
      }
      done(nlohmann::json{{"usage_started", 1800000000}});
    };
    return ops;
  }

  Result<std::pair<TicketId, Grant>> Access(uint32_t product) {
    std::promise<Result<std::pair<TicketId, Grant>>> p;
    AccessRequest a;
    a.firm_code = kFirm;
    a.product_code = product;
    client_->Access(a, [&p](Result<TicketId> t, const Grant& g) {
      if (!t.ok()) return p.set_value(t.status());
      p.set_value(std::make_pair(*t, g));
    });
    return p.get_future().get();
  }
  Result<CryptAnswer> Crypt(TicketId t, CryptRequest r) {
    std::promise<Result<CryptAnswer>> p;
    client_->Crypt(t, std::move(r), [&p](Result<CryptAnswer> a) { p.set_value(std::move(a)); });
    return p.get_future().get();
  }
  Result<uint64_t> Units(TicketId t, uint64_t n) {
    std::promise<Result<uint64_t>> p;
    client_->Units(t, n, [&p](Result<uint64_t> r) { p.set_value(std::move(r)); });
    return p.get_future().get();
  }
  static CryptRequest Encrypt(Bytes data) {
    CryptRequest r;
    r.iv = Bytes(12, 1);
    r.data = std::move(data);
    return r;
  }
  size_t ServerLeases() { return server_->StatusJson(100)["lease_count"].get<size_t>(); }

  std::filesystem::path dir_;
  Bytes pin_;
  asio::io_context io_;
  asio::executor_work_guard<asio::io_context::executor_type> work_ = asio::make_work_guard(io_);
  std::thread thread_;
  std::unique_ptr<Server> server_;
  std::shared_ptr<Client> client_;
  std::mutex mu_;
  uint64_t units_ = 3;       // guarded by mu_
  int first_uses_ = 0;       // guarded by mu_
  LeaseTarget last_target_;  // guarded by mu_
};

TEST_F(ItemOpsTest, CryptGoesToTheLeasesItem) {
  auto t = Access(kUnitsProduct);
  ASSERT_TRUE(t.ok()) << t.status().ToString();
  auto a = Crypt(t->first, Encrypt({1, 2, 3}));
  ASSERT_TRUE(a.ok()) << a.status().ToString();
  EXPECT_EQ(a->data, (Bytes{3, 2, 1}));
  EXPECT_EQ(a->tag, Bytes(16, 0x7a));
  {
    std::lock_guard<std::mutex> lock(mu_);
    EXPECT_EQ(last_target_.serial, "130-42");
    EXPECT_EQ(last_target_.product_code, kUnitsProduct);
  }
  // The largest buffer a frame holds goes through; one byte more is refused by the client.
  auto big = Crypt(t->first, Encrypt(Bytes(kMaxNetworkCryptData, 5)));
  ASSERT_TRUE(big.ok()) << big.status().ToString();
  EXPECT_EQ(big->data.size(), kMaxNetworkCryptData);
  auto too_big = Crypt(t->first, Encrypt(Bytes(kMaxNetworkCryptData + 1, 5)));
  EXPECT_EQ(too_big.status().code(), ErrorCode::kInvalidArgument);
  EXPECT_NE(too_big.status().message().find("at most"), std::string::npos);
  // The item's refusal comes back with its code; unknown tickets are refused locally.
  CryptRequest feature = Encrypt({1});
  feature.feature_code = 99;
  EXPECT_EQ(Crypt(t->first, feature).status().code(), ErrorCode::kFeatureMissing);
  EXPECT_EQ(Crypt(t->first + 100, Encrypt({1})).status().code(), ErrorCode::kInvalidArgument);
}

TEST_F(ItemOpsTest, UnitsEndAtZeroThenFail) {
  auto t = Access(kUnitsProduct);
  ASSERT_TRUE(t.ok());
  EXPECT_EQ(*Units(t->first, 2), 1u);
  EXPECT_EQ(*Units(t->first, 1), 0u);
  auto none = Units(t->first, 1);
  EXPECT_EQ(none.status().code(), ErrorCode::kUnitCounterZero) << none.status().ToString();
}

TEST_F(ItemOpsTest, OnlyTheLeasesClientMayUseIt) {
  auto t = Access(kUnitsProduct);
  ASSERT_TRUE(t.ok());
  const LeaseId lease = server_->StatusJson(10)["leases"][0]["lease"].get<LeaseId>();
  // Another client (a hello of its own) names that lease: refused, nothing decremented.
  ClientRef other = 0;
  ServerRequest hello;
  hello.op = NetOp::kHello;
  hello.hello = HelloRequest{kNetworkProtocolVersion, Bytes(kClientIdSize, 9), "h", "m"};
  server_->HandleAsync(other, "10.0.0.9", hello, [](nlohmann::json) {});
  ASSERT_NE(other, 0u);
  ServerRequest unit;
  unit.id = 7;
  unit.op = NetOp::kUnit;
  unit.lease = lease;
  unit.decrement = 1;
  std::promise<nlohmann::json> answer;
  server_->HandleAsync(other, "10.0.0.9", unit,
                       [&answer](nlohmann::json r) { answer.set_value(std::move(r)); });
  EXPECT_EQ(protocol::ResponseStatus(answer.get_future().get()).code(),
            ErrorCode::kInvalidArgument);
  std::lock_guard<std::mutex> lock(mu_);
  EXPECT_EQ(units_, 3u);
}

TEST_F(ItemOpsTest, FirstAccessStartsTheUsagePeriodBeforeTheGrant) {
  auto t = Access(kFirstUseProduct);
  ASSERT_TRUE(t.ok()) << t.status().ToString();
  EXPECT_EQ(t->second.item["usage_started"], 1800000000);
  {
    std::lock_guard<std::mutex> lock(mu_);
    EXPECT_EQ(first_uses_, 1);
  }
  // When the start cannot be persisted, the access is refused and its seat freed.
  auto broken = Access(kBrokenFirstUseProduct);
  EXPECT_EQ(broken.status().code(), ErrorCode::kIoError) << broken.status().ToString();
  EXPECT_EQ(ServerLeases(), 1u);
}

}  // namespace
}  // namespace licet::network
