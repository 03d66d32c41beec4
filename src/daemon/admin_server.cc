#include "daemon/admin_server.h"

#include <spdlog/spdlog.h>

#include <optional>

// After daemon/asio.h (through admin_server.h): see there.
// clang-format off
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
// clang-format on

namespace licet::daemon {

namespace beast = boost::beast;
namespace http = beast::http;
using tcp = boost::asio::ip::tcp;

namespace {

constexpr auto kTimeout = std::chrono::seconds(10);
constexpr uint32_t kMaxHeader = 8 * 1024;
constexpr uint64_t kMaxBody = 8 * 1024;  // GET only: a body is never needed

std::string_view View(beast::string_view s) { return std::string_view(s.data(), s.size()); }

}  // namespace

// One admin connection, as in Beast's advanced server example: a strand per connection, a
// timeout on every read and write, keep-alive honoured.
class AdminSession : public std::enable_shared_from_this<AdminSession> {
 public:
  AdminSession(tcp::socket&& socket, AdminServer* server)
      : stream_(std::move(socket)), server_(server) {}

  void Run() {
    boost::asio::dispatch(stream_.get_executor(),
                          beast::bind_front_handler(&AdminSession::Read, shared_from_this()));
  }

  void Close() {
    boost::asio::post(stream_.get_executor(), [self = shared_from_this()] {
      beast::error_code ignored;
      self->stream_.socket().shutdown(tcp::socket::shutdown_both, ignored);
      self->stream_.close();
    });
  }

 private:
  void Read() {
    parser_.emplace();
    parser_->header_limit(kMaxHeader);
    parser_->body_limit(kMaxBody);
    stream_.expires_after(kTimeout);
    http::async_read(stream_, buffer_, *parser_,
                     beast::bind_front_handler(&AdminSession::OnRead, shared_from_this()));
  }

  void OnRead(beast::error_code ec, std::size_t) {
    if (ec) {
      // end_of_stream, timeout, a request over the limits, garbage: close quietly.
      if (ec != http::error::end_of_stream && ec != beast::error::timeout &&
          ec != boost::asio::error::operation_aborted) {
        spdlog::debug("admin: bad request from {}: {}", Remote(), ec.message());
      }
      return Finish();
    }
    const auto& req = parser_->get();
    AdminRequest request;
    request.method = View(req.method_string());
    request.target = View(req.target());
    if (auto h = req.find(http::field::host); h != req.end()) request.host = View(h->value());
    if (auto o = req.find(http::field::origin); o != req.end()) request.origin = View(o->value());
    AdminResponse out = server_->Route(request);
    if (out.status >= 400) {
      spdlog::info("admin: {} {} from {}: {}", request.method, request.target.substr(0, 100),
                   Remote(), out.status);
    }

    res_ = {};
    res_.version(req.version());
    res_.result(static_cast<http::status>(out.status));
    res_.set(http::field::server, "licetd");
    res_.set(http::field::cache_control, "no-store");
    res_.set("X-Content-Type-Options", "nosniff");
    if (!out.content_type.empty()) res_.set(http::field::content_type, out.content_type);
    for (const auto& [name, value] : out.headers) res_.set(name, value);
    res_.keep_alive(req.keep_alive() && out.status < 400);
    if (req.method() == http::verb::head) {
      res_.content_length(out.body.size());
    } else {
      res_.body() = std::move(out.body);
      res_.prepare_payload();
    }
    stream_.expires_after(kTimeout);
    http::async_write(
        stream_, res_,
        beast::bind_front_handler(&AdminSession::OnWrite, shared_from_this(), !res_.keep_alive()));
  }

  void OnWrite(bool close, beast::error_code ec, std::size_t) {
    if (ec || close) return Finish();
    Read();
  }

  void Finish() {
    beast::error_code ignored;
    stream_.socket().shutdown(tcp::socket::shutdown_send, ignored);
    stream_.close();
    server_->Forget(this);
  }

  std::string Remote() {
    beast::error_code ec;
    auto ep = stream_.socket().remote_endpoint(ec);
    return ec ? "?" : ep.address().to_string() + ":" + std::to_string(ep.port());
  }

  beast::tcp_stream stream_;
  beast::flat_buffer buffer_;
  std::optional<http::request_parser<http::string_body>> parser_;
  http::response<http::string_body> res_;
  AdminServer* server_;
};

AdminServer::AdminServer(boost::asio::io_context& io, AdminContext context)
    : io_(io), acceptor_(io), context_(std::move(context)) {}

Status AdminServer::Listen(const ListenAddress& address) {
  boost::system::error_code ec;
  auto ip = boost::asio::ip::make_address(address.host, ec);
  if (ec) return Error(ErrorCode::kInvalidArgument, "'" + address.host + "' is not an IP address");
  tcp::endpoint endpoint(ip, address.port);
  acceptor_.open(endpoint.protocol(), ec);
  if (!ec) acceptor_.set_option(boost::asio::socket_base::reuse_address(true), ec);
  if (!ec) acceptor_.bind(endpoint, ec);
  if (!ec) acceptor_.listen(boost::asio::socket_base::max_listen_connections, ec);
  if (ec) {
    return Error(ErrorCode::kIoError, "cannot listen on " + address.host + ":" +
                                          std::to_string(address.port) + ": " + ec.message());
  }
  port_ = acceptor_.local_endpoint(ec).port();
  std::lock_guard<std::mutex> lock(mu_);
  context_.listen = address;
  context_.port = port_;
  return Status::Ok();
}

void AdminServer::Start() { Accept(); }

void AdminServer::Accept() {
  acceptor_.async_accept(boost::asio::make_strand(io_),
                         [this](beast::error_code ec, tcp::socket socket) {
                           if (ec == boost::asio::error::operation_aborted) return;
                           if (!ec) {
                             auto session = std::make_shared<AdminSession>(std::move(socket), this);
                             {
                               std::lock_guard<std::mutex> lock(mu_);
                               if (stopping_) return;
                               sessions_[session.get()] = session;
                             }
                             session->Run();
                           }
                           Accept();
                         });
}

void AdminServer::Stop() {
  std::vector<std::shared_ptr<AdminSession>> live;
  {
    std::lock_guard<std::mutex> lock(mu_);
    stopping_ = true;
    for (auto& [ptr, weak] : sessions_) {
      if (auto s = weak.lock()) live.push_back(std::move(s));
    }
  }
  boost::asio::post(io_, [this] {
    beast::error_code ignored;
    acceptor_.close(ignored);
  });
  for (auto& s : live) s->Close();
}

void AdminServer::SetAllowedOrigins(std::vector<std::string> origins) {
  std::lock_guard<std::mutex> lock(mu_);
  context_.allowed_origins = std::move(origins);
}

AdminResponse AdminServer::Route(const AdminRequest& request) {
  AdminContext context;
  {
    std::lock_guard<std::mutex> lock(mu_);
    context = context_;
  }
  try {
    return RouteAdmin(request, context);
  } catch (const std::exception& e) {
    spdlog::error("admin: {} failed: {}", request.target.substr(0, 100), e.what());
    return Problem(500, ErrorCode::kInternal, "internal error");
  }
}

void AdminServer::Forget(AdminSession* session) {
  std::lock_guard<std::mutex> lock(mu_);
  sessions_.erase(session);
}

}  // namespace licet::daemon
