#include "model/items.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "model/test_items.h"

namespace licet::model {
namespace {

using ::testing::HasSubstr;

using testing::FullItem;
using testing::kJan2026;
using testing::kNov2027;

void ExpectInvalid(const ProductItem& item, const std::string& field) {
  Status st = Validate(item);
  EXPECT_EQ(st.code(), ErrorCode::kInvalidArgument) << field;
  EXPECT_THAT(st.message(), HasSubstr(field));
}

TEST(AccessModeTest, NamesRoundTrip) {
  for (AccessMode mode : {AccessMode::kUserLimit, AccessMode::kStationShare, AccessMode::kExclusive,
                          AccessMode::kNoUserLimit}) {
    auto parsed = ParseAccessMode(AccessModeName(mode));
    ASSERT_TRUE(parsed.ok());
    EXPECT_EQ(*parsed, mode);
  }
  EXPECT_STREQ(AccessModeName(AccessMode::kStationShare), "station-share");
  EXPECT_EQ(ParseAccessMode("userlimit").status().code(), ErrorCode::kInvalidArgument);
}

TEST(AccessModeTest, ListsRoundTrip) {
  EXPECT_EQ(FormatAccessModes(kDefaultAccessModes), "user-limit,station-share,exclusive");
  EXPECT_EQ(FormatAccessModes(0), "");
  auto mask = ParseAccessModes(" exclusive , no-user-limit");
  ASSERT_TRUE(mask.ok());
  EXPECT_EQ(*mask, ModeBit(AccessMode::kExclusive) | ModeBit(AccessMode::kNoUserLimit));
  EXPECT_FALSE(ParseAccessModes("").ok());
  EXPECT_FALSE(ParseAccessModes("exclusive,").ok());
  EXPECT_FALSE(ParseAccessModes("exclusive,exclusive").ok());
  EXPECT_FALSE(ParseAccessModes("exclusive,bogus").ok());
}

TEST(ItemSecretTest, CopiesAndComparesContent) {
  ItemSecret a(Bytes(kSecretSize, 7));
  ItemSecret b = a;
  EXPECT_EQ(a, b);
  EXPECT_EQ(b.size(), kSecretSize);
  ItemSecret c(Bytes(kSecretSize, 8));
  EXPECT_FALSE(a == c);
  c = a;
  EXPECT_EQ(a, c);
  EXPECT_EQ(ItemSecret(), ItemSecret());
  EXPECT_FALSE(ItemSecret() == a);
}

TEST(DeriveProductSecretTest, DependsOnFirmAndProduct) {
  SecretBytes firm_secret(ByteSpan(Bytes(32, 0x11)));
  auto a = DeriveProductSecret(firm_secret, 6000010, 201010);
  auto a2 = DeriveProductSecret(firm_secret, 6000010, 201010);
  auto b = DeriveProductSecret(firm_secret, 6000010, 201011);
  auto c = DeriveProductSecret(firm_secret, 6000011, 201010);
  ASSERT_TRUE(a.ok() && a2.ok() && b.ok() && c.ok());
  EXPECT_EQ(a->size(), kSecretSize);
  EXPECT_TRUE(std::equal(a->span().begin(), a->span().end(), a2->span().begin()));
  EXPECT_FALSE(std::equal(a->span().begin(), a->span().end(), b->span().begin()));
  EXPECT_FALSE(std::equal(a->span().begin(), a->span().end(), c->span().begin()));
  SecretBytes short_secret(ByteSpan(Bytes(16, 0x11)));
  EXPECT_EQ(DeriveProductSecret(short_secret, 1, 1).status().code(), ErrorCode::kInvalidArgument);
}

TEST(ValidateTest, FullItemIsValid) {
  ProductItem item = FullItem();
  EXPECT_TRUE(Validate(item).ok()) << Validate(item).message();
  EXPECT_TRUE(item.HasTimeLimits());
  EXPECT_TRUE(Validate(ProductItem{.product_code = 1}).ok());
  EXPECT_FALSE(ProductItem{.product_code = 1}.HasTimeLimits());
}

TEST(ValidateTest, RefusesBadFields) {
  ProductItem item = FullItem();
  item.product_code = 0;
  ExpectInvalid(item, "product_code");

  item = FullItem();
  item.text = std::string(kMaxTextSize + 1, 'a');
  ExpectInvalid(item, "text");
  item.text = "\xc3\x28";  // invalid UTF-8
  ExpectInvalid(item, "UTF-8");
  item.text = std::string(kMaxTextSize, 'a');
  EXPECT_TRUE(Validate(item).ok());

  item = FullItem();
  item.protected_data = Bytes(kMaxDataSize + 1);
  ExpectInvalid(item, "protected_data");

  item = FullItem();
  item.hidden_data = Bytes(kMaxDataSize + 1);
  ExpectInvalid(item, "hidden_data");

  item = FullItem();
  item.hidden_access_code.clear();
  ExpectInvalid(item, "hidden_access_code");
  item.hidden_access_code = Bytes(31);
  ExpectInvalid(item, "hidden_access_code");

  item = FullItem();
  item.secret_data = ItemSecret(Bytes(16, 1));
  ExpectInvalid(item, "secret_data");

  item = FullItem();
  item.activation_time = item.expiration;
  ExpectInvalid(item, "activation_time");

  item = FullItem();
  item.expiration = -1;
  ExpectInvalid(item, "expiration");
  item.expiration = kMaxTime + 1;
  ExpectInvalid(item, "expiration");

  item = FullItem();
  item.license_quantity = 0;
  ExpectInvalid(item, "license_quantity");

  item = FullItem();
  item.access_modes = 0;
  ExpectInvalid(item, "access_modes");
  item.access_modes = 0x10;
  ExpectInvalid(item, "access_modes");

  item = FullItem();
  item.linger_time = -1;
  ExpectInvalid(item, "linger_time");

  item = FullItem();
  item.usage_period = 0;
  ExpectInvalid(item, "usage_period");
  item.usage_period.reset();
  item.usage_started = kJan2026;
  ExpectInvalid(item, "usage_started");

  item = FullItem();
  item.checkpoint_days = 0;
  ExpectInvalid(item, "checkpoint_days");
  item.checkpoint_days.reset();
  ExpectInvalid(item, "last_checkpoint");

  item = FullItem();
  item.borrow.max_seats = 6;  // more than license_quantity 5
  ExpectInvalid(item, "max_seats");
  item.borrow = {.max_days = 7, .max_seats = 0};
  ExpectInvalid(item, "borrow");
}

TEST(ValidateTest, RefusesBadModules) {
  ProductItem item = FullItem();
  item.modules[1].product_code = item.modules[0].product_code;
  ExpectInvalid(item, "201011");

  item = FullItem();
  item.modules[0].product_code = item.product_code;
  ExpectInvalid(item, "used twice");

  item = FullItem();
  item.modules[0].product_code = 0;
  ExpectInvalid(item, "product_code");

  item = FullItem();
  item.modules[0].text = std::string(kMaxTextSize + 1, 'x');
  ExpectInvalid(item, "text");

  item = FullItem();
  item.modules.clear();
  for (uint32_t i = 0; i <= kMaxModulesPerProduct; ++i) {
    item.modules.push_back({.product_code = 300000 + i});
  }
  ExpectInvalid(item, "modules");
}

FirmItem SampleFirm() {
  FirmItem firm;
  firm.firm_code = 6000010;
  firm.name = "Example Firm";
  firm.public_key = Bytes(kPublicKeySize, 9);
  firm.products = {FullItem(), ProductItem{.product_code = 201020}};
  return firm;
}

TEST(ValidateTest, FirmItem) {
  FirmItem firm = SampleFirm();
  EXPECT_TRUE(Validate(firm).ok()) << Validate(firm).message();

  firm.public_key.pop_back();
  EXPECT_THAT(Validate(firm).message(), HasSubstr("public_key"));

  firm = SampleFirm();
  firm.products[1].product_code = 201010;
  EXPECT_EQ(Validate(firm).code(), ErrorCode::kInvalidArgument);

  firm = SampleFirm();
  firm.products[1].product_code = 201011;  // a module code of products[0]
  EXPECT_THAT(Validate(firm).message(), HasSubstr("201011"));

  firm = SampleFirm();
  firm.name = std::string(kMaxFirmNameSize + 1, 'n');
  EXPECT_THAT(Validate(firm).message(), HasSubstr("name"));

  firm = SampleFirm();
  firm.products[0].text = "\xff";
  EXPECT_THAT(Validate(firm).message(), HasSubstr("product 201010"));
}

TEST(ValidateTest, ContainerState) {
  ContainerState state;
  state.firms = {SampleFirm()};
  EXPECT_TRUE(Validate(state).ok());
  state.firms.push_back(SampleFirm());
  EXPECT_THAT(Validate(state).message(), HasSubstr("twice"));
  state.firms.pop_back();
  state.highest_time_seen = -5;
  EXPECT_EQ(Validate(state).code(), ErrorCode::kInvalidArgument);
}

TEST(FindTest, FindsFirmsProductsAndModules) {
  ContainerState state;
  state.firms = {SampleFirm()};
  EXPECT_NE(state.FindFirm(6000010), nullptr);
  EXPECT_EQ(state.FindFirm(6000011), nullptr);
  ASSERT_NE(state.FindProduct(6000010, 201020), nullptr);
  EXPECT_EQ(state.FindProduct(6000010, 201020)->product_code, 201020u);
  EXPECT_EQ(state.FindProduct(6000010, 201011), nullptr);  // a module, not a product
  EXPECT_EQ(state.FindProduct(6000011, 201020), nullptr);

  const FirmItem& firm = *state.FindFirm(6000010);
  ASSERT_NE(firm.FindModuleParent(201012), nullptr);
  EXPECT_EQ(firm.FindModuleParent(201012)->product_code, 201010u);
  EXPECT_EQ(firm.FindModuleParent(201020), nullptr);
  EXPECT_EQ(firm.products[0].FindModule(201011)->text, "Extra");

  // Non-const finders return the stored element, so callers can change it.
  state.FindProduct(6000010, 201020)->feature_map = 0xff;
  EXPECT_EQ(state.firms[0].products[1].feature_map, 0xffu);
}

TEST(MarkFirstUseTest, StartsUsagePeriodOnce) {
  ProductItem item = FullItem();
  item.usage_started.reset();  // not used yet
  EXPECT_TRUE(MarkFirstUse(item, kJan2026));
  EXPECT_EQ(item.usage_started, kJan2026);
  EXPECT_FALSE(MarkFirstUse(item, kJan2026 + 100));
  EXPECT_EQ(item.usage_started, kJan2026);
  ProductItem plain{.product_code = 1};
  EXPECT_FALSE(MarkFirstUse(plain, kJan2026));
  EXPECT_FALSE(plain.usage_started.has_value());
}

TEST(Utf8Test, AcceptsWellFormedRefusesMalformed) {
  EXPECT_TRUE(IsValidUtf8(""));
  EXPECT_TRUE(IsValidUtf8("plain"));
  EXPECT_TRUE(
      IsValidUtf8("Gr\xc3\xbc\xc3\x9f"
                  "e \xe2\x82\xac \xf0\x9f\x94\x91"));
  EXPECT_FALSE(IsValidUtf8("\x80"));
  EXPECT_FALSE(IsValidUtf8("\xc0\xaf"));              // overlong '/'
  EXPECT_FALSE(IsValidUtf8("\xed\xa0\x80"));          // surrogate
  EXPECT_FALSE(IsValidUtf8("\xf4\x90\x80\x80"));      // above U+10FFFF
  EXPECT_FALSE(IsValidUtf8("\xe2\x82"));              // truncated
  EXPECT_FALSE(IsValidUtf8("\xf8\x88\x80\x80\x80"));  // 5-byte form
}

}  // namespace
}  // namespace licet::model
