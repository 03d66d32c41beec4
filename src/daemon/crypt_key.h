// What a crypt needs wherever it runs: the key of a product item (docs/PROTOCOL.md "Key
// derivation of crypt") and the bytes of a shared-memory request. The local crypt
// (dispatcher_ops.cc), the relay of a crypt on a LAN handle (dispatcher_lan.cc) and the
// network server's crypt (network_item_ops.cc) all use these, so a network license and a local
// container holding the same product give the same key.
#ifndef LICET_DAEMON_CRYPT_KEY_H_
#define LICET_DAEMON_CRYPT_KEY_H_

#include <cstdint>
#include <nlohmann/json.hpp>
#include <span>

#include "common/bytes.h"
#include "common/status.h"
#include "crypto/aes_gcm_key.h"
#include "crypto/crypto.h"
#include "daemon/dispatcher.h"
#include "daemon/lease_manager.h"
#include "model/items.h"
#include "protocol/protocol.h"
#include "protocol/shm.h"

namespace licet::daemon {

// HKDF-SHA256 of the item's secret data, salt "licet crypt v1", info = firm, product, feature
// and encryption code (uint32 BE each). kCorruptData when the item has no secret data.
[[nodiscard]] Result<SecretBytes> DeriveCryptKey(const model::ProductItem& item, const ItemKey& key,
                                                 uint32_t feature_code, uint32_t encryption_code);

// Runs crypt `op` in place with `key` (docs/PROTOCOL.md "crypt"): kEncrypt sets `*tag_out`
// (16 bytes); kDecrypt checks `tag` (16 bytes; kDecryptFailed, and `data` is then zeroed);
// kDirect XORs the AES-CTR keystream starting at iv || 0x00000000.
[[nodiscard]] Status CryptInPlace(protocol::CryptOp op, ByteSpan key, ByteSpan iv, ByteSpan tag,
                                  std::span<uint8_t> data, Bytes* tag_out);

// The pieces a streamed crypt publishes its progress in: small enough that the client's copy
// of the last piece (after licetd's AES) is short, large enough that a piece costs far more
// than publishing it. A multiple of the AES block.
inline constexpr size_t kCryptProgressPiece = 8 * 1024;

// As CryptInPlace, with the handle's prepared GCM key `gcm` (kEncrypt, kDecrypt: kInternal
// when null) or the raw `key` (kDirect), and with progress: after each kCryptProgressPiece bytes
// (in order) it stores the count of finished bytes into `progress` (when present). `progress` is
// only written, never read. A failed decrypt zeroes `data`.
[[nodiscard]] Status StreamCryptInPlace(protocol::CryptOp op, crypto::AesGcmKey* gcm, ByteSpan key,
                                        ByteSpan iv, ByteSpan tag, std::span<uint8_t> data,
                                        const protocol::ShmCounter& progress,
                                        std::span<uint8_t, crypto::kTagSize> tag_out);

// The progress word of a shared-memory crypt: the request's 'shm_progress' (docs/PROTOCOL.md
// "Progress of a shared-memory crypt") in the connection's region, outside `data`; absent
// when the request has none. kInvalidArgument naming the field otherwise (also without
// 'shm_offset').
[[nodiscard]] Result<protocol::ShmCounter> ShmProgress(const ConnectionState& conn,
                                                       const nlohmann::json& request,
                                                       std::span<const uint8_t> data);

// The bytes of a shared-memory crypt: 'shm_offset' and 'shm_length' inside the connection's
// region, which a request with 'shm_size' (and a descriptor) replaces first. kInvalidArgument
// naming the field otherwise.
[[nodiscard]] Result<std::span<uint8_t>> ShmData(ConnectionState& conn,
                                                 const nlohmann::json& request);

}  // namespace licet::daemon

#endif  // LICET_DAEMON_CRYPT_KEY_H_
