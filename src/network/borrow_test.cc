#include <gtest/gtest.h>

#include <filesystem>
#include <nlohmann/json.hpp>

#include "crypto/crypto.h"
#include "network/borrow_table.h"
#include "network/borrow_wire.h"
#include "network/server.h"

namespace licet::network {
namespace {

using nlohmann::json;

constexpr UnixTime kNow = 1'800'000'000;

BorrowRequest SampleRequest(const Bytes& sig_key) {
  BorrowRequest r;
  r.firm_code = 6000010;
  r.product_code = 13;
  r.days = 3;
  r.client_serial = "130-7";
  r.client_sig_key = sig_key;
  r.client_enc_key = Bytes(32, 9);
  r.user = "alice";
  return r;
}

// ---- wire ----

TEST(BorrowWireTest, RequestRoundTrips) {
  BorrowRequest r = SampleRequest(Bytes(32, 1));
  auto parsed = ParseServerRequest(EncodeBorrow(5, r));
  ASSERT_TRUE(parsed.ok()) << parsed.status().ToString();
  EXPECT_EQ(parsed->op, NetOp::kBorrow);
  EXPECT_EQ(parsed->borrow.days, 3u);
  EXPECT_EQ(parsed->borrow.client_serial, "130-7");
  EXPECT_EQ(parsed->borrow.client_sig_key, Bytes(32, 1));
  EXPECT_EQ(parsed->borrow.user, "alice");
}

TEST(BorrowWireTest, RefusesBadFields) {
  const json good = EncodeBorrow(5, SampleRequest(Bytes(32, 1)));
  auto with = [&](const char* key, json value) {
    json m = good;
    m[key] = std::move(value);
    return ParseServerRequest(m);
  };
  EXPECT_EQ(with("days", 0).status().code(), ErrorCode::kInvalidArgument);
  EXPECT_EQ(with("days", 3661).status().code(), ErrorCode::kInvalidArgument);
  EXPECT_EQ(with("days", -1).status().code(), ErrorCode::kInvalidArgument);
  EXPECT_EQ(with("days", "3").status().code(), ErrorCode::kInvalidArgument);
  EXPECT_EQ(with("sig_key", json::binary(Bytes(31, 1))).status().code(),
            ErrorCode::kInvalidArgument);
  EXPECT_EQ(with("enc_key", "x").status().code(), ErrorCode::kInvalidArgument);
  EXPECT_EQ(with("serial", "").status().code(), ErrorCode::kInvalidArgument);
  EXPECT_EQ(with("serial", std::string(33, '1')).status().code(), ErrorCode::kInvalidArgument);
  EXPECT_EQ(with("user", "a\nb").status().code(), ErrorCode::kInvalidArgument);
  EXPECT_EQ(with("firm_code", 0).status().code(), ErrorCode::kInvalidArgument);
  json missing = good;
  missing.erase("enc_key");
  EXPECT_EQ(ParseServerRequest(missing).status().code(), ErrorCode::kInvalidArgument);
}

TEST(BorrowWireTest, ReturnAndGrant) {
  auto ok = ParseServerRequest(EncodeBorrowReturn(1, {7, Bytes(64, 2)}));
  ASSERT_TRUE(ok.ok());
  EXPECT_EQ(ok->borrow_return.borrow_id, 7u);
  EXPECT_FALSE(ParseServerRequest(EncodeBorrowReturn(1, {0, Bytes(64, 2)})).ok());
  EXPECT_FALSE(ParseServerRequest(EncodeBorrowReturn(1, {7, Bytes(63, 2)})).ok());

  json grant{{"id", 1},
             {"code", 0},
             {"borrow_id", 9},
             {"until", kNow},
             {"entry", json::binary(Bytes(5, 1))}};
  auto g = ParseClientResponse(grant, NetOp::kBorrow);
  ASSERT_TRUE(g.ok());
  EXPECT_EQ(g->borrow.borrow_id, 9u);
  EXPECT_EQ(g->borrow.entry.size(), 5u);
  grant["entry"] = json::binary(Bytes(kMaxBorrowEntrySize + 1, 1));
  EXPECT_FALSE(ParseClientResponse(grant, NetOp::kBorrow).ok());
  grant.erase("entry");
  EXPECT_FALSE(ParseClientResponse(grant, NetOp::kBorrow).ok());
}

TEST(BorrowWireTest, ReturnMessageBindsTheId) {
  EXPECT_NE(BorrowReturnMessage(1), BorrowReturnMessage(2));
  EXPECT_EQ(BorrowReturnMessage(1).size(), 22u + 8u);
}

// ---- table ----

class BorrowTableTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() /
           ("licet-borrow-" + std::to_string(::getpid()) + "-" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::remove_all(dir_);
    std::filesystem::create_directories(dir_);
    path_ = (dir_ / "borrows.cbor").string();
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  BorrowRecord Record(uint64_t id, UnixTime until) {
    BorrowRecord r;
    r.id = id;
    r.firm_code = 6000010;
    r.product_code = 13;
    r.serial = "130-1";
    r.client_serial = "130-7";
    r.client_sig_key = Bytes(32, 3);
    r.host = "ws1";
    r.user = "bob";
    r.address = "127.0.0.1";
    r.issued = clock_.Now();
    r.until = until;
    return r;
  }

  std::filesystem::path dir_;
  std::string path_;
  FakeClock clock_{kNow};
  FaultInjectingEnv env_;
};

TEST_F(BorrowTableTest, CountsPersistsAndExpires) {
  {
    BorrowTable t(path_, &env_, &clock_);
    ASSERT_TRUE(t.Load().ok());
    ASSERT_TRUE(t.Add(Record(1, kNow + 86400)).ok());
    ASSERT_TRUE(t.Add(Record(2, kNow + 10)).ok());
    EXPECT_EQ(t.Add(Record(2, kNow + 10)).code(), ErrorCode::kAlreadyExists);
    EXPECT_EQ(t.Active(6000010, 13, "130-1"), 2u);
    EXPECT_EQ(t.Active(6000010, 13, "130-2"), 0u);
    EXPECT_EQ(t.Active(6000010, 14, "130-1"), 0u);
    EXPECT_EQ(t.Rows(10).size(), 2u);
    EXPECT_EQ(t.Rows(10)[0]["mode"], "borrowed");
  }
  // A restart counts them again.
  BorrowTable again(path_, &env_, &clock_);
  ASSERT_TRUE(again.Load().ok());
  EXPECT_EQ(again.Active(6000010, 13, "130-1"), 2u);
  clock_.Advance(10);
  EXPECT_EQ(again.Active(6000010, 13, "130-1"), 1u);
  EXPECT_EQ(again.Find(2).status().code(), ErrorCode::kEntryNotFound);
  auto removed = again.Remove(1);
  ASSERT_TRUE(removed.ok());
  EXPECT_EQ(removed->client_serial, "130-7");
  // A second return of the same loan finds nothing: no seat is freed twice.
  EXPECT_EQ(again.Remove(1).status().code(), ErrorCode::kEntryNotFound);
  BorrowTable third(path_, &env_, &clock_);
  ASSERT_TRUE(third.Load().ok());
  EXPECT_EQ(third.size(), 0u);
}

TEST_F(BorrowTableTest, AFailedWriteChangesNothing) {
  BorrowTable t(path_, &env_, &clock_);
  ASSERT_TRUE(t.Add(Record(1, kNow + 100)).ok());
  env_.FailWritesFrom(0);
  EXPECT_FALSE(t.Add(Record(2, kNow + 100)).ok());
  EXPECT_EQ(t.Active(6000010, 13, "130-1"), 1u);
  EXPECT_FALSE(t.Remove(1).ok());
  EXPECT_EQ(t.Active(6000010, 13, "130-1"), 1u);
  env_.Heal();
  BorrowTable again(path_, &env_, &clock_);
  ASSERT_TRUE(again.Load().ok());
  EXPECT_EQ(again.size(), 1u);
}

TEST_F(BorrowTableTest, RefusesADamagedFile) {
  EXPECT_FALSE(BorrowTable::Decode(Bytes{0xa1, 0x61}).ok());
  EXPECT_FALSE(BorrowTable::Decode(Bytes{}).ok());
  std::map<uint64_t, BorrowRecord> one{{1, Record(1, kNow + 5)}};
  Bytes good = BorrowTable::Encode(one);
  ASSERT_TRUE(BorrowTable::Decode(good).ok());
  json doc = json::from_cbor(good);
  doc["borrows"][0]["client_key"] = json::binary(Bytes(31, 1));
  EXPECT_EQ(BorrowTable::Decode(json::to_cbor(doc)).status().code(), ErrorCode::kCorruptData);
  doc = json::from_cbor(good);
  doc["v"] = 2;
  EXPECT_EQ(BorrowTable::Decode(json::to_cbor(doc)).status().code(),
            ErrorCode::kUnsupportedVersion);
  doc = json::from_cbor(good);
  doc["borrows"].push_back(doc["borrows"][0]);
  EXPECT_EQ(BorrowTable::Decode(json::to_cbor(doc)).status().code(), ErrorCode::kCorruptData);
  ASSERT_TRUE(env_.WriteFileAtomic(path_, Bytes{1, 2, 3}, 0600).ok());
  BorrowTable t(path_, &env_, &clock_);
  EXPECT_EQ(t.Load().code(), ErrorCode::kCorruptData);
}

// ---- the server, driven without sockets ----

class BorrowServerTest : public BorrowTableTest {
 protected:
  void SetUp() override {
    BorrowTableTest::SetUp();
    auto keys = crypto::Ed25519Generate();
    ASSERT_TRUE(keys.ok());
    client_keys_ = std::move(*keys);
    MakeServer();
  }

  void MakeServer() {
    server_ = std::make_unique<Server>(
        io_, ServerOptions{},
        [](const AccessRequest&) -> Result<ItemSpec> {
          return ItemSpec{"130-1", 3, 120};
        },
        &clock_);
    BorrowIssuer issuer;
    issuer.lookup = [this](const BorrowRequest& b) -> Result<BorrowOffer> {
      if (b.product_code != 13) return Error(ErrorCode::kEntryNotFound, "no such product");
      return BorrowOffer{ItemSpec{"130-1", 3, 120}, rules_, 0};
    };
    issuer.sign = [](const BorrowRequest&, const BorrowRecord& r) -> Result<Bytes> {
      return Bytes(8, static_cast<uint8_t>(r.id));
    };
    ASSERT_TRUE(server_->EnableBorrowing(issuer, path_, &env_, &clock_).ok());
  }

  ClientRef Hello(uint8_t id) {
    ClientRef c = 0;
    ServerRequest r;
    r.op = NetOp::kHello;
    r.hello = HelloRequest{kNetworkProtocolVersion, Bytes(kClientIdSize, id), "h", "m"};
    server_->Handle(c, "127.0.0.1", r);
    return c;
  }

  json Borrow(ClientRef c, uint32_t days, uint32_t product = 13) {
    ServerRequest r;
    r.op = NetOp::kBorrow;
    r.borrow = SampleRequest(client_keys_.public_key);
    r.borrow.days = days;
    r.borrow.product_code = product;
    return server_->Handle(c, "127.0.0.1", r);
  }

  json Access(ClientRef c) {
    ServerRequest r;
    r.op = NetOp::kAccess;
    r.access.firm_code = 6000010;
    r.access.product_code = 13;
    return server_->Handle(c, "127.0.0.1", r);
  }

  json Return(ClientRef c, uint64_t id, const SecretBytes& key) {
    ServerRequest r;
    r.op = NetOp::kBorrowReturn;
    r.borrow_return.borrow_id = id;
    r.borrow_return.proof = *crypto::Ed25519Sign(key, BorrowReturnMessage(id));
    return server_->Handle(c, "127.0.0.1", r);
  }

  static int Code(const json& resp) { return resp["code"].get<int>(); }

  boost::asio::io_context io_;
  std::unique_ptr<Server> server_;
  crypto::KeyPair client_keys_;
  model::BorrowRules rules_{7, 2};
};

TEST_F(BorrowServerTest, ABorrowTakesASeatUntilReturned) {
  ClientRef a = Hello(1);
  ClientRef b = Hello(2);
  json lent = Borrow(a, 3);
  ASSERT_EQ(Code(lent), 0) << lent.dump();
  const uint64_t id = lent["borrow_id"].get<uint64_t>();
  EXPECT_EQ(lent["until"].get<int64_t>(), kNow + 3 * 86400);
  EXPECT_TRUE(lent["entry"].is_binary());
  // 3 seats, 1 lent: two accesses fit, the third does not.
  EXPECT_EQ(Code(Access(b)), 0);
  EXPECT_EQ(Code(Access(b)), 0);
  EXPECT_EQ(Code(Access(b)), static_cast<int>(ErrorCode::kNoMoreLicenses));
  // Only the borrowing container can give it back.
  auto other = crypto::Ed25519Generate();
  EXPECT_EQ(Code(Return(a, id, other->private_key)), static_cast<int>(ErrorCode::kBadSignature));
  EXPECT_EQ(Code(Return(b, id, client_keys_.private_key)), 0);
  // A replayed return frees nothing more.
  EXPECT_EQ(Code(Return(b, id, client_keys_.private_key)),
            static_cast<int>(ErrorCode::kEntryNotFound));
  EXPECT_EQ(Code(Access(b)), 0);
  EXPECT_EQ(Code(Access(b)), static_cast<int>(ErrorCode::kNoMoreLicenses));
}

TEST_F(BorrowServerTest, RulesAreEnforced) {
  ClientRef a = Hello(1);
  EXPECT_EQ(Code(Borrow(a, 8)), static_cast<int>(ErrorCode::kBorrowTooLong));
  EXPECT_EQ(Code(Borrow(a, 1, 14)), static_cast<int>(ErrorCode::kEntryNotFound));
  EXPECT_EQ(Code(Borrow(a, 7)), 0);
  EXPECT_EQ(Code(Borrow(a, 7)), 0);
  json third = Borrow(a, 7);  // max_seats = 2
  EXPECT_EQ(Code(third), static_cast<int>(ErrorCode::kBorrowNotAllowed));
  EXPECT_NE(third["message"].get<std::string>().find("lent out"), std::string::npos);
  rules_ = model::BorrowRules{};
  EXPECT_EQ(Code(Borrow(a, 1)), static_cast<int>(ErrorCode::kBorrowNotAllowed));
}

TEST_F(BorrowServerTest, NoBorrowWithoutAFreeSeat) {
  rules_ = model::BorrowRules{7, 3};
  ClientRef a = Hello(1);
  ClientRef b = Hello(2);
  EXPECT_EQ(Code(Access(b)), 0);
  EXPECT_EQ(Code(Access(b)), 0);
  EXPECT_EQ(Code(Borrow(a, 1)), 0);
  EXPECT_EQ(Code(Borrow(a, 1)), static_cast<int>(ErrorCode::kNoMoreLicenses));
}

TEST_F(BorrowServerTest, ARestartKeepsCountingAndExpiryFrees) {
  ClientRef a = Hello(1);
  ASSERT_EQ(Code(Borrow(a, 1)), 0);
  ASSERT_EQ(Code(Borrow(a, 2)), 0);
  MakeServer();  // a restart: the table comes back from its file
  ClientRef b = Hello(2);
  EXPECT_EQ(Code(Access(b)), 0);
  EXPECT_EQ(Code(Access(b)), static_cast<int>(ErrorCode::kNoMoreLicenses));
  clock_.Advance(86400);  // the 1-day loan ends
  EXPECT_EQ(Code(Access(b)), 0);
  json status = server_->StatusJson(10);
  ASSERT_EQ(status["borrows"].size(), 1u);
  EXPECT_EQ(status["borrows"][0]["mode"], "borrowed");
}

TEST_F(BorrowServerTest, ABrokenTableFileStopsTheServer) {
  ASSERT_TRUE(env_.WriteFileAtomic(path_, Bytes{0xff}, 0600).ok());
  Server s(
      io_, ServerOptions{}, [](const AccessRequest&) -> Result<ItemSpec> { return ItemSpec{}; },
      &clock_);
  EXPECT_EQ(s.EnableBorrowing(BorrowIssuer{}, path_, &env_, &clock_).code(),
            ErrorCode::kCorruptData);
}

}  // namespace
}  // namespace licet::network
