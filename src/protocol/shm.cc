#include "protocol/shm.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdint>
#include <cstring>
#include <string>

namespace licet::protocol {
namespace {

std::string Errno(const char* what) { return std::string(what) + ": " + strerror(errno); }

}  // namespace

Result<std::unique_ptr<ShmRegion>> ShmRegion::Create(size_t size) {
  if (size == 0 || size > kMaxShmSize) {
    return Error(ErrorCode::kInvalidArgument,
                 "shared memory region of " + std::to_string(size) + " bytes refused");
  }
  int fd = ::memfd_create("licet-crypt", MFD_CLOEXEC | MFD_ALLOW_SEALING);
  if (fd < 0) return Error(ErrorCode::kIoError, Errno("memfd_create"));
  if (::ftruncate(fd, static_cast<off_t>(size)) != 0 ||
      ::fcntl(fd, F_ADD_SEALS, F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_SEAL) != 0) {
    Status st = Error(ErrorCode::kIoError, Errno("sealing the shared memory"));
    ::close(fd);
    return st;
  }
  void* p = ::mmap(nullptr, size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
  if (p == MAP_FAILED) {
    Status st = Error(ErrorCode::kIoError, Errno("mmap"));
    ::close(fd);
    return st;
  }
  return std::unique_ptr<ShmRegion>(new ShmRegion(static_cast<uint8_t*>(p), size, fd));
}

Result<std::unique_ptr<ShmRegion>> ShmRegion::Adopt(int fd, uint64_t size) {
  struct Closer {
    int fd;
    ~Closer() {
      if (fd >= 0) ::close(fd);
    }
  } closer{fd};
  if (size == 0 || size > kMaxShmSize) {
    return Error(ErrorCode::kInvalidArgument,
                 "field 'shm_size' must be 1 to " + std::to_string(kMaxShmSize));
  }
  // F_GET_SEALS fails (EINVAL) on anything but a memfd (or other shmem file with sealing):
  // a regular file could be truncated behind licetd's back, a pipe not mapped at all.
  int seals = ::fcntl(fd, F_GET_SEALS);
  if (seals < 0 || (seals & F_SEAL_SHRINK) == 0) {
    return Error(ErrorCode::kInvalidArgument,
                 "the shared memory must be a memfd sealed against shrinking (F_SEAL_SHRINK)");
  }
  struct stat st {};
  if (::fstat(fd, &st) != 0 || !S_ISREG(st.st_mode) || st.st_size < 0 ||
      static_cast<uint64_t>(st.st_size) < size) {
    return Error(ErrorCode::kInvalidArgument,
                 "the shared memory is smaller than 'shm_size' (" + std::to_string(size) + ")");
  }
  void* p = ::mmap(nullptr, static_cast<size_t>(size), PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
  if (p == MAP_FAILED) {
    // E.g. a memfd sealed against writing (F_SEAL_WRITE / F_SEAL_FUTURE_WRITE).
    return Error(ErrorCode::kInvalidArgument, Errno("cannot map the shared memory"));
  }
  return std::unique_ptr<ShmRegion>(new ShmRegion(static_cast<uint8_t*>(p), static_cast<size_t>(size), -1));
}

ShmRegion::~ShmRegion() {
  ::munmap(data_, size_);
  if (fd_ >= 0) ::close(fd_);
}

Result<std::span<uint8_t>> ShmRegion::Slice(uint64_t offset, uint64_t length) const {
  if (offset > size_ || length > size_ - offset) {
    return Error(ErrorCode::kInvalidArgument,
                 "fields 'shm_offset' (" + std::to_string(offset) + ") and 'shm_length' (" +
                     std::to_string(length) + ") exceed the shared memory of " +
                     std::to_string(size_) + " bytes");
  }
  return std::span<uint8_t>(data_ + offset, static_cast<size_t>(length));
}

Result<ShmCounter> ShmRegion::Counter(uint64_t offset, std::span<const uint8_t> exclude,
                                      const char* field) const {
  constexpr uint64_t kWord = sizeof(uint64_t);
  if (offset % kWord != 0 || offset > size_ || size_ - offset < kWord) {
    return Error(ErrorCode::kInvalidArgument,
                 std::string("field '") + field + "' (" + std::to_string(offset) +
                     ") must be a multiple of 8 with 8 bytes inside the shared memory of " +
                     std::to_string(size_) + " bytes");
  }
  // Compared as addresses, so a range from anywhere is handled.
  if (!exclude.empty()) {
    const uintptr_t word = reinterpret_cast<uintptr_t>(data_) + offset;
    const uintptr_t begin = reinterpret_cast<uintptr_t>(exclude.data());
    const uintptr_t end = begin + exclude.size();
    if (word < end && begin < word + kWord) {
      return Error(ErrorCode::kInvalidArgument,
                   std::string("field '") + field + "' overlaps the data range");
    }
  }
  return ShmCounter(reinterpret_cast<uint64_t*>(data_ + offset));
}

Status SendWithFd(int socket, ByteSpan data, int fd) {
  if (data.empty()) return Error(ErrorCode::kInvalidArgument, "SendWithFd needs at least one byte");
  alignas(cmsghdr) char control[CMSG_SPACE(sizeof(int))] = {};
  iovec iov{const_cast<uint8_t*>(data.data()), data.size()};
  msghdr msg{};
  msg.msg_iov = &iov;
  msg.msg_iovlen = 1;
  msg.msg_control = control;
  msg.msg_controllen = sizeof control;
  cmsghdr* c = CMSG_FIRSTHDR(&msg);
  c->cmsg_level = SOL_SOCKET;
  c->cmsg_type = SCM_RIGHTS;
  c->cmsg_len = CMSG_LEN(sizeof(int));
  std::memcpy(CMSG_DATA(c), &fd, sizeof(int));
  ssize_t n;
  do {
    n = ::sendmsg(socket, &msg, MSG_NOSIGNAL);
  } while (n < 0 && errno == EINTR);
  if (n < 0) {
    if (errno == EAGAIN || errno == EWOULDBLOCK) return Error(ErrorCode::kUnavailable, "send timed out");
    return Error(ErrorCode::kIoError, Errno("sendmsg"));
  }
  // The descriptor went with the first byte; the rest is ordinary data.
  size_t done = static_cast<size_t>(n);
  while (done < data.size()) {
    n = ::send(socket, data.data() + done, data.size() - done, MSG_NOSIGNAL);
    if (n > 0) {
      done += static_cast<size_t>(n);
      continue;
    }
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
      return Error(ErrorCode::kUnavailable, "send timed out");
    }
    return Error(ErrorCode::kIoError, Errno("send"));
  }
  return Status::Ok();
}

}  // namespace licet::protocol
