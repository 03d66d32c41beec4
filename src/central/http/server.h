// Central's HTTP/1.1 server on Boost.Beast 1.74, in the shape of Beast's async examples: a
// Listener accepts connections and hands each to a Session (enable_shared_from_this) that
// runs on its own strand; every completion handler checks its error_code first; every read
// and write has a timeout; request bodies are limited.
//
// Handlers may block (they run SQL): the session posts each request to a worker pool and
// posts the response back to its strand, so slow requests never stall the I/O threads.
#ifndef LICET_CENTRAL_HTTP_SERVER_H_
#define LICET_CENTRAL_HTTP_SERVER_H_

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>

#include "central/http/client_address.h"
#include "central/http/message.h"
#include "common/status.h"

namespace licet::central::http {

struct ServerOptions {
  std::string listen = "127.0.0.1:22480";  // HOST:PORT or [IPv6]:PORT; port 0 = any free
  int io_threads = 2;
  int workers = 4;                        // threads running handlers
  size_t body_limit = 1u << 20;           // bytes; larger bodies get 413
  std::chrono::seconds read_timeout{30};  // a request must arrive within this
  std::chrono::seconds idle_timeout{60};  // a kept-alive connection may idle this long
  std::chrono::seconds write_timeout{30};
  // Peers whose X-Forwarded-For names the client (HttpRequest::remote_ip; ClientAddress).
  TrustedProxies trusted_proxies;
};

// "HOST:PORT" into its parts; kInvalidArgument naming the problem.
struct ListenAddress {
  std::string host;
  uint16_t port = 0;
};
Result<ListenAddress> ParseListenAddress(const std::string& text);

class HttpServer {
 public:
  // Binds and listens (kIoError when the address is taken or not local). Not started yet.
  static Result<std::unique_ptr<HttpServer>> Create(const ServerOptions& options, Handler handler);
  ~HttpServer();  // Stop()s if still running
  HttpServer(const HttpServer&) = delete;
  HttpServer& operator=(const HttpServer&) = delete;

  // The bound address, e.g. "127.0.0.1:40123" (the real port when 0 was asked for).
  std::string BoundAddress() const;
  uint16_t port() const;

  // Starts the I/O and worker threads; returns at once.
  void Start();
  // Graceful stop: stops accepting, lets requests in progress finish (up to `grace`),
  // closes idle connections, joins every thread. Idempotent; thread-safe.
  void Stop(std::chrono::milliseconds grace = std::chrono::seconds(10));
  // Blocks until Stop() has been called (from a signal handler thread, say) and finished.
  void Wait();

  struct State;  // shared with sessions (server.cc)

 private:
  HttpServer() = default;
  std::unique_ptr<State> state_;
};

}  // namespace licet::central::http

#endif  // LICET_CENTRAL_HTTP_SERVER_H_
