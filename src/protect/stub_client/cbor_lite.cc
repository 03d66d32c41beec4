#include "protect/stub_client/cbor_lite.h"

// Freestanding: byte loops carry an empty asm statement so that no memcpy call is emitted.

namespace licet::protect::cbor {
namespace {
#define LICET_CBOR_BARRIER() __asm__ volatile("" ::: "memory")

void Put(Writer* w, const void* p, size_t n) {
  if (w->overflow || w->cap - w->len < n) {
    w->overflow = true;
    return;
  }
  const uint8_t* b = static_cast<const uint8_t*>(p);
  for (size_t i = 0; i < n; ++i) {
    w->buf[w->len + i] = b[i];
    LICET_CBOR_BARRIER();
  }
  w->len += n;
}

size_t Strlen(const char* s) {
  size_t n = 0;
  while (s[n] != '\0') {
    ++n;
    LICET_CBOR_BARRIER();
  }
  return n;
}
}  // namespace

void Init(Writer* w, uint8_t* buf, size_t cap) {
  w->buf = buf;
  w->cap = cap;
  w->len = 0;
  w->overflow = false;
}

void Head(Writer* w, Major major, uint64_t value) {
  uint8_t h[9];
  const uint8_t m = static_cast<uint8_t>(major << 5);
  size_t n;
  if (value < 24) {
    h[0] = static_cast<uint8_t>(m | value);
    n = 1;
  } else if (value <= 0xff) {
    h[0] = m | 24;
    h[1] = static_cast<uint8_t>(value);
    n = 2;
  } else if (value <= 0xffff) {
    h[0] = m | 25;
    h[1] = static_cast<uint8_t>(value >> 8);
    h[2] = static_cast<uint8_t>(value);
    n = 3;
  } else if (value <= 0xffffffffULL) {
    h[0] = m | 26;
    for (int i = 0; i < 4; ++i) h[1 + i] = static_cast<uint8_t>(value >> (24 - 8 * i));
    n = 5;
  } else {
    h[0] = m | 27;
    for (int i = 0; i < 8; ++i) h[1 + i] = static_cast<uint8_t>(value >> (56 - 8 * i));
    n = 9;
  }
  Put(w, h, n);
}

void Uint(Writer* w, uint64_t v) { Head(w, kUint, v); }

void Text(Writer* w, const char* s) {
  size_t n = Strlen(s);
  Head(w, kText, n);
  Put(w, s, n);
}

void Bytes(Writer* w, const void* p, size_t n) {
  Head(w, kBytes, n);
  Put(w, p, n);
}

void KeyUint(Writer* w, const char* key, uint64_t v) {
  Text(w, key);
  Uint(w, v);
}

void KeyBytes(Writer* w, const char* key, const void* p, size_t n) {
  Text(w, key);
  Bytes(w, p, n);
}

void Init(Reader* r, const uint8_t* p, size_t n) {
  r->p = p;
  r->n = n;
  r->pos = 0;
  r->error = false;
}

bool ReadHead(Reader* r, Major* major, uint64_t* value) {
  if (r->error || r->pos >= r->n) return !(r->error = true);
  const uint8_t b = r->p[r->pos++];
  *major = static_cast<Major>(b >> 5);
  const uint8_t ai = b & 31;
  uint64_t v = 0;
  if (ai < 24) {
    v = ai;
  } else if (ai <= 27) {
    const size_t len = size_t{1} << (ai - 24);
    if (r->n - r->pos < len) return !(r->error = true);
    for (size_t i = 0; i < len; ++i) v = (v << 8) | r->p[r->pos + i];
    r->pos += len;
  } else {
    return !(r->error = true);  // reserved (28-30) or indefinite length (31)
  }
  if ((*major == kBytes || *major == kText) && v > r->n - r->pos) return !(r->error = true);
  // Every array element or map entry takes at least one byte: a count above what is left
  // is malformed, which bounds the work a hostile count can cause.
  if ((*major == kArray || *major == kMap) && v > r->n - r->pos) return !(r->error = true);
  *value = v;
  return true;
}

const uint8_t* Payload(Reader* r, uint64_t len) {
  if (r->error || len > r->n - r->pos) {
    r->error = true;
    return nullptr;
  }
  const uint8_t* p = r->p + r->pos;
  r->pos += len;
  return p;
}

bool Skip(Reader* r, int depth) {
  if (depth >= kMaxDepth) return !(r->error = true);
  Major major;
  uint64_t v;
  if (!ReadHead(r, &major, &v)) return false;
  switch (major) {
    case kBytes:
    case kText:
      return Payload(r, v) != nullptr;
    case kArray:
      for (uint64_t i = 0; i < v; ++i) {
        if (!Skip(r, depth + 1)) return false;
      }
      return true;
    case kMap:
      for (uint64_t i = 0; i < 2 * v; ++i) {
        if (!Skip(r, depth + 1)) return false;
      }
      return true;
    case kTag:
      return Skip(r, depth + 1);
    default:
      return true;
  }
}

bool TextEquals(const uint8_t* p, uint64_t len, const char* s) {
  uint64_t i = 0;
  for (; i < len; ++i) {
    if (s[i] == '\0' || static_cast<uint8_t>(s[i]) != p[i]) return false;
    LICET_CBOR_BARRIER();
  }
  return s[i] == '\0';
}

}  // namespace licet::protect::cbor
