#include "engine/borrow_entry.h"

#include <gtest/gtest.h>

#include "format/cose.h"

namespace licet::engine {
namespace {

constexpr UnixTime kNow = 1'800'000'000;
constexpr UnixTime kDay = 86400;

SoftContainer Container(uint32_t number) {
  std::vector<container::DeviceProperty> props = {
      {container::PropertyKind::kMachineId, {"0123456789abcdef0123456789abcdef"}},
      {container::PropertyKind::kCpuSignature, {"cpu"}},
      {container::PropertyKind::kRootDisk, {"disk"}}};
  auto c = CreateSoftContainer(number, props, 0, kNow);
  EXPECT_TRUE(c.ok()) << c.status().ToString();
  return std::move(*c);
}

class BorrowEntryTest : public ::testing::Test {
 protected:
  void SetUp() override {
    firm_.firm_code = 6000010;
    firm_.name = "ACME";
    firm_.public_key = Bytes(32, 7);
    item_.product_code = 13;
    item_.feature_map = 3;
    item_.license_quantity = 5;
    item_.unit_counter = 100;
    item_.expiration = kNow + 30 * kDay;
    item_.borrow = model::BorrowRules{7, 2};
    item_.secret_data = model::ItemSecret(ByteSpan(Bytes(32, 0x5a)));
    firm_.products.push_back(item_);
    info_.borrow_id = 42;
    info_.client_serial = client_.serial;
    info_.client_enc_key = client_.enc_public_key;
    info_.issued = kNow;
    info_.until = kNow + 3 * kDay;
  }

  Bytes Entry() {
    auto e = MakeBorrowEntry(server_, firm_, item_, info_);
    EXPECT_TRUE(e.ok()) << e.status().ToString();
    return e.ok() ? *e : Bytes();
  }

  SoftContainer server_ = Container(1);
  SoftContainer client_ = Container(2);
  model::FirmItem firm_;
  model::ProductItem item_;
  BorrowGrantInfo info_;
};

TEST_F(BorrowEntryTest, OpensInItsContainerAndInstalls) {
  Bytes entry = Entry();
  auto e = OpenBorrowEntry(entry, client_, kNow + 10);
  ASSERT_TRUE(e.ok()) << e.status().ToString();
  EXPECT_EQ(e->borrow_id, 42u);
  EXPECT_EQ(e->server_serial, server_.serial);
  EXPECT_EQ(e->until, kNow + 3 * kDay);
  EXPECT_EQ(e->item.expiration, kNow + 3 * kDay);  // min(item, until)
  EXPECT_EQ(e->item.license_quantity, 1u);
  EXPECT_FALSE(e->item.borrow.allowed());
  EXPECT_FALSE(e->item.unit_counter.has_value());
  EXPECT_TRUE(e->item.secret_data == item_.secret_data);
  ASSERT_TRUE(InstallBorrowedItem(client_, *e).ok());
  const model::ProductItem* p = client_.state.FindProduct(6000010, 13);
  ASSERT_NE(p, nullptr);
  EXPECT_EQ(client_.state.FindFirm(6000010)->public_key, firm_.public_key);
  // Twice: the product is there already.
  EXPECT_EQ(InstallBorrowedItem(client_, *e).code(), ErrorCode::kAlreadyExists);
  EXPECT_TRUE(RemoveBorrowedItem(client_, 6000010, 13));
  EXPECT_EQ(client_.state.FindFirm(6000010), nullptr);  // made by the borrow, gone with it
  EXPECT_FALSE(RemoveBorrowedItem(client_, 6000010, 13));
}

TEST_F(BorrowEntryTest, TheItemExpiresFirstWhenItEndsEarlier) {
  item_.expiration = kNow + kDay;
  auto e = OpenBorrowEntry(Entry(), client_, kNow);
  ASSERT_TRUE(e.ok());
  EXPECT_EQ(e->item.expiration, kNow + kDay);
}

TEST_F(BorrowEntryTest, RefusesAnotherContainerAnExpiredEntryOrAForgery) {
  Bytes entry = Entry();
  SoftContainer other = Container(3);
  EXPECT_EQ(OpenBorrowEntry(entry, other, kNow).status().code(), ErrorCode::kWrongContainer);
  // Another container that claims the serial still cannot open the secret.
  other.serial = client_.serial;
  EXPECT_EQ(OpenBorrowEntry(entry, other, kNow).status().code(), ErrorCode::kWrongContainer);
  EXPECT_EQ(OpenBorrowEntry(entry, client_, kNow + 3 * kDay).status().code(), ErrorCode::kExpired);
  // A flipped byte anywhere: refused (signature or structure).
  for (size_t i = 0; i < entry.size(); i += 7) {
    Bytes bad = entry;
    bad[i] ^= 0x01;
    EXPECT_FALSE(OpenBorrowEntry(bad, client_, kNow).ok()) << "byte " << i;
  }
  // Re-signed by someone else over a longer loan: the signature names a key, but the payload
  // names the server's; the check fails.
  auto parsed = format::CoseSign1Parse(entry);
  ASSERT_TRUE(parsed.ok());
  SoftContainer forger = Container(4);
  auto forged = format::CoseSign1Sign(
      parsed->payload, ByteSpan(reinterpret_cast<const uint8_t*>("licet-borrow-entry-v1"), 21),
      forger.sig_private_key);
  ASSERT_TRUE(forged.ok());
  EXPECT_EQ(OpenBorrowEntry(*forged, client_, kNow).status().code(), ErrorCode::kBadSignature);
  EXPECT_FALSE(OpenBorrowEntry(Bytes{}, client_, kNow).ok());
  EXPECT_FALSE(OpenBorrowEntry(Bytes(20000, 0), client_, kNow).ok());
}

TEST_F(BorrowEntryTest, AFirmUnderAnotherKeyIsRefused) {
  model::FirmItem mine;
  mine.firm_code = 6000010;
  mine.name = "ACME";
  mine.public_key = Bytes(32, 8);
  mine.fuc = 3;
  client_.state.firms.push_back(mine);
  auto e = OpenBorrowEntry(Entry(), client_, kNow);
  ASSERT_TRUE(e.ok());
  EXPECT_EQ(InstallBorrowedItem(client_, *e).code(), ErrorCode::kUntrustedSigner);
}

TEST_F(BorrowEntryTest, MakeRefusesNonsense) {
  info_.until = info_.issued;
  EXPECT_FALSE(MakeBorrowEntry(server_, firm_, item_, info_).ok());
  info_.until = kNow + kDay;
  info_.client_enc_key = Bytes(3, 1);
  EXPECT_FALSE(MakeBorrowEntry(server_, firm_, item_, info_).ok());
}

}  // namespace
}  // namespace licet::engine
