// The network license server (docs/NETWORK.md): a TLS 1.3 listener whose sessions speak the
// network protocol (wire.h) and share one SeatTable. The seats are the product items of the
// server's own containers, which the owner (licetd) provides through an ItemLookup.
//
// Shape: a listener hands each connection to a session with its own strand; the handshake and
// idle periods have timeouts; a timer frees the leases of silent clients every second.
// Thread-safe: the table is behind a mutex, so the io_context may run on several threads.
#ifndef LICET_NETWORK_SERVER_H_
#define LICET_NETWORK_SERVER_H_

#include <atomic>
#include <functional>
#include <memory>
#include <mutex>
#include <nlohmann/json.hpp>
#include <string>
#include <unordered_map>

#include "common/clock.h"
#include "common/status.h"
#include "network/access_rules.h"
#include "network/asio_ssl.h"
#include "network/borrow_server.h"
#include "network/discovery.h"
#include "network/seat_table.h"
#include "network/server_item_ops.h"
#include "network/tls.h"
#include "network/usage_log.h"
#include "network/wire.h"

namespace licet::network {

// Finds the item an access asks for in the server's containers and checks it (time limits,
// feature, access mode allowed...), without taking a seat. The Status is the refusal the
// client gets (kEntryNotFound, kFirmNotFound, kExpired, ...). Called on an io thread.
using ItemLookup = std::function<Result<ItemSpec>(const AccessRequest& access)>;

struct ServerOptions {
  ServerTlsConfig tls;
  int64_t min_lease_timeout = 120;  // told to clients in hello: heartbeat well within it
  int handshake_timeout = 10;       // seconds to finish the TLS handshake and the hello
  int idle_timeout = 600;           // seconds without a request before a connection is closed
  size_t max_connections = 20000;
  AccessRules rules;                // allow/deny and seat reservations (network.allow ...)
};

// Counters for /metrics.
struct ServerCounters {
  std::atomic<uint64_t> connections{0};
  std::atomic<uint64_t> handshake_failures{0};
  std::atomic<uint64_t> protocol_errors{0};
  std::atomic<uint64_t> granted{0};
  std::atomic<uint64_t> denied{0};
  std::atomic<uint64_t> expired{0};
};

class Server {
 public:
  // `io` and `clock` must outlive the server.
  Server(boost::asio::io_context& io, ServerOptions options, ItemLookup lookup, const Clock* clock);
  ~Server();
  Server(const Server&) = delete;
  Server& operator=(const Server&) = delete;

  // Loads the TLS context and binds host:port (port 0: any free port). kIoError when the
  // address cannot be bound, kCryptoError/kIoError for the certificate.
  [[nodiscard]] Status Listen(const std::string& host, uint16_t port);
  // Starts accepting and the expiry timer.
  void Start();
  // Stops accepting and closes every connection (leases stay in the table until it dies).
  void Stop();
  uint16_t port() const { return port_; }

  // {"leases": [...], "items": [...], "denials": [...], "clients": n} for the admin API and
  // `licet network status`; at most `limit` lease rows.
  nlohmann::json StatusJson(size_t limit);
  // The admin frees a seat. kNotFound when there is no such lease.
  [[nodiscard]] Status Revoke(LeaseId lease);
  // Appends every grant, release, revoke, expiry and denial to `log` (usage_log.h), which
  // must outlive the server; nullptr stops it. Call before Start.
  void SetUsageLog(UsageLogSet* log) { usage_log_ = log; }
  const ServerCounters& counters() const { return counters_; }
  // Seats used and license quantity per item (firm, product) for the metrics.
  struct ItemSeats {
    uint32_t firm_code;
    uint32_t product_code;
    uint32_t used;
    uint32_t quantity;
    uint64_t denied;
  };
  std::vector<ItemSeats> SeatSummary();

  // One request of an authenticated session (its hello done: `client` set), answered now.
  // Public for the sessions and for tests that drive the server without sockets. crypt and
  // unit need HandleAsync (here they are refused); an access of an item whose usage period
  // has not started is granted without persisting the start unless `follow_up` is given.
  struct FollowUp {
    bool first_use = false;  // the grant must start the usage period before it is answered
    LeaseTarget target;
    LeaseId lease = 0;
  };
  nlohmann::json Handle(ClientRef& client, const std::string& address, const ServerRequest& request,
                        FollowUp* follow_up = nullptr);

  // --- crypt, units and first use (server_item_ops.cc) ---
  using Reply = std::function<void(nlohmann::json)>;
  // Answers any request: at once (on this thread) when it can, else later from any thread
  // (crypt and unit, and a grant that starts a usage period, wait for the owner's ItemOps).
  // The session matches answers by id, so they may come out of order.
  void HandleAsync(ClientRef& client, const std::string& address, const ServerRequest& request,
                   Reply reply);
  // Without ops, crypt and unit are refused (kInvalidArgument) and usage periods are not
  // started. Call before Start.
  void SetItemOps(ItemOps ops) { item_ops_ = std::move(ops); }

  // --- discovery (discovery.h) ---
  // Answers UDP discovery probes on host:port() (the TLS port) from Start to Stop, announcing
  // what `describe` says with port() as the port. Call after Listen. kIoError when the UDP
  // port cannot be bound.
  [[nodiscard]] Status EnableDiscovery(const std::string& host,
                                       DiscoveryResponder::Describe describe);
  uint64_t discovery_answers() const { return discovery_ ? discovery_->answered() : 0; }

  // --- borrowing (borrow_server.cc, docs/NETWORK.md "Borrowing") ---
  // Lends seats through `issuer`; the loans are kept in `table_path` (read now: kCorruptData
  // for a damaged file). `env` and `clock` must outlive the server. Without it, borrow and
  // borrow_return are refused (kWrongAccessMode). Call before Start.
  [[nodiscard]] Status EnableBorrowing(BorrowIssuer issuer, const std::string& table_path, Env* env,
                                       const Clock* clock);

 private:
  class Session;
  void Accept();
  void ScheduleExpiry();
  void Forget(Session* session);

  boost::asio::io_context& io_;
  ServerOptions options_;
  ItemLookup lookup_;
  std::unique_ptr<SslContext> ssl_;
  boost::asio::ip::tcp::acceptor acceptor_;
  boost::asio::steady_timer expiry_timer_;
  uint16_t port_ = 0;
  ServerCounters counters_;

  std::mutex table_mu_;
  SeatTable table_;  // guarded by table_mu_

  // The usage log: what each live lease was granted to, for its release or expiry record.
  void LogUsage(const UsageEvent& event);
  // Logs the end ("release" with `reason`) of a lease that was logged as granted, and
  // forgets it. `lock` holds table_mu_ and is released before the log's write (its fsync at
  // checkpoints must not block the table).
  void LogLeaseEnd(std::unique_lock<std::mutex>& lock, LeaseId lease, const char* reason);
  // The "grant" or "deny" record of an access by `client`. Needs table_mu_ held.
  UsageEvent AccessEvent(const char* event, ClientRef client, const AccessRequest& access,
                         const std::string& address, LeaseId lease, std::string reason);
  UsageLogSet* usage_log_ = nullptr;
  std::unordered_map<LeaseId, UsageEvent> usage_leases_;  // guarded by table_mu_

  // Crypt, units and first use (server_item_ops.cc).
  void HandleCrypt(ClientRef client, const ServerRequest& request, Reply reply);
  void HandleUnit(ClientRef client, const ServerRequest& request, Reply reply);
  void StartUsagePeriod(ClientRef client, uint64_t id, const FollowUp& follow_up,
                        nlohmann::json granted, Reply reply);
  ItemOps item_ops_;
  std::unique_ptr<DiscoveryResponder> discovery_;

  // Borrowing (borrow_server.cc).
  nlohmann::json HandleBorrow(ClientRef client, const std::string& address,
                              const ServerRequest& request);
  nlohmann::json HandleBorrowReturn(ClientRef client, const std::string& address,
                                    const ServerRequest& request);
  // Takes the seats lent out of `spec` (table_mu_ held).
  void SubtractBorrowed(ItemSpec& spec, uint32_t firm_code, uint32_t product_code);
  BorrowIssuer borrow_issuer_;
  std::unique_ptr<BorrowTable> borrows_;  // guarded by table_mu_; null: borrowing off

  std::mutex sessions_mu_;
  std::unordered_map<Session*, std::weak_ptr<Session>> sessions_;  // guarded by sessions_mu_
  bool stopping_ = false;                                          // guarded by sessions_mu_
};

}  // namespace licet::network

#endif  // LICET_NETWORK_SERVER_H_
