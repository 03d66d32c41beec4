#include "client/connection.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include <cstdlib>
#include <exception>

#include "protocol/protocol.h"

namespace licet::client {

using nlohmann::json;
using Clock = std::chrono::steady_clock;

namespace {

constexpr int kMinTimeoutSeconds = 1;
constexpr int kMaxTimeoutSeconds = 3600;

std::string Errno(int err) { return std::string(strerror(err)); }

// Milliseconds left until `deadline` for poll(2): never negative, rounded up so that a
// timeout is not reported a millisecond early.
int MillisLeft(Clock::time_point deadline) {
  auto left = std::chrono::ceil<std::chrono::milliseconds>(deadline - Clock::now()).count();
  if (left <= 0) return 0;
  return left > 60 * 60 * 1000 ? 60 * 60 * 1000 : static_cast<int>(left);
}

// Waits until `fd` is ready for `events`. False on timeout; EINTR restarts with the time left.
Result<bool> WaitFor(int fd, short events, Clock::time_point deadline) {
  for (;;) {
    pollfd p{fd, events, 0};
    int n = ::poll(&p, 1, MillisLeft(deadline));
    if (n > 0) return true;
    if (n == 0) {
      if (Clock::now() >= deadline) return false;
      continue;
    }
    if (errno == EINTR) continue;
    return Error(ErrorCode::kIoError, "poll: " + Errno(errno));
  }
}

std::string Seconds(std::chrono::milliseconds d) {
  auto ms = d.count();
  if (ms % 1000 == 0) return std::to_string(ms / 1000) + " s";
  return std::to_string(ms) + " ms";
}

// connect(2) on a non-blocking socket. A Unix socket connects at once or fails; EAGAIN means
// licetd's listen backlog is full, so we retry until the deadline. EINTR may leave the
// connect in progress: then we wait for writability and read SO_ERROR.
Status ConnectUnix(int fd, const sockaddr_un& addr, const std::string& path, Clock::time_point deadline) {
  for (;;) {
    if (::connect(fd, reinterpret_cast<const sockaddr*>(&addr), sizeof(addr)) == 0) {
      return Status::Ok();
    }
    int err = errno;
    if (err == EINTR || err == EINPROGRESS) {
      LICET_ASSIGN_OR_RETURN(bool ready, WaitFor(fd, POLLOUT, deadline));
      if (!ready) break;
      int so_error = 0;
      socklen_t len = sizeof(so_error);
      if (::getsockopt(fd, SOL_SOCKET, SO_ERROR, &so_error, &len) != 0) so_error = errno;
      if (so_error == 0) return Status::Ok();
      err = so_error;
    }
    if (err == EAGAIN) {
      if (Clock::now() >= deadline) break;
      timespec pause{0, 10 * 1000 * 1000};
      ::nanosleep(&pause, nullptr);
      continue;
    }
    if (err == ENOENT || err == ECONNREFUSED || err == ENOTDIR) {
      return Error(ErrorCode::kUnavailable,
                   "licetd is not running: " +
                       std::string(err == ECONNREFUSED ? "nothing listens on " : "no socket at ") +
                       path + " (start licetd, or set LICET_SOCKET to the socket it listens on)");
    }
    if (err == EACCES || err == EPERM) {
      return Error(ErrorCode::kPermissionDenied,
                   "permission denied connecting to licetd at " + path +
                       " (check the socket's owner and mode, or set LICET_SOCKET)");
    }
    return Error(ErrorCode::kUnavailable, "cannot connect to licetd at " + path + ": " + Errno(err));
  }
  return Error(ErrorCode::kUnavailable,
               "licetd at " + path + " did not accept the connection in time (is it overloaded?)");
}

}  // namespace

std::chrono::milliseconds TimeoutFromEnvironment() {
  ConnectionOptions defaults;
  const char* env = std::getenv("LICET_TIMEOUT");
  if (env == nullptr || *env == '\0') return defaults.timeout;
  char* end = nullptr;
  errno = 0;
  long seconds = std::strtol(env, &end, 10);
  if (errno != 0 || end == env || *end != '\0' || seconds < kMinTimeoutSeconds ||
      seconds > kMaxTimeoutSeconds) {
    return defaults.timeout;
  }
  return std::chrono::seconds(seconds);
}

Result<std::unique_ptr<Connection>> Connection::Open(const std::string& socket_path,
                                                     const ConnectionOptions& options) {
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  if (socket_path.empty() || socket_path.size() >= sizeof(addr.sun_path)) {
    return Error(ErrorCode::kInvalidArgument,
                 "licetd socket path '" + socket_path + "' is empty or longer than " +
                     std::to_string(sizeof(addr.sun_path) - 1) + " bytes");
  }
  memcpy(addr.sun_path, socket_path.data(), socket_path.size());

  int fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
  if (fd < 0) return Error(ErrorCode::kIoError, "socket: " + Errno(errno));
  Status connected = ConnectUnix(fd, addr, socket_path, Clock::now() + options.timeout);
  if (!connected.ok()) {
    ::close(fd);
    return connected;
  }
  std::unique_ptr<Connection> connection(new Connection(fd, socket_path, options));
  Status hello = connection->Hello();
  if (!hello.ok()) return hello;
  return connection;
}

Connection::Connection(int fd, std::string socket_path, ConnectionOptions options)
    : owner_pid_(::getpid()), socket_path_(std::move(socket_path)), options_(std::move(options)), fd_(fd) {}

Connection::~Connection() {
  // In a forked child the parent's socket is not ours to use (AbandonInForkedChild closes
  // the child's copy); closing here is right only in the process that opened it.
  if (fd_ >= 0 && ::getpid() == owner_pid_) ::close(fd_);
}

bool Connection::usable() const { return !broken_.load(std::memory_order_acquire); }

bool Connection::Probe() {
  if (::getpid() != owner_pid_) return false;
  std::unique_lock<std::mutex> lock(mu_, std::try_to_lock);
  if (!lock.owns_lock()) return usable();
  if (fd_ < 0) return false;
  pollfd p{fd_, POLLIN | POLLRDHUP, 0};
  int n;
  do {
    n = ::poll(&p, 1, 0);
  } while (n < 0 && errno == EINTR);
  if (n == 0) return true;
  Break(Error(ErrorCode::kUnavailable, "licetd at " + socket_path_ +
                                           " closed the connection (did it stop or restart?)"))
      .IgnoreError();
  return false;
}

void Connection::AbandonInForkedChild() {
  broken_.store(true, std::memory_order_release);
  if (fd_ >= 0) ::close(fd_);
  fd_ = -1;
}

Status Connection::Hello() {
  LICET_ASSIGN_OR_RETURN(json response,
                         Call({{"op", protocol::kOpHello},
                               {"version", protocol::kProtocolVersion},
                               {"client", options_.client_name}}));
  auto version = response.find("version");
  if (version == response.end() || !version->is_number_unsigned() ||
      version->get<uint64_t>() != protocol::kProtocolVersion) {
    std::lock_guard<std::mutex> lock(mu_);
    return Break(Error(ErrorCode::kUnsupportedVersion,
                       "licetd at " + socket_path_ + " speaks another protocol version than " +
                           std::to_string(protocol::kProtocolVersion) +
                           " (update liblicet or licetd so that they match)"));
  }
  if (auto server = response.find("server"); server != response.end() && server->is_string()) {
    server_ = server->get<std::string>();
  }
  if (auto home = response.find("home"); home != response.end() && home->is_string()) {
    home_ = home->get<std::string>();
  }
  return Status::Ok();
}

Status Connection::Break(Status why) {
  if (fd_ >= 0) ::close(fd_);
  fd_ = -1;
  broken_why_ = why.ToString();
  broken_.store(true, std::memory_order_release);
  return why;
}

Status Connection::BrokenStatus() const {
  return Error(ErrorCode::kUnavailable,
               "the connection to licetd at " + socket_path_ + " was lost (" + broken_why_ +
                   "); licetd released the licenses accessed on it: access them again");
}

Status Connection::WriteAll(const uint8_t* data, size_t size, Clock::time_point deadline) {
  while (size > 0) {
    ssize_t n = ::send(fd_, data, size, MSG_NOSIGNAL);  // no SIGPIPE into the application
    if (n > 0) {
      data += n;
      size -= static_cast<size_t>(n);
      continue;
    }
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
      auto ready = WaitFor(fd_, POLLOUT, deadline);
      if (!ready.ok()) return Break(ready.status());
      if (!*ready) {
        return Break(Error(ErrorCode::kUnavailable, "licetd at " + socket_path_ +
                                                        " did not take the request within " +
                                                        Seconds(options_.timeout)));
      }
      continue;
    }
    int err = errno;
    return Break(Error(ErrorCode::kUnavailable,
                       "writing to licetd at " + socket_path_ + " failed: " + Errno(err) +
                           (err == EPIPE || err == ECONNRESET ? " (did licetd stop or restart?)" : "")));
  }
  return Status::Ok();
}

Status Connection::ReadAll(uint8_t* data, size_t size, Clock::time_point deadline) {
  while (size > 0) {
    ssize_t n = ::recv(fd_, data, size, 0);
    if (n > 0) {
      data += n;
      size -= static_cast<size_t>(n);
      continue;
    }
    if (n == 0) {
      return Break(Error(ErrorCode::kUnavailable, "licetd at " + socket_path_ +
                                                      " closed the connection (did it stop or restart?)"));
    }
    if (errno == EINTR) continue;
    if (errno == EAGAIN || errno == EWOULDBLOCK) {
      auto ready = WaitFor(fd_, POLLIN, deadline);
      if (!ready.ok()) return Break(ready.status());
      if (!*ready) {
        return Break(Error(ErrorCode::kUnavailable, "licetd at " + socket_path_ +
                                                        " did not answer within " +
                                                        Seconds(options_.timeout)));
      }
      continue;
    }
    return Break(Error(ErrorCode::kUnavailable,
                       "reading from licetd at " + socket_path_ + " failed: " + Errno(errno)));
  }
  return Status::Ok();
}

Result<json> Connection::Call(json request) {
  if (::getpid() != owner_pid_) {
    // Checked before taking mu_: after fork() the child's copy of mu_ may be locked forever.
    return Error(ErrorCode::kUnavailable,
                 "this connection to licetd belongs to process " + std::to_string(owner_pid_) +
                     ", the parent of this forked process; licenses accessed before fork() "
                     "stay with the parent: access them again in the child");
  }
  if (!request.is_object() || !request.contains("op")) {
    return Error(ErrorCode::kInvalidArgument, "a licetd request is a map with an 'op'");
  }
  std::lock_guard<std::mutex> lock(mu_);
  if (fd_ < 0) return BrokenStatus();

  const uint64_t id = next_id_++;
  request["id"] = id;
  Bytes frame;
  try {
    frame = protocol::EncodeFrame(request);
  } catch (const std::exception& e) {
    return Error(ErrorCode::kInternal, std::string("cannot encode request: ") + e.what());
  }
  if (frame.size() - protocol::kFrameHeaderSize > protocol::kMaxFrameSize) {
    return Error(ErrorCode::kInvalidArgument,
                 "request of " + std::to_string(frame.size()) + " bytes exceeds the protocol limit of " +
                     std::to_string(protocol::kMaxFrameSize) + " bytes");
  }

  const Clock::time_point deadline = Clock::now() + options_.timeout;
  LICET_RETURN_IF_ERROR(WriteAll(frame.data(), frame.size(), deadline));
  uint8_t header[protocol::kFrameHeaderSize];
  LICET_RETURN_IF_ERROR(ReadAll(header, sizeof(header), deadline));
  auto length = protocol::DecodeFrameLength(header);
  if (!length.ok()) return Break(length.status().WithContext("bad response from licetd at " + socket_path_));
  Bytes body(*length);
  LICET_RETURN_IF_ERROR(ReadAll(body.data(), body.size(), deadline));
  auto decoded = protocol::DecodeMessage(body);
  if (!decoded.ok()) return Break(decoded.status().WithContext("bad response from licetd at " + socket_path_));
  json response = std::move(decoded).value();

  auto response_id = response.find("id");
  if (response_id == response.end() || !response_id->is_number_unsigned() ||
      response_id->get<uint64_t>() != id) {
    return Break(Error(ErrorCode::kProtocolError, "licetd at " + socket_path_ +
                                                      " answered another request than " +
                                                      std::to_string(id)));
  }
  Status status = protocol::ResponseStatus(response);
  if (status.code() == ErrorCode::kProtocolError) {
    // licetd closes the connection after a protocol error (docs/PROTOCOL.md).
    return Break(status);
  }
  if (!status.ok()) return status;
  return response;
}

}  // namespace licet::client
