#include "central/engine/ticket_code.h"

#include <gtest/gtest.h>

#include <set>

namespace licet::central::engine {
namespace {

constexpr char kAlphabet[] = "0123456789ABCDEFGHJKMNPQRSTVWXYZ";

TEST(TicketCodeTest, GeneratedCodesParseAndDiffer) {
  std::set<std::string> seen;
  for (int i = 0; i < 500; ++i) {
    std::string code = GenerateTicketCode();
    ASSERT_EQ(code.size(), kTicketCodeLength);
    auto parsed = ParseTicketCode(FormatTicketCode(code));
    ASSERT_TRUE(parsed.ok()) << code << ": " << parsed.status().ToString();
    EXPECT_EQ(*parsed, code);
    seen.insert(code);
  }
  EXPECT_EQ(seen.size(), 500u);
}

TEST(TicketCodeTest, FormatsInFiveGroups) {
  std::string code = GenerateTicketCode();
  std::string formatted = FormatTicketCode(code);
  ASSERT_EQ(formatted.size(), 29u);
  for (size_t i : {5u, 11u, 17u, 23u}) EXPECT_EQ(formatted[i], '-');
}

TEST(TicketCodeTest, ToleratesCaseDashesSpacesAndConfusables) {
  // Build a code containing 1 and 0 so that I, L and O stand in for them.
  std::string payload = "10ABCDEFGHJKMNPQRSTV1010";
  char check = CheckCharacter(payload);
  if (check == '\0') payload[23] = '2', check = CheckCharacter(payload);
  ASSERT_NE(check, '\0');
  std::string code = payload + check;
  std::string typed;
  for (char c : FormatTicketCode(code)) {
    typed += c == '1' ? 'l' : c == '0' ? 'O' : static_cast<char>(std::tolower(c));
  }
  typed = " " + typed + " ";
  auto parsed = ParseTicketCode(typed);
  ASSERT_TRUE(parsed.ok()) << typed << ": " << parsed.status().ToString();
  EXPECT_EQ(*parsed, code);
  std::string with_i = code;
  for (char& c : with_i)
    if (c == '1') c = 'I';
  EXPECT_EQ(*ParseTicketCode(with_i), code);
}

// The point of the check character: every single-character typo is caught.
TEST(TicketCodeTest, EverySingleSubstitutionIsDetected) {
  for (int round = 0; round < 20; ++round) {
    std::string code = GenerateTicketCode();
    for (size_t pos = 0; pos < code.size(); ++pos) {
      for (char c : std::string(kAlphabet)) {
        if (c == code[pos]) continue;
        std::string typo = code;
        typo[pos] = c;
        auto parsed = ParseTicketCode(typo);
        ASSERT_FALSE(parsed.ok()) << code << " -> " << typo << " was accepted";
        EXPECT_NE(parsed.status().message().find("typo"), std::string::npos);
      }
    }
  }
}

TEST(TicketCodeTest, EveryAdjacentSwapIsDetected) {
  for (int round = 0; round < 50; ++round) {
    std::string code = GenerateTicketCode();
    for (size_t pos = 0; pos + 1 < code.size(); ++pos) {
      if (code[pos] == code[pos + 1]) continue;
      std::string typo = code;
      std::swap(typo[pos], typo[pos + 1]);
      EXPECT_FALSE(ParseTicketCode(typo).ok()) << code << " -> " << typo;
    }
  }
}

TEST(TicketCodeTest, RefusesMalformedInput) {
  std::string code = GenerateTicketCode();
  EXPECT_FALSE(ParseTicketCode("").ok());
  EXPECT_FALSE(ParseTicketCode(code.substr(0, 24)).ok());
  EXPECT_FALSE(ParseTicketCode(code + "0").ok());
  EXPECT_FALSE(ParseTicketCode(std::string(65, '-')).ok());
  std::string bad = code;
  bad[3] = 'U';
  EXPECT_FALSE(ParseTicketCode(bad).ok());
  bad[3] = '*';
  EXPECT_FALSE(ParseTicketCode(bad).ok());
  bad = code;
  bad[24] = '$';  // Crockford's check symbol for 34: never issued
  EXPECT_FALSE(ParseTicketCode(bad).ok());
  EXPECT_FALSE(ParseTicketCode(std::string("\0", 1) + code.substr(1)).ok());
}

TEST(TicketCodeTest, CheckValuesFollowCrockfordMod37) {
  // "0000...01" has value 1; "0000...0Z" value 31; "00..010" value 32 -> not issued.
  EXPECT_EQ(CheckCharacter(std::string(23, '0') + "1"), '1');
  EXPECT_EQ(CheckCharacter(std::string(23, '0') + "Z"), 'Z');
  EXPECT_EQ(CheckCharacter(std::string(22, '0') + "10"), '\0');
  EXPECT_EQ(CheckCharacter(std::string(22, '0') + "15"), '0');  // 37 mod 37
}

TEST(TicketCodeTest, MaskShowsOnlyTheFirstGroup) {
  std::string code = GenerateTicketCode();
  EXPECT_EQ(MaskTicketCode(code), code.substr(0, 5) + "-*****-*****-*****-*****");
  EXPECT_EQ(MaskTicketCode("garbage"), "*****");
}

}  // namespace
}  // namespace licet::central::engine
