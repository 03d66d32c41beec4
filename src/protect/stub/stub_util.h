// Small freestanding helpers of the decryptor: string output and number formatting without
// libc. Everything is inline; nothing here allocates or touches globals.
#ifndef LICET_PROTECT_STUB_STUB_UTIL_H_
#define LICET_PROTECT_STUB_STUB_UTIL_H_

#include "protect/stub_client/sys.h"

namespace licet::protect::stub {

inline unsigned long StrLen(const char* s) {
  unsigned long n = 0;
  while (s[n] != 0) ++n;
  return n;
}

// Length of a NUL-padded fixed-size text field.
inline unsigned long FieldLen(const char* s, unsigned long max) {
  unsigned long n = 0;
  while (n < max && s[n] != 0) ++n;
  return n;
}

inline bool StartsWith(const char* s, const char* prefix) {
  while (*prefix != 0) {
    if (*s++ != *prefix++) return false;
  }
  return true;
}

// A fixed buffer that collects one message line for stderr.
struct Line {
  char buf[1024];
  unsigned long len = 0;
  Line& Add(const char* s, unsigned long n) {
    for (unsigned long i = 0; i < n && len < sizeof(buf); ++i) buf[len++] = s[i];
    return *this;
  }
  Line& Add(const char* s) { return Add(s, StrLen(s)); }
  Line& Num(unsigned long long v) {
    char tmp[24];
    int n = 0;
    do {
      tmp[n++] = static_cast<char>('0' + v % 10);
      v /= 10;
    } while (v != 0);
    while (n > 0 && len < sizeof(buf)) buf[len++] = tmp[--n];
    return *this;
  }
  void Print() const {
    unsigned long off = 0;
    while (off < len) {
      long w = sys::Write(2, buf + off, len - off);
      if (w <= 0) break;
      off += static_cast<unsigned long>(w);
    }
  }
};

}  // namespace licet::protect::stub

#endif  // LICET_PROTECT_STUB_STUB_UTIL_H_
