// Routing, connection bookkeeping and the small operations. access is in access.cc; units,
// crypt, import and create_container in dispatcher_ops.cc; the status page in status.cc.
#include "daemon/dispatcher.h"

#include <spdlog/spdlog.h>

#include <exception>

#include "daemon/item_json.h"
#include "daemon/lan_access.h"
#include "daemon/request_fields.h"
#include "engine/context_file.h"
#include "licet/licet.h"
#include "protocol/protocol.h"

namespace licet::daemon {

using nlohmann::json;

Dispatcher::Dispatcher(engine::ContainerCache* cache, WriteQueue* writes, Metrics* metrics,
                       const Clock* clock, BlockingRunner runner, uid_t admin_uid)
    : cache_(cache),
      writes_(writes),
      metrics_(metrics),
      clock_(clock),
      runner_(std::move(runner)),
      admin_uid_(admin_uid),
      leases_(clock) {}

ConnectionState Dispatcher::Open(const Peer& peer) {
  ConnectionState conn;
  conn.peer = peer;
  {
    std::lock_guard<std::mutex> lock(mu_);
    conn.id = next_connection_++;
    connections_[conn.id] = ConnectionInfo{peer, clock_->Now()};
  }
  metrics_->ConnectionOpened();
  spdlog::debug("connection {} opened pid={} uid={}", conn.id, peer.pid, peer.uid);
  return conn;
}

void Dispatcher::Close(ConnectionId id) {
  size_t freed = 0;
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (connections_.erase(id) == 0) return;
    freed = leases_.ReleaseConnection(id);
  }
  if (lan_ != nullptr) lan_->CloseConnection(id);  // network licenses: lan_access.h
  metrics_->ConnectionClosed();
  if (freed > 0) {
    spdlog::info("connection {} closed with {} lease(s) still held: freed", id, freed);
  } else {
    spdlog::debug("connection {} closed", id);
  }
}

std::optional<json> Dispatcher::Handle(ConnectionState& conn, json& request,
                                       const std::shared_ptr<ReplySink>& sink) {
  Call call;
  call.connection = conn.id;
  call.peer = conn.peer;
  call.start = std::chrono::steady_clock::now();
  call.sink = sink;
  json response;
  bool async = false;
  try {
    response = Dispatch(conn, call, request, async);
  } catch (const std::exception& e) {
    // A bug or a library surprise: answer it, keep serving.
    spdlog::error("request {} ({}) failed: {}", call.id, OpName(call.op), e.what());
    async = false;
    response = protocol::ErrorResponse(call.id, Error(ErrorCode::kInternal, "internal error"));
  }
  if (async) return std::nullopt;
  metrics_->Request(
      call.op,
      std::chrono::duration<double>(std::chrono::steady_clock::now() - call.start).count());
  return response;
}

json Dispatcher::Dispatch(ConnectionState& conn, Call& call, json& request, bool& async) {
  auto id = request.find("id");
  std::optional<uint64_t> id_value;
  if (id != request.end()) id_value = AsUint(*id);
  if (id_value) call.id = *id_value;
  auto op = request.find("op");
  if (!id_value || op == request.end() || !op->is_string()) {
    metrics_->ProtocolError();
    return Fail(
        call, Error(ErrorCode::kProtocolError, "a request needs an unsigned 'id' and a text 'op'"));
  }
  call.op = ParseOp(op->get_ref<const std::string&>());
  if (call.op == Op::kInvalid) {
    metrics_->ProtocolError();
    return Fail(call,
                Error(ErrorCode::kProtocolError,
                      "unknown op '" + op->get_ref<const std::string&>().substr(0, 64) + "'"));
  }
  if (call.op == Op::kHello) return Hello(conn, call, request);
  if (!conn.hello_done) {
    metrics_->ProtocolError();
    return Fail(call, Error(ErrorCode::kProtocolError, "the first request must be 'hello'"));
  }
  if (lan_ != nullptr) {  // network licenses: dispatcher_lan.cc
    if (auto lan = HandleLan(conn, call, request, async)) return std::move(*lan);
  }
  switch (call.op) {
    case Op::kAccess:
      return Access(call, request, async);
    case Op::kRelease:
      return Release(call, request);
    case Op::kInfo:
      return Info(call, request);
    case Op::kUnits:
      return Units(call, request, async);
    case Op::kCrypt:
      return Crypt(conn, call, request, async);
    case Op::kList:
      return List(call);
    case Op::kContext:
      return Context(call, request);
    case Op::kImport:
      return Import(call, request, async);
    case Op::kCreateContainer:
      return CreateContainer(call, request, async);
    case Op::kDescribe:
      return Describe(call, request, async);
    case Op::kHello:
    case Op::kInvalid:
      break;
  }
  return Fail(call, Error(ErrorCode::kInternal, "unhandled op"));
}

json Dispatcher::Fail(const Call& call, const Status& status) {
  return protocol::ErrorResponse(call.id, status);
}

void Dispatcher::Finish(const Call& call, json response) {
  metrics_->Request(
      call.op,
      std::chrono::duration<double>(std::chrono::steady_clock::now() - call.start).count());
  call.sink->Reply(std::move(response));
}

json Dispatcher::Hello(ConnectionState& conn, const Call& call, const json& request) {
  auto version = GetUintField(request, "version", std::nullopt, UINT32_MAX);
  if (!version.ok()) return Fail(call, version.status());
  if (*version != protocol::kProtocolVersion) {
    return Fail(call, Error(ErrorCode::kUnsupportedVersion,
                            "protocol version " + std::to_string(*version) +
                                " is not supported; licetd speaks version 1 (update licetd or "
                                "the application's Licet library)"));
  }
  auto client = GetTextField(request, "client", 256);
  if (!client.ok()) return Fail(call, client.status());
  conn.hello_done = true;
  spdlog::debug("connection {} hello from '{}' pid={} uid={}", conn.id, client->value_or(""),
                conn.peer.pid, conn.peer.uid);
  json r = protocol::OkResponse(call.id);
  r["version"] = protocol::kProtocolVersion;
  r["server"] = "licetd " LICET_VERSION;
  r["home"] = cache_->store().home();
  r["shm"] = true;  // crypt takes a shared-memory region (docs/PROTOCOL.md)
  r["shm_progress"] = true;  // and publishes its progress there when asked
  return r;
}

Result<Lease> Dispatcher::FindLease(const Call& call, const json& request) {
  LICET_ASSIGN_OR_RETURN(uint64_t handle,
                         GetUintField(request, "handle", std::nullopt, UINT64_MAX));
  std::lock_guard<std::mutex> lock(mu_);
  Lease* lease = leases_.Find(handle, call.connection);
  if (lease == nullptr) {
    return Error(ErrorCode::kInvalidArgument,
                 "handle " + std::to_string(handle) + " is not open on this connection");
  }
  Lease copy;
  copy.handle = lease->handle;
  copy.connection = lease->connection;
  copy.pid = lease->pid;
  copy.uid = lease->uid;
  copy.item = lease->item;
  copy.mode = lease->mode;
  copy.since = lease->since;
  copy.linger_time = lease->linger_time;
  return copy;  // without the crypt keys: those stay in the manager
}

Result<std::pair<std::shared_ptr<const engine::SoftContainer>, const model::ProductItem*>>
Dispatcher::LeaseItem(const Lease& lease, bool refresh) {
  engine::ContainerCache::Snapshot snapshot = refresh ? cache_->Refresh() : cache_->Current();
  for (const engine::CachedContainer& c : *snapshot) {
    if (c.serial != lease.item.serial || !c.container) continue;
    const model::ProductItem* item =
        c.container->state.FindProduct(lease.item.firm_code, lease.item.product_code);
    if (item == nullptr) break;
    return std::make_pair(c.container, item);
  }
  return Error(ErrorCode::kEntryNotFound, "product " + std::to_string(lease.item.product_code) +
                                              " of firm " + std::to_string(lease.item.firm_code) +
                                              " is no longer in container " + lease.item.serial +
                                              "; release the handle and access again");
}

json Dispatcher::Release(const Call& call, const json& request) {
  auto handle = GetUintField(request, "handle", std::nullopt, UINT64_MAX);
  if (!handle.ok()) return Fail(call, handle.status());
  Status st;
  {
    std::lock_guard<std::mutex> lock(mu_);
    st = leases_.Release(*handle, call.connection);
  }
  if (!st.ok()) return Fail(call, st);
  spdlog::debug("release handle={} pid={}", *handle, call.peer.pid);
  return protocol::OkResponse(call.id);
}

json Dispatcher::Info(const Call& call, const json& request) {
  auto lease = FindLease(call, request);
  if (!lease.ok()) return Fail(call, lease.status());
  auto item = LeaseItem(*lease, /*refresh=*/true);
  if (!item.ok()) return Fail(call, item.status());
  json r = protocol::OkResponse(call.id);
  r["serial"] = lease->item.serial;
  r["item"] = ItemMap(lease->item.firm_code, *item->second);
  return r;
}

json Dispatcher::List(const Call& call) {
  auto snapshot = cache_->Rescan();
  if (!snapshot.ok()) return Fail(call, snapshot.status());
  json r = protocol::OkResponse(call.id);
  r["containers"] = ContainersJson(**snapshot, clock_->Now());
  return r;
}

json Dispatcher::Context(const Call& call, const json& request) {
  auto serial = GetTextField(request, "serial", 32);
  auto firm = GetUintField(request, "firm_code", 0, UINT32_MAX);
  auto receipt = GetBoolField(request, "receipt", false);
  if (!serial.ok()) return Fail(call, serial.status());
  if (!firm.ok()) return Fail(call, firm.status());
  if (!receipt.ok()) return Fail(call, receipt.status());
  if (serial->has_value() && (*serial)->empty()) serial->reset();
  auto snapshot = cache_->Rescan();
  if (!snapshot.ok()) return Fail(call, snapshot.status());
  const engine::CachedContainer* chosen = nullptr;
  std::string all;
  for (const engine::CachedContainer& c : **snapshot) {
    all += (all.empty() ? "" : ", ") + c.serial;
    if (serial->has_value() ? c.serial == **serial : (*snapshot)->size() == 1) chosen = &c;
  }
  if (chosen == nullptr) {
    if (serial->has_value()) {
      return Fail(call, Error(ErrorCode::kContainerNotFound,
                              "container " + **serial + " is not on this machine"));
    }
    if ((*snapshot)->empty()) {
      return Fail(call, Error(ErrorCode::kContainerNotFound,
                              "no container on this machine: create one first"));
    }
    return Fail(call, Error(ErrorCode::kInvalidArgument, "several containers on this machine (" +
                                                             all + "): name one in 'serial'"));
  }
  if (!chosen->container) return Fail(call, chosen->error);
  std::optional<uint32_t> firm_code;
  if (*firm != 0) firm_code = static_cast<uint32_t>(*firm);
  auto file = engine::MakeContextFile(
      *chosen->container, firm_code,
      *receipt ? format::FileKind::kReceipt : format::FileKind::kContext, clock_->Now());
  if (!file.ok()) return Fail(call, file.status());
  json r = protocol::OkResponse(call.id);
  r["file"] = json::binary(std::move(file).value());
  return r;
}

std::map<ItemKey, uint32_t> Dispatcher::LeaseCounts() {
  std::lock_guard<std::mutex> lock(mu_);
  return leases_.CountByItem();
}

}  // namespace licet::daemon
