#include "daemon/write_queue.h"

#include <vector>

namespace licet::daemon {

WriteQueue::WriteQueue(engine::ContainerCache* cache, BlockingRunner runner)
    : cache_(cache), runner_(std::move(runner)) {}

void WriteQueue::Submit(const std::string& serial, Change change, Done done) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    Lane& lane = lanes_[serial];
    lane.queue.push_back({std::move(change), std::move(done)});
    if (lane.running) return;  // the running batch loop picks it up
    lane.running = true;
    ++running_;
  }
  runner_([this, serial] { Run(serial); });
}

void WriteQueue::Run(const std::string& serial) {
  for (;;) {
    std::vector<Pending> batch;
    {
      std::lock_guard<std::mutex> lock(mu_);
      Lane& lane = lanes_[serial];
      if (lane.queue.empty()) {
        lanes_.erase(serial);
        if (--running_ == 0) idle_.notify_all();
        return;
      }
      batch.reserve(lane.queue.size());
      for (auto& p : lane.queue) batch.push_back(std::move(p));
      lane.queue.clear();
    }
    // Each change gets its own outcome; the write's outcome overrides the successful ones.
    std::vector<Status> outcomes(batch.size());
    Status write = cache_->Modify(serial, [&](engine::SoftContainer& c) -> Result<bool> {
      bool changed = false;
      for (size_t i = 0; i < batch.size(); ++i) {
        auto r = batch[i].change(c);
        if (!r.ok()) {
          outcomes[i] = r.status();
        } else {
          outcomes[i] = Status::Ok();
          changed = changed || *r;
        }
      }
      return changed;
    });
    for (size_t i = 0; i < batch.size(); ++i) {
      batch[i].done(outcomes[i].ok() ? write : outcomes[i]);
    }
  }
}

void WriteQueue::Drain() {
  std::unique_lock<std::mutex> lock(mu_);
  idle_.wait(lock, [this] { return running_ == 0; });
}

}  // namespace licet::daemon
