#include "daemon/session.h"

#include <sched.h>
#include <spdlog/spdlog.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <optional>

#include "protocol/protocol.h"

namespace licet::daemon {
namespace {

constexpr size_t kInitialBuffer = 64 * 1024;
// Descriptors accepted with one recvmsg; more are closed by the kernel (MSG_CTRUNC).
constexpr size_t kMaxFdsPerMessage = 4;

// A program that encrypts a stream calls licet_crypt back to back. When licetd sleeps in
// epoll_wait between the calls, each call pays for waking licetd's CPU (10-20 us on the VMs
// measured, docs/PERFORMANCE.md, as much as the AES-GCM of 64 KiB). So after answering a
// shared-memory crypt of a client on another CPU, the io thread polls that socket for this
// long before going back to epoll. Other sessions wait meanwhile, at most this long per
// crypt; a poll that runs out makes the session skip polling for the next kCryptSpinBackoff
// crypts, so a program that crypts now and then costs nothing.
constexpr std::chrono::microseconds kCryptSpin{50};
constexpr int kCryptSpinBackoff = 16;

inline void CpuRelax() {
#if defined(__x86_64__) || defined(__i386__)
  __builtin_ia32_pause();
#endif
}

// For a crypt whose bytes are in shared memory (the ones that are cheap enough for polling to
// pay): the CPU its client said it runs on ('cpu', docs/PROTOCOL.md "Progress of a
// shared-memory crypt"); nullopt for anything else.
std::optional<uint64_t> ShmCryptClientCpu(const nlohmann::json& message) {
  auto op = message.find("op");
  if (op == message.end() || !op->is_string() ||
      op->get_ref<const std::string&>() != protocol::kOpCrypt || !message.contains("shm_offset")) {
    return std::nullopt;
  }
  auto cpu = message.find("cpu");
  if (cpu == message.end() || !cpu->is_number_unsigned()) return std::nullopt;
  return cpu->get<uint64_t>();
}

}  // namespace

Peer PeerOf(int fd) {
  Peer peer;
  struct ucred cred {};
  socklen_t len = sizeof cred;
  if (::getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) == 0) {
    peer.pid = cred.pid;
    peer.uid = cred.uid;
    peer.gid = cred.gid;
  }
  return peer;
}

Session::Session(Socket socket, Dispatcher* dispatcher, Metrics* metrics, const Peer& peer,
                 OnClosed on_closed)
    : socket_(std::move(socket)),
      dispatcher_(dispatcher),
      metrics_(metrics),
      on_closed_(std::move(on_closed)),
      in_(kInitialBuffer) {
  conn_.peer = peer;
}

Session::~Session() {
  // Normally Close() ran already; this covers a session destroyed with its io_context.
  if (!closed_) dispatcher_->Close(conn_.id);
  if (pending_fd_ >= 0) ::close(pending_fd_);
}

void Session::Start() {
  conn_ = dispatcher_->Open(conn_.peer);
  boost::system::error_code ignored;
  socket_.non_blocking(true, ignored);  // Write() sends without blocking the io thread
  boost::asio::dispatch(socket_.get_executor(), [self = shared_from_this()] { self->ReadMore(); });
}

void Session::Shutdown() {
  boost::asio::post(socket_.get_executor(), [self = shared_from_this()] {
    self->closing_ = true;
    // Requests the client sent before the shutdown are still answered: when bytes wait in
    // the socket, the pending read completes with them and ProcessBuffered closes afterwards.
    if (!self->busy_ && !self->SocketHasBytes()) self->Close();
  });
}

bool Session::SocketHasBytes() {
  boost::system::error_code ec;
  size_t pending = socket_.available(ec);
  return !ec && pending > 0;
}

void Session::Reply(nlohmann::json response) {
  boost::asio::post(socket_.get_executor(), [self = shared_from_this(), r = std::move(response)] {
    if (self->Write(r, false)) self->ProcessBuffered();
  });
}

void Session::MakeRoom() {
  if (begin_ == end_) begin_ = end_ = 0;
  if (end_ == in_.size()) {
    if (begin_ > 0) {
      std::memmove(in_.data(), in_.data() + begin_, end_ - begin_);
      end_ -= begin_;
      begin_ = 0;
    } else {
      // A frame larger than the buffer is coming (its header was checked): grow as its bytes
      // arrive, not to the announced size at once, so that announcing 16 MiB costs nothing.
      in_.resize(std::min(in_.size() * 2, protocol::kFrameHeaderSize + protocol::kMaxFrameSize));
    }
  }
}

void Session::ReadMore() {
  if (closed_) return;
  MakeRoom();
  // recvmsg(2) ourselves instead of async_read_some, because a crypt request may carry a
  // shared-memory descriptor (SCM_RIGHTS) that a plain recv would drop. Waiting first costs
  // an epoll_ctl where Asio's speculative recv costs a recv that finds nothing: measured the
  // same, and the same number of system calls per request.
  socket_.async_wait(Socket::wait_read, [self = shared_from_this()](const boost::system::error_code& ec) {
    if (ec) return self->Close();
    self->Receive();
  });
}

void Session::Receive() {
  if (closed_) return;
  const ssize_t n = ReceiveNow();
  if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) return ReadMore();  // spurious wake-up
  if (n <= 0) return Close();  // EOF (the client closed or died) or an error
  ProcessBuffered();
}

ssize_t Session::SpinForRequest() {
  const auto until = std::chrono::steady_clock::now() + kCryptSpin;
  for (;;) {
    MakeRoom();
    const ssize_t n = ReceiveNow();
    if (n >= 0 || (errno != EAGAIN && errno != EWOULDBLOCK)) return n;
    if (std::chrono::steady_clock::now() >= until) {
      spin_skip_ = kCryptSpinBackoff;
      return n;
    }
    // No sched_yield: on a loaded machine it hands the CPU to another process for a whole
    // time slice. A pause between polls leaves the system call rate reasonable.
    for (int i = 0; i < 16; ++i) CpuRelax();
  }
}

ssize_t Session::ReceiveNow() {
  alignas(cmsghdr) char control[CMSG_SPACE(sizeof(int) * kMaxFdsPerMessage)];
  iovec iov{in_.data() + end_, in_.size() - end_};
  msghdr msg{};
  msg.msg_iov = &iov;
  msg.msg_iovlen = 1;
  msg.msg_control = control;
  msg.msg_controllen = sizeof control;
  ssize_t n;
  do {
    n = ::recvmsg(socket_.native_handle(), &msg, MSG_DONTWAIT | MSG_CMSG_CLOEXEC);
  } while (n < 0 && errno == EINTR);
  const int err = errno;
  TakeDescriptors(msg);
  if (n > 0) end_ += static_cast<size_t>(n);
  errno = err;
  return n;
}

void Session::TakeDescriptors(const msghdr& msg) {
  for (const cmsghdr* c = CMSG_FIRSTHDR(&msg); c != nullptr;
       c = CMSG_NXTHDR(const_cast<msghdr*>(&msg), const_cast<cmsghdr*>(c))) {
    if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS) continue;
    const size_t count = (c->cmsg_len - CMSG_LEN(0)) / sizeof(int);
    for (size_t i = 0; i < count; ++i) {
      int fd;
      std::memcpy(&fd, CMSG_DATA(c) + i * sizeof(int), sizeof fd);
      // One descriptor per request is all the protocol uses: keep the latest.
      if (pending_fd_ >= 0) ::close(pending_fd_);
      pending_fd_ = fd;
    }
  }
}

void Session::ProcessBuffered() {
  // A loop, not recursion: a client that pipelines many requests gets them answered one by
  // one without growing the stack.
  for (;;) {
    if (closed_) return;
    const size_t available = end_ - begin_;
    if (available < protocol::kFrameHeaderSize) {
      if (closing_ && !SocketHasBytes()) return Close();
      if (spin_next_ && !closing_) {
        spin_next_ = false;
        const ssize_t n = SpinForRequest();
        if (n > 0) continue;
        if (n == 0 || (errno != EAGAIN && errno != EWOULDBLOCK)) return Close();
      }
      return ReadMore();
    }
    auto length =
        protocol::DecodeFrameLength(ByteSpan(in_.data() + begin_, protocol::kFrameHeaderSize));
    if (!length.ok()) {
      metrics_->ProtocolError();
      busy_ = true;
      Write(protocol::ErrorResponse(0, length.status()), /*close_after=*/true);
      return;
    }
    const size_t frame = protocol::kFrameHeaderSize + *length;
    if (available < frame) {
      if (closing_ && !SocketHasBytes()) return Close();  // the rest may never come
      if (begin_ > 0 && in_.size() - begin_ < frame) {
        // Move the partial frame to the front; ReadMore grows the buffer as it fills.
        std::memmove(in_.data(), in_.data() + begin_, available);
        begin_ = 0;
        end_ = available;
      }
      return ReadMore();
    }
    ByteSpan body(in_.data() + begin_ + protocol::kFrameHeaderSize, *length);
    auto message = protocol::DecodeMessage(body);
    begin_ += frame;
    busy_ = true;
    if (!message.ok()) {
      metrics_->ProtocolError();
      Write(protocol::ErrorResponse(0, message.status()), /*close_after=*/true);
      return;
    }
    // A descriptor belongs to the request whose bytes it came with: the client sends the
    // frame that carries it as one sendmsg and waits for the answer before the next.
    conn_.received_fd = pending_fd_;
    pending_fd_ = -1;
    // Polling for the next crypt pays only when the client runs on another CPU: on ours it
    // would keep the client from running. Clients that say where they run ('cpu') get it.
    const std::optional<uint64_t> client_cpu = ShmCryptClientCpu(*message);
    auto response = dispatcher_->Handle(conn_, *message, shared_from_this());
    if (conn_.received_fd >= 0) {
      ::close(conn_.received_fd);  // not taken by the request
      conn_.received_fd = -1;
    }
    if (!response) return;  // Reply() writes the answer when it is ready
    bool spin = false;
    if (client_cpu) {
      const int cpu = ::sched_getcpu();
      if (cpu >= 0) (*response)["cpu"] = cpu;
      if (cpu >= 0 && static_cast<uint64_t>(cpu) != *client_cpu) {
        if (spin_skip_ > 0) {
          --spin_skip_;
        } else {
          spin = true;
        }
      }
    }
    if (!Write(*response, false)) return;  // the write completes asynchronously
    spin_next_ = spin;
  }
}

bool Session::Write(const nlohmann::json& response, bool close_after) {
  if (closed_) return false;
  out_.resize(protocol::kFrameHeaderSize);
  nlohmann::json::to_cbor(response, out_);
  const size_t n = out_.size() - protocol::kFrameHeaderSize;
  out_[0] = static_cast<uint8_t>(n >> 24);
  out_[1] = static_cast<uint8_t>(n >> 16);
  out_[2] = static_cast<uint8_t>(n >> 8);
  out_[3] = static_cast<uint8_t>(n);
  // Most responses fit the socket buffer: send them now, which saves a trip through the
  // io_context (a queued completion and an extra epoll_wait) per request.
  boost::system::error_code ec;
  size_t sent = socket_.write_some(boost::asio::buffer(out_), ec);
  if (ec == boost::asio::error::would_block || ec == boost::asio::error::try_again) {
    ec = {};
    sent = 0;
  }
  if (!ec && sent == out_.size()) {
    WriteDone(close_after);
    return !closed_;
  }
  if (ec) {
    Close();
    return false;
  }
  boost::asio::async_write(
      socket_, boost::asio::buffer(out_.data() + sent, out_.size() - sent),
      [self = shared_from_this(), close_after](const boost::system::error_code& error, size_t) {
        if (error) return self->Close();
        self->WriteDone(close_after);
        self->ProcessBuffered();  // also closes when shutting down and nothing is left
      });
  return false;
}

void Session::WriteDone(bool close_after) {
  busy_ = false;
  // A big crypt response leaves big buffers behind; give the memory back.
  if (out_.capacity() > (1u << 20)) Bytes().swap(out_);
  if (begin_ == end_ && in_.size() > (1u << 20)) {
    Bytes(kInitialBuffer).swap(in_);
    begin_ = end_ = 0;
  }
  if (close_after) Close();
}

void Session::Close() {
  if (closed_) return;
  closed_ = true;
  if (pending_fd_ >= 0) ::close(pending_fd_);
  pending_fd_ = -1;
  conn_.shm.reset();
  boost::system::error_code ignored;
  socket_.shutdown(Socket::shutdown_both, ignored);
  socket_.close(ignored);
  dispatcher_->Close(conn_.id);
  if (on_closed_) on_closed_(this);
}

}  // namespace licet::daemon
