#include "common/status.h"

#include <gtest/gtest.h>

namespace licet {
namespace {

Result<int> Half(int x) {
  if (x % 2 != 0) return Error(ErrorCode::kInvalidArgument, "odd");
  return x / 2;
}

Result<int> Quarter(int x) {
  LICET_ASSIGN_OR_RETURN(int h, Half(x));
  LICET_ASSIGN_OR_RETURN(int q, Half(h));
  return q;
}

Status CheckEven(int x) {
  LICET_RETURN_IF_ERROR(Half(x));
  return Status::Ok();
}

TEST(StatusTest, OkByDefault) {
  Status s;
  EXPECT_TRUE(s.ok());
  EXPECT_EQ(s.code(), ErrorCode::kOk);
}

TEST(StatusTest, MacrosPropagateTheFirstError) {
  EXPECT_EQ(*Quarter(8), 2);
  Result<int> r = Quarter(6);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), ErrorCode::kInvalidArgument);
  EXPECT_EQ(r.status().message(), "odd");
  EXPECT_TRUE(CheckEven(4).ok());
  EXPECT_FALSE(CheckEven(5).ok());
}

TEST(StatusTest, CodesHaveStableNamesAndNumbers) {
  // Frozen numbers: changing one breaks the C ABI and the wire protocol.
  EXPECT_EQ(static_cast<int>(ErrorCode::kUnitCounterZero), 32);
  EXPECT_EQ(static_cast<int>(ErrorCode::kExpired), 35);
  EXPECT_EQ(static_cast<int>(ErrorCode::kFucGap), 48);
  EXPECT_EQ(static_cast<int>(ErrorCode::kEntryNotFound), 200);
  EXPECT_EQ(static_cast<int>(ErrorCode::kNoMoreLicenses), 212);
  EXPECT_STREQ(ErrorCodeName(ErrorCode::kDeviceMismatch), "device_mismatch");
  EXPECT_STREQ(ErrorCodeText(ErrorCode::kDeviceMismatch), "container is bound to another device");
  EXPECT_STREQ(ErrorCodeName(static_cast<ErrorCode>(9999)), "unknown");
}

TEST(StatusTest, WithContextKeepsTheCode) {
  Status s = Error(ErrorCode::kNotFound, "no file").WithContext("reading x");
  EXPECT_EQ(s.code(), ErrorCode::kNotFound);
  EXPECT_EQ(s.message(), "reading x: no file");
}

}  // namespace
}  // namespace licet
