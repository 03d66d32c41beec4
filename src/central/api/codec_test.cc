#include "central/api/codec.h"

#include <gtest/gtest.h>

namespace licet::central::api {
namespace {

TEST(Base64Test, RoundTripsBothVariants) {
  for (size_t n = 0; n < 40; ++n) {
    Bytes data(n);
    for (size_t i = 0; i < n; ++i) data[i] = static_cast<uint8_t>(i * 37 + 250);
    for (bool url : {false, true}) {
      auto back = Base64Decode(Base64Encode(data, url), url);
      ASSERT_TRUE(back.ok()) << n << " " << url;
      EXPECT_EQ(*back, data);
    }
  }
  EXPECT_EQ(Base64Encode(AsBytes("foobar")), "Zm9vYmFy");
  EXPECT_EQ(Base64Encode(AsBytes("fo")), "Zm8=");
  EXPECT_EQ(Base64Encode(AsBytes("fo"), true), "Zm8");
}

TEST(Base64Test, IsStrict) {
  EXPECT_FALSE(Base64Decode("Zm8").ok());         // padding missing (standard)
  EXPECT_FALSE(Base64Decode("Zm8=", true).ok());  // padding in url form
  EXPECT_FALSE(Base64Decode("Zm9=").ok());        // non-zero unused bits
  EXPECT_FALSE(Base64Decode("Z m8=").ok());
  EXPECT_FALSE(Base64Decode("Zm-_").ok());  // url alphabet in standard form
  EXPECT_FALSE(Base64Decode("Zm+/", true).ok());
  EXPECT_FALSE(Base64Decode("=Zm8").ok());
  EXPECT_FALSE(Base64Decode("Z===").ok());
  EXPECT_FALSE(Base64Decode("Z", true).ok());
  EXPECT_TRUE(Base64Decode("").ok());
}

TEST(QueryTest, Parses) {
  auto q = ParseQuery("limit=5&cursor=abc%2Dd&x=a+b&flag");
  ASSERT_TRUE(q.ok());
  EXPECT_EQ(q->at("limit"), "5");
  EXPECT_EQ(q->at("cursor"), "abc-d");
  EXPECT_EQ(q->at("x"), "a b");
  EXPECT_EQ(q->at("flag"), "");
  EXPECT_FALSE(ParseQuery("a=1&a=2").ok());
  EXPECT_FALSE(ParseQuery("a=%2").ok());
  EXPECT_FALSE(ParseQuery("a=%zz").ok());
  EXPECT_FALSE(ParseQuery(std::string(3000, 'a')).ok());
}

TEST(PageTest, LimitsAndCursors) {
  auto p = ParsePage({}, "firms");
  EXPECT_EQ(p->limit, 50);
  EXPECT_EQ(p->after, "");
  p = ParsePage({{"limit", "200"}, {"cursor", EncodeCursor("firms", "6000010")}}, "firms");
  ASSERT_TRUE(p.ok());
  EXPECT_EQ(p->limit, 200);
  EXPECT_EQ(p->after, "6000010");
  EXPECT_FALSE(ParsePage({{"limit", "0"}}, "firms").ok());
  EXPECT_FALSE(ParsePage({{"limit", "201"}}, "firms").ok());
  EXPECT_FALSE(ParsePage({{"limit", "-1"}}, "firms").ok());
  EXPECT_FALSE(ParsePage({{"cursor", EncodeCursor("audit", "1")}}, "firms").ok());
  EXPECT_FALSE(ParsePage({{"cursor", "!!"}}, "firms").ok());
}

TEST(ParseUint32Test, Strict) {
  EXPECT_EQ(ParseUint32("6000010"), 6000010u);
  EXPECT_EQ(ParseUint32("4294967295"), 4294967295u);
  EXPECT_FALSE(ParseUint32("4294967296"));
  EXPECT_FALSE(ParseUint32("+1"));
  EXPECT_FALSE(ParseUint32(" 1"));
  EXPECT_FALSE(ParseUint32(""));
  EXPECT_FALSE(ParseUint32("1a"));
}

}  // namespace
}  // namespace licet::central::api
