// Env: the seam between Licet and the file system. Production code uses Env::Default();
// tests use FaultInjectingEnv to prove that a crash at any write leaves the old state whole.
#ifndef LICET_COMMON_ENV_H_
#define LICET_COMMON_ENV_H_

#include <sys/types.h>

#include <memory>
#include <string>
#include <vector>

#include "common/bytes.h"
#include "common/status.h"

namespace licet {

// An flock(2) held on a file until destruction. Move-only.
class FileLock {
 public:
  FileLock() = default;
  explicit FileLock(int fd) : fd_(fd) {}
  ~FileLock();
  FileLock(FileLock&& other) noexcept : fd_(other.fd_) { other.fd_ = -1; }
  FileLock& operator=(FileLock&& other) noexcept;
  FileLock(const FileLock&) = delete;
  FileLock& operator=(const FileLock&) = delete;
  bool held() const { return fd_ >= 0; }

 private:
  int fd_ = -1;
};

enum class LockMode { kShared, kExclusive };

class Env {
 public:
  virtual ~Env() = default;

  // The process-wide POSIX environment.
  static Env& Default();

  // Reads a whole file; refuses files larger than max_size (kInvalidArgument).
  virtual Result<Bytes> ReadFile(const std::string& path, size_t max_size = 64u << 20);
  // Atomic replace: writes a temp file beside `path`, fsyncs it, renames it over `path`
  // and fsyncs the directory. Readers see the old or the new content, never a mix.
  virtual Status WriteFileAtomic(const std::string& path, ByteSpan data, mode_t mode = 0600);
  virtual bool FileExists(const std::string& path);
  // Names (not paths) of the entries of a directory, sorted; empty when it does not exist.
  virtual Result<std::vector<std::string>> ListDirectory(const std::string& path);
  // mkdir -p with `mode` for the directories it creates.
  virtual Status CreateDirectories(const std::string& path, mode_t mode = 0700);
  virtual Status RemoveFile(const std::string& path);
  // flock(2) on `path` (created if missing, mode 0600). Blocks until granted.
  virtual Result<FileLock> Lock(const std::string& path, LockMode mode);
};

// Fails the Nth and every later WriteFileAtomic after arming, as a crash at that point
// would: the temp file may exist, the target is untouched.
class FaultInjectingEnv : public Env {
 public:
  // Writes number `n` (0-based, counted from now) and all after it fail.
  void FailWritesFrom(int n) { fail_from_ = writes_ + n; }
  void Heal() { fail_from_ = -1; }
  int writes() const { return writes_; }
  Status WriteFileAtomic(const std::string& path, ByteSpan data, mode_t mode) override;

 private:
  int writes_ = 0;
  int fail_from_ = -1;
};

// "<dir>/<name>" handling of the trailing slash.
std::string JoinPath(const std::string& dir, const std::string& name);
// The directory part of a path ("." when there is none).
std::string DirName(const std::string& path);

}  // namespace licet

#endif  // LICET_COMMON_ENV_H_
