#include "protect/key/descriptor.h"

// Freestanding: compiled into the stub as well, so no library calls (byte loops carry an
// empty asm statement so that compilers do not turn them into memcpy/memcmp calls).

namespace licet::protect::key {
namespace {

#define LICET_KEY_BARRIER() __asm__ volatile("" ::: "memory")

bool AllZero(const void* p, size_t n) {
  const uint8_t* b = static_cast<const uint8_t*>(p);
  uint8_t acc = 0;
  for (size_t i = 0; i < n; ++i) {
    acc |= b[i];
    LICET_KEY_BARRIER();
  }
  return acc == 0;
}

bool Terminated(const char* s, size_t n) {
  for (size_t i = 0; i < n; ++i) {
    if (s[i] == '\0') return true;
    LICET_KEY_BARRIER();
  }
  return false;
}

// [a, a + an) and [b, b + bn) overlap; the caller has checked that neither end overflows.
bool Overlap(uint64_t a, uint64_t an, uint64_t b, uint64_t bn) { return a < b + bn && b < a + an; }

inline uint64_t TagOffset(const Descriptor& d, uint32_t slot) {
  return d.self_file_offset + offsetof(Descriptor, keys) + slot * sizeof(KeySlot) +
         offsetof(KeySlot, file_tag);
}

}  // namespace

const char* ValidateDescriptor(const void* p, size_t n) {
  if (p == nullptr || n < sizeof(Descriptor)) return "descriptor truncated";
  if ((reinterpret_cast<uintptr_t>(p) & 7) != 0) return "descriptor misaligned";
  const Descriptor& d = *static_cast<const Descriptor*>(p);
  for (int i = 0; i < 8; ++i) {
    if (d.magic[i] != kMagic[i]) return "not a Licet protection descriptor (bad magic)";
  }
  if (d.version != kVersion) return "unsupported protection descriptor version";
  if (d.size != sizeof(Descriptor)) return "descriptor size field is wrong";
  if (d.mode != static_cast<uint32_t>(Mode::kLicense) &&
      d.mode != static_cast<uint32_t>(Mode::kIpProtection))
    return "unknown protection mode";
  if (d.kind < static_cast<uint32_t>(Kind::kExecutable) ||
      d.kind > static_cast<uint32_t>(Kind::kFunctions))
    return "unknown protected file kind";
  if (d.where > 3) return "unknown 'where'";
  if (d.access_mode != 1 && d.access_mode != 2 && d.access_mode != 4 && d.access_mode != 8)
    return "unknown access mode";
  if (d.on_loss > static_cast<uint32_t>(OnLoss::kExit)) return "unknown on-loss policy";
  for (uint32_t shift = 0; shift < 32; shift += 2) {
    uint32_t v = (d.hardening >> shift) & 3;
    if (v == 3 || (shift > kHardenTracer && v != 0)) return "unknown hardening policy";
  }
  const bool license = d.mode == static_cast<uint32_t>(Mode::kLicense);
  if (license && (d.firm_code == 0 || d.product_code == 0))
    return "firm and product codes must not be 0";
  if (license && (!AllZero(d.ip_key, sizeof d.ip_key) || !AllZero(d.ip_iv, sizeof d.ip_iv)))
    return "IP key material in a license-mode descriptor";
  if (d.key_count == 0 || d.key_count > kMaxKeys) return "key count out of range";
  if (d.range_count > kMaxRanges) return "range count out of range";
  if (!AllZero(d.reserved, sizeof d.reserved)) return "reserved bytes are not zero";
  if (!Terminated(d.product_name, kNameSize) || !Terminated(d.activation_hint, kHintSize))
    return "product name or activation hint not terminated";
  for (uint32_t i = 0; i < kMaxKeys; ++i) {
    const KeySlot& k = d.keys[i];
    if (i >= d.key_count) {
      if (!AllZero(&k, sizeof k)) return "unused key slot is not zero";
      continue;
    }
    if (!AllZero(k.reserved, sizeof k.reserved)) return "reserved bytes are not zero";
    for (uint32_t j = 0; j < i; ++j) {
      if (d.keys[j].feature_code == k.feature_code) return "two key slots for one feature code";
    }
  }
  const uint64_t kLimit = 1ULL << 47;  // the x86-64 user address space, and a sane file size
  if (d.file_size > kLimit) return "file size out of range";
  if (d.self_file_offset > d.file_size || d.file_size - d.self_file_offset < sizeof(Descriptor))
    return "descriptor lies outside the file";
  for (uint32_t i = 0; i < kMaxRanges; ++i) {
    const Range& r = d.ranges[i];
    if (i >= d.range_count) {
      if (!AllZero(&r, sizeof r)) return "unused range is not zero";
      continue;
    }
    if (r.length == 0 || r.length > kLimit || r.vaddr > kLimit || r.file_offset > kLimit)
      return "range out of bounds";
    if (r.file_offset + r.length > d.file_size) return "range lies outside the file";
    if (r.prot & ~7U) return "range has unknown protection flags";
    if (r.key_index >= d.key_count) return "range refers to a missing key slot";
    if (r.reserved != 0) return "reserved bytes are not zero";
    if (Overlap(r.file_offset, r.length, d.self_file_offset, sizeof(Descriptor)))
      return "range overlaps the descriptor";
    if (i > 0) {
      const Range& prev = d.ranges[i - 1];
      if (prev.vaddr + prev.length > r.vaddr) return "ranges not sorted or overlapping";
      for (uint32_t j = 0; j < i; ++j) {
        const Range& o = d.ranges[j];
        if (Overlap(o.file_offset, o.length, r.file_offset, r.length))
          return "ranges overlap in the file";
      }
    }
  }
  return nullptr;
}

bool FileAad(gcm::Stream* s, const Descriptor& d, const uint8_t* file, size_t size) {
  if (size != d.file_size) return false;
  // The descriptor must be the one at self_file_offset (compare it, tags aside, cheaply:
  // the magic and the ranges decide what is skipped, so they must be the file's).
  const uint8_t* in_file = file + d.self_file_offset;
  const uint8_t* mine = reinterpret_cast<const uint8_t*>(&d);
  uint8_t diff = 0;
  for (size_t i = 0; i < sizeof(Descriptor); ++i) {
    diff |= static_cast<uint8_t>(in_file[i] ^ mine[i]);
    LICET_KEY_BARRIER();
  }
  // file_tag fields may legitimately differ (the runtime may hold a copy with zeroed tags);
  // everything else may not. Recompute the difference without them.
  if (diff != 0) {
    diff = 0;
    for (size_t i = 0; i < sizeof(Descriptor); ++i) {
      bool in_tag = false;
      for (uint32_t k = 0; k < kMaxKeys; ++k) {
        size_t t = TagOffset(d, k) - d.self_file_offset;
        if (i >= t && i < t + 16) in_tag = true;
      }
      if (!in_tag) diff |= static_cast<uint8_t>(in_file[i] ^ mine[i]);
      LICET_KEY_BARRIER();
    }
    if (diff != 0) return false;
  }
  static_assert(sizeof(KeySlot::file_tag) == 16);
  alignas(16) const uint8_t zeros[16] = {};
  uint64_t at = 0;
  // Walks the file in order; the holes are the ranges (sorted by file offset on the fly,
  // since ValidateDescriptor sorts them by vaddr) and the tag fields (read as zeros).
  while (at < size) {
    uint64_t next = size;  // start of the next hole at or after `at`
    uint64_t hole_end = size;
    bool zero_hole = false;
    for (uint32_t i = 0; i < d.range_count; ++i) {
      const Range& r = d.ranges[i];
      if (r.file_offset + r.length > at && r.file_offset < next) {
        next = r.file_offset < at ? at : r.file_offset;
        hole_end = r.file_offset + r.length;
        zero_hole = false;
      }
    }
    for (uint32_t k = 0; k < kMaxKeys; ++k) {
      uint64_t t = TagOffset(d, k);
      if (t + 16 > at && t < next) {
        next = t < at ? at : t;
        hole_end = t + 16;
        zero_hole = true;
      }
    }
    if (next > at) gcm::Aad(s, file + at, next - at);
    if (next >= size) break;
    if (zero_hole) gcm::Aad(s, zeros, hole_end - next);
    at = hole_end;
  }
  return true;
}

void IpMask(const Descriptor& d, const void* material, size_t n, uint8_t mask[32]) {
  gcm::Key k;
  gcm::ExpandKey(d.ip_key, &k);
  alignas(16) uint8_t iv[12];
  for (int half = 0; half < 2; ++half) {
    for (int i = 0; i < 12; ++i) iv[i] = d.ip_iv[i];
    iv[11] ^= static_cast<uint8_t>(half);
    gcm::Stream s;
    gcm::Begin(k, iv, &s);
    gcm::Aad(&s, material, n);
    gcm::FinishTag(&s, mask + 16 * half);
  }
  gcm::Wipe(&k, sizeof k);
}

bool CheckFile(const Descriptor& d, uint32_t slot, const gcm::Key& ck, const uint8_t* file,
               size_t size) {
  if (slot >= d.key_count) return false;
  gcm::Stream s;
  gcm::Begin(ck, d.keys[slot].file_iv, &s);
  if (!FileAad(&s, d, file, size)) {
    gcm::Wipe(&s, sizeof s);
    return false;
  }
  return gcm::FinishCheck(&s, d.keys[slot].file_tag);
}

bool DecryptRange(const Descriptor& d, uint32_t index, const gcm::Key& ck, const uint8_t* in,
                  uint8_t* out) {
  if (index >= d.range_count) return false;
  const Range& r = d.ranges[index];
  gcm::Stream s;
  gcm::Begin(ck, r.iv, &s);
  gcm::Aad(&s, &r, kRangeAadSize);
  gcm::Decrypt(&s, in, out, r.length);
  if (gcm::FinishCheck(&s, r.tag)) return true;
  gcm::Wipe(out, r.length);
  return false;
}

void IpUnwrap(const Descriptor& d, uint32_t slot, const void* material, size_t n, uint8_t ck[32]) {
  IpMask(d, material, n, ck);
  for (int i = 0; i < 32; ++i) ck[i] ^= d.keys[slot].wrapped[i];
}

}  // namespace licet::protect::key
