#include "protect/stub_client/cbor_lite.h"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <vector>

#include "protect/stub_client/stub_client.h"

namespace licet::protect::cbor {
namespace {

using nlohmann::json;

TEST(CborLiteTest, WriterOutputIsWhatNlohmannReads) {
  uint8_t buf[256];
  Writer w;
  Init(&w, buf, sizeof buf);
  Head(&w, kMap, 4);
  KeyUint(&w, "id", 70000);
  Text(&w, "op");
  Text(&w, "crypt");
  KeyUint(&w, "big", 1ULL << 40);
  const uint8_t data[3] = {1, 2, 3};
  KeyBytes(&w, "data", data, 3);
  ASSERT_FALSE(w.overflow);
  json j = json::from_cbor(std::vector<uint8_t>(buf, buf + w.len), true, false);
  ASSERT_FALSE(j.is_discarded());
  EXPECT_EQ(j["id"], 70000);
  EXPECT_EQ(j["op"], "crypt");
  EXPECT_EQ(j["big"], 1ULL << 40);
  EXPECT_EQ(static_cast<const std::vector<uint8_t>&>(j["data"].get_binary()), std::vector<uint8_t>({1, 2, 3}));
}

TEST(CborLiteTest, WriterReportsOverflow) {
  uint8_t buf[4];
  Writer w;
  Init(&w, buf, sizeof buf);
  Text(&w, "too long");
  EXPECT_TRUE(w.overflow);
}

TEST(CborLiteTest, ReaderRefusesMalformed) {
  const std::vector<std::vector<uint8_t>> bad = {
      {},                   // nothing
      {0x1c},               // reserved additional info
      {0x5f, 0xff},         // indefinite byte string
      {0x19, 0x01},         // truncated uint16
      {0x45, 1, 2},         // string longer than the input
      {0x9b, 0, 0, 0, 1, 0, 0, 0, 0},  // huge array count
  };
  for (const auto& b : bad) {
    Reader r;
    Init(&r, b.data(), b.size());
    EXPECT_FALSE(Skip(&r)) << b.size();
  }
  // Nesting beyond the limit.
  std::vector<uint8_t> deep(kMaxDepth + 1, 0x81);
  deep.push_back(0);
  Reader r;
  Init(&r, deep.data(), deep.size());
  EXPECT_FALSE(Skip(&r));
}

TEST(StubResponseTest, ParsesLicetdAnswersStrictly) {
  using stub::StubParseResponseForTest;
  auto cbor = [](const json& j) { return json::to_cbor(j); };
  auto ok = cbor({{"id", 1}, {"code", 0}, {"handle", 5}, {"item", {{"unit_counter", 3}, {"text", "x"}, {"protected_data", json::binary({1, 2})}, {"f", 1.5}}}});
  EXPECT_EQ(StubParseResponseForTest(ok.data(), ok.size()), 0);
  auto refused = cbor({{"id", 1}, {"code", 33}, {"message", "feature missing"}});
  EXPECT_EQ(StubParseResponseForTest(refused.data(), refused.size()), 33);
  const json bad[] = {
      json::array({1, 2}),                                   // not a map
      {{"code", 0}},                                         // no id
      {{"id", 1}},                                           // no code
      {{"id", "1"}, {"code", 0}},                            // id of the wrong type
      {{"id", 1}, {"code", -1}},                             // negative code
      {{"id", 1}, {"code", 0}, {"data", json::binary(std::vector<uint8_t>(33))}},  // too long
      {{"id", 1}, {"code", 0}, {"item", 5}},                 // item not a map
  };
  for (const json& j : bad) {
    auto b = cbor(j);
    EXPECT_EQ(StubParseResponseForTest(b.data(), b.size()), -1) << j.dump();
  }
  auto trailing = ok;
  trailing.push_back(0);
  EXPECT_EQ(StubParseResponseForTest(trailing.data(), trailing.size()), -1);
}

}  // namespace
}  // namespace licet::protect::cbor
