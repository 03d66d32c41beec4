// The protection key scheme, tool side (hosted, OpenSSL through src/crypto). Used by
// `licet protect exe|lib|functions` to build a descriptor (descriptor.h) and by tests to
// check what the runtime does. docs/PROTECTION.md "Key scheme" is the specification.
//
// Order of work for a protector:
//   1. Descriptor d = NewDescriptor(...); fill options, SetText(name, hint);
//   2. per feature: AddLicenseSlot() or AddIpSlot() with a fresh RandomContentKey();
//   3. per range: AddRange() then EncryptRange() on the file bytes;
//   4. SealFile(): writes d into the file at d.self_file_offset and the file tags.
#ifndef LICET_PROTECT_KEY_KEY_SCHEME_H_
#define LICET_PROTECT_KEY_KEY_SCHEME_H_

#include <array>
#include <cstdint>
#include <span>
#include <string_view>
#include <vector>

#include "common/bytes.h"
#include "common/status.h"
#include "protect/key/descriptor.h"

namespace licet::protect::key {

struct WrappedKey {
  std::array<uint8_t, 12> iv{};
  std::array<uint8_t, 16> tag{};
  std::array<uint8_t, 32> wrapped{};
};

// A fresh random 32-byte content key.
SecretBytes RandomContentKey();
// A random encryption code: the first 4 bytes (big-endian) of a random value.
uint32_t RandomEncryptionCode();

// licetd's crypt key (docs/PROTOCOL.md "Key derivation of crypt") for a product secret.
// kInvalidArgument unless the secret is 32 bytes.
Result<SecretBytes> CryptKey(const SecretBytes& product_secret, uint32_t firm_code,
                             uint32_t product_code, uint32_t feature_code,
                             uint32_t encryption_code);

// Wraps CK (32 bytes) under CryptKey(): AES-256-GCM, random IV, empty AAD, so that licetd's
// `crypt` op 2 with the returned iv and tag on `wrapped` returns CK. The first form takes
// the firm secret (firm.key) and derives the product secret (model::DeriveProductSecret);
// the second takes an item's explicit secret_data. kInvalidArgument for bad sizes.
Result<WrappedKey> WrapContentKey(const SecretBytes& firm_secret, uint32_t firm_code,
                                  uint32_t product_code, uint32_t feature_code,
                                  uint32_t encryption_code, const SecretBytes& ck);
Result<WrappedKey> WrapContentKeyWithProductSecret(const SecretBytes& product_secret,
                                                   uint32_t firm_code, uint32_t product_code,
                                                   uint32_t feature_code,
                                                   uint32_t encryption_code,
                                                   const SecretBytes& ck);
// The inverse, as licetd computes it (tests, diagnostics). kDecryptFailed on a wrong key.
Result<SecretBytes> UnwrapContentKey(const SecretBytes& crypt_key, const WrappedKey& w);

// A zeroed descriptor with magic, version, size, mode, kind, license defaults (where 0,
// access mode 1, check interval 30 s, on-loss warn).
Descriptor NewDescriptor(Mode mode, Kind kind, uint32_t firm_code, uint32_t product_code);
// Copies UTF-8 text into a fixed field; kInvalidArgument when too long (the field keeps a
// NUL) or not valid UTF-8.
Status SetText(std::span<char> field, std::string_view text);

// Adds a key slot for `feature_code` (license mode): random encryption code, CK wrapped with
// WrapContentKey. Returns the slot index. kInvalidArgument when full or the feature repeats.
Result<uint32_t> AddLicenseSlot(Descriptor& d, const SecretBytes& firm_secret,
                                uint32_t feature_code, const SecretBytes& ck);
// IP mode: CK stored as CK XOR IpMask(material); ip_key and ip_iv are chosen on first use.
Result<uint32_t> AddIpSlot(Descriptor& d, uint32_t feature_code, ByteSpan material,
                           const SecretBytes& ck);
// Appends a range (vaddr order is required; kInvalidArgument otherwise). Returns its index.
Result<uint32_t> AddRange(Descriptor& d, uint64_t vaddr, uint64_t file_offset, uint64_t length,
                          uint32_t prot, uint32_t key_index);
// Encrypts d.ranges[index] in place in `file` under `ck` with a random IV; stores iv and tag.
Status EncryptRange(Descriptor& d, uint32_t index, std::span<uint8_t> file, const SecretBytes& ck);
// Finishes a protected file: sets d.file_size and d.self_file_offset, validates d, writes it
// into `file` at `offset` and computes every slot's file tag (cks[i] is slot i's CK).
// The ranges must already be encrypted. kInvalidArgument when d is not valid.
Status SealFile(Descriptor& d, std::span<uint8_t> file, uint64_t offset,
                const std::vector<const SecretBytes*>& cks);

// The strict parser: exactly sizeof(Descriptor) bytes (or more: only the prefix is read
// when `allow_trailing`), ValidateDescriptor, valid UTF-8 strings. kCorruptData with the
// reason, kUnsupportedVersion for another version.
Result<Descriptor> ParseDescriptor(ByteSpan bytes, bool allow_trailing = false);

}  // namespace licet::protect::key

#endif  // LICET_PROTECT_KEY_KEY_SCHEME_H_
