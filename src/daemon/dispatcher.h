// The request handling of licetd's local API (docs/PROTOCOL.md): one decoded request in, one
// response out, with the leases, the container cache and the write queue behind it. The
// transport (session.h) only frames bytes; everything the protocol means is decided here, so
// tests drive it directly without a socket.
//
// Thread-safe. In-memory operations (hello, access, release, info, crypt of small buffers,
// list, context) answer synchronously on the calling thread and never touch the disk in the
// common case; operations that write or block (units, an access that starts a usage period,
// import, create_container, large crypt buffers) run on the BlockingRunner and answer through
// the ReplySink.
#ifndef LICET_DAEMON_DISPATCHER_H_
#define LICET_DAEMON_DISPATCHER_H_

#include <sys/types.h>

#include <chrono>
#include <memory>
#include <mutex>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <unordered_map>

#include "common/clock.h"
#include "daemon/lease_manager.h"
#include "daemon/metrics.h"
#include "daemon/write_queue.h"
#include "engine/container_cache.h"
#include "protocol/shm.h"

namespace licet::daemon {

class LanAccess;  // network licenses (daemon/lan_access.h)

// Who is on the other end of a connection (SO_PEERCRED).
struct Peer {
  pid_t pid = 0;
  uid_t uid = 0;
  gid_t gid = 0;
};

// Per-connection protocol state, owned by the transport and passed with each request.
struct ConnectionState {
  ConnectionId id = 0;
  Peer peer;
  bool hello_done = false;
  // A descriptor that arrived (SCM_RIGHTS) with the request being handled, or -1. A crypt
  // request with 'shm_size' takes it (sets -1); the transport closes one left untaken.
  int received_fd = -1;
  // The connection's shared memory for crypt (docs/PROTOCOL.md "Shared-memory crypt").
  std::shared_ptr<protocol::ShmRegion> shm;
};

// Receives a response that was not ready when Handle returned. Reply may run on any thread.
class ReplySink {
 public:
  virtual ~ReplySink() = default;
  virtual void Reply(nlohmann::json response) = 0;
};

class Dispatcher {
 public:
  // The largest crypt buffer handled on the calling thread; larger ones go to the runner so
  // that one big buffer does not stall every other client.
  static constexpr size_t kInlineCryptLimit = 256 * 1024;

  // Everything must outlive the dispatcher. `admin_uid` may create containers (besides root).
  Dispatcher(engine::ContainerCache* cache, WriteQueue* writes, Metrics* metrics,
             const Clock* clock, BlockingRunner runner, uid_t admin_uid);
  Dispatcher(const Dispatcher&) = delete;
  Dispatcher& operator=(const Dispatcher&) = delete;

  // Registers a new connection and returns its state.
  ConnectionState Open(const Peer& peer);
  // Forgets a connection and frees every lease it held (their seats linger as the items say).
  void Close(ConnectionId id);

  // Handles one request map. Returns the response when it is ready now; otherwise returns
  // nullopt and calls sink->Reply exactly once later. `request` may be consumed (large
  // binaries are moved out of it). Never throws.
  std::optional<nlohmann::json> Handle(ConnectionState& conn, nlohmann::json& request,
                                       const std::shared_ptr<ReplySink>& sink);

  // The status document of GET /api/v1/status (containers, seats, sessions, leases).
  nlohmann::json StatusJson();
  // Leases per item, for the metrics.
  std::map<ItemKey, uint32_t> LeaseCounts();

  // Network licenses (the work is in dispatcher_lan.cc): accesses with
  // where != LOCAL go to `lan` (owned by the caller, outlives the dispatcher), and so do
  // release and info of its handles. Call before serving.
  void SetLanAccess(LanAccess* lan) { lan_ = lan; }

 private:
  using Json = nlohmann::json;
  using TimePoint = std::chrono::steady_clock::time_point;

  struct ConnectionInfo {
    Peer peer;
    UnixTime since = 0;
  };

  // One request in flight, for the async paths.
  struct Call {
    ConnectionId connection = 0;
    Peer peer;
    uint64_t id = 0;
    Op op = Op::kInvalid;
    TimePoint start;
    std::shared_ptr<ReplySink> sink;
  };

  Json Dispatch(ConnectionState& conn, Call& call, Json& request, bool& async);
  Json Hello(ConnectionState& conn, const Call& call, const Json& request);
  Json Access(const Call& call, Json& request, bool& async);
  Json Release(const Call& call, const Json& request);
  Json Info(const Call& call, const Json& request);
  Json Units(const Call& call, const Json& request, bool& async);
  Json Crypt(ConnectionState& conn, const Call& call, Json& request, bool& async);
  // Puts the prepared GCM key a crypt borrowed back into its handle's cache (any thread).
  void ReturnCryptKey(const Call& call, HandleId handle, uint32_t feature_code,
                      uint32_t encryption_code, std::unique_ptr<crypto::AesGcmKey> gcm);
  Json List(const Call& call);
  Json Context(const Call& call, const Json& request);
  Json Import(const Call& call, Json& request, bool& async);
  Json CreateContainer(const Call& call, const Json& request, bool& async);
  Json Describe(const Call& call, Json& request, bool& async);
  // Answers access/release/info when they concern the network; nullopt otherwise.
  std::optional<Json> HandleLan(ConnectionState& conn, const Call& call, Json& request,
                                bool& async);
  std::optional<Json> HandleLanItemOp(ConnectionState& conn, const Call& call, HandleId handle,
                                      Json& request, bool& async);

  // Answers an async call: records its latency and hands the response to the sink.
  void Finish(const Call& call, Json response);
  Json Fail(const Call& call, const Status& status);
  // The lease `handle` of the call's connection, copied out under the lock.
  Result<Lease> FindLease(const Call& call, const Json& request);
  // The current item of a lease, from the cache.
  Result<std::pair<std::shared_ptr<const engine::SoftContainer>, const model::ProductItem*>>
  LeaseItem(const Lease& lease, bool refresh);
  // Asks for highest_time_seen to be persisted when it lags the clock by an hour, so that a
  // clock set back is detected across restarts too.
  void MaybePersistTime(const engine::SoftContainer& container, UnixTime now);

  engine::ContainerCache* cache_;
  WriteQueue* writes_;
  Metrics* metrics_;
  const Clock* clock_;
  BlockingRunner runner_;
  uid_t admin_uid_;
  LanAccess* lan_ = nullptr;

  std::mutex mu_;  // guards everything below
  LeaseManager leases_;
  ConnectionId next_connection_ = 1;
  std::unordered_map<ConnectionId, ConnectionInfo> connections_;
  std::map<std::string, UnixTime> time_persist_requested_;
};

}  // namespace licet::daemon

#endif  // LICET_DAEMON_DISPATCHER_H_
