#include "protect/stub_client/stub_client.h"

#include "protect/gcm/aes_gcm.h"
#include "protect/stub_client/cbor_lite.h"
#include "protect/stub_client/sys.h"

// Freestanding (see stub_client.h): no libc. Byte loops carry an empty asm statement so that
// compilers do not emit memcpy/memset/strlen calls the stub could not resolve.

namespace licet::protect::stub {
namespace {

#define LICET_STUB_BARRIER() __asm__ volatile("" ::: "memory")

constexpr uint32_t kMaxFrame = 16u << 20;  // docs/PROTOCOL.md

size_t Len(const char* s) {
  size_t n = 0;
  while (s[n] != '\0') {
    ++n;
    LICET_STUB_BARRIER();
  }
  return n;
}

// Appends `s` (at most `n` bytes, or up to NUL) to the NUL-terminated `dst` of capacity `cap`.
void Append(char* dst, size_t cap, const char* s, size_t n = ~size_t{0}) {
  size_t at = Len(dst);
  for (size_t i = 0; i < n && s[i] != '\0' && at + 1 < cap; ++i) {
    dst[at++] = s[i];
    LICET_STUB_BARRIER();
  }
  dst[at] = '\0';
}

void AppendUint(char* dst, size_t cap, uint64_t v) {
  char tmp[24];
  int i = 23;
  tmp[i] = '\0';
  do {
    tmp[--i] = static_cast<char>('0' + v % 10);
    v /= 10;
  } while (v != 0);
  Append(dst, cap, tmp + i);
}

void Zero(void* p, size_t n) { gcm::Wipe(p, n); }

void Copy(void* dst, const void* src, size_t n) {
  for (size_t i = 0; i < n; ++i) {
    static_cast<uint8_t*>(dst)[i] = static_cast<const uint8_t*>(src)[i];
    LICET_STUB_BARRIER();
  }
}

const char* EnvGet(const char* const* envp, const char* name) {
  if (envp == nullptr) return nullptr;
  const size_t n = Len(name);
  for (; *envp != nullptr; ++envp) {
    const char* e = *envp;
    size_t i = 0;
    while (i < n && e[i] == name[i]) ++i;
    if (i == n && e[n] == '=') return e + n + 1;
  }
  return nullptr;
}

bool WriteAll(int fd, const uint8_t* p, size_t n) {
  while (n > 0) {
    long w = sys::Send(fd, p, n, sys::kMsgNosignal);
    if (w == -sys::kEintr) continue;
    if (w <= 0) return false;
    p += w;
    n -= static_cast<size_t>(w);
  }
  return true;
}

bool ReadAll(int fd, uint8_t* p, size_t n) {
  while (n > 0) {
    long r = sys::Read(fd, p, n);
    if (r == -sys::kEintr) continue;
    if (r <= 0) return false;  // EOF, error or SO_RCVTIMEO
    p += r;
    n -= static_cast<size_t>(r);
  }
  return true;
}

// What the client needs from a response.
struct Response {
  uint64_t id;
  uint64_t code;
  bool has_code;
  uint64_t handle;
  bool has_handle;
  uint8_t data[32];
  uint64_t data_len;
  bool has_data;
  int64_t unit_counter;     // -1: absent
  int64_t expiration;       // -1: absent
  int64_t usage_period;     // -1: absent
  int64_t usage_started;    // -1: absent
};

bool ReadUintValue(cbor::Reader* r, uint64_t* v) {
  cbor::Major m;
  return cbor::ReadHead(r, &m, v) && m == cbor::kUint;
}

bool ParseItem(cbor::Reader* r, Response* out) {
  cbor::Major m;
  uint64_t n;
  if (!cbor::ReadHead(r, &m, &n) || m != cbor::kMap) return false;
  for (uint64_t i = 0; i < n; ++i) {
    uint64_t klen;
    if (!cbor::ReadHead(r, &m, &klen) || m != cbor::kText) return false;
    const uint8_t* k = cbor::Payload(r, klen);
    if (k == nullptr) return false;
    int64_t* field = nullptr;
    if (cbor::TextEquals(k, klen, "unit_counter")) field = &out->unit_counter;
    if (cbor::TextEquals(k, klen, "expiration")) field = &out->expiration;
    if (cbor::TextEquals(k, klen, "usage_period")) field = &out->usage_period;
    if (cbor::TextEquals(k, klen, "usage_started")) field = &out->usage_started;
    if (field != nullptr) {
      uint64_t v;
      if (!ReadUintValue(r, &v) || v > (1ULL << 62)) return false;
      *field = static_cast<int64_t>(v);
    } else if (!cbor::Skip(r, 1)) {
      return false;
    }
  }
  return true;
}

// Strict: the frame is exactly one map with text keys; the fields we use have their types.
bool ParseResponse(const uint8_t* p, size_t n, Response* out, StubSession* s) {
  out->id = out->code = out->handle = out->data_len = 0;
  out->has_code = out->has_handle = out->has_data = false;
  out->unit_counter = out->expiration = out->usage_period = out->usage_started = -1;
  cbor::Reader r;
  cbor::Init(&r, p, n);
  cbor::Major m;
  uint64_t entries;
  if (!cbor::ReadHead(&r, &m, &entries) || m != cbor::kMap) return false;
  bool has_id = false;
  for (uint64_t i = 0; i < entries; ++i) {
    uint64_t klen;
    if (!cbor::ReadHead(&r, &m, &klen) || m != cbor::kText) return false;
    const uint8_t* k = cbor::Payload(&r, klen);
    if (k == nullptr) return false;
    if (cbor::TextEquals(k, klen, "id")) {
      if (!ReadUintValue(&r, &out->id)) return false;
      has_id = true;
    } else if (cbor::TextEquals(k, klen, "code")) {
      if (!ReadUintValue(&r, &out->code)) return false;
      out->has_code = true;
    } else if (cbor::TextEquals(k, klen, "handle")) {
      if (!ReadUintValue(&r, &out->handle)) return false;
      out->has_handle = true;
    } else if (cbor::TextEquals(k, klen, "message")) {
      uint64_t len;
      if (!cbor::ReadHead(&r, &m, &len) || m != cbor::kText) return false;
      const uint8_t* t = cbor::Payload(&r, len);
      if (t == nullptr) return false;
      s->server_message[0] = '\0';
      Append(s->server_message, sizeof s->server_message, reinterpret_cast<const char*>(t),
             len);
    } else if (cbor::TextEquals(k, klen, "data")) {
      uint64_t len;
      if (!cbor::ReadHead(&r, &m, &len) || m != cbor::kBytes || len > sizeof out->data)
        return false;
      const uint8_t* d = cbor::Payload(&r, len);
      if (d == nullptr) return false;
      Copy(out->data, d, len);
      out->data_len = len;
      out->has_data = true;
    } else if (cbor::TextEquals(k, klen, "item")) {
      if (!ParseItem(&r, out)) return false;
    } else if (!cbor::Skip(&r)) {
      return false;
    }
  }
  return has_id && out->has_code && r.pos == n && !r.error;
}

void CloseSession(StubSession* s) {
  if (s->fd >= 0) sys::Close(s->fd);
  s->fd = -1;
  s->handle = 0;
}

// Sends the request frame built in s->buf (4-byte header space + `len` bytes of CBOR) and
// reads the answer into `resp`. Returns a licet code: licetd's answer code, or 15/102.
int RoundTrip(StubSession* s, size_t len, uint64_t id, Response* resp) {
  s->buf[0] = static_cast<uint8_t>(len >> 24);
  s->buf[1] = static_cast<uint8_t>(len >> 16);
  s->buf[2] = static_cast<uint8_t>(len >> 8);
  s->buf[3] = static_cast<uint8_t>(len);
  if (!WriteAll(s->fd, s->buf, len + 4)) {
    CloseSession(s);
    return kCodeUnavailable;
  }
  uint8_t header[4];
  if (!ReadAll(s->fd, header, 4)) {
    CloseSession(s);
    return kCodeUnavailable;
  }
  const uint32_t n = (uint32_t{header[0]} << 24) | (uint32_t{header[1]} << 16) |
                     (uint32_t{header[2]} << 8) | header[3];
  if (n == 0 || n > kMaxFrame) {
    CloseSession(s);
    return kCodeProtocolError;
  }
  uint8_t* frame = s->buf;
  void* mapped = nullptr;
  if (n > sizeof s->buf) {  // a large item (protected data, text): a temporary mapping
    mapped = sys::Mmap(nullptr, n, sys::kProtRead | sys::kProtWrite,
                       sys::kMapPrivate | sys::kMapAnonymous, -1, 0);
    if (sys::MmapFailed(mapped)) {
      CloseSession(s);
      return kCodeUnavailable;
    }
    frame = static_cast<uint8_t*>(mapped);
  }
  bool ok = ReadAll(s->fd, frame, n);
  bool parsed = ok && ParseResponse(frame, n, resp, s);
  if (mapped != nullptr) sys::Munmap(mapped, n);
  if (!ok) {
    CloseSession(s);
    return kCodeUnavailable;
  }
  if (!parsed || resp->id != id || resp->code > 0xffff) {
    CloseSession(s);
    return kCodeProtocolError;
  }
  return static_cast<int>(resp->code);
}

// Starts a request map of `entries` fields with id and op; returns its id.
uint64_t BeginRequest(StubSession* s, cbor::Writer* w, uint64_t entries, const char* op) {
  cbor::Init(w, s->buf + 4, sizeof s->buf - 4);
  const uint64_t id = ++s->next_id;
  cbor::Head(w, cbor::kMap, entries + 2);
  cbor::KeyUint(w, "id", id);
  cbor::Text(w, "op");
  cbor::Text(w, op);
  return id;
}

int Connect(StubSession* s) {
  long fd = sys::Socket(sys::kAfUnix, sys::kSockStream | sys::kSockCloexec, 0);
  if (fd < 0) return kCodeUnavailable;
  s->fd = static_cast<int>(fd);
  sys::Timeval tv{kRecvTimeoutSeconds, 0};
  sys::Setsockopt(s->fd, sys::kSolSocket, sys::kSoRcvtimeo, &tv, sizeof tv);
  sys::Setsockopt(s->fd, sys::kSolSocket, sys::kSoSndtimeo, &tv, sizeof tv);
  sys::SockaddrUn addr;
  Zero(&addr, sizeof addr);
  addr.sun_family = sys::kAfUnix;
  Copy(addr.sun_path, s->socket_path, Len(s->socket_path));
  long rc;
  do {
    rc = sys::Connect(s->fd, &addr, sizeof addr);
  } while (rc == -sys::kEintr);
  if (rc < 0) {
    CloseSession(s);
    return kCodeUnavailable;
  }
  cbor::Writer w;
  uint64_t id = BeginRequest(s, &w, 2, "hello");
  cbor::KeyUint(&w, "version", 1);
  cbor::Text(&w, "client");
  cbor::Text(&w, "licet-protect-stub");
  Response resp;
  return RoundTrip(s, w.len, id, &resp);
}

int Access(StubSession* s) {
  const key::Descriptor& d = *s->d;
  const uint32_t feature = s->slot < d.key_count ? d.keys[s->slot].feature_code : 0;
  cbor::Writer w;
  uint64_t id = BeginRequest(s, &w, 5, "access");
  cbor::KeyUint(&w, "firm_code", d.firm_code);
  cbor::KeyUint(&w, "product_code", d.product_code);
  cbor::KeyUint(&w, "feature_code", feature);
  cbor::KeyUint(&w, "mode", d.access_mode);
  cbor::KeyUint(&w, "where", d.where);
  Response resp;
  int code = RoundTrip(s, w.len, id, &resp);
  if (code != 0) return code;
  if (!resp.has_handle || resp.handle == 0) {
    CloseSession(s);
    return kCodeProtocolError;
  }
  s->handle = resp.handle;
  return 0;
}

// crypt on the handle with a slot's feature and encryption code (another slot value, e.g.
// kAnySlot: feature 0, encryption code 0).
int Crypt(StubSession* s, uint32_t slot, int op, const uint8_t iv[12], const uint8_t* tag,
          const uint8_t* data, size_t n, Response* resp) {
  const bool has_slot = slot < s->d->key_count;
  cbor::Writer w;
  uint64_t id = BeginRequest(s, &w, tag != nullptr ? 7 : 6, "crypt");
  cbor::KeyUint(&w, "handle", s->handle);
  cbor::KeyUint(&w, "crypt_op", static_cast<uint64_t>(op));
  cbor::KeyUint(&w, "encryption_code", has_slot ? s->d->keys[slot].encryption_code : 0);
  cbor::KeyUint(&w, "feature_code", has_slot ? s->d->keys[slot].feature_code : 0);
  cbor::KeyBytes(&w, "iv", iv, 12);
  if (tag != nullptr) cbor::KeyBytes(&w, "tag", tag, 16);
  cbor::KeyBytes(&w, "data", data, n);
  if (w.overflow) return kCodeProtocolError;
  int code = RoundTrip(s, w.len, id, resp);
  if (code == 0 && (!resp->has_data || resp->data_len != n)) {
    CloseSession(s);
    return kCodeProtocolError;
  }
  return code;
}

int OpenSession(StubSession* s) {
  int code = Connect(s);
  if (code == 0) code = Access(s);
  if (code != 0) CloseSession(s);
  return code;
}

int64_t NowSeconds() {
  sys::Timespec ts{0, 0};
  if (sys::ClockGettime(sys::kClockRealtime, &ts) != 0) return 0;
  return ts.tv_sec;
}

}  // namespace

int StubParseResponseForTest(const uint8_t* p, size_t n) {
  Response resp;
  StubSession* s = reinterpret_cast<StubSession*>(
      sys::Mmap(nullptr, sizeof(StubSession), sys::kProtRead | sys::kProtWrite,
                sys::kMapPrivate | sys::kMapAnonymous, -1, 0));
  if (sys::MmapFailed(s)) return -1;
  int code = ParseResponse(p, n, &resp, s) && resp.code <= 0xffff ? static_cast<int>(resp.code) : -1;
  sys::Munmap(s, sizeof(StubSession));
  return code;
}

bool StubSocketPath(const char* const* envp, char out[108]) {
  out[0] = '\0';
  const char* sock = EnvGet(envp, "LICET_SOCKET");
  if (sock != nullptr && *sock != '\0') {
    Append(out, 108, sock);
    return Len(sock) < 108;
  }
  const long euid = sys::Geteuid();
  if (euid == 0) {
    Append(out, 108, "/run/licet/licetd.sock");
    return true;
  }
  const char* xdg = EnvGet(envp, "XDG_RUNTIME_DIR");
  if (xdg != nullptr && *xdg != '\0') {
    Append(out, 108, xdg);
    Append(out, 108, "/licet/licetd.sock");
    return Len(xdg) + Len("/licet/licetd.sock") < 108;
  }
  Append(out, 108, "/tmp/licet-");
  AppendUint(out, 108, static_cast<uint64_t>(euid));
  Append(out, 108, "/licetd.sock");
  return true;
}

void StubFormatMessage(const key::Descriptor& d, uint32_t slot, int code, const char* detail,
                       StubMessage* out) {
  char* t = out->text;
  const size_t cap = sizeof out->text;
  t[0] = '\0';
  char product[96];
  product[0] = '\0';
  if (d.product_name[0] != '\0') {
    Append(product, sizeof product, d.product_name, key::kNameSize);
  } else {
    Append(product, sizeof product, "product ");
    AppendUint(product, sizeof product, d.product_code);
  }
  Append(t, cap, product);
  Append(t, cap, ": ");
  const uint32_t feature = slot < d.key_count ? d.keys[slot].feature_code : 0;
  switch (code) {
    case kCodeUnavailable:
      Append(t, cap, "the Licet runtime (licetd) is not reachable; start it and try again");
      break;
    case 200: case 201: case 202:
      Append(t, cap, "no license found (firm ");
      AppendUint(t, cap, d.firm_code);
      Append(t, cap, ", product ");
      AppendUint(t, cap, d.product_code);
      Append(t, cap, ")");
      break;
    case 33:
      Append(t, cap, "the license does not include feature ");
      AppendUint(t, cap, feature);
      break;
    case 32: Append(t, cap, "the license has no units left"); break;
    case 35: Append(t, cap, "the license has expired"); break;
    case 37: Append(t, cap, "the license is not active yet"); break;
    case 38: Append(t, cap, "the system clock was set back; correct it or refresh certified time"); break;
    case 39: Append(t, cap, "the license's usage period is over"); break;
    case 40: Append(t, cap, "this release is not covered by the license's maintenance period"); break;
    case 41: Append(t, cap, "the license must be refreshed online (checkpoint overdue)"); break;
    case 212: Append(t, cap, "all seats of the license are in use"); break;
    case 213: Append(t, cap, "the license is used exclusively by another program"); break;
    case kCodeDecryptFailed:
    case kCodeCorruptData:
      Append(t, cap, "the program file is damaged or was modified (reinstall it)");
      break;
    default:
      Append(t, cap, "license check failed (code ");
      AppendUint(t, cap, static_cast<uint64_t>(code));
      Append(t, cap, ")");
  }
  if (detail != nullptr && *detail != '\0') {
    Append(t, cap, " [");
    Append(t, cap, detail);
    Append(t, cap, "]");
  }
  if (code != kCodeUnavailable && code != kCodeDecryptFailed && code != kCodeCorruptData &&
      code != 38) {
    Append(t, cap, "\nTo activate: ");
    if (d.activation_hint[0] != '\0') {
      Append(t, cap, d.activation_hint, key::kHintSize);
    } else {
      Append(t, cap, "licet activate <ticket> (from your vendor)");
    }
  }
  Append(t, cap, "\n");
}

int StubOpen(const key::Descriptor& d, uint32_t access_slot, const char* const* envp,
             StubSession* s, StubMessage* err) {
  s->fd = -1;
  s->handle = 0;
  s->next_id = 0;
  s->slot = access_slot;
  s->d = &d;
  s->server_message[0] = '\0';
  int code = kCodeCorruptData;
  if (d.mode == static_cast<uint32_t>(key::Mode::kLicense) &&
      (access_slot < d.key_count || access_slot == kAnySlot)) {
    code = StubSocketPath(envp, s->socket_path) ? OpenSession(s) : kCodeUnavailable;
  }
  if (code != 0) {
    StubFormatMessage(d, access_slot, code, s->server_message, err);
    StubRelease(s);
  }
  return code;
}

int StubUnwrap(StubSession* s, uint32_t slot, unsigned char ck_out[32], StubMessage* err) {
  Zero(ck_out, 32);
  if (s->d == nullptr) return kCodeCorruptData;
  const key::Descriptor& d = *s->d;
  int code = kCodeCorruptData;
  if (slot < d.key_count) {
    code = 0;
    if (s->fd < 0 || s->handle == 0) code = OpenSession(s);  // licetd restarted meanwhile
  }
  if (code == 0) {
    Response resp;
    const key::KeySlot& k = d.keys[slot];
    code = Crypt(s, slot, 2, k.wrap_iv, k.wrap_tag, k.wrapped, 32, &resp);
    if (code == 0) Copy(ck_out, resp.data, 32);
    Zero(&resp, sizeof resp);
  }
  Zero(s->buf, sizeof s->buf);  // the answer carried the content key
  if (code != 0) StubFormatMessage(d, slot, code, s->server_message, err);
  return code;
}

int StubAccessAndUnwrapSlot(const key::Descriptor& d, uint32_t slot, const char* const* envp,
                            unsigned char ck_out[32], StubSession* s, StubMessage* err) {
  Zero(ck_out, 32);
  if (slot >= d.key_count) {
    StubFormatMessage(d, slot, kCodeCorruptData, nullptr, err);
    s->fd = -1;
    s->handle = 0;
    s->d = nullptr;
    return kCodeCorruptData;
  }
  int code = StubOpen(d, slot, envp, s, err);
  if (code == 0) {
    code = StubUnwrap(s, slot, ck_out, err);
    if (code != 0) StubRelease(s);
  }
  return code;
}

int StubAccessAndUnwrap(const key::Descriptor& d, const char* const* envp,
                        unsigned char ck_out[32], StubSession* s, StubMessage* err) {
  return StubAccessAndUnwrapSlot(d, 0, envp, ck_out, s, err);
}

int StubCheck(StubSession* s, StubStatus* out) {
  out->code = 0;
  out->units_left = -1;
  out->days_left = -1;
  out->low_units = false;
  out->low_days = false;
  if (s->d == nullptr) return out->code = kCodeCorruptData;
  if (s->fd < 0 || s->handle == 0) {
    int code = OpenSession(s);  // licetd restarted: its leases are gone, take a new one
    if (code != 0) return out->code = code;
  }
  Response resp;
  const uint8_t iv[12] = {};
  int code = Crypt(s, s->slot, 3, iv, nullptr, nullptr, 0, &resp);
  if (code == kCodeUnavailable || code == kCodeProtocolError) {
    if (OpenSession(s) == 0) code = Crypt(s, s->slot, 3, iv, nullptr, nullptr, 0, &resp);
  }
  if (code != 0) return out->code = code;
  cbor::Writer w;
  uint64_t id = BeginRequest(s, &w, 1, "info");
  cbor::KeyUint(&w, "handle", s->handle);
  code = RoundTrip(s, w.len, id, &resp);
  if (code != 0) return out->code = code;
  const key::Descriptor& d = *s->d;
  if (resp.unit_counter >= 0) {
    out->units_left = resp.unit_counter;
    out->low_units = d.low_units != 0 && resp.unit_counter <= int64_t{d.low_units};
  }
  int64_t end = resp.expiration;
  if (resp.usage_period > 0 && resp.usage_started > 0) {
    int64_t usage_end = resp.usage_started + resp.usage_period;
    if (end < 0 || usage_end < end) end = usage_end;
  }
  if (end >= 0) {
    int64_t left = end - NowSeconds();
    out->days_left = left <= 0 ? 0 : left / 86400;
    out->low_days = d.low_days != 0 && out->days_left <= int64_t{d.low_days};
  }
  return 0;
}

void StubRelease(StubSession* s) {
  if (s->fd >= 0 && s->handle != 0) {
    cbor::Writer w;
    uint64_t id = BeginRequest(s, &w, 1, "release");
    cbor::KeyUint(&w, "handle", s->handle);
    Response resp;
    (void)RoundTrip(s, w.len, id, &resp);
  }
  CloseSession(s);
}

}  // namespace licet::protect::stub
