#include "format/cbor.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <limits>
#include <string>

namespace licet::format {
namespace {

using ::testing::HasSubstr;

Bytes Hex(const std::string& hex) { return *HexDecode(hex); }

void ExpectCorrupt(const std::string& hex, const std::string& message_part) {
  auto decoded = CborDecode(Hex(hex));
  ASSERT_FALSE(decoded.ok()) << hex;
  EXPECT_EQ(decoded.status().code(), ErrorCode::kCorruptData) << hex;
  EXPECT_THAT(decoded.status().message(), HasSubstr(message_part)) << hex;
  EXPECT_EQ(CborValidate(Hex(hex)).code(), ErrorCode::kCorruptData) << hex;
}

// RFC 8949 Appendix A, every example of a kind this codec supports: decoding gives a value
// that encodes back to the same bytes.
TEST(CborTest, Rfc8949AppendixARoundTrips) {
  const char* examples[] = {
      "00",
      "01",
      "0a",
      "17",
      "1818",
      "1819",
      "1864",
      "1903e8",
      "1a000f4240",
      "1b000000e8d4a51000",
      "1bffffffffffffffff",
      "20",
      "29",
      "3863",
      "3903e7",
      "c249010000000000000000",  // 2(h'010000000000000000'), a bignum as a plain tag
      "f4",
      "f5",
      "f6",
      "c074323031332d30332d32315432303a30343a30305a",
      "c11a514b67b0",
      "d74401020304",
      "d818456449455446",
      "d82076687474703a2f2f7777772e6578616d706c652e636f6d",
      "40",
      "4401020304",
      "60",
      "6161",
      "6449455446",
      "62225c",
      "62c3bc",
      "63e6b0b4",
      "64f0908591",
      "80",
      "83010203",
      "8301820203820405",
      "98190102030405060708090a0b0c0d0e0f101112131415161718181819",
      "a0",
      "a201020304",
      "a26161016162820203",
      "826161a161626163",
      "a56161614161626142616361436164614461656145"};
  for (const char* hex : examples) {
    auto decoded = CborDecode(Hex(hex));
    ASSERT_TRUE(decoded.ok()) << hex << ": " << decoded.status().message();
    EXPECT_EQ(HexEncode(CborEncode(*decoded)), hex);
    EXPECT_TRUE(CborValidate(Hex(hex)).ok()) << hex;
  }
}

TEST(CborTest, Rfc8949AppendixAValues) {
  EXPECT_EQ(HexEncode(CborEncode(CborValue::Uint(1000000000000))), "1b000000e8d4a51000");
  EXPECT_EQ(HexEncode(CborEncode(CborValue::Int(-1000))), "3903e7");
  EXPECT_EQ(HexEncode(CborEncode(CborValue::Text("\xe6\xb0\xb4"))), "63e6b0b4");
  EXPECT_EQ(HexEncode(CborEncode(CborValue::Tag(1, CborValue::Uint(1363896240)))), "c11a514b67b0");
  CborValue map = CborValue::Map(
      {{CborValue::Text("a"), CborValue::Uint(1)},
       {CborValue::Text("b"), CborValue::Array({CborValue::Uint(2), CborValue::Uint(3)})}});
  EXPECT_EQ(HexEncode(CborEncode(map)), "a26161016162820203");
  EXPECT_EQ(*CborDecode(Hex("a26161016162820203")), map);
  EXPECT_EQ(*CborDecode(Hex("3903e7"))->AsInt64(), -1000);
  EXPECT_EQ(CborDecode(Hex("1bffffffffffffffff"))->uint_value(),
            std::numeric_limits<uint64_t>::max());
}

TEST(CborTest, IntegerBoundaries) {
  const int64_t min = std::numeric_limits<int64_t>::min();
  EXPECT_EQ(HexEncode(CborEncode(CborValue::Int(min))), "3b7fffffffffffffff");
  EXPECT_EQ(*CborDecode(Hex("3b7fffffffffffffff"))->AsInt64(), min);
  EXPECT_EQ(HexEncode(CborEncode(CborValue::Int(-24))), "37");
  EXPECT_EQ(HexEncode(CborEncode(CborValue::Int(-25))), "3818");
  EXPECT_EQ(HexEncode(CborEncode(CborValue::Uint(0xffffffff))), "1affffffff");
  EXPECT_EQ(HexEncode(CborEncode(CborValue::Uint(0x100000000))), "1b0000000100000000");
  EXPECT_FALSE(CborValue::Uint(std::numeric_limits<uint64_t>::max()).AsInt64());
  EXPECT_FALSE(CborValue::Text("1").AsInt64());
  // RFC 8949 Appendix A's -18446744073709551616 is outside int64: refused, not wrapped.
  ExpectCorrupt("3bffffffffffffffff", "below the int64 range");
}

TEST(CborTest, FindAndAccessors) {
  CborValue map = CborValue::Map({{CborValue::Int(1), CborValue::Int(-8)},
                                  {CborValue::Text("kid"), CborValue::ByteString(Hex("3131"))},
                                  {CborValue::Int(-1), CborValue::Bool(true)}});
  ASSERT_NE(map.Find(1), nullptr);
  EXPECT_EQ(*map.Find(1)->AsInt64(), -8);
  EXPECT_EQ(map.Find("kid")->bytes(), Hex("3131"));
  EXPECT_TRUE(map.Find(-1)->bool_value());
  EXPECT_EQ(map.Find(2), nullptr);
  EXPECT_EQ(map.Find("1"), nullptr);
  EXPECT_EQ(CborValue::Uint(1).Find(1), nullptr);
  EXPECT_TRUE(CborValue().is_null());
  EXPECT_EQ(CborValue::Tag(18, CborValue::Null()).tag(), 18u);
}

TEST(CborTest, SortMapsIsCanonical) {
  CborValue map = CborValue::Map({{CborValue::Text("aa"), CborValue::Uint(0)},
                                  {CborValue::Text("b"), CborValue::Uint(1)},
                                  {CborValue::Int(-1), CborValue::Uint(2)},
                                  {CborValue::Uint(100), CborValue::Uint(3)},
                                  {CborValue::Uint(10), CborValue::Uint(4)}});
  CborValue nested = CborValue::Tag(5, CborValue::Array({map}));
  CborSortMaps(&nested);
  // 10 (0a) < 100 (1864) < -1 (20) < "b" (6162) < "aa" (626161): shorter encodings first.
  EXPECT_EQ(HexEncode(CborEncode(nested)), "c581a50a04186403200261620162616100");
  const CborMap& sorted = nested.tagged().array()[0].map();
  ASSERT_EQ(sorted.size(), 5u);
  EXPECT_EQ(*sorted[0].first.AsInt64(), 10);
  EXPECT_EQ(*sorted[1].first.AsInt64(), 100);
  EXPECT_EQ(*sorted[2].first.AsInt64(), -1);
  EXPECT_EQ(sorted[3].first.text(), "b");
  EXPECT_EQ(sorted[4].first.text(), "aa");
}

TEST(CborTest, RefusesWhatIsNotStrict) {
  ExpectCorrupt("f7", "undefined");
  ExpectCorrupt("f0", "simple value 16");
  ExpectCorrupt("f8ff", "simple value 24");
  ExpectCorrupt("f90000", "floating-point");
  ExpectCorrupt("fa47c35000", "floating-point");
  ExpectCorrupt("fb3ff199999999999a", "floating-point");
  ExpectCorrupt("ff", "break");
  ExpectCorrupt("5f42010243030405ff", "indefinite length");
  ExpectCorrupt("7f657374726561646d696e67ff", "indefinite length");
  ExpectCorrupt("9fff", "indefinite length");
  ExpectCorrupt("bf6346756ef563416d7421ff", "indefinite length");
  ExpectCorrupt("1f", "malformed head");
  ExpectCorrupt("1c", "reserved additional information 28");
  ExpectCorrupt("7e", "reserved additional information 30");
}

TEST(CborTest, RefusesNonShortestHeads) {
  for (const char* hex : {"1817", "190017", "1900ff", "1a0000ffff", "1b00000000ffffffff", "3800",
                          "5800", "7800", "9800", "b800", "d800f6", "d90017f6"}) {
    ExpectCorrupt(hex, "non-shortest head at offset 0");
  }
  ExpectCorrupt(
      "8118ff"
      "00",
      "trailing");                         // the shortest 255 is fine; then trailing
  ExpectCorrupt("830018ff", "truncated");  // [0, 255, ...] ends after two elements
  ExpectCorrupt("83001817", "non-shortest head at offset 2");
}

TEST(CborTest, RefusesInvalidUtf8) {
  ExpectCorrupt("61ff", "UTF-8");
  ExpectCorrupt("62c080", "UTF-8");                 // overlong NUL
  ExpectCorrupt("63eda080", "UTF-8");               // surrogate U+D800
  ExpectCorrupt("64f4908080", "UTF-8");             // above U+10FFFF
  ExpectCorrupt("62e6b0", "UTF-8");                 // cut inside a character
  ExpectCorrupt("6180", "UTF-8");                   // lone continuation byte
  EXPECT_TRUE(CborDecode(Hex("64f48fbfbf")).ok());  // U+10FFFF itself
}

TEST(CborTest, RefusesDuplicateMapKeys) {
  ExpectCorrupt("a201020103", "duplicate map key at offset 3");
  ExpectCorrupt("a2616101616102", "duplicate map key");
  ExpectCorrupt("a3010220030104", "duplicate map key at offset 5");
  ExpectCorrupt("a2820102f6820102f6", "duplicate map key");  // array keys
  EXPECT_TRUE(CborDecode(Hex("a201022003")).ok());           // 1 and -1 differ
  EXPECT_TRUE(CborDecode(Hex("a2016161416101")).ok());       // 1 and "a" differ
}

TEST(CborTest, RefusesTrailingBytesButPrefixReportsThem) {
  ExpectCorrupt("0000", "1 trailing bytes after the item at offset 1");
  auto prefix = CborDecodePrefix(Hex("83010203ffee"));
  ASSERT_TRUE(prefix.ok());
  EXPECT_EQ(prefix->consumed, 4u);
  EXPECT_EQ(prefix->value.array().size(), 3u);
  EXPECT_EQ(*CborValidatePrefix(Hex("83010203ffee")), 4u);
}

// Every proper prefix of a valid encoding is refused, by all four entry points.
TEST(CborTest, TruncatedAtEveryOffset) {
  CborValue value = CborValue::Tag(
      18, CborValue::Array({CborValue::ByteString(Hex("a10127")),
                            CborValue::Map({{CborValue::Int(4), CborValue::Text("kid \xc3\xbc")},
                                            {CborValue::Int(-70000), CborValue::Bool(false)}}),
                            CborValue::ByteString(Bytes(300, 0x55)), CborValue::Uint(0x123456789),
                            CborValue::Null()}));
  const Bytes full = CborEncode(value);
  ASSERT_EQ(*CborDecode(full), value);
  for (size_t n = 0; n < full.size(); ++n) {
    ByteSpan cut(full.data(), n);
    auto decoded = CborDecode(cut);
    ASSERT_FALSE(decoded.ok()) << n;
    EXPECT_EQ(decoded.status().code(), ErrorCode::kCorruptData);
    EXPECT_THAT(decoded.status().message(), HasSubstr("truncated")) << n;
    EXPECT_FALSE(CborDecodePrefix(cut).ok()) << n;
    EXPECT_FALSE(CborValidate(cut).ok()) << n;
    EXPECT_FALSE(CborValidatePrefix(cut).ok()) << n;
  }
}

TEST(CborTest, RefusesHugeDeclaredLengthsBeforeAllocating) {
  ExpectCorrupt("5bffffffffffffffff00", "truncated string (length 18446744073709551615");
  ExpectCorrupt("7a7fffffff", "truncated string");
  ExpectCorrupt("9bffffffffffffffff00", "truncated array");
  ExpectCorrupt("bbffffffffffffffff0000", "truncated map");
  ExpectCorrupt("99ffff00", "truncated array");
  ExpectCorrupt("a2000000", "truncated map");  // 2 entries need 4 items, 3 bytes left
}

TEST(CborTest, DepthLimit) {
  auto nested = [](size_t depth) {
    Bytes b(depth, 0x81);  // [[[...0...]]]
    b.push_back(0x00);
    return b;
  };
  EXPECT_TRUE(CborDecode(nested(16)).ok());
  ExpectCorrupt(HexEncode(nested(17)), "nesting deeper than 16 at offset 16");
  // Tags nest too.
  Bytes tags(17, 0xc1);
  tags.push_back(0x00);
  EXPECT_EQ(CborDecode(tags).status().code(), ErrorCode::kCorruptData);
  // Far deeper input than the limit costs nothing: the walk stops at the limit.
  EXPECT_EQ(CborValidate(nested(1'000'000)).code(), ErrorCode::kCorruptData);
  EXPECT_TRUE(CborDecode(nested(40), CborLimits{.max_depth = 40}).ok());
  EXPECT_TRUE(CborDecode(Hex("00"), CborLimits{.max_depth = 0}).ok());
  EXPECT_FALSE(CborDecode(Hex("80"), CborLimits{.max_depth = 0}).ok());
  EXPECT_EQ(CborDecode(Hex("00"), CborLimits{.max_depth = 100000}).status().code(),
            ErrorCode::kInvalidArgument);
}

TEST(CborTest, ItemLimit) {
  Bytes many;
  CborAppendHead(CborMajor::kArray, 4097, &many);
  many.resize(many.size() + 4097, 0x00);
  ExpectCorrupt(HexEncode(many), "more than 4096 items");
  EXPECT_TRUE(CborDecode(many, CborLimits{.max_items = 4097}).ok());
  // Items are counted across the whole tree, not per container.
  Bytes split = Hex("82");
  for (int i = 0; i < 2; ++i) {
    CborAppendHead(CborMajor::kArray, 3000, &split);
    split.resize(split.size() + 3000, 0x00);
  }
  EXPECT_EQ(CborDecode(split).status().code(), ErrorCode::kCorruptData);
  EXPECT_TRUE(CborDecode(split, CborLimits{.max_items = 6002}).ok());
}

TEST(CborTest, ByteStringsAndTextRoundTrip) {
  Bytes big(70000, 0xab);
  CborValue v =
      CborValue::Array({CborValue::ByteString(big), CborValue::Text(std::string(300, 'x')),
                        CborValue::ByteString({})});
  Bytes encoded = CborEncode(v);
  EXPECT_EQ(HexEncode(ByteSpan(encoded).subspan(0, 6)), "835a00011170");
  EXPECT_EQ(*CborDecode(encoded), v);
}

}  // namespace
}  // namespace licet::format
