// Freestanding AES-256-GCM (NIST SP 800-38D) on AES-NI and PCLMULQDQ.
//
// The one exception to "all crypto through src/crypto": this code runs inside protected
// programs before libc and OpenSSL can be used (the injected decryptor of `licet protect
// exe|lib`) and in the function-level runtime. It calls no library function, allocates
// nothing, throws nothing and has no writable or relocated globals, so the same aes_gcm.cc
// compiles into the position-independent stub with
//   -ffreestanding -fno-stack-protector -fPIC -fno-exceptions -fno-rtti
//   -maes -mpclmul -msse4.1 (-mssse3), and -fvisibility=hidden so that calls between the
//   objects need no GOT/PLT (CMake: LICET_PROTECT_GCM_FREESTANDING_FLAGS)
// (the header itself needs no flags; only aes_gcm.cc is built with the ISA flags). The
// ctest protect_*_freestanding checks that the objects so built need no outside symbol. Callers
// must check CpuSupported() before any other call: without AES-NI the instructions fault.
//
// Interoperable with any GCM implementation: tested against the NIST vectors and OpenSSL.
// Limits of GCM apply: a (key, iv) pair encrypts one message only; at most 2^36 - 32 bytes of
// data per stream (the 32-bit block counter); lengths are not checked here.
#ifndef LICET_PROTECT_GCM_AES_GCM_H_
#define LICET_PROTECT_GCM_AES_GCM_H_

namespace licet::protect::gcm {

inline constexpr unsigned long kKeySize = 32;
inline constexpr unsigned long kIvSize = 12;
inline constexpr unsigned long kTagSize = 16;
// How many blocks the bulk loops process at once (and how many powers of H the key holds).
inline constexpr int kLanes = 8;

// cpuid: true when the CPU has AES-NI, PCLMULQDQ and SSE4.1.
bool CpuSupported();

// An expanded key: AES-256 round keys and the GHASH key powers H^1..H^8 (kept in the
// byte-reversed form the multiplication uses). Holds secrets: Wipe() it when done.
struct Key {
  alignas(16) unsigned char round_keys[240];
  alignas(16) unsigned char h[16];                  // H = E_K(0^128), byte-reversed
  alignas(16) unsigned char h_powers[kLanes][16];   // h_powers[i] = H^(i+1), byte-reversed
};

// Expands a 32-byte key. `out` may be uninitialised.
void ExpandKey(const unsigned char key[32], Key* out);

// One GCM message in progress. Order of calls: Begin, Aad* (any number of pieces, any
// lengths, including none), then Encrypt* or Decrypt* (any pieces, any lengths; do not mix
// the two in one stream), then exactly one FinishTag or FinishCheck. The Key must outlive
// the stream. Not thread-safe; a stream is cheap (no heap), make one per message.
struct Stream {
  const Key* key;
  alignas(16) unsigned char y[16];        // GHASH accumulator, byte-reversed
  alignas(16) unsigned char ek_j0[16];    // E_K(J0), masks the tag
  alignas(16) unsigned char j0[16];       // IV || 00000001
  alignas(16) unsigned char pending[16];  // AAD or ciphertext bytes not yet hashed
  alignas(16) unsigned char keystream[16];  // keystream of the current partial block
  unsigned long long aad_len;
  unsigned long long data_len;
  unsigned int counter;        // 32-bit block counter of the next keystream block
  unsigned int pending_len;    // bytes in `pending` (0..15)
  int phase;                   // 0: AAD, 1: data, 2: finished
};

// Starts a message under `key` with a 12-byte IV.
void Begin(const Key& key, const unsigned char iv[12], Stream* s);
// Authenticates `n` more bytes of additional data. Only before the first Encrypt/Decrypt.
void Aad(Stream* s, const void* p, unsigned long n);
// Encrypts `n` bytes from `in` to `out`; in == out is allowed (other overlaps are not).
void Encrypt(Stream* s, const void* in, void* out, unsigned long n);
// Decrypts `n` bytes from `in` to `out`; in == out is allowed. The plaintext is not
// authentic until FinishCheck returns true: callers must not use it before.
void Decrypt(Stream* s, const void* in, void* out, unsigned long n);
// Writes the 16-byte tag and wipes the stream.
void FinishTag(Stream* s, unsigned char tag[16]);
// Compares the computed tag with `tag` in constant time, wipes the stream; true on match.
[[nodiscard]] bool FinishCheck(Stream* s, const unsigned char tag[16]);

// Zeroes `n` bytes through volatile stores, so the compiler cannot drop the wipe.
void Wipe(void* p, unsigned long n);

}  // namespace licet::protect::gcm

#endif  // LICET_PROTECT_GCM_AES_GCM_H_
