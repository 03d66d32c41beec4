// The function-level protection runtime (include/licet/protect.h): a constructor that makes
// the encrypted regions inaccessible, a SIGSEGV gate that unlocks a region at its first use,
// and the lock/unlock API.
//
// Why a fault gate rather than a call-through trampoline: the macro stands before a
// declaration and cannot know the function's signature, so it cannot generate a wrapper;
// a fault gate needs none, costs nothing per call once a region is unlocked, and makes
// locking safe at any time (a thread inside a re-locked region simply faults back in).
// Everything the gate runs is async-signal-safe in practice: the licetd client is the
// freestanding stub client (raw syscalls, static buffers), the crypto the freestanding GCM,
// and the one mutex is never held by code that can fault into the gate.
#include <dlfcn.h>
#include <link.h>
#include <pthread.h>
#include <signal.h>
#include <sys/auxv.h>

#include <cstring>

#include "licet/protect.h"
#include "protect/gcm/aes_gcm.h"
#include "protect/key/descriptor.h"
#include "protect/stub_client/stub_client.h"
#include "protect/stub_client/sys.h"

extern char** environ;

namespace licet::protect::functions {
namespace {

using key::Descriptor;
constexpr uintptr_t kPage = 4096;
constexpr long kMremap = 25;
constexpr long kMremapMaymove = 1, kMremapFixed = 2;

// The space `licet protect functions` writes the descriptor into. Initialised (so it has
// bytes in the file) with a placeholder magic: an unprotected build runs its functions plain.
alignas(64) __attribute__((section("licet_fn_desc"), used))
unsigned char g_descriptor_space[sizeof(Descriptor)] = {'L', 'I', 'C', 'E', 'T', 'P', 'R', '0'};

// A page-aligned section linked after the protected sections, so that the last page of the
// last one is not shared with other code (the linker puts .fini right after otherwise).
__attribute__((section("licet_fnpad"), aligned(4096), noinline, used)) void PagePad() {
  __asm__ volatile("");
}

struct RangeState {
  uintptr_t start;   // page-aligned
  size_t span;       // length rounded up to pages
  bool unlocked;
};

struct SlotState {
  bool ready;        // key unwrapped and file checked
  bool recheck;      // re-validate the license at the next unlock (after a lock)
  gcm::Key key;
};

struct Runtime {
  const Descriptor* d;
  bool active;
  uintptr_t bias;
  int file_fd;
  RangeState ranges[key::kMaxRanges];
  SlotState slots[key::kMaxKeys];
  // One access for the product (one seat), opened at the first unlock; each slot's key is
  // unwrapped on it with the slot's feature code, which licetd checks per crypt.
  bool session_open;
  stub::StubSession session;
  struct sigaction previous;
  stub::StubMessage message;
};

Runtime g_rt;
pthread_mutex_t g_mu = PTHREAD_MUTEX_INITIALIZER;
// Written by a failed unlock; licet_protect_errmsg() returns it.
char g_errmsg[sizeof(stub::StubMessage::text)];

template <typename T>
T* Launder(T* p) {  // the compiler must not fold reads of the descriptor to its initializer
  __asm__("" : "+r"(p));
  return p;
}

size_t Len(const char* s) { return std::strlen(s); }

void WriteStderr(const char* s) {
  size_t n = Len(s);
  while (n > 0) {
    long w = sys::Write(2, s, n);
    if (w == -sys::kEintr) continue;
    if (w <= 0) return;
    s += w;
    n -= static_cast<size_t>(w);
  }
}

[[noreturn]] void Die(int code, const char* message) {
  WriteStderr(message);
  sys::ExitGroup(code);
}

void SetMessage(uint32_t slot, int code) {
  stub::StubFormatMessage(*g_rt.d, slot, code, nullptr, &g_rt.message);
}

// Access, unwrap and file check for `slot`, or the re-validation after a lock. Returns a
// licet code; g_rt.message holds the user message on failure. Called with g_mu held.
int EnsureSlot(uint32_t slot) {
  SlotState& s = g_rt.slots[slot];
  if (s.ready && !s.recheck) return 0;
  if (s.ready && g_rt.d->mode == static_cast<uint32_t>(key::Mode::kIpProtection)) {
    s.recheck = false;
    return 0;
  }
  if (s.ready) {
    stub::StubStatus status;
    int code = stub::StubCheck(&g_rt.session, &status);
    if (code != 0) {
      stub::StubFormatMessage(*g_rt.d, slot, code, g_rt.session.server_message, &g_rt.message);
      return code;
    }
    s.recheck = false;
    return 0;
  }
  alignas(16) unsigned char ck[32];
  if (g_rt.d->mode == static_cast<uint32_t>(key::Mode::kIpProtection)) {
    // No license: the key is embedded, masked (docs/PROTECTION.md "IP-protection mode").
    static constexpr char kIpMaterial[] = "licet protect functions v1";  // = protector.h
    key::IpUnwrap(*g_rt.d, slot, kIpMaterial, sizeof kIpMaterial - 1, ck);
  } else {
    if (!g_rt.session_open) {
      int code = stub::StubOpen(*g_rt.d, stub::kAnySlot, environ, &g_rt.session, &g_rt.message);
      if (code != 0) return code;
      g_rt.session_open = true;
    }
    int code = stub::StubUnwrap(&g_rt.session, slot, ck, &g_rt.message);
    if (code != 0) return code;
  }
  gcm::ExpandKey(ck, &s.key);
  gcm::Wipe(ck, sizeof ck);
  // The whole file must be the one that was protected (DESIGN §5: a patched byte anywhere
  // makes decryption fail).
  // Its size first: bytes appended or cut off change it (and mapping past the end of a
  // truncated file would fault with SIGBUS).
  const size_t size = g_rt.d->file_size;
  const long real_size = sys::Lseek(g_rt.file_fd, 0, /*SEEK_END*/ 2);
  void* file = real_size == static_cast<long>(size) && size > 0
                   ? sys::Mmap(nullptr, size, sys::kProtRead, sys::kMapPrivate, g_rt.file_fd, 0)
                   : reinterpret_cast<void*>(-1L);
  bool ok = !sys::MmapFailed(file) &&
            key::CheckFile(*g_rt.d, slot, s.key, static_cast<const uint8_t*>(file), size);
  if (!sys::MmapFailed(file)) sys::Munmap(file, size);
  if (!ok) {
    gcm::Wipe(&s.key, sizeof s.key);
    SetMessage(slot, stub::kCodeDecryptFailed);
    return stub::kCodeDecryptFailed;
  }
  s.ready = true;
  s.recheck = false;
  return 0;
}

bool ReadFully(int fd, uint8_t* p, size_t n, long offset) {
  while (n > 0) {
    long r = sys::Pread(fd, p, n, offset);
    if (r == -sys::kEintr) continue;
    if (r < 0) return false;
    if (r == 0) return true;  // past the end of the file: the rest stays zero
    p += r;
    n -= static_cast<size_t>(r);
    offset += r;
  }
  return true;
}

// Decrypts range `i` into fresh pages and maps them read+execute over it. g_mu held.
int MapPlaintext(uint32_t i) {
  const key::Range& r = g_rt.d->ranges[i];
  RangeState& st = g_rt.ranges[i];
  const SlotState& slot = g_rt.slots[r.key_index];
  long memfd = sys::MemfdCreate("licet-protected", sys::kMfdCloexec);
  void* p;
  if (memfd >= 0 && sys::Ftruncate(static_cast<int>(memfd), static_cast<long>(st.span)) == 0) {
    p = sys::Mmap(nullptr, st.span, sys::kProtRead | sys::kProtWrite, sys::kMapShared,
                  static_cast<int>(memfd), 0);
  } else {
    p = sys::Mmap(nullptr, st.span, sys::kProtRead | sys::kProtWrite,
                  sys::kMapPrivate | sys::kMapAnonymous, -1, 0);
  }
  if (sys::MmapFailed(p)) {
    if (memfd >= 0) sys::Close(static_cast<int>(memfd));
    SetMessage(r.key_index, stub::kCodeUnavailable);
    return 13;
  }
  uint8_t* plain = static_cast<uint8_t*>(p);
  if (!ReadFully(g_rt.file_fd, plain, st.span, static_cast<long>(r.file_offset)) ||
      !key::DecryptRange(*g_rt.d, i, slot.key, plain, plain)) {
    gcm::Wipe(plain, st.span);
    sys::Munmap(p, st.span);
    if (memfd >= 0) sys::Close(static_cast<int>(memfd));
    SetMessage(r.key_index, stub::kCodeDecryptFailed);
    return stub::kCodeDecryptFailed;
  }
  void* target = reinterpret_cast<void*>(st.start);
  bool mapped = false;
  if (memfd >= 0) {
    // The plaintext never is writable and executable at once: the writable view goes away,
    // then the file is mapped read+execute over the region in one atomic replacement.
    sys::Munmap(p, st.span);
    void* q = sys::Mmap(target, st.span, sys::kProtRead | sys::kProtExec,
                        sys::kMapShared | sys::kMapFixed, static_cast<int>(memfd), 0);
    mapped = !sys::MmapFailed(q);
    if (!mapped) {  // memfd mapped noexec (vm.memfd_noexec): copy into anonymous pages
      p = sys::Mmap(nullptr, st.span, sys::kProtRead, sys::kMapShared, static_cast<int>(memfd), 0);
      void* a = sys::Mmap(nullptr, st.span, sys::kProtRead | sys::kProtWrite,
                          sys::kMapPrivate | sys::kMapAnonymous, -1, 0);
      if (!sys::MmapFailed(p) && !sys::MmapFailed(a)) {
        std::memcpy(a, p, st.span);
        sys::Munmap(p, st.span);
        p = a;
      } else {
        if (!sys::MmapFailed(p)) sys::Munmap(p, st.span);
        if (!sys::MmapFailed(a)) sys::Munmap(a, st.span);
        p = nullptr;
      }
    }
    sys::Close(static_cast<int>(memfd));
  }
  if (!mapped && p != nullptr) {
    // Anonymous pages: RW -> RX, then moved over the region (refused where W^X is enforced,
    // e.g. MemoryDenyWriteExecute, which then needs exec-capable memfds).
    if (sys::Mprotect(p, st.span, sys::kProtRead | sys::kProtExec) == 0) {
      long q = sys::Syscall(kMremap, sys::A(p), sys::A(st.span), sys::A(st.span),
                            kMremapMaymove | kMremapFixed, sys::A(target));
      mapped = q == static_cast<long>(st.start);
    }
    if (!mapped) {
      gcm::Wipe(p, st.span);  // may fault if RX: only reached when mprotect failed
      sys::Munmap(p, st.span);
    }
  }
  if (!mapped) {
    SetMessage(r.key_index, 11);
    return 11;  // permission denied: the system forbids executable memory of this kind
  }
  if (key::HardeningPolicy(g_rt.d->hardening, key::kHardenNoCore) != key::Policy::kOff) {
    sys::Madvise(target, st.span, sys::kMadvDontdump);
  }
  st.unlocked = true;
  return 0;
}

int UnlockRange(uint32_t i) {
  pthread_mutex_lock(&g_mu);
  int code = 0;
  if (!g_rt.ranges[i].unlocked) {
    const uint32_t slot = g_rt.d->ranges[i].key_index;
    code = EnsureSlot(slot);
    if (code == 0) code = MapPlaintext(i);
    if (code != 0) std::memcpy(g_errmsg, g_rt.message.text, sizeof g_errmsg);
  }
  pthread_mutex_unlock(&g_mu);
  return code;
}

int FindRange(uintptr_t addr) {
  for (uint32_t i = 0; i < g_rt.d->range_count; ++i) {
    const RangeState& r = g_rt.ranges[i];
    if (addr >= r.start && addr - r.start < r.span) return static_cast<int>(i);
  }
  return -1;
}

void Chain(int sig, siginfo_t* info, void* ctx) {
  const struct sigaction& prev = g_rt.previous;
  if ((prev.sa_flags & SA_SIGINFO) != 0 && prev.sa_sigaction != nullptr) {
    prev.sa_sigaction(sig, info, ctx);
    return;
  }
  if (prev.sa_handler != SIG_DFL && prev.sa_handler != SIG_IGN && prev.sa_handler != nullptr) {
    prev.sa_handler(sig);
    return;
  }
  // Default action: restore it; returning re-executes the faulting instruction, which then
  // terminates the process as if no handler had been installed.
  struct sigaction dfl;
  std::memset(&dfl, 0, sizeof dfl);
  dfl.sa_handler = SIG_DFL;
  sigaction(sig, &dfl, nullptr);
}

void OnSegv(int sig, siginfo_t* info, void* ctx) {
  const int i = g_rt.active ? FindRange(reinterpret_cast<uintptr_t>(info->si_addr)) : -1;
  if (i < 0) {
    Chain(sig, info, ctx);
    return;
  }
  int code = UnlockRange(static_cast<uint32_t>(i));
  if (code != 0) Die(code, g_errmsg);  // never return into ciphertext
}

// The object (executable or shared library) that holds the descriptor.
struct Found {
  uintptr_t target;
  uintptr_t bias;
  const char* name;
  bool found;
};
int FindObject(dl_phdr_info* info, size_t, void* arg) {
  Found* f = static_cast<Found*>(arg);
  for (int i = 0; i < info->dlpi_phnum; ++i) {
    const ElfW(Phdr)& ph = info->dlpi_phdr[i];
    if (ph.p_type != PT_LOAD) continue;
    uintptr_t lo = info->dlpi_addr + ph.p_vaddr;
    if (f->target >= lo && f->target - lo < ph.p_memsz) {
      f->bias = info->dlpi_addr;
      f->name = info->dlpi_name;
      f->found = true;
      return 1;
    }
  }
  return 0;
}

void AfterForkInChild() {
  // The child must not talk on the parent's connections; its keys stay usable.
  if (g_rt.session.fd >= 0) sys::Close(g_rt.session.fd);
  g_rt.session.fd = -1;
  g_rt.session.handle = 0;
  pthread_mutex_init(&g_mu, nullptr);
}

__attribute__((constructor(101))) void Init() {
  const Descriptor* d = Launder(reinterpret_cast<const Descriptor*>(g_descriptor_space));
  (void)Launder(&PagePad);
  if (std::memcmp(d->magic, key::kMagic, sizeof d->magic) != 0) return;  // not protected
  g_rt.d = d;
  g_rt.session.fd = -1;
  if (const char* why = key::ValidateDescriptor(d, sizeof *d)) {
    static char msg[256];
    std::strcpy(msg, "protected program damaged: ");
    std::strncat(msg, why, sizeof msg - Len(msg) - 2);
    std::strcat(msg, "\n");
    Die(stub::kCodeCorruptData, msg);
  }
  if (d->kind != static_cast<uint32_t>(key::Kind::kFunctions)) {
    Die(stub::kCodeCorruptData, "protected program damaged: not a function-level descriptor\n");
  }
  if (!gcm::CpuSupported()) {
    Die(12, "this program needs a CPU with AES-NI and PCLMULQDQ (x86-64 since 2010)\n");
  }
  Found f{reinterpret_cast<uintptr_t>(d), 0, nullptr, false};
  dl_iterate_phdr(FindObject, &f);
  if (!f.found) Die(13, "protected program: cannot find its own image\n");
  g_rt.bias = f.bias;
  const char* path = (f.name != nullptr && f.name[0] != '\0') ? f.name : "/proc/self/exe";
  long fd = sys::Open(path, sys::kOrdonly | sys::kOCloexec);
  if (fd < 0 && path[0] == '/' && path[1] == 'p') {  // no /proc (chroot): the path it ran as
    if (const char* execfn = reinterpret_cast<const char*>(getauxval(AT_EXECFN)))
      fd = sys::Open(execfn, sys::kOrdonly | sys::kOCloexec);
  }
  if (fd < 0) Die(2, "protected program: cannot open its own file to check it\n");
  g_rt.file_fd = static_cast<int>(fd);
  for (uint32_t i = 0; i < d->range_count; ++i) {
    RangeState& r = g_rt.ranges[i];
    r.start = g_rt.bias + d->ranges[i].vaddr;
    r.span = (d->ranges[i].length + kPage - 1) & ~(kPage - 1);
    if ((r.start & (kPage - 1)) != 0 || (d->ranges[i].file_offset & (kPage - 1)) != 0) {
      Die(stub::kCodeCorruptData, "protected program damaged: unaligned region\n");
    }
    if (sys::Mprotect(reinterpret_cast<void*>(r.start), r.span, 0) != 0) {
      Die(13, "protected program: cannot protect its encrypted functions\n");
    }
  }
  struct sigaction sa;
  std::memset(&sa, 0, sizeof sa);
  sa.sa_sigaction = OnSegv;
  sa.sa_flags = SA_SIGINFO | SA_ONSTACK;
  sigemptyset(&sa.sa_mask);
  sigaction(SIGSEGV, &sa, &g_rt.previous);
  pthread_atfork(nullptr, nullptr, AfterForkInChild);
  g_rt.active = true;
}

}  // namespace
}  // namespace licet::protect::functions

using licet::protect::functions::g_rt;

extern "C" {

// Referenced from every translation unit that includes licet/protect.h (see there).
const char licet_protect_runtime_anchor = 0;

int licet_protect_is_protected(void) { return g_rt.active ? 1 : 0; }

int licet_protect_unlock_feature(uint32_t feature_code) {
  using namespace licet::protect::functions;
  if (!g_rt.active) return 0;
  bool any = false;
  for (uint32_t i = 0; i < g_rt.d->range_count; ++i) {
    if (g_rt.d->keys[g_rt.d->ranges[i].key_index].feature_code != feature_code) continue;
    any = true;
    int code = UnlockRange(i);
    if (code != 0) return code;
  }
  return any ? 0 : 1;
}

int licet_protect_unlock(void) {
  using namespace licet::protect::functions;
  if (!g_rt.active) return 0;
  for (uint32_t i = 0; i < g_rt.d->range_count; ++i) {
    int code = UnlockRange(i);
    if (code != 0) return code;
  }
  return 0;
}

int licet_protect_lock(void) {
  using namespace licet::protect::functions;
  if (!g_rt.active) return 0;
  pthread_mutex_lock(&g_mu);
  for (uint32_t i = 0; i < g_rt.d->range_count; ++i) {
    RangeState& r = g_rt.ranges[i];
    if (!r.unlocked) continue;
    // The ciphertext from the file, inaccessible, in place of the plaintext (atomically).
    void* q = licet::protect::sys::Mmap(
        reinterpret_cast<void*>(r.start), r.span, 0,
        licet::protect::sys::kMapPrivate | licet::protect::sys::kMapFixed, g_rt.file_fd,
        static_cast<long>(g_rt.d->ranges[i].file_offset));
    if (licet::protect::sys::MmapFailed(q)) {
      licet::protect::sys::Mprotect(reinterpret_cast<void*>(r.start), r.span, 0);
    }
    r.unlocked = false;
    g_rt.slots[g_rt.d->ranges[i].key_index].recheck = true;
  }
  pthread_mutex_unlock(&g_mu);
  return 0;
}

const char* licet_protect_errmsg(void) { return licet::protect::functions::g_errmsg; }

}  // extern "C"
