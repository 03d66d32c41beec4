#include "format/payload.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <limits>
#include <string>

#include "format/cbor.h"

namespace licet::format {
namespace {

using nlohmann::json;
using ::testing::HasSubstr;

Bytes Hex(const std::string& hex) { return *HexDecode(hex); }

json Sample() {
  json j;
  j["firm_code"] = 6000010u;
  j["product_code"] = 13;
  j["offset"] = -3600;
  j["big"] = std::numeric_limits<uint64_t>::max();
  j["name"] = "Licet \xc3\xbc";
  j["public_key"] = Binary(Bytes(32, 0x42));
  j["active"] = true;
  j["items"] = json::array({json{{"code", 1}}, json{{"code", 2}, {"units", 100}}});
  j["empty"] = json::object();
  return j;
}

void ExpectCorrupt(ByteSpan data, const std::string& message_part) {
  auto decoded = DecodePayload(data);
  ASSERT_FALSE(decoded.ok()) << HexEncode(data);
  EXPECT_EQ(decoded.status().code(), ErrorCode::kCorruptData);
  EXPECT_THAT(decoded.status().message(), HasSubstr(message_part));
}

TEST(PayloadTest, RoundTrip) {
  const json j = Sample();
  const Bytes encoded = EncodePayload(j);
  // nlohmann's encoding passes the strict decoder: shortest heads, no floats.
  EXPECT_TRUE(CborValidate(encoded, CborLimits{.max_items = 1000}).ok());
  auto decoded = DecodePayload(encoded);
  ASSERT_TRUE(decoded.ok()) << decoded.status().message();
  EXPECT_EQ(*decoded, j);
  EXPECT_TRUE(decoded->at("public_key").is_binary());
}

TEST(PayloadTest, RefusesNonMaps) {
  ExpectCorrupt(Hex("80"), "must be a CBOR map");
  ExpectCorrupt(Hex("01"), "must be a CBOR map");
  ExpectCorrupt(Hex("6161"), "must be a CBOR map");
  ExpectCorrupt({}, "empty");
}

TEST(PayloadTest, RefusesWhatNlohmannWouldAccept) {
  ExpectCorrupt(Hex("a16161f93c00"), "floating-point");       // {"a": 1.0}
  ExpectCorrupt(Hex("bf616101ff"), "indefinite");             // indefinite map
  ExpectCorrupt(Hex("a2616101616102"), "duplicate map key");  // {"a": 1, "a": 2}
  ExpectCorrupt(Hex("a161611817"), "non-shortest");           // {"a": 23} in 2 bytes
  ExpectCorrupt(Hex("a16161c101"), "tags are not allowed");   // {"a": 1(1)}
  ExpectCorrupt(Hex("a10101"), "map keys must be text");      // {1: 1}
  ExpectCorrupt(Hex("a1616161ff"), "UTF-8");                  // {"a": "\xff"}
  ExpectCorrupt(Hex("a1616100"
                    "00"),
                "trailing");
  ExpectCorrupt(Hex("a16161f7"), "undefined");
}

TEST(PayloadTest, RefusesDeepAndLarge) {
  Bytes deep = Hex("a16161");
  for (int i = 0; i < 16; ++i) deep.push_back(0x81);
  deep.push_back(0);
  ExpectCorrupt(deep, "nesting deeper than 16");
  Bytes very_deep = Hex("a16161");
  very_deep.resize(very_deep.size() + 500000, 0x81);
  very_deep.push_back(0);
  ExpectCorrupt(very_deep, "nesting");
  const Bytes encoded = EncodePayload(Sample());
  auto too_big = DecodePayload(encoded, encoded.size() - 1);
  EXPECT_EQ(too_big.status().code(), ErrorCode::kCorruptData);
  EXPECT_THAT(too_big.status().message(), HasSubstr("more than the limit"));
  EXPECT_TRUE(DecodePayload(encoded, encoded.size()).ok());
}

TEST(PayloadTest, TruncatedAtEveryOffset) {
  const Bytes encoded = EncodePayload(Sample());
  for (size_t n = 0; n < encoded.size(); ++n) {
    EXPECT_EQ(DecodePayload(ByteSpan(encoded.data(), n)).status().code(), ErrorCode::kCorruptData)
        << n;
  }
}

TEST(PayloadTest, Getters) {
  const json j = *DecodePayload(EncodePayload(Sample()));
  EXPECT_EQ(*GetUint(j, "firm_code"), 6000010u);
  EXPECT_EQ(*GetUint32(j, "product_code"), 13u);
  EXPECT_EQ(*GetInt(j, "offset"), -3600);
  EXPECT_EQ(*GetInt(j, "product_code"), 13);
  EXPECT_EQ(*GetUint(j, "big"), std::numeric_limits<uint64_t>::max());
  EXPECT_EQ(*GetString(j, "name"), "Licet \xc3\xbc");
  EXPECT_EQ(*GetBinary(j, "public_key"), Bytes(32, 0x42));
  EXPECT_EQ(*GetBinaryOfSize(j, "public_key", 32), Bytes(32, 0x42));
  EXPECT_TRUE(*GetBool(j, "active"));
  const json* items = *GetArray(j, "items");
  ASSERT_EQ(items->size(), 2u);
  EXPECT_EQ(*GetUint(items->at(1), "units"), 100u);
  EXPECT_TRUE((*GetMap(j, "empty"))->empty());
}

TEST(PayloadTest, GettersWorkBeforeEncoding) {
  // Built in memory, "product_code" is a signed json integer; it still reads as unsigned.
  const json j = Sample();
  EXPECT_EQ(*GetUint32(j, "product_code"), 13u);
  EXPECT_EQ(*GetBinary(j, "public_key"), Bytes(32, 0x42));
}

TEST(PayloadTest, GetterErrorsNameTheField) {
  const json j = *DecodePayload(EncodePayload(Sample()));
  auto message = [](const Status& s) {
    EXPECT_EQ(s.code(), ErrorCode::kCorruptData);
    return s.message();
  };
  EXPECT_EQ(message(GetUint(j, "missing").status()), "field 'missing' is missing");
  EXPECT_EQ(message(GetUint(j, "name").status()), "field 'name' must be an unsigned integer");
  EXPECT_EQ(message(GetUint(j, "offset").status()), "field 'offset' must be an unsigned integer");
  EXPECT_EQ(message(GetUint32(j, "big").status()),
            "field 'big' is 18446744073709551615, above the maximum 4294967295");
  EXPECT_EQ(message(GetInt(j, "big").status()),
            "field 'big' is 18446744073709551615, above the maximum 9223372036854775807");
  EXPECT_EQ(message(GetInt(j, "name").status()), "field 'name' must be an integer");
  EXPECT_EQ(message(GetString(j, "firm_code").status()), "field 'firm_code' must be a text string");
  EXPECT_EQ(message(GetBinary(j, "name").status()), "field 'name' must be a byte string");
  EXPECT_EQ(message(GetBinaryOfSize(j, "public_key", 31).status()),
            "field 'public_key' must be 31 bytes, got 32");
  EXPECT_EQ(message(GetBool(j, "firm_code").status()), "field 'firm_code' must be true or false");
  EXPECT_EQ(message(GetMap(j, "items").status()), "field 'items' must be a map");
  EXPECT_EQ(message(GetArray(j, "empty").status()), "field 'empty' must be an array");
  EXPECT_EQ(message(GetUint(json::array({1}), "firm_code").status()),
            "field 'firm_code' is missing");
  EXPECT_EQ(GetUint(j, "name").status().WithContext("product item 3").message(),
            "product item 3: field 'name' must be an unsigned integer");
}

TEST(PayloadTest, OptionalGetters) {
  const json j = *DecodePayload(EncodePayload(Sample()));
  EXPECT_EQ(*GetOptionalUint(j, "firm_code"), 6000010u);
  EXPECT_FALSE(GetOptionalUint(j, "missing")->has_value());
  EXPECT_EQ(GetOptionalUint(j, "name").status().code(), ErrorCode::kCorruptData);
  EXPECT_EQ(*GetOptionalUint32(j, "product_code"), 13u);
  EXPECT_FALSE(GetOptionalUint32(j, "big").ok());
  EXPECT_EQ(*GetOptionalInt(j, "offset"), -3600);
  EXPECT_EQ(*GetOptionalBool(j, "active"), true);
  EXPECT_EQ(*GetOptionalString(j, "name"), "Licet \xc3\xbc");
  EXPECT_FALSE(GetOptionalString(j, "missing")->has_value());
  EXPECT_EQ(**GetOptionalBinary(j, "public_key"), Bytes(32, 0x42));
  EXPECT_FALSE(GetOptionalBinary(j, "firm_code").ok());
  EXPECT_EQ(*GetOptionalMap(j, "missing"), nullptr);
  EXPECT_NE(*GetOptionalMap(j, "empty"), nullptr);
  EXPECT_EQ(*GetOptionalArray(j, "missing"), nullptr);
  EXPECT_FALSE(GetOptionalArray(j, "empty").ok());
  // Present but null is a wrong type, not absence.
  json with_null = {{"x", nullptr}};
  EXPECT_FALSE(GetOptionalUint(with_null, "x").ok());
}

}  // namespace
}  // namespace licet::format
