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
