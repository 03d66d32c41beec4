#include "client/connection.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <bit>
#include <cstdlib>
#include <sched.h>
#include <cstring>
#include <exception>

#include "protocol/protocol.h"

namespace licet::client {

using nlohmann::json;
using Clock = std::chrono::steady_clock;

namespace {

constexpr int kMinTimeoutSeconds = 1;
constexpr int kMaxTimeoutSeconds = 3600;

std::string Errno(int err) { return std::string(strerror(err)); }

// 0 = not known yet (first use, or reset in a forked child).
std::atomic<pid_t> g_pid{0};

void ForgetPidInChild() { g_pid.store(0, std::memory_order_relaxed); }

// Responses up to this size are read with one recv(2); larger ones grow the buffer.
constexpr size_t kResponseBuffer = 4096;

// The smallest shared-memory region CallInPlace creates.
constexpr size_t kMinShmRegion = 256 * 1024;

// The layout CallInPlace uses when licetd publishes progress: the progress word alone in the
// first cache line (licetd's stores to it do not steal the lines the client copies), the data
// from the second.
constexpr uint64_t kShmProgressOffset = 0;
constexpr size_t kShmDataOffset = 64;

// How long CopyAsDone polls only the progress word (no system call) before it also looks at
// the socket now and then: about what an 8 KiB piece of AES-GCM takes (1.5 us here).
constexpr std::chrono::nanoseconds kPauseWindow{2000};

inline void CpuRelax() {
#if defined(__x86_64__) || defined(__i386__)
  __builtin_ia32_pause();
#endif
}

// After connect(2), the socket blocks, bounded by `timeout`: a request is then one send(2)
// and (for the usual small answer) one recv(2), with no poll(2) and no EAGAIN round.
Status MakeBlockingWithTimeout(int fd, std::chrono::milliseconds timeout) {
  int flags = ::fcntl(fd, F_GETFL);
  if (flags < 0 || ::fcntl(fd, F_SETFL, flags & ~O_NONBLOCK) != 0) {
    return Error(ErrorCode::kIoError, "fcntl: " + Errno(errno));
  }
  timeval tv{};
  tv.tv_sec = static_cast<time_t>(timeout.count() / 1000);
  tv.tv_usec = static_cast<suseconds_t>(timeout.count() % 1000 * 1000);
  if (::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv) != 0 ||
      ::setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv) != 0) {
    return Error(ErrorCode::kIoError, "setsockopt: " + Errno(errno));
  }
  return Status::Ok();
}

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

pid_t CurrentPid() {
  // Registered once, before the first pid is cached, so no fork can slip in between.
  static const bool registered = [] {
    ::pthread_atfork(nullptr, nullptr, ForgetPidInChild);
    return true;
  }();
  (void)registered;
  pid_t pid = g_pid.load(std::memory_order_relaxed);
  if (pid == 0) {
    pid = ::getpid();
    g_pid.store(pid, std::memory_order_relaxed);
  }
  return pid;
}

bool ShmFromEnvironment() {
  const char* env = std::getenv("LICET_SHM");
  return env == nullptr || std::strcmp(env, "0") != 0;
}

std::chrono::microseconds SpinFromEnvironment() {
  ConnectionOptions defaults;
  const char* env = std::getenv("LICET_SPIN_US");
  if (env == nullptr || *env == '\0') return defaults.spin;
  char* end = nullptr;
  errno = 0;
  long us = std::strtol(env, &end, 10);
  if (errno != 0 || end == env || *end != '\0' || us < 0 || us > kMaxSpinUs) return defaults.spin;
  return std::chrono::microseconds(us);
}

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
  if (connected.ok()) connected = MakeBlockingWithTimeout(fd, options.timeout);
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
    : owner_pid_(CurrentPid()), socket_path_(std::move(socket_path)), options_(std::move(options)), fd_(fd) {}

Connection::~Connection() {
  // In a forked child the parent's socket is not ours to use (AbandonInForkedChild closes
  // the child's copy); closing here is right only in the process that opened it.
  if (fd_ >= 0 && CurrentPid() == owner_pid_) ::close(fd_);
}

bool Connection::usable() const { return !broken_.load(std::memory_order_acquire); }

bool Connection::Probe() {
  if (CurrentPid() != owner_pid_) return false;
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
  if (auto shm = response.find("shm"); shm != response.end() && shm->is_boolean()) {
    shm_available_ = options_.use_shm && shm->get<bool>();
  }
  if (auto progress = response.find("shm_progress");
      progress != response.end() && progress->is_boolean()) {
    shm_progress_available_ = shm_available_ && progress->get<bool>();
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
      if (size > 0 && Clock::now() >= deadline) break;
      continue;
    }
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) break;  // SO_SNDTIMEO expired
    int err = errno;
    if (err == EPIPE || err == ECONNRESET) closed_by_peer_.store(true, std::memory_order_release);
    return Break(Error(ErrorCode::kUnavailable,
                       "writing to licetd at " + socket_path_ + " failed: " + Errno(err) +
                           (err == EPIPE || err == ECONNRESET ? " (did licetd stop or restart?)" : "")));
  }
  if (size == 0) return Status::Ok();
  return Break(Error(ErrorCode::kUnavailable, "licetd at " + socket_path_ +
                                                  " did not take the request within " +
                                                  Seconds(options_.timeout)));
}

ssize_t Connection::SpinRecv(size_t room) {
  // Sleeping in recv costs two context switches and, when licetd answers from another CPU, an
  // inter-processor wake-up (10-20 us on the VMs measured, docs/PERFORMANCE.md). Poll
  // instead while the answer is due, yielding between polls so that a licetd (or anything
  // else) runnable on this CPU is not held up.
  const Clock::time_point until = Clock::now() + options_.spin;
  for (;;) {
    ssize_t n = ::recv(fd_, in_.data(), room, MSG_DONTWAIT);
    if (n >= 0 || (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR)) return n;
    if (Clock::now() >= until) return -1;
    ::sched_yield();
  }
}

Result<ByteSpan> Connection::ReadFrame(Clock::time_point deadline) {
  if (in_.size() < kResponseBuffer) in_.resize(kResponseBuffer);
  size_t have = 0;
  size_t want = protocol::kFrameHeaderSize;  // the whole frame once its header is known
  bool header_known = false;
  for (;;) {
    if (!header_known && have >= protocol::kFrameHeaderSize) {
      auto length = protocol::DecodeFrameLength(ByteSpan(in_.data(), protocol::kFrameHeaderSize));
      if (!length.ok()) {
        return Break(length.status().WithContext("bad response from licetd at " + socket_path_));
      }
      header_known = true;
      want = protocol::kFrameHeaderSize + *length;
      if (in_.size() < want) in_.resize(want);
    }
    if (header_known && have >= want) break;
    // Before the header is known, read as much as fits: a small answer comes in one recv.
    const size_t room = header_known ? want - have : in_.size() - have;
    ssize_t n = -1;
    if (have == 0 && options_.spin.count() > 0) {
      // Adaptive: when the last poll ran out (licetd busy with other clients, or descheduled),
      // sleep at once for the next few calls instead of burning the CPU others need.
      if (spin_skip_ > 0) {
        --spin_skip_;
      } else {
        n = SpinRecv(room);
        if (n < 0) spin_skip_ = kSpinBackoffCalls;
      }
    }
    if (n < 0) n = ::recv(fd_, in_.data() + have, room, 0);
    if (n > 0) {
      have += static_cast<size_t>(n);
      if (!(header_known && have >= want) && Clock::now() >= deadline) {
        return Break(Error(ErrorCode::kUnavailable, "licetd at " + socket_path_ +
                                                        " did not answer within " +
                                                        Seconds(options_.timeout)));
      }
      continue;
    }
    if (n == 0 || (n < 0 && errno == ECONNRESET)) {
      closed_by_peer_.store(true, std::memory_order_release);
      return Break(Error(ErrorCode::kUnavailable, "licetd at " + socket_path_ +
                                                      " closed the connection (did it stop or restart?)"));
    }
    if (errno == EINTR) continue;
    if (errno == EAGAIN || errno == EWOULDBLOCK) {  // SO_RCVTIMEO expired
      return Break(Error(ErrorCode::kUnavailable, "licetd at " + socket_path_ +
                                                      " did not answer within " +
                                                      Seconds(options_.timeout)));
    }
    return Break(Error(ErrorCode::kUnavailable,
                       "reading from licetd at " + socket_path_ + " failed: " + Errno(errno)));
  }
  if (have != want) {
    // licetd answers one request with one frame and sends nothing unasked.
    return Break(Error(ErrorCode::kProtocolError,
                       "licetd at " + socket_path_ + " sent more than one answer"));
  }
  return ByteSpan(in_.data() + protocol::kFrameHeaderSize, want - protocol::kFrameHeaderSize);
}

Status Connection::CheckCaller(const json& request) const {
  if (CurrentPid() != owner_pid_) {
    // Checked before taking mu_: after fork() the child's copy of mu_ may be locked forever.
    return Error(ErrorCode::kUnavailable,
                 "this connection to licetd belongs to process " + std::to_string(owner_pid_) +
                     ", the parent of this forked process; licenses accessed before fork() "
                     "stay with the parent: access them again in the child");
  }
  if (!request.is_object() || !request.contains("op")) {
    return Error(ErrorCode::kInvalidArgument, "a licetd request is a map with an 'op'");
  }
  return Status::Ok();
}

Result<json> Connection::Call(json request) {
  LICET_RETURN_IF_ERROR(CheckCaller(request));
  std::lock_guard<std::mutex> lock(mu_);
  return Exchange(std::move(request), -1);
}

Status Connection::CallInPlace(json request, std::span<uint8_t> buf, bool copy_early,
                               const InPlaceCheck& check) {
  LICET_RETURN_IF_ERROR(CheckCaller(request));
  if (!shm_available_) return Error(ErrorCode::kInternal, "CallInPlace without shared memory");
  if (buf.size() > protocol::kMaxShmSize - kShmDataOffset) {
    return Error(ErrorCode::kInvalidArgument, "a buffer of " + std::to_string(buf.size()) +
                                                  " bytes exceeds the shared memory limit");
  }
  std::lock_guard<std::mutex> lock(mu_);
  if (fd_ < 0) return BrokenStatus();
  // Copying early means polling; not while polling is off or backing off (see ReadFrame), and
  // not while licetd answered from this CPU: polling here would keep it from running.
  const int cpu = shm_progress_available_ ? ::sched_getcpu() : -1;
  const bool streamed = copy_early && shm_progress_available_ && options_.spin.count() > 0 &&
                        spin_skip_ == 0 && !(cpu >= 0 && cpu == licetd_cpu_);
  const size_t offset = streamed ? kShmDataOffset : 0;
  if (!shm_ || shm_->size() < offset + buf.size()) {
    // Sized in powers of two so that a program that grows its buffers replaces it rarely.
    const size_t size = std::min<size_t>(
        protocol::kMaxShmSize, std::max(kMinShmRegion, std::bit_ceil(offset + buf.size())));
    shm_.reset();
    shm_attached_ = false;
    LICET_ASSIGN_OR_RETURN(shm_, protocol::ShmRegion::Create(size));
  }
  LICET_ASSIGN_OR_RETURN(std::span<uint8_t> region, shm_->Slice(offset, buf.size()));
  protocol::ShmCounter progress;
  if (streamed) {
    LICET_ASSIGN_OR_RETURN(progress, shm_->Counter(kShmProgressOffset, region, "shm_progress"));
    progress.Store(0);
    request["shm_progress"] = kShmProgressOffset;
  }
  if (!buf.empty()) std::memcpy(region.data(), buf.data(), buf.size());
  if (cpu >= 0) request["cpu"] = cpu;  // so licetd polls for our next request only from another CPU
  request["shm_offset"] = offset;
  request["shm_length"] = buf.size();
  int fd = -1;
  if (!shm_attached_) {
    request["shm_size"] = shm_->size();
    fd = shm_->fd();
  }
  // Zeroes what was copied back early when the call fails after all: the caller gets its
  // input or zeros, never a mix.
  size_t copied = 0;
  auto fail = [&](Status st) {
    if (copied > 0) std::memset(buf.data(), 0, buf.size());
    return st;
  };
  Status sent = Send(std::move(request), fd);
  if (!sent.ok()) return sent;
  shm_attached_ = true;  // licetd took the descriptor unless it answers an error (see below)
  if (streamed) copied = CopyAsDone(progress, region, buf);
  Result<json> response = Receive();
  licetd_cpu_ = -1;
  if (response.ok()) {
    if (auto where = response->find("cpu");
        where != response->end() && where->is_number_unsigned() && where->get<uint64_t>() < 65536) {
      licetd_cpu_ = static_cast<int>(where->get<uint64_t>());
    }
  }
  if (!response.ok()) {
    // A refused request may not have taken the region: send it again next time.
    if (fd >= 0) shm_attached_ = false;
    return fail(response.status());
  }
  Status checked = check(*response);
  if (!checked.ok()) return fail(checked);
  if (copied < buf.size())
    std::memcpy(buf.data() + copied, region.data() + copied, buf.size() - copied);
  return Status::Ok();
}

size_t Connection::CopyAsDone(const protocol::ShmCounter& progress, ByteSpan result,
                              std::span<uint8_t> buf) {
  // licetd stores how many bytes are finished after each piece (docs/PROTOCOL.md "Progress of
  // a shared-memory crypt"). Copying a piece while licetd works on the next hides the copy
  // behind the AES when the two run on different CPUs. The value is only a hint: clamped,
  // and never moves the copy backwards.
  size_t copied = 0;
  Clock::time_point last_move = Clock::now();
  unsigned idle = 0;  // polls since the last move
  while (copied < buf.size()) {
    const uint64_t done = std::min<uint64_t>(progress.Load(), buf.size());
    if (done > copied) {
      std::memcpy(buf.data() + copied, result.data() + copied, done - copied);
      copied = static_cast<size_t>(done);
      idle = 0;
      last_move = Clock::now();
      continue;
    }
    // No sched_yield here: with other processes runnable (a loaded machine) a yield gives the
    // CPU away for a whole time slice, milliseconds. licetd, busy with our request, runs on
    // the other CPU; if it shares ours, the spin runs out and the recv below sleeps.
    const Clock::duration still = Clock::now() - last_move;
    if (still >= options_.spin) {
      // licetd is slow to start or descheduled (a loaded machine): sleep for a few calls.
      spin_skip_ = kSpinBackoffCalls;
      break;
    }
    // licetd may have answered without progress (an error, or a crypt it relays): look now
    // and then.
    if (still >= kPauseWindow && ++idle % 64 == 0 && SocketReadable()) break;
    CpuRelax();
  }
  return copied;
}

bool Connection::SocketReadable() {
  uint8_t byte;
  ssize_t n = ::recv(fd_, &byte, 1, MSG_PEEK | MSG_DONTWAIT);
  return n >= 0 || (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR);
}

Result<json> Connection::Exchange(json request, int fd) {
  LICET_RETURN_IF_ERROR(Send(std::move(request), fd));
  return Receive();
}

Status Connection::Send(json request, int fd) {
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

  deadline_ = Clock::now() + options_.timeout;
  pending_id_ = id;
  if (fd >= 0) {
    Status sent = protocol::SendWithFd(fd_, frame, fd);
    if (!sent.ok()) {
      return Break(Error(ErrorCode::kUnavailable,
                         "writing to licetd at " + socket_path_ + " failed: " + sent.message()));
    }
    return Status::Ok();
  }
  return WriteAll(frame.data(), frame.size(), deadline_);
}

Result<json> Connection::Receive() {
  LICET_ASSIGN_OR_RETURN(ByteSpan body, ReadFrame(deadline_));
  auto decoded = protocol::DecodeMessage(body);
  // A big crypt answer leaves a big buffer behind; give the memory back.
  if (in_.size() > (1u << 20)) Bytes().swap(in_);
  if (!decoded.ok()) return Break(decoded.status().WithContext("bad response from licetd at " + socket_path_));
  json response = std::move(decoded).value();

  const uint64_t id = pending_id_;
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
