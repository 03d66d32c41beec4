// The injected decryptor of `licet protect exe|lib` (docs/PROTECTION.md). Freestanding: no
// libc, no allocation, no writable globals, position-independent (it reads its patch area
// and descriptor RIP-relative). It runs before any protected code: from e_entry of an
// executable (after ld.so relocated everything) or from DT_INIT of a shared object.
#include "protect/gcm/aes_gcm.h"
#include "protect/key/descriptor.h"
#include "protect/stub/stub_layout.h"
#include "protect/stub/stub_license.h"
#include "protect/stub/stub_util.h"
#include "protect/stub_client/sys.h"

// Hidden, so the compiler reaches them RIP-relative: the blob has no GOT and no relocations.
extern "C" {
extern const unsigned char licet_stub_start[] __attribute__((visibility("hidden")));
extern const licet::protect::stub::StubPatch licet_stub_patch __attribute__((visibility("hidden")));
unsigned long StubRunExe(unsigned long* sp);
void StubRunLib(int argc, char** argv, char** envp);
}

namespace licet::protect::stub {
namespace {

constexpr unsigned kMfdAllowSealing = 2, kMfdExec = 0x10;
constexpr int kFAddSeals = 1033;
constexpr int kSealAll = 1 | 2 | 4 | 8;  // F_SEAL_SEAL | SHRINK | GROW | WRITE

const key::Descriptor& Desc(unsigned long base) {
  return *reinterpret_cast<const key::Descriptor*>(base + licet_stub_patch.descriptor_vaddr);
}

// Ends the process with the user message. `what` says what is wrong, `code` is the
// documented exit code (docs/PROTECTION.md "Exit codes").
[[noreturn]] void Fail(const key::Descriptor* d, const char* what, int code) {
  Line line;
  if (d != nullptr && d->product_name[0] != 0) {
    line.Add(d->product_name, FieldLen(d->product_name, key::kNameSize)).Add(": ");
  }
  line.Add(what).Add(" (licet protect exit code ").Num(static_cast<unsigned>(code)).Add(")\n");
  line.Print();
  sys::ExitGroup(code);
}

// Opens the protected file itself: the executable through /proc/self/exe, a shared object
// through the path of the mapping that holds this code (/proc/self/maps).
int OpenSelf(bool is_lib) {
  if (!is_lib)
    return static_cast<int>(
        sys::Openat(sys::kAtFdcwd, "/proc/self/exe", sys::kOrdonly | sys::kOCloexec));
  int maps = static_cast<int>(
      sys::Openat(sys::kAtFdcwd, "/proc/self/maps", sys::kOrdonly | sys::kOCloexec));
  if (maps < 0) return maps;
  unsigned long here = reinterpret_cast<unsigned long>(licet_stub_start);
  char buf[4096 + 512];
  unsigned long have = 0;
  int result = -2;  // ENOENT
  for (;;) {
    long n = sys::Read(maps, buf + have, sizeof(buf) - 1 - have);
    if (n <= 0) break;
    have += static_cast<unsigned long>(n);
    unsigned long start = 0;
    for (unsigned long i = 0; i < have; ++i) {
      if (buf[i] != '\n') continue;
      buf[i] = 0;
      // "lo-hi perms offset dev inode   path"
      const char* p = buf + start;
      unsigned long lo = 0, hi = 0;
      while ((*p >= '0' && *p <= '9') || (*p >= 'a' && *p <= 'f')) {
        lo = lo * 16 + static_cast<unsigned long>(*p <= '9' ? *p - '0' : *p - 'a' + 10);
        ++p;
      }
      if (*p == '-') ++p;
      while ((*p >= '0' && *p <= '9') || (*p >= 'a' && *p <= 'f')) {
        hi = hi * 16 + static_cast<unsigned long>(*p <= '9' ? *p - '0' : *p - 'a' + 10);
        ++p;
      }
      if (here >= lo && here < hi) {
        for (int field = 0; field < 4 && *p != 0; ++field) {  // perms offset dev inode
          while (*p == ' ') ++p;
          while (*p != ' ' && *p != 0) ++p;
        }
        while (*p == ' ') ++p;
        if (*p == '/')
          result = static_cast<int>(sys::Openat(sys::kAtFdcwd, p, sys::kOrdonly | sys::kOCloexec));
        sys::Close(maps);
        return result;
      }
      start = i + 1;
    }
    // Keep the partial last line for the next read.
    unsigned long rest = have - start;
    for (unsigned long i = 0; i < rest; ++i) buf[i] = buf[start + i];
    have = rest;
    if (have >= sizeof(buf) - 1) have = 0;  // an absurdly long line: skip it
  }
  sys::Close(maps);
  return result;
}

enum MapResult { kMapOk, kMapTagFailed, kMapSyscallFailed };

// Maps the plaintext of range `i` from a sealed memfd over its pages: never writable and
// executable at once, and never a file on disk.
MapResult MapRange(const key::Descriptor& d, unsigned i, const gcm::Key& ck, unsigned long base) {
  const key::Range& r = d.ranges[i];
  int fd =
      static_cast<int>(sys::MemfdCreate("licet", sys::kMfdCloexec | kMfdAllowSealing | kMfdExec));
  if (fd == -22)
    fd = static_cast<int>(sys::MemfdCreate("licet", sys::kMfdCloexec | kMfdAllowSealing));
  if (fd < 0) return kMapSyscallFailed;
  MapResult result = kMapSyscallFailed;
  if (sys::Ftruncate(fd, static_cast<long>(r.length)) == 0) {
    void* scratch =
        sys::Mmap(nullptr, r.length, sys::kProtRead | sys::kProtWrite, sys::kMapShared, fd, 0);
    if (!sys::MmapFailed(scratch)) {
      const auto* in = reinterpret_cast<const unsigned char*>(base + r.vaddr);
      bool ok = key::DecryptRange(d, i, ck, in, static_cast<unsigned char*>(scratch));
      sys::Munmap(scratch, r.length);
      result = ok ? kMapOk : kMapTagFailed;
    }
  }
  if (result == kMapOk) {
    sys::Syscall(sys::kFcntl, fd, kFAddSeals,
                 kSealAll);  // best effort: older kernels lack some seals
    void* at = sys::Mmap(reinterpret_cast<void*>(base + r.vaddr), r.length,
                         static_cast<int>(r.prot), sys::kMapPrivate | sys::kMapFixed, fd, 0);
    if (sys::MmapFailed(at)) {
      result = kMapSyscallFailed;
    } else if (key::HardeningPolicy(d.hardening, key::kHardenNoCore) != key::Policy::kOff) {
      sys::Madvise(at, r.length, sys::kMadvDontdump);
    }
  }
  sys::Close(fd);
  return result;
}

// Tracer detection: TracerPid in /proc/self/status.
bool Traced() {
  int fd = static_cast<int>(
      sys::Openat(sys::kAtFdcwd, "/proc/self/status", sys::kOrdonly | sys::kOCloexec));
  if (fd < 0) return false;
  char buf[4096];
  long n = sys::Read(fd, buf, sizeof(buf) - 1);
  sys::Close(fd);
  if (n <= 0) return false;
  buf[n] = 0;
  for (long i = 0; i < n; ++i) {
    if ((i == 0 || buf[i - 1] == '\n') && StartsWith(buf + i, "TracerPid:")) {
      const char* p = buf + i + 10;
      while (*p == ' ' || *p == '\t') ++p;
      return *p != '0';
    }
  }
  return false;
}

void Harden(const key::Descriptor& d) {
  key::Policy dump = key::HardeningPolicy(d.hardening, key::kHardenNonDumpable);
  if (dump != key::Policy::kOff) sys::Prctl(sys::kPrSetDumpable, 0);
  key::Policy tracer = key::HardeningPolicy(d.hardening, key::kHardenTracer);
  if (tracer != key::Policy::kOff && Traced()) {
    if (tracer == key::Policy::kEnforce) {
      Fail(&d, "refusing to run under a debugger or tracer", kExitTraced);
    }
    Line()
        .Add(d.product_name, FieldLen(d.product_name, key::kNameSize))
        .Add(": warning: running under a debugger or tracer\n")
        .Print();
  }
}

// The whole decryptor; returns normally when the protected code may run.
void Run(char** envp, bool is_lib) {
  const StubPatch& patch = licet_stub_patch;
  unsigned long base = reinterpret_cast<unsigned long>(licet_stub_start) - patch.stub_vaddr;
  if (!gcm::CpuSupported()) {
    Fail(nullptr, "this computer's CPU lacks AES-NI/PCLMULQDQ, which the protection needs",
         kExitCpu);
  }
  const char* invalid = key::ValidateDescriptor(
      reinterpret_cast<const void*>(base + patch.descriptor_vaddr), patch.descriptor_size);
  if (invalid != nullptr) {
    Fail(nullptr, "the program file was modified or stripped (protection data damaged)",
         kExitModified);
  }
  const key::Descriptor& d = Desc(base);
  Harden(d);

  unsigned char ck[32];
  StubLicense* session = nullptr;
  if (d.mode == static_cast<unsigned>(key::Mode::kIpProtection)) {
    key::IpUnwrap(d, 0, licet_stub_start + kIpMaterialOffset, patch.stub_size - kIpMaterialOffset,
                  ck);
  } else {
    session = AcquireContentKey(d, envp, ck);  // ends the process with a message on failure
  }
  gcm::Key key;
  gcm::ExpandKey(ck, &key);
  gcm::Wipe(ck, sizeof(ck));

  // The whole file authenticates: a patched byte anywhere, or a stripped file, fails here.
  int fd = OpenSelf(is_lib);
  if (fd < 0) {
    gcm::Wipe(&key, sizeof(key));
    Fail(&d, "cannot read the program file to verify it (is /proc mounted?)", kExitIo);
  }
  long size = sys::Lseek(fd, 0, 2);  // SEEK_END
  bool intact = size == static_cast<long>(d.file_size);
  if (intact) {
    void* file = sys::Mmap(nullptr, static_cast<unsigned long>(size), sys::kProtRead,
                           sys::kMapPrivate, fd, 0);
    intact =
        !sys::MmapFailed(file) && key::CheckFile(d, 0, key, static_cast<const unsigned char*>(file),
                                                 static_cast<unsigned long>(size));
    if (!sys::MmapFailed(file)) sys::Munmap(file, static_cast<unsigned long>(size));
  }
  sys::Close(fd);
  if (!intact) {
    gcm::Wipe(&key, sizeof(key));
    Fail(&d, "the program file was modified or stripped; reinstall it", kExitModified);
  }
  for (unsigned i = 0; i < d.range_count; ++i) {
    MapResult mapped = MapRange(d, i, key, base);
    if (mapped != kMapOk) {
      gcm::Wipe(&key, sizeof(key));
      if (mapped == kMapTagFailed) {
        Fail(&d, "the program file was modified (an encrypted part does not verify); reinstall it",
             kExitModified);
      }
      Fail(&d, "cannot map the decrypted code (memfd_create/mmap refused; vm.memfd_noexec?)",
           kExitIo);
    }
  }
  gcm::Wipe(&key, sizeof(key));
  if (session != nullptr) StartChecks(d, session);
}

}  // namespace
}  // namespace licet::protect::stub

extern "C" unsigned long StubRunExe(unsigned long* sp) {
  using namespace licet::protect::stub;
  unsigned long argc = sp[0];
  char** envp = reinterpret_cast<char**>(sp + 1 + argc + 1);
  Run(envp, false);
  unsigned long base =
      reinterpret_cast<unsigned long>(licet_stub_start) - licet_stub_patch.stub_vaddr;
  return base + licet_stub_patch.original_entry;
}

extern "C" void StubRunLib(int argc, char** argv, char** envp) {
  using namespace licet::protect::stub;
  Run(envp, true);
  if (licet_stub_patch.original_entry != 0) {
    unsigned long base =
        reinterpret_cast<unsigned long>(licet_stub_start) - licet_stub_patch.stub_vaddr;
    auto init =
        reinterpret_cast<void (*)(int, char**, char**)>(base + licet_stub_patch.original_entry);
    init(argc, argv, envp);
  }
}
