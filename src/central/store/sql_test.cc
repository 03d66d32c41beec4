#include "central/store/sql.h"

#include <gtest/gtest.h>

namespace licet::central::store {
namespace {

TEST(NumberPlaceholdersTest, NumbersInOrder) {
  EXPECT_EQ(NumberPlaceholders("SELECT a FROM t WHERE b = ? AND c = ?"),
            "SELECT a FROM t WHERE b = $1 AND c = $2");
  EXPECT_EQ(NumberPlaceholders(""), "");
  EXPECT_EQ(NumberPlaceholders("?"), "$1");
}

TEST(NumberPlaceholdersTest, LeavesLiteralsIdentifiersAndCommentsAlone) {
  EXPECT_EQ(NumberPlaceholders("SELECT '?', 'it''s ?', \"a?b\" FROM t WHERE x = ?"),
            "SELECT '?', 'it''s ?', \"a?b\" FROM t WHERE x = $1");
  EXPECT_EQ(NumberPlaceholders("SELECT 1 -- why?\nWHERE y = ? /* z? */ AND w = ?"),
            "SELECT 1 -- why?\nWHERE y = $1 /* z? */ AND w = $2");
}

TEST(NumberPlaceholdersTest, UnterminatedRunsToTheEnd) {
  EXPECT_EQ(NumberPlaceholders("SELECT '? ?"), "SELECT '? ?");
  EXPECT_EQ(NumberPlaceholders("? /* ?"), "$1 /* ?");
  EXPECT_EQ(NumberPlaceholders("? -- ?"), "$1 -- ?");
}

TEST(RowTest, ConvertsLeniently) {
  Row r({std::monostate{}, int64_t{42}, std::string("17"), Bytes{1, 2}, std::string("ab")});
  EXPECT_TRUE(r.IsNull(0));
  EXPECT_FALSE(r.IsNull(1));
  EXPECT_TRUE(r.IsNull(9));  // out of range reads as NULL
  EXPECT_EQ(r.Int(0), 0);
  EXPECT_EQ(r.Int(1), 42);
  EXPECT_EQ(r.Int(2), 17);
  EXPECT_EQ(r.Text(1), "42");
  EXPECT_EQ(r.Blob(3), (Bytes{1, 2}));
  EXPECT_EQ(r.Blob(4), (Bytes{'a', 'b'}));
  EXPECT_EQ(r.Text(9), "");
}

}  // namespace
}  // namespace licet::central::store
