#include "daemon/local_server.h"

#include <fcntl.h>
#include <spdlog/spdlog.h>
#include <sys/file.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace licet::daemon {
namespace {

Status Errno(ErrorCode code, const std::string& what) {
  return Error(code, what + ": " + std::strerror(errno));
}

// True when a server accepts connections on `path` right now.
bool SomeoneAnswers(const std::string& path) {
  int fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return false;
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  std::strncpy(addr.sun_path, path.c_str(), sizeof addr.sun_path - 1);
  bool answered = ::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0;
  ::close(fd);
  return answered;
}

}  // namespace

LocalServer::LocalServer(boost::asio::io_context& io, Dispatcher* dispatcher, Metrics* metrics)
    : io_(io), acceptor_(io), dispatcher_(dispatcher), metrics_(metrics) {}

LocalServer::~LocalServer() {
  if (lock_fd_ >= 0) ::close(lock_fd_);
}

Status LocalServer::Listen(const std::string& path) {
  if (path.empty() || path.size() >= sizeof(sockaddr_un{}.sun_path)) {
    return Error(ErrorCode::kInvalidArgument, "socket path '" + path + "' is empty or too long");
  }
  const bool root = ::geteuid() == 0;
  LICET_RETURN_IF_ERROR(Env::Default()
                            .CreateDirectories(DirName(path), root ? 0755 : 0700)
                            .WithContext("cannot create the socket directory"));
  const std::string lock_path = path + ".lock";
  lock_fd_ = ::open(lock_path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600);
  if (lock_fd_ < 0) return Errno(ErrorCode::kIoError, "cannot open " + lock_path);
  if (::flock(lock_fd_, LOCK_EX | LOCK_NB) != 0) {
    if (errno == EWOULDBLOCK) {
      return Error(ErrorCode::kAlreadyExists,
                   "another licetd is running on " + path + " (it holds " + lock_path + ")");
    }
    return Errno(ErrorCode::kIoError, "cannot lock " + lock_path);
  }
  struct stat st {};
  if (::lstat(path.c_str(), &st) == 0) {
    if (!S_ISSOCK(st.st_mode)) {
      return Error(ErrorCode::kAlreadyExists,
                   path + " exists and is not a socket; not removing it");
    }
    // A licetd of another build (without the lock file) may still be serving it.
    if (SomeoneAnswers(path)) {
      return Error(ErrorCode::kAlreadyExists, "another licetd answers on " + path);
    }
    if (::unlink(path.c_str()) != 0)
      return Errno(ErrorCode::kIoError, "cannot remove stale " + path);
    spdlog::info("removed stale socket {}", path);
  }
  boost::system::error_code ec;
  boost::asio::local::stream_protocol::endpoint endpoint(path);
  acceptor_.open(endpoint.protocol(), ec);
  if (!ec) acceptor_.bind(endpoint, ec);
  if (!ec) acceptor_.listen(boost::asio::socket_base::max_listen_connections, ec);
  if (ec) return Error(ErrorCode::kIoError, "cannot listen on " + path + ": " + ec.message());
  if (::chmod(path.c_str(), root ? 0666 : 0600) != 0) {
    return Errno(ErrorCode::kIoError, "cannot set the mode of " + path);
  }
  if (::stat(path.c_str(), &st) == 0) socket_inode_ = st.st_ino;
  path_ = path;
  return Status::Ok();
}

void LocalServer::Start() { Accept(); }

void LocalServer::Accept() {
  acceptor_.async_accept(boost::asio::make_strand(io_), [this](const boost::system::error_code& ec,
                                                               Session::Socket socket) {
    if (ec) {
      if (ec == boost::asio::error::operation_aborted) return;  // Stop()
      spdlog::warn("accept on {} failed: {}", path_, ec.message());
      // EMFILE and friends: try again shortly rather than spin.
      auto timer = std::make_shared<boost::asio::steady_timer>(io_, std::chrono::milliseconds(100));
      timer->async_wait([this, timer](const boost::system::error_code&) {
        if (acceptor_.is_open()) Accept();
      });
      return;
    }
    Peer peer = PeerOf(socket.native_handle());
    auto session = std::make_shared<Session>(std::move(socket), dispatcher_, metrics_, peer,
                                             [this](Session* s) {
                                               std::lock_guard<std::mutex> lock(mu_);
                                               sessions_.erase(s);
                                             });
    bool stopping = false;
    {
      std::lock_guard<std::mutex> lock(mu_);
      stopping = stopping_;
      if (!stopping) sessions_[session.get()] = session;
    }
    if (stopping) return;
    session->Start();
    Accept();
  });
}

void LocalServer::Stop() {
  std::vector<std::shared_ptr<Session>> live;
  {
    std::lock_guard<std::mutex> lock(mu_);
    stopping_ = true;
    for (auto& [ptr, weak] : sessions_) {
      if (auto s = weak.lock()) live.push_back(std::move(s));
    }
  }
  boost::asio::post(io_, [this] {
    boost::system::error_code ignored;
    acceptor_.close(ignored);
  });
  for (auto& s : live) s->Shutdown();
}

void LocalServer::RemoveSocket() {
  if (path_.empty()) return;
  struct stat st {};
  // Only our own socket: a successor may already have replaced it.
  if (::stat(path_.c_str(), &st) == 0 && st.st_ino == socket_inode_) ::unlink(path_.c_str());
  path_.clear();
}

size_t LocalServer::session_count() {
  std::lock_guard<std::mutex> lock(mu_);
  return sessions_.size();
}

}  // namespace licet::daemon
