// Raw Linux x86-64 system calls for code that runs before libc is usable (the injected
// decryptor) or must not depend on it (the stub's licetd client). Header-only, freestanding:
// no errno, every call returns the kernel's result (>= 0) or -errno.
//
// Shared by src/protect/stub and src/protect/stub_client; add calls here as
// needed, keeping the numbers from arch/x86/entry/syscalls/syscall_64.tbl.
#ifndef LICET_PROTECT_STUB_CLIENT_SYS_H_
#define LICET_PROTECT_STUB_CLIENT_SYS_H_

#include <stddef.h>
#include <stdint.h>

namespace licet::protect::sys {

enum : long {
  kRead = 0, kWrite = 1, kOpen = 2, kClose = 3, kFstat = 5, kLseek = 8, kMmap = 9,
  kMprotect = 10, kMunmap = 11, kRtSigaction = 13, kRtSigprocmask = 14, kPread64 = 17,
  kMadvise = 28, kNanosleep = 35, kGetpid = 39, kSocket = 41, kConnect = 42, kSendto = 44,
  kRecvfrom = 45, kSendmsg = 46, kRecvmsg = 47, kSetsockopt = 54, kClone = 56, kExit = 60,
  kKill = 62, kFcntl = 72, kFtruncate = 77, kReadlink = 89, kPtrace = 101, kGetuid = 102,
  kGeteuid = 107, kGetppid = 110, kPrctl = 157, kGettid = 186, kFutex = 202,
  kClockGettime = 228, kExitGroup = 231, kOpenat = 257, kMemfdCreate = 319,
};

inline long Syscall6(long n, long a1, long a2, long a3, long a4, long a5, long a6) {
  long ret;
  register long r10 __asm__("r10") = a4;
  register long r8 __asm__("r8") = a5;
  register long r9 __asm__("r9") = a6;
  __asm__ volatile("syscall"
                   : "=a"(ret)
                   : "a"(n), "D"(a1), "S"(a2), "d"(a3), "r"(r10), "r"(r8), "r"(r9)
                   : "rcx", "r11", "memory");
  return ret;
}
inline long Syscall(long n, long a1 = 0, long a2 = 0, long a3 = 0, long a4 = 0, long a5 = 0,
                    long a6 = 0) {
  return Syscall6(n, a1, a2, a3, a4, a5, a6);
}
// A pointer or a size as a syscall argument.
inline long A(const void* p) { return reinterpret_cast<long>(p); }
inline long A(unsigned long v) { return static_cast<long>(v); }

// Constants of the Linux ABI used by the stubs (values of the x86-64 uapi headers).
inline constexpr int kAfUnix = 1;
inline constexpr int kSockStream = 1;
inline constexpr int kSockCloexec = 02000000;
inline constexpr int kSolSocket = 1;
inline constexpr int kSoRcvtimeo = 20;
inline constexpr int kSoSndtimeo = 21;
inline constexpr int kMsgNosignal = 0x4000;
inline constexpr int kProtRead = 1, kProtWrite = 2, kProtExec = 4;
inline constexpr int kMapShared = 1, kMapPrivate = 2, kMapFixed = 0x10, kMapAnonymous = 0x20;
inline constexpr unsigned kMfdCloexec = 1;
inline constexpr int kOrdonly = 0, kOCloexec = 02000000;
inline constexpr int kAtFdcwd = -100;
inline constexpr int kClockRealtime = 0, kClockMonotonic = 1;
inline constexpr int kPrSetDumpable = 4;
inline constexpr int kMadvDontdump = 16;
inline constexpr long kEintr = 4, kEagain = 11;

struct Timespec {
  long tv_sec;
  long tv_nsec;
};
struct Timeval {
  long tv_sec;
  long tv_usec;
};
struct SockaddrUn {
  uint16_t sun_family;
  char sun_path[108];
};

inline long Read(int fd, void* buf, size_t n) { return Syscall(kRead, fd, A(buf), A(n)); }
inline long Write(int fd, const void* buf, size_t n) { return Syscall(kWrite, fd, A(buf), A(n)); }
inline long Close(int fd) { return Syscall(kClose, fd); }
inline long Openat(int dirfd, const char* path, int flags, int mode = 0) {
  return Syscall(kOpenat, dirfd, A(path), flags, mode);
}
inline long Open(const char* path, int flags, int mode = 0) {
  return Openat(kAtFdcwd, path, flags, mode);
}
inline long Pread(int fd, void* buf, size_t n, long off) {
  return Syscall(kPread64, fd, A(buf), A(n), off);
}
inline long Lseek(int fd, long off, int whence) { return Syscall(kLseek, fd, off, whence); }
inline void* Mmap(void* addr, size_t len, int prot, int flags, int fd, long off) {
  return reinterpret_cast<void*>(Syscall(kMmap, A(addr), A(len), prot, flags, fd, off));
}
// Mmap's result is an error when it lies in the last page of the address space.
inline bool MmapFailed(void* p) { return reinterpret_cast<unsigned long>(p) > -4096UL; }
inline long Munmap(void* addr, size_t len) { return Syscall(kMunmap, A(addr), A(len)); }
inline long Mprotect(void* addr, size_t len, int prot) {
  return Syscall(kMprotect, A(addr), A(len), prot);
}
inline long Madvise(void* addr, size_t len, int advice) {
  return Syscall(kMadvise, A(addr), A(len), advice);
}
inline long MemfdCreate(const char* name, unsigned flags) {
  return Syscall(kMemfdCreate, A(name), flags);
}
inline long Ftruncate(int fd, long len) { return Syscall(kFtruncate, fd, len); }
inline long Socket(int domain, int type, int protocol) {
  return Syscall(kSocket, domain, type, protocol);
}
inline long Connect(int fd, const void* addr, unsigned len) {
  return Syscall(kConnect, fd, A(addr), len);
}
inline long Send(int fd, const void* buf, size_t n, int flags) {
  return Syscall(kSendto, fd, A(buf), A(n), flags, 0, 0);
}
inline long Recv(int fd, void* buf, size_t n, int flags) {
  return Syscall(kRecvfrom, fd, A(buf), A(n), flags, 0, 0);
}
inline long Setsockopt(int fd, int level, int name, const void* val, unsigned len) {
  return Syscall(kSetsockopt, fd, level, name, A(val), len);
}
inline long Nanosleep(const Timespec* req, Timespec* rem) {
  return Syscall(kNanosleep, A(req), A(rem));
}
inline long ClockGettime(int clock, Timespec* ts) { return Syscall(kClockGettime, clock, A(ts)); }
inline long Getpid() { return Syscall(kGetpid); }
inline long Getuid() { return Syscall(kGetuid); }
inline long Geteuid() { return Syscall(kGeteuid); }
inline long Prctl(int option, long a2 = 0, long a3 = 0, long a4 = 0, long a5 = 0) {
  return Syscall(kPrctl, option, a2, a3, a4, a5);
}
inline long Kill(long pid, int sig) { return Syscall(kKill, pid, sig); }
[[noreturn]] inline void ExitGroup(int code) {
  for (;;) Syscall(kExitGroup, code);
}

}  // namespace licet::protect::sys

#endif  // LICET_PROTECT_STUB_CLIENT_SYS_H_
