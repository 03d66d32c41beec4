#include "common/utf8.h"

#include <gtest/gtest.h>

#include <string>

namespace licet {
namespace {

TEST(Utf8Test, AcceptsWellFormed) {
  EXPECT_TRUE(IsValidUtf8(std::string_view("")));
  EXPECT_TRUE(IsValidUtf8(std::string_view("plain ASCII")));
  EXPECT_TRUE(IsValidUtf8(std::string_view("\xc3\xa9 \xe2\x82\xac \xf0\x9f\x94\x91")));  // é € 🔑
  EXPECT_TRUE(IsValidUtf8(std::string_view("\xf4\x8f\xbf\xbf")));                         // U+10FFFF
}

TEST(Utf8Test, RefusesMalformed) {
  for (const char* bad : {"\x80", "\xc0\xaf", "\xc1\xbf", "\xe0\x80\xaf", "\xed\xa0\x80",
                          "\xf0\x80\x80\xaf", "\xf4\x90\x80\x80", "\xf5\x80\x80\x80", "\xc3",
                          "\xe2\x82", "a\xff"}) {
    EXPECT_FALSE(IsValidUtf8(std::string_view(bad))) << ::testing::PrintToString(bad);
  }
}

}  // namespace
}  // namespace licet
