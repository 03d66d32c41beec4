// The licetd client of the protection stub: freestanding (raw syscalls, no libc, no heap;
// a frame larger than the session buffer goes to a temporary mmap), speaking
// docs/PROTOCOL.md over the local Unix socket with hand-built, strictly parsed CBOR.
//
// The socket is found exactly as src/protocol DefaultSocketPath does, from `envp`:
// $LICET_SOCKET, else /run/licet/licetd.sock for euid 0, else
// $XDG_RUNTIME_DIR/licet/licetd.sock, else /tmp/licet-<euid>/licetd.sock.
//
// Return codes are licet error codes (common/status.h, include/licet/licet.h): 0 OK; the
// code licetd refused with (200 no license, 33 feature missing, 35 expired, 38 clock set
// back, 212 no seat, ...); 15 when licetd cannot be reached; 102 on a malformed answer; 6
// when the wrapped key does not open (a descriptor for another product secret). All of them
// are below 256, so the stub can exit with them (docs/PROTECTION.md "Exit codes").
//
// A session is not thread-safe: the stub drives it from one thread (its checker).
#ifndef LICET_PROTECT_STUB_CLIENT_STUB_CLIENT_H_
#define LICET_PROTECT_STUB_CLIENT_STUB_CLIENT_H_

#include <stddef.h>
#include <stdint.h>

#include "protect/key/descriptor.h"

namespace licet::protect::stub {

inline constexpr int kCodeOk = 0;
inline constexpr int kCodeCorruptData = 3;
inline constexpr int kCodeDecryptFailed = 6;
inline constexpr int kCodeUnavailable = 15;
inline constexpr int kCodeProtocolError = 102;
inline constexpr int kRecvTimeoutSeconds = 20;  // a stuck licetd must not hang the program

// The one-line (or two-line) user message: what is missing and how to activate.
struct StubMessage {
  char text[768];
};

struct StubStatus {
  int code;                 // 0 while the license holds, else why not
  int64_t units_left;       // -1 when the item counts no units
  int64_t days_left;        // -1 when the item does not expire (rounded down)
  bool low_units;           // units_left <= descriptor low_units (when set)
  bool low_days;            // days_left <= descriptor low_days (when set)
};

struct StubSession {
  int fd;                           // -1 when closed
  uint64_t handle;                  // the licetd handle, 0 when none
  uint32_t next_id;
  uint32_t slot;                    // key slot whose feature the access is for, or kAnySlot
  const key::Descriptor* d;
  char socket_path[108];
  char server_message[256];         // the last `message` licetd sent
  alignas(16) uint8_t buf[16384];   // request and (most) response frames
};

// Access with feature code 0 (any feature of the product; each unwrap then checks its own).
inline constexpr uint32_t kAnySlot = ~0u;

// Connects, says hello and opens an access for d's firm and product, with the feature of
// `access_slot` (or 0 for kAnySlot), d's where and mode. On failure `err` holds the user
// message and the session is closed. `envp` may be null.
[[nodiscard]] int StubOpen(const key::Descriptor& d, uint32_t access_slot,
                           const char* const* envp, StubSession* s, StubMessage* err);
// Unwraps the content key of `slot` on an open session (`crypt` op 2; licetd checks that
// the slot's feature is licensed: 33 otherwise). Reconnects once if the connection was lost.
// ck_out is zeroed on failure; the session stays open either way.
[[nodiscard]] int StubUnwrap(StubSession* s, uint32_t slot, unsigned char ck_out[32],
                             StubMessage* err);

// StubOpen(d, slot) then StubUnwrap(slot): connects, says hello, opens an access for d's firm/product/slot feature with d's where and
// mode, and unwraps the slot's content key through `crypt` op 2 into ck_out. On failure
// `err` holds the user message, ck_out is zeroed and the session is closed. On success the
// session stays open (the access holds the seat) until StubRelease. `envp` may be null.
[[nodiscard]] int StubAccessAndUnwrapSlot(const key::Descriptor& d, uint32_t slot,
                                          const char* const* envp, unsigned char ck_out[32],
                                          StubSession* s, StubMessage* err);
// The same for slot 0 (executables and libraries have one slot).
[[nodiscard]] int StubAccessAndUnwrap(const key::Descriptor& d, const char* const* envp,
                                      unsigned char ck_out[32], StubSession* s,
                                      StubMessage* err);
// The periodic check: the license is re-validated on the handle (a `crypt` op 3 on no data:
// licetd re-checks time limits and the feature), then `info` gives units and days. When the
// connection was lost (licetd restarted) it reconnects and accesses again once. Returns
// out->code.
int StubCheck(StubSession* s, StubStatus* out);
// Releases the access and closes the connection; safe on a closed session.
void StubRelease(StubSession* s);

// Formats the user message for `code` (see above) into `out`.
void StubFormatMessage(const key::Descriptor& d, uint32_t slot, int code, const char* detail,
                       StubMessage* out);

// For tests and the fuzz target: parses one response frame body (the CBOR map) the way the
// client does. Returns the response's code, or -1 when the frame is malformed.
int StubParseResponseForTest(const uint8_t* p, size_t n);

// Resolves the socket path from envp as described above; false when it does not fit.
bool StubSocketPath(const char* const* envp, char out[108]);

}  // namespace licet::protect::stub

#endif  // LICET_PROTECT_STUB_CLIENT_STUB_CLIENT_H_
