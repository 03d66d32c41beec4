#include "common/env.h"

#include <gtest/gtest.h>
#include <stdlib.h>
#include <sys/stat.h>

namespace licet {
namespace {

class EnvTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/licet-env-test-XXXXXX";
    ASSERT_NE(mkdtemp(tmpl), nullptr);
    dir_ = tmpl;
  }
  void TearDown() override { std::system(("rm -rf " + dir_).c_str()); }
  std::string dir_;
};

TEST_F(EnvTest, AtomicWriteReplacesAndSetsMode) {
  Env& env = Env::Default();
  std::string path = JoinPath(dir_, "f");
  ASSERT_TRUE(env.WriteFileAtomic(path, AsBytes("one"), 0600).ok());
  ASSERT_TRUE(env.WriteFileAtomic(path, AsBytes("two"), 0600).ok());
  EXPECT_EQ(*env.ReadFile(path), ToBytes("two"));
  struct stat st;
  ASSERT_EQ(stat(path.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  // No temp files are left behind.
  EXPECT_EQ(env.ListDirectory(dir_)->size(), 1u);
}

TEST_F(EnvTest, InjectedCrashLeavesOldContent) {
  FaultInjectingEnv env;
  std::string path = JoinPath(dir_, "f");
  ASSERT_TRUE(env.WriteFileAtomic(path, AsBytes("old"), 0600).ok());
  env.FailWritesFrom(0);
  EXPECT_FALSE(env.WriteFileAtomic(path, AsBytes("new"), 0600).ok());
  EXPECT_EQ(*env.ReadFile(path), ToBytes("old"));
  env.Heal();
  EXPECT_TRUE(env.WriteFileAtomic(path, AsBytes("new"), 0600).ok());
}

TEST_F(EnvTest, ReadRefusesOversizeAndMissing) {
  Env& env = Env::Default();
  std::string path = JoinPath(dir_, "big");
  ASSERT_TRUE(env.WriteFileAtomic(path, Bytes(100, 1), 0600).ok());
  EXPECT_EQ(env.ReadFile(path, 10).status().code(), ErrorCode::kInvalidArgument);
  EXPECT_EQ(env.ReadFile(JoinPath(dir_, "none")).status().code(), ErrorCode::kNotFound);
}

TEST_F(EnvTest, CreateDirectoriesAndLock) {
  Env& env = Env::Default();
  std::string nested = JoinPath(dir_, "a/b/c");
  ASSERT_TRUE(env.CreateDirectories(nested).ok());
  auto lock = env.Lock(JoinPath(nested, "lock"), LockMode::kExclusive);
  ASSERT_TRUE(lock.ok());
  EXPECT_TRUE(lock->held());
}

TEST(PathTest, JoinAndDirName) {
  EXPECT_EQ(JoinPath("/a/", "b"), "/a/b");
  EXPECT_EQ(JoinPath("/a", "b"), "/a/b");
  EXPECT_EQ(DirName("/a/b"), "/a");
  EXPECT_EQ(DirName("b"), ".");
  EXPECT_EQ(DirName("/b"), "/");
}

}  // namespace
}  // namespace licet
