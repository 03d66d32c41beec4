// A minimal strict CBOR writer and reader over caller buffers, for the freestanding licetd
// client (no allocation, no library calls). Only what docs/PROTOCOL.md messages need:
// unsigned and negative integers, byte and text strings, maps, arrays; other items
// (floats, simple values, tags) are skipped. Indefinite lengths, reserved additional-info
// values, lengths past the end and nesting deeper than kMaxDepth are errors.
#ifndef LICET_PROTECT_STUB_CLIENT_CBOR_LITE_H_
#define LICET_PROTECT_STUB_CLIENT_CBOR_LITE_H_

#include <stddef.h>
#include <stdint.h>

namespace licet::protect::cbor {

inline constexpr int kMaxDepth = 16;  // as licetd accepts

enum Major : uint8_t {
  kUint = 0, kNegint = 1, kBytes = 2, kText = 3, kArray = 4, kMap = 5, kTag = 6, kSimple = 7
};

struct Writer {
  uint8_t* buf;
  size_t cap;
  size_t len;
  bool overflow;  // set when something did not fit; the output is then unusable
};
void Init(Writer* w, uint8_t* buf, size_t cap);
void Head(Writer* w, Major major, uint64_t value);
void Uint(Writer* w, uint64_t v);
void Text(Writer* w, const char* s);  // NUL-terminated
void Bytes(Writer* w, const void* p, size_t n);
// key (text) and value in one call, for maps
void KeyUint(Writer* w, const char* key, uint64_t v);
void KeyBytes(Writer* w, const char* key, const void* p, size_t n);

struct Reader {
  const uint8_t* p;
  size_t n;
  size_t pos;
  bool error;
};
void Init(Reader* r, const uint8_t* p, size_t n);
// Reads one item head. For strings, `value` is the length and the payload follows at pos;
// for floats and simple values it is the raw value (the payload is consumed). False (and
// r->error) on malformed or truncated input.
[[nodiscard]] bool ReadHead(Reader* r, Major* major, uint64_t* value);
// Skips one whole item (with depth limit). False on malformed input.
[[nodiscard]] bool Skip(Reader* r, int depth = 0);
// After a string head: the payload pointer, and consumes `len` bytes.
[[nodiscard]] const uint8_t* Payload(Reader* r, uint64_t len);
// True when a text payload equals the NUL-terminated `s`.
bool TextEquals(const uint8_t* p, uint64_t len, const char* s);

}  // namespace licet::protect::cbor

#endif  // LICET_PROTECT_STUB_CLIENT_CBOR_LITE_H_
