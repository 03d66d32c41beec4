// The protocol and every access rule, through Dispatcher::Handle with a real store.
#include "daemon/dispatcher_fixture.h"
#include "model/checks.h"

namespace licet::daemon::testing {
namespace {

using nlohmann::json;

class DispatcherTest : public DispatcherFixture {};

TEST_F(DispatcherTest, HelloComesFirstAndFixesTheVersion) {
  ConnectionState conn = dispatcher_->Open(Peer{1, 1000, 1000});
  EXPECT_EQ(Code(Access(conn, 1)), 102);
  json bad = Call(conn, {{"op", "hello"}, {"version", 2}});
  EXPECT_EQ(Code(bad), 4);
  EXPECT_NE(bad["message"].get<std::string>().find("version 1"), std::string::npos);
  EXPECT_EQ(Code(Call(conn, {{"op", "hello"}, {"version", "1"}})), 1);
  json ok = Call(conn, {{"id", 77}, {"op", "hello"}, {"version", 1}, {"client", "t"}});
  EXPECT_EQ(Code(ok), 0);
  EXPECT_EQ(ok["id"], 77);
  EXPECT_EQ(ok["version"], 1);
  EXPECT_EQ(ok["server"], "licetd 0.1.0");
}

TEST_F(DispatcherTest, MalformedRequestsGetProtocolErrors) {
  ConnectionState conn = Connect();
  EXPECT_EQ(Code(Call(conn, {{"id", 1}})), 102);
  EXPECT_EQ(Code(Call(conn, {{"id", -1}, {"op", "list"}})), 102);
  EXPECT_EQ(Code(Call(conn, {{"id", 1}, {"op", 5}})), 102);
  json unknown = Call(conn, {{"id", 9}, {"op", "format_disk"}});
  EXPECT_EQ(Code(unknown), 102);
  EXPECT_EQ(unknown["id"], 9);
  // Wrong field types are the caller's mistake, not a protocol violation.
  EXPECT_EQ(Code(Call(conn, {{"op", "access"}, {"firm_code", "x"}, {"product_code", 1}})), 1);
  EXPECT_EQ(Code(Call(conn, {{"op", "access"}, {"firm_code", kFirm}})), 1);
  EXPECT_EQ(Code(Access(conn, 201010, 3)), 1);
  EXPECT_EQ(Code(Access(conn, 201010, 1, {{"where", 7}})), 1);
  EXPECT_EQ(Code(Access(conn, 201010, 1, {{"firm_key", json::binary({1, 2, 3})}})), 1);
  EXPECT_EQ(Code(Call(conn, {{"op", "release"}, {"handle", 12345}})), 1);
  EXPECT_GE(metrics_.access_count(ErrorCode::kInvalidArgument), 4u);
}

TEST_F(DispatcherTest, AccessReturnsTheItemWithoutSecrets) {
  model::ProductItem item = Item(201010);
  item.unit_counter = 5;
  item.expiration = kNow + 86400;
  model::SetHiddenData(item, {9, 9, 9}, AsBytes("code"));
  Add(item);
  ConnectionState conn = Connect();
  json r = Access(conn, 201010, 1, {{"feature_code", 1}});
  ASSERT_EQ(Code(r), 0) << r.dump();
  EXPECT_GE(r["handle"].get<uint64_t>(), 1u);
  EXPECT_EQ(r["serial"], serial_);
  const json& m = r["item"];
  EXPECT_EQ(m["firm_code"], kFirm);
  EXPECT_EQ(m["product_code"], 201010);
  EXPECT_EQ(m["feature_map"], 3);
  EXPECT_EQ(m["unit_counter"], 5);
  EXPECT_EQ(m["expiration"], kNow + 86400);
  EXPECT_EQ(m["license_quantity"], 1);
  EXPECT_EQ(m["access_modes"], 7);
  EXPECT_EQ(m["text"], "Product 201010");
  EXPECT_EQ(m["protected_data"], json::binary({1, 2, 3}));
  EXPECT_FALSE(m.contains("activation_time"));
  EXPECT_FALSE(m.contains("secret_data"));
  EXPECT_FALSE(m.contains("hidden_data"));
  EXPECT_EQ(metrics_.access_count(ErrorCode::kOk), 1u);

  json info = Call(conn, {{"op", "info"}, {"handle", r["handle"]}});
  ASSERT_EQ(Code(info), 0);
  EXPECT_EQ(info["item"], m);
}

TEST_F(DispatcherTest, AccessWithItemFalseAnswersWithoutTheItem) {
  model::ProductItem item = Item(201010);
  item.usage_period = 3600;  // also the asynchronous answer of a first use
  Add(item);
  Add(Item(201011));
  ConnectionState conn = Connect();
  for (uint32_t product : {201010u, 201011u}) {
    json r = Access(conn, product, 2, {{"item", false}});
    ASSERT_EQ(Code(r), 0) << r.dump();
    EXPECT_GE(r["handle"].get<uint64_t>(), 1u);
    EXPECT_EQ(r["serial"], serial_);
    EXPECT_FALSE(r.contains("item")) << r.dump();
    EXPECT_TRUE(Access(conn, product, 2, {{"item", true}}).contains("item"));
  }
  // 'item' must be a boolean.
  EXPECT_EQ(Code(Access(conn, 201011, 2, {{"item", 0}})), 1);
}

TEST_F(DispatcherTest, MissingContainerFirmOrProductHaveTheirCodes) {
  ConnectionState conn = Connect();
  EXPECT_EQ(Code(Access(conn, 201010)), 202);
  model::ProductItem item = Item(201010);
  item.license_quantity = 5;
  Add(item);
  json r = Access(conn, 999);
  EXPECT_EQ(Code(r), 200);
  EXPECT_NE(r["message"].get<std::string>().find("product 999"), std::string::npos);
  EXPECT_EQ(Code(Access(conn, 201010, 1, {{"serial", "130-1"}})), 201);
  EXPECT_EQ(Code(Access(conn, 201010, 1, {{"serial", serial_}})), 0);
  EXPECT_EQ(Code(Access(conn, 201010, 1, {{"where", 1}})), 101);
  EXPECT_EQ(Code(Access(conn, 201010, 1, {{"where", 2}})), 0);
}

TEST_F(DispatcherTest, PinnedFirmKeyMustMatch) {
  Add(Item(201010));
  ConnectionState conn = Connect();
  EXPECT_EQ(Code(Access(conn, 201010, 1, {{"firm_key", json::binary(firm_.public_key)}})), 0);
  Bytes other(32, 7);
  EXPECT_EQ(Code(Access(conn, 201010, 1, {{"firm_key", json::binary(other)}})), 17);
}

TEST_F(DispatcherTest, TimeLimitsInProtocolOrder) {
  model::ProductItem future = Item(1);
  future.activation_time = kNow + 100;
  model::ProductItem expired = Item(2);
  expired.expiration = kNow + 10;
  model::ProductItem checkpoint = Item(3);
  checkpoint.checkpoint_days = 1;
  std::vector<model::OperationBody> ops;
  for (auto* i : {&future, &expired, &checkpoint}) ops.push_back(model::op::AddProduct{*i});
  Apply(std::move(ops));
  ConnectionState conn = Connect();
  EXPECT_EQ(Code(Access(conn, 1)), 37);
  EXPECT_EQ(Code(Access(conn, 3)), 0);  // the checkpoint started with the update
  clock_.Advance(20);
  json r = Access(conn, 2);
  EXPECT_EQ(Code(r), 35);
  EXPECT_NE(r["message"].get<std::string>().find("renew"), std::string::npos);
  clock_.Advance(86400);
  EXPECT_EQ(Code(Access(conn, 3)), 41);
  EXPECT_EQ(Code(Access(conn, 1)), 0);
}

TEST_F(DispatcherTest, ClockSetBackRefusesOnlyTimeLimitedItems) {
  model::ProductItem limited = Item(1);
  limited.expiration = kNow + 365 * 86400;
  std::vector<model::OperationBody> ops;
  ops.push_back(model::op::AddProduct{limited});
  ops.push_back(model::op::AddProduct{Item(2)});
  Apply(std::move(ops));
  ConnectionState conn = Connect();
  clock_.Advance(-model::kClockTolerance - 60);
  EXPECT_EQ(Code(Access(conn, 1)), 38);
  EXPECT_EQ(Code(Access(conn, 2)), 0);
}

TEST_F(DispatcherTest, UsagePeriodStartsAtFirstAccessAndIsPersisted) {
  model::ProductItem item = Item(201010);
  item.usage_period = 3600;
  Add(item);
  ConnectionState conn = Connect();
  json r = Access(conn, 201010, 2);
  ASSERT_EQ(Code(r), 0) << r.dump();
  EXPECT_EQ(r["item"]["usage_started"], kNow);
  // On disk before the answer (the runner is inline, so "before" is "by now").
  EXPECT_EQ(store_->Open(serial_)->state.FindProduct(kFirm, 201010)->usage_started, kNow);
  clock_.Advance(1800);
  json again = Access(conn, 201010, 2);
  ASSERT_EQ(Code(again), 0);
  EXPECT_EQ(again["item"]["usage_started"], kNow);  // not restarted
  clock_.Advance(1800);
  EXPECT_EQ(Code(Access(conn, 201010, 2)), 39);
}

TEST_F(DispatcherTest, FailedFirstUseWriteRefusesAndFreesTheSeat) {
  model::ProductItem item = Item(201010);
  item.usage_period = 3600;
  Add(item);
  ConnectionState conn = Connect();
  env_.FailWritesFrom(0);
  EXPECT_NE(Code(Access(conn, 201010)), 0);
  env_.Heal();
  EXPECT_EQ(dispatcher_->LeaseCounts().size(), 0u);
  EXPECT_EQ(Code(Access(conn, 201010)), 0);
}

TEST_F(DispatcherTest, MaintenanceFeatureUnitsAndModeChecks) {
  model::ProductItem item = Item(201010);
  item.maintenance_until = kNow;
  item.unit_counter = 0;
  item.access_modes = model::ModeBit(model::AccessMode::kUserLimit);
  Add(item);
  ConnectionState conn = Connect();
  EXPECT_EQ(Code(Access(conn, 201010, 1, {{"release_date", kNow + 1}})), 40);
  EXPECT_EQ(Code(Access(conn, 201010, 1, {{"release_date", kNow}, {"feature_code", 4}})), 33);
  EXPECT_EQ(Code(Access(conn, 201010, 1, {{"feature_code", 3}})), 32);
  std::vector<model::OperationBody> ops;
  ops.push_back(model::op::SetUnits{201010, 1});
  Apply(std::move(ops));
  EXPECT_EQ(Code(Access(conn, 201010, 4)), 223);
  EXPECT_EQ(Code(Access(conn, 201010, 8)), 223);  // no-user-limit needs the vendor's consent
  EXPECT_EQ(Code(Access(conn, 201010, 1)), 0);
  EXPECT_EQ(metrics_.access_count(ErrorCode::kWrongAccessMode), 2u);
}

TEST_F(DispatcherTest, SeatsAcrossConnectionsAndReleaseOnClose) {
  model::ProductItem item = Item(201010);
  item.license_quantity = 1;
  item.access_modes = model::kAllAccessModeBits;
  Add(item);
  ConnectionState a = Connect(1000, 11);
  ConnectionState b = Connect(1001, 12);
  json first = Access(a, 201010);
  ASSERT_EQ(Code(first), 0);
  json full = Access(b, 201010);
  EXPECT_EQ(Code(full), 212);
  EXPECT_NE(full["message"].get<std::string>().find("seat"), std::string::npos);
  EXPECT_EQ(Code(Access(b, 201010, 4)), 213);
  EXPECT_EQ(Code(Access(b, 201010, 8)), 0);
  // b's handle is not a's to release.
  EXPECT_EQ(Code(Call(b, {{"op", "release"}, {"handle", first["handle"]}})), 1);
  dispatcher_->Close(a.id);  // the process died
  EXPECT_EQ(Code(Access(b, 201010)), 0);
  EXPECT_EQ(Code(Call(a, {{"op", "info"}, {"handle", first["handle"]}})), 1);
}

TEST_F(DispatcherTest, ExclusiveAndStationShare) {
  model::ProductItem item = Item(201010);
  item.license_quantity = 2;
  Add(item);
  ConnectionState a = Connect(1000, 11);
  ConnectionState b = Connect(1000, 12);
  json ex = Access(a, 201010, 4);
  ASSERT_EQ(Code(ex), 0);
  EXPECT_EQ(Code(Access(b, 201010, 2)), 213);
  ASSERT_EQ(Code(Call(a, {{"op", "release"}, {"handle", ex["handle"]}})), 0);
  for (int i = 0; i < 3; ++i) EXPECT_EQ(Code(Access(a, 201010, 2)), 0);
  for (int i = 0; i < 3; ++i) EXPECT_EQ(Code(Access(b, 201010, 2)), 0);
  EXPECT_EQ(Code(Access(b, 201010, 1)), 0);  // seat 2 of 2
  EXPECT_EQ(Code(Access(b, 201010, 1)), 212);
}

TEST_F(DispatcherTest, SeatsOfASecondContainerAreUsedWhenTheFirstIsFull) {
  Add(Item(201010));
  std::string second = *store_->Create();
  std::vector<model::OperationBody> ops;
  ops.push_back(model::op::AddProduct{Item(201010)});
  Apply(std::move(ops), second);
  ConnectionState conn = Connect();
  json a = Access(conn, 201010);
  json b = Access(conn, 201010);
  ASSERT_EQ(Code(a), 0);
  ASSERT_EQ(Code(b), 0) << b.dump();
  EXPECT_NE(a["serial"], b["serial"]);
  EXPECT_EQ(Code(Access(conn, 201010)), 212);
  EXPECT_EQ(Code(Access(conn, 201010, 1, {{"serial", second}})), 212);
}

TEST_F(DispatcherTest, AccessSeesImportsMadeByAnotherProcess) {
  ConnectionState conn = Connect();
  EXPECT_EQ(Code(Access(conn, 201010)), 202);
  Add(Item(201010));  // through ContainerStore, as the CLI
  EXPECT_EQ(Code(Access(conn, 201010)), 0);
  std::vector<model::OperationBody> ops;
  ops.push_back(model::op::DeleteProduct{201010});
  Apply(std::move(ops));
  EXPECT_EQ(Code(Access(conn, 201010)), 200);
}

}  // namespace
}  // namespace licet::daemon::testing
