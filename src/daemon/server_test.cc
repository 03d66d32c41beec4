// licetd in-process: a Daemon on a temp socket and an ephemeral admin port, driven over real
// sockets by a minimal client.
#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>

#include <algorithm>

#include "daemon/server_fixture.h"

namespace licet::daemon::testing {
namespace {

TEST_F(ServerTest, HelloAccessUnitsReleaseOverTheSocket) {
  StartDaemon();
  auto c = Client();
  json r = Access(*c);
  ASSERT_EQ(r["code"], 0) << r.dump();
  EXPECT_EQ(r["serial"], serial_);
  EXPECT_EQ(r["item"]["unit_counter"], 100);
  uint64_t handle = r["handle"];
  json units = c->Call({{"op", "units"}, {"handle", handle}, {"decrement", 5}});
  ASSERT_EQ(units["code"], 0) << units.dump();
  EXPECT_EQ(units["remaining"], 95);
  EXPECT_EQ(c->Call({{"op", "release"}, {"handle", handle}})["code"], 0);
  EXPECT_EQ(c->Call({{"op", "release"}, {"handle", handle}})["code"], 1);
  engine::ContainerStore store(config_.home);
  EXPECT_EQ(store.Open(serial_)->state.FindProduct(kFirm, 201010)->unit_counter, 95u);
}

TEST_F(ServerTest, LargeCryptBuffersRoundTripOverTheSocket) {
  StartDaemon();
  auto c = Client();
  json r = Access(*c);
  ASSERT_EQ(r["code"], 0);
  Bytes data(3u << 20);  // 3 MiB: grows the session's buffer and runs on a worker
  for (size_t i = 0; i < data.size(); ++i) data[i] = static_cast<uint8_t>(i * 7);
  json enc = c->Call({{"op", "crypt"},
                      {"handle", r["handle"]},
                      {"crypt_op", 1},
                      {"iv", json::binary(Bytes(12, 1))},
                      {"data", json::binary(data)}});
  ASSERT_EQ(enc["code"], 0) << enc.value("message", "");
  json dec = c->Call({{"op", "crypt"},
                      {"handle", r["handle"]},
                      {"crypt_op", 2},
                      {"iv", json::binary(Bytes(12, 1))},
                      {"tag", enc["tag"]},
                      {"data", enc["data"]}});
  ASSERT_EQ(dec["code"], 0);
  const auto& back = dec["data"].get_binary();
  EXPECT_TRUE(std::equal(back.begin(), back.end(), data.begin(), data.end()));
  // And the connection still serves small requests.
  EXPECT_EQ(c->Call({{"op", "info"}, {"handle", r["handle"]}})["code"], 0);
}

TEST_F(ShmServerTest, SharedMemoryCryptEqualsTheSocketPath) {
  StartDaemon();
  auto c = Client();
  json hello = c->Call({{"op", "hello"}, {"version", 1}});
  EXPECT_EQ(hello["shm"], true);
  json r = Access(*c);
  ASSERT_EQ(r["code"], 0);
  const uint64_t handle = r["handle"];
  auto region = protocol::ShmRegion::Create(4u << 20);
  ASSERT_TRUE(region.ok());
  std::span<uint8_t> shm = (*region)->bytes();
  bool attached = false;
  // 64 KiB inline at an odd offset, 3 MiB on a worker.
  for (size_t size : {size_t{65536}, size_t{3} << 20}) {
    SCOPED_TRACE(size);
    const size_t offset = size == 65536 ? 4097 : 0;
    Bytes data(size);
    for (size_t i = 0; i < size; ++i) data[i] = static_cast<uint8_t>(i * 13 + 5);
    json base = {{"handle", handle}, {"iv", json::binary(Bytes(12, 9))}, {"encryption_code", 42}};
    json over_socket = base;
    over_socket["op"] = "crypt";
    over_socket["crypt_op"] = 1;
    over_socket["data"] = json::binary(data);
    json expected = c->Call(over_socket);
    ASSERT_EQ(expected["code"], 0);

    std::copy(data.begin(), data.end(), shm.begin() + offset);
    json enc = base;
    enc["crypt_op"] = 1;
    json got = attached ? ShmCrypt(*c, enc, offset, size)
                        : ShmCrypt(*c, enc, offset, size, (*region)->fd(), (*region)->size());
    attached = true;
    ASSERT_EQ(got["code"], 0) << got.dump();
    EXPECT_FALSE(got.contains("data"));
    EXPECT_EQ(got["tag"], expected["tag"]);
    const auto& want = expected["data"].get_binary();
    EXPECT_TRUE(std::equal(want.begin(), want.end(), shm.begin() + offset));

    json dec = base;
    dec["crypt_op"] = 2;
    dec["tag"] = expected["tag"];
    got = ShmCrypt(*c, dec, offset, size);
    ASSERT_EQ(got["code"], 0) << got.dump();
    EXPECT_TRUE(std::equal(data.begin(), data.end(), shm.begin() + offset));

    // A wrong tag: code 6, and no unauthenticated plaintext left in the region.
    std::copy(want.begin(), want.end(), shm.begin() + offset);
    dec["tag"] = json::binary(Bytes(16, 0));
    got = ShmCrypt(*c, dec, offset, size);
    EXPECT_EQ(got["code"], 6);
    EXPECT_TRUE(std::all_of(shm.begin() + offset, shm.begin() + offset + size,
                            [](uint8_t b) { return b == 0; }));
  }
  // Direct mode agrees too, and an empty range is fine.
  json direct = {{"handle", handle}, {"iv", json::binary(Bytes(12, 3))}, {"crypt_op", 3}};
  EXPECT_EQ(ShmCrypt(*c, direct, 0, 0)["code"], 0);
  EXPECT_EQ(c->Call({{"op", "info"}, {"handle", handle}})["code"], 0);
}

TEST_F(ShmServerTest, BadRegionsAndRangesAreRefusedAndLeakNothing) {
  StartDaemon();
  auto c = Client();
  json r = Access(*c);
  ASSERT_EQ(r["code"], 0);
  json enc = {{"handle", r["handle"]}, {"iv", json::binary(Bytes(12, 9))}, {"crypt_op", 1}};
  const size_t fds_before = OpenFds();

  // No region yet; shm_size without a descriptor; both data and shm_offset.
  EXPECT_EQ(ShmCrypt(*c, enc, 0, 16)["code"], 1);
  json with_size = enc;
  with_size["shm_size"] = 4096;
  EXPECT_EQ(ShmCrypt(*c, with_size, 0, 16)["code"], 1);
  json both = enc;
  both["data"] = json::binary(Bytes(16));
  EXPECT_EQ(ShmCrypt(*c, both, 0, 16)["code"], 1);

  auto memfd = [](size_t size, int seals) {
    int fd = ::memfd_create("t", MFD_CLOEXEC | MFD_ALLOW_SEALING);
    EXPECT_EQ(::ftruncate(fd, static_cast<off_t>(size)), 0);
    if (seals != 0) {
      EXPECT_EQ(::fcntl(fd, F_ADD_SEALS, seals), 0);
    }
    return fd;
  };
  // Not sealed against shrinking (it could be truncated under licetd): refused.
  int unsealed = memfd(4096, 0);
  EXPECT_EQ(ShmCrypt(*c, enc, 0, 16, unsealed, 4096)["code"], 1);
  // Smaller than announced; too large an announcement; a pipe.
  int small = memfd(4096, F_SEAL_SHRINK);
  EXPECT_EQ(ShmCrypt(*c, enc, 0, 16, small, 8192)["code"], 1);
  EXPECT_EQ(ShmCrypt(*c, enc, 0, 16, small, uint64_t{1} << 40)["code"], 1);
  int p[2];
  ASSERT_EQ(::pipe(p), 0);
  EXPECT_EQ(ShmCrypt(*c, enc, 0, 16, p[0], 4096)["code"], 1);

  // A good region, then ranges outside it.
  auto region = protocol::ShmRegion::Create(4096);
  ASSERT_TRUE(region.ok());
  ASSERT_EQ(ShmCrypt(*c, enc, 0, 4096, (*region)->fd(), 4096)["code"], 0);
  EXPECT_EQ(ShmCrypt(*c, enc, 0, 4097)["code"], 1);
  EXPECT_EQ(ShmCrypt(*c, enc, 4096, 1)["code"], 1);
  EXPECT_EQ(ShmCrypt(*c, enc, UINT64_MAX, 2)["code"], 1);
  EXPECT_EQ(ShmCrypt(*c, enc, 1, UINT64_MAX)["code"], 1);
  EXPECT_EQ(ShmCrypt(*c, enc, 4095, 1)["code"], 0);
  // The client cannot shrink what licetd mapped; growing a region sealed only against
  // shrinking does not hurt either.
  EXPECT_NE(::ftruncate((*region)->fd(), 0), 0);
  int growable = memfd(4096, F_SEAL_SHRINK);
  ASSERT_EQ(ShmCrypt(*c, enc, 0, 4096, growable, 4096)["code"], 0);
  EXPECT_NE(::ftruncate(growable, 100), 0);
  EXPECT_EQ(::ftruncate(growable, 1 << 20), 0);
  EXPECT_EQ(ShmCrypt(*c, enc, 0, 4096)["code"], 0);
  EXPECT_EQ(ShmCrypt(*c, enc, 0, 4097)["code"], 1);  // licetd mapped 4096 bytes

  // A descriptor sent with another request is closed unread.
  json info = {{"op", "info"}, {"handle", r["handle"]}, {"id", 77}};
  ASSERT_TRUE(protocol::SendWithFd(c->fd(), protocol::EncodeFrame(info), p[1]).ok());
  EXPECT_EQ(c->Read().value_or(json())["code"], 0);

  for (int fd : {unsealed, small, p[0], p[1], growable}) ::close(fd);
  region->reset();
  // licetd runs in this process: every descriptor it received is closed again (the ones it
  // mapped right after mapping them).
  EXPECT_EQ(OpenFds(), fds_before);
  EXPECT_EQ(c->Call({{"op", "info"}, {"handle", r["handle"]}})["code"], 0);
}

TEST_F(ServerTest, PipelinedRequestsAreAnsweredInOrder) {
  StartDaemon();
  auto c = Client();
  Bytes batch;
  for (uint64_t id = 10; id < 20; ++id) {
    json req = id == 12 ? json{{"id", id}, {"op", "units"}, {"handle", 999}, {"decrement", 1}}
                        : json{{"id", id}, {"op", "hello"}, {"version", 1}};
    Bytes frame = protocol::EncodeFrame(req);
    batch.insert(batch.end(), frame.begin(), frame.end());
  }
  ASSERT_TRUE(c->SendRaw(batch));
  for (uint64_t id = 10; id < 20; ++id) {
    auto r = c->Read();
    ASSERT_TRUE(r.has_value());
    EXPECT_EQ((*r)["id"], id);
  }
}

TEST_F(ServerTest, BadFramesGetProtocolErrorAndClose) {
  StartDaemon();
  {
    auto c = Client();
    ASSERT_TRUE(c->SendRaw({0x7f, 0xff, 0xff, 0xff}));  // 2 GiB announced
    auto r = c->Read();
    ASSERT_TRUE(r.has_value());
    EXPECT_EQ((*r)["code"], 102);
    EXPECT_TRUE(c->ClosedByPeer());
  }
  {
    auto c = Client();
    ASSERT_TRUE(c->SendRaw({0, 0, 0, 2, 0xff, 0xff}));  // not CBOR
    auto r = c->Read();
    ASSERT_TRUE(r.has_value());
    EXPECT_EQ((*r)["code"], 102);
    EXPECT_TRUE(c->ClosedByPeer());
  }
  // The server still serves others.
  EXPECT_EQ(Access(*Client())["code"], 0);
}

TEST_F(ServerTest, ClosingTheConnectionFreesTheSeat) {
  StartDaemon();
  auto a = Client();
  ASSERT_EQ(Access(*a)["code"], 0);
  auto b = Client();
  EXPECT_EQ(Access(*b)["code"], 212);
  a->Close();  // as a process killed -9 would
  json r;
  for (int i = 0; i < 100; ++i) {  // the close reaches licetd asynchronously
    r = Access(*b);
    if (r["code"] == 0) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  EXPECT_EQ(r["code"], 0);
}

TEST_F(ServerTest, AdminStatusAndMetrics) {
  StartDaemon();
  uint16_t port = daemon_->admin_port();
  ASSERT_NE(port, 0);
  auto c = Client();
  ASSERT_EQ(Access(*c)["code"], 0);
  std::string host = "Host: 127.0.0.1:" + std::to_string(port) + "\r\n";
  std::string status = HttpGet(port, "/api/v1/status", host);
  ASSERT_NE(status.find("200 OK"), std::string::npos) << status;
  json doc = json::parse(status.substr(status.find("\r\n\r\n") + 4), nullptr, false);
  ASSERT_TRUE(doc.is_object()) << status;
  EXPECT_EQ(doc["version"], "0.1.0");
  EXPECT_EQ(doc["containers"][0]["serial"], serial_);
  const json& item = doc["containers"][0]["firms"][0]["items"][0];
  EXPECT_EQ(item["seats_in_use"], 1);
  EXPECT_EQ(item["seats_free"], 0);
  ASSERT_EQ(doc["sessions"].size(), 1u);
  EXPECT_EQ(doc["sessions"][0]["pid"], ::getpid());
  EXPECT_EQ(doc["sessions"][0]["leases"][0]["mode"], "user-limit");

  std::string metrics =
      HttpGet(port, "/metrics", "Host: localhost:" + std::to_string(port) + "\r\n");
  EXPECT_NE(metrics.find("text/plain; version=0.0.4"), std::string::npos);
  EXPECT_NE(metrics.find("licetd_up 1"), std::string::npos);
  EXPECT_NE(metrics.find("licetd_connections 1"), std::string::npos);
  EXPECT_NE(metrics.find("licetd_leases{firm=\"6000010\",product=\"201010\"} 1"),
            std::string::npos);
  EXPECT_NE(metrics.find("licetd_access_total{result=\"ok\"} 1"), std::string::npos);
  EXPECT_NE(metrics.find("licetd_request_duration_seconds_count{op=\"access\"} 1"),
            std::string::npos);

  // DNS rebinding, cross-origin pages and unknown paths are refused as problem+json.
  std::string rebound =
      HttpGet(port, "/api/v1/status", "Host: evil.example:" + std::to_string(port) + "\r\n");
  EXPECT_NE(rebound.find("403 Forbidden"), std::string::npos);
  EXPECT_NE(rebound.find("application/problem+json"), std::string::npos);
  std::string cross = HttpGet(port, "/metrics", host + "Origin: https://evil.example\r\n");
  EXPECT_NE(cross.find("403 Forbidden"), std::string::npos);
  EXPECT_NE(HttpGet(port, "/nope", host).find("404 Not Found"), std::string::npos);
  EXPECT_NE(HttpGet(port, "/metrics", "").find("400 Bad Request"), std::string::npos);
}

TEST_F(ServerTest, SecondDaemonOnTheSameSocketIsRefused) {
  StartDaemon();
  Daemon second(config_, nullptr, false);
  Status st = second.Start();
  EXPECT_EQ(st.code(), ErrorCode::kAlreadyExists) << st.ToString();
}

TEST_F(ServerTest, StaleSocketIsReplacedAndRemovedOnStop) {
  // A socket file left by a licetd that was killed -9.
  mkdir((dir_ + "/run").c_str(), 0700);
  {
    int fd = ::socket(AF_UNIX, SOCK_STREAM, 0);
    sockaddr_un addr{};
    addr.sun_family = AF_UNIX;
    std::strncpy(addr.sun_path, config_.socket.c_str(), sizeof addr.sun_path - 1);
    ASSERT_EQ(::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0);
    ::close(fd);
  }
  StartDaemon();
  EXPECT_EQ(Access(*Client())["code"], 0);
  StopDaemon();
  struct stat st {};
  EXPECT_NE(::stat(config_.socket.c_str(), &st), 0);
}

TEST_F(ServerTest, StopAnswersTheRequestInProgress) {
  StartDaemon();
  auto c = Client();
  json r = Access(*c);
  ASSERT_EQ(r["code"], 0);
  // A unit decrement (a disk write) sent right before the stop still gets its answer.
  ASSERT_TRUE(c->Send({{"op", "units"}, {"handle", r["handle"]}, {"decrement", 1}}));
  std::this_thread::sleep_for(std::chrono::milliseconds(1));
  daemon_->Stop();
  auto answer = c->Read();
  ASSERT_TRUE(answer.has_value());
  EXPECT_EQ((*answer)["code"], 0);
  EXPECT_TRUE(c->ClosedByPeer());
  runner_.join();
  daemon_.reset();
}

}  // namespace
}  // namespace licet::daemon::testing
