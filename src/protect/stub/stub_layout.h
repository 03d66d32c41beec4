// The patch area of the injected decryptor: a fixed block at offset 32 of the stub blob that
// `licet protect exe|lib` fills in (it finds it by its magic). The stub reads it RIP-relative,
// so the blob needs no relocation. Shared by the tool (hosted) and the stub (freestanding):
// plain integer fields only.
#ifndef LICET_PROTECT_STUB_STUB_LAYOUT_H_
#define LICET_PROTECT_STUB_STUB_LAYOUT_H_

namespace licet::protect::stub {

inline constexpr unsigned long kExeEntryOffset = 0;   // e_entry target in the blob
inline constexpr unsigned long kLibEntryOffset = 16;  // DT_INIT target in the blob
inline constexpr unsigned long kPatchOffset = 32;
inline constexpr char kPatchMagic[8] = {'L', 'I', 'C', 'E', 'T', 'S', 'B', '1'};

// Exit codes of a protected program when the decryptor refuses to run it
// (docs/PROTECTION.md "Exit codes"). License refusals exit with licetd's error code
// (e.g. 35 expired, 33 feature missing, 200 no such product item, 212 no seat left).
inline constexpr int kExitIo = 2;         // cannot read its own file (no /proc?)
inline constexpr int kExitCpu = 4;        // no AES-NI / PCLMULQDQ
inline constexpr int kExitModified = 6;   // file patched, stripped or truncated
inline constexpr int kExitTraced = 11;    // debugger attached under the enforce policy
inline constexpr int kExitNoLicetd = 15;  // licetd not reachable
inline constexpr int kExitLost = 231;     // license lost while running (on-loss exit)

enum StubKind : unsigned int { kKindExe = 1, kKindLib = 2 };

// All addresses are link-time virtual addresses of the protected file (0-based for PIE and
// shared objects); the stub adds the load bias it computes from its own address.
struct StubPatch {
  char magic[8];
  unsigned long long stub_vaddr;        // where the blob's first byte is linked
  unsigned long long descriptor_vaddr;  // the protection descriptor (key/descriptor.h)
  unsigned long long descriptor_size;
  unsigned long long descriptor_file_offset;  // for the AAD: its tag fields read as zero
  unsigned long long original_entry;          // exe: old e_entry; lib: old DT_INIT or 0
  unsigned long long file_size;               // size of the protected file
  unsigned int kind;                          // StubKind
  unsigned int reserved0;
  unsigned long long stub_size;  // bytes of the blob
  unsigned long long reserved[7];
};
static_assert(sizeof(StubPatch) == 128, "the patch area in stub_entry.S is 128 bytes");

// IP-protection mode: the key mask is derived from the blob's code after the patch area
// (key::IpMask material), so a modified decryptor derives a wrong key.
inline constexpr unsigned long kIpMaterialOffset = kPatchOffset + sizeof(StubPatch);

}  // namespace licet::protect::stub

#endif  // LICET_PROTECT_STUB_STUB_LAYOUT_H_
