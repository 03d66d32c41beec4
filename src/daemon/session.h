// One client connection on the local socket: reads length-prefixed CBOR frames, hands each
// request to the Dispatcher, writes the responses in order (docs/PROTOCOL.md "Framing").
//
// A session handles one request at a time (a pipelining client's later requests wait in the
// socket buffer), so responses keep the order of requests without a queue. All its handlers
// run on the socket's strand; Reply() and Shutdown() may be called from any thread.
#ifndef LICET_DAEMON_SESSION_H_
#define LICET_DAEMON_SESSION_H_

#include <sys/socket.h>

#include <functional>
#include <memory>
#include <utility>

#include "common/bytes.h"
#include "daemon/asio.h"
#include "daemon/dispatcher.h"

namespace licet::daemon {

class Session final : public ReplySink, public std::enable_shared_from_this<Session> {
 public:
  using Socket = boost::asio::local::stream_protocol::socket;
  // Called once when the session has closed (the server forgets it).
  using OnClosed = std::function<void(Session*)>;

  // `socket` must have a strand as its executor. `dispatcher` and `metrics` outlive it.
  Session(Socket socket, Dispatcher* dispatcher, Metrics* metrics, const Peer& peer,
          OnClosed on_closed);
  ~Session() override;

  // Registers the connection with the dispatcher and starts reading.
  void Start();
  // Closes the connection once the request in progress, if any, has been answered.
  void Shutdown();
  // ReplySink: the answer of an asynchronous request.
  void Reply(nlohmann::json response) override;

 private:
  // Waits until the socket is readable, then Receive()s.
  void ReadMore();
  // One recvmsg into in_ (descriptors to pending_fd_), then ProcessBuffered().
  void Receive();
  // Makes room at the end of in_ (moves the unread bytes to the front, or grows it).
  void MakeRoom();
  // One non-blocking recvmsg into in_: the recvmsg result (errno set when negative).
  ssize_t ReceiveNow();
  // After a shared-memory crypt was answered: polls for the client's next request for at most
  // kCryptSpin (see session.cc). Returns what ReceiveNow returned last: > 0 when bytes came.
  ssize_t SpinForRequest();
  void TakeDescriptors(const msghdr& msg);
  void ProcessBuffered();
  // Sends a response. True when it went out at once and the session may go on with the next
  // request; false when an asynchronous write (or the close) takes over.
  bool Write(const nlohmann::json& response, bool close_after);
  void WriteDone(bool close_after);
  void Close();
  // True when bytes wait in the socket (the client sent them before a shutdown).
  bool SocketHasBytes();

  Socket socket_;
  Dispatcher* dispatcher_;
  Metrics* metrics_;
  ConnectionState conn_;
  OnClosed on_closed_;
  Bytes in_;  // received bytes in [begin_, end_)
  size_t begin_ = 0;
  size_t end_ = 0;
  Bytes out_;          // the response being written
  bool busy_ = false;  // a request is being handled or answered
  bool closing_ = false;
  bool closed_ = false;
  int pending_fd_ = -1;  // received with SCM_RIGHTS, not yet handed to a request
  bool spin_next_ = false;  // the last answer was a shared-memory crypt: poll for the next
  int spin_skip_ = 0;       // crypts left that do not poll, after a poll ran out
};

// SO_PEERCRED of a connected Unix socket; zeros when the kernel does not say.
Peer PeerOf(int fd);

}  // namespace licet::daemon

#endif  // LICET_DAEMON_SESSION_H_
