#include "central/engine/template.h"

#include <gtest/gtest.h>

namespace licet::central::engine {
namespace {

ProductTemplate Full() {
  ProductTemplate t;
  t.item.product_code = 201010;
  t.item.feature_map = 0x3;
  t.item.unit_counter = 100;
  t.item.text = "Sample App";
  t.item.license_quantity = 5;
  t.item.secret_data = model::ItemSecret(Bytes(32, 7));
  t.item.protected_data = {1, 2};
  model::SetHiddenData(t.item, {9}, AsBytes("code"));
  t.item.checkpoint_days = 30;
  t.item.modules.push_back({201011, 0x1, 10, "Extras"});
  t.expires_after = 365 * 86400;
  return t;
}

TEST(TemplateTest, RoundTripsWithEveryOption) {
  ProductTemplate t = Full();
  ASSERT_TRUE(ValidateTemplate(t).ok());
  auto back = DecodeTemplate(EncodeTemplate(t));
  ASSERT_TRUE(back.ok()) << back.status().ToString();
  EXPECT_EQ(*back, t);
}

TEST(TemplateTest, InstantiateTurnsRelativeExpirationAbsolute) {
  auto item = Instantiate(Full(), 1000);
  ASSERT_TRUE(item.ok());
  EXPECT_EQ(item->expiration, 1000 + 365 * 86400);
  ProductTemplate late = Full();
  late.item.activation_time = 1000 + 400 * 86400;  // after the computed expiration
  EXPECT_FALSE(Instantiate(late, 1000).ok());
}

TEST(TemplateTest, RefusesInvalidTemplates) {
  ProductTemplate both = Full();
  both.item.expiration = 5000;
  EXPECT_FALSE(ValidateTemplate(both).ok());
  ProductTemplate zero = Full();
  zero.expires_after = 0;
  EXPECT_FALSE(ValidateTemplate(zero).ok());
  ProductTemplate nocode = Full();
  nocode.item.product_code = 0;
  EXPECT_FALSE(ValidateTemplate(nocode).ok());
  EXPECT_FALSE(DecodeTemplate(Bytes{0xa0}).ok());
  EXPECT_FALSE(DecodeTemplate(Bytes{0xff}).ok());
}

}  // namespace
}  // namespace licet::central::engine
