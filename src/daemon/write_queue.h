// Group commit of container writes. Every change licetd makes to a container (unit decrements,
// the start of a usage period) goes through here: changes submitted while a write of the same
// container is in progress are applied together in the next write, so a storm of decrements
// costs one fsync per batch instead of one per request, and no request is answered before the
// write that holds its change is durable.
#ifndef LICET_DAEMON_WRITE_QUEUE_H_
#define LICET_DAEMON_WRITE_QUEUE_H_

#include <condition_variable>
#include <deque>
#include <functional>
#include <map>
#include <mutex>
#include <string>

#include "common/status.h"
#include "engine/container_cache.h"

namespace licet::daemon {

// Runs a blocking job on some other thread (a pool in licetd; inline in tests).
using BlockingRunner = std::function<void(std::function<void()>)>;

class WriteQueue {
 public:
  // Changes a container. Must be all-or-nothing: on error it leaves the container as it was.
  // Returns true when it changed something.
  using Change = std::function<Result<bool>(engine::SoftContainer&)>;
  // Told the outcome once the batch is durable (OK), or why not: the change's own error, or
  // the error of reading or writing the file (then nothing of the batch was written).
  using Done = std::function<void(Status)>;

  // `cache` must outlive the queue.
  WriteQueue(engine::ContainerCache* cache, BlockingRunner runner);
  WriteQueue(const WriteQueue&) = delete;
  WriteQueue& operator=(const WriteQueue&) = delete;

  // Queues `change` for container `serial`. `done` runs on a runner thread (or inline when the
  // runner is inline), after the write.
  void Submit(const std::string& serial, Change change, Done done);

  // Blocks until no batch is queued or being written.
  void Drain();

 private:
  struct Pending {
    Change change;
    Done done;
  };
  struct Lane {
    std::deque<Pending> queue;
    bool running = false;
  };
  void Run(const std::string& serial);

  engine::ContainerCache* cache_;
  BlockingRunner runner_;
  std::mutex mu_;
  std::condition_variable idle_;
  std::map<std::string, Lane> lanes_;  // guarded by mu_
  int running_ = 0;                    // guarded by mu_
};

}  // namespace licet::daemon

#endif  // LICET_DAEMON_WRITE_QUEUE_H_
