#include "protect/stub/stub_license.h"

#include "protect/stub/stub_layout.h"
#include "protect/stub/stub_util.h"
#include "protect/stub_client/stub_client.h"
#include "protect/stub_client/sys.h"

extern "C" long licet_stub_clone(unsigned long flags, void* stack_top)
    __attribute__((visibility("hidden")));

namespace licet::protect::stub {

// Everything the license side keeps for the life of the process, in one anonymous mapping
// (the stub has no writable globals and no heap).
struct StubLicense {
  StubSession session;
  StubMessage message;
  const key::Descriptor* d;
};

namespace {

constexpr unsigned long kThreadStack = 64 * 1024;
constexpr unsigned long kCloneFlags = 0x100 | 0x200 | 0x400 | 0x800 | 0x10000 | 0x40000;
// CLONE_VM | CLONE_FS | CLONE_FILES | CLONE_SIGHAND | CLONE_THREAD | CLONE_SYSVSEM
constexpr int kSigBlock = 0, kSigSetmask = 2;

void PrintMessage(const StubMessage& m) {
  Line().Add(m.text, FieldLen(m.text, sizeof(m.text))).Add("\n").Print();
}

long Now() {
  sys::Timespec ts{0, 0};
  sys::ClockGettime(sys::kClockMonotonic, &ts);
  return ts.tv_sec;
}

void Sleep(long seconds) {
  sys::Timespec req{seconds, 0};
  sys::Timespec rem{0, 0};
  while (sys::Nanosleep(&req, &rem) == -sys::kEintr) req = rem;
}

// The checker thread: re-validates the license every check interval; warns on low units or
// days (once each), and on loss warns or, with on-loss exit, ends the process after the
// grace period. Runs with every signal blocked, so the program's handlers never run here.
void CheckLoop(void* arg) {
  StubLicense* l = static_cast<StubLicense*>(arg);
  const key::Descriptor& d = *l->d;
  long lost_since = -1;
  bool warned_units = false, warned_days = false;
  for (;;) {
    Sleep(d.check_interval_seconds);
    StubStatus st{};
    int code = StubCheck(&l->session, &st);
    if (code == 0) {
      if (lost_since >= 0) {
        Line()
            .Add(d.product_name, FieldLen(d.product_name, key::kNameSize))
            .Add(": license available again\n")
            .Print();
      }
      lost_since = -1;
      if (st.low_units && !warned_units) {
        Line()
            .Add(d.product_name, FieldLen(d.product_name, key::kNameSize))
            .Add(": warning: only ")
            .Num(static_cast<unsigned long long>(st.units_left))
            .Add(" license units left\n")
            .Print();
        warned_units = true;
      }
      if (st.low_days && !warned_days) {
        Line()
            .Add(d.product_name, FieldLen(d.product_name, key::kNameSize))
            .Add(": warning: the license expires in ")
            .Num(static_cast<unsigned long long>(st.days_left))
            .Add(" days\n")
            .Print();
        warned_days = true;
      }
      continue;
    }
    StubFormatMessage(d, 0, code, nullptr, &l->message);
    bool exiting = d.on_loss == static_cast<unsigned>(key::OnLoss::kExit);
    if (lost_since < 0) {
      lost_since = Now();
      PrintMessage(l->message);
      Line line;
      line.Add(d.product_name, FieldLen(d.product_name, key::kNameSize)).Add(": license lost");
      if (exiting)
        line.Add("; the program ends in ").Num(d.grace_seconds).Add(" s unless it returns");
      line.Add("\n").Print();
    }
    if (exiting && Now() - lost_since >= static_cast<long>(d.grace_seconds)) {
      Line()
          .Add(d.product_name, FieldLen(d.product_name, key::kNameSize))
          .Add(": license lost, ending the program (exit code ")
          .Num(kExitLost)
          .Add(")\n")
          .Print();
      sys::ExitGroup(kExitLost);
    }
  }
}

}  // namespace

StubLicense* AcquireContentKey(const key::Descriptor& d, char** envp, unsigned char ck[32]) {
  void* mem = sys::Mmap(nullptr, sizeof(StubLicense), sys::kProtRead | sys::kProtWrite,
                        sys::kMapPrivate | sys::kMapAnonymous, -1, 0);
  if (sys::MmapFailed(mem)) {
    Line()
        .Add(d.product_name, FieldLen(d.product_name, key::kNameSize))
        .Add(": out of memory\n")
        .Print();
    sys::ExitGroup(kExitIo);
  }
  auto* l = static_cast<StubLicense*>(mem);
  l->d = &d;
  int rc = StubAccessAndUnwrap(d, envp, ck, &l->session, &l->message);
  if (rc != 0) {
    PrintMessage(l->message);
    sys::ExitGroup(rc > 0 && rc < 256 ? rc : kExitModified);
  }
  return l;
}

void StartChecks(const key::Descriptor& d, StubLicense* license) {
  if (d.check_interval_seconds == 0) return;
  void* stack = sys::Mmap(nullptr, kThreadStack, sys::kProtRead | sys::kProtWrite,
                          sys::kMapPrivate | sys::kMapAnonymous, -1, 0);
  if (sys::MmapFailed(stack)) return;  // no checks rather than no program
  // {fn, arg} at the top of the new stack, popped by licet_stub_clone in the child.
  auto** top = reinterpret_cast<void**>(static_cast<char*>(stack) + kThreadStack - 64);
  top[0] = reinterpret_cast<void*>(&CheckLoop);
  top[1] = license;
  unsigned long all = ~0ul, old = 0;
  sys::Syscall(sys::kRtSigprocmask, kSigBlock, sys::A(&all), sys::A(&old), 8);
  licet_stub_clone(kCloneFlags, top);
  sys::Syscall(sys::kRtSigprocmask, kSigSetmask, sys::A(&old), 0, 8);
}

}  // namespace licet::protect::stub
