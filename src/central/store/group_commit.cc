#include "central/store/group_commit.h"

#include <exception>
#include <string>

#include "central/store/store.h"

namespace licet::central::store {
namespace {

// One name serves every member: savepoints nest by name, and each member's is released
// (or rolled back and released) before the next member starts.
constexpr std::string_view kSavepoint = "SAVEPOINT licet_member";
constexpr std::string_view kRelease = "RELEASE licet_member";
constexpr std::string_view kRollbackTo = "ROLLBACK TO licet_member";

// A member's function may come from code that calls throwing third-party libraries; the
// leader runs it for another thread and must survive it, so that thread gets a Status.
Status RunMember(const std::function<Status(Tx&)>& fn, Connection& conn) {
  try {
    Tx tx(conn);
    return fn(tx);
  } catch (const std::exception& e) {
    return Error(ErrorCode::kInternal, std::string("write transaction threw: ") + e.what());
  } catch (...) {
    return Error(ErrorCode::kInternal, "write transaction threw");
  }
}

}  // namespace

Status GroupCommitter::Run(const std::function<Status(Tx&)>& fn) {
  Member me;
  me.fn = &fn;
  std::unique_lock lock(mu_);
  queue_.push_back(&me);
  while (!me.done) {
    if (leader_active_) {
      cv_.wait(lock);
      continue;
    }
    // Lead one batch: everything queued so far (this caller's work included, unless the
    // queue is longer than a batch; then a later round takes it).
    leader_active_ = true;
    std::deque<Member*> batch;
    while (!queue_.empty() && static_cast<int>(batch.size()) < max_batch_) {
      batch.push_back(queue_.front());
      queue_.pop_front();
    }
    lock.unlock();
    RunBatch(batch);
    lock.lock();
    for (Member* m : batch) m->done = true;
    ++batches_;
    members_ += static_cast<int64_t>(batch.size());
    leader_active_ = false;
    cv_.notify_all();
  }
  return me.result;
}

void GroupCommitter::RunBatch(std::deque<Member*>& batch) {
  auto lease = db_.Acquire();
  if (!lease.ok()) {
    for (Member* m : batch) m->result = lease.status();
    return;
  }
  Connection& conn = **lease;
  if (Status st = conn.Begin(TxMode::kWrite); !st.ok()) {
    conn.Rollback();
    for (Member* m : batch) m->result = st;
    return;
  }
  // Set when the transaction itself is lost (a savepoint statement failed, e.g. SQLite
  // rolled everything back after an I/O error): members that succeeded so far must run
  // again, so they get kBusy, which Store::Transact retries.
  Status aborted;
  for (Member* m : batch) {
    if (!aborted.ok()) {
      m->result = aborted;
      continue;
    }
    if (Status sp = conn.Execute(kSavepoint, {}).status(); !sp.ok()) {
      aborted = Error(ErrorCode::kBusy, "group commit: " + sp.message());
      m->result = aborted;
      continue;
    }
    m->result = RunMember(*m->fn, conn);
    Status end;
    if (m->result.ok()) {
      end = conn.Execute(kRelease, {}).status();
    } else {
      end = conn.Execute(kRollbackTo, {}).status();
      if (end.ok()) end = conn.Execute(kRelease, {}).status();
    }
    if (!end.ok()) aborted = Error(ErrorCode::kBusy, "group commit: " + end.message());
  }
  if (aborted.ok()) {
    Status commit = conn.Commit();
    if (commit.ok()) return;
    aborted = commit;
  }
  conn.Rollback();
  for (Member* m : batch) {
    if (m->result.ok()) m->result = aborted;
  }
}

int64_t GroupCommitter::batches() const {
  std::lock_guard g(mu_);
  return batches_;
}

int64_t GroupCommitter::members() const {
  std::lock_guard g(mu_);
  return members_;
}

}  // namespace licet::central::store
