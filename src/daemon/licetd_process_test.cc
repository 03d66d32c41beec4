// licetd as a child process: start it the way the integration tests will, kill it -9 in the
// middle of a decrement storm, restart it, and check the units.
#include <gtest/gtest.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <stdlib.h>
#include <sys/wait.h>

#include <atomic>
#include <thread>

#include "daemon/test_client.h"
#include "engine/context_file.h"
#include "engine/firm_key.h"
#include "engine/update_file.h"

extern char** environ;

namespace licet::daemon::testing {
namespace {

using nlohmann::json;

constexpr uint32_t kFirm = 6000010;
constexpr uint64_t kUnits = 100000;

std::string LicetdPath() {
  if (const char* dir = std::getenv("LICET_BIN_DIR")) return std::string(dir) + "/licetd";
  char self[4096];
  ssize_t n = ::readlink("/proc/self/exe", self, sizeof self - 1);
  std::string exe(self, n > 0 ? static_cast<size_t>(n) : 0);
  return exe.substr(0, exe.rfind('/')) + "/../bin/licetd";  // build/tests -> build/bin
}

class LicetdProcessTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/licetd-process-test-XXXXXX";
    ASSERT_NE(mkdtemp(tmpl), nullptr);
    dir_ = tmpl;
    socket_ = dir_ + "/run/licetd.sock";
    engine::ContainerStore store(dir_ + "/home");
    serial_ = *store.Create();
    engine::FirmKey firm = *engine::GenerateFirmKey(kFirm, "Sample", SystemClock::Get().Now());
    auto ctx = *engine::ReadContextFile(*engine::MakeContextFile(
        *store.Open(serial_), kFirm, format::FileKind::kContext, SystemClock::Get().Now()));
    model::ProductItem item;
    item.product_code = 201010;
    item.unit_counter = kUnits;
    std::vector<model::OperationBody> ops;
    ops.push_back(model::op::AddProduct{item});
    ASSERT_TRUE(engine::ImportUpdate(store, *engine::CreateUpdateFile(firm, ctx, std::move(ops),
                                                                      SystemClock::Get().Now()))
                    .ok());
  }
  void TearDown() override {
    if (pid_ > 0) {
      ::kill(pid_, SIGKILL);
      ::waitpid(pid_, nullptr, 0);
    }
    std::system(("rm -rf " + dir_).c_str());
  }

  // Starts licetd and waits for its "licetd ready" line; returns that line.
  std::string Start() {
    int out[2];
    EXPECT_EQ(::pipe(out), 0);
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_adddup2(&actions, out[1], 1);
    posix_spawn_file_actions_addclose(&actions, out[0]);
    std::string path = LicetdPath();
    std::vector<std::string> args = {path,          "--foreground", "--socket",       socket_,
                                     "--home",      dir_ + "/home", "--admin-listen", "127.0.0.1:0",
                                     "--log-level", "warn",         "--config",       "/dev/null"};
    std::vector<char*> argv;
    for (auto& a : args) argv.push_back(a.data());
    argv.push_back(nullptr);
    EXPECT_EQ(posix_spawn(&pid_, path.c_str(), &actions, nullptr, argv.data(), environ), 0) << path;
    posix_spawn_file_actions_destroy(&actions);
    ::close(out[1]);
    std::string line;
    pollfd pfd{out[0], POLLIN, 0};
    char ch;
    while (line.find('\n') == std::string::npos && ::poll(&pfd, 1, 10000) > 0 &&
           ::read(out[0], &ch, 1) == 1) {
      line += ch;
    }
    ::close(out[0]);
    return line;
  }
  int Wait() {
    int status = 0;
    ::waitpid(pid_, &status, 0);
    pid_ = -1;
    return status;
  }
  // Units left, as a fresh client sees them.
  uint64_t UnitsLeft() {
    TestClient c;
    EXPECT_TRUE(c.Connect(socket_));
    EXPECT_TRUE(c.Hello());
    json r =
        c.Call({{"op", "access"}, {"firm_code", kFirm}, {"product_code", 201010}, {"mode", 2}});
    return r["item"].value("unit_counter", uint64_t{0});
  }

  std::string dir_;
  std::string socket_;
  std::string serial_;
  pid_t pid_ = -1;
};

TEST_F(LicetdProcessTest, PrintsReadyLineAndStopsCleanlyOnSigterm) {
  std::string ready = Start();
  ASSERT_NE(ready.find("licetd ready socket=" + socket_), std::string::npos) << ready;
  ASSERT_NE(ready.find("admin=127.0.0.1:"), std::string::npos);
  EXPECT_EQ(ready.find("admin=127.0.0.1:0 "), std::string::npos);  // the bound port, not 0
  EXPECT_EQ(UnitsLeft(), kUnits);
  ::kill(pid_, SIGHUP);  // reload: keeps serving
  EXPECT_EQ(UnitsLeft(), kUnits);
  ::kill(pid_, SIGTERM);
  int status = Wait();
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << status;
  EXPECT_NE(::access(socket_.c_str(), F_OK), 0);
}

TEST_F(LicetdProcessTest, SecondInstanceExitsWithCode3) {
  Start();
  pid_t first = pid_;
  std::string second = Start();
  EXPECT_EQ(second, "");
  int status = Wait();
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 3) << status;
  pid_ = first;
}

// The guarantee of docs/LICETD.md "Units and crashes": a decrement is answered only after it
// is on disk, so after kill -9 and a restart
//   granted <= total - left <= granted + (decrements sent but not answered at the kill).
TEST_F(LicetdProcessTest, UnitsSurviveKill9DuringADecrementStorm) {
  ASSERT_NE(Start().find("ready"), std::string::npos);
  constexpr int kClients = 4;
  std::atomic<uint64_t> granted{0};
  std::atomic<int> unanswered{0};
  std::atomic<bool> go{true};
  std::vector<std::thread> clients;
  for (int i = 0; i < kClients; ++i) {
    clients.emplace_back([&] {
      TestClient c;
      if (!c.Connect(socket_) || !c.Hello()) return;
      json r =
          c.Call({{"op", "access"}, {"firm_code", kFirm}, {"product_code", 201010}, {"mode", 2}});
      uint64_t handle = r.value("handle", uint64_t{0});
      while (go) {
        if (!c.Send({{"op", "units"}, {"handle", handle}, {"decrement", 1}})) return;
        auto answer = c.Read();
        if (!answer) {  // killed while this decrement was in flight
          ++unanswered;
          return;
        }
        if ((*answer)["code"] == 0) ++granted;
      }
    });
  }
  std::this_thread::sleep_for(std::chrono::milliseconds(400));
  ::kill(pid_, SIGKILL);
  Wait();
  go = false;
  for (auto& t : clients) t.join();
  ASSERT_GT(granted.load(), 0u);

  ASSERT_NE(Start().find("ready"), std::string::npos);  // stale socket and lock are no obstacle
  const uint64_t taken = kUnits - UnitsLeft();
  EXPECT_GE(taken, granted.load());
  EXPECT_LE(taken, granted.load() + static_cast<uint64_t>(unanswered.load()));
  std::printf("granted %llu, taken %llu, unanswered at the kill %d\n",
              static_cast<unsigned long long>(granted.load()),
              static_cast<unsigned long long>(taken), unanswered.load());
}

}  // namespace
}  // namespace licet::daemon::testing
