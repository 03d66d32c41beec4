#include "common/bytes.h"

#include <gtest/gtest.h>

namespace licet {
namespace {

TEST(BytesTest, HexRoundTrip) {
  Bytes data = {0x00, 0x01, 0xab, 0xff};
  EXPECT_EQ(HexEncode(data), "0001abff");
  EXPECT_EQ(*HexDecode("0001ABff"), data);
}

TEST(BytesTest, HexRefusesBadInput) {
  EXPECT_EQ(HexDecode("abc").status().code(), ErrorCode::kInvalidArgument);
  EXPECT_EQ(HexDecode("zz").status().code(), ErrorCode::kInvalidArgument);
}

TEST(BytesTest, SecretBytesMoveLeavesSourceEmpty) {
  SecretBytes a(ToBytes("secret"));
  SecretBytes b = std::move(a);
  EXPECT_TRUE(a.empty());  // NOLINT: checking the moved-from state on purpose
  EXPECT_EQ(b.size(), 6u);
  SecretBytes c = b.Clone();
  EXPECT_EQ(Bytes(c.span().begin(), c.span().end()), ToBytes("secret"));
}

}  // namespace
}  // namespace licet
