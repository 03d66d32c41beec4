// The offline licensing cycle through the engine: real files in a temp state dir, the real
// device properties of this machine.
#include <gtest/gtest.h>
#include <stdlib.h>

#include "crypto/crypto.h"
#include "engine/container_store.h"
#include "engine/context_file.h"
#include "engine/file_info.h"
#include "engine/firm_key.h"
#include "engine/update_file.h"
#include "format/cose.h"
#include "format/envelope.h"
#include "format/payload.h"
#include "model/checks.h"

namespace licet::engine {
namespace {

constexpr uint32_t kFirm = 6000010;
constexpr uint32_t kProduct = 201010;
constexpr UnixTime kNow = 1800000000;

model::ProductItem SampleItem() {
  model::ProductItem item;
  item.product_code = kProduct;
  item.feature_map = 0x3;
  item.unit_counter = 100;
  item.expiration = kNow + 365 * 86400;
  item.text = "Sample App";
  return item;
}

class EngineTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/licet-engine-test-XXXXXX";
    ASSERT_NE(mkdtemp(tmpl), nullptr);
    home_ = tmpl;
    store_ = std::make_unique<ContainerStore>(home_, &env_, &clock_);
    auto serial = store_->Create();
    ASSERT_TRUE(serial.ok()) << serial.status().ToString();
    serial_ = *serial;
    firm_ = *GenerateFirmKey(kFirm, "Sample Company", kNow);
  }
  void TearDown() override { std::system(("rm -rf " + home_).c_str()); }

  ContainerContext Context() {
    SoftContainer c = *store_->Open(serial_);
    Bytes file = *MakeContextFile(c, kFirm, format::FileKind::kContext, clock_.Now());
    return *ReadContextFile(file);
  }

  Bytes AddProductUpdate() {
    std::vector<model::OperationBody> ops;
    ops.push_back(model::op::AddProduct{SampleItem()});
    return *CreateUpdateFile(firm_, Context(), std::move(ops), clock_.Now());
  }

  std::string home_;
  FaultInjectingEnv env_;
  FakeClock clock_{kNow};
  std::unique_ptr<ContainerStore> store_;
  std::string serial_;
  FirmKey firm_;
};

TEST_F(EngineTest, OfflineCycleAddsTheProductOnce) {
  Bytes update = AddProductUpdate();
  auto first = ImportUpdate(*store_, update);
  ASSERT_TRUE(first.ok()) << first.status().ToString();
  EXPECT_EQ(first->report.applied, 2);  // firm item + product
  EXPECT_EQ(first->report.fuc_after, 2u);

  auto again = ImportUpdate(*store_, update);
  ASSERT_TRUE(again.ok());
  EXPECT_TRUE(again->report.already_applied());

  SoftContainer c = *store_->Open(serial_);
  const model::ProductItem* item = c.state.FindProduct(kFirm, kProduct);
  ASSERT_NE(item, nullptr);
  EXPECT_EQ(item->unit_counter, 100u);
  // The product secret was filled in from the firm secret, the same for every container.
  SecretBytes expected = *model::DeriveProductSecret(firm_.firm_secret, kFirm, kProduct);
  EXPECT_TRUE(crypto::ConstantTimeEqual(item->secret_data.span(), expected.span()));
}

TEST_F(EngineTest, ReceiptReportsTheNewFuc) {
  ASSERT_TRUE(ImportUpdate(*store_, AddProductUpdate()).ok());
  SoftContainer c = *store_->Open(serial_);
  Bytes receipt = *MakeContextFile(c, kFirm, format::FileKind::kReceipt, kNow);
  ContainerContext ctx = *ReadContextFile(receipt);
  EXPECT_EQ(ctx.kind, format::FileKind::kReceipt);
  ASSERT_EQ(ctx.firms.size(), 1u);
  EXPECT_EQ(ctx.firms[0].fuc, 2u);
  ASSERT_EQ(ctx.firms[0].products.size(), 1u);
  EXPECT_TRUE(ctx.firms[0].products[0].secret_data.empty());  // never leaves the container
}

TEST_F(EngineTest, TamperedUpdateIsRefusedAndChangesNothing) {
  Bytes update = AddProductUpdate();
  Bytes before = *env_.ReadFile(store_->PathOf(serial_));
  for (size_t pos : {size_t{10}, update.size() / 2, update.size() - 3}) {
    Bytes bad = update;
    bad[pos] ^= 0x01;
    auto r = ImportUpdate(*store_, bad);
    EXPECT_FALSE(r.ok()) << "flipped byte " << pos;
  }
  Bytes truncated(update.begin(), update.begin() + update.size() / 3);
  EXPECT_EQ(ImportUpdate(*store_, truncated).status().code(), ErrorCode::kCorruptData);
  EXPECT_EQ(*env_.ReadFile(store_->PathOf(serial_)), before);
}

TEST_F(EngineTest, UpdateSignedByAnotherFirmKeyIsRefused) {
  ASSERT_TRUE(ImportUpdate(*store_, AddProductUpdate()).ok());
  FirmKey impostor = *GenerateFirmKey(kFirm, "Sample Company", kNow);
  ContainerContext ctx = Context();
  // The vendor tool itself refuses: the container trusts another key.
  std::vector<model::OperationBody> ops;
  ops.push_back(model::op::SetUnits{kProduct, 1000000});
  EXPECT_EQ(CreateUpdateFile(impostor, ctx, ops, kNow).status().code(), ErrorCode::kUntrustedSigner);
  // And so does the container, given a file forged without that check.
  std::vector<model::Operation> forged = {{3, model::op::SetUnits{kProduct, 1000000}}};
  ContextFirm* f = const_cast<ContextFirm*>(ctx.FindFirm(kFirm));
  f->public_key = impostor.public_key;
  Bytes file = *CreateUpdateFileFromOperations(impostor, ctx, forged, kNow);
  EXPECT_EQ(ImportUpdate(*store_, file).status().code(), ErrorCode::kUntrustedSigner);
  EXPECT_EQ(store_->Open(serial_)->state.FindProduct(kFirm, kProduct)->unit_counter, 100u);
}

// A customer who made a firm of his own cannot re-sign a vendor's sealed operations under it:
// the operations are bound to their firm code and container (FORMATS.md §3.2).
TEST_F(EngineTest, SealedOperationsCannotMoveToAnotherFirm) {
  FirmKey own = *GenerateFirmKey(7000000, "Customer's own firm", kNow);
  {
    SoftContainer c = *store_->Open(serial_);
    ContainerContext ctx = *ReadContextFile(*MakeContextFile(c, own.firm_code, format::FileKind::kContext, kNow));
    std::vector<model::OperationBody> ops;
    ops.push_back(model::op::AddProduct{SampleItem()});
    ASSERT_TRUE(ImportUpdate(*store_, *CreateUpdateFile(own, ctx, ops, kNow)).ok());  // FUC 2
  }
  // The vendor's update for its own firm: FUC 1 (firm item) and 2 (product 201011).
  model::ProductItem vendor_item = SampleItem();
  vendor_item.product_code = 201011;
  std::vector<model::OperationBody> vendor_ops;
  vendor_ops.push_back(model::op::AddProduct{vendor_item});
  UpdateHeader h = *ReadUpdateFile(*CreateUpdateFile(firm_, Context(), vendor_ops, kNow));
  // Re-signed under the customer's firm, numbered to follow its FUC 2.
  nlohmann::json payload = {{"serial", h.serial}, {"firm_code", own.firm_code},
                            {"fuc_from", 3}, {"fuc_to", 4}, {"certified_time", kNow},
                            {"firm_key", format::Binary(own.public_key)},
                            {"recipient", format::Binary(h.recipient_key)},
                            {"sealed", format::Binary(h.sealed)}};
  Bytes header = format::EnvelopeHeader(format::FileKind::kUpdate);
  Bytes forged = format::WrapEnvelope(
      format::FileKind::kUpdate,
      *format::CoseSign1Sign(format::EncodePayload(payload), header, own.signing_key));
  auto r = ImportUpdate(*store_, forged);
  EXPECT_EQ(r.status().code(), ErrorCode::kDecryptFailed) << r.status().ToString();
  EXPECT_EQ(store_->Open(serial_)->state.FindProduct(own.firm_code, 201011), nullptr);
}

TEST_F(EngineTest, UpdateForAnotherContainerIsRefused) {
  Bytes update = AddProductUpdate();
  std::string other_home = home_ + "/other";
  ContainerStore other(other_home, &env_, &clock_);
  ASSERT_TRUE(other.Create().ok());
  auto r = ImportUpdate(other, update);
  EXPECT_EQ(r.status().code(), ErrorCode::kWrongContainer);
  EXPECT_NE(r.status().message().find(serial_), std::string::npos);
}

TEST_F(EngineTest, GapInFucIsRefusedWithTheMissingRange) {
  ASSERT_TRUE(ImportUpdate(*store_, AddProductUpdate()).ok());  // FUC 2
  ContainerContext ctx = Context();
  std::vector<model::Operation> ops = {{5, model::op::SetUnits{kProduct, 7}}};
  Bytes file = *CreateUpdateFileFromOperations(firm_, ctx, ops, kNow);
  auto r = ImportUpdate(*store_, file);
  EXPECT_EQ(r.status().code(), ErrorCode::kFucGap);
  EXPECT_NE(r.status().message().find("3..4"), std::string::npos) << r.status().message();
}

TEST_F(EngineTest, OutOfOrderImportsAreHarmless) {
  ContainerContext ctx = Context();  // FUC 0
  std::vector<model::Operation> first = {
      {1, model::op::AddFirmItem{firm_.name, firm_.public_key}},
      {2, model::op::AddProduct{SampleItem()}}};
  std::vector<model::Operation> second = {{3, model::op::SetUnits{kProduct, 50}}};
  Bytes u1 = *CreateUpdateFileFromOperations(firm_, ctx, first, kNow);
  Bytes u2 = *CreateUpdateFileFromOperations(firm_, ctx, second, kNow);
  EXPECT_EQ(ImportUpdate(*store_, u2).status().code(), ErrorCode::kFirmNotFound);
  ASSERT_TRUE(ImportUpdate(*store_, u1).ok());
  ASSERT_TRUE(ImportUpdate(*store_, u2).ok());
  EXPECT_TRUE(ImportUpdate(*store_, u1)->report.already_applied());
  EXPECT_EQ(store_->Open(serial_)->state.FindProduct(kFirm, kProduct)->unit_counter, 50u);
}

TEST_F(EngineTest, CrashDuringImportLosesNothing) {
  Bytes update = AddProductUpdate();
  Bytes before = *env_.ReadFile(store_->PathOf(serial_));
  env_.FailWritesFrom(0);
  EXPECT_FALSE(ImportUpdate(*store_, update).ok());
  EXPECT_EQ(*env_.ReadFile(store_->PathOf(serial_)), before);
  env_.Heal();
  ASSERT_TRUE(ImportUpdate(*store_, update).ok());
  EXPECT_NE(store_->Open(serial_)->state.FindProduct(kFirm, kProduct), nullptr);
}

TEST_F(EngineTest, FirmKeyFileWithPassphrase) {
  Bytes file = *EncodeFirmKeyFile(firm_, "correct horse");
  EXPECT_TRUE(ReadFirmKeyInfo(file)->encrypted);
  EXPECT_EQ(DecodeFirmKeyFile(file, "").status().code(), ErrorCode::kWrongPassphrase);
  EXPECT_EQ(DecodeFirmKeyFile(file, "wrong").status().code(), ErrorCode::kWrongPassphrase);
  FirmKey back = *DecodeFirmKeyFile(file, "correct horse");
  EXPECT_TRUE(crypto::ConstantTimeEqual(back.firm_secret.span(), firm_.firm_secret.span()));
  Bytes plain = *EncodeFirmKeyFile(firm_, "");
  EXPECT_EQ(DecodeFirmKeyFile(plain, "")->firm_code, kFirm);
}

TEST_F(EngineTest, DescribeEveryKind) {
  Bytes update = AddProductUpdate();
  auto d = DescribeFile(update, store_.get());
  ASSERT_TRUE(d.ok()) << d.status().ToString();
  EXPECT_NE(d->text.find("add product 201010"), std::string::npos) << d->text;
  ASSERT_TRUE(ImportUpdate(*store_, update).ok());
  Bytes container = *env_.ReadFile(store_->PathOf(serial_));
  auto dc = DescribeFile(container, store_.get());
  ASSERT_TRUE(dc.ok());
  EXPECT_EQ(dc->json["opens_here"], true);
  auto dk = DescribeFile(*EncodeFirmKeyFile(firm_, ""), nullptr);
  ASSERT_TRUE(dk.ok());
  EXPECT_EQ(dk->json["firm_code"], kFirm);
  EXPECT_EQ(dk->text.find(HexEncode(firm_.firm_secret.span())), std::string::npos);
}

}  // namespace
}  // namespace licet::engine

namespace licet::engine {
namespace {

TEST(SerialTest, OneSpellingPerContainer) {
  EXPECT_EQ(ParseSerial("130-1166426881")->second, 1166426881u);
  EXPECT_EQ(ParseSerial("0-1")->first, 0u);
  for (const char* bad : {" 130-5", "+130-5", "130-+5", "130- 5", "0130-5", "130-0005", "130-0",
                          "130-4294967296", "65536-1", "130", "-5", "130-", "130-5x", ""}) {
    EXPECT_FALSE(ParseSerial(bad).ok()) << bad;
  }
}

}  // namespace
}  // namespace licet::engine
