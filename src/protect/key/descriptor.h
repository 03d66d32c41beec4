// The protection descriptor: what a protected file carries so that its decryptor (the stub
// of `licet protect exe|lib`, or the function-level runtime) can find the license, unwrap
// the content key and decrypt the encrypted ranges. docs/PROTECTION.md "Key scheme" is the
// specification; this header is its layout.
//
// A plain struct of fixed size, little-endian (x86-64), no pointers, read in place by the
// stub. Everything here compiles freestanding (no libc, no allocation) so the stub can use
// ValidateDescriptor and FileAad as they are; the tool-side (hosted) API is key_scheme.h.
#ifndef LICET_PROTECT_KEY_DESCRIPTOR_H_
#define LICET_PROTECT_KEY_DESCRIPTOR_H_

#include <stddef.h>
#include <stdint.h>

#include "protect/gcm/aes_gcm.h"

namespace licet::protect::key {

inline constexpr char kMagic[8] = {'L', 'I', 'C', 'E', 'T', 'P', 'R', '1'};
inline constexpr uint32_t kVersion = 1;
inline constexpr uint32_t kMaxKeys = 8;
inline constexpr uint32_t kMaxRanges = 32;
inline constexpr uint32_t kNameSize = 64;    // product display name, UTF-8, NUL-terminated
inline constexpr uint32_t kHintSize = 192;   // how to activate, UTF-8, NUL-terminated

enum class Mode : uint32_t { kLicense = 1, kIpProtection = 2 };
enum class Kind : uint32_t { kExecutable = 1, kLibrary = 2, kFunctions = 3 };
enum class OnLoss : uint32_t { kWarn = 0, kExit = 1 };
enum class Policy : uint32_t { kOff = 0, kReport = 1, kEnforce = 2 };

// Hardening policies, two bits each in Descriptor::hardening.
inline constexpr uint32_t kHardenNonDumpable = 0;  // shift of prctl(PR_SET_DUMPABLE, 0)
inline constexpr uint32_t kHardenNoCore = 2;       // shift of MADV_DONTDUMP on plaintext
inline constexpr uint32_t kHardenTracer = 4;       // shift of tracer detection
inline Policy HardeningPolicy(uint32_t hardening, uint32_t shift) {
  return static_cast<Policy>((hardening >> shift) & 3);
}

// One content key (CK) slot. License mode: CK wrapped with AES-256-GCM (empty AAD) under the
// licetd crypt key K(firm, product, feature_code, encryption_code), so that licetd's `crypt`
// op 2 with `wrap_iv`, `wrap_tag` on `wrapped` returns CK. IP mode: `wrapped` = CK XOR M,
// M from IpMask(). Each slot also authenticates the whole file: `file_tag` is the GCM tag
// under CK with `file_iv`, no data and AAD = FileAad(). 104 bytes.
struct KeySlot {
  uint32_t feature_code;
  uint32_t encryption_code;   // the first 4 bytes (big-endian) of a random protect-time value
  uint32_t reserved[2];       // 0
  uint8_t wrap_iv[12];
  uint8_t wrap_tag[16];
  uint8_t wrapped[32];
  uint8_t file_iv[12];
  uint8_t file_tag[16];       // zeroed (in every slot) while the file AAD is computed
};
static_assert(sizeof(KeySlot) == 104);

// One encrypted range: AES-256-GCM under its slot's CK with `iv`, AAD = the first
// kRangeAadSize bytes of this record (binds where the range belongs). 64 bytes.
struct Range {
  uint64_t vaddr;        // offset from the load base (the link-time address for non-PIE)
  uint64_t file_offset;  // where the ciphertext lies in the file
  uint64_t length;       // > 0
  uint32_t prot;         // the original PROT_* flags of the pages
  uint32_t key_index;    // < Descriptor::key_count
  uint8_t iv[12];
  uint8_t tag[16];
  uint32_t reserved;     // 0
};
static_assert(sizeof(Range) == 64);
inline constexpr size_t kRangeAadSize = 32;

struct Descriptor {
  char magic[8];                  // "LICETPR1"
  uint32_t version;               // kVersion
  uint32_t size;                  // sizeof(Descriptor)
  uint32_t mode;                  // Mode
  uint32_t kind;                  // Kind
  uint32_t where;                 // access `where`: 0 local, 1 lan, 2 local-lan, 3 lan-local
  uint32_t access_mode;           // access `mode`: 1, 2, 4 or 8
  uint32_t on_loss;               // OnLoss
  uint32_t grace_seconds;         // with kExit: how long after a lost license
  uint32_t check_interval_seconds;  // 0 = no periodic check
  uint32_t hardening;             // HardeningPolicy() fields
  uint32_t low_units;             // warn when units fall to this or below; 0 = never
  uint32_t low_days;              // warn when the expiration is this near; 0 = never
  uint32_t firm_code;             // != 0 in license mode
  uint32_t product_code;          // != 0 in license mode
  uint32_t key_count;             // 1..kMaxKeys
  uint32_t range_count;           // 0..kMaxRanges
  uint64_t self_file_offset;      // where this descriptor lies in the protected file
  uint64_t file_size;             // size of the protected file
  uint8_t ip_key[32];             // IP mode: share A (see IpMask); zero in license mode
  uint8_t ip_iv[12];              // IP mode
  uint8_t reserved[4];            // 0
  char product_name[kNameSize];
  char activation_hint[kHintSize];
  KeySlot keys[kMaxKeys];
  Range ranges[kMaxRanges];
};
static_assert(sizeof(Descriptor) == 3272);
static_assert(offsetof(Descriptor, keys) % 8 == 0 && offsetof(Descriptor, ranges) % 8 == 0);

// Checks every field of `n` bytes at `p` as a descriptor: magic, version, size, enums, counts,
// NUL-terminated strings, zero reserved fields, ranges non-empty, sorted by vaddr, not
// overlapping in memory or in the file, inside file_size, and the descriptor itself not
// overlapping a range. Returns null when valid, else a static English reason.
// Freestanding; reads nothing outside [p, p + n).
const char* ValidateDescriptor(const void* p, size_t n);

// Feeds the file AAD into `s`: the bytes of `file` (the whole protected file, `size` ==
// d.file_size) outside every range, in file order, with every keys[i].file_tag of the
// descriptor at d.self_file_offset read as zeros. Returns false when the file does not
// match the descriptor (size, or the descriptor not found at self_file_offset).
// `d` must have passed ValidateDescriptor.
[[nodiscard]] bool FileAad(gcm::Stream* s, const Descriptor& d, const uint8_t* file, size_t size);

// The IP-protection mask M (32 bytes): the GCM tags under key ip_key of AAD `material` with
// ip_iv and with ip_iv whose last byte is XORed with 1, concatenated. `material` is chosen by
// the protector kind (the stub: its own code bytes; functions: a fixed string).
void IpMask(const Descriptor& d, const void* material, size_t n, uint8_t mask[32]);

// The runtime side of the scheme, freestanding. `ck` is the expanded content key of the slot.
// True when keys[slot].file_tag matches FileAad() of `file` (a patched or stripped file fails).
[[nodiscard]] bool CheckFile(const Descriptor& d, uint32_t slot, const gcm::Key& ck,
                             const uint8_t* file, size_t size);
// Decrypts d.ranges[index] from `in` (its ciphertext, length bytes) to `out` (in == out
// allowed) and checks its tag; on a mismatch `out` is wiped and false returned.
[[nodiscard]] bool DecryptRange(const Descriptor& d, uint32_t index, const gcm::Key& ck,
                                const uint8_t* in, uint8_t* out);
// IP mode: CK = keys[slot].wrapped XOR IpMask(material).
void IpUnwrap(const Descriptor& d, uint32_t slot, const void* material, size_t n, uint8_t ck[32]);

}  // namespace licet::protect::key

#endif  // LICET_PROTECT_KEY_DESCRIPTOR_H_
