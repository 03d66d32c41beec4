// The local API listener: a Unix stream socket (docs/PROTOCOL.md "Transport") that hands each
// connection to a Session.
#ifndef LICET_DAEMON_LOCAL_SERVER_H_
#define LICET_DAEMON_LOCAL_SERVER_H_

#include <mutex>
#include <string>
#include <unordered_map>
#include <utility>

#include "common/env.h"
#include "common/status.h"
#include "daemon/asio.h"
#include "daemon/dispatcher.h"
#include "daemon/session.h"

namespace licet::daemon {

class LocalServer {
 public:
  // `io`, `dispatcher` and `metrics` must outlive the server.
  LocalServer(boost::asio::io_context& io, Dispatcher* dispatcher, Metrics* metrics);
  ~LocalServer();
  LocalServer(const LocalServer&) = delete;
  LocalServer& operator=(const LocalServer&) = delete;

  // Takes `path`: creates its directory (0755 for root, so that every user reaches the socket,
  // else 0700), holds an flock on "<path>.lock" for the life of the server (kAlreadyExists:
  // "another licetd is running" when it is held, or when something answers on the socket),
  // removes a stale socket, binds and listens. The socket is 0666 for root (access rules
  // decide who may do what), else 0600.
  [[nodiscard]] Status Listen(const std::string& path);

  // Starts accepting connections.
  void Start();
  // Stops accepting and asks every session to close after answering its current request.
  void Stop();
  // Removes the socket file if it is still the one this server bound.
  void RemoveSocket();

  size_t session_count();

 private:
  void Accept();

  boost::asio::io_context& io_;
  boost::asio::local::stream_protocol::acceptor acceptor_;
  Dispatcher* dispatcher_;
  Metrics* metrics_;
  std::string path_;
  int lock_fd_ = -1;
  uint64_t socket_inode_ = 0;
  std::mutex mu_;
  std::unordered_map<Session*, std::weak_ptr<Session>> sessions_;  // guarded by mu_
  bool stopping_ = false;                                          // guarded by mu_
};

}  // namespace licet::daemon

#endif  // LICET_DAEMON_LOCAL_SERVER_H_
