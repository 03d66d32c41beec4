// Network licenses on the client side of licetd: the handles of accesses with where = LAN,
// LOCAL_LAN or LAN_LOCAL that a network server granted (docs/NETWORK.md "Relay").
//
// licetd keeps one network::Client (one TLS connection per server, heartbeats, reclaim after a
// reconnect) for every local application. A LAN handle is a number from kFirstHandle up, so the
// dispatcher tells it from a local lease by its value; it is usable only on the local
// connection that made it, and is released on the server when that connection closes.
//
// Thread-safe.
#ifndef LICET_DAEMON_LAN_ACCESS_H_
#define LICET_DAEMON_LAN_ACCESS_H_

#include <functional>
#include <memory>
#include <mutex>
#include <nlohmann/json.hpp>
#include <string>
#include <unordered_map>

#include "daemon/lease_manager.h"
#include "network/client.h"

namespace licet::daemon {

class LanAccess {
 public:
  static constexpr HandleId kFirstHandle = HandleId{1} << 62;
  static bool IsLanHandle(HandleId handle) { return handle >= kFirstHandle; }

  explicit LanAccess(std::shared_ptr<network::Client> client);
  ~LanAccess();
  LanAccess(const LanAccess&) = delete;
  LanAccess& operator=(const LanAccess&) = delete;

  using Done = std::function<void(Result<network::TicketId>, const network::Grant&)>;
  // Closes the connection to the server (licetd stops); seats are freed by their timeout
  // unless released before.
  void Close() { client_->Close(); }

  // Asks the network server for a seat; `done` runs on a network thread.
  void Request(const network::AccessRequest& request, Done done);

  // Makes a handle of a granted ticket for local connection `connection`.
  HandleId Register(ConnectionId connection, network::TicketId ticket, const network::Grant& grant);
  // Gives a ticket back that no handle will own (the local client went away meanwhile).
  void Drop(network::TicketId ticket);

  // Releases a handle of `connection`. kInvalidArgument when it holds no such handle.
  [[nodiscard]] Status Release(ConnectionId connection, HandleId handle);
  // The serial and item map of a handle; the server's reason when its seat was lost (the
  // server restarted and all seats were taken meanwhile); kInvalidArgument when unknown.
  [[nodiscard]] Result<std::pair<std::string, nlohmann::json>> Info(ConnectionId connection,
                                                                    HandleId handle);
  // Crypt and units on a handle's seat, done by the server (docs/NETWORK.md "Crypt and
  // units"); `done` runs on a network thread. kInvalidArgument when `connection` holds no
  // such handle.
  void Crypt(ConnectionId connection, HandleId handle, network::CryptRequest request,
             network::Client::CryptDone done);
  void Units(ConnectionId connection, HandleId handle, uint64_t decrement,
             network::Client::UnitsDone done);

  // Releases every handle of a closed local connection.
  void CloseConnection(ConnectionId connection);

  // {"server": connected server or "", "handles": n} for the status page.
  nlohmann::json StatusJson();
  // The server's lease table, asked over the network (`licet network status`).
  void QueryServer(std::function<void(Result<nlohmann::json>)> done);

 private:
  struct Held {
    ConnectionId connection = 0;
    network::TicketId ticket = 0;
    std::string serial;
    nlohmann::json item;
  };

  // The server ticket of `handle`; kInvalidArgument unless `connection` holds it.
  [[nodiscard]] Result<network::TicketId> TicketOf(ConnectionId connection, HandleId handle);

  std::shared_ptr<network::Client> client_;
  std::mutex mu_;
  HandleId next_handle_ = kFirstHandle;         // guarded by mu_
  std::unordered_map<HandleId, Held> handles_;  // guarded by mu_
};

// This machine's name (gethostname) and identity (/etc/machine-id, else the host name), as
// the network client announces them.
std::string LocalHostName();
std::string LocalMachineIdentity();
// The user name of `uid` ("uid:N" when it has none).
std::string UserName(uid_t uid);

}  // namespace licet::daemon

#endif  // LICET_DAEMON_LAN_ACCESS_H_
