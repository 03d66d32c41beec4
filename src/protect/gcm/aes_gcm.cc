#include "protect/gcm/aes_gcm.h"

#include <cpuid.h>
#include <immintrin.h>

// GHASH follows Gueron & Kounavis, "Intel Carry-Less Multiplication Instruction and its Usage
// for Computing the GCM Mode" (2014): operands byte-reversed, 256-bit carry-less product
// shifted left by one, reduced modulo x^128 + x^7 + x^2 + x + 1. The bulk loops sum eight
// unreduced products (X_i * H^(9-i)) and reduce once ("aggregated reduction"): the
// reduction is linear, so this equals eight sequential multiply-and-reduce steps.
//
// No library calls: byte loops carry an empty asm statement so that neither GCC nor clang
// turns them into memcpy/memset calls, which the stub does not have.

namespace licet::protect::gcm {
namespace {

#define LICET_GCM_BARRIER() __asm__ volatile("" ::: "memory")

inline __m128i Bswap(__m128i x) {
  const __m128i mask = _mm_set_epi8(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15);
  return _mm_shuffle_epi8(x, mask);
}

inline __m128i Load(const void* p) { return _mm_loadu_si128(static_cast<const __m128i*>(p)); }
inline void Store(void* p, __m128i v) { _mm_storeu_si128(static_cast<__m128i*>(p), v); }

void CopyBytes(unsigned char* dst, const unsigned char* src, unsigned long n) {
  for (unsigned long i = 0; i < n; ++i) {
    dst[i] = src[i];
    LICET_GCM_BARRIER();
  }
}

// Loads up to 16 bytes, zero-padded.
inline __m128i LoadPartial(const unsigned char* p, unsigned long n) {
  alignas(16) unsigned char tmp[16] = {};
  CopyBytes(tmp, p, n);
  return _mm_load_si128(reinterpret_cast<const __m128i*>(tmp));
}

// ---- AES-256 ----

inline __m128i KeyAssist1(__m128i a, __m128i b) {
  b = _mm_shuffle_epi32(b, 0xff);
  __m128i t = _mm_slli_si128(a, 4);
  a = _mm_xor_si128(a, t);
  t = _mm_slli_si128(t, 4);
  a = _mm_xor_si128(a, t);
  t = _mm_slli_si128(t, 4);
  a = _mm_xor_si128(a, t);
  return _mm_xor_si128(a, b);
}

inline __m128i KeyAssist2(__m128i a, __m128i c) {
  __m128i t = _mm_aeskeygenassist_si128(a, 0x00);
  __m128i d = _mm_shuffle_epi32(t, 0xaa);
  t = _mm_slli_si128(c, 4);
  c = _mm_xor_si128(c, t);
  t = _mm_slli_si128(t, 4);
  c = _mm_xor_si128(c, t);
  t = _mm_slli_si128(t, 4);
  c = _mm_xor_si128(c, t);
  return _mm_xor_si128(c, d);
}

void ExpandAes256(const unsigned char* key, __m128i rk[15]) {
  __m128i a = Load(key);
  __m128i c = Load(key + 16);
  rk[0] = a;
  rk[1] = c;
#define LICET_GCM_ROUND(i, rcon)                                 \
  a = KeyAssist1(a, _mm_aeskeygenassist_si128(c, rcon));          \
  rk[i] = a;                                                      \
  if ((i) < 14) {                                                 \
    c = KeyAssist2(a, c);                                         \
    rk[(i) + 1] = c;                                              \
  }
  LICET_GCM_ROUND(2, 0x01)
  LICET_GCM_ROUND(4, 0x02)
  LICET_GCM_ROUND(6, 0x04)
  LICET_GCM_ROUND(8, 0x08)
  LICET_GCM_ROUND(10, 0x10)
  LICET_GCM_ROUND(12, 0x20)
  LICET_GCM_ROUND(14, 0x40)
#undef LICET_GCM_ROUND
}

inline __m128i RoundKey(const Key& k, int i) {
  return _mm_load_si128(reinterpret_cast<const __m128i*>(k.round_keys + 16 * i));
}

inline __m128i EncryptBlock(const Key& k, __m128i b) {
  b = _mm_xor_si128(b, RoundKey(k, 0));
  for (int r = 1; r < 14; ++r) b = _mm_aesenc_si128(b, RoundKey(k, r));
  return _mm_aesenclast_si128(b, RoundKey(k, 14));
}

// ---- GHASH ----

// The 256-bit carry-less product of a and b as (lo, hi), not reduced.
inline void ClMul(__m128i a, __m128i b, __m128i* lo, __m128i* hi) {
  __m128i l = _mm_clmulepi64_si128(a, b, 0x00);
  __m128i m = _mm_xor_si128(_mm_clmulepi64_si128(a, b, 0x10), _mm_clmulepi64_si128(a, b, 0x01));
  __m128i h = _mm_clmulepi64_si128(a, b, 0x11);
  *lo = _mm_xor_si128(l, _mm_slli_si128(m, 8));
  *hi = _mm_xor_si128(h, _mm_srli_si128(m, 8));
}

// Shifts the 256-bit (lo, hi) left by one bit and reduces it to 128 bits.
inline __m128i Reduce(__m128i lo, __m128i hi) {
  __m128i t7 = _mm_srli_epi32(lo, 31);
  __m128i t8 = _mm_srli_epi32(hi, 31);
  lo = _mm_slli_epi32(lo, 1);
  hi = _mm_slli_epi32(hi, 1);
  __m128i t9 = _mm_srli_si128(t7, 12);
  t8 = _mm_slli_si128(t8, 4);
  t7 = _mm_slli_si128(t7, 4);
  lo = _mm_or_si128(lo, t7);
  hi = _mm_or_si128(_mm_or_si128(hi, t8), t9);

  t7 = _mm_slli_epi32(lo, 31);
  t8 = _mm_slli_epi32(lo, 30);
  t9 = _mm_slli_epi32(lo, 25);
  t7 = _mm_xor_si128(_mm_xor_si128(t7, t8), t9);
  t8 = _mm_srli_si128(t7, 4);
  t7 = _mm_slli_si128(t7, 12);
  lo = _mm_xor_si128(lo, t7);
  __m128i t2 = _mm_srli_epi32(lo, 1);
  __m128i t4 = _mm_srli_epi32(lo, 2);
  __m128i t5 = _mm_srli_epi32(lo, 7);
  t2 = _mm_xor_si128(_mm_xor_si128(t2, t4), _mm_xor_si128(t5, t8));
  lo = _mm_xor_si128(lo, t2);
  return _mm_xor_si128(hi, lo);
}

inline __m128i GfMul(__m128i a, __m128i b) {
  __m128i lo, hi;
  ClMul(a, b, &lo, &hi);
  return Reduce(lo, hi);
}

inline __m128i HPower(const Key& k, int power) {  // 1..kLanes
  return _mm_load_si128(reinterpret_cast<const __m128i*>(k.h_powers[power - 1]));
}

// y <- (y ^ x[0]) * H^8 ^ x[1] * H^7 ^ ... ^ x[7] * H, with x already byte-reversed.
inline __m128i Ghash8(const Key& k, __m128i y, const __m128i x[kLanes]) {
  __m128i lo, hi;
  ClMul(_mm_xor_si128(y, x[0]), HPower(k, kLanes), &lo, &hi);
  for (int i = 1; i < kLanes; ++i) {
    __m128i l, h;
    ClMul(x[i], HPower(k, kLanes - i), &l, &h);
    lo = _mm_xor_si128(lo, l);
    hi = _mm_xor_si128(hi, h);
  }
  return Reduce(lo, hi);
}

inline __m128i GhashBlock(const Key& k, __m128i y, __m128i block) {
  return GfMul(_mm_xor_si128(y, Bswap(block)), HPower(k, 1));
}

inline __m128i Y(const Stream* s) { return _mm_load_si128(reinterpret_cast<const __m128i*>(s->y)); }
inline void SetY(Stream* s, __m128i y) { _mm_store_si128(reinterpret_cast<__m128i*>(s->y), y); }

// Hashes whole blocks of `p` (n a multiple of 16).
void GhashBlocks(Stream* s, const unsigned char* p, unsigned long n) {
  const Key& k = *s->key;
  __m128i y = Y(s);
  while (n >= 16 * kLanes) {
    __m128i x[kLanes];
    for (int i = 0; i < kLanes; ++i) x[i] = Bswap(Load(p + 16 * i));
    y = Ghash8(k, y, x);
    p += 16 * kLanes;
    n -= 16 * kLanes;
  }
  for (; n >= 16; n -= 16, p += 16) y = GhashBlock(k, y, Load(p));
  SetY(s, y);
}

// Feeds AAD bytes into the hash, keeping a partial block in `pending`.
void HashBytes(Stream* s, const unsigned char* p, unsigned long n) {
  if (s->pending_len > 0) {
    unsigned long take = 16 - s->pending_len;
    if (take > n) take = n;
    CopyBytes(s->pending + s->pending_len, p, take);
    s->pending_len += static_cast<unsigned int>(take);
    p += take;
    n -= take;
    if (s->pending_len < 16) return;
    GhashBlocks(s, s->pending, 16);
    s->pending_len = 0;
  }
  unsigned long whole = n & ~15UL;
  GhashBlocks(s, p, whole);
  CopyBytes(s->pending, p + whole, n - whole);
  s->pending_len = static_cast<unsigned int>(n - whole);
}

// Pads and hashes a pending partial block (end of AAD, or end of data).
void FlushPending(Stream* s) {
  if (s->pending_len == 0) return;
  __m128i block = LoadPartial(s->pending, s->pending_len);
  SetY(s, GhashBlock(*s->key, Y(s), block));
  s->pending_len = 0;
}

inline __m128i CounterBlock(const Stream* s, unsigned int counter) {
  __m128i b = _mm_load_si128(reinterpret_cast<const __m128i*>(s->j0));
  return _mm_insert_epi32(b, static_cast<int>(__builtin_bswap32(counter)), 3);
}

void EnterDataPhase(Stream* s) {
  if (s->phase != 0) return;
  FlushPending(s);
  s->phase = 1;
}

// The CTR and GHASH core. `decrypt` selects which side (input or output) is hashed.
void Crypt(Stream* s, const unsigned char* in, unsigned char* out, unsigned long n, bool decrypt) {
  EnterDataPhase(s);
  const Key& k = *s->key;
  s->data_len += n;
  // Finish a partial block left by the previous call with its saved keystream.
  unsigned int used = static_cast<unsigned int>((s->data_len - n) & 15);
  if (used != 0) {
    unsigned long take = 16 - used;
    if (take > n) take = n;
    for (unsigned long i = 0; i < take; ++i) {
      unsigned char c = in[i];
      unsigned char o = static_cast<unsigned char>(c ^ s->keystream[used + i]);
      out[i] = o;
      s->pending[s->pending_len++] = decrypt ? c : o;
      LICET_GCM_BARRIER();
    }
    in += take;
    out += take;
    n -= take;
    if (s->pending_len == 16) {
      GhashBlocks(s, s->pending, 16);
      s->pending_len = 0;
    }
  }
  __m128i y = Y(s);
  unsigned int counter = s->counter;
  // Stitched: while the AES rounds of one 8-block chunk run, GHASH multiplies the blocks of
  // the previous chunk (AESENC and PCLMULQDQ use different execution ports), then reduces once.
  __m128i prev[kLanes];  // the previous chunk's hash input, byte-reversed
  bool have_prev = false;
  while (n >= 16 * kLanes) {
    __m128i b[kLanes];
    const __m128i rk0 = RoundKey(k, 0);
    for (int i = 0; i < kLanes; ++i) b[i] = _mm_xor_si128(CounterBlock(s, counter + i), rk0);
    __m128i lo = _mm_setzero_si128(), hi = _mm_setzero_si128();
    for (int r = 1; r <= kLanes; ++r) {
      const __m128i rk = RoundKey(k, r);
      for (int i = 0; i < kLanes; ++i) b[i] = _mm_aesenc_si128(b[i], rk);
      if (have_prev) {
        const int j = r - 1;
        __m128i l, h;
        ClMul(j == 0 ? _mm_xor_si128(y, prev[0]) : prev[j], HPower(k, kLanes - j), &l, &h);
        lo = _mm_xor_si128(lo, l);
        hi = _mm_xor_si128(hi, h);
      }
    }
    for (int r = kLanes + 1; r < 14; ++r) {
      const __m128i rk = RoundKey(k, r);
      for (int i = 0; i < kLanes; ++i) b[i] = _mm_aesenc_si128(b[i], rk);
    }
    if (have_prev) y = Reduce(lo, hi);
    const __m128i rk14 = RoundKey(k, 14);
    for (int i = 0; i < kLanes; ++i) {
      __m128i data = Load(in + 16 * i);
      __m128i o = _mm_xor_si128(_mm_aesenclast_si128(b[i], rk14), data);
      prev[i] = Bswap(decrypt ? data : o);
      b[i] = o;
    }
    for (int i = 0; i < kLanes; ++i) Store(out + 16 * i, b[i]);
    have_prev = true;
    counter += kLanes;
    in += 16 * kLanes;
    out += 16 * kLanes;
    n -= 16 * kLanes;
  }
  if (have_prev) y = Ghash8(k, y, prev);
  while (n >= 16) {
    __m128i data = Load(in);
    __m128i o = _mm_xor_si128(EncryptBlock(k, CounterBlock(s, counter++)), data);
    y = GhashBlock(k, y, decrypt ? data : o);
    Store(out, o);
    in += 16;
    out += 16;
    n -= 16;
  }
  SetY(s, y);
  if (n > 0) {
    Store(s->keystream, EncryptBlock(k, CounterBlock(s, counter++)));
    for (unsigned long i = 0; i < n; ++i) {
      unsigned char c = in[i];
      unsigned char o = static_cast<unsigned char>(c ^ s->keystream[i]);
      out[i] = o;
      s->pending[s->pending_len++] = decrypt ? c : o;
      LICET_GCM_BARRIER();
    }
  }
  s->counter = counter;
}

__m128i ComputeTag(Stream* s) {
  FlushPending(s);  // the AAD tail when there was no data, else the data tail
  const __m128i lengths = _mm_set_epi64x(static_cast<long long>(s->aad_len * 8),
                                         static_cast<long long>(s->data_len * 8));
  __m128i y = GfMul(_mm_xor_si128(Y(s), lengths), HPower(*s->key, 1));
  return _mm_xor_si128(Bswap(y), Load(s->ek_j0));
}

}  // namespace

bool CpuSupported() {
  unsigned int a = 0, b = 0, c = 0, d = 0;
  if (!__get_cpuid(1, &a, &b, &c, &d)) return false;
  return (c & bit_AES) && (c & bit_PCLMUL) && (c & bit_SSE4_1) && (c & bit_SSSE3);
}

void ExpandKey(const unsigned char key[32], Key* out) {
  __m128i rk[15];
  ExpandAes256(key, rk);
  for (int i = 0; i < 15; ++i) Store(out->round_keys + 16 * i, rk[i]);
  __m128i h = Bswap(EncryptBlock(*out, _mm_setzero_si128()));
  Store(out->h, h);
  __m128i p = h;
  for (int i = 0; i < kLanes; ++i) {
    Store(out->h_powers[i], p);
    p = GfMul(p, h);
  }
  Wipe(rk, sizeof rk);
}

void Begin(const Key& key, const unsigned char iv[12], Stream* s) {
  s->key = &key;
  for (int i = 0; i < 12; ++i) s->j0[i] = iv[i];
  s->j0[12] = 0;
  s->j0[13] = 0;
  s->j0[14] = 0;
  s->j0[15] = 1;
  Store(s->ek_j0, EncryptBlock(key, Load(s->j0)));
  Store(s->y, _mm_setzero_si128());
  Store(s->pending, _mm_setzero_si128());
  Store(s->keystream, _mm_setzero_si128());
  s->aad_len = 0;
  s->data_len = 0;
  s->counter = 2;
  s->pending_len = 0;
  s->phase = 0;
}

void Aad(Stream* s, const void* p, unsigned long n) {
  if (s->phase != 0) return;  // a misuse: AAD after data would not be authenticated as such
  s->aad_len += n;
  HashBytes(s, static_cast<const unsigned char*>(p), n);
}

void Encrypt(Stream* s, const void* in, void* out, unsigned long n) {
  Crypt(s, static_cast<const unsigned char*>(in), static_cast<unsigned char*>(out), n, false);
}

void Decrypt(Stream* s, const void* in, void* out, unsigned long n) {
  Crypt(s, static_cast<const unsigned char*>(in), static_cast<unsigned char*>(out), n, true);
}

void FinishTag(Stream* s, unsigned char tag[16]) {
  Store(tag, ComputeTag(s));
  Wipe(s, sizeof *s);
  s->phase = 2;
}

bool FinishCheck(Stream* s, const unsigned char tag[16]) {
  __m128i diff = _mm_xor_si128(ComputeTag(s), Load(tag));
  Wipe(s, sizeof *s);
  s->phase = 2;
  return _mm_testz_si128(diff, diff) != 0;  // constant time: one compare of all 128 bits
}

void Wipe(void* p, unsigned long n) {
  volatile unsigned char* v = static_cast<volatile unsigned char*>(p);
  for (unsigned long i = 0; i < n; ++i) v[i] = 0;
}

}  // namespace licet::protect::gcm
