// The admin HTTP server (Boost.Beast): a listener hands each TCP connection to an AdminSession
// that reads requests with a timeout and a size limit and answers them with RouteAdmin.
#ifndef LICET_DAEMON_ADMIN_SERVER_H_
#define LICET_DAEMON_ADMIN_SERVER_H_

#include <memory>
#include <mutex>
#include <unordered_map>
#include <utility>

#include "common/status.h"
#include "daemon/admin_routes.h"
#include "daemon/asio.h"

namespace licet::daemon {

class AdminSession;

class AdminServer {
 public:
  // `io` outlives the server. `context.listen`/`port` are filled in by Listen().
  AdminServer(boost::asio::io_context& io, AdminContext context);
  AdminServer(const AdminServer&) = delete;
  AdminServer& operator=(const AdminServer&) = delete;

  // Binds and listens on `address` (port 0: the kernel picks one; see port()).
  // kIoError when the address is taken or cannot be bound.
  [[nodiscard]] Status Listen(const ListenAddress& address);
  uint16_t port() const { return port_; }

  void Start();
  // Stops accepting and closes every open admin connection.
  void Stop();
  // Replaces the allowed origins (SIGHUP). Thread-safe.
  void SetAllowedOrigins(std::vector<std::string> origins);

  // Answers one request (called by the sessions; thread-safe).
  AdminResponse Route(const AdminRequest& request);
  void Forget(AdminSession* session);

 private:
  void Accept();

  boost::asio::io_context& io_;
  boost::asio::ip::tcp::acceptor acceptor_;
  uint16_t port_ = 0;
  std::mutex mu_;
  AdminContext context_;                                                     // guarded by mu_
  std::unordered_map<AdminSession*, std::weak_ptr<AdminSession>> sessions_;  // guarded by mu_
  bool stopping_ = false;                                                    // guarded by mu_
};

}  // namespace licet::daemon

#endif  // LICET_DAEMON_ADMIN_SERVER_H_
