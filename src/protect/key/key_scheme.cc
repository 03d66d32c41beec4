#include "protect/key/key_scheme.h"

#include <algorithm>
#include <cstring>
#include <string>

#include "crypto/crypto.h"
#include "model/items.h"

namespace licet::protect::key {
namespace {

constexpr const char* kCryptSalt = "licet crypt v1";  // docs/PROTOCOL.md, as licetd uses it

void PutBe32(uint8_t* out, uint32_t v) {
  out[0] = static_cast<uint8_t>(v >> 24);
  out[1] = static_cast<uint8_t>(v >> 16);
  out[2] = static_cast<uint8_t>(v >> 8);
  out[3] = static_cast<uint8_t>(v);
}

Status CheckCk(const SecretBytes& ck) {
  if (ck.size() != 32) return Error(ErrorCode::kInvalidArgument, "content key must be 32 bytes");
  return Status::Ok();
}

Result<uint32_t> NewSlot(Descriptor& d, uint32_t feature_code) {
  if (d.key_count >= kMaxKeys) {
    return Error(ErrorCode::kInvalidArgument,
                 "at most " + std::to_string(kMaxKeys) + " feature codes per protected file");
  }
  for (uint32_t i = 0; i < d.key_count; ++i) {
    if (d.keys[i].feature_code == feature_code) {
      return Error(ErrorCode::kInvalidArgument,
                   "feature code " + std::to_string(feature_code) + " has a key slot already");
    }
  }
  uint32_t slot = d.key_count++;
  d.keys[slot] = KeySlot{};
  d.keys[slot].feature_code = feature_code;
  return slot;
}

}  // namespace

SecretBytes RandomContentKey() { return crypto::RandomSecret(32); }

uint32_t RandomEncryptionCode() {
  Bytes r = crypto::RandomBytes(16);
  return (uint32_t{r[0]} << 24) | (uint32_t{r[1]} << 16) | (uint32_t{r[2]} << 8) | r[3];
}

Result<SecretBytes> CryptKey(const SecretBytes& product_secret, uint32_t firm_code,
                             uint32_t product_code, uint32_t feature_code,
                             uint32_t encryption_code) {
  if (product_secret.size() != 32) {
    return Error(ErrorCode::kInvalidArgument, "product secret must be 32 bytes");
  }
  uint8_t info[16];
  PutBe32(info, firm_code);
  PutBe32(info + 4, product_code);
  PutBe32(info + 8, feature_code);
  PutBe32(info + 12, encryption_code);
  return crypto::HkdfSha256(product_secret.span(), AsBytes(kCryptSalt), ByteSpan(info, 16), 32);
}

Result<WrappedKey> WrapContentKeyWithProductSecret(const SecretBytes& product_secret,
                                                   uint32_t firm_code, uint32_t product_code,
                                                   uint32_t feature_code,
                                                   uint32_t encryption_code,
                                                   const SecretBytes& ck) {
  LICET_RETURN_IF_ERROR(CheckCk(ck));
  LICET_ASSIGN_OR_RETURN(SecretBytes k, CryptKey(product_secret, firm_code, product_code,
                                                 feature_code, encryption_code));
  WrappedKey w;
  Bytes iv = crypto::RandomBytes(12);
  std::memcpy(w.iv.data(), iv.data(), 12);
  std::memcpy(w.wrapped.data(), ck.data(), 32);
  LICET_RETURN_IF_ERROR(crypto::AesGcmEncryptInPlace(k.span(), iv, {}, w.wrapped, w.tag));
  return w;
}

Result<WrappedKey> WrapContentKey(const SecretBytes& firm_secret, uint32_t firm_code,
                                  uint32_t product_code, uint32_t feature_code,
                                  uint32_t encryption_code, const SecretBytes& ck) {
  LICET_ASSIGN_OR_RETURN(SecretBytes product_secret,
                         model::DeriveProductSecret(firm_secret, firm_code, product_code));
  return WrapContentKeyWithProductSecret(product_secret, firm_code, product_code, feature_code,
                                         encryption_code, ck);
}

Result<SecretBytes> UnwrapContentKey(const SecretBytes& crypt_key, const WrappedKey& w) {
  SecretBytes ck(ByteSpan(w.wrapped.data(), w.wrapped.size()));
  LICET_RETURN_IF_ERROR(
      crypto::AesGcmDecryptInPlace(crypt_key.span(), w.iv, {}, ck.mutable_span(), w.tag));
  return ck;
}

Descriptor NewDescriptor(Mode mode, Kind kind, uint32_t firm_code, uint32_t product_code) {
  Descriptor d{};
  std::memcpy(d.magic, kMagic, sizeof d.magic);
  d.version = kVersion;
  d.size = sizeof(Descriptor);
  d.mode = static_cast<uint32_t>(mode);
  d.kind = static_cast<uint32_t>(kind);
  d.where = 0;
  d.access_mode = 1;
  d.on_loss = static_cast<uint32_t>(OnLoss::kWarn);
  d.check_interval_seconds = 30;
  d.firm_code = firm_code;
  d.product_code = product_code;
  return d;
}

Status SetText(std::span<char> field, std::string_view text) {
  if (text.size() >= field.size()) {
    return Error(ErrorCode::kInvalidArgument,
                 "text longer than " + std::to_string(field.size() - 1) + " bytes");
  }
  if (!model::IsValidUtf8(text)) return Error(ErrorCode::kInvalidArgument, "text is not UTF-8");
  std::memset(field.data(), 0, field.size());
  std::memcpy(field.data(), text.data(), text.size());
  return Status::Ok();
}

Result<uint32_t> AddLicenseSlot(Descriptor& d, const SecretBytes& firm_secret,
                                uint32_t feature_code, const SecretBytes& ck) {
  if (d.mode != static_cast<uint32_t>(Mode::kLicense)) {
    return Error(ErrorCode::kInvalidArgument, "license key slot in an IP-protection descriptor");
  }
  const uint32_t code = RandomEncryptionCode();
  LICET_ASSIGN_OR_RETURN(WrappedKey w, WrapContentKey(firm_secret, d.firm_code, d.product_code,
                                                      feature_code, code, ck));
  LICET_ASSIGN_OR_RETURN(uint32_t slot, NewSlot(d, feature_code));
  KeySlot& k = d.keys[slot];
  k.encryption_code = code;
  std::memcpy(k.wrap_iv, w.iv.data(), 12);
  std::memcpy(k.wrap_tag, w.tag.data(), 16);
  std::memcpy(k.wrapped, w.wrapped.data(), 32);
  Bytes file_iv = crypto::RandomBytes(12);
  std::memcpy(k.file_iv, file_iv.data(), 12);
  return slot;
}

Result<uint32_t> AddIpSlot(Descriptor& d, uint32_t feature_code, ByteSpan material,
                           const SecretBytes& ck) {
  LICET_RETURN_IF_ERROR(CheckCk(ck));
  if (d.mode != static_cast<uint32_t>(Mode::kIpProtection)) {
    return Error(ErrorCode::kInvalidArgument, "IP key slot in a license-mode descriptor");
  }
  static constexpr uint8_t kZero[32] = {};
  if (std::memcmp(d.ip_key, kZero, 32) == 0) {
    SecretBytes k = crypto::RandomSecret(32);
    std::memcpy(d.ip_key, k.data(), 32);
    Bytes iv = crypto::RandomBytes(12);
    std::memcpy(d.ip_iv, iv.data(), 12);
  }
  // IpMask with OpenSSL: the GCM tag of empty data is the first 16 bytes of the output.
  uint8_t mask[32];
  for (int half = 0; half < 2; ++half) {
    uint8_t iv[12];
    std::memcpy(iv, d.ip_iv, 12);
    iv[11] ^= static_cast<uint8_t>(half);
    LICET_ASSIGN_OR_RETURN(Bytes tag, crypto::AesGcmEncrypt(ByteSpan(d.ip_key, 32),
                                                            ByteSpan(iv, 12), material, {}));
    std::memcpy(mask + 16 * half, tag.data(), 16);
  }
  LICET_ASSIGN_OR_RETURN(uint32_t slot, NewSlot(d, feature_code));
  KeySlot& k = d.keys[slot];
  for (int i = 0; i < 32; ++i) k.wrapped[i] = static_cast<uint8_t>(ck.data()[i] ^ mask[i]);
  SecureWipe(mask, sizeof mask);
  Bytes file_iv = crypto::RandomBytes(12);
  std::memcpy(k.file_iv, file_iv.data(), 12);
  return slot;
}

Result<uint32_t> AddRange(Descriptor& d, uint64_t vaddr, uint64_t file_offset, uint64_t length,
                          uint32_t prot, uint32_t key_index) {
  if (d.range_count >= kMaxRanges) {
    return Error(ErrorCode::kInvalidArgument,
                 "at most " + std::to_string(kMaxRanges) + " encrypted ranges per file");
  }
  if (key_index >= d.key_count || length == 0) {
    return Error(ErrorCode::kInvalidArgument, "range needs a key slot and a length");
  }
  if (d.range_count > 0) {
    const Range& prev = d.ranges[d.range_count - 1];
    if (prev.vaddr + prev.length > vaddr) {
      return Error(ErrorCode::kInvalidArgument, "ranges must be added in address order");
    }
  }
  uint32_t index = d.range_count++;
  Range& r = d.ranges[index];
  r = Range{};
  r.vaddr = vaddr;
  r.file_offset = file_offset;
  r.length = length;
  r.prot = prot;
  r.key_index = key_index;
  return index;
}

Status EncryptRange(Descriptor& d, uint32_t index, std::span<uint8_t> file, const SecretBytes& ck) {
  LICET_RETURN_IF_ERROR(CheckCk(ck));
  if (index >= d.range_count) return Error(ErrorCode::kInvalidArgument, "no such range");
  Range& r = d.ranges[index];
  if (r.file_offset > file.size() || file.size() - r.file_offset < r.length) {
    return Error(ErrorCode::kInvalidArgument, "range lies outside the file");
  }
  Bytes iv = crypto::RandomBytes(12);
  std::memcpy(r.iv, iv.data(), 12);
  std::span<uint8_t, 16> tag(r.tag, 16);
  return crypto::AesGcmEncryptInPlace(ck.span(), iv,
                                      ByteSpan(reinterpret_cast<const uint8_t*>(&r), kRangeAadSize),
                                      file.subspan(r.file_offset, r.length), tag);
}

Status SealFile(Descriptor& d, std::span<uint8_t> file, uint64_t offset,
                const std::vector<const SecretBytes*>& cks) {
  if (cks.size() != d.key_count) {
    return Error(ErrorCode::kInvalidArgument, "one content key per key slot is needed");
  }
  if (offset > file.size() || file.size() - offset < sizeof(Descriptor) || offset % 8 != 0) {
    return Error(ErrorCode::kInvalidArgument, "no room for the descriptor at that offset");
  }
  d.file_size = file.size();
  d.self_file_offset = offset;
  for (uint32_t i = 0; i < d.key_count; ++i) std::memset(d.keys[i].file_tag, 0, 16);
  if (const char* why = ValidateDescriptor(&d, sizeof d)) {
    return Error(ErrorCode::kInvalidArgument, std::string("descriptor: ") + why);
  }
  std::memcpy(file.data() + offset, &d, sizeof d);
  // The AAD: the file outside the ranges; the tag fields are zero in the file right now.
  std::vector<std::pair<uint64_t, uint64_t>> holes;
  for (uint32_t i = 0; i < d.range_count; ++i)
    holes.emplace_back(d.ranges[i].file_offset, d.ranges[i].length);
  std::sort(holes.begin(), holes.end());
  Bytes aad;
  aad.reserve(file.size());
  uint64_t at = 0;
  for (const auto& [start, len] : holes) {
    aad.insert(aad.end(), file.begin() + static_cast<ptrdiff_t>(at),
               file.begin() + static_cast<ptrdiff_t>(start));
    at = start + len;
  }
  aad.insert(aad.end(), file.begin() + static_cast<ptrdiff_t>(at), file.end());
  for (uint32_t i = 0; i < d.key_count; ++i) {
    LICET_RETURN_IF_ERROR(CheckCk(*cks[i]));
    LICET_ASSIGN_OR_RETURN(Bytes tag, crypto::AesGcmEncrypt(cks[i]->span(),
                                                            ByteSpan(d.keys[i].file_iv, 12), aad, {}));
    std::memcpy(d.keys[i].file_tag, tag.data(), 16);
  }
  std::memcpy(file.data() + offset, &d, sizeof d);
  return Status::Ok();
}

Result<Descriptor> ParseDescriptor(ByteSpan bytes, bool allow_trailing) {
  if (bytes.size() < sizeof(Descriptor) || (!allow_trailing && bytes.size() != sizeof(Descriptor))) {
    return Error(ErrorCode::kCorruptData,
                 "protection descriptor has " + std::to_string(bytes.size()) + " bytes, expected " +
                     std::to_string(sizeof(Descriptor)));
  }
  Descriptor d;
  std::memcpy(&d, bytes.data(), sizeof d);
  if (std::memcmp(d.magic, kMagic, sizeof d.magic) == 0 && d.version != kVersion) {
    return Error(ErrorCode::kUnsupportedVersion,
                 "protection descriptor version " + std::to_string(d.version) +
                     " is not supported (this build reads version 1)");
  }
  if (const char* why = ValidateDescriptor(&d, sizeof d)) {
    return Error(ErrorCode::kCorruptData, std::string("protection descriptor: ") + why);
  }
  if (!model::IsValidUtf8(d.product_name) || !model::IsValidUtf8(d.activation_hint)) {
    return Error(ErrorCode::kCorruptData, "protection descriptor: text is not UTF-8");
  }
  return d;
}

}  // namespace licet::protect::key
