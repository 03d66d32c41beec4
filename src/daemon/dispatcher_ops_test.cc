// units, crypt, list, context, import and create_container through Dispatcher::Handle.
#include "crypto/crypto.h"
#include "daemon/dispatcher_fixture.h"

namespace licet::daemon::testing {
namespace {

using nlohmann::json;

class DispatcherOpsTest : public DispatcherFixture {
 protected:
  uint64_t Open(ConnectionState& conn, uint32_t product) {
    json r = Access(conn, product);
    EXPECT_EQ(Code(r), 0) << r.dump();
    return r.value("handle", uint64_t{0});
  }
  json Crypt(ConnectionState& conn, uint64_t handle, int op, Bytes data,
             json extra = json::object()) {
    json r = {{"op", "crypt"},
              {"handle", handle},
              {"crypt_op", op},
              {"encryption_code", 42},
              {"feature_code", 1},
              {"iv", json::binary(Bytes(12, 0x11))},
              {"data", json::binary(std::move(data))}};
    r.update(extra);
    return Call(conn, r);
  }
  // The key of docs/PROTOCOL.md, computed here independently of licetd.
  SecretBytes ExpectedKey(uint32_t product, uint32_t feature, uint32_t code) {
    SecretBytes secret = *model::DeriveProductSecret(firm_.firm_secret, kFirm, product);
    Bytes info;
    for (uint32_t v : {kFirm, product, feature, code}) {
      for (int shift : {24, 16, 8, 0}) info.push_back(static_cast<uint8_t>(v >> shift));
    }
    return *crypto::HkdfSha256(secret.span(), AsBytes("licet crypt v1"), info, 32);
  }
};

TEST_F(DispatcherOpsTest, UnitsArePersistedAndNeverGoBelowZero) {
  model::ProductItem item = Item(201010);
  item.unit_counter = 10;
  Add(item);
  ConnectionState conn = Connect();
  uint64_t h = Open(conn, 201010);
  json r = Call(conn, {{"op", "units"}, {"handle", h}, {"decrement", 3}});
  ASSERT_EQ(Code(r), 0) << r.dump();
  EXPECT_EQ(r["remaining"], 7);
  EXPECT_EQ(store_->Open(serial_)->state.FindProduct(kFirm, 201010)->unit_counter, 7u);
  json over = Call(conn, {{"op", "units"}, {"handle", h}, {"decrement", 8}});
  EXPECT_EQ(Code(over), 32);
  EXPECT_EQ(Code(Call(conn, {{"op", "units"}, {"handle", h}, {"decrement", 0}})), 1);
  EXPECT_EQ(Code(Call(conn, {{"op", "units"}, {"handle", h}})), 1);
  EXPECT_EQ(Code(Call(conn, {{"op", "units"}, {"handle", h + 100}, {"decrement", 1}})), 1);
  EXPECT_EQ(Call(conn, {{"op", "units"}, {"handle", h}, {"decrement", 7}})["remaining"], 0);
  EXPECT_EQ(store_->Open(serial_)->state.FindProduct(kFirm, 201010)->unit_counter, 0u);
  // An exhausted item refuses new accesses.
  EXPECT_EQ(Code(Access(conn, 201010)), 32);
}

TEST_F(DispatcherOpsTest, UnitsFailWithoutCounterOrWhenTheWriteFails) {
  model::ProductItem counted = Item(1);
  counted.unit_counter = 5;
  std::vector<model::OperationBody> ops;
  ops.push_back(model::op::AddProduct{counted});
  ops.push_back(model::op::AddProduct{Item(2)});
  Apply(std::move(ops));
  ConnectionState conn = Connect();
  EXPECT_EQ(Code(Call(conn, {{"op", "units"}, {"handle", Open(conn, 2)}, {"decrement", 1}})), 1);
  uint64_t h = Open(conn, 1);
  env_.FailWritesFrom(0);
  EXPECT_NE(Code(Call(conn, {{"op", "units"}, {"handle", h}, {"decrement", 1}})), 0);
  env_.Heal();
  EXPECT_EQ(store_->Open(serial_)->state.FindProduct(kFirm, 1)->unit_counter, 5u);
  json info = Call(conn, {{"op", "info"}, {"handle", h}});
  EXPECT_EQ(info["item"]["unit_counter"], 5);  // the cache did not take the failed write
}

TEST_F(DispatcherOpsTest, CryptUsesTheDocumentedKeyAndRoundTrips) {
  Add(Item(201010));
  ConnectionState conn = Connect();
  uint64_t h = Open(conn, 201010);
  Bytes plain = ToBytes("attack at dawn, bring licences");
  json enc = Crypt(conn, h, 1, plain);
  ASSERT_EQ(Code(enc), 0) << enc.dump();
  Bytes cipher = Bin(enc["data"]);
  Bytes tag = Bin(enc["tag"]);
  ASSERT_EQ(tag.size(), 16u);
  ASSERT_EQ(cipher.size(), plain.size());

  SecretBytes key = ExpectedKey(201010, 1, 42);
  Bytes expected = *crypto::AesGcmEncrypt(key.span(), Bytes(12, 0x11), {}, plain);
  EXPECT_EQ(HexEncode(cipher), HexEncode(ByteSpan(expected.data(), plain.size())));
  EXPECT_EQ(HexEncode(tag), HexEncode(ByteSpan(expected.data() + plain.size(), 16)));

  json dec = Crypt(conn, h, 2, cipher, {{"tag", json::binary(tag)}});
  ASSERT_EQ(Code(dec), 0);
  EXPECT_EQ(Bin(dec["data"]), plain);
  tag[0] ^= 1;
  EXPECT_EQ(Code(Crypt(conn, h, 2, cipher, {{"tag", json::binary(tag)}})), 6);
  EXPECT_EQ(Code(Crypt(conn, h, 2, cipher)), 1);  // no tag
  // Another encryption code gives another key.
  json other = Crypt(conn, h, 1, plain, {{"encryption_code", 43}});
  EXPECT_NE(other["data"], enc["data"]);
}

TEST_F(DispatcherOpsTest, CryptDirectIsCtrFromTheIvAndCounterZero) {
  Add(Item(201010));
  ConnectionState conn = Connect();
  uint64_t h = Open(conn, 201010);
  Bytes plain(100, 0xab);
  json once = Crypt(conn, h, 3, plain);
  ASSERT_EQ(Code(once), 0);
  EXPECT_FALSE(once.contains("tag"));
  Bytes expected = plain;
  Bytes counter(16, 0);
  std::fill(counter.begin(), counter.begin() + 12, 0x11);
  ASSERT_TRUE(crypto::AesCtrXor(ExpectedKey(201010, 1, 42).span(), counter, expected).ok());
  EXPECT_EQ(Bin(once["data"]), expected);
  json twice = Crypt(conn, h, 3, Bin(once["data"]));
  EXPECT_EQ(Bin(twice["data"]), plain);
}

TEST_F(DispatcherOpsTest, CryptChecksFeatureFieldsAndLicenseValidity) {
  model::ProductItem item = Item(201010);
  item.expiration = kNow + 100;
  Add(item);
  ConnectionState conn = Connect();
  uint64_t h = Open(conn, 201010);
  EXPECT_EQ(Code(Crypt(conn, h, 1, {1}, {{"feature_code", 4}})), 33);
  EXPECT_EQ(Code(Crypt(conn, h, 4, {1})), 1);
  EXPECT_EQ(Code(Crypt(conn, h, 1, {1}, {{"iv", json::binary(Bytes(16))}})), 1);
  EXPECT_EQ(Code(Crypt(conn, h, 1, {1}, {{"data", "text"}})), 1);
  EXPECT_EQ(Code(Crypt(conn, h + 1, 1, {1})), 1);
  EXPECT_EQ(Code(Crypt(conn, h, 1, {})), 0);  // empty data is fine
  clock_.Advance(100);
  EXPECT_EQ(Code(Crypt(conn, h, 1, {1})), 35);  // expired while held
}

TEST_F(DispatcherOpsTest, LargeCryptBuffersRunOffThread) {
  Add(Item(201010));
  ConnectionState conn = Connect();
  uint64_t h = Open(conn, 201010);
  Bytes big(Dispatcher::kInlineCryptLimit + 1, 0x5a);
  json enc = Crypt(conn, h, 1, big);  // the fixture's runner is inline: answered via the sink
  ASSERT_EQ(Code(enc), 0);
  json dec = Crypt(conn, h, 2, Bin(enc["data"]), {{"tag", enc["tag"]}});
  ASSERT_EQ(Code(dec), 0);
  EXPECT_EQ(Bin(dec["data"]), big);
}

TEST_F(DispatcherOpsTest, ListShowsContainersWithoutSecrets) {
  Add(Item(201010));
  ConnectionState conn = Connect();
  json r = Call(conn, {{"op", "list"}});
  ASSERT_EQ(Code(r), 0);
  ASSERT_EQ(r["containers"].size(), 1u);
  const json& c = r["containers"][0];
  EXPECT_EQ(c["serial"], serial_);
  EXPECT_EQ(c["type"], "soft");
  EXPECT_EQ(c["clock"], "ok");
  const json& p = c["state"]["firms"][0]["products"][0];
  EXPECT_EQ(p["product_code"], 201010);
  EXPECT_EQ(p["status"], "valid");
  EXPECT_EQ(p["secret_data"], "set");
  EXPECT_EQ(r.dump().find(
                HexEncode(model::DeriveProductSecret(firm_.firm_secret, kFirm, 201010)->span())),
            std::string::npos);
}

TEST_F(DispatcherOpsTest, ContextAndReceiptAreSignedFiles) {
  Add(Item(201010));
  ConnectionState conn = Connect();
  json r = Call(conn, {{"op", "context"}, {"firm_code", kFirm}});
  ASSERT_EQ(Code(r), 0) << r.dump();
  auto ctx = engine::ReadContextFile(Bin(r["file"]));
  ASSERT_TRUE(ctx.ok()) << ctx.status().ToString();
  EXPECT_EQ(ctx->serial, serial_);
  EXPECT_EQ(ctx->kind, format::FileKind::kContext);
  json receipt = Call(conn, {{"op", "context"}, {"receipt", true}, {"serial", serial_}});
  ASSERT_EQ(Code(receipt), 0);
  EXPECT_EQ(engine::ReadContextFile(Bin(receipt["file"]))->kind, format::FileKind::kReceipt);
  EXPECT_EQ(Code(Call(conn, {{"op", "context"}, {"serial", "130-5"}})), 201);
  EXPECT_EQ(Code(Call(conn, {{"op", "context"}, {"receipt", 1}})), 1);
}

TEST_F(DispatcherOpsTest, ImportAppliesAnUpdateAndAccessSeesIt) {
  ConnectionState conn = Connect();
  json ctx = Call(conn, {{"op", "context"}, {"firm_code", kFirm}});
  auto context = *engine::ReadContextFile(Bin(ctx["file"]));
  std::vector<model::OperationBody> ops;
  ops.push_back(model::op::AddProduct{Item(201010)});
  Bytes update = *engine::CreateUpdateFile(firm_, context, std::move(ops), kNow);
  json r = Call(conn, {{"op", "import"}, {"file", json::binary(update)}});
  ASSERT_EQ(Code(r), 0) << r.dump();
  EXPECT_EQ(r["serial"], serial_);
  EXPECT_EQ(r["fuc_before"], 0);
  EXPECT_EQ(r["fuc_after"], 2);
  EXPECT_EQ(r["applied"], 2);
  EXPECT_EQ(r["changes"].size(), 2u);
  EXPECT_EQ(Code(Access(conn, 201010)), 0);
  json again = Call(conn, {{"op", "import"}, {"file", json::binary(update)}});
  EXPECT_EQ(again["applied"], 0);
  update[update.size() / 2] ^= 1;
  EXPECT_NE(Code(Call(conn, {{"op", "import"}, {"file", json::binary(update)}})), 0);
  EXPECT_EQ(Code(Call(conn, {{"op", "import"}})), 1);
}

TEST_F(DispatcherOpsTest, CreateContainerIsForTheAdminOnly) {
  // Neither root nor the uid licetd runs as (the fixture's admin uid is ours).
  ConnectionState stranger = Connect(::getuid() == 0 ? 1000 : ::getuid() + 1);
  EXPECT_EQ(Code(Call(stranger, {{"op", "create_container"}})), 11);
  ConnectionState admin = Connect(::getuid());
  json r = Call(admin, {{"op", "create_container"}});
  ASSERT_EQ(Code(r), 0) << r.dump();
  EXPECT_NE(r["serial"], serial_);
  EXPECT_EQ(cache_->Current()->size(), 2u);
  // With two containers, context must be told which.
  EXPECT_EQ(Code(Call(admin, {{"op", "context"}})), 1);
}

}  // namespace
}  // namespace licet::daemon::testing
