#include "network/usage_log.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "common/env.h"

namespace licet::network {
namespace {

class UsageLogTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() /
           ("licet-usage-" + std::to_string(::getpid()) + "-" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::remove_all(dir_);
    auto key = LoadOrCreateUsageKey((dir_ / "usage.key").string());
    ASSERT_TRUE(key.ok()) << key.status().message();
    key_ = std::move(*key);
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  // Writes `n` records for firm 6000010 and returns the file.
  std::string WriteLog(int n, UsageLogOptions options = {.checkpoint_every = 4}) {
    auto set = UsageLogSet::Create((dir_ / "usage").string(), key_, &clock_, options);
    EXPECT_TRUE(set.ok());
    public_key_ = (*set)->public_key();
    for (int i = 0; i < n; ++i) {
      UsageEvent e{i % 3 == 2 ? "deny" : "grant",
                   6000010,
                   13,
                   "00ff",
                   "ws1",
                   "alice",
                   "user_limit",
                   static_cast<uint64_t>(i + 1),
                   i % 3 == 2 ? "no more" : ""};
      clock_.Advance(1);
      EXPECT_TRUE((*set)->Append(e).ok());
    }
    path_ = (*set)->PathFor(6000010);
    set->reset();  // final checkpoint
    auto bytes = Env::Default().ReadFile(path_);
    EXPECT_TRUE(bytes.ok());
    return std::string(bytes->begin(), bytes->end());
  }

  static std::vector<std::string> Lines(const std::string& s) {
    std::vector<std::string> out;
    size_t pos = 0;
    while (pos < s.size()) {
      size_t nl = s.find('\n', pos);
      out.push_back(s.substr(pos, nl - pos));
      pos = nl + 1;
    }
    return out;
  }
  static std::string Join(const std::vector<std::string>& lines) {
    std::string s;
    for (const auto& l : lines) s += l + "\n";
    return s;
  }
  Result<UsageAudit> Verify(const std::string& s) {
    return VerifyUsageLog(AsBytes(s), public_key_);
  }

  std::filesystem::path dir_;
  SecretBytes key_;
  Bytes public_key_;
  std::string path_;
  FakeClock clock_{1'800'000'000};
};

TEST_F(UsageLogTest, WrittenLogVerifies) {
  std::string log = WriteLog(10);
  auto audit = Verify(log);
  ASSERT_TRUE(audit.ok()) << audit.status().message();
  EXPECT_EQ(audit->firm_code, 6000010u);
  EXPECT_EQ(audit->records, 10u);
  EXPECT_EQ(audit->checkpoints, 3u);  // after 4, after 8, and the final one
  EXPECT_EQ(audit->unsigned_tail, 0u);
}

TEST_F(UsageLogTest, KeyIsKeptAndPrivate) {
  auto again = LoadOrCreateUsageKey((dir_ / "usage.key").string());
  ASSERT_TRUE(again.ok());
  EXPECT_TRUE(crypto::ConstantTimeEqual(again->span(), key_.span()));
  struct stat st {};
  ASSERT_EQ(::stat((dir_ / "usage.key").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
}

TEST_F(UsageLogTest, ReopenContinuesTheChain) {
  WriteLog(3);
  std::string log = WriteLog(5);
  auto audit = Verify(log);
  ASSERT_TRUE(audit.ok()) << audit.status().message();
  EXPECT_EQ(audit->records, 8u);
}

TEST_F(UsageLogTest, TornLastLineIsCutOnReopen) {
  std::string log = WriteLog(3);
  ASSERT_TRUE(Env::Default().WriteFileAtomic(path_, AsBytes(log + "{\"v\":1,\"se")).ok());
  EXPECT_FALSE(Verify(log + "{\"v\":1,\"se").ok());
  std::string log2 = WriteLog(2);
  auto audit = Verify(log2);
  ASSERT_TRUE(audit.ok()) << audit.status().message();
  EXPECT_EQ(audit->records, 5u);
}

TEST_F(UsageLogTest, TamperedRecordIsDetected) {
  auto lines = Lines(WriteLog(10));
  size_t at = lines[1].find("alice");
  ASSERT_NE(at, std::string::npos);
  lines[1].replace(at, 5, "mallo");
  auto audit = Verify(Join(lines));
  ASSERT_FALSE(audit.ok());
  EXPECT_EQ(audit.status().code(), ErrorCode::kCorruptData);
  EXPECT_NE(audit.status().message().find("line 3 "), std::string::npos)
      << audit.status().message();
}

TEST_F(UsageLogTest, DeletedRecordIsDetected) {
  auto lines = Lines(WriteLog(10));
  lines.erase(lines.begin() + 2);
  auto audit = Verify(Join(lines));
  ASSERT_FALSE(audit.ok());
  EXPECT_NE(audit.status().message().find("line 3 "), std::string::npos)
      << audit.status().message();
}

TEST_F(UsageLogTest, ReorderedRecordsAreDetected) {
  auto lines = Lines(WriteLog(10));
  std::swap(lines[5], lines[6]);
  auto audit = Verify(Join(lines));
  ASSERT_FALSE(audit.ok());
  EXPECT_NE(audit.status().message().find("line 6 "), std::string::npos)
      << audit.status().message();
}

TEST_F(UsageLogTest, RewrittenChainFailsTheSignature) {
  // An attacker who rewrites a record and recomputes every hash after it cannot re-sign.
  auto lines = Lines(WriteLog(4, {.checkpoint_every = 100}));
  ASSERT_EQ(lines.size(), 5u);  // 4 records and the final checkpoint
  size_t at = lines[0].find("alice");
  lines[0].replace(at, 5, "mallo");
  std::string prev = HexEncode(crypto::Sha256(AsBytes(lines[0])));
  for (size_t i = 1; i < lines.size(); ++i) {
    size_t p = lines[i].find("\"prev\":\"") + 8;
    lines[i].replace(p, 64, prev);
    prev = HexEncode(crypto::Sha256(AsBytes(lines[i])));
  }
  auto audit = Verify(Join(lines));
  ASSERT_FALSE(audit.ok());
  EXPECT_EQ(audit.status().code(), ErrorCode::kBadSignature);
  EXPECT_NE(audit.status().message().find("line 5 "), std::string::npos);
}

TEST_F(UsageLogTest, WrongKeyAndBadInputsAreRefused) {
  std::string log = WriteLog(2);
  auto other = crypto::Ed25519Generate();
  ASSERT_TRUE(other.ok());
  EXPECT_EQ(VerifyUsageLog(AsBytes(log), other->public_key).status().code(),
            ErrorCode::kBadSignature);
  EXPECT_EQ(VerifyUsageLog(AsBytes(log), Bytes(31)).status().code(), ErrorCode::kInvalidArgument);
  for (std::string bad : {std::string("x\n"), std::string("[]\n"), std::string("{}\n"),
                          std::string("{\"seq\":0}"), std::string(5000, 'a') + "\n",
                          std::string(3000, '[') + "\n", log.substr(0, log.size() - 1)}) {
    EXPECT_FALSE(Verify(bad).ok()) << bad.substr(0, 40);
  }
  EXPECT_TRUE(Verify("").ok());  // an empty log is a log with nothing to audit
}

TEST_F(UsageLogTest, UnsignedTailIsReported) {
  std::string log = WriteLog(3, {.checkpoint_every = 2});
  auto lines = Lines(log);
  lines.pop_back();  // drop the final checkpoint: the last record stays chained but unsigned
  auto audit = Verify(Join(lines));
  ASSERT_TRUE(audit.ok());
  EXPECT_EQ(audit->unsigned_tail, 1u);
}

}  // namespace
}  // namespace licet::network

namespace licet::network {
namespace {

TEST(UsageLogTimerTest, QuietServerSignsItsTailAfterTheInterval) {
  auto dir =
      std::filesystem::temp_directory_path() / ("licet-usage-timer-" + std::to_string(::getpid()));
  std::filesystem::remove_all(dir);
  auto key = crypto::Ed25519Generate();
  ASSERT_TRUE(key.ok());
  FakeClock clock(1'800'000'000);
  auto set = UsageLogSet::Create(dir.string(), key->private_key, &clock,
                                 {.checkpoint_every = 100, .checkpoint_interval = 60});
  ASSERT_TRUE(set.ok());
  ASSERT_TRUE((*set)->Append({"grant", 7, 1, "10.0.0.2", "ws", "bob", "user_limit", 1, ""}).ok());
  ASSERT_TRUE((*set)->Append({"grant", 7, 1, "10.0.0.2", "ws", "bob", "user_limit", 2, ""}).ok());
  auto read = [&] { return *Env::Default().ReadFile((*set)->PathFor(7)); };
  ASSERT_TRUE((*set)->CheckpointDue().ok());  // a new file counts from its opening: not due
  auto first = VerifyUsageLog(read(), key->public_key);
  ASSERT_TRUE(first.ok());
  uint64_t checkpoints = first->checkpoints;
  ASSERT_TRUE((*set)->Append({"release", 7, 1, "10.0.0.2", "ws", "bob", "", 1, ""}).ok());
  ASSERT_TRUE((*set)->CheckpointDue().ok());
  EXPECT_EQ(VerifyUsageLog(read(), key->public_key)->checkpoints, checkpoints);  // not yet due
  clock.Advance(61);
  ASSERT_TRUE((*set)->CheckpointDue().ok());
  auto audit = VerifyUsageLog(read(), key->public_key);
  ASSERT_TRUE(audit.ok());
  EXPECT_EQ(audit->checkpoints, checkpoints + 1);
  EXPECT_EQ(audit->unsigned_tail, 0u);
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace licet::network

namespace licet::network {
namespace {

// A version 1 log (before "address" existed, "client" held the address), written by hand the
// way the version 1 writer did.
class UsageLogVersionTest : public UsageLogTest {
 protected:
  std::string V1Log() {
    auto signer = crypto::Ed25519Signer::Create(key_);
    EXPECT_TRUE(signer.ok());
    public_key_ = signer->public_key();
    crypto::Hash zero{};
    nlohmann::json record = {
        {"v", 1},          {"seq", 0},        {"prev", HexEncode(zero)}, {"time", 1800000000},
        {"firm", 6000010}, {"product", 13},   {"event", "grant"},        {"client", "10.1.2.3"},
        {"host", "ws1"},   {"user", "alice"}, {"mode", "user-limit"},    {"lease", 7},
        {"reason", ""}};
    const std::string line0 = record.dump();
    const crypto::Hash prev = crypto::Sha256(AsBytes(line0));
    auto sig = signer->Sign(CheckpointMessage(6000010, 1, 1800000000, prev));
    EXPECT_TRUE(sig.ok());
    nlohmann::json checkpoint = {{"v", 1},
                                 {"seq", 1},
                                 {"prev", HexEncode(prev)},
                                 {"time", 1800000000},
                                 {"firm", 6000010},
                                 {"event", "checkpoint"},
                                 {"sig", HexEncode(*sig)}};
    return line0 + "\n" + checkpoint.dump() + "\n";
  }
};

TEST_F(UsageLogVersionTest, Version2RecordsNameClientIdAndAddress) {
  const std::string log = WriteLog(1);
  EXPECT_NE(log.find("\"address\":\"\""), std::string::npos) << log;
  EXPECT_NE(log.find("\"v\":2"), std::string::npos) << log;
  EXPECT_TRUE(Verify(log).ok());
  // A version 2 record without "address", or a version 1 record with it, is malformed.
  auto lines = Lines(log);
  auto record = nlohmann::json::parse(lines[0]);
  record.erase("address");
  lines[0] = record.dump();
  EXPECT_EQ(Verify(Join(lines)).status().code(), ErrorCode::kCorruptData);
  record["v"] = 3;
  record["address"] = "";
  lines[0] = record.dump();
  EXPECT_EQ(Verify(Join(lines)).status().code(), ErrorCode::kUnsupportedVersion);
}

TEST_F(UsageLogVersionTest, OldLogsStillVerifyAndContinueInVersion2) {
  const std::string v1 = V1Log();
  auto audit = Verify(v1);
  ASSERT_TRUE(audit.ok()) << audit.status().message();
  EXPECT_EQ(audit->records, 1u);
  EXPECT_EQ(audit->checkpoints, 1u);
  // An upgraded server continues the same file with version 2 lines; the whole verifies.
  std::filesystem::create_directories(dir_ / "usage");
  ASSERT_TRUE(Env::Default()
                  .WriteFileAtomic((dir_ / "usage" / "6000010.log").string(), AsBytes(v1), 0600)
                  .ok());
  {
    auto set = UsageLogSet::Create((dir_ / "usage").string(), key_, &clock_);
    ASSERT_TRUE(set.ok());
    UsageEvent e{"release", 6000010, 13, "00ff", "ws1", "alice", "user-limit", 7, "", "10.1.2.3"};
    ASSERT_TRUE((*set)->Append(e).ok());
  }
  auto bytes = Env::Default().ReadFile((dir_ / "usage" / "6000010.log").string());
  ASSERT_TRUE(bytes.ok());
  const std::string mixed(bytes->begin(), bytes->end());
  audit = Verify(mixed);
  ASSERT_TRUE(audit.ok()) << audit.status().message() << "\n" << mixed;
  EXPECT_EQ(audit->records, 2u);
  EXPECT_EQ(audit->unsigned_tail, 0u);
  // Version 1 records keep their own key set: adding "address" to one breaks it.
  auto lines = Lines(v1);
  auto record = nlohmann::json::parse(lines[0]);
  record["address"] = "10.1.2.3";
  lines[0] = record.dump();
  EXPECT_EQ(Verify(Join(lines)).status().code(), ErrorCode::kCorruptData);
}

}  // namespace
}  // namespace licet::network
