// FakeLicetd: an in-process stand-in for licetd, for the client's unit tests. It listens on
// a Unix socket in a temporary directory, speaks the framing of docs/PROTOCOL.md and
// answers each request with a handler; by default a tiny licetd with one product item.
// The default handler's "crypt" is NOT real cryptography: it XORs with a keystream made from
// the codes and iv, so round trips and tag checks can be tested without OpenSSL.
//
// This header is C++17 (it is used by the licet.hpp test, built as C++17).
#ifndef LICET_CLIENT_FAKE_LICETD_H_
#define LICET_CLIENT_FAKE_LICETD_H_

#include <atomic>
#include <functional>
#include <memory>
#include <mutex>
#include <nlohmann/json.hpp>
#include <string>
#include <thread>
#include <vector>

namespace licet::client {

class FakeLicetd {
 public:
  // Returns the response for a request (without "id": it is added). Return a value with
  // "close": true to close the connection instead of answering, "silent": true to answer
  // nothing (the client times out), or "raw": a binary to send those bytes as they are.
  using Handler = std::function<nlohmann::json(const nlohmann::json& request)>;

  // Starts listening on <temp dir>/licetd.sock with the default handler.
  FakeLicetd();
  explicit FakeLicetd(Handler handler);
  ~FakeLicetd();
  FakeLicetd(const FakeLicetd&) = delete;
  FakeLicetd& operator=(const FakeLicetd&) = delete;

  // Replaces the handler (it may call DefaultHandler for what it does not override).
  void set_handler(Handler handler);

  const std::string& socket_path() const { return socket_path_; }
  // Every request received so far, in order.
  std::vector<nlohmann::json> requests() const;
  // The ops received so far, in order.
  std::vector<std::string> ops() const;
  int connections_accepted() const { return accepted_.load(); }
  // Live (not yet released) handles of the default handler.
  int live_handles() const;
  // Closes every client connection, as a licetd restart would, and forgets their handles.
  void DropConnections();

  // The default handler: hello; access to firm 6000010 product 201010 (feature map 0x3,
  // 100 units, text "Sample App"; others: code 200); release; info; units; crypt; list.
  nlohmann::json DefaultHandler(const nlohmann::json& request);

 private:
  void AcceptLoop();
  void Serve(int fd);

  Handler handler_;  // guarded by mu_
  std::string dir_;
  std::string socket_path_;
  int listen_fd_ = -1;
  int stop_pipe_[2] = {-1, -1};
  std::atomic<int> accepted_{0};
  std::thread acceptor_;

  mutable std::mutex mu_;
  std::vector<std::thread> servers_;          // guarded by mu_
  std::vector<int> client_fds_;               // guarded by mu_
  std::vector<nlohmann::json> requests_;      // guarded by mu_
  std::vector<uint64_t> live_handles_;        // guarded by mu_
  uint64_t next_handle_ = 1;                  // guarded by mu_
  uint64_t units_ = 100;                      // guarded by mu_
};

}  // namespace licet::client

#endif  // LICET_CLIENT_FAKE_LICETD_H_
