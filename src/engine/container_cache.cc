#include "engine/container_cache.h"

#include <fcntl.h>
#include <sys/inotify.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include "container/fingerprint.h"
#include "engine/paths.h"
#include "model/checks.h"

namespace licet::engine {
namespace {

constexpr size_t kMaxContainerFileSize = 64u << 20;  // as Env::ReadFile's default

FileIdentity IdentityOf(const struct stat& st) {
  FileIdentity id;
  id.device = static_cast<uint64_t>(st.st_dev);
  id.inode = static_cast<uint64_t>(st.st_ino);
  id.size = static_cast<int64_t>(st.st_size);
  id.mtime_ns = static_cast<int64_t>(st.st_mtim.tv_sec) * 1000000000 + st.st_mtim.tv_nsec;
  return id;
}

Status IoError(const std::string& what, const std::string& path, int err) {
  return Error(err == ENOENT ? ErrorCode::kNotFound : ErrorCode::kIoError,
               what + " " + path + ": " + std::strerror(err));
}

// The bytes of the file and the identity of exactly those bytes (fstat of the descriptor they
// were read from), so that a replace between stat and read cannot pair old bytes with a new
// identity.
Result<std::pair<Bytes, FileIdentity>> ReadWithIdentity(const std::string& path) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return IoError("cannot open", path, errno);
  struct stat st {};
  if (::fstat(fd, &st) != 0) {
    int err = errno;
    ::close(fd);
    return IoError("cannot stat", path, err);
  }
  if (st.st_size < 0 || static_cast<uint64_t>(st.st_size) > kMaxContainerFileSize) {
    ::close(fd);
    return Error(ErrorCode::kCorruptData, path + " is too large to be a container file");
  }
  Bytes data(static_cast<size_t>(st.st_size));
  size_t done = 0;
  while (done < data.size()) {
    ssize_t n = ::read(fd, data.data() + done, data.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      int err = n < 0 ? errno : EIO;
      ::close(fd);
      return IoError("cannot read", path, err);
    }
    done += static_cast<size_t>(n);
  }
  ::close(fd);
  return std::make_pair(std::move(data), IdentityOf(st));
}

}  // namespace

Result<FileIdentity> StatFile(const std::string& path) {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) return IoError("cannot stat", path, errno);
  return IdentityOf(st);
}

SoftContainer CloneContainer(const SoftContainer& c) {
  SoftContainer copy;
  copy.serial = c.serial;
  copy.created = c.created;
  copy.generation = c.generation;
  copy.enc_public_key = c.enc_public_key;
  copy.enc_private_key = c.enc_private_key.Clone();
  copy.sig_public_key = c.sig_public_key;
  copy.sig_private_key = c.sig_private_key.Clone();
  copy.master_key = c.master_key.Clone();
  copy.binding = c.binding;
  copy.state = c.state;
  return copy;
}

ContainerCache::ContainerCache(ContainerStore* store, Env* env)
    : store_(store),
      env_(env),
      dir_(ContainersDir(store->home())),
      current_(std::make_shared<const std::vector<CachedContainer>>()) {
  StartWatch();
}

ContainerCache::~ContainerCache() {
  if (watch_fd_ >= 0) ::close(watch_fd_);
}

void ContainerCache::StartWatch() {
  std::lock_guard<std::mutex> lock(watch_mu_);
  if (watch_fd_ >= 0) return;
  int fd = ::inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
  if (fd < 0) return;  // stat on every Refresh, as without inotify
  // Everything that can replace, change or remove a container file, and the directory itself
  // going away (then the watch is dropped: IN_IGNORED).
  constexpr uint32_t kMask = IN_CREATE | IN_DELETE | IN_MOVED_FROM | IN_MOVED_TO | IN_MODIFY |
                             IN_CLOSE_WRITE | IN_ATTRIB | IN_DELETE_SELF | IN_MOVE_SELF;
  if (::inotify_add_watch(fd, dir_.c_str(), kMask) < 0) {
    ::close(fd);
    return;
  }
  watch_fd_ = fd;
  // Changes made before the watch existed are not queued: the next Refresh checks in full.
  ++event_generation_;
}

bool ContainerCache::WatchSaysUnchanged(uint64_t* generation) {
  std::lock_guard<std::mutex> lock(watch_mu_);
  if (watch_fd_ >= 0) {
    alignas(inotify_event) char buf[4096];
    for (;;) {
      ssize_t n = ::read(watch_fd_, buf, sizeof buf);
      if (n < 0 && errno == EINTR) continue;
      if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) break;
      if (n <= 0) {  // an error: give the watch up
        ::close(watch_fd_);
        watch_fd_ = -1;
        break;
      }
      ++event_generation_;
      for (ssize_t off = 0; off + static_cast<ssize_t>(sizeof(inotify_event)) <= n;) {
        inotify_event ev;
        std::memcpy(&ev, buf + off, sizeof ev);
        // Lost events or a directory that is gone: no longer a complete account of changes.
        if ((ev.mask & (IN_Q_OVERFLOW | IN_IGNORED | IN_DELETE_SELF | IN_MOVE_SELF)) != 0 &&
            watch_fd_ >= 0) {
          ::close(watch_fd_);
          watch_fd_ = -1;
        }
        off += static_cast<ssize_t>(sizeof(inotify_event) + ev.len);
      }
      if (watch_fd_ < 0) break;
    }
  }
  *generation = event_generation_;
  return watch_fd_ >= 0 && checked_generation_ == event_generation_;
}

void ContainerCache::MarkChecked(uint64_t generation) {
  std::lock_guard<std::mutex> lock(watch_mu_);
  if (generation > checked_generation_) checked_generation_ = generation;
}

ContainerCache::Snapshot ContainerCache::Current() const {
  std::lock_guard<std::mutex> lock(mu_);
  return current_;
}

CachedContainer ContainerCache::Load(const std::string& serial) const {
  CachedContainer entry;
  entry.serial = serial;
  entry.path = store_->PathOf(serial);
  auto file = ReadWithIdentity(entry.path);
  if (!file.ok()) {
    entry.error = file.status();
    return entry;
  }
  entry.identity = file->second;
  auto props = container::ReadDeviceProperties();
  if (!props.ok()) {
    entry.error = props.status();
    return entry;
  }
  auto opened = DecodeContainerFile(file->first, *props);
  if (!opened.ok()) {
    entry.error = opened.status().WithContext("container " + serial);
    return entry;
  }
  entry.container = std::make_shared<const SoftContainer>(std::move(opened).value());
  return entry;
}

void ContainerCache::Publish(CachedContainer entry, const FileIdentity* expected) {
  std::lock_guard<std::mutex> lock(mu_);
  auto next = std::make_shared<std::vector<CachedContainer>>(*current_);
  auto it =
      std::lower_bound(next->begin(), next->end(), entry.serial,
                       [](const CachedContainer& c, const std::string& s) { return c.serial < s; });
  if (it != next->end() && it->serial == entry.serial) {
    // Someone published a newer version since `expected` was read: keep theirs.
    if (expected != nullptr && !(it->identity == *expected)) return;
    *it = std::move(entry);
  } else {
    next->insert(it, std::move(entry));
  }
  current_ = std::move(next);
}

std::shared_ptr<void> ContainerCache::MarkWriting(const std::string& serial) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    ++writing_[serial];
  }
  return std::shared_ptr<void>(nullptr, [this, serial](void*) {
    std::lock_guard<std::mutex> lock(mu_);
    if (--writing_[serial] == 0) writing_.erase(serial);
  });
}

Status ContainerCache::Reload(const std::string& serial) {
  CachedContainer fresh = Load(serial);
  Status st = fresh.error;
  if (st.code() == ErrorCode::kNotFound) {
    std::lock_guard<std::mutex> lock(mu_);
    auto next = std::make_shared<std::vector<CachedContainer>>();
    for (const CachedContainer& c : *current_) {
      if (c.serial != serial) next->push_back(c);
    }
    current_ = std::move(next);
    return st;
  }
  Publish(std::move(fresh), nullptr);
  return st;
}

ContainerCache::Snapshot ContainerCache::Refresh() {
  uint64_t generation = 0;
  if (WatchSaysUnchanged(&generation)) return Current();
  Snapshot snapshot = Current();
  // Every event read so far happened before the stats below: they cover it. (A container this
  // process is writing is skipped below, but its writer publishes it.)
  struct Checked {
    ContainerCache* cache;
    uint64_t generation;
    bool complete = true;  // false: something is left for the next Refresh to look at again
    ~Checked() {
      if (complete) cache->MarkChecked(generation);
    }
  } checked{this, generation};
  std::vector<size_t> changed;
  std::vector<size_t> gone;
  for (size_t i = 0; i < snapshot->size(); ++i) {
    const CachedContainer& c = (*snapshot)[i];
    auto id = StatFile(c.path);
    if (!id.ok()) {
      if (id.status().code() == ErrorCode::kNotFound) gone.push_back(i);
      checked.complete = false;
      continue;  // a transient stat error keeps the cached copy
    }
    if (!(*id == c.identity)) changed.push_back(i);
  }
  if (changed.empty() && gone.empty()) return snapshot;
  {
    // Containers this process is writing: their writer publishes the new version.
    std::lock_guard<std::mutex> lock(mu_);
    const size_t before = changed.size();
    std::erase_if(changed, [&](size_t i) { return writing_.count((*snapshot)[i].serial) > 0; });
    if (changed.size() != before) checked.complete = false;
  }
  if (changed.empty() && gone.empty()) return snapshot;
  for (size_t i : changed) {
    const CachedContainer& old = (*snapshot)[i];
    CachedContainer fresh = Load(old.serial);
    // A file deleted between stat and read is dropped below by the next Refresh.
    if (!fresh.error.ok() && fresh.error.code() == ErrorCode::kNotFound) continue;
    Publish(std::move(fresh), &old.identity);
  }
  if (!gone.empty()) {
    std::lock_guard<std::mutex> lock(mu_);
    auto next = std::make_shared<std::vector<CachedContainer>>();
    for (const CachedContainer& c : *current_) {
      bool drop = false;
      for (size_t i : gone) {
        const CachedContainer& old = (*snapshot)[i];
        drop = drop || (c.serial == old.serial && c.identity == old.identity);
      }
      if (!drop) next->push_back(c);
    }
    current_ = std::move(next);
  }
  return Current();
}

Result<ContainerCache::Snapshot> ContainerCache::Rescan() {
  StartWatch();  // the directory may have been created since
  Snapshot snapshot = Refresh();
  LICET_ASSIGN_OR_RETURN(std::vector<std::string> serials, store_->ListSerials());
  for (const std::string& serial : serials) {
    bool known = std::any_of(snapshot->begin(), snapshot->end(),
                             [&](const CachedContainer& c) { return c.serial == serial; });
    if (known) continue;
    CachedContainer fresh = Load(serial);
    if (!fresh.error.ok() && fresh.error.code() == ErrorCode::kNotFound) continue;
    // Add it only if still absent: a concurrent Modify may have published it meanwhile.
    std::lock_guard<std::mutex> lock(mu_);
    bool added = std::any_of(current_->begin(), current_->end(),
                             [&](const CachedContainer& c) { return c.serial == serial; });
    if (added) continue;
    auto next = std::make_shared<std::vector<CachedContainer>>(*current_);
    auto it = std::lower_bound(
        next->begin(), next->end(), serial,
        [](const CachedContainer& c, const std::string& s) { return c.serial < s; });
    next->insert(it, std::move(fresh));
    current_ = std::move(next);
  }
  return Current();
}

std::mutex& ContainerCache::WriterMutex(const std::string& serial) {
  std::lock_guard<std::mutex> lock(mu_);
  auto& slot = writers_[serial];
  if (!slot) slot = std::make_unique<std::mutex>();
  return *slot;
}

Status ContainerCache::Modify(const std::string& serial,
                              const std::function<Result<bool>(SoftContainer&)>& fn) {
  LICET_RETURN_IF_ERROR(ParseSerial(serial));
  // Threads of this process queue here; other processes on the flock below (flock locks
  // belong to open file descriptions, so they exclude threads too, but the mutex keeps the
  // wait in user space and the order fair).
  std::lock_guard<std::mutex> writer(WriterMutex(serial));
  const std::string path = store_->PathOf(serial);
  if (!env_->FileExists(path)) {
    return Error(ErrorCode::kContainerNotFound, "container " + serial + " is not on this machine");
  }
  // The lock file ContainerStore uses (<dir>/<serial>.lock), so the CLI and licetd exclude
  // each other.
  LICET_ASSIGN_OR_RETURN(FileLock lock,
                         env_->Lock(JoinPath(dir_, serial + ".lock"), LockMode::kExclusive));
  auto on_disk = StatFile(path);
  if (!on_disk.ok()) {
    if (on_disk.status().code() == ErrorCode::kNotFound) {
      return Error(ErrorCode::kContainerNotFound,
                   "container " + serial + " is not on this machine");
    }
    return on_disk.status();
  }
  std::shared_ptr<const SoftContainer> base;
  FileIdentity base_identity;
  {
    Snapshot snapshot = Current();
    for (const CachedContainer& c : *snapshot) {
      if (c.serial == serial && c.container && c.identity == *on_disk) {
        base = c.container;
        base_identity = c.identity;
      }
    }
  }
  if (!base) {
    // Changed by another process (or never loaded): read it now, under our lock.
    CachedContainer fresh = Load(serial);
    if (!fresh.error.ok()) return fresh.error;
    base = fresh.container;
    base_identity = fresh.identity;
    Publish(std::move(fresh), nullptr);
  }
  SoftContainer work = CloneContainer(*base);
  LICET_ASSIGN_OR_RETURN(bool changed, fn(work));
  if (!changed) return Status::Ok();
  // From the rename to the Publish below (the directory fsync lies between) the file is
  // newer than the cache; readers keep the old copy, which is what has been answered so far.
  std::shared_ptr<void> mark = MarkWriting(serial);
  model::ObserveTime(work.state, store_->clock().Now());
  ++work.generation;
  LICET_ASSIGN_OR_RETURN(Bytes file, EncodeContainerFile(work));
  LICET_RETURN_IF_ERROR(env_->WriteFileAtomic(path, file, 0600));
  CachedContainer saved;
  saved.serial = serial;
  saved.path = path;
  auto written = StatFile(path);
  // Without the new identity the next Refresh reloads from disk, which is still correct.
  if (written.ok()) saved.identity = *written;
  saved.container = std::make_shared<const SoftContainer>(std::move(work));
  Publish(std::move(saved), nullptr);
  return Status::Ok();
}

}  // namespace licet::engine
