// The vendor's firm.key file: the firm's Ed25519 signing key and its 256-bit firm secret
// (DESIGN §1). It never reaches a customer. Optionally protected by a passphrase
// (scrypt → AES-256-GCM).
#ifndef LICET_ENGINE_FIRM_KEY_H_
#define LICET_ENGINE_FIRM_KEY_H_

#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "common/bytes.h"
#include "common/clock.h"
#include "common/status.h"

namespace licet::crypto {
class Ed25519Signer;
}  // namespace licet::crypto

namespace licet::engine {

struct FirmKey {
  uint32_t firm_code = 0;
  std::string name;
  Bytes public_key;         // Ed25519, 32 bytes
  SecretBytes signing_key;  // Ed25519 seed, 32 bytes
  SecretBytes firm_secret;  // 32 bytes; product secrets derive from it
  UnixTime created = 0;
  // Optional: signing_key prepared once (License Central keeps one per firm); update files
  // are signed with it when set. Must hold the same key as signing_key.
  std::shared_ptr<const crypto::Ed25519Signer> signer;
};

// New random key material for a firm. kInvalidArgument for firm code 0 or a bad name.
Result<FirmKey> GenerateFirmKey(uint32_t firm_code, const std::string& name, UnixTime now);

// The firm.key file. An empty passphrase stores the secrets unencrypted (the file is
// written 0600 either way).
Result<Bytes> EncodeFirmKeyFile(const FirmKey& key, std::string_view passphrase);

// Public part of a firm.key, readable without the passphrase.
struct FirmKeyInfo {
  uint32_t firm_code = 0;
  std::string name;
  Bytes public_key;
  UnixTime created = 0;
  bool encrypted = false;
};
Result<FirmKeyInfo> ReadFirmKeyInfo(ByteSpan file);

// Decodes and, if needed, decrypts. kWrongPassphrase when the passphrase does not open it
// (or is missing for an encrypted file); kCorruptData when the file is damaged.
Result<FirmKey> DecodeFirmKeyFile(ByteSpan file, std::string_view passphrase);

}  // namespace licet::engine

#endif  // LICET_ENGINE_FIRM_KEY_H_
