#include "bench/runtime_fixture.h"

#include <dirent.h>
#include <errno.h>
#include <sched.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/epoll.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cstdio>
#include <cstring>
#include <filesystem>
#include <map>
#include <vector>

#include "licet/licet.h"

namespace licet::bench {
namespace {

Status IoError(const std::string& what) {
  return Error(ErrorCode::kIoError, what + ": " + std::strerror(errno));
}

// A listening Unix socket at `path` (an old file there is removed); -1 on failure.
int ListenUnix(const std::string& path) {
  sockaddr_un addr{};
  if (path.size() >= sizeof(addr.sun_path)) return -1;
  addr.sun_family = AF_UNIX;
  std::memcpy(addr.sun_path, path.c_str(), path.size() + 1);
  int fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return -1;
  ::unlink(path.c_str());
  if (::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0 || ::listen(fd, 64) != 0) {
    ::close(fd);
    return -1;
  }
  return fd;
}

void SetTimeouts(int fd, int seconds) {
  timeval tv{seconds, 0};
  ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
  ::setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
}

uint32_t LoadBe32(const uint8_t* p) {
  return (uint32_t{p[0]} << 24) | (uint32_t{p[1]} << 16) | (uint32_t{p[2]} << 8) | uint32_t{p[3]};
}

void StoreBe32(uint8_t* p, uint32_t v) {
  p[0] = static_cast<uint8_t>(v >> 24);
  p[1] = static_cast<uint8_t>(v >> 16);
  p[2] = static_cast<uint8_t>(v >> 8);
  p[3] = static_cast<uint8_t>(v);
}

constexpr uint32_t kMaxFrame = 16u << 20;  // docs/PROTOCOL.md

// Reads one frame (length prefix and payload) into `frame`; false on EOF, error or timeout.
bool ReadFrame(int fd, std::vector<uint8_t>* frame) {
  frame->resize(4);
  if (!ReadAll(fd, frame->data(), 4)) return false;
  uint32_t n = LoadBe32(frame->data());
  if (n > kMaxFrame) return false;
  frame->resize(4 + size_t{n});
  return ReadAll(fd, frame->data() + 4, n);
}

// Waits for a child for up to `seconds`, then SIGKILLs it.
void Reap(pid_t pid, int seconds) {
  for (int i = 0; i < seconds * 100; ++i) {
    if (::waitpid(pid, nullptr, WNOHANG) == pid) return;
    ::usleep(10000);
  }
  ::kill(pid, SIGKILL);
  ::waitpid(pid, nullptr, 0);
}

// The epoll loop of the EchoServer child; never returns.
[[noreturn]] void ServeEcho(int listen_fd) {
  struct Conn {
    std::vector<uint8_t> in;
    std::vector<uint8_t> out;
  };
  std::map<int, Conn> conns;
  constexpr uint32_t kMaxAnswer = 1u << 20;  // the benchmark asks for a few hundred bytes
  std::vector<uint8_t> zeros(kMaxAnswer);
  int ep = ::epoll_create1(EPOLL_CLOEXEC);
  epoll_event ev{};
  ev.events = EPOLLIN;
  ev.data.fd = listen_fd;
  ::epoll_ctl(ep, EPOLL_CTL_ADD, listen_fd, &ev);
  std::vector<uint8_t> buf(1 << 16);
  epoll_event events[64];
  for (;;) {
    int n = ::epoll_wait(ep, events, 64, -1);
    for (int i = 0; i < n; ++i) {
      int fd = events[i].data.fd;
      if (fd == listen_fd) {
        int c = ::accept4(listen_fd, nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC);
        if (c < 0) continue;
        epoll_event cev{};
        cev.events = EPOLLIN;
        cev.data.fd = c;
        ::epoll_ctl(ep, EPOLL_CTL_ADD, c, &cev);
        conns[c];
        continue;
      }
      Conn& conn = conns[fd];
      bool closed = false;
      for (;;) {
        ssize_t r = ::read(fd, buf.data(), buf.size());
        if (r > 0) {
          conn.in.insert(conn.in.end(), buf.begin(), buf.begin() + r);
          continue;
        }
        if (r == 0 || (errno != EAGAIN && errno != EINTR)) closed = true;
        if (r < 0 && errno == EINTR) continue;
        break;
      }
      // Answer every complete request: the payload's first 4 bytes say the answer's size.
      size_t pos = 0;
      while (conn.in.size() - pos >= 8) {
        uint32_t len = LoadBe32(conn.in.data() + pos);
        if (len < 4 || len > kMaxFrame) {
          closed = true;
          break;
        }
        if (conn.in.size() - pos < 4 + size_t{len}) break;
        uint32_t want = LoadBe32(conn.in.data() + pos + 4);
        if (want > kMaxAnswer) want = kMaxAnswer;
        uint8_t header[4];
        StoreBe32(header, want);
        conn.out.insert(conn.out.end(), header, header + 4);
        conn.out.insert(conn.out.end(), zeros.begin(), zeros.begin() + want);
        pos += 4 + size_t{len};
      }
      conn.in.erase(conn.in.begin(), conn.in.begin() + static_cast<ptrdiff_t>(pos));
      while (!closed && !conn.out.empty()) {
        ssize_t w = ::send(fd, conn.out.data(), conn.out.size(), MSG_NOSIGNAL);
        if (w > 0) {
          conn.out.erase(conn.out.begin(), conn.out.begin() + w);
        } else if (w < 0 && errno == EINTR) {
          continue;
        } else if (w < 0 && errno == EAGAIN) {
          // The client reads its answer before it sends again: wait until it has room.
          pollfd p{fd, POLLOUT, 0};
          ::poll(&p, 1, 1000);
        } else {
          closed = true;
        }
      }
      if (closed) {
        ::epoll_ctl(ep, EPOLL_CTL_DEL, fd, nullptr);
        ::close(fd);
        conns.erase(fd);
      }
    }
  }
}

}  // namespace

int ConnectUnix(const std::string& path) {
  sockaddr_un addr{};
  if (path.size() >= sizeof(addr.sun_path)) return -1;
  addr.sun_family = AF_UNIX;
  std::memcpy(addr.sun_path, path.c_str(), path.size() + 1);
  int fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return -1;
  if (::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0) {
    ::close(fd);
    return -1;
  }
  return fd;
}

bool WriteAll(int fd, const void* buf, size_t len) {
  const auto* p = static_cast<const uint8_t*>(buf);
  while (len > 0) {
    ssize_t w = ::send(fd, p, len, MSG_NOSIGNAL);
    if (w < 0 && errno == ENOTSOCK) w = ::write(fd, p, len);  // a pipe (SIGPIPE is ignored)
    if (w < 0 && errno == EINTR) continue;
    if (w <= 0) return false;
    p += w;
    len -= static_cast<size_t>(w);
  }
  return true;
}

bool ReadAll(int fd, void* buf, size_t len) {
  auto* p = static_cast<uint8_t*>(buf);
  while (len > 0) {
    ssize_t r = ::read(fd, p, len);
    if (r < 0 && errno == EINTR) continue;
    if (r <= 0) return false;
    p += r;
    len -= static_cast<size_t>(r);
  }
  return true;
}

Status SetAffinity(pid_t pid, int cpu) {
  cpu_set_t set;
  CPU_ZERO(&set);
  const long cpus = ::sysconf(_SC_NPROCESSORS_ONLN);
  for (long i = 0; i < cpus && i < CPU_SETSIZE; ++i) {
    if (cpu < 0 || i == cpu) CPU_SET(static_cast<int>(i), &set);
  }
  const std::string dir = "/proc/" + std::to_string(pid) + "/task";
  DIR* d = ::opendir(dir.c_str());
  if (d == nullptr) return IoError("opendir " + dir);
  Status status = Status::Ok();
  while (dirent* e = ::readdir(d)) {
    if (e->d_name[0] == '.') continue;
    pid_t tid = static_cast<pid_t>(std::strtol(e->d_name, nullptr, 10));
    // A thread that ended since the listing is no error.
    if (::sched_setaffinity(tid, sizeof set, &set) != 0 && errno != ESRCH) {
      status = IoError("sched_setaffinity " + std::to_string(tid));
    }
  }
  ::closedir(d);
  return status;
}

Result<std::unique_ptr<BenchLicetd>> BenchLicetd::Start(const std::string& bin_dir) {
  for (const char* name : {"licet", "licetd"}) {
    std::string path = bin_dir + "/" + name;
    if (::access(path.c_str(), X_OK) != 0) {
      return Error(ErrorCode::kNotFound, path + " is not built (set LICET_BIN_DIR to build/bin)");
    }
  }
  char tmpl[] = "/tmp/licet-bench-XXXXXX";
  if (::mkdtemp(tmpl) == nullptr) return IoError("mkdtemp");
  std::unique_ptr<BenchLicetd> d(new BenchLicetd());
  d->work_ = tmpl;
  d->socket_ = d->work_ + "/licetd.sock";

  // The CLI works on the files: LICET_SOCKET names a socket no licetd serves yet.
  const std::string cli = "LICET_HOME='" + d->work_ + "/home' LICET_SOCKET='" + d->socket_ + "' '" +
                          bin_dir + "/licet' ";
  std::string serial;
  LICET_RETURN_IF_ERROR(d->Run(cli + "container create", &serial));
  while (!serial.empty() && (serial.back() == '\n' || serial.back() == ' ')) serial.pop_back();
  std::string ignored;
  const std::string firm = std::to_string(kBenchFirmCode);
  LICET_RETURN_IF_ERROR(d->Run(cli + "firm init --firm-code " + firm + " --name Bench -o '" +
                                   d->work_ + "/firm.key'",
                               &ignored));
  LICET_RETURN_IF_ERROR(d->Run(cli + "context --serial " + serial + " --firm-code " + firm +
                                   " -o '" + d->work_ + "/r.context'",
                               &ignored));
  LICET_RETURN_IF_ERROR(d->Run(
      cli + "update create --firm-key '" + d->work_ + "/firm.key' --context '" + d->work_ +
          "/r.context' --add-product " + std::to_string(kBenchProductCode) +
          " --text 'Bench App' --feature-map 0x3 --expiration 365d --license-quantity 64 -o '" +
          d->work_ + "/u.update'",
      &ignored));
  LICET_RETURN_IF_ERROR(d->Run(cli + "import '" + d->work_ + "/u.update'", &ignored));
  LICET_RETURN_IF_ERROR(d->Launch(bin_dir));
  ::setenv("LICET_SOCKET", d->socket_.c_str(), 1);
  return d;
}

Status BenchLicetd::Run(const std::string& command, std::string* output) {
  output->clear();
  FILE* p = ::popen((command + " 2>&1").c_str(), "r");
  if (p == nullptr) return IoError("popen " + command);
  char buf[4096];
  size_t n;
  while ((n = std::fread(buf, 1, sizeof buf, p)) > 0) output->append(buf, n);
  int status = ::pclose(p);
  if (status != 0) {
    return Error(ErrorCode::kIoError, "`" + command + "` failed (status " + std::to_string(status) +
                                          "): " + *output);
  }
  return Status::Ok();
}

Status BenchLicetd::Launch(const std::string& bin_dir) {
  int out[2];
  if (::pipe2(out, O_CLOEXEC) != 0) return IoError("pipe");
  const std::string licetd = bin_dir + "/licetd";
  const std::string home = work_ + "/home";
  const std::string log = work_ + "/licetd.log";
  ::fflush(nullptr);
  pid_t pid = ::fork();
  if (pid < 0) return IoError("fork");
  if (pid == 0) {
    ::prctl(PR_SET_PDEATHSIG, SIGKILL);
    int err = ::open(log.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0600);
    ::dup2(out[1], STDOUT_FILENO);
    if (err >= 0) ::dup2(err, STDERR_FILENO);
    const char* argv[] = {licetd.c_str(), "--foreground", "--config", "/dev/null", "--home",
                          home.c_str(), "--socket", socket_.c_str(), "--admin-listen", "off",
                          "--log-level", "warn", nullptr};
    ::execv(licetd.c_str(), const_cast<char* const*>(argv));
    ::_exit(127);
  }
  ::close(out[1]);
  pid_ = pid;
  std::string line;
  for (int waited_ms = 0; line.find('\n') == std::string::npos; waited_ms += 100) {
    pollfd p{out[0], POLLIN, 0};
    if (waited_ms >= 30000) break;
    if (::poll(&p, 1, 100) <= 0) continue;
    char buf[256];
    ssize_t r = ::read(out[0], buf, sizeof buf);
    if (r <= 0) break;
    line.append(buf, static_cast<size_t>(r));
  }
  ::close(out[0]);  // licetd writes nothing else on stdout
  if (line.rfind("licetd ready", 0) != 0) {
    return Error(ErrorCode::kIoError, "licetd did not report ready (see " + log + "): " + line);
  }
  return Status::Ok();
}

BenchLicetd::~BenchLicetd() {
  if (pid_ > 0) {
    ::kill(pid_, SIGTERM);
    Reap(pid_, 10);
  }
  std::error_code ec;
  std::filesystem::remove_all(work_, ec);
}

Result<WireSizes> MeasureWireSizes(const BenchLicetd& licetd) {
  const std::string relay_path = licetd.work_dir() + "/relay.sock";
  int listen_fd = ListenUnix(relay_path);
  if (listen_fd < 0) return IoError("listen on " + relay_path);
  ::fflush(nullptr);
  pid_t pid = ::fork();
  if (pid < 0) {
    ::close(listen_fd);
    return IoError("fork");
  }
  if (pid == 0) {
    ::prctl(PR_SET_PDEATHSIG, SIGKILL);
    ::setenv("LICET_SOCKET", relay_path.c_str(), 1);
    licet_access_params params = LICET_ACCESS_PARAMS_INIT;
    params.firm_code = kBenchFirmCode;
    params.product_code = kBenchProductCode;
    licet_handle* handle = nullptr;
    int rc = licet_access(&params, &handle);
    if (rc == LICET_OK) rc = licet_release(handle);
    ::_exit(rc == LICET_OK ? 0 : 1);
  }
  std::vector<ExchangeSize> exchanges;
  Status status = Status::Ok();
  pollfd p{listen_fd, POLLIN, 0};
  int client = ::poll(&p, 1, 30000) == 1 ? ::accept4(listen_fd, nullptr, nullptr, SOCK_CLOEXEC) : -1;
  int server = ConnectUnix(licetd.socket_path());
  if (client < 0 || server < 0) {
    status = IoError("relay: connect");
  } else {
    SetTimeouts(client, 30);
    SetTimeouts(server, 30);
    std::vector<uint8_t> request, response;
    while (ReadFrame(client, &request)) {
      if (!WriteAll(server, request.data(), request.size()) || !ReadFrame(server, &response) ||
          !WriteAll(client, response.data(), response.size())) {
        status = Error(ErrorCode::kIoError, "relay: licetd did not answer");
        break;
      }
      exchanges.push_back({request.size() - 4, response.size() - 4});
    }
  }
  if (client >= 0) ::close(client);
  if (server >= 0) ::close(server);
  ::close(listen_fd);
  ::unlink(relay_path.c_str());
  int child_status = 0;
  ::waitpid(pid, &child_status, 0);
  LICET_RETURN_IF_ERROR(status);
  if (!WIFEXITED(child_status) || WEXITSTATUS(child_status) != 0) {
    return Error(ErrorCode::kIoError, "the probe's access or release through the relay failed");
  }
  // hello, access, release (docs/PROTOCOL.md: hello comes first on every connection).
  if (exchanges.size() != 3) {
    return Error(ErrorCode::kIoError, "expected 3 exchanges (hello, access, release), saw " +
                                          std::to_string(exchanges.size()));
  }
  return WireSizes{exchanges[1], exchanges[2]};
}

Result<std::unique_ptr<EchoServer>> EchoServer::Start(const std::string& socket_path) {
  int listen_fd = ListenUnix(socket_path);
  if (listen_fd < 0) return IoError("listen on " + socket_path);
  ::fflush(nullptr);
  pid_t pid = ::fork();
  if (pid < 0) {
    ::close(listen_fd);
    return IoError("fork");
  }
  if (pid == 0) {
    ::prctl(PR_SET_PDEATHSIG, SIGKILL);
    ServeEcho(listen_fd);
  }
  ::close(listen_fd);
  std::unique_ptr<EchoServer> server(new EchoServer());
  server->socket_ = socket_path;
  server->pid_ = pid;
  return server;
}

EchoServer::~EchoServer() {
  if (pid_ > 0) {
    ::kill(pid_, SIGKILL);
    ::waitpid(pid_, nullptr, 0);
  }
  ::unlink(socket_.c_str());
}

}  // namespace licet::bench
