// ContainerCache against a real store in a temp dir, with the real device properties.
#include "engine/container_cache.h"

#include <gtest/gtest.h>
#include <unistd.h>
#include <stdlib.h>

#include <fstream>

#include "engine/context_file.h"
#include "engine/firm_key.h"
#include "engine/update_file.h"
#include "model/checks.h"

namespace licet::engine {
namespace {

constexpr UnixTime kNow = 1800000000;

class ContainerCacheTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/licet-cache-test-XXXXXX";
    ASSERT_NE(mkdtemp(tmpl), nullptr);
    home_ = tmpl;
    store_ = std::make_unique<ContainerStore>(home_, &env_, &clock_);
    auto serial = store_->Create();
    ASSERT_TRUE(serial.ok()) << serial.status().ToString();
    serial_ = *serial;
    cache_ = std::make_unique<ContainerCache>(store_.get(), &env_);
    ASSERT_TRUE(cache_->Rescan().ok());
  }
  void TearDown() override { std::system(("rm -rf " + home_).c_str()); }

  const CachedContainer& Only(const ContainerCache::Snapshot& s) {
    EXPECT_EQ(s->size(), 1u);
    return s->front();
  }

  // Adds a product with 10 units through the regular (CLI) path.
  void ImportProduct() {
    FirmKey firm = *GenerateFirmKey(6000010, "Sample", kNow);
    SoftContainer c = *store_->Open(serial_);
    ContainerContext ctx =
        *ReadContextFile(*MakeContextFile(c, 6000010, format::FileKind::kContext, kNow));
    model::ProductItem item;
    item.product_code = 201010;
    item.unit_counter = 10;
    std::vector<model::OperationBody> ops;
    ops.push_back(model::op::AddProduct{item});
    Bytes update = *CreateUpdateFile(firm, ctx, std::move(ops), kNow);
    ASSERT_TRUE(ImportUpdate(*store_, update).ok());
  }

  std::string home_;
  FaultInjectingEnv env_;
  FakeClock clock_{kNow};
  std::unique_ptr<ContainerStore> store_;
  std::unique_ptr<ContainerCache> cache_;
  std::string serial_;
};

TEST_F(ContainerCacheTest, RescanLoadsAndRefreshKeepsUnchangedCopies) {
  auto snap = cache_->Current();
  const CachedContainer& c = Only(snap);
  EXPECT_EQ(c.serial, serial_);
  ASSERT_TRUE(c.error.ok()) << c.error.ToString();
  ASSERT_NE(c.container, nullptr);
  // Nothing changed: the very same snapshot comes back.
  EXPECT_EQ(cache_->Refresh().get(), snap.get());
}

TEST_F(ContainerCacheTest, RefreshSeesAnotherProcessesWrite) {
  uint64_t before = Only(cache_->Current()).container->generation;
  ImportProduct();  // ContainerStore::Modify, as the CLI does
  auto snap = cache_->Refresh();
  const CachedContainer& c = Only(snap);
  EXPECT_GT(c.container->generation, before);
  EXPECT_NE(c.container->state.FindProduct(6000010, 201010), nullptr);
}

// The directory watch must not hide a change: each write by "another process" is seen by the
// very next Refresh, however soon it comes, and an unchanged file keeps its snapshot.
TEST_F(ContainerCacheTest, EveryOutsideChangeIsSeenByTheNextRefresh) {
  for (int i = 0; i < 5; ++i) {
    auto snap = cache_->Refresh();
    EXPECT_EQ(cache_->Refresh().get(), snap.get());
    const uint64_t before = Only(snap).container->generation;
    ASSERT_TRUE(store_->Modify(serial_, [](SoftContainer&) -> Result<bool> { return true; }).ok());
    auto next = cache_->Refresh();
    EXPECT_GT(Only(next).container->generation, before) << "round " << i;
  }
  // Replaced by a copy of the same bytes: a new inode, so it is reloaded.
  auto snap = cache_->Refresh();
  const std::string path = store_->PathOf(serial_);
  ASSERT_EQ(std::system(("cp -p '" + path + "' '" + path + ".tmp' && mv '" + path + ".tmp' '" +
                         path + "'")
                            .c_str()),
            0);
  EXPECT_NE(cache_->Refresh().get(), snap.get());
  // Removed: dropped at once.
  ASSERT_EQ(::unlink(path.c_str()), 0);
  EXPECT_TRUE(cache_->Refresh()->empty());
}

TEST_F(ContainerCacheTest, ModifyPersistsBeforePublishing) {
  ImportProduct();
  cache_->Refresh();
  ASSERT_TRUE(cache_
                  ->Modify(serial_,
                           [](SoftContainer& c) -> Result<bool> {
                             LICET_RETURN_IF_ERROR(
                                 model::DecrementUnits(*c.state.FindProduct(6000010, 201010), 3));
                             return true;
                           })
                  .ok());
  EXPECT_EQ(Only(cache_->Current()).container->state.FindProduct(6000010, 201010)->unit_counter,
            7u);
  SoftContainer on_disk = *store_->Open(serial_);
  EXPECT_EQ(on_disk.state.FindProduct(6000010, 201010)->unit_counter, 7u);
  // The published identity is the file's: no reload follows.
  auto snap = cache_->Current();
  EXPECT_EQ(cache_->Refresh().get(), snap.get());
}

TEST_F(ContainerCacheTest, FailedFnOrFailedWriteChangesNothing) {
  ImportProduct();
  auto snap = cache_->Refresh();
  FileIdentity id = *StatFile(store_->PathOf(serial_));
  Status st = cache_->Modify(serial_, [](SoftContainer& c) -> Result<bool> {
    LICET_RETURN_IF_ERROR(model::DecrementUnits(*c.state.FindProduct(6000010, 201010), 11));
    return true;
  });
  EXPECT_EQ(st.code(), ErrorCode::kUnitCounterZero);
  EXPECT_TRUE(cache_->Modify(serial_, [](SoftContainer&) -> Result<bool> { return false; }).ok());
  EXPECT_EQ(*StatFile(store_->PathOf(serial_)), id);

  env_.FailWritesFrom(0);
  st = cache_->Modify(serial_, [](SoftContainer& c) -> Result<bool> {
    LICET_RETURN_IF_ERROR(model::DecrementUnits(*c.state.FindProduct(6000010, 201010), 1));
    return true;
  });
  EXPECT_FALSE(st.ok());
  env_.Heal();
  EXPECT_EQ(cache_->Current().get(), snap.get());
  EXPECT_EQ(store_->Open(serial_)->state.FindProduct(6000010, 201010)->unit_counter, 10u);
}

TEST_F(ContainerCacheTest, ModifyStartsFromTheFileWhenAnotherProcessWroteIt) {
  ImportProduct();  // the cache has not seen this yet
  ASSERT_TRUE(cache_
                  ->Modify(serial_,
                           [](SoftContainer& c) -> Result<bool> {
                             model::ProductItem* item = c.state.FindProduct(6000010, 201010);
                             if (item == nullptr)
                               return Error(ErrorCode::kEntryNotFound, "missing");
                             LICET_RETURN_IF_ERROR(model::DecrementUnits(*item, 1));
                             return true;
                           })
                  .ok());
  EXPECT_EQ(store_->Open(serial_)->state.FindProduct(6000010, 201010)->unit_counter, 9u);
}

TEST_F(ContainerCacheTest, RescanAddsNewAndDropsRemovedContainers) {
  std::string second = *store_->Create();
  EXPECT_EQ(cache_->Refresh()->size(), 1u);  // Refresh does not list the directory
  auto snap = *cache_->Rescan();
  ASSERT_EQ(snap->size(), 2u);
  EXPECT_LT((*snap)[0].serial, (*snap)[1].serial);
  ASSERT_TRUE(env_.RemoveFile(store_->PathOf(second)).ok());
  snap = cache_->Refresh();
  ASSERT_EQ(snap->size(), 1u);
  EXPECT_EQ(snap->front().serial, serial_);
  EXPECT_EQ(cache_->Modify(second, [](SoftContainer&) -> Result<bool> { return true; }).code(),
            ErrorCode::kContainerNotFound);
}

TEST_F(ContainerCacheTest, WritesInProgressAreNotReloadedByRefresh) {
  auto before = cache_->Current();
  {
    auto mark = cache_->MarkWriting(serial_);
    ImportProduct();                                   // written through the store while marked
    EXPECT_EQ(cache_->Refresh().get(), before.get());  // the writer will publish
    ASSERT_TRUE(cache_->Reload(serial_).ok());
  }
  auto after = cache_->Current();
  EXPECT_NE(after.get(), before.get());
  EXPECT_NE(Only(after).container->state.FindProduct(6000010, 201010), nullptr);
  EXPECT_EQ(cache_->Refresh().get(), after.get());
}

TEST_F(ContainerCacheTest, DamagedFileIsReportedNotFatal) {
  {
    std::ofstream out(store_->PathOf(serial_), std::ios::binary | std::ios::trunc);
    out << "not a container";
  }
  // Written in place (same inode): size and mtime still give it away.
  auto snap = cache_->Refresh();
  const CachedContainer& c = Only(snap);
  EXPECT_EQ(c.container, nullptr);
  EXPECT_FALSE(c.error.ok());
  EXPECT_FALSE(cache_->Modify(serial_, [](SoftContainer&) -> Result<bool> { return true; }).ok());
}

}  // namespace
}  // namespace licet::engine
