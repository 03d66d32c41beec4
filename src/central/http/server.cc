#include "central/http/server.h"

#include <atomic>
#include <boost/asio/dispatch.hpp>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/thread_pool.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/version.hpp>
#include <charconv>
#include <condition_variable>
#include <exception>
#include <mutex>
#include <optional>
#include <thread>
#include <vector>

#include "central/http/log.h"
#include "crypto/crypto.h"

namespace licet::central::http {

namespace beast = boost::beast;
namespace bhttp = boost::beast::http;
namespace net = boost::asio;
using tcp = boost::asio::ip::tcp;

struct HttpServer::State {
  ServerOptions options;
  Handler handler;
  net::io_context ioc;
  // Keeps the I/O threads running while a request is on a worker and nothing else is
  // pending (after the acceptor closed, say), so its response can still be written.
  std::optional<net::executor_work_guard<net::io_context::executor_type>> work;
  std::unique_ptr<net::thread_pool> workers;
  std::optional<tcp::acceptor> acceptor;
  tcp::endpoint bound;
  std::vector<std::thread> io_threads;
  std::atomic<bool> draining{false};
  std::atomic<int> in_flight{0};
  std::mutex mu;
  std::condition_variable cv;
  bool started = false;
  bool stopped = false;
  bool finished = false;
  // Idle sessions to close on shutdown: their sockets, by weak reference.
  std::mutex sessions_mu;
  std::vector<std::weak_ptr<class Session>> sessions;

  explicit State(int concurrency) : ioc(concurrency) {}
};

namespace {

std::string NewRequestId() { return HexEncode(crypto::RandomBytes(8)); }

bool SaneRequestId(const std::string& id) {
  if (id.empty() || id.size() > 64) return false;
  for (char c : id) {
    bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '-' || c == '_' || c == '.';
    if (!ok) return false;
  }
  return true;
}

}  // namespace

class Session : public std::enable_shared_from_this<Session> {
 public:
  // `state` owns the io_context this session lives in, so it outlives the session.
  Session(tcp::socket&& socket, HttpServer::State* state)
      : stream_(std::move(socket)), state_(state) {
    beast::error_code ec;
    auto ep = stream_.socket().remote_endpoint(ec);
    if (!ec) remote_ip_ = ep.address().to_string();
  }

  void Run() {
    // The socket's executor is a strand (make_strand in the listener); dispatch onto it.
    net::dispatch(stream_.get_executor(),
                  beast::bind_front_handler(&Session::DoRead, shared_from_this()));
  }

  // Shutdown: closes the connection if no request is in progress; busy sessions close
  // after their response (Connection: close while draining).
  void CloseIfIdle() {
    net::post(stream_.get_executor(), [self = shared_from_this()] {
      if (!self->busy_) {
        beast::error_code ec;
        self->stream_.socket().shutdown(tcp::socket::shutdown_both, ec);
        self->stream_.socket().close(ec);
      }
    });
  }

 private:
  void DoRead() {
    if (state_->draining) return DoClose();
    parser_.emplace();
    parser_->body_limit(state_->options.body_limit);
    parser_->header_limit(16 * 1024);
    // The first request must come within read_timeout; a kept-alive connection may idle
    // for idle_timeout before its next one.
    stream_.expires_after(first_ ? state_->options.read_timeout : state_->options.idle_timeout);
    first_ = false;
    bhttp::async_read(stream_, buffer_, *parser_,
                      beast::bind_front_handler(&Session::OnRead, shared_from_this()));
  }

  void OnRead(beast::error_code ec, std::size_t) {
    if (ec == bhttp::error::end_of_stream) return DoClose();
    if (ec == bhttp::error::body_limit) {
      return Reply(ProblemResponse(413, "payload_too_large", "Payload Too Large",
                                   "the request body exceeds " +
                                       std::to_string(state_->options.body_limit) + " bytes"),
                   true, "-", "-");
    }
    if (ec == bhttp::error::header_limit) {
      return Reply(ProblemResponse(431, "headers_too_large", "Request Header Fields Too Large",
                                   "the request headers exceed 16 KiB"),
                   true, "-", "-");
    }
    if (ec && ec.category() == bhttp::make_error_code(bhttp::error::bad_target).category()) {
      // Any other parse error: a malformed request.
      return Reply(ProblemResponse(400, "bad_request", "Bad Request", ec.message()), true, "-",
                   "-");
    }
    if (ec) return;  // timeout, reset, shutdown: nothing to answer

    auto req = parser_->release();
    HttpRequest r;
    r.method = std::string(req.method_string());
    std::string target(req.target());
    size_t q = target.find('?');
    r.path = target.substr(0, q);
    if (q != std::string::npos) r.query = target.substr(q + 1);
    for (const auto& field : req) {
      std::string name(field.name_string());
      for (char& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
      r.headers.emplace_back(std::move(name), std::string(field.value()));
    }
    r.body = std::move(req.body());
    r.remote_ip = ClientAddress(remote_ip_, r.headers, state_->options.trusted_proxies);
    const std::string* rid = r.Header("x-request-id");
    r.request_id = rid != nullptr && SaneRequestId(*rid) ? *rid : NewRequestId();
    keep_alive_ = req.keep_alive();
    version_ = req.version();
    busy_ = true;
    ++state_->in_flight;
    auto start = std::chrono::steady_clock::now();
    net::post(*state_->workers, [self = shared_from_this(), r = std::move(r), start]() mutable {
      HttpResponse resp;
      try {
        resp = self->state_->handler(r);
      } catch (const std::exception& e) {
        resp = ProblemResponse(500, "internal", "Internal Server Error", "unexpected error");
        Log(LogLevel::kError, "handler threw", {{"request_id", r.request_id}, {"what", e.what()}});
      } catch (...) {
        resp = ProblemResponse(500, "internal", "Internal Server Error", "unexpected error");
      }
      auto micros = std::chrono::duration_cast<std::chrono::microseconds>(
                        std::chrono::steady_clock::now() - start)
                        .count();
      resp.headers.emplace_back("X-Request-Id", r.request_id);
      Log(LogLevel::kInfo, "request",
          {{"request_id", r.request_id},
           {"remote", r.remote_ip},
           {"method", r.method},
           {"path", resp.log_path.empty() ? "-" : resp.log_path},
           {"status", resp.status},
           {"duration_ms", static_cast<double>(micros) / 1000.0},
           {"bytes_in", r.body.size()},
           {"bytes_out", resp.body.size()},
           {"code", resp.log_code.empty() ? "-" : resp.log_code}});
      net::post(self->stream_.get_executor(), [self, resp = std::move(resp)]() mutable {
        self->Reply(std::move(resp), !self->keep_alive_, "", "");
      });
    });
  }

  // `close` also when draining. `log_method`/`log_path` non-empty: this response did not
  // come from a handler (a protocol error), log it here.
  void Reply(HttpResponse resp, bool close, const std::string& log_method,
             const std::string& log_path) {
    if (!log_method.empty()) {
      Log(LogLevel::kInfo, "request",
          {{"remote", remote_ip_},
           {"method", log_method},
           {"path", log_path},
           {"status", resp.status},
           {"code", resp.log_code}});
    }
    close = close || state_->draining;
    auto res = std::make_shared<bhttp::response<bhttp::string_body>>(
        static_cast<bhttp::status>(resp.status), version_ == 0 ? 11 : version_);
    res->set(bhttp::field::server, "licet-central");
    res->set(bhttp::field::content_type, resp.content_type);
    res->set(bhttp::field::cache_control, "no-store");
    for (auto& [k, v] : resp.headers) res->set(k, v);
    res->body() = std::move(resp.body);
    res->keep_alive(!close);
    res->prepare_payload();
    res_ = res;
    stream_.expires_after(state_->options.write_timeout);
    bhttp::async_write(
        stream_, *res_,
        beast::bind_front_handler(&Session::OnWrite, shared_from_this(), res_->need_eof()));
  }

  void OnWrite(bool close, beast::error_code ec, std::size_t) {
    if (busy_) {
      busy_ = false;
      if (--state_->in_flight == 0) {
        std::lock_guard g(state_->mu);  // no lost wake-up for Stop()
        state_->cv.notify_all();
      }
    }
    res_.reset();
    if (ec) return;
    if (close) return DoClose();
    DoRead();
  }

  void DoClose() {
    beast::error_code ec;
    stream_.socket().shutdown(tcp::socket::shutdown_send, ec);
  }

  beast::tcp_stream stream_;
  beast::flat_buffer buffer_;
  HttpServer::State* state_;
  std::optional<bhttp::request_parser<bhttp::string_body>> parser_;
  std::shared_ptr<bhttp::response<bhttp::string_body>> res_;
  std::string remote_ip_;
  bool keep_alive_ = false;
  unsigned version_ = 11;
  bool first_ = true;
  bool busy_ = false;
};

namespace {

class Listener : public std::enable_shared_from_this<Listener> {
 public:
  explicit Listener(HttpServer::State* state) : state_(state) {}

  void Run() { DoAccept(); }

 private:
  void DoAccept() {
    // Each connection gets its own strand.
    state_->acceptor->async_accept(
        net::make_strand(state_->ioc),
        beast::bind_front_handler(&Listener::OnAccept, shared_from_this()));
  }

  void OnAccept(beast::error_code ec, tcp::socket socket) {
    if (ec == net::error::operation_aborted || !state_->acceptor->is_open()) return;
    if (!ec && !state_->draining) {
      auto session = std::make_shared<Session>(std::move(socket), state_);
      {
        std::lock_guard g(state_->sessions_mu);
        // Forget sessions that ended, so the list stays as small as the live connections.
        auto& v = state_->sessions;
        v.erase(std::remove_if(v.begin(), v.end(), [](auto& w) { return w.expired(); }), v.end());
        v.push_back(session);
      }
      session->Run();
    }
    // An accept error (too many open files, say) must not stop the listener.
    DoAccept();
  }

  HttpServer::State* state_;
};

}  // namespace

Result<ListenAddress> ParseListenAddress(const std::string& text) {
  size_t colon = text.rfind(':');
  if (colon == std::string::npos || colon == 0) {
    return Error(ErrorCode::kInvalidArgument, "listen address '" + text + "' is not HOST:PORT");
  }
  ListenAddress a;
  a.host = text.substr(0, colon);
  if (a.host.size() > 2 && a.host.front() == '[' && a.host.back() == ']') {
    a.host = a.host.substr(1, a.host.size() - 2);
  }
  std::string port = text.substr(colon + 1);
  unsigned value = 0;
  auto [p, ec] = std::from_chars(port.data(), port.data() + port.size(), value);
  if (port.empty() || ec != std::errc() || p != port.data() + port.size() || value > 65535) {
    return Error(ErrorCode::kInvalidArgument, "listen port '" + port + "' is not 0..65535");
  }
  a.port = static_cast<uint16_t>(value);
  beast::error_code bec;
  net::ip::make_address(a.host, bec);
  if (bec) {
    return Error(ErrorCode::kInvalidArgument, "listen host '" + a.host + "' is not an IP address");
  }
  return a;
}

Result<std::unique_ptr<HttpServer>> HttpServer::Create(const ServerOptions& options,
                                                       Handler handler) {
  if (options.io_threads < 1 || options.workers < 1) {
    return Error(ErrorCode::kInvalidArgument, "threads and workers must be >= 1");
  }
  LICET_ASSIGN_OR_RETURN(ListenAddress addr, ParseListenAddress(options.listen));
  std::unique_ptr<HttpServer> server(new HttpServer());
  auto state = std::make_unique<State>(options.io_threads);
  state->options = options;
  state->handler = std::move(handler);
  tcp::endpoint ep(net::ip::make_address(addr.host), addr.port);
  beast::error_code ec;
  tcp::acceptor acceptor(net::make_strand(state->ioc));
  acceptor.open(ep.protocol(), ec);
  if (!ec) acceptor.set_option(net::socket_base::reuse_address(true), ec);
  if (!ec) acceptor.bind(ep, ec);
  if (!ec) acceptor.listen(net::socket_base::max_listen_connections, ec);
  if (ec) {
    return Error(ErrorCode::kIoError, "cannot listen on " + options.listen + ": " + ec.message());
  }
  state->bound = acceptor.local_endpoint(ec);
  state->acceptor.emplace(std::move(acceptor));
  server->state_ = std::move(state);
  return server;
}

HttpServer::~HttpServer() {
  if (state_) Stop(std::chrono::milliseconds(0));
}

std::string HttpServer::BoundAddress() const {
  const auto& ep = state_->bound;
  std::string host = ep.address().to_string();
  if (ep.address().is_v6()) host = "[" + host + "]";
  return host + ":" + std::to_string(ep.port());
}

uint16_t HttpServer::port() const { return state_->bound.port(); }

void HttpServer::Start() {
  std::lock_guard g(state_->mu);
  if (state_->started) return;
  state_->started = true;
  state_->workers = std::make_unique<net::thread_pool>(state_->options.workers);
  state_->work.emplace(state_->ioc.get_executor());
  std::make_shared<Listener>(state_.get())->Run();
  for (int i = 0; i < state_->options.io_threads; ++i) {
    state_->io_threads.emplace_back([s = state_.get()] { s->ioc.run(); });
  }
}

void HttpServer::Stop(std::chrono::milliseconds grace) {
  {
    std::lock_guard g(state_->mu);
    if (state_->stopped) return;
    state_->stopped = true;
  }
  state_->draining = true;
  if (state_->started) {
    // Close the acceptor on its strand, and idle connections on theirs.
    net::post(state_->acceptor->get_executor(), [s = state_.get()] {
      beast::error_code ec;
      s->acceptor->close(ec);
    });
    {
      std::lock_guard g(state_->sessions_mu);
      for (auto& w : state_->sessions) {
        if (auto session = w.lock()) session->CloseIfIdle();
      }
    }
    {
      std::unique_lock lock(state_->mu);
      state_->cv.wait_for(lock, grace, [&] { return state_->in_flight.load() == 0; });
    }
    state_->work.reset();
    state_->ioc.stop();
    for (auto& t : state_->io_threads) t.join();
    state_->workers->join();
  }
  {
    std::lock_guard g(state_->mu);
    state_->finished = true;
  }
  state_->cv.notify_all();
}

void HttpServer::Wait() {
  std::unique_lock lock(state_->mu);
  state_->cv.wait(lock, [&] { return state_->finished; });
}

}  // namespace licet::central::http
