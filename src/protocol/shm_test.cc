#include "protocol/shm.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstring>

namespace licet::protocol {
namespace {

// A memfd with the given seals and size, as a hostile client could make.
int Memfd(size_t size, int seals) {
  int fd = ::memfd_create("test", MFD_CLOEXEC | MFD_ALLOW_SEALING);
  EXPECT_GE(fd, 0);
  EXPECT_EQ(::ftruncate(fd, static_cast<off_t>(size)), 0);
  if (seals != 0) {
    EXPECT_EQ(::fcntl(fd, F_ADD_SEALS, seals), 0);
  }
  return fd;
}

TEST(ShmTest, CreateSealsAndSlices) {
  auto region = ShmRegion::Create(4096);
  ASSERT_TRUE(region.ok()) << region.status().ToString();
  ShmRegion& r = **region;
  EXPECT_EQ(r.size(), 4096u);
  // The client cannot shrink (or grow) what licetd has mapped.
  EXPECT_NE(::ftruncate(r.fd(), 0), 0);
  EXPECT_NE(::ftruncate(r.fd(), 8192), 0);
  EXPECT_TRUE(r.Slice(0, 4096).ok());
  EXPECT_TRUE(r.Slice(4096, 0).ok());
  EXPECT_TRUE(r.Slice(100, 3996).ok());
  EXPECT_EQ(r.Slice(100, 3997).status().code(), ErrorCode::kInvalidArgument);
  EXPECT_EQ(r.Slice(4097, 0).status().code(), ErrorCode::kInvalidArgument);
  EXPECT_EQ(r.Slice(UINT64_MAX, 2).status().code(), ErrorCode::kInvalidArgument);
  EXPECT_EQ(r.Slice(1, UINT64_MAX).status().code(), ErrorCode::kInvalidArgument);
  EXPECT_FALSE(ShmRegion::Create(0).ok());
  EXPECT_FALSE(ShmRegion::Create(kMaxShmSize + 1).ok());
}

TEST(ShmTest, AdoptSharesTheBytesAcrossASocket) {
  auto mine = ShmRegion::Create(1 << 16);
  ASSERT_TRUE(mine.ok());
  int sv[2];
  ASSERT_EQ(::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv), 0);
  Bytes frame = {1, 2, 3, 4, 5};
  ASSERT_TRUE(SendWithFd(sv[0], frame, (*mine)->fd()).ok());

  uint8_t buf[16];
  alignas(cmsghdr) char control[CMSG_SPACE(sizeof(int))];
  iovec iov{buf, sizeof buf};
  msghdr msg{};
  msg.msg_iov = &iov;
  msg.msg_iovlen = 1;
  msg.msg_control = control;
  msg.msg_controllen = sizeof control;
  ASSERT_EQ(::recvmsg(sv[1], &msg, MSG_CMSG_CLOEXEC), 5);
  cmsghdr* c = CMSG_FIRSTHDR(&msg);
  ASSERT_NE(c, nullptr);
  int fd;
  std::memcpy(&fd, CMSG_DATA(c), sizeof fd);
  auto theirs = ShmRegion::Adopt(fd, 1 << 16);
  ASSERT_TRUE(theirs.ok()) << theirs.status().ToString();
  (*mine)->bytes()[1000] = 0x42;
  EXPECT_EQ((*theirs)->bytes()[1000], 0x42);
  (*theirs)->bytes()[65535] = 0x17;
  EXPECT_EQ((*mine)->bytes()[65535], 0x17);
  ::close(sv[0]);
  ::close(sv[1]);
}

TEST(ShmTest, AdoptRefusesWhatCouldFaultOrIsNotShm) {
  // Not sealed against shrinking: the client could truncate it under licetd (SIGBUS).
  EXPECT_EQ(ShmRegion::Adopt(Memfd(4096, 0), 4096).status().code(), ErrorCode::kInvalidArgument);
  EXPECT_FALSE(ShmRegion::Adopt(Memfd(4096, F_SEAL_GROW), 4096).ok());
  // Smaller than announced.
  EXPECT_FALSE(ShmRegion::Adopt(Memfd(4096, F_SEAL_SHRINK), 4097).ok());
  // Sizes out of range.
  EXPECT_FALSE(ShmRegion::Adopt(Memfd(4096, F_SEAL_SHRINK), 0).ok());
  EXPECT_FALSE(ShmRegion::Adopt(Memfd(4096, F_SEAL_SHRINK), kMaxShmSize + 1).ok());
  // Sealed against writing: cannot be mapped for in-place crypt.
  EXPECT_FALSE(ShmRegion::Adopt(Memfd(4096, F_SEAL_SHRINK | F_SEAL_WRITE), 4096).ok());
  // A regular file and a pipe.
  char path[] = "/tmp/licet-shm-test-XXXXXX";
  int file = ::mkstemp(path);
  ASSERT_GE(file, 0);
  ::unlink(path);
  ASSERT_EQ(::ftruncate(file, 4096), 0);
  EXPECT_FALSE(ShmRegion::Adopt(file, 4096).ok());
  int p[2];
  ASSERT_EQ(::pipe(p), 0);
  EXPECT_FALSE(ShmRegion::Adopt(p[0], 1).ok());
  ::close(p[1]);
  EXPECT_FALSE(ShmRegion::Adopt(-1, 1).ok());
  // A good one works.
  EXPECT_TRUE(ShmRegion::Adopt(Memfd(4096, F_SEAL_SHRINK), 4096).ok());
}

}  // namespace
}  // namespace licet::protocol
