#include "protocol/protocol.h"

#include <gtest/gtest.h>

namespace licet::protocol {
namespace {

using nlohmann::json;

TEST(ProtocolTest, FrameRoundTrip) {
  json msg = {{"id", 7}, {"op", kOpAccess}, {"firm_code", 6000010}, {"data", json::binary({1, 2, 3})}};
  Bytes frame = EncodeFrame(msg);
  size_t n = *DecodeFrameLength(ByteSpan(frame).first(4));
  ASSERT_EQ(n, frame.size() - 4);
  json back = *DecodeMessage(ByteSpan(frame).subspan(4));
  EXPECT_EQ(back, msg);
}

TEST(ProtocolTest, RefusesOversizeAndMalformed) {
  uint8_t huge[4] = {0x01, 0x00, 0x00, 0x01};
  EXPECT_EQ(DecodeFrameLength(huge).status().code(), ErrorCode::kProtocolError);
  uint8_t zero[4] = {0, 0, 0, 0};
  EXPECT_FALSE(DecodeFrameLength(zero).ok());
  Bytes garbage = {0xff, 0x00, 0x13};
  EXPECT_EQ(DecodeMessage(garbage).status().code(), ErrorCode::kProtocolError);
  Bytes array = {0x81, 0x01};  // [1]: not a map
  EXPECT_FALSE(DecodeMessage(array).ok());
  Bytes huge_array = {0x9b, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff};
  EXPECT_FALSE(DecodeMessage(huge_array).ok());
  Bytes deep(200, 0x81);
  deep.push_back(0x01);
  EXPECT_FALSE(DecodeMessage(deep).ok());
}

TEST(ProtocolTest, DecodesEveryTypeTheProtocolUses) {
  json msg = {{"u", 0},
              {"big", UINT64_MAX},
              {"neg", -5},
              {"min", INT64_MIN},
              {"t", "h\xc3\xa9llo"},
              {"b", json::binary(Bytes(70000, 0xab))},
              {"empty", json::binary(Bytes())},
              {"a", json::array({1, "x", nullptr, true, false, json::object()})},
              {"m", {{"k", {{"deeper", 1}}}}}};
  Bytes frame = EncodeFrame(msg);
  auto back = DecodeMessage(ByteSpan(frame).subspan(4));
  ASSERT_TRUE(back.ok()) << back.status().ToString();
  EXPECT_EQ(*back, msg);
  // The reader and nlohmann's agree on what nlohmann writes.
  EXPECT_EQ(*back, json::from_cbor(frame.begin() + 4, frame.end()));
}

TEST(ProtocolTest, NestingLimitIs16) {
  json ok = 1;
  for (int i = 0; i < 15; ++i) ok = json::array({ok});
  json msg = {{"x", ok}};  // the map plus 15 arrays: 16 levels
  Bytes frame = EncodeFrame(msg);
  EXPECT_TRUE(DecodeMessage(ByteSpan(frame).subspan(4)).ok());
  json too_deep = {{"x", json::array({ok})}};
  frame = EncodeFrame(too_deep);
  EXPECT_EQ(DecodeMessage(ByteSpan(frame).subspan(4)).status().code(), ErrorCode::kProtocolError);
}

TEST(ProtocolTest, RefusesWhatTheProtocolDoesNotUse) {
  const std::vector<Bytes> bad = {
      {},                                    // empty
      {0xa1, 0x61, 0x61},                    // {"a": <missing>}
      {0xa1, 0x61, 0x61, 0x01, 0x00},        // trailing byte
      {0xa1, 0x01, 0x01},                    // integer key
      {0xa2, 0x61, 0x61, 0x01, 0x61, 0x61, 0x02},  // duplicate key
      {0xa1, 0x61, 0x61, 0xf9, 0x3c, 0x00},  // half float
      {0xa1, 0x61, 0x61, 0xfb, 0, 0, 0, 0, 0, 0, 0, 0},  // double
      {0xa1, 0x61, 0x61, 0xf7},              // undefined
      {0xa1, 0x61, 0x61, 0xc1, 0x01},        // tag
      {0xbf, 0x61, 0x61, 0x01, 0xff},        // indefinite map
      {0xa1, 0x61, 0x61, 0x5f, 0x41, 0x00, 0xff},  // indefinite byte string
      {0xa1, 0x61, 0x61, 0x62, 0xc3, 0x28},  // invalid UTF-8 value
      {0xa1, 0x62, 0xed, 0xa0, 0x01},        // surrogate in a key
      {0xa1, 0x61, 0x61, 0x3b, 0x80, 0, 0, 0, 0, 0, 0, 0},  // below INT64_MIN
      {0xa1, 0x61, 0x61, 0x5a, 0xff, 0xff, 0xff, 0xff},     // byte string longer than input
      {0xa1, 0x61, 0x61, 0x9a, 0xff, 0xff, 0xff, 0xff},     // array longer than input
      {0xbb, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff},  // map longer than input
      {0xa1, 0x61, 0x61, 0x1c},              // reserved head
      {0xa1, 0x61, 0x61, 0x19, 0x01},        // truncated argument
  };
  for (const Bytes& b : bad) {
    EXPECT_EQ(DecodeMessage(b).status().code(), ErrorCode::kProtocolError) << HexEncode(b);
  }
}

TEST(ProtocolTest, StatusTravelsInResponses) {
  json err = ErrorResponse(3, Error(ErrorCode::kExpired, "product 201010 expired"));
  Status st = ResponseStatus(err);
  EXPECT_EQ(st.code(), ErrorCode::kExpired);
  EXPECT_EQ(st.message(), "product 201010 expired");
  EXPECT_TRUE(ResponseStatus(OkResponse(3)).ok());
  EXPECT_EQ(ResponseStatus(json::object()).code(), ErrorCode::kProtocolError);
}

}  // namespace
}  // namespace licet::protocol
