// The Vault seals what Central must keep secret at rest under the key-encryption key (KEK),
// so that the database file alone (a backup, a stolen disk, a SQL dump) reveals no firm
// signing key, firm secret, product secret or hidden data.
//
// Sealing: AES-256-GCM with a random 12-byte nonce, blob = nonce || ciphertext || tag. Each
// kind of blob uses its own key, HKDF-SHA256(KEK, salt "licet-central/v1", info = kind
// label), and associated data that names the row it belongs to (firm code; firm and product
// code; serial, firm and FUC range), so a blob copied into another row does not open.
// The KEK itself is never stored; KekId() (a hash of a derived key) is, so that a server
// started with another KEK refuses to run instead of failing on every request.
#ifndef LICET_CENTRAL_ENGINE_VAULT_H_
#define LICET_CENTRAL_ENGINE_VAULT_H_

#include <string>
#include <string_view>
#include <vector>

#include "common/bytes.h"
#include "common/status.h"
#include "engine/firm_key.h"
#include "model/operation.h"

namespace licet::central::engine {

class Vault {
 public:
  // From 64 hex characters (32 bytes). kInvalidArgument otherwise.
  static Result<Vault> FromHex(std::string_view kek_hex);
  static Result<Vault> FromKey(const SecretBytes& kek);

  Vault(Vault&&) = default;
  Vault& operator=(Vault&&) = default;

  // 16 hex characters identifying the KEK (not revealing it).
  const std::string& KekId() const { return kek_id_; }

  // The firm's signing key and firm secret.
  Result<Bytes> SealFirmSecrets(const licet::engine::FirmKey& firm) const;
  // A FirmKey from its public row fields and the sealed secrets. kDecryptFailed under
  // another KEK or when the blob was moved or altered; kCorruptData when the signing key
  // does not match the public key.
  Result<licet::engine::FirmKey> OpenFirmSecrets(uint32_t firm_code, const std::string& name,
                                                 ByteSpan public_key, UnixTime created,
                                                 ByteSpan sealed) const;

  // A product template (engine/template.h encoding).
  Result<Bytes> SealTemplate(uint32_t firm_code, uint32_t product_code, ByteSpan plain) const;
  Result<SecretBytes> OpenTemplate(uint32_t firm_code, uint32_t product_code,
                                   ByteSpan sealed) const;

  // The operations of an issued FUC range.
  Result<Bytes> SealOperations(const std::string& serial, uint32_t firm_code,
                               const std::vector<model::Operation>& ops) const;
  // kCorruptData when the operations are not exactly fuc_from..fuc_to.
  Result<std::vector<model::Operation>> OpenOperations(const std::string& serial,
                                                       uint32_t firm_code, uint64_t fuc_from,
                                                       uint64_t fuc_to, ByteSpan sealed) const;

 private:
  Vault() = default;
  Result<Bytes> Seal(const SecretBytes& key, ByteSpan aad, ByteSpan plain) const;
  Result<SecretBytes> Open(const SecretBytes& key, ByteSpan aad, ByteSpan sealed) const;

  SecretBytes firm_key_;
  SecretBytes template_key_;
  SecretBytes ops_key_;
  std::string kek_id_;
};

}  // namespace licet::central::engine

#endif  // LICET_CENTRAL_ENGINE_VAULT_H_
