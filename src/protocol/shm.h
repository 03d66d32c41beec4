// Shared memory for large licet_crypt buffers (docs/PROTOCOL.md "Shared-memory crypt").
//
// The client creates a memfd sealed against shrinking and growing, maps it, and passes the
// descriptor to licetd with SCM_RIGHTS on a crypt request; licetd maps it too and then
// encrypts or decrypts [shm_offset, shm_offset + shm_length) in place, so the bulk bytes
// never cross the socket. The seals are what make this safe for licetd: a region whose size
// cannot change can never raise SIGBUS in the daemon, whatever the client does.
#ifndef LICET_PROTOCOL_SHM_H_
#define LICET_PROTOCOL_SHM_H_

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>

#include "common/bytes.h"
#include "common/status.h"

namespace licet::protocol {

// The largest region licetd maps: the crypt limit of licet.h rounded up to 16 MiB.
inline constexpr uint64_t kMaxShmSize = 16u << 20;

// A shared-memory region mapped read-write into this process. Not copyable; unmapped (and
// its descriptor closed) on destruction. Thread-compatible: the bytes are not synchronised
// (client and licetd take turns, one request at a time).
// A 64-bit counter in shared memory, read and written atomically (lock-free, so it works
// across processes): the progress words of a streamed crypt (docs/PROTOCOL.md "Progress of a
// shared-memory crypt"). The peer may write it at any time: a value read from it is a hint
// to check, never a size to trust. A default-constructed counter is absent: Store does
// nothing, Load returns 0. Copyable; valid while its region lives.
class ShmCounter {
 public:
  ShmCounter() = default;

  bool present() const { return word_ != nullptr; }
  uint64_t Load() const {
    return word_ ? std::atomic_ref<uint64_t>(*word_).load(std::memory_order_acquire) : 0;
  }
  void Store(uint64_t value) const {
    if (word_) std::atomic_ref<uint64_t>(*word_).store(value, std::memory_order_release);
  }

 private:
  friend class ShmRegion;
  explicit ShmCounter(uint64_t* word) : word_(word) {}
  uint64_t* word_ = nullptr;
};
static_assert(std::atomic_ref<uint64_t>::is_always_lock_free);

class ShmRegion {
 public:
  // Creates a memfd of `size` bytes (1 .. kMaxShmSize), sealed against shrinking, growing
  // and further sealing, close-on-exec, and maps it. kInvalidArgument for a bad size,
  // kIoError when the kernel refuses.
  [[nodiscard]] static Result<std::unique_ptr<ShmRegion>> Create(size_t size);

  // Maps a region received from a peer. Always takes ownership of `fd` (closes it, also on
  // failure; the mapping outlives it). Refuses (kInvalidArgument) anything but a memfd that
  // is sealed against shrinking and at least `size` bytes long, and sizes of 0 or over
  // kMaxShmSize: after those checks no access inside [0, size) can fault.
  [[nodiscard]] static Result<std::unique_ptr<ShmRegion>> Adopt(int fd, uint64_t size);

  ~ShmRegion();
  ShmRegion(const ShmRegion&) = delete;
  ShmRegion& operator=(const ShmRegion&) = delete;

  std::span<uint8_t> bytes() const { return {data_, size_}; }
  size_t size() const { return size_; }
  // The memfd (Create only; -1 for an adopted region).
  int fd() const { return fd_; }

  // [offset, offset + length) when it lies inside the region, else kInvalidArgument naming
  // the fields. Overflow-safe.
  [[nodiscard]] Result<std::span<uint8_t>> Slice(uint64_t offset, uint64_t length) const;

  // The 8-byte counter at `offset` when it is 8-aligned, inside the region and outside
  // `exclude` (a range of this region, e.g. the crypt's data), else kInvalidArgument naming
  // `field`. Overflow-safe.
  [[nodiscard]] Result<ShmCounter> Counter(uint64_t offset, std::span<const uint8_t> exclude,
                                           const char* field) const;

 private:
  ShmRegion(uint8_t* data, size_t size, int fd) : data_(data), size_(size), fd_(fd) {}

  uint8_t* data_;
  size_t size_;
  int fd_;
};

// Sends all of `data` on the connected Unix stream socket `socket`, with `fd` attached to
// its first byte as SCM_RIGHTS. Blocking sockets only; EINTR is retried. kIoError (with
// errno's text) when the socket fails; EAGAIN (a send timeout) is kUnavailable.
[[nodiscard]] Status SendWithFd(int socket, ByteSpan data, int fd);

}  // namespace licet::protocol

#endif  // LICET_PROTOCOL_SHM_H_
