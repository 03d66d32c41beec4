// Group commit: concurrent changes of one container are written in batches, each change is
// told its own outcome, and a failed write fails the whole batch without changing anything.
#include "daemon/write_queue.h"

#include <gtest/gtest.h>

#include <atomic>
#include <boost/asio/post.hpp>
#include <boost/asio/thread_pool.hpp>
#include <thread>

#include "daemon/dispatcher_fixture.h"
#include "model/checks.h"

namespace licet::daemon::testing {
namespace {

class WriteQueueTest : public DispatcherFixture {
 protected:
  WriteQueue::Change Take(uint64_t n) {
    return [n](engine::SoftContainer& c) -> Result<bool> {
      LICET_RETURN_IF_ERROR(model::DecrementUnits(*c.state.FindProduct(kFirm, 201010), n));
      return true;
    };
  }
  uint64_t OnDisk() {
    return *store_->Open(serial_)->state.FindProduct(kFirm, 201010)->unit_counter;
  }
};

TEST_F(WriteQueueTest, ConcurrentChangesAreBatchedAndEachAnswered) {
  model::ProductItem item = Item(201010);
  item.unit_counter = 1000;
  Add(item);
  boost::asio::thread_pool pool(2);
  WriteQueue queue(cache_.get(),
                   [&pool](std::function<void()> job) { boost::asio::post(pool, std::move(job)); });
  const int writes_before = env_.writes();
  std::atomic<int> ok{0}, failed{0};
  std::vector<std::thread> submitters;
  for (int t = 0; t < 4; ++t) {
    submitters.emplace_back([&] {
      for (int i = 0; i < 50; ++i) {
        queue.Submit(serial_, Take(1), [&](Status st) { (st.ok() ? ok : failed)++; });
      }
    });
  }
  for (auto& t : submitters) t.join();
  queue.Drain();
  pool.join();
  EXPECT_EQ(ok.load(), 200);
  EXPECT_EQ(failed.load(), 0);
  EXPECT_EQ(OnDisk(), 800u);
  EXPECT_EQ(*cache_->Current()->front().container->state.FindProduct(kFirm, 201010)->unit_counter,
            800u);
  // 200 changes, far fewer fsynced writes.
  EXPECT_LT(env_.writes() - writes_before, 200);
}

TEST_F(WriteQueueTest, OneChangeFailingDoesNotFailItsBatch) {
  model::ProductItem item = Item(201010);
  item.unit_counter = 5;
  Add(item);
  // An inline runner that holds back the first job so that the next three queue up behind it.
  std::vector<std::function<void()>> jobs;
  WriteQueue queue(cache_.get(),
                   [&jobs](std::function<void()> job) { jobs.push_back(std::move(job)); });
  std::vector<Status> outcomes(3);
  queue.Submit(serial_, Take(2), [&](Status st) { outcomes[0] = st; });
  queue.Submit(serial_, Take(9), [&](Status st) { outcomes[1] = st; });
  queue.Submit(serial_, Take(3), [&](Status st) { outcomes[2] = st; });
  ASSERT_EQ(jobs.size(), 1u);  // one batch loop for the container
  jobs.front()();
  EXPECT_TRUE(outcomes[0].ok());
  EXPECT_EQ(outcomes[1].code(), ErrorCode::kUnitCounterZero);
  EXPECT_TRUE(outcomes[2].ok());
  EXPECT_EQ(OnDisk(), 0u);
}

TEST_F(WriteQueueTest, AFailedWriteFailsTheBatchAndChangesNothing) {
  model::ProductItem item = Item(201010);
  item.unit_counter = 5;
  Add(item);
  std::vector<std::function<void()>> jobs;
  WriteQueue queue(cache_.get(),
                   [&jobs](std::function<void()> job) { jobs.push_back(std::move(job)); });
  std::vector<Status> outcomes(2);
  queue.Submit(serial_, Take(1), [&](Status st) { outcomes[0] = st; });
  queue.Submit(serial_, Take(1), [&](Status st) { outcomes[1] = st; });
  env_.FailWritesFrom(0);
  jobs.front()();
  env_.Heal();
  EXPECT_FALSE(outcomes[0].ok());
  EXPECT_FALSE(outcomes[1].ok());
  EXPECT_EQ(OnDisk(), 5u);
  EXPECT_EQ(*cache_->Current()->front().container->state.FindProduct(kFirm, 201010)->unit_counter,
            5u);
  // The lane is free again: the next change starts a new batch.
  queue.Submit(serial_, Take(1), [&](Status st) { outcomes[0] = st; });
  ASSERT_EQ(jobs.size(), 2u);
  jobs.back()();
  EXPECT_TRUE(outcomes[0].ok());
  EXPECT_EQ(OnDisk(), 4u);
}

}  // namespace
}  // namespace licet::daemon::testing
