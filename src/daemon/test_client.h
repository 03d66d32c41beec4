// A minimal blocking client of the local protocol for tests (the real one is liblicet).
#ifndef LICET_DAEMON_TEST_CLIENT_H_
#define LICET_DAEMON_TEST_CLIENT_H_

#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cstring>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>

#include "protocol/protocol.h"

namespace licet::daemon::testing {

class TestClient {
 public:
  TestClient() = default;
  ~TestClient() { Close(); }
  TestClient(const TestClient&) = delete;
  TestClient& operator=(const TestClient&) = delete;

  bool Connect(const std::string& path) {
    fd_ = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_un addr{};
    addr.sun_family = AF_UNIX;
    std::strncpy(addr.sun_path, path.c_str(), sizeof addr.sun_path - 1);
    return ::connect(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0;
  }
  void Close() {
    if (fd_ >= 0) ::close(fd_);
    fd_ = -1;
  }
  bool SendRaw(const Bytes& bytes) {
    size_t done = 0;
    while (done < bytes.size()) {
      ssize_t n = ::send(fd_, bytes.data() + done, bytes.size() - done, MSG_NOSIGNAL);
      if (n <= 0) return false;
      done += static_cast<size_t>(n);
    }
    return true;
  }
  bool Send(nlohmann::json request) {
    if (!request.contains("id")) request["id"] = next_id_++;
    return SendRaw(protocol::EncodeFrame(request));
  }
  // The next response; nullopt when the connection closed or the frame is bad.
  std::optional<nlohmann::json> Read() {
    uint8_t header[4];
    if (!ReadExactly(header, 4)) return std::nullopt;
    auto n = protocol::DecodeFrameLength(ByteSpan(header, 4));
    if (!n.ok()) return std::nullopt;
    Bytes body(*n);
    if (!ReadExactly(body.data(), body.size())) return std::nullopt;
    auto message = protocol::DecodeMessage(body);
    if (!message.ok()) return std::nullopt;
    return *message;
  }
  nlohmann::json Call(nlohmann::json request) {
    if (!Send(std::move(request))) return nlohmann::json();
    return Read().value_or(nlohmann::json());
  }
  bool Hello() {
    return Call({{"op", "hello"}, {"version", 1}, {"client", "test"}}).value("code", -1) == 0;
  }
  // True when the server closed the connection (EOF within the timeout).
  bool ClosedByPeer() {
    timeval tv{2, 0};
    ::setsockopt(fd_, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    uint8_t byte;
    return ::recv(fd_, &byte, 1, 0) == 0;
  }
  int fd() const { return fd_; }

 private:
  bool ReadExactly(uint8_t* out, size_t size) {
    size_t done = 0;
    while (done < size) {
      ssize_t n = ::recv(fd_, out + done, size - done, 0);
      if (n <= 0) return false;
      done += static_cast<size_t>(n);
    }
    return true;
  }
  int fd_ = -1;
  uint64_t next_id_ = 1;
};

// One HTTP/1.1 request to 127.0.0.1:`port`; returns the raw response ("" on failure).
inline std::string HttpGet(uint16_t port, const std::string& target, const std::string& headers) {
  int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(port);
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
    ::close(fd);
    return "";
  }
  std::string request = "GET " + target + " HTTP/1.1\r\n" + headers + "Connection: close\r\n\r\n";
  ::send(fd, request.data(), request.size(), MSG_NOSIGNAL);
  std::string response;
  char buf[4096];
  for (ssize_t n; (n = ::recv(fd, buf, sizeof buf, 0)) > 0;)
    response.append(buf, static_cast<size_t>(n));
  ::close(fd);
  return response;
}

}  // namespace licet::daemon::testing

#endif  // LICET_DAEMON_TEST_CLIENT_H_
