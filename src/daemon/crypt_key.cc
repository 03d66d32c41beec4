#include "daemon/crypt_key.h"

#include <algorithm>
#include <array>
#include <optional>
#include <utility>

#include "crypto/crypto.h"
#include "daemon/request_fields.h"
#include "protocol/shm.h"

namespace licet::daemon {
namespace {

constexpr const char* kCryptSalt = "licet crypt v1";

void PutBe32(uint8_t* out, uint32_t v) {
  out[0] = static_cast<uint8_t>(v >> 24);
  out[1] = static_cast<uint8_t>(v >> 16);
  out[2] = static_cast<uint8_t>(v >> 8);
  out[3] = static_cast<uint8_t>(v);
}

}  // namespace

Result<SecretBytes> DeriveCryptKey(const model::ProductItem& item, const ItemKey& key,
                                   uint32_t feature_code, uint32_t encryption_code) {
  if (item.secret_data.size() != model::kSecretSize) {
    return Error(ErrorCode::kCorruptData, "product " + std::to_string(key.product_code) +
                                              " has no secret data to derive keys from");
  }
  uint8_t info[16];
  PutBe32(info, key.firm_code);
  PutBe32(info + 4, key.product_code);
  PutBe32(info + 8, feature_code);
  PutBe32(info + 12, encryption_code);
  return crypto::HkdfSha256(item.secret_data.span(), AsBytes(kCryptSalt),
                            ByteSpan(info, sizeof info), crypto::kKeySize);
}

Status CryptInPlace(protocol::CryptOp op, ByteSpan key, ByteSpan iv, ByteSpan tag,
                    std::span<uint8_t> data, Bytes* tag_out) {
  // One crypt without a handle's cache (the network server's): a key prepared for this call
  // and no progress to publish; the checks and the zeroing are StreamCryptInPlace's.
  std::optional<crypto::AesGcmKey> gcm;
  if (op == protocol::CryptOp::kEncrypt || op == protocol::CryptOp::kDecrypt) {
    LICET_ASSIGN_OR_RETURN(gcm, crypto::AesGcmKey::Create(key));
  } else if (op != protocol::CryptOp::kDirect) {
    return Error(ErrorCode::kInvalidArgument, "crypt_op must be 1, 2 or 3");
  }
  std::array<uint8_t, crypto::kTagSize> out{};
  LICET_RETURN_IF_ERROR(StreamCryptInPlace(op, gcm ? &*gcm : nullptr, key, iv, tag, data,
                                           protocol::ShmCounter(), out));
  if (op == protocol::CryptOp::kEncrypt) tag_out->assign(out.begin(), out.end());
  return Status::Ok();
}

Status StreamCryptInPlace(protocol::CryptOp op, crypto::AesGcmKey* gcm, ByteSpan key, ByteSpan iv,
                          ByteSpan tag, std::span<uint8_t> data,
                          const protocol::ShmCounter& progress,
                          std::span<uint8_t, crypto::kTagSize> tag_out) {
  if (iv.size() != crypto::kNonceSize) {
    return Error(ErrorCode::kInvalidArgument, "field 'iv' must be 12 bytes");
  }
  if (op == protocol::CryptOp::kDirect) {
    uint8_t counter[crypto::kCtrBlockSize] = {};
    std::copy(iv.begin(), iv.end(), counter);
    LICET_RETURN_IF_ERROR(crypto::AesCtrXor(key, ByteSpan(counter, sizeof counter), data));
    progress.Store(data.size());
    return Status::Ok();
  }
  const bool encrypt = op == protocol::CryptOp::kEncrypt;
  if (!encrypt && tag.size() != crypto::kTagSize) {
    return Error(ErrorCode::kInvalidArgument, "field 'tag' must be 16 bytes");
  }
  if (gcm == nullptr) return Error(ErrorCode::kInternal, "a GCM crypt without its key");
  Status st = gcm->Begin(encrypt, iv);
  for (size_t done = 0; st.ok() && done < data.size();) {
    const size_t n = std::min(kCryptProgressPiece, data.size() - done);
    std::span<uint8_t> piece = data.subspan(done, n);
    st = gcm->Update(piece, piece);
    done += n;
    if (st.ok()) progress.Store(done);
  }
  if (st.ok() && data.empty()) progress.Store(0);  // an empty range is finished too
  if (st.ok()) {
    st = encrypt ? gcm->FinishEncrypt(tag_out)
                 : gcm->FinishDecrypt(
                       std::span<const uint8_t, crypto::kTagSize>(tag.data(), crypto::kTagSize));
  }
  // No unauthenticated plaintext leaves a failed decrypt.
  if (!st.ok() && !encrypt) std::fill(data.begin(), data.end(), uint8_t{0});
  return st;
}

Result<protocol::ShmCounter> ShmProgress(const ConnectionState& conn, const nlohmann::json& request,
                                         std::span<const uint8_t> data) {
  if (!request.contains("shm_progress")) return protocol::ShmCounter();
  LICET_ASSIGN_OR_RETURN(
      uint64_t offset, GetUintField(request, "shm_progress", std::nullopt, protocol::kMaxShmSize));
  if (!conn.shm || !request.contains("shm_offset")) {
    return Error(ErrorCode::kInvalidArgument, "field 'shm_progress' needs 'shm_offset'");
  }
  return conn.shm->Counter(offset, data, "shm_progress");
}

Result<std::span<uint8_t>> ShmData(ConnectionState& conn, const nlohmann::json& request) {
  if (request.contains("data")) {
    return Error(ErrorCode::kInvalidArgument, "fields 'data' and 'shm_offset' exclude each other");
  }
  LICET_ASSIGN_OR_RETURN(uint64_t offset,
                         GetUintField(request, "shm_offset", std::nullopt, protocol::kMaxShmSize));
  LICET_ASSIGN_OR_RETURN(uint64_t length,
                         GetUintField(request, "shm_length", std::nullopt, protocol::kMaxShmSize));
  if (request.contains("shm_size")) {
    LICET_ASSIGN_OR_RETURN(uint64_t size,
                           GetUintField(request, "shm_size", std::nullopt, protocol::kMaxShmSize));
    if (conn.received_fd < 0) {
      return Error(ErrorCode::kInvalidArgument,
                   "field 'shm_size' needs a shared-memory descriptor sent with the request");
    }
    const int fd = std::exchange(conn.received_fd, -1);
    LICET_ASSIGN_OR_RETURN(std::unique_ptr<protocol::ShmRegion> region,
                           protocol::ShmRegion::Adopt(fd, size));
    conn.shm = std::move(region);
  }
  if (!conn.shm) {
    return Error(ErrorCode::kInvalidArgument,
                 "field 'shm_offset' needs shared memory: send 'shm_size' and a descriptor first");
  }
  return conn.shm->Slice(offset, length);
}

}  // namespace licet::daemon
