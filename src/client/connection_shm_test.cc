// Connection::CallInPlace against a scripted licetd that maps the region it is sent and
// publishes whatever progress the test wants: values beyond the length, going backwards, or
// none; an error after everything was copied back early. The caller's buffer must end up
// holding the result, its own input, or zeros — never a mix.
#include <gtest/gtest.h>
#include <sched.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstring>
#include <functional>
#include <optional>
#include <thread>
#include <utility>
#include <vector>

#include "client/connection.h"
#include "protocol/protocol.h"
#include "protocol/shm.h"

namespace licet::client {
namespace {

using nlohmann::json;

// What the scripted licetd does with one crypt: `progress` values to store in turn (a short
// pause after each), then the answer's code (the data is XORed with 0xff first, as a stand-in
// for the cipher).
struct Script {
  std::vector<uint64_t> progress;
  int code = 0;
  bool offer_progress = true;
  bool echo_cpu = false;  // answer "cpu" = the request's: licetd on the client's CPU
};

class ScriptedLicetd {
 public:
  explicit ScriptedLicetd(Script script) : script_(std::move(script)) {
    char tmpl[] = "/tmp/licet-shm-client-XXXXXX";
    EXPECT_NE(::mkdtemp(tmpl), nullptr);
    dir_ = tmpl;
    path_ = dir_ + "/licetd.sock";
    listener_ = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_un addr{};
    addr.sun_family = AF_UNIX;
    std::strncpy(addr.sun_path, path_.c_str(), sizeof addr.sun_path - 1);
    EXPECT_EQ(::bind(listener_, reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0);
    EXPECT_EQ(::listen(listener_, 1), 0);
    thread_ = std::thread([this] { Serve(); });
  }
  ~ScriptedLicetd() {
    ::shutdown(listener_, SHUT_RDWR);
    if (peer_ >= 0) ::shutdown(peer_, SHUT_RDWR);
    thread_.join();
    ::close(listener_);
    if (peer_ >= 0) ::close(peer_);
    ::unlink(path_.c_str());
    ::rmdir(dir_.c_str());
  }
  const std::string& path() const { return path_; }
  // The last crypt request as received.
  json last_request() const { return last_request_; }

 private:
  void Serve() {
    peer_ = ::accept4(listener_, nullptr, nullptr, SOCK_CLOEXEC);
    if (peer_ < 0) return;
    for (;;) {
      int fd = -1;
      auto request = Read(&fd);
      if (!request) return;
      json answer = {{"id", (*request)["id"]}, {"code", 0}};
      if ((*request)["op"] == "hello") {
        answer["version"] = 1;
        answer["shm"] = true;
        answer["shm_progress"] = script_.offer_progress;
      } else {
        last_request_ = *request;
        Crypt(*request, fd, answer);
      }
      if (!Write(answer)) return;
    }
  }
  void Crypt(const json& request, int fd, json& answer) {
    if (fd >= 0) region_ = *protocol::ShmRegion::Adopt(fd, request["shm_size"].get<uint64_t>());
    auto data = *region_->Slice(request["shm_offset"], request["shm_length"]);
    for (uint8_t& b : data) b ^= 0xff;
    if (request.contains("shm_progress")) {
      auto word = *region_->Counter(request["shm_progress"], data, "shm_progress");
      for (uint64_t value : script_.progress) {
        word.Store(value);
        std::this_thread::sleep_for(std::chrono::microseconds(200));
      }
    }
    answer["code"] = script_.code;
    if (script_.echo_cpu && request.contains("cpu")) answer["cpu"] = request["cpu"];
    if (script_.code == 0) {
      answer["tag"] = json::binary(Bytes(16, 0x77));
    } else {
      answer["message"] = "scripted failure";
    }
  }
  std::optional<json> Read(int* fd) {
    Bytes frame(protocol::kFrameHeaderSize);
    if (!ReadExactly(frame.data(), frame.size(), fd)) return std::nullopt;
    auto length = protocol::DecodeFrameLength(frame);
    if (!length.ok()) return std::nullopt;
    Bytes body(*length);
    if (!ReadExactly(body.data(), body.size(), fd)) return std::nullopt;
    auto message = protocol::DecodeMessage(body);
    if (!message.ok()) return std::nullopt;
    return *message;
  }
  bool ReadExactly(uint8_t* out, size_t size, int* fd) {
    for (size_t done = 0; done < size;) {
      alignas(cmsghdr) char control[CMSG_SPACE(sizeof(int))];
      iovec iov{out + done, size - done};
      msghdr msg{};
      msg.msg_iov = &iov;
      msg.msg_iovlen = 1;
      msg.msg_control = control;
      msg.msg_controllen = sizeof control;
      ssize_t n = ::recvmsg(peer_, &msg, MSG_CMSG_CLOEXEC);
      if (n <= 0) return false;
      for (cmsghdr* c = CMSG_FIRSTHDR(&msg); c != nullptr; c = CMSG_NXTHDR(&msg, c)) {
        if (c->cmsg_type == SCM_RIGHTS) std::memcpy(fd, CMSG_DATA(c), sizeof(int));
      }
      done += static_cast<size_t>(n);
    }
    return true;
  }
  bool Write(const json& answer) {
    Bytes frame = protocol::EncodeFrame(answer);
    return ::send(peer_, frame.data(), frame.size(), MSG_NOSIGNAL) ==
           static_cast<ssize_t>(frame.size());
  }

  Script script_;
  std::string dir_;
  std::string path_;
  int listener_ = -1;
  int peer_ = -1;
  std::thread thread_;
  std::unique_ptr<protocol::ShmRegion> region_;
  json last_request_;
};

constexpr size_t kSize = 65536;

// Polls for longer than the script's pauses (and a slow thread start), so that the early copy
// happens whenever the script publishes progress.
ConnectionOptions Patient() {
  ConnectionOptions options;
  options.timeout = std::chrono::seconds(5);
  options.spin = std::chrono::milliseconds(100);
  return options;
}

// Runs one CallInPlace of kSize bytes against `script`; returns its Status and the buffer.
std::pair<Status, Bytes> RunScript(Script script, bool copy_early, json* request_seen = nullptr) {
  ScriptedLicetd licetd(std::move(script));
  auto connection = Connection::Open(licetd.path(), Patient());
  EXPECT_TRUE(connection.ok()) << connection.status().ToString();
  if (!connection.ok()) return {connection.status(), {}};
  Bytes buf(kSize);
  for (size_t i = 0; i < kSize; ++i) buf[i] = static_cast<uint8_t>(i * 7);
  Status st =
      (*connection)->CallInPlace({{"op", "crypt"}}, buf, copy_early, [](const json& answer) {
        return answer.contains("tag") ? Status::Ok() : Status(ErrorCode::kProtocolError, "no tag");
      });
  if (request_seen != nullptr) *request_seen = licetd.last_request();
  return {st, buf};
}

Bytes Expected() {
  Bytes want(kSize);
  for (size_t i = 0; i < kSize; ++i) want[i] = static_cast<uint8_t>(i * 7) ^ 0xff;
  return want;
}

Bytes Input() {
  Bytes in(kSize);
  for (size_t i = 0; i < kSize; ++i) in[i] = static_cast<uint8_t>(i * 7);
  return in;
}

TEST(ConnectionShmTest, HonestProgressGivesTheResult) {
  json request;
  auto [st, buf] = RunScript({{8192, 16384, 40000, kSize}}, true, &request);
  ASSERT_TRUE(st.ok()) << st.ToString();
  EXPECT_TRUE(buf == Expected());
  EXPECT_EQ(request["shm_progress"], 0);
  EXPECT_EQ(request["shm_offset"], 64);
  EXPECT_EQ(request["shm_length"], kSize);
}

TEST(ConnectionShmTest, HostileProgressIsOnlyAHint) {
  // Beyond the length, backwards, absurd, stuck halfway: the answer still decides, and the
  // bytes the word did not cover are copied after it.
  for (const std::vector<uint64_t>& progress :
       {std::vector<uint64_t>{kSize * 4}, std::vector<uint64_t>{30000, 10, 5},
        std::vector<uint64_t>{UINT64_MAX}, std::vector<uint64_t>{kSize / 2},
        std::vector<uint64_t>{}}) {
    auto [st, buf] = RunScript({progress}, true);
    ASSERT_TRUE(st.ok()) << st.ToString();
    EXPECT_TRUE(buf == Expected());
  }
}

TEST(ConnectionShmTest, FailureAfterAnEarlyCopyZeroesTheBuffer) {
  auto [st, buf] = RunScript({{kSize}, 6}, true);
  EXPECT_EQ(st.code(), ErrorCode::kDecryptFailed);
  EXPECT_TRUE(std::all_of(buf.begin(), buf.end(), [](uint8_t b) { return b == 0; }));
}

TEST(ConnectionShmTest, FailureBeforeAnyCopyLeavesTheInput) {
  auto [st, buf] = RunScript({{}, 33}, true);
  EXPECT_EQ(st.code(), ErrorCode::kFeatureMissing);
  EXPECT_TRUE(buf == Input());
}

TEST(ConnectionShmTest, WithoutCopyEarlyNothingIsCopiedBeforeTheAnswer) {
  // A decrypt: no progress asked for, and a failure leaves the input whatever the word says.
  json request;
  auto [st, buf] = RunScript({{kSize}, 6}, false, &request);
  EXPECT_EQ(st.code(), ErrorCode::kDecryptFailed);
  EXPECT_TRUE(buf == Input());
  EXPECT_FALSE(request.contains("shm_progress"));
  EXPECT_EQ(request["shm_offset"], 0);
}

TEST(ConnectionShmTest, BadAnswerAfterAnEarlyCopyZeroesTheBuffer) {
  // The check refuses an answer without a tag (a malformed answer).
  ScriptedLicetd licetd({{kSize}, 0});
  auto connection = Connection::Open(licetd.path(), Patient());
  ASSERT_TRUE(connection.ok());
  Bytes buf = Input();
  Status st = (*connection)->CallInPlace({{"op", "crypt"}}, buf, true, [](const json&) {
    return Status(ErrorCode::kProtocolError, "refused by the test");
  });
  EXPECT_EQ(st.code(), ErrorCode::kProtocolError);
  EXPECT_TRUE(std::all_of(buf.begin(), buf.end(), [](uint8_t b) { return b == 0; }));
}

TEST(ConnectionShmTest, NoEarlyCopyWhileLicetdSharesOurCpu) {
  // Polling for progress on the CPU licetd needs would only delay it: after licetd answered
  // from this CPU, the next call waits for the answer instead. Pinned so the CPU stays put.
  cpu_set_t before;
  ASSERT_EQ(::sched_getaffinity(0, sizeof before, &before), 0);
  cpu_set_t one;
  CPU_ZERO(&one);
  CPU_SET(::sched_getcpu(), &one);
  ASSERT_EQ(::sched_setaffinity(0, sizeof one, &one), 0);
  {
    Script script{{kSize}, 0};
    script.echo_cpu = true;
    ScriptedLicetd licetd(script);
    auto connection = Connection::Open(licetd.path(), Patient());
    ASSERT_TRUE(connection.ok());
    auto ok = [](const json&) { return Status::Ok(); };
    Bytes buf = Input();
    ASSERT_TRUE((*connection)->CallInPlace({{"op", "crypt"}}, buf, true, ok).ok());
    json first = licetd.last_request();
    EXPECT_TRUE(first.contains("shm_progress"));
    EXPECT_EQ(first["cpu"], ::sched_getcpu());
    buf = Input();
    ASSERT_TRUE((*connection)->CallInPlace({{"op", "crypt"}}, buf, true, ok).ok());
    EXPECT_FALSE(licetd.last_request().contains("shm_progress"));
    EXPECT_TRUE(buf == Expected());
  }
  ASSERT_EQ(::sched_setaffinity(0, sizeof before, &before), 0);
}

TEST(ConnectionShmTest, OlderLicetdWithoutProgressStillWorks) {
  json request;
  auto [st, buf] = RunScript({{kSize}, 0, /*offer_progress=*/false}, true, &request);
  ASSERT_TRUE(st.ok()) << st.ToString();
  EXPECT_TRUE(buf == Expected());
  EXPECT_FALSE(request.contains("shm_progress"));
}

}  // namespace
}  // namespace licet::client
