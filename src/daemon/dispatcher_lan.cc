// Accesses that may go to a network license server (where = LAN, LOCAL_LAN, LAN_LOCAL), and
// release and info of the handles they made (docs/NETWORK.md "Relay"). The seat is the
// server's; this licetd only keeps the handle and relays.
#include <spdlog/spdlog.h>

#include "crypto/crypto.h"
#include "daemon/crypt_key.h"
#include "daemon/dispatcher.h"
#include "daemon/lan_access.h"
#include "daemon/request_fields.h"
#include "protocol/protocol.h"

namespace licet::daemon {
namespace {

using nlohmann::json;

bool WorthTryingElsewhere(ErrorCode code) {
  return code == ErrorCode::kContainerNotFound || code == ErrorCode::kFirmNotFound ||
         code == ErrorCode::kEntryNotFound || code == ErrorCode::kNoMoreLicenses ||
         code == ErrorCode::kExclusiveConflict || code == ErrorCode::kServerNotFound ||
         code == ErrorCode::kUnavailable;
}

Result<network::AccessRequest> ParseLanAccess(const json& request, uid_t uid) {
  network::AccessRequest a;
  LICET_ASSIGN_OR_RETURN(uint64_t firm,
                         GetUintField(request, "firm_code", std::nullopt, UINT32_MAX));
  LICET_ASSIGN_OR_RETURN(uint64_t product,
                         GetUintField(request, "product_code", std::nullopt, UINT32_MAX));
  LICET_ASSIGN_OR_RETURN(uint64_t feature, GetUintField(request, "feature_code", 0, UINT32_MAX));
  LICET_ASSIGN_OR_RETURN(uint64_t mode, GetUintField(request, "mode", 1, 8));
  LICET_ASSIGN_OR_RETURN(a.release_date, GetIntField(request, "release_date", 0));
  if (firm == 0 || product == 0) {
    return Error(ErrorCode::kInvalidArgument, "firm_code and product_code must not be 0");
  }
  if (mode != 1 && mode != 2 && mode != 4 && mode != 8) {
    return Error(ErrorCode::kInvalidArgument, "mode must be 1, 2, 4 or 8");
  }
  if (auto key = request.find("firm_key"); key != request.end()) {
    if (!key->is_binary() || key->get_binary().size() != model::kPublicKeySize) {
      return Error(ErrorCode::kInvalidArgument, "field 'firm_key' must be 32 bytes");
    }
    a.firm_key.assign(key->get_binary().begin(), key->get_binary().end());
  }
  a.firm_code = static_cast<uint32_t>(firm);
  a.product_code = static_cast<uint32_t>(product);
  a.feature_code = static_cast<uint32_t>(feature);
  a.mode = static_cast<model::AccessMode>(mode);
  a.user = UserName(uid);
  return a;
}

// --- crypt and units on LAN handles (docs/NETWORK.md "Crypt and units") ---

// The bytes of a relayed crypt: the request's 'data', or its shared-memory slice (then the
// answer goes back into the slice, kept alive by `region`).
struct LanCryptJob {
  network::CryptRequest request;
  std::shared_ptr<protocol::ShmRegion> region;
  std::span<uint8_t> shm;
};

Result<LanCryptJob> ParseLanCrypt(ConnectionState& conn, json& request) {
  LanCryptJob job;
  network::CryptRequest& c = job.request;
  LICET_ASSIGN_OR_RETURN(uint64_t op, GetUintField(request, "crypt_op", std::nullopt, 3));
  if (op == 0) return Error(ErrorCode::kInvalidArgument, "crypt_op must be 1, 2 or 3");
  c.op = static_cast<network::NetCryptOp>(op);
  LICET_ASSIGN_OR_RETURN(uint64_t code, GetUintField(request, "encryption_code", 0, UINT32_MAX));
  LICET_ASSIGN_OR_RETURN(uint64_t feature, GetUintField(request, "feature_code", 0, UINT32_MAX));
  c.encryption_code = static_cast<uint32_t>(code);
  c.feature_code = static_cast<uint32_t>(feature);
  LICET_ASSIGN_OR_RETURN(auto iv, TakeBinaryField(request, "iv", crypto::kNonceSize));
  if (!iv) return Error(ErrorCode::kInvalidArgument, "field 'iv' is missing");
  c.iv = std::move(*iv);
  if (c.op == network::NetCryptOp::kDecrypt) {
    LICET_ASSIGN_OR_RETURN(auto tag, TakeBinaryField(request, "tag", crypto::kTagSize));
    if (!tag) return Error(ErrorCode::kInvalidArgument, "field 'tag' is missing");
    c.tag = std::move(*tag);
  }
  auto too_large = [](size_t size) {
    return Error(ErrorCode::kInvalidArgument, "a crypt on a network license takes at most " +
                                                  std::to_string(network::kMaxNetworkCryptData) +
                                                  " bytes per call (this one has " +
                                                  std::to_string(size) +
                                                  "); split the buffer or use a local license");
  };
  if (request.contains("shm_offset")) {
    LICET_ASSIGN_OR_RETURN(job.shm, ShmData(conn, request));
    if (job.shm.size() > network::kMaxNetworkCryptData) return too_large(job.shm.size());
    job.region = conn.shm;
    c.data.assign(job.shm.begin(), job.shm.end());
  } else {
    LICET_ASSIGN_OR_RETURN(auto data, TakeBinaryField(request, "data", 0));
    if (!data) return Error(ErrorCode::kInvalidArgument, "field 'data' is missing");
    if (data->size() > network::kMaxNetworkCryptData) return too_large(data->size());
    c.data = std::move(*data);
  }
  return job;
}

}  // namespace

std::optional<json> Dispatcher::HandleLanItemOp(ConnectionState& conn, const Call& call,
                                                HandleId handle, json& request, bool& async) {
  if (call.op == Op::kUnits) {
    auto n = GetUintField(request, "decrement", std::nullopt, UINT64_MAX);
    if (!n.ok()) return Fail(call, n.status());
    if (*n == 0)
      return Fail(call, Error(ErrorCode::kInvalidArgument, "decrement must be at least 1"));
    async = true;
    lan_->Units(call.connection, handle, *n, [this, call, units = *n](Result<uint64_t> remaining) {
      if (!remaining.ok()) return Finish(call, Fail(call, remaining.status()));
      metrics_->UnitsDecremented(units);
      json r = protocol::OkResponse(call.id);
      r["remaining"] = *remaining;
      Finish(call, std::move(r));
    });
    return json();
  }
  auto job = ParseLanCrypt(conn, request);
  if (!job.ok()) return Fail(call, job.status());
  async = true;
  auto shm = std::make_shared<LanCryptJob>(std::move(*job));
  network::CryptRequest crypt = std::move(shm->request);
  shm->request = {};
  lan_->Crypt(call.connection, handle, std::move(crypt),
              [this, call, shm](Result<network::CryptAnswer> answer) {
                if (answer.ok() && shm->region && answer->data.size() != shm->shm.size()) {
                  answer = Error(ErrorCode::kProtocolError,
                                 "the network server answered a crypt with another size");
                }
                if (!answer.ok()) {
                  // No unauthenticated or stale bytes stay in the shared region either.
                  std::fill(shm->shm.begin(), shm->shm.end(), uint8_t{0});
                  return Finish(call, Fail(call, answer.status()));
                }
                metrics_->CryptBytes(answer->data.size());
                json r = protocol::OkResponse(call.id);
                if (!answer->tag.empty()) r["tag"] = json::binary(std::move(answer->tag));
                if (shm->region) {
                  std::copy(answer->data.begin(), answer->data.end(), shm->shm.begin());
                } else {
                  r["data"] = json::binary(std::move(answer->data));
                }
                Finish(call, std::move(r));
              });
  return json();
}

std::optional<json> Dispatcher::HandleLan(ConnectionState& conn, const Call& call, json& request,
                                          bool& async) {
  if (call.op == Op::kCrypt || call.op == Op::kUnits) {
    auto handle = GetUintField(request, "handle", std::nullopt, UINT64_MAX);
    if (!handle.ok() || !LanAccess::IsLanHandle(*handle)) return std::nullopt;
    return HandleLanItemOp(conn, call, *handle, request, async);
  }
  if (call.op == Op::kRelease || call.op == Op::kInfo) {
    auto handle = GetUintField(request, "handle", std::nullopt, UINT64_MAX);
    if (!handle.ok() || !LanAccess::IsLanHandle(*handle)) return std::nullopt;
    if (call.op == Op::kRelease) {
      Status st = lan_->Release(call.connection, *handle);
      return st.ok() ? protocol::OkResponse(call.id) : Fail(call, st);
    }
    auto info = lan_->Info(call.connection, *handle);
    if (!info.ok()) return Fail(call, info.status());
    json r = protocol::OkResponse(call.id);
    r["serial"] = info->first;
    r["item"] = info->second;
    return r;
  }
  if (call.op != Op::kAccess) return std::nullopt;
  auto where = GetUintField(request, "where", 0, 3);
  if (!where.ok() || *where == static_cast<uint64_t>(protocol::Where::kLocal)) return std::nullopt;
  auto parsed = ParseLanAccess(request, call.peer.uid);
  if (!parsed.ok()) return std::nullopt;  // the local path reports the bad field

  const auto order = static_cast<protocol::Where>(*where);
  // LOCAL_LAN: the local containers first; the network only when they cannot serve.
  json local_copy;
  if (order == protocol::Where::kLocalLan) {
    local_copy = request;
    bool local_async = false;
    json local = Access(call, local_copy, local_async);
    if (local_async) {
      async = true;  // the local access took the seat and answers by itself
      return json();
    }
    Status st = protocol::ResponseStatus(local);
    if (st.ok() || !WorthTryingElsewhere(st.code())) return local;
  } else if (order == protocol::Where::kLanLocal) {
    local_copy = request;  // kept for the fallback
  }

  async = true;
  lan_->Request(*parsed, [this, call, order, local_copy](Result<network::TicketId> ticket,
                                                         const network::Grant& grant) mutable {
    if (ticket.ok()) {
      HandleId handle = 0;
      {
        std::lock_guard<std::mutex> lock(mu_);
        // Registered under the dispatcher's lock, so Close() of the connection either sees
        // the handle or has already run (then nobody would release it: give it back now).
        if (connections_.count(call.connection) != 0) {
          handle = lan_->Register(call.connection, *ticket, grant);
        }
      }
      if (handle == 0) {
        lan_->Drop(*ticket);
        return;
      }
      metrics_->Access(ErrorCode::kOk);
      json r = protocol::OkResponse(call.id);
      r["handle"] = handle;
      r["serial"] = grant.serial;
      r["item"] = grant.item.is_object() ? grant.item : json::object();
      r["network"] = true;
      return Finish(call, std::move(r));
    }
    const Status& st = ticket.status();
    if (order == protocol::Where::kLanLocal && WorthTryingElsewhere(st.code())) {
      bool local_async = false;
      json local = Access(call, local_copy, local_async);
      if (!local_async) Finish(call, std::move(local));
      return;
    }
    metrics_->Access(st.code());
    spdlog::debug("network access refused pid={}: {}", call.peer.pid, st.ToString());
    Finish(call, Fail(call, st));
  });
  return json();
}

}  // namespace licet::daemon
