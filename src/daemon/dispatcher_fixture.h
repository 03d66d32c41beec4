// A Dispatcher over a real store in a temp dir (real device properties), a fake clock and an
// inline runner, so that every request completes before Call() returns.
#ifndef LICET_DAEMON_DISPATCHER_FIXTURE_H_
#define LICET_DAEMON_DISPATCHER_FIXTURE_H_

#include <gtest/gtest.h>
#include <stdlib.h>
#include <unistd.h>

#include <memory>
#include <nlohmann/json.hpp>

#include "daemon/dispatcher.h"
#include "engine/context_file.h"
#include "engine/firm_key.h"
#include "engine/update_file.h"

namespace licet::daemon::testing {

inline constexpr uint32_t kFirm = 6000010;
inline constexpr UnixTime kNow = 1800000000;

class CaptureSink : public ReplySink {
 public:
  void Reply(nlohmann::json response) override { reply = std::move(response); }
  std::optional<nlohmann::json> reply;
};

// An item with no limits: product `code`, features 0x3.
inline model::ProductItem Item(uint32_t code) {
  model::ProductItem item;
  item.product_code = code;
  item.feature_map = 0x3;
  item.text = "Product " + std::to_string(code);
  item.protected_data = {1, 2, 3};
  return item;
}

class DispatcherFixture : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/licetd-dispatcher-test-XXXXXX";
    ASSERT_NE(mkdtemp(tmpl), nullptr);
    home_ = tmpl;
    store_ = std::make_unique<engine::ContainerStore>(home_, &env_, &clock_);
    auto serial = store_->Create();
    ASSERT_TRUE(serial.ok()) << serial.status().ToString();
    serial_ = *serial;
    firm_ = *engine::GenerateFirmKey(kFirm, "Sample Company", kNow);
    cache_ = std::make_unique<engine::ContainerCache>(store_.get(), &env_);
    ASSERT_TRUE(cache_->Rescan().ok());
    auto inline_runner = [](std::function<void()> fn) { fn(); };
    writes_ = std::make_unique<WriteQueue>(cache_.get(), inline_runner);
    dispatcher_ = std::make_unique<Dispatcher>(cache_.get(), writes_.get(), &metrics_, &clock_,
                                               inline_runner, ::getuid());
  }
  void TearDown() override {
    dispatcher_.reset();
    std::system(("rm -rf " + home_).c_str());
  }

  // Imports `bodies` for kFirm through the engine, as `licet import` would.
  void Apply(std::vector<model::OperationBody> bodies, const std::string& serial = "") {
    engine::SoftContainer c = *store_->Open(serial.empty() ? serial_ : serial);
    auto ctx = *engine::ReadContextFile(
        *engine::MakeContextFile(c, kFirm, format::FileKind::kContext, clock_.Now()));
    auto update = engine::CreateUpdateFile(firm_, ctx, std::move(bodies), clock_.Now());
    ASSERT_TRUE(update.ok()) << update.status().ToString();
    auto imported = engine::ImportUpdate(*store_, *update);
    ASSERT_TRUE(imported.ok()) << imported.status().ToString();
  }
  void Add(model::ProductItem item) {
    std::vector<model::OperationBody> ops;
    ops.push_back(model::op::AddProduct{std::move(item)});
    Apply(std::move(ops));
  }

  nlohmann::json Call(ConnectionState& conn, nlohmann::json request) {
    if (!request.contains("id")) request["id"] = next_id_++;
    auto sink = std::make_shared<CaptureSink>();
    auto response = dispatcher_->Handle(conn, request, sink);
    if (response) {
      EXPECT_FALSE(sink->reply.has_value());
      return *response;
    }
    EXPECT_TRUE(sink->reply.has_value()) << "async request never answered";
    return sink->reply.value_or(nlohmann::json());
  }
  ConnectionState Connect(uid_t uid = 1000, pid_t pid = 4242) {
    ConnectionState conn = dispatcher_->Open(Peer{pid, uid, uid});
    nlohmann::json r = Call(conn, {{"op", "hello"}, {"version", 1}, {"client", "test"}});
    EXPECT_EQ(r["code"], 0) << r.dump();
    return conn;
  }
  nlohmann::json Access(ConnectionState& conn, uint32_t product, int mode = 1,
                        nlohmann::json extra = nlohmann::json::object()) {
    nlohmann::json r = {
        {"op", "access"}, {"firm_code", kFirm}, {"product_code", product}, {"mode", mode}};
    r.update(extra);
    return Call(conn, r);
  }
  static int Code(const nlohmann::json& r) { return r.value("code", -1); }
  // A byte string of a response as plain Bytes (empty when it is not one).
  static Bytes Bin(const nlohmann::json& j) {
    if (!j.is_binary()) return {};
    const auto& b = j.get_binary();
    return Bytes(b.begin(), b.end());
  }

  std::string home_;
  FaultInjectingEnv env_;
  FakeClock clock_{kNow};
  Metrics metrics_;
  std::unique_ptr<engine::ContainerStore> store_;
  std::unique_ptr<engine::ContainerCache> cache_;
  std::unique_ptr<WriteQueue> writes_;
  std::unique_ptr<Dispatcher> dispatcher_;
  std::string serial_;
  engine::FirmKey firm_;
  uint64_t next_id_ = 1;
};

}  // namespace licet::daemon::testing

#endif  // LICET_DAEMON_DISPATCHER_FIXTURE_H_
