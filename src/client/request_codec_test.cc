#include "client/request_codec.h"

#include <gtest/gtest.h>

#include <cstring>
#include <vector>

namespace licet::client {
namespace {

using nlohmann::json;

std::vector<uint8_t> Vec(const json& binary) {
  const auto& b = binary.get_binary();
  return std::vector<uint8_t>(b.begin(), b.end());
}

licet_access_params Params() {
  licet_access_params p = LICET_ACCESS_PARAMS_INIT;
  p.firm_code = 6000010;
  p.product_code = 201010;
  return p;
}

TEST(RequestCodecTest, AccessCarriesEveryField) {
  licet_access_params p = Params();
  p.feature_code = 0x3;
  p.mode = LICET_MODE_STATION_SHARE;
  p.where = LICET_WHERE_LOCAL_LAN;
  p.release_date = 1700000000;
  p.serial = "130-1166426881";
  p.server = "licenses.example";
  uint8_t key[32];
  for (int i = 0; i < 32; ++i) key[i] = static_cast<uint8_t>(i);
  p.firm_public_key = key;
  auto r = EncodeAccess(&p);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ((*r)["op"], "access");
  EXPECT_EQ((*r)["firm_code"], 6000010);
  EXPECT_EQ((*r)["product_code"], 201010);
  EXPECT_EQ((*r)["feature_code"], 3);
  EXPECT_EQ((*r)["mode"], 2);
  EXPECT_EQ((*r)["where"], 2);
  EXPECT_EQ((*r)["release_date"], 1700000000);
  EXPECT_EQ((*r)["item"], false);  // the C API needs only the handle: a lean answer
  EXPECT_EQ((*r)["serial"], "130-1166426881");
  EXPECT_EQ((*r)["server"], "licenses.example");
  ASSERT_TRUE((*r)["firm_key"].is_binary());
  EXPECT_EQ(Vec((*r)["firm_key"]), std::vector<uint8_t>(key, key + 32));
}

TEST(RequestCodecTest, AccessDefaultsOmitOptionalFields) {
  licet_access_params p = Params();
  auto r = EncodeAccess(&p);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ((*r)["mode"], LICET_MODE_USER_LIMIT);
  EXPECT_EQ((*r)["where"], LICET_WHERE_LOCAL);
  EXPECT_FALSE(r->contains("serial"));
  EXPECT_FALSE(r->contains("server"));
  EXPECT_FALSE(r->contains("firm_key"));
}

TEST(RequestCodecTest, AccessRefusesBadInput) {
  EXPECT_EQ(EncodeAccess(nullptr).status().code(), ErrorCode::kInvalidArgument);
  struct Case {
    const char* name;
    void (*mutate)(licet_access_params&);
  };
  const Case cases[] = {
      {"zero size", [](licet_access_params& p) { p.size = 0; }},
      {"absurd size", [](licet_access_params& p) { p.size = 1u << 30; }},
      {"size below the minimum", [](licet_access_params& p) { p.size = 8; }},
      {"no firm code", [](licet_access_params& p) { p.firm_code = 0; }},
      {"where", [](licet_access_params& p) { p.where = 4; }},
      {"negative where", [](licet_access_params& p) { p.where = -1; }},
      {"mode 0", [](licet_access_params& p) { p.mode = 0; }},
      {"two modes", [](licet_access_params& p) { p.mode = LICET_MODE_EXCLUSIVE | LICET_MODE_USER_LIMIT; }},
      {"empty serial", [](licet_access_params& p) { p.serial = ""; }},
      {"long serial", [](licet_access_params& p) {
         static const std::string s(100, '1');
         p.serial = s.c_str();
       }},
      {"empty server", [](licet_access_params& p) { p.server = ""; }},
  };
  for (const Case& c : cases) {
    licet_access_params p = Params();
    c.mutate(p);
    auto r = EncodeAccess(&p);
    EXPECT_EQ(r.status().code(), ErrorCode::kInvalidArgument) << c.name;
    EXPECT_FALSE(r.status().message().empty()) << c.name;
  }
}

TEST(RequestCodecTest, OlderSmallerParamsTakeDefaults) {
  // An app whose header ended after product_code: the rest must be the _INIT defaults,
  // whatever lies in memory after it.
  licet_access_params p = Params();
  p.mode = 77;  // beyond the declared size: must not be read
  p.serial = reinterpret_cast<const char*>(0x1);
  p.size = kMinAccessParamsSize;
  auto r = EncodeAccess(&p);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ((*r)["mode"], LICET_MODE_USER_LIMIT);
  EXPECT_FALSE(r->contains("serial"));
}

TEST(RequestCodecTest, NewerLargerParamsNeedZeroTail) {
  struct Newer {
    licet_access_params base;
    uint64_t future_field;
  } n{};
  n.base = Params();
  n.base.size = sizeof(Newer);
  n.future_field = 0;
  EXPECT_TRUE(EncodeAccess(&n.base).ok());
  n.future_field = 5;
  auto r = EncodeAccess(&n.base);
  EXPECT_EQ(r.status().code(), ErrorCode::kInvalidArgument);
  EXPECT_NE(r.status().message().find("update liblicet"), std::string::npos);
}

TEST(RequestCodecTest, CryptRequests) {
  licet_crypt_params p = LICET_CRYPT_PARAMS_INIT;
  p.encryption_code = 42;
  p.feature_code = 1;
  for (int i = 0; i < 12; ++i) p.iv[i] = static_cast<uint8_t>(i);
  for (int i = 0; i < 16; ++i) p.tag[i] = static_cast<uint8_t>(0xa0 + i);
  uint8_t buf[5] = {1, 2, 3, 4, 5};
  auto enc = EncodeCrypt(7, LICET_CRYPT_ENCRYPT, &p, buf, sizeof(buf));
  ASSERT_TRUE(enc.ok());
  EXPECT_EQ((*enc)["handle"], 7);
  EXPECT_EQ((*enc)["crypt_op"], 1);
  EXPECT_EQ((*enc)["encryption_code"], 42);
  EXPECT_EQ((*enc)["feature_code"], 1);
  EXPECT_EQ((*enc)["iv"].get_binary().size(), 12u);
  EXPECT_EQ(Vec((*enc)["data"]), std::vector<uint8_t>(buf, buf + 5));
  EXPECT_FALSE(enc->contains("tag"));
  auto dec = EncodeCrypt(7, LICET_CRYPT_DECRYPT, &p, buf, sizeof(buf));
  ASSERT_TRUE(dec.ok());
  EXPECT_EQ((*dec)["tag"].get_binary()[0], 0xa0);
  EXPECT_TRUE(EncodeCrypt(7, LICET_CRYPT_DIRECT, &p, nullptr, 0).ok());

  EXPECT_EQ(EncodeCrypt(7, 0, &p, buf, 5).status().code(), ErrorCode::kInvalidArgument);
  EXPECT_EQ(EncodeCrypt(7, 4, &p, buf, 5).status().code(), ErrorCode::kInvalidArgument);
  EXPECT_EQ(EncodeCrypt(7, 1, nullptr, buf, 5).status().code(), ErrorCode::kInvalidArgument);
  EXPECT_EQ(EncodeCrypt(7, 1, &p, nullptr, 5).status().code(), ErrorCode::kInvalidArgument);
  EXPECT_EQ(EncodeCrypt(7, 1, &p, buf, LICET_CRYPT_MAX_LEN + 1).status().code(), ErrorCode::kInvalidArgument);
  p.size = sizeof(p) - 1;  // the tag is part of every version
  EXPECT_EQ(EncodeCrypt(7, 1, &p, buf, 5).status().code(), ErrorCode::kInvalidArgument);
}

TEST(RequestCodecTest, CryptResponses) {
  licet_crypt_params p = LICET_CRYPT_PARAMS_INIT;
  uint8_t buf[3] = {0, 0, 0};
  json good = {{"data", json::binary({7, 8, 9})}, {"tag", json::binary(std::vector<uint8_t>(16, 0x55))}};
  ASSERT_TRUE(DecodeCrypt(good, LICET_CRYPT_ENCRYPT, &p, buf, 3).ok());
  EXPECT_EQ(buf[2], 9);
  EXPECT_EQ(p.tag[15], 0x55);

  uint8_t untouched[3] = {1, 1, 1};
  json short_data = {{"data", json::binary({7, 8})}, {"tag", json::binary(std::vector<uint8_t>(16))}};
  EXPECT_EQ(DecodeCrypt(short_data, LICET_CRYPT_ENCRYPT, &p, untouched, 3).code(), ErrorCode::kProtocolError);
  json no_tag = {{"data", json::binary({7, 8, 9})}};
  EXPECT_EQ(DecodeCrypt(no_tag, LICET_CRYPT_ENCRYPT, &p, untouched, 3).code(), ErrorCode::kProtocolError);
  EXPECT_TRUE(DecodeCrypt(no_tag, LICET_CRYPT_DIRECT, &p, untouched, 3).ok());
  json text_data = {{"data", "abc"}};
  EXPECT_EQ(DecodeCrypt(text_data, LICET_CRYPT_DIRECT, &p, buf, 3).code(), ErrorCode::kProtocolError);
}

json ItemResponse() {
  return {{"serial", "130-1166426881"},
          {"item",
           {{"firm_code", 6000010},
            {"product_code", 201010},
            {"feature_map", 3},
            {"unit_counter", 100},
            {"expiration", 1893456000},
            {"usage_period", 86400},
            {"license_quantity", 5},
            {"access_modes", 15},
            {"text", "Sample App"},
            {"protected_data", json::binary({1, 2, 3})}}}};
}

TEST(RequestCodecTest, ItemInfoFromResponse) {
  licet_item_info info = LICET_ITEM_INFO_INIT;
  ASSERT_TRUE(DecodeItemInfo(ItemResponse(), &info).ok());
  EXPECT_EQ(info.size, sizeof(info));
  EXPECT_STREQ(info.serial, "130-1166426881");
  EXPECT_EQ(info.firm_code, 6000010u);
  EXPECT_EQ(info.product_code, 201010u);
  EXPECT_EQ(info.feature_map, 3u);
  EXPECT_EQ(info.has_unit_counter, 1);
  EXPECT_EQ(info.unit_counter, 100u);
  EXPECT_EQ(info.expiration, 1893456000);
  EXPECT_EQ(info.activation_time, 0);
  EXPECT_EQ(info.usage_period, 86400);
  EXPECT_EQ(info.license_quantity, 5u);
  EXPECT_EQ(info.access_modes, 15u);
  EXPECT_STREQ(info.text, "Sample App");
  EXPECT_EQ(info.protected_data_size, 3u);
  EXPECT_EQ(info.protected_data[2], 3);

  json no_units = ItemResponse();
  no_units["item"].erase("unit_counter");
  ASSERT_TRUE(DecodeItemInfo(no_units, &info).ok());
  EXPECT_EQ(info.has_unit_counter, 0);

  json empty_data = ItemResponse();  // what licetd sends for an item without protected data
  empty_data["item"]["protected_data"] = json::binary({});
  ASSERT_TRUE(DecodeItemInfo(empty_data, &info).ok());
  EXPECT_EQ(info.protected_data_size, 0u);
}

TEST(RequestCodecTest, ItemInfoWritesOnlyWhatTheCallerDeclared) {
  struct Guarded {
    licet_item_info info;
    uint8_t canary[64];
  } g;
  memset(&g, 0xcc, sizeof(g));
  g.info.size = kMinItemInfoSize;  // an app that only knows serial, firm and product code
  ASSERT_TRUE(DecodeItemInfo(ItemResponse(), &g.info).ok());
  EXPECT_EQ(g.info.size, kMinItemInfoSize);
  EXPECT_EQ(g.info.product_code, 201010u);
  const auto* bytes = reinterpret_cast<const uint8_t*>(&g.info);
  for (size_t i = kMinItemInfoSize; i < sizeof(g.info); ++i) ASSERT_EQ(bytes[i], 0xcc) << i;

  // A newer app with a larger struct: the tail this library does not know reads as zero.
  memset(&g, 0xcc, sizeof(g));
  g.info.size = sizeof(licet_item_info) + 16;
  ASSERT_TRUE(DecodeItemInfo(ItemResponse(), &g.info).ok());
  for (int i = 0; i < 16; ++i) EXPECT_EQ(g.canary[i], 0) << i;
  EXPECT_EQ(g.canary[16], 0xcc);
}

TEST(RequestCodecTest, ItemInfoCutsLongTextAtACharacterBoundary) {
  json r = ItemResponse();
  std::string text(255, 'a');
  text += "\xc3\xa9\xc3\xa9";  // "éé": the first é straddles the 256-byte limit
  r["item"]["text"] = text;
  licet_item_info info = LICET_ITEM_INFO_INIT;
  ASSERT_TRUE(DecodeItemInfo(r, &info).ok());
  EXPECT_EQ(strlen(info.text), 255u);
}

TEST(RequestCodecTest, ItemInfoRefusesMalformedResponses) {
  auto with = [](const char* key, json value) {
    json r = ItemResponse();
    r["item"][key] = std::move(value);
    return r;
  };
  const json bad[] = {
      json::object(),
      {{"serial", "130-1"}},
      {{"serial", 5}, {"item", ItemResponse()["item"]}},
      {{"serial", std::string(40, '1')}, {"item", ItemResponse()["item"]}},
      with("firm_code", "6000010"),
      with("firm_code", -1),
      with("product_code", 1ull << 33),
      with("unit_counter", -5),
      with("expiration", "tomorrow"),
      with("text", 17),
      with("protected_data", json::binary(std::vector<uint8_t>(257))),
      with("protected_data", "text"),
  };
  for (const json& r : bad) {
    licet_item_info info = LICET_ITEM_INFO_INIT;
    info.firm_code = 12345;
    EXPECT_EQ(DecodeItemInfo(r, &info).code(), ErrorCode::kProtocolError) << r.dump();
    EXPECT_EQ(info.firm_code, 12345u) << "info must stay untouched: " << r.dump();
  }
}

TEST(RequestCodecTest, StructSizeRules) {
  licet_item_info info = LICET_ITEM_INFO_INIT;
  EXPECT_TRUE(CheckStructSize(&info, sizeof(info), kMinItemInfoSize, sizeof(info), false, "x").ok());
  EXPECT_FALSE(CheckStructSize(&info, 0, kMinItemInfoSize, sizeof(info), false, "x").ok());
  EXPECT_FALSE(CheckStructSize(&info, kMinItemInfoSize - 1, kMinItemInfoSize, sizeof(info), false, "x").ok());
  EXPECT_FALSE(CheckStructSize(&info, kMaxStructSize + 1, kMinItemInfoSize, sizeof(info), false, "x").ok());
}

TEST(RequestCodecTest, HandleAndRemaining) {
  EXPECT_EQ(DecodeHandle({{"handle", 9}}).value_or(0), 9u);
  EXPECT_EQ(DecodeHandle(json::object()).status().code(), ErrorCode::kProtocolError);
  EXPECT_EQ(DecodeHandle({{"handle", "9"}}).status().code(), ErrorCode::kProtocolError);
  EXPECT_EQ(DecodeRemaining({{"remaining", 0}}).value_or(1), 0u);
  EXPECT_EQ(DecodeRemaining({{"remaining", -1}}).status().code(), ErrorCode::kProtocolError);
}

TEST(RequestCodecTest, ListIsJsonTextWithBytesAsHex) {
  json r = {{"id", 3},
            {"code", 0},
            {"containers", json::array({{{"serial", "130-1"}, {"key", json::binary({0xab, 0x01})}}})}};
  auto text = DecodeList(r);
  ASSERT_TRUE(text.ok());
  json back = json::parse(*text);
  EXPECT_FALSE(back.contains("id"));
  EXPECT_FALSE(back.contains("code"));
  EXPECT_EQ(back["containers"][0]["key"], "ab01");
  EXPECT_EQ(DecodeList({{"containers", 5}}).status().code(), ErrorCode::kProtocolError);
  // Invalid UTF-8 from the peer is replaced, never thrown.
  json bad_utf8 = {{"containers", json::array({std::string("\xff\xfe")})}};
  EXPECT_TRUE(DecodeList(bad_utf8).ok());
}

}  // namespace
}  // namespace licet::client
