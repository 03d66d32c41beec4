// The in-process licetd of the server tests: a Daemon on a temp socket and an ephemeral admin
// port, driven over real sockets by a minimal client (server_test.cc, shm_progress_test.cc).
#ifndef LICET_DAEMON_SERVER_FIXTURE_H_
#define LICET_DAEMON_SERVER_FIXTURE_H_

#include <gtest/gtest.h>
#include <stdlib.h>

#include <filesystem>
#include <memory>
#include <string>
#include <thread>

#include "daemon/daemon.h"
#include "daemon/logging.h"
#include "daemon/test_client.h"
#include "engine/context_file.h"
#include "engine/firm_key.h"
#include "engine/update_file.h"
#include "protocol/shm.h"

namespace licet::daemon::testing {

using nlohmann::json;

inline constexpr uint32_t kFirm = 6000010;

// A home with one container holding product 201010 (100 units, 1 seat).
inline std::string MakeHome(const std::string& dir) {
  engine::ContainerStore store(dir + "/home");
  std::string serial = *store.Create();
  engine::FirmKey firm = *engine::GenerateFirmKey(kFirm, "Sample", SystemClock::Get().Now());
  engine::SoftContainer c = *store.Open(serial);
  auto ctx = *engine::ReadContextFile(
      *engine::MakeContextFile(c, kFirm, format::FileKind::kContext, SystemClock::Get().Now()));
  model::ProductItem item;
  item.product_code = 201010;
  item.unit_counter = 100;
  std::vector<model::OperationBody> ops;
  ops.push_back(model::op::AddProduct{item});
  auto update = engine::CreateUpdateFile(firm, ctx, std::move(ops), SystemClock::Get().Now());
  EXPECT_TRUE(engine::ImportUpdate(store, *update).ok());
  return serial;
}

class ServerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(SetupLogging("warn", "text").ok());
    char tmpl[] = "/tmp/licetd-server-test-XXXXXX";
    ASSERT_NE(mkdtemp(tmpl), nullptr);
    dir_ = tmpl;
    serial_ = MakeHome(dir_);
    config_.home = dir_ + "/home";
    config_.socket = dir_ + "/run/licetd.sock";
    config_.admin_listen = "127.0.0.1:0";
    config_.shutdown_timeout = 5;
  }
  void TearDown() override {
    StopDaemon();
    std::system(("rm -rf " + dir_).c_str());
  }
  void StartDaemon() {
    daemon_ = std::make_unique<Daemon>(config_, nullptr, /*handle_signals=*/false);
    Status st = daemon_->Start();
    ASSERT_TRUE(st.ok()) << st.ToString();
    runner_ = std::thread([this] { daemon_->Run(); });
  }
  void StopDaemon() {
    if (!daemon_) return;
    daemon_->Stop();
    runner_.join();
    daemon_.reset();
  }
  std::unique_ptr<TestClient> Client() {
    auto c = std::make_unique<TestClient>();
    EXPECT_TRUE(c->Connect(config_.socket));
    EXPECT_TRUE(c->Hello());
    return c;
  }
  json Access(TestClient& c) {
    return c.Call({{"op", "access"}, {"firm_code", kFirm}, {"product_code", 201010}});
  }

  std::string dir_;
  std::string serial_;
  DaemonConfig config_;
  std::unique_ptr<Daemon> daemon_;
  std::thread runner_;
};

// Shared-memory crypt (docs/PROTOCOL.md "Shared-memory crypt").
class ShmServerTest : public ServerTest {
 protected:
  // A crypt request naming [offset, offset + length) of the region; with `fd` >= 0 it is
  // sent along with shm_size.
  json ShmCrypt(TestClient& c, json request, uint64_t offset, uint64_t length, int fd = -1,
                uint64_t size = 0) {
    request["op"] = "crypt";
    request["shm_offset"] = offset;
    request["shm_length"] = length;
    if (fd >= 0) request["shm_size"] = size;
    request["id"] = next_id_++;
    if (fd >= 0) {
      if (!protocol::SendWithFd(c.fd(), protocol::EncodeFrame(request), fd).ok()) return json();
    } else if (!c.Send(request)) {
      return json();
    }
    return c.Read().value_or(json());
  }
  static size_t OpenFds() {
    size_t n = 0;
    for ([[maybe_unused]] const auto& e : std::filesystem::directory_iterator("/proc/self/fd")) ++n;
    return n;
  }
  uint64_t next_id_ = 1000;
};

}  // namespace licet::daemon::testing

#endif  // LICET_DAEMON_SERVER_FIXTURE_H_
