#include "client/fake_licetd.h"

#include <fcntl.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <stdexcept>

#include "protocol/protocol.h"

namespace licet::client {

using nlohmann::json;

namespace {

constexpr uint32_t kFirm = 6000010;
constexpr uint32_t kProduct = 201010;
constexpr uint32_t kFeatures = 0x3;

uint64_t Mix(uint64_t x) {  // splitmix64
  x += 0x9e3779b97f4a7c15ull;
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ull;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebull;
  return x ^ (x >> 31);
}

// Not cryptography: a keystream from the codes and the iv, enough to tell keys apart.
uint64_t Seed(const json& r) {
  uint64_t seed = Mix(kFirm) ^ Mix(kProduct << 1) ^ Mix(r.value("feature_code", 0u) + 7) ^
                  Mix(r.value("encryption_code", 0u) + 13);
  if (r.contains("iv") && r["iv"].is_binary()) {
    for (uint8_t b : r["iv"].get_binary()) seed = Mix(seed ^ b);
  }
  return seed;
}

std::vector<uint8_t> Xor(const std::vector<uint8_t>& data, uint64_t seed) {
  std::vector<uint8_t> out(data.size());
  for (size_t i = 0; i < data.size(); ++i) out[i] = data[i] ^ static_cast<uint8_t>(Mix(seed + i / 8) >> (8 * (i % 8)));
  return out;
}

std::vector<uint8_t> Tag(const std::vector<uint8_t>& ciphertext, uint64_t seed) {
  uint64_t h = Mix(seed ^ 0x7461670000000000ull);
  for (uint8_t b : ciphertext) h = Mix(h ^ b);
  std::vector<uint8_t> tag(16);
  for (int i = 0; i < 16; ++i) tag[i] = static_cast<uint8_t>(Mix(h + i));
  return tag;
}

json Err(int code, const std::string& message) { return {{"code", code}, {"message", message}}; }

bool ReadFull(int fd, uint8_t* data, size_t size, int stop_fd) {
  while (size > 0) {
    pollfd p[2] = {{fd, POLLIN, 0}, {stop_fd, POLLIN, 0}};
    if (::poll(p, 2, -1) < 0) {
      if (errno == EINTR) continue;
      return false;
    }
    if (p[1].revents != 0) return false;
    ssize_t n = ::recv(fd, data, size, 0);
    if (n <= 0) return false;
    data += n;
    size -= static_cast<size_t>(n);
  }
  return true;
}

void WriteFull(int fd, const uint8_t* data, size_t size) {
  while (size > 0) {
    ssize_t n = ::send(fd, data, size, MSG_NOSIGNAL);
    if (n <= 0) return;
    data += n;
    size -= static_cast<size_t>(n);
  }
}

}  // namespace

FakeLicetd::FakeLicetd() : FakeLicetd(nullptr) {}

FakeLicetd::FakeLicetd(Handler handler) : handler_(std::move(handler)) {
  char tmpl[] = "/tmp/licet-fake-XXXXXX";
  if (::mkdtemp(tmpl) == nullptr) throw std::runtime_error("mkdtemp failed");
  dir_ = tmpl;
  socket_path_ = dir_ + "/licetd.sock";
  listen_fd_ = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  strncpy(addr.sun_path, socket_path_.c_str(), sizeof(addr.sun_path) - 1);
  if (listen_fd_ < 0 || ::bind(listen_fd_, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0 ||
      ::listen(listen_fd_, 64) != 0 || ::pipe2(stop_pipe_, O_CLOEXEC) != 0) {
    throw std::runtime_error("FakeLicetd cannot listen on " + socket_path_);
  }
  acceptor_ = std::thread([this] { AcceptLoop(); });
}

FakeLicetd::~FakeLicetd() {
  if (write(stop_pipe_[1], "x", 1) != 1) std::perror("FakeLicetd stop");
  acceptor_.join();
  std::vector<std::thread> servers;
  {
    std::lock_guard<std::mutex> lock(mu_);
    servers.swap(servers_);
  }
  for (auto& t : servers) t.join();
  ::close(listen_fd_);
  ::close(stop_pipe_[0]);
  ::close(stop_pipe_[1]);
  ::unlink(socket_path_.c_str());
  ::rmdir(dir_.c_str());
}

void FakeLicetd::set_handler(Handler handler) {
  std::lock_guard<std::mutex> lock(mu_);
  handler_ = std::move(handler);
}

std::vector<json> FakeLicetd::requests() const {
  std::lock_guard<std::mutex> lock(mu_);
  return requests_;
}

std::vector<std::string> FakeLicetd::ops() const {
  std::lock_guard<std::mutex> lock(mu_);
  std::vector<std::string> ops;
  for (const auto& r : requests_) ops.push_back(r.value("op", ""));
  return ops;
}

int FakeLicetd::live_handles() const {
  std::lock_guard<std::mutex> lock(mu_);
  return static_cast<int>(live_handles_.size());
}

void FakeLicetd::DropConnections() {
  std::lock_guard<std::mutex> lock(mu_);
  for (int fd : client_fds_) ::shutdown(fd, SHUT_RDWR);
  live_handles_.clear();
}

void FakeLicetd::AcceptLoop() {
  for (;;) {
    pollfd p[2] = {{listen_fd_, POLLIN, 0}, {stop_pipe_[0], POLLIN, 0}};
    if (::poll(p, 2, -1) < 0) {
      if (errno == EINTR) continue;
      return;
    }
    if (p[1].revents != 0) return;
    int fd = ::accept4(listen_fd_, nullptr, nullptr, SOCK_CLOEXEC);
    if (fd < 0) continue;
    ++accepted_;
    std::lock_guard<std::mutex> lock(mu_);
    client_fds_.push_back(fd);
    servers_.emplace_back([this, fd] { Serve(fd); });
  }
}

void FakeLicetd::Serve(int fd) {
  for (;;) {
    uint8_t header[4];
    if (!ReadFull(fd, header, 4, stop_pipe_[0])) break;
    auto length = protocol::DecodeFrameLength(header);
    if (!length.ok()) break;
    std::vector<uint8_t> body(*length);
    if (!ReadFull(fd, body.data(), body.size(), stop_pipe_[0])) break;
    auto request = protocol::DecodeMessage(body);
    if (!request.ok()) break;
    Handler handler;
    {
      std::lock_guard<std::mutex> lock(mu_);
      requests_.push_back(*request);
      handler = handler_;
    }
    json response = handler ? handler(*request) : DefaultHandler(*request);
    if (response.value("close", false)) break;
    if (response.value("silent", false)) continue;
    if (response.contains("raw")) {
      const auto& raw = response["raw"].get_binary();
      WriteFull(fd, raw.data(), raw.size());
      continue;
    }
    if (!response.contains("id")) response["id"] = (*request)["id"];
    if (!response.contains("code")) response["code"] = 0;
    Bytes frame = protocol::EncodeFrame(response);
    WriteFull(fd, frame.data(), frame.size());
  }
  std::lock_guard<std::mutex> lock(mu_);
  client_fds_.erase(std::remove(client_fds_.begin(), client_fds_.end(), fd), client_fds_.end());
  ::close(fd);
}

json FakeLicetd::DefaultHandler(const json& r) {
  const std::string op = r.value("op", "");
  std::lock_guard<std::mutex> lock(mu_);
  auto item = [this] {
    return json{{"firm_code", kFirm},     {"product_code", kProduct}, {"feature_map", kFeatures},
                {"unit_counter", units_}, {"expiration", 1893456000}, {"license_quantity", 1},
                {"access_modes", 15},     {"text", "Sample App"},     {"protected_data", json::binary({1, 2, 3})}};
  };
  auto live = [&](const json& request) {
    uint64_t h = request.value("handle", uint64_t{0});
    return std::find(live_handles_.begin(), live_handles_.end(), h) != live_handles_.end();
  };
  if (op == "hello") return {{"version", 1}, {"server", "fake-licetd 0.1.0"}};
  if (op == "access") {
    if (r.value("firm_code", 0u) != kFirm) return Err(202, "firm 6000010 only");
    if (r.value("product_code", 0u) != kProduct) return Err(200, "no product " + std::to_string(r.value("product_code", 0u)));
    if ((r.value("feature_code", 0u) & ~kFeatures) != 0) return Err(33, "feature missing");
    uint64_t h = next_handle_++;
    live_handles_.push_back(h);
    return {{"handle", h}, {"serial", "130-1166426881"}, {"item", item()}};
  }
  if (!live(r) && (op == "release" || op == "info" || op == "units" || op == "crypt")) {
    return Err(10, "no handle " + std::to_string(r.value("handle", uint64_t{0})));
  }
  if (op == "release") {
    live_handles_.erase(std::find(live_handles_.begin(), live_handles_.end(), r["handle"].get<uint64_t>()));
    return json::object();
  }
  if (op == "info") return {{"serial", "130-1166426881"}, {"item", item()}};
  if (op == "units") {
    uint64_t n = r.value("decrement", uint64_t{0});
    if (n > units_) return Err(32, "only " + std::to_string(units_) + " units left");
    units_ -= n;
    return {{"remaining", units_}};
  }
  if (op == "crypt") {
    if ((r.value("feature_code", 0u) & ~kFeatures) != 0) return Err(33, "feature missing");
    const auto& data = r["data"].get_binary();
    std::vector<uint8_t> in(data.begin(), data.end());
    uint64_t seed = Seed(r);
    int crypt_op = r.value("crypt_op", 0);
    if (crypt_op == 2) {
      const auto& tag = r["tag"].get_binary();
      if (std::vector<uint8_t>(tag.begin(), tag.end()) != Tag(in, seed)) return Err(6, "tag mismatch");
    }
    std::vector<uint8_t> out = Xor(in, seed);
    json response = {{"data", json::binary(out)}};
    if (crypt_op == 1) response["tag"] = json::binary(Tag(out, seed));
    return response;
  }
  if (op == "list") {
    return {{"containers", json::array({{{"serial", "130-1166426881"},
                                         {"public_key", json::binary({0xab, 0xcd})},
                                         {"state", {{"firms", json::array()}}}}})}};
  }
  return Err(4, "unknown op " + op);
}

}  // namespace licet::client
