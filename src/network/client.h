// The client side of the network protocol (docs/NETWORK.md "Client"): one TLS connection to
// one network server at a time, multiplexing every access of its owner (a client licetd, or a
// load driver), with heartbeats, fallback through the server list and transparent reclaim.
//
// The owner sees tickets, not server leases: a ticket stays valid across reconnects. When the
// connection drops (server restart, network blip) the client reconnects (servers in order,
// with back-off) under the same client id and asks for every held ticket again with
// `reclaim`; a ticket the server can no longer grant is marked lost with the server's reason
// (TicketStatus), and the OnLost callback fires.
//
// Thread-safe: every public call posts to the client's strand; callbacks run on that strand.
#ifndef LICET_NETWORK_CLIENT_H_
#define LICET_NETWORK_CLIENT_H_

#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "common/status.h"
#include "network/asio_ssl.h"
#include "network/tls.h"
#include "network/wire.h"

namespace licet::network {

struct ServerAddress {
  std::string host;
  uint16_t port = kDefaultPort;
  std::string ToString() const;
};

// "host", "host:port", "[v6]" or "[v6]:port". kInvalidArgument otherwise.
[[nodiscard]] Result<ServerAddress> ParseServerAddress(const std::string& text);
// A comma-separated list of those (LICET_SERVERS); empty items are skipped.
[[nodiscard]] Result<std::vector<ServerAddress>> ParseServerList(const std::string& text);

struct ClientOptions {
  std::vector<ServerAddress> servers;  // tried in order
  ClientTlsConfig tls;
  Bytes client_id;             // kClientIdSize bytes; random when empty
  std::string host;            // this machine's name
  std::string machine;         // this machine's identity (STATION_SHARE)
  int connect_timeout = 5;     // seconds per server for TCP + TLS + hello
  int request_timeout = 10;    // seconds for an answer
  int heartbeat_interval = 0;  // seconds; 0: a third of the server's lease timeout
  // Discovery (discovery.h): when set and `servers` is empty, every connect first asks it
  // for the servers to try, in order (its callback may run on any thread). Trust is still
  // `tls`'s: a discovered server must present a pinned or CA-signed certificate.
  using Discover = std::function<void(std::function<void(std::vector<ServerAddress>)>)>;
  Discover discover;
};

using TicketId = uint64_t;

class Client : public std::enable_shared_from_this<Client> {
 public:
  using AccessDone = std::function<void(Result<TicketId>, const Grant&)>;
  using Done = std::function<void(Status)>;
  using StatusDone = std::function<void(Result<nlohmann::json>)>;
  using OnLost = std::function<void(TicketId, const Status&)>;

  // kInvalidArgument for no servers or no trust anchor; TLS context errors.
  [[nodiscard]] static Result<std::shared_ptr<Client>> Create(boost::asio::io_context& io,
                                                              ClientOptions options);
  ~Client();

  // Asks the server for a seat; `done` gets a ticket, or the server's refusal, or
  // kServerNotFound when no server could be reached (the message lists what was tried and
  // why), or kUnavailable when the connection dropped before the answer.
  void Access(AccessRequest request, AccessDone done);
  // Gives a ticket's seat back (also for a lost ticket, which is then just forgotten).
  void Release(TicketId ticket, Done done);
  // The server's lease table (`licet network status`).
  void QueryStatus(StatusDone done);
  // --- crypt and units on a ticket's lease (client_item_ops.cc) ---
  using CryptDone = std::function<void(Result<CryptAnswer>)>;
  using UnitsDone = std::function<void(Result<uint64_t>)>;
  // Crypts with the item of a held ticket on the server. kInvalidArgument for an unknown
  // ticket or more than kMaxNetworkCryptData bytes; the lost reason for a lost ticket; the
  // server's refusal; kUnavailable when the connection dropped before the answer.
  void Crypt(TicketId ticket, CryptRequest request, CryptDone done);
  // Decrements the units of a held ticket's item on the server, which answers once the new
  // count is on its disk; `done` gets the units left (or kNoMoreUnits ...). Same errors.
  void Units(TicketId ticket, uint64_t decrement, UnitsDone done);

  // --- borrowing (borrow_client.cc) ---
  using BorrowDone = std::function<void(Result<BorrowGrant>)>;
  // Borrows a seat for days: the server's signed entry, or its refusal, kServerNotFound,
  // kUnavailable as for Access.
  void Borrow(BorrowRequest request, BorrowDone done);
  // Gives a borrowed seat back (the proof: borrow_wire.h). The server's refusal or OK.
  void BorrowReturn(BorrowReturnRequest request, Done done);

  // Called when a held ticket could not be reclaimed after a reconnect.
  void SetOnLost(OnLost on_lost);
  // Closes the connection; pending calls fail with kUnavailable. Held tickets are not released
  // (the server frees them after the lease timeout).
  void Close();

  // OK while the ticket is held; the reason once it is lost; kInvalidArgument when unknown.
  Status TicketStatus(TicketId ticket);
  size_t held_tickets();
  // The server now connected ("" when none).
  std::string connected_server();

 private:
  class Connection;
  struct Ticket {
    AccessRequest request;
    uint64_t lease = 0;  // the server's lease; 0 while being reclaimed
    Status lost;         // non-OK once lost
  };
  struct Pending {
    NetOp op;
    nlohmann::json message;  // without "id"
    std::function<void(Result<ClientResponse>)> done;
  };
  // A request for Submit or Connection::Send from an `Encode*(0, ...)` message: the connection
  // numbers the requests itself, so the placeholder id goes.
  static Pending MakePending(NetOp op, nlohmann::json message);

  Client(boost::asio::io_context& io, ClientOptions options, std::unique_ptr<SslContext> ssl);
  void Submit(Pending p);
  void Connect();
  void TryServer(size_t index, std::string failures);
  void OnConnected(std::shared_ptr<Connection> connection, int64_t lease_timeout);
  void OnDisconnected(const Connection* connection, const Status& why);
  void Reclaim();
  void ScheduleHeartbeat();
  void FailQueued(const Status& st);
  // Asks options_.discover for the servers, then tries them (client_item_ops.cc).
  void Rediscover();
  // The server lease of a held ticket, or why there is none. Strand only.
  [[nodiscard]] Result<uint64_t> LeaseOf(TicketId ticket) const;

  boost::asio::io_context& io_;
  boost::asio::strand<boost::asio::io_context::executor_type> strand_;
  ClientOptions options_;
  std::unique_ptr<SslContext> ssl_;
  boost::asio::steady_timer heartbeat_timer_;
  boost::asio::steady_timer retry_timer_;

  // Strand state.
  std::shared_ptr<Connection> connection_;  // set while connected (hello done)
  bool connecting_ = false;
  bool closed_ = false;
  int retry_delay_ms_ = 0;
  int64_t lease_timeout_ = 120;
  std::deque<Pending> queued_;  // waiting for a connection
  std::map<TicketId, Ticket> tickets_;
  TicketId next_ticket_ = 1;
  OnLost on_lost_;

  // Read from other threads.
  std::mutex mu_;
  std::string connected_server_;              // guarded by mu_
  std::map<TicketId, Status> ticket_status_;  // guarded by mu_
};

}  // namespace licet::network

#endif  // LICET_NETWORK_CLIENT_H_
