// Group commit for a database with one writer (SQLite): write transactions that arrive
// while a commit is in flight are batched into the next transaction, each in its own
// SAVEPOINT, so that one fsync makes a whole batch durable instead of one fsync each.
//
// A caller of Run() is answered only after the transaction holding its work has
// committed (so "answered" still means "survives a power cut" under synchronous=FULL), or
// with the error that rolled its work back. One member that fails rolls back to its
// savepoint alone; the others of its batch commit. The leader (the first caller that finds
// no batch in progress) runs the whole batch's functions on its own thread, one after the
// other, on one connection; the other callers sleep until their batch is done.
#ifndef LICET_CENTRAL_STORE_GROUP_COMMIT_H_
#define LICET_CENTRAL_STORE_GROUP_COMMIT_H_

#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <mutex>

#include "central/store/sql.h"
#include "common/status.h"

namespace licet::central::store {

class Tx;

class GroupCommitter {
 public:
  // `db` must outlive the committer. `max_batch` >= 1 bounds the functions per transaction
  // (and so the latency one batch adds to its last member).
  explicit GroupCommitter(Database& db, int max_batch = 64) : db_(db), max_batch_(max_batch) {}
  GroupCommitter(const GroupCommitter&) = delete;
  GroupCommitter& operator=(const GroupCommitter&) = delete;

  // Runs `fn` once inside a write transaction shared with concurrent callers and returns
  // its status once that transaction committed; fn's own error when fn failed (its changes
  // are rolled back, the batch's others are not); the BEGIN's or COMMIT's error when the
  // whole batch failed (kBusy then means: run it again). `fn` must not start another
  // transaction on this Store (it runs on the leader's thread while the batch holds the
  // writer: a nested write would wait for itself). Thread-safe.
  Status Run(const std::function<Status(Tx&)>& fn);

  // Batches committed and functions run so far (for tests and metrics).
  int64_t batches() const;
  int64_t members() const;

 private:
  struct Member {
    const std::function<Status(Tx&)>* fn = nullptr;
    Status result;
    bool done = false;
  };

  void RunBatch(std::deque<Member*>& batch);

  Database& db_;
  const int max_batch_;
  mutable std::mutex mu_;
  std::condition_variable cv_;
  std::deque<Member*> queue_;
  bool leader_active_ = false;
  int64_t batches_ = 0;
  int64_t members_ = 0;
};

}  // namespace licet::central::store

#endif  // LICET_CENTRAL_STORE_GROUP_COMMIT_H_
