#include "client/connection.h"

#include <gtest/gtest.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <thread>

#include "client/fake_licetd.h"

namespace licet::client {
namespace {

using nlohmann::json;
using std::chrono::milliseconds;

ConnectionOptions Fast() {
  ConnectionOptions options;
  options.timeout = milliseconds(300);
  return options;
}

TEST(ConnectionTest, MissingSocketIsUnavailableAndSaysWhatToDo) {
  auto c = Connection::Open("/tmp/licet-no-such-dir/licetd.sock");
  ASSERT_FALSE(c.ok());
  EXPECT_EQ(c.status().code(), ErrorCode::kUnavailable);
  EXPECT_NE(c.status().message().find("/tmp/licet-no-such-dir/licetd.sock"), std::string::npos);
  EXPECT_NE(c.status().message().find("start licetd"), std::string::npos);
}

TEST(ConnectionTest, StaleSocketIsUnavailable) {
  // A socket file nobody listens on (licetd crashed without removing it).
  FakeLicetd fake;
  std::string path = fake.socket_path() + ".stale";
  int fd = ::socket(AF_UNIX, SOCK_STREAM, 0);
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  strncpy(addr.sun_path, path.c_str(), sizeof(addr.sun_path) - 1);
  ASSERT_EQ(::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)), 0);
  ::close(fd);
  auto c = Connection::Open(path);
  ::unlink(path.c_str());
  ASSERT_FALSE(c.ok());
  EXPECT_EQ(c.status().code(), ErrorCode::kUnavailable);
  EXPECT_NE(c.status().message().find("nothing listens on"), std::string::npos);
}

TEST(ConnectionTest, RefusesBadPaths) {
  EXPECT_EQ(Connection::Open("").status().code(), ErrorCode::kInvalidArgument);
  EXPECT_EQ(Connection::Open(std::string(200, 'x')).status().code(), ErrorCode::kInvalidArgument);
}

TEST(ConnectionTest, HelloThenCallsWithIncreasingIds) {
  FakeLicetd fake;
  auto c = Connection::Open(fake.socket_path());
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  EXPECT_EQ((*c)->server(), "fake-licetd 0.1.0");
  auto r = (*c)->Call({{"op", "access"}, {"firm_code", 6000010}, {"product_code", 201010}});
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_TRUE(r->contains("handle"));
  auto requests = fake.requests();
  ASSERT_EQ(requests.size(), 2u);
  EXPECT_EQ(requests[0]["op"], "hello");
  EXPECT_EQ(requests[0]["version"], 1);
  EXPECT_EQ(requests[0]["id"], 1);
  EXPECT_EQ(requests[1]["id"], 2);
}

TEST(ConnectionTest, ErrorResponsesBecomeStatusesAndKeepTheConnection) {
  FakeLicetd fake;
  auto c = Connection::Open(fake.socket_path());
  ASSERT_TRUE(c.ok());
  auto r = (*c)->Call({{"op", "access"}, {"firm_code", 6000010}, {"product_code", 1}});
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), ErrorCode::kEntryNotFound);
  EXPECT_EQ(r.status().message(), "no product 1");
  EXPECT_TRUE((*c)->usable());
  EXPECT_TRUE((*c)->Call({{"op", "list"}}).ok());
}

TEST(ConnectionTest, RefusesRequestsWithoutOp) {
  FakeLicetd fake;
  auto c = Connection::Open(fake.socket_path());
  ASSERT_TRUE(c.ok());
  EXPECT_EQ((*c)->Call({{"x", 1}}).status().code(), ErrorCode::kInvalidArgument);
  EXPECT_EQ((*c)->Call(json::array()).status().code(), ErrorCode::kInvalidArgument);
}

TEST(ConnectionTest, OtherProtocolVersionIsRefused) {
  FakeLicetd fake([](const json& r) -> json {
    if (r["op"] == "hello") return {{"version", 2}, {"server", "licetd 9"}};
    return json::object();
  });
  auto c = Connection::Open(fake.socket_path());
  ASSERT_FALSE(c.ok());
  EXPECT_EQ(c.status().code(), ErrorCode::kUnsupportedVersion);
}

TEST(ConnectionTest, SilentServerTimesOutAsUnavailable) {
  FakeLicetd fake;
  auto c = Connection::Open(fake.socket_path(), Fast());
  ASSERT_TRUE(c.ok());
  fake.set_handler([](const json&) { return json{{"silent", true}}; });
  auto start = std::chrono::steady_clock::now();
  auto r = (*c)->Call({{"op", "list"}});
  auto took = std::chrono::steady_clock::now() - start;
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), ErrorCode::kUnavailable);
  EXPECT_NE(r.status().message().find("did not answer within 300 ms"), std::string::npos) << r.status().message();
  EXPECT_GE(took, milliseconds(290));
  EXPECT_LT(took, milliseconds(3000));
  // The stream may be out of step now: the connection stays broken.
  EXPECT_FALSE((*c)->usable());
  auto again = (*c)->Call({{"op", "list"}});
  EXPECT_EQ(again.status().code(), ErrorCode::kUnavailable);
  EXPECT_NE(again.status().message().find("was lost"), std::string::npos);
}

TEST(ConnectionTest, ServerClosingBreaksTheConnection) {
  FakeLicetd fake;
  auto c = Connection::Open(fake.socket_path());
  ASSERT_TRUE(c.ok());
  EXPECT_TRUE((*c)->Probe());
  fake.DropConnections();
  auto r = (*c)->Call({{"op", "list"}});
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), ErrorCode::kUnavailable);
  EXPECT_FALSE((*c)->usable());
}

TEST(ConnectionTest, ProbeNoticesAClosedConnection) {
  FakeLicetd fake;
  auto c = Connection::Open(fake.socket_path());
  ASSERT_TRUE(c.ok());
  fake.DropConnections();
  // The FIN arrives at once on a Unix socket, but give the fake's thread a moment.
  bool alive = true;
  for (int i = 0; i < 100 && alive; ++i) {
    alive = (*c)->Probe();
    if (alive) std::this_thread::sleep_for(milliseconds(10));
  }
  EXPECT_FALSE(alive);
  EXPECT_FALSE((*c)->usable());
}

TEST(ConnectionTest, MalformedResponsesAreProtocolErrors) {
  struct Case {
    const char* name;
    json response;
  };
  const Case cases[] = {
      {"garbage CBOR", {{"raw", json::binary({0, 0, 0, 3, 0xff, 0x00, 0x13})}}},
      {"zero length", {{"raw", json::binary({0, 0, 0, 0})}}},
      {"over the frame limit", {{"raw", json::binary({0x7f, 0, 0, 0})}}},
      {"not a map", {{"raw", json::binary({0, 0, 0, 2, 0x81, 0x01})}}},
      {"wrong id", {{"id", 999}}},
      {"no code", {{"raw", json::binary({0, 0, 0, 5, 0xa1, 0x62, 'i', 'd', 0x02})}}},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    FakeLicetd fake;
    auto conn = Connection::Open(fake.socket_path(), Fast());
    ASSERT_TRUE(conn.ok());
    json response = c.response;
    fake.set_handler([response](const json&) { return response; });
    auto r = (*conn)->Call({{"op", "list"}});
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.status().code(), ErrorCode::kProtocolError) << r.status().ToString();
    EXPECT_FALSE((*conn)->usable());
  }
}

TEST(ConnectionTest, ProtocolErrorFromLicetdBreaksTheConnection) {
  FakeLicetd fake;
  auto c = Connection::Open(fake.socket_path());
  ASSERT_TRUE(c.ok());
  fake.set_handler([](const json&) { return json{{"code", 102}, {"message", "bad frame"}}; });
  EXPECT_EQ((*c)->Call({{"op", "list"}}).status().code(), ErrorCode::kProtocolError);
  EXPECT_FALSE((*c)->usable());
}

TEST(ConnectionTest, OversizeRequestIsRefusedLocally) {
  FakeLicetd fake;
  auto c = Connection::Open(fake.socket_path());
  ASSERT_TRUE(c.ok());
  json big = {{"op", "crypt"}, {"data", json::binary(std::vector<uint8_t>(17u << 20))}};
  EXPECT_EQ((*c)->Call(big).status().code(), ErrorCode::kInvalidArgument);
  EXPECT_TRUE((*c)->usable());
}

std::atomic<int> g_signals{0};
void CountSignal(int) { ++g_signals; }

TEST(ConnectionTest, SignalsDuringACallAreRetried) {
  // A handler without SA_RESTART makes poll/recv fail with EINTR.
  struct sigaction sa {};
  sa.sa_handler = CountSignal;
  sigemptyset(&sa.sa_mask);
  struct sigaction old {};
  ASSERT_EQ(sigaction(SIGUSR1, &sa, &old), 0);
  FakeLicetd fake;
  auto c = Connection::Open(fake.socket_path());
  ASSERT_TRUE(c.ok());
  fake.set_handler([&fake](const json& r) {
    std::this_thread::sleep_for(milliseconds(200));
    return fake.DefaultHandler(r);
  });
  pthread_t caller = pthread_self();
  std::atomic<bool> done{false};
  std::thread signaller([&] {
    while (!done) {
      pthread_kill(caller, SIGUSR1);
      std::this_thread::sleep_for(milliseconds(5));
    }
  });
  auto r = (*c)->Call({{"op", "list"}});
  done = true;
  signaller.join();
  sigaction(SIGUSR1, &old, nullptr);
  EXPECT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_GT(g_signals.load(), 0);
}

TEST(ConnectionTest, ConcurrentCallsAreSerialised) {
  FakeLicetd fake;
  auto c = Connection::Open(fake.socket_path());
  ASSERT_TRUE(c.ok());
  std::atomic<int> ok{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 8; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < 50; ++i) {
        if ((*c)->Call({{"op", "list"}}).ok()) ++ok;
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(ok.load(), 400);
}

TEST(ConnectionTest, ForkedChildCannotUseTheParentsConnection) {
  FakeLicetd fake;
  auto c = Connection::Open(fake.socket_path());
  ASSERT_TRUE(c.ok());
  pid_t pid = fork();
  ASSERT_GE(pid, 0);
  if (pid == 0) {
    auto r = (*c)->Call({{"op", "list"}});
    bool right = !r.ok() && r.status().code() == ErrorCode::kUnavailable &&
                 r.status().message().find("fork") != std::string::npos;
    _exit(right ? 0 : 1);
  }
  int status = 0;
  ASSERT_EQ(waitpid(pid, &status, 0), pid);
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0);
  EXPECT_TRUE((*c)->Call({{"op", "list"}}).ok());
}

TEST(ConnectionTest, LargeResponsesAndCurrentPid) {
  FakeLicetd fake;
  auto c = Connection::Open(fake.socket_path(), Fast());
  ASSERT_TRUE(c.ok());
  EXPECT_EQ(CurrentPid(), ::getpid());
  fake.set_handler([](const json&) {
    return json{{"data", json::binary(std::vector<uint8_t>(300000, 0x5a))}};
  });
  for (int i = 0; i < 3; ++i) {  // the reused buffer grows, shrinks and grows again
    auto r = (*c)->Call({{"op", "crypt"}});
    ASSERT_TRUE(r.ok()) << r.status().ToString();
    const std::vector<uint8_t>& data = (*r)["data"].get_binary();
    EXPECT_EQ(data, std::vector<uint8_t>(300000, 0x5a));
  }
  fake.set_handler([](const json&) { return json{{"small", 1}}; });
  EXPECT_TRUE((*c)->Call({{"op", "list"}}).ok());
}

TEST(ConnectionTest, AnswerWithAnExtraFrameBreaksTheConnection) {
  FakeLicetd fake;
  auto c = Connection::Open(fake.socket_path(), Fast());
  ASSERT_TRUE(c.ok());
  // {"id": 2, "code": 0} twice: one answer too many.
  std::vector<uint8_t> frame = {0, 0, 0, 10, 0xa2, 0x62, 'i', 'd', 0x02, 0x64, 'c', 'o', 'd', 'e', 0x00};
  std::vector<uint8_t> raw = frame;
  raw.insert(raw.end(), frame.begin(), frame.end());
  fake.set_handler([raw](const json&) { return json{{"raw", json::binary(raw)}}; });
  auto r = (*c)->Call({{"op", "list"}});
  EXPECT_EQ(r.status().code(), ErrorCode::kProtocolError) << r.status().ToString();
  EXPECT_FALSE((*c)->usable());
}

TEST(ConnectionTest, ForkedChildSeesItsOwnPid) {
  const pid_t parent = CurrentPid();
  pid_t child = ::fork();
  ASSERT_GE(child, 0);
  if (child == 0) _exit(CurrentPid() == ::getpid() && CurrentPid() != parent ? 0 : 1);
  int status = 0;
  ASSERT_EQ(::waitpid(child, &status, 0), child);
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0);
  EXPECT_EQ(CurrentPid(), parent);
}

TEST(ConnectionTest, TimeoutFromEnvironment) {
  unsetenv("LICET_TIMEOUT");
  EXPECT_EQ(TimeoutFromEnvironment(), std::chrono::seconds(30));
  setenv("LICET_TIMEOUT", "5", 1);
  EXPECT_EQ(TimeoutFromEnvironment(), std::chrono::seconds(5));
  for (const char* bad : {"0", "-1", "abc", "5s", "100000", ""}) {
    setenv("LICET_TIMEOUT", bad, 1);
    EXPECT_EQ(TimeoutFromEnvironment(), std::chrono::seconds(30)) << bad;
  }
  unsetenv("LICET_TIMEOUT");
}

TEST(ConnectionTest, SpinFromEnvironment) {
  unsetenv("LICET_SPIN_US");
  const auto fallback = ConnectionOptions{}.spin;
  EXPECT_GT(fallback.count(), 0);
  EXPECT_EQ(SpinFromEnvironment(), fallback);
  setenv("LICET_SPIN_US", "0", 1);
  EXPECT_EQ(SpinFromEnvironment(), std::chrono::microseconds(0));
  setenv("LICET_SPIN_US", "250", 1);
  EXPECT_EQ(SpinFromEnvironment(), std::chrono::microseconds(250));
  for (const char* bad : {"-1", "abc", "5us", "10001", ""}) {
    setenv("LICET_SPIN_US", bad, 1);
    EXPECT_EQ(SpinFromEnvironment(), fallback) << bad;
  }
  unsetenv("LICET_SPIN_US");
}

}  // namespace
}  // namespace licet::client
