// Accesses that may go to a network license server (where = LAN, LOCAL_LAN, LAN_LOCAL), and
// release and info of the handles they made (docs/NETWORK.md "Relay"). The seat is the
// server's; this licetd only keeps the handle and relays.
#include <spdlog/spdlog.h>

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

}  // namespace

std::optional<json> Dispatcher::HandleLan(const Call& call, json& request, bool& async) {
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
