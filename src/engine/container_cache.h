// An in-memory cache of the opened soft containers of a store, for a long-running process
// (licetd) that must answer accesses without reading files or device properties.
//
// Each container is kept decrypted, with the identity (device, inode, size, mtime) of the file
// version it was read from. ContainerStore writes by rename, so every save, by this process or
// by another (the licet CLI importing while licetd runs), gives the file a new inode: one
// stat(2) per container tells whether the cached copy is current. Refresh() does that and
// reloads only what changed; Rescan() also lists the directory for new and removed containers.
//
// Refresh() stats only when something happened in the containers directory: an inotify watch
// on it is read (non-blocking) first, and when no event is queued since the last full check
// the snapshot is current. The kernel queues the event before rename(2) or write(2) returns,
// so a change any process has completed is seen by the next Refresh, as with a stat. Without
// the watch (no directory yet, inotify unavailable, queue overflow) every Refresh stats.
//
// Writes go through Modify(), which works like ContainerStore::Modify (same lock file, same
// atomic write) but starts from the cached copy when the file is unchanged, so that a unit
// decrement does not re-read the device properties or decrypt the file.
//
// Thread-safe: snapshots are immutable and shared; Refresh, Rescan and Modify may run on any
// thread. Modify blocks (flock, fsync): do not call it on a latency-sensitive thread.
#ifndef LICET_ENGINE_CONTAINER_CACHE_H_
#define LICET_ENGINE_CONTAINER_CACHE_H_

#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "common/env.h"
#include "common/status.h"
#include "engine/container_store.h"
#include "engine/soft_container.h"

namespace licet::engine {

// Which version of a file is on disk. An atomic replace creates the new file while the old one
// is still linked, so the inode differs from the cached one on every save.
struct FileIdentity {
  uint64_t device = 0;
  uint64_t inode = 0;
  int64_t size = 0;
  int64_t mtime_ns = 0;
  bool operator==(const FileIdentity&) const = default;
};

// One container of the store as last seen.
struct CachedContainer {
  std::string serial;
  std::string path;
  FileIdentity identity;
  // Why the container cannot be opened (kDeviceMismatch, kCorruptData...); OK when
  // `container` is set. A failed file is retried only when its identity changes.
  Status error;
  std::shared_ptr<const SoftContainer> container;
};

// A deep copy (secrets cloned): the starting point of a modification.
SoftContainer CloneContainer(const SoftContainer& c);

class ContainerCache {
 public:
  // Containers of the store, sorted by serial. Never null.
  using Snapshot = std::shared_ptr<const std::vector<CachedContainer>>;

  // `store` and `env` must outlive the cache. The cache is empty until Rescan().
  explicit ContainerCache(ContainerStore* store, Env* env = &Env::Default());
  ~ContainerCache();
  ContainerCache(const ContainerCache&) = delete;
  ContainerCache& operator=(const ContainerCache&) = delete;

  ContainerStore& store() { return *store_; }

  // The current snapshot, without any system call.
  Snapshot Current() const;

  // Stats every known container file; reloads those replaced since they were read and drops
  // those deleted. One stat per container when nothing changed.
  Snapshot Refresh();

  // Refresh() plus a directory listing: adds new containers. kIoError only when the
  // directory cannot be listed (the previous snapshot stays).
  Result<Snapshot> Rescan();

  // Marks `serial` as being written by this process until the returned token is destroyed.
  // Meanwhile Refresh() keeps serving the cached copy even when the file has changed: the
  // writer publishes the new version itself, and a reload would read device properties on
  // the refreshing thread for nothing. Modify() marks on its own; use this around writes
  // made through ContainerStore (imports), followed by Reload().
  std::shared_ptr<void> MarkWriting(const std::string& serial);

  // Reads `serial` from disk now and publishes it, changed or not. For writers that went
  // through ContainerStore. Returns the error of opening it (also published).
  Status Reload(const std::string& serial);

  // Runs `fn` on a private copy of the current version of the container, under the same
  // exclusive lock as ContainerStore::Modify. When `fn` returns true, the copy is saved
  // atomically (temp file, fsync, rename, fsync of the directory), its highest_time_seen raised
  // to now and its generation incremented, and only then published to the cache; when `fn`
  // returns false or an error nothing is written. Returns `fn`'s error, kContainerNotFound, or
  // the error of opening or writing the file. Blocks.
  Status Modify(const std::string& serial, const std::function<Result<bool>(SoftContainer&)>& fn);

 private:
  // Reads and opens the file at `path` (the identity is that of the bytes read).
  CachedContainer Load(const std::string& serial) const;
  // Replaces the entry of `serial` when its identity still is `expected` (or, when `force`,
  // always); adds it when missing.
  void Publish(CachedContainer entry, const FileIdentity* expected);
  std::mutex& WriterMutex(const std::string& serial);
  // Reads the queued directory events. True when nothing changed since the last full check
  // (no syscall beyond one read); otherwise `*generation` is what a full check then covers
  // (pass it to MarkChecked afterwards).
  bool WatchSaysUnchanged(uint64_t* generation);
  void MarkChecked(uint64_t generation);
  // Sets up the watch when the directory exists and there is none yet.
  void StartWatch();

  ContainerStore* store_;
  Env* env_;
  std::string dir_;
  mutable std::mutex mu_;
  Snapshot current_;                                            // guarded by mu_
  std::map<std::string, std::unique_ptr<std::mutex>> writers_;  // guarded by mu_
  std::map<std::string, int> writing_;                          // guarded by mu_

  std::mutex watch_mu_;
  int watch_fd_ = -1;           // inotify descriptor, -1 without a usable watch; watch_mu_
  uint64_t event_generation_ = 1;  // bumped when events are read; guarded by watch_mu_
  uint64_t checked_generation_ = 0;  // covered by a full check; guarded by watch_mu_
};

// The identity of the file at `path`; kNotFound when it does not exist.
Result<FileIdentity> StatFile(const std::string& path);

}  // namespace licet::engine

#endif  // LICET_ENGINE_CONTAINER_CACHE_H_
