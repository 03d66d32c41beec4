// The operations that write or compute: units, crypt, import, create_container.
#include <spdlog/spdlog.h>

#include <algorithm>
#include <utility>

#include "crypto/aes_gcm_key.h"
#include "crypto/crypto.h"
#include "daemon/crypt_key.h"
#include "daemon/dispatcher.h"
#include "daemon/request_fields.h"
#include "engine/file_info.h"
#include "engine/update_file.h"
#include "model/checks.h"
#include "protocol/protocol.h"

namespace licet::daemon {
namespace {

using nlohmann::json;

constexpr size_t kMaxCachedKeysPerHandle = 8;
struct CryptJob {
  protocol::CryptOp op = protocol::CryptOp::kEncrypt;
  uint32_t feature_code = 0;
  uint32_t encryption_code = 0;
  SecretBytes key;
  std::unique_ptr<crypto::AesGcmKey> gcm;  // lent by the handle's key cache, handed back after
  Bytes iv;
  Bytes tag;
  Bytes owned;  // the request's 'data' (socket path)
  std::shared_ptr<protocol::ShmRegion> shm;  // or the region `data` lies in (shared memory)
  std::span<uint8_t> data;
  protocol::ShmCounter progress;  // 'shm_progress', when the client asked for it
};

// Runs the cipher in place and builds the response fields: 'data' on the socket path; with
// shared memory the result is in the region already.
Status RunCrypt(CryptJob& job, json& response) {
  if (!job.gcm && job.op != protocol::CryptOp::kDirect) {
    LICET_ASSIGN_OR_RETURN(crypto::AesGcmKey gcm, crypto::AesGcmKey::Create(job.key.span()));
    job.gcm = std::make_unique<crypto::AesGcmKey>(std::move(gcm));
  }
  std::array<uint8_t, crypto::kTagSize> tag{};
  Status st = StreamCryptInPlace(job.op, job.gcm.get(), job.key.span(), job.iv, job.tag, job.data,
                                 job.progress, tag);
  if (!st.ok()) {
    // A failed decrypt leaves no unauthenticated plaintext in the client's memory.
    if (job.shm) std::fill(job.data.begin(), job.data.end(), uint8_t{0});
    return st;
  }
  if (job.op == protocol::CryptOp::kEncrypt)
    response["tag"] = json::binary(Bytes(tag.begin(), tag.end()));
  if (!job.shm) response["data"] = json::binary(std::move(job.owned));
  return Status::Ok();
}

}  // namespace

json Dispatcher::Units(const Call& call, const json& request, bool& async) {
  auto lease = FindLease(call, request);
  if (!lease.ok()) return Fail(call, lease.status());
  auto n = GetUintField(request, "decrement", std::nullopt, UINT64_MAX);
  if (!n.ok()) return Fail(call, n.status());
  if (*n == 0)
    return Fail(call, Error(ErrorCode::kInvalidArgument, "decrement must be at least 1"));
  async = true;
  const ItemKey key = lease->item;
  const uint64_t units = *n;
  auto remaining = std::make_shared<uint64_t>(0);
  writes_->Submit(
      key.serial,
      [key, units, remaining](engine::SoftContainer& c) -> Result<bool> {
        model::ProductItem* item = c.state.FindProduct(key.firm_code, key.product_code);
        if (item == nullptr) {
          return Error(ErrorCode::kEntryNotFound, "product " + std::to_string(key.product_code) +
                                                      " is no longer in container " + key.serial);
        }
        LICET_RETURN_IF_ERROR(model::DecrementUnits(*item, units));
        *remaining = *item->unit_counter;
        return true;
      },
      [this, call, units, remaining, key](Status st) {
        if (!st.ok()) {
          if (spdlog::should_log(spdlog::level::debug)) {
            spdlog::debug("units pid={} product {}: {}", call.peer.pid, key.product_code,
                          st.ToString());
          }
          Finish(call, Fail(call, st));
          return;
        }
        metrics_->UnitsDecremented(units);
        spdlog::debug("units pid={} product {} -{} = {}", call.peer.pid, key.product_code, units,
                      *remaining);
        json r = protocol::OkResponse(call.id);
        r["remaining"] = *remaining;
        Finish(call, std::move(r));
      });
  return json();
}

json Dispatcher::Crypt(ConnectionState& conn, const Call& call, json& request, bool& async) {
  auto lease = FindLease(call, request);
  if (!lease.ok()) return Fail(call, lease.status());
  auto op = GetUintField(request, "crypt_op", std::nullopt, 3);
  auto code = GetUintField(request, "encryption_code", 0, UINT32_MAX);
  auto feature = GetUintField(request, "feature_code", 0, UINT32_MAX);
  if (!op.ok()) return Fail(call, op.status());
  if (*op == 0) return Fail(call, Error(ErrorCode::kInvalidArgument, "crypt_op must be 1, 2 or 3"));
  if (!code.ok()) return Fail(call, code.status());
  if (!feature.ok()) return Fail(call, feature.status());
  CryptJob job;
  job.op = static_cast<protocol::CryptOp>(*op);
  {
    auto iv = TakeBinaryField(request, "iv", crypto::kNonceSize);
    if (!iv.ok()) return Fail(call, iv.status());
    if (!*iv) return Fail(call, Error(ErrorCode::kInvalidArgument, "field 'iv' is missing"));
    job.iv = std::move(**iv);
    if (job.op == protocol::CryptOp::kDecrypt) {
      auto tag = TakeBinaryField(request, "tag", crypto::kTagSize);
      if (!tag.ok()) return Fail(call, tag.status());
      if (!*tag) return Fail(call, Error(ErrorCode::kInvalidArgument, "field 'tag' is missing"));
      job.tag = std::move(**tag);
    }
    if (request.contains("shm_offset")) {
      auto data = ShmData(conn, request);
      if (!data.ok()) return Fail(call, data.status());
      auto progress = ShmProgress(conn, request, *data);
      if (!progress.ok()) return Fail(call, progress.status());
      job.shm = conn.shm;
      job.data = *data;
      job.progress = *progress;
    } else {
      if (request.contains("shm_progress")) {
        return Fail(call,
                    Error(ErrorCode::kInvalidArgument, "field 'shm_progress' needs 'shm_offset'"));
      }
      auto data = TakeBinaryField(request, "data", 0);
      if (!data.ok()) return Fail(call, data.status());
      if (!*data) return Fail(call, Error(ErrorCode::kInvalidArgument, "field 'data' is missing"));
      job.owned = std::move(**data);
      job.data = std::span<uint8_t>(job.owned.data(), job.owned.size());
    }
  }
  auto item = LeaseItem(*lease, /*refresh=*/false);
  if (!item.ok()) return Fail(call, item.status());
  const auto& [container, product] = *item;
  // The license must still be valid now, not only when the handle was opened.
  Status st = model::CheckTimeLimits(*product, container->state, clock_->Now());
  if (st.ok()) st = model::CheckFeature(*product, static_cast<uint32_t>(*feature));
  if (!st.ok()) return Fail(call, st);

  job.feature_code = static_cast<uint32_t>(*feature);
  job.encryption_code = static_cast<uint32_t>(*code);
  bool cached = false;
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (Lease* l = leases_.Find(lease->handle, call.connection)) {
      for (CachedCryptKey& k : l->crypt_keys) {
        if (k.feature_code == job.feature_code && k.encryption_code == job.encryption_code) {
          job.key = k.key.Clone();
          job.gcm = std::move(k.gcm);
          cached = true;
        }
      }
    }
  }
  if (!cached) {
    auto key = DeriveCryptKey(*product, lease->item, job.feature_code, job.encryption_code);
    if (!key.ok()) return Fail(call, key.status());
    job.key = std::move(key).value();
    std::lock_guard<std::mutex> lock(mu_);
    if (Lease* l = leases_.Find(lease->handle, call.connection)) {
      if (l->crypt_keys.size() >= kMaxCachedKeysPerHandle)
        l->crypt_keys.erase(l->crypt_keys.begin());
      l->crypt_keys.push_back({job.feature_code, job.encryption_code, job.key.Clone(), nullptr});
    }
  }
  const size_t size = job.data.size();
  const HandleId handle = lease->handle;
  if (size <= kInlineCryptLimit) {
    json r = protocol::OkResponse(call.id);
    Status done = RunCrypt(job, r);
    ReturnCryptKey(call, handle, job.feature_code, job.encryption_code, std::move(job.gcm));
    if (!done.ok()) return Fail(call, done);
    metrics_->CryptBytes(size);
    return r;
  }
  async = true;
  auto shared_job = std::make_shared<CryptJob>(std::move(job));
  runner_([this, call, shared_job, size, handle] {
    json r = protocol::OkResponse(call.id);
    Status done = RunCrypt(*shared_job, r);
    ReturnCryptKey(call, handle, shared_job->feature_code, shared_job->encryption_code,
                   std::move(shared_job->gcm));
    if (done.ok()) metrics_->CryptBytes(size);
    Finish(call, done.ok() ? std::move(r) : Fail(call, done));
  });
  return json();
}

void Dispatcher::ReturnCryptKey(const Call& call, HandleId handle, uint32_t feature_code,
                                uint32_t encryption_code, std::unique_ptr<crypto::AesGcmKey> gcm) {
  if (!gcm) return;
  std::lock_guard<std::mutex> lock(mu_);
  Lease* l = leases_.Find(handle, call.connection);
  if (l == nullptr) return;  // released meanwhile: the key dies here
  for (CachedCryptKey& k : l->crypt_keys) {
    if (k.feature_code == feature_code && k.encryption_code == encryption_code && !k.gcm) {
      k.gcm = std::move(gcm);
      return;
    }
  }
}

// `licet info FILE` through licetd: an update is described with the operations it carries
// when its container is here, which needs the container keys only licetd (root) can open.
json Dispatcher::Describe(const Call& call, json& request, bool& async) {
  auto file = TakeBinaryField(request, "file", 0);
  if (!file.ok()) return Fail(call, file.status());
  if (!*file) return Fail(call, Error(ErrorCode::kInvalidArgument, "field 'file' is missing"));
  async = true;
  auto bytes = std::make_shared<Bytes>(std::move(**file));
  runner_([this, call, bytes] {
    auto d = engine::DescribeFile(*bytes, &cache_->store());
    if (!d.ok()) {
      Finish(call, Fail(call, d.status()));
      return;
    }
    json r = protocol::OkResponse(call.id);
    r["text"] = d->text;
    r["description"] = d->json;
    Finish(call, std::move(r));
  });
  return json();
}

json Dispatcher::Import(const Call& call, json& request, bool& async) {
  auto file = TakeBinaryField(request, "file", 0);
  if (!file.ok()) return Fail(call, file.status());
  if (!*file) return Fail(call, Error(ErrorCode::kInvalidArgument, "field 'file' is missing"));
  async = true;
  auto bytes = std::make_shared<Bytes>(std::move(**file));
  runner_([this, call, bytes] {
    // The import writes through ContainerStore; while it does, accesses keep the cached
    // copy, and this worker (not an io thread) reads the new version.
    auto header = engine::ReadUpdateFile(*bytes);
    std::shared_ptr<void> mark;
    if (header.ok()) mark = cache_->MarkWriting(header->serial);
    auto result = engine::ImportUpdate(cache_->store(), *bytes);
    if (result.ok()) {
      Status reloaded = cache_->Reload(result->serial);
      if (!reloaded.ok())
        spdlog::warn("container {} after import: {}", result->serial, reloaded.ToString());
    }
    mark.reset();
    if (!result.ok()) {
      spdlog::info("import refused (pid={} uid={}): {}", call.peer.pid, call.peer.uid,
                   result.status().ToString());
      Finish(call, Fail(call, result.status()));
      return;
    }
    const model::ApplyReport& rep = result->report;
    spdlog::info(
        "import into container {} (pid={} uid={}): firm {} FUC {} -> {}, {} applied, {} skipped",
        result->serial, call.peer.pid, call.peer.uid, rep.firm_code, rep.fuc_before, rep.fuc_after,
        rep.applied, rep.skipped);
    json r = protocol::OkResponse(call.id);
    r["serial"] = result->serial;
    r["firm_code"] = rep.firm_code;
    r["fuc_before"] = rep.fuc_before;
    r["fuc_after"] = rep.fuc_after;
    r["applied"] = rep.applied;
    r["skipped"] = rep.skipped;
    r["changes"] = rep.changes;
    Finish(call, std::move(r));
  });
  return json();
}

json Dispatcher::CreateContainer(const Call& call, const json& request, bool& async) {
  if (call.peer.uid != 0 && call.peer.uid != admin_uid_) {
    return Fail(call, Error(ErrorCode::kPermissionDenied,
                            "only root or the user licetd runs as may create containers"));
  }
  auto threshold = GetUintField(request, "threshold", 0, 64);
  if (!threshold.ok()) return Fail(call, threshold.status());
  async = true;
  runner_([this, call, threshold = static_cast<int>(*threshold)] {
    auto serial = cache_->store().Create(threshold);
    if (!serial.ok()) {
      Finish(call, Fail(call, serial.status()));
      return;
    }
    auto rescanned = cache_->Rescan();
    if (!rescanned.ok())
      spdlog::warn("rescan after create failed: {}", rescanned.status().ToString());
    spdlog::info("container {} created (pid={} uid={})", *serial, call.peer.pid, call.peer.uid);
    json r = protocol::OkResponse(call.id);
    r["serial"] = *serial;
    Finish(call, std::move(r));
  });
  return json();
}

}  // namespace licet::daemon
