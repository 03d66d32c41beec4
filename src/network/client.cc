#include "network/client.h"

#include <spdlog/spdlog.h>

#include <charconv>

#include "crypto/crypto.h"
#include "network/frame_reader.h"
#include "protocol/protocol.h"

namespace licet::network {

namespace asio = boost::asio;
namespace ssl = boost::asio::ssl;
using asio::ip::tcp;
using nlohmann::json;
using Clock_ = std::chrono::steady_clock;

std::string ServerAddress::ToString() const {
  std::string h = host.find(':') != std::string::npos ? "[" + host + "]" : host;
  return h + ":" + std::to_string(port);
}

Result<ServerAddress> ParseServerAddress(const std::string& raw) {
  std::string text = raw;
  while (!text.empty() && (text.front() == ' ' || text.front() == '\t')) text.erase(0, 1);
  while (!text.empty() && (text.back() == ' ' || text.back() == '\t')) text.pop_back();
  auto bad = [&](const std::string& why) {
    return Error(ErrorCode::kInvalidArgument,
                 "server '" + raw.substr(0, 100) + "': " + why + " (host[:port] expected)");
  };
  if (text.empty() || text.size() > 261) return bad("empty or too long");
  ServerAddress a;
  std::string port;
  if (text.front() == '[') {
    size_t close = text.find(']');
    if (close == std::string::npos) return bad("']' missing");
    a.host = text.substr(1, close - 1);
    if (close + 1 < text.size()) {
      if (text[close + 1] != ':') return bad("':' expected after ']'");
      port = text.substr(close + 2);
      if (port.empty()) return bad("empty port");
    }
  } else {
    size_t colon = text.find(':');
    if (colon != std::string::npos && text.find(':', colon + 1) != std::string::npos) {
      return bad("an IPv6 address needs brackets");
    }
    a.host = text.substr(0, colon);
    if (colon != std::string::npos) {
      port = text.substr(colon + 1);
      if (port.empty()) return bad("empty port");
    }
  }
  if (a.host.empty()) return bad("no host");
  for (unsigned char c : a.host) {
    if (!(std::isalnum(c) || c == '.' || c == '-' || c == ':' || c == '_' || c == '%')) {
      return bad("bad character in the host name");
    }
  }
  if (!port.empty()) {
    unsigned value = 0;
    auto [end, ec] = std::from_chars(port.data(), port.data() + port.size(), value);
    if (ec != std::errc() || end != port.data() + port.size() || value == 0 || value > 65535) {
      return bad("port must be 1 to 65535");
    }
    a.port = static_cast<uint16_t>(value);
  }
  return a;
}

Result<std::vector<ServerAddress>> ParseServerList(const std::string& text) {
  std::vector<ServerAddress> out;
  size_t start = 0;
  while (start <= text.size()) {
    size_t comma = text.find(',', start);
    std::string item =
        text.substr(start, comma == std::string::npos ? std::string::npos : comma - start);
    if (item.find_first_not_of(" \t") != std::string::npos) {
      LICET_ASSIGN_OR_RETURN(ServerAddress a, ParseServerAddress(item));
      out.push_back(std::move(a));
    }
    if (comma == std::string::npos) break;
    start = comma + 1;
  }
  return out;
}

// One TLS connection to one server. Runs on the client's strand.
class Client::Connection : public std::enable_shared_from_this<Client::Connection> {
 public:
  using Ready = std::function<void(Status, int64_t lease_timeout)>;

  Connection(std::weak_ptr<Client> owner, asio::strand<asio::io_context::executor_type> strand,
             SslContext& ssl, ServerAddress address)
      : owner_(std::move(owner)),
        resolver_(strand),
        stream_(tcp::socket(strand), ssl),
        timer_(strand),
        address_(std::move(address)) {}

  const ServerAddress& address() const { return address_; }

  void Start(const ClientOptions& options, Ready ready) {
    ready_ = std::move(ready);
    request_timeout_ = options.request_timeout;
    hello_.version = kNetworkProtocolVersion;
    hello_.client_id = options.client_id;
    hello_.host = options.host;
    hello_.machine = options.machine;
    timer_.expires_after(std::chrono::seconds(options.connect_timeout));
    timer_.async_wait([self = shared_from_this()](const boost::system::error_code& ec) {
      if (!ec) self->Fail(Error(ErrorCode::kServerNotFound, "no answer in time"));
    });
    // SNI and, with a CA, the host name check. With pinning the context's callback decides:
    // the usual certificate is self-signed and names no particular host.
    SSL_set_tlsext_host_name(stream_.native_handle(), address_.host.c_str());
    if (options.tls.pinned.empty()) {
      stream_.set_verify_callback(ssl::host_name_verification(address_.host));
    }
    resolver_.async_resolve(address_.host, std::to_string(address_.port),
                            [self = shared_from_this()](const boost::system::error_code& ec,
                                                        tcp::resolver::results_type results) {
                              if (ec)
                                return self->Fail(Error(ErrorCode::kServerNotFound, ec.message()));
                              asio::async_connect(
                                  self->stream_.next_layer(), results,
                                  [self](const boost::system::error_code& ec2,
                                         const tcp::endpoint&) { self->OnConnect(ec2); });
                            });
  }

  void Send(Pending p) {
    const uint64_t id = next_id_++;
    p.message["id"] = id;
    Bytes frame = protocol::EncodeFrame(p.message);
    out_pending_.insert(out_pending_.end(), frame.begin(), frame.end());
    inflight_.emplace(id, InFlight{p.op, std::move(p.done), Clock_::now()});
    if (!writing_) WriteNext();
  }

  void Close(const Status& why) { Fail(why); }

 private:
  struct InFlight {
    NetOp op;
    std::function<void(Result<ClientResponse>)> done;
    Clock_::time_point sent;
  };

  void OnConnect(const boost::system::error_code& ec) {
    if (closed_) return;
    if (ec) return Fail(Error(ErrorCode::kServerNotFound, ec.message()));
    boost::system::error_code ignored;
    stream_.next_layer().set_option(tcp::no_delay(true), ignored);
    stream_.next_layer().set_option(asio::socket_base::keep_alive(true), ignored);
    stream_.async_handshake(ssl::stream_base::client,
                            [self = shared_from_this()](const boost::system::error_code& ec2) {
                              self->OnHandshake(ec2);
                            });
  }

  void OnHandshake(const boost::system::error_code& ec) {
    if (closed_) return;
    if (ec) {
      std::string why = ec.message();
      if (ec.category() == asio::error::get_ssl_category()) {
        why = "TLS handshake failed (" + why +
              "): the server's certificate is not trusted (wrong pinned fingerprint or CA?) or "
              "it does not speak TLS 1.3";
      }
      return Fail(Error(ErrorCode::kServerNotFound, why));
    }
    ReadMore();
    Pending hello = MakePending(NetOp::kHello, EncodeHello(0, hello_));
    hello.done = [self = shared_from_this()](Result<ClientResponse> r) {
      if (!r.ok()) return self->Fail(r.status());
      if (!r->status.ok()) return self->Fail(r->status);
      self->hello_done_ = true;
      self->timer_.cancel();
      self->ArmWatchdog();
      if (auto ready = std::move(self->ready_)) ready(Status::Ok(), r->lease_timeout);
    };
    Send(std::move(hello));
  }

  // Closes the connection when an answer is overdue: a server that stopped answering is as
  // good as gone, and the client should fall back to the next one.
  void ArmWatchdog() {
    timer_.expires_after(std::chrono::seconds(1));
    timer_.async_wait([self = shared_from_this()](const boost::system::error_code& ec) {
      if (ec || self->closed_) return;
      const auto limit = Clock_::now() - std::chrono::seconds(self->request_timeout_);
      for (const auto& [id, f] : self->inflight_) {
        if (f.sent < limit) {
          return self->Fail(
              Error(ErrorCode::kUnavailable,
                    "the network server " + self->address_.ToString() + " stopped answering"));
        }
      }
      self->ArmWatchdog();
    });
  }

  void ReadMore() {
    if (closed_) return;
    std::span<uint8_t> room = in_.Room();
    stream_.async_read_some(
        asio::buffer(room.data(), room.size()),
        [self = shared_from_this()](const boost::system::error_code& ec, size_t n) {
          if (ec) {
            return self->Fail(Error(ErrorCode::kUnavailable, "connection to the network server " +
                                                                 self->address_.ToString() +
                                                                 " lost: " + ec.message()));
          }
          self->in_.Commit(n);
          self->Process();
        });
  }

  void Process() {
    while (!closed_) {
      auto body = in_.Next();
      if (!body.ok()) return Fail(body.status());
      if (!*body) break;
      auto message = protocol::DecodeMessage(**body);
      if (!message.ok()) return Fail(message.status());
      uint64_t id = 0;
      if (auto it = message->find("id"); it != message->end() && it->is_number_unsigned()) {
        id = it->get<uint64_t>();
      }
      auto f = inflight_.find(id);
      if (f == inflight_.end()) {
        // id 0: the server refused the connection (protocol error) and closes it.
        return Fail(ResponseFailure(*message));
      }
      InFlight call = std::move(f->second);
      inflight_.erase(f);
      call.done(ParseClientResponse(*message, call.op));
    }
    ReadMore();
  }

  static Status ResponseFailure(const json& message) {
    auto parsed = ParseClientResponse(message, NetOp::kRelease);
    if (parsed.ok() && !parsed->status.ok()) return parsed->status;
    return Error(ErrorCode::kProtocolError, "the server sent an answer to no request");
  }

  void WriteNext() {
    if (out_pending_.empty() || closed_) return;
    writing_ = true;
    out_.swap(out_pending_);
    out_pending_.clear();
    asio::async_write(stream_, asio::buffer(out_),
                      [self = shared_from_this()](const boost::system::error_code& ec, size_t) {
                        self->writing_ = false;
                        self->out_.clear();
                        if (ec) {
                          return self->Fail(Error(
                              ErrorCode::kUnavailable,
                              "cannot send to " + self->address_.ToString() + ": " + ec.message()));
                        }
                        self->WriteNext();
                      });
  }

  void Fail(const Status& why) {
    if (closed_) return;
    closed_ = true;
    timer_.cancel();
    resolver_.cancel();
    boost::system::error_code ignored;
    stream_.next_layer().shutdown(tcp::socket::shutdown_both, ignored);
    stream_.next_layer().close(ignored);
    auto inflight = std::move(inflight_);
    inflight_.clear();
    for (auto& [id, f] : inflight) f.done(why);
    if (auto ready = std::move(ready_)) {
      ready(why, 0);
    } else if (hello_done_) {
      if (auto owner = owner_.lock()) owner->OnDisconnected(this, why);
    }
  }

  std::weak_ptr<Client> owner_;
  tcp::resolver resolver_;
  ssl::stream<tcp::socket> stream_;
  asio::steady_timer timer_;
  ServerAddress address_;
  HelloRequest hello_;
  Ready ready_;
  int request_timeout_ = 10;
  bool hello_done_ = false;
  bool closed_ = false;
  uint64_t next_id_ = 1;
  std::map<uint64_t, InFlight> inflight_;
  FrameReader in_{protocol::kMaxFrameSize};
  Bytes out_;
  Bytes out_pending_;
  bool writing_ = false;
};

Result<std::shared_ptr<Client>> Client::Create(asio::io_context& io, ClientOptions options) {
  if (options.servers.empty() && !options.discover) {
    return Error(ErrorCode::kServerNotFound,
                 "no network license server configured (set [network.client] servers or "
                 "LICET_SERVERS)");
  }
  if (options.client_id.empty()) options.client_id = crypto::RandomBytes(kClientIdSize);
  if (options.client_id.size() != kClientIdSize) {
    return Error(ErrorCode::kInvalidArgument, "a client id has 16 bytes");
  }
  if (options.machine.empty()) options.machine = HexEncode(options.client_id);
  if (options.host.empty()) options.host = "unknown";
  LICET_ASSIGN_OR_RETURN(auto ssl, MakeClientContext(options.tls));
  return std::shared_ptr<Client>(new Client(io, std::move(options), std::move(ssl)));
}

Client::Client(asio::io_context& io, ClientOptions options, std::unique_ptr<SslContext> ssl)
    : io_(io),
      strand_(asio::make_strand(io)),
      options_(std::move(options)),
      ssl_(std::move(ssl)),
      heartbeat_timer_(strand_),
      retry_timer_(strand_) {}

Client::~Client() = default;

void Client::Close() {
  asio::dispatch(strand_, [self = shared_from_this()] {
    self->closed_ = true;
    self->heartbeat_timer_.cancel();
    self->retry_timer_.cancel();
    // Reset first: a deliberate close is no disconnection to recover from.
    if (auto c = std::move(self->connection_)) c->Close(Error(ErrorCode::kUnavailable, "closed"));
    self->FailQueued(Error(ErrorCode::kUnavailable, "the network client was closed"));
  });
}

void Client::SetOnLost(OnLost on_lost) {
  asio::dispatch(strand_, [self = shared_from_this(), f = std::move(on_lost)]() mutable {
    self->on_lost_ = std::move(f);
  });
}

std::string Client::connected_server() {
  std::lock_guard<std::mutex> lock(mu_);
  return connected_server_;
}

Status Client::TicketStatus(TicketId ticket) {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = ticket_status_.find(ticket);
  if (it == ticket_status_.end()) {
    return Error(ErrorCode::kInvalidArgument, "no network ticket " + std::to_string(ticket));
  }
  return it->second;
}

size_t Client::held_tickets() {
  std::lock_guard<std::mutex> lock(mu_);
  size_t n = 0;
  for (const auto& [id, st] : ticket_status_) n += st.ok() ? 1 : 0;
  return n;
}

Client::Pending Client::MakePending(NetOp op, nlohmann::json message) {
  message.erase("id");
  return Pending{op, std::move(message), nullptr};
}

void Client::Submit(Pending p) {
  if (closed_) return p.done(Error(ErrorCode::kUnavailable, "the network client was closed"));
  if (connection_) return connection_->Send(std::move(p));
  queued_.push_back(std::move(p));
  if (!connecting_) Connect();
}

void Client::FailQueued(const Status& st) {
  auto queued = std::move(queued_);
  queued_.clear();
  for (auto& p : queued) p.done(st);
}

void Client::Connect() {
  if (closed_ || connecting_ || connection_) return;
  connecting_ = true;
  if (options_.discover) return Rediscover();
  TryServer(0, "");
}

void Client::TryServer(size_t index, std::string failures) {
  if (closed_) return;
  if (index >= options_.servers.size()) {
    connecting_ = false;
    Status st =
        Error(ErrorCode::kServerNotFound, "no network license server reachable (" + failures + ")");
    spdlog::debug("network client: {}", st.message());
    FailQueued(st);
    // Held tickets need the server back: keep trying, slower each time.
    if (!tickets_.empty()) {
      retry_delay_ms_ = std::min(std::max(retry_delay_ms_ * 2, 250), 5000);
      retry_timer_.expires_after(std::chrono::milliseconds(retry_delay_ms_));
      retry_timer_.async_wait([self = shared_from_this()](const boost::system::error_code& ec) {
        if (!ec) self->Connect();
      });
    }
    return;
  }
  auto connection =
      std::make_shared<Connection>(weak_from_this(), strand_, *ssl_, options_.servers[index]);
  connection->Start(options_, [self = shared_from_this(), connection, index, failures](
                                  Status st, int64_t lease_timeout) mutable {
    if (!st.ok()) {
      failures +=
          (failures.empty() ? "" : "; ") + connection->address().ToString() + ": " + st.message();
      return self->TryServer(index + 1, std::move(failures));
    }
    self->OnConnected(std::move(connection), lease_timeout);
  });
}

void Client::OnConnected(std::shared_ptr<Connection> connection, int64_t lease_timeout) {
  connecting_ = false;
  retry_delay_ms_ = 0;
  if (closed_) return connection->Close(Error(ErrorCode::kUnavailable, "closed"));
  connection_ = std::move(connection);
  lease_timeout_ = lease_timeout > 0 ? lease_timeout : 120;
  {
    std::lock_guard<std::mutex> lock(mu_);
    connected_server_ = connection_->address().ToString();
  }
  spdlog::info("network client: connected to {}", connection_->address().ToString());
  Reclaim();
  auto queued = std::move(queued_);
  queued_.clear();
  for (auto& p : queued) connection_->Send(std::move(p));
  ScheduleHeartbeat();
}

void Client::OnDisconnected(const Connection* connection, const Status& why) {
  if (connection_.get() != connection) return;
  spdlog::warn("network client: {}", why.message());
  connection_.reset();
  {
    std::lock_guard<std::mutex> lock(mu_);
    connected_server_.clear();
  }
  heartbeat_timer_.cancel();
  if (closed_) return;
  // Held tickets must be reclaimed soon, before their lease timeout runs out on the server.
  if (!tickets_.empty() || !queued_.empty()) Connect();
}

void Client::Reclaim() {
  for (auto& [id, ticket] : tickets_) {
    if (!ticket.lost.ok()) continue;
    AccessRequest request = ticket.request;
    request.reclaim = ticket.lease;
    Pending p = MakePending(NetOp::kAccess, EncodeAccess(0, request));
    p.done = [self = shared_from_this(), id = id](Result<ClientResponse> r) {
      auto it = self->tickets_.find(id);
      if (it == self->tickets_.end()) return;  // released meanwhile
      if (r.ok() && r->status.ok()) {
        it->second.lease = r->grant.lease;
        return;
      }
      Status why = r.ok() ? r->status : r.status();
      if (why.code() == ErrorCode::kUnavailable || why.code() == ErrorCode::kServerNotFound) {
        return;  // the connection dropped again: the next reconnect tries again
      }
      it->second.lost = why;
      {
        std::lock_guard<std::mutex> lock(self->mu_);
        self->ticket_status_[id] = why;
      }
      spdlog::warn("network client: seat lost after reconnect: {}", why.ToString());
      if (self->on_lost_) self->on_lost_(id, why);
    };
    connection_->Send(std::move(p));
  }
}

void Client::ScheduleHeartbeat() {
  int interval = options_.heartbeat_interval > 0
                     ? options_.heartbeat_interval
                     : static_cast<int>(std::max<int64_t>(1, lease_timeout_ / 3));
  heartbeat_timer_.expires_after(std::chrono::seconds(interval));
  heartbeat_timer_.async_wait([self = shared_from_this()](const boost::system::error_code& ec) {
    if (ec || !self->connection_ || self->closed_) return;
    Pending p = MakePending(NetOp::kHeartbeat, EncodeHeartbeat(0));
    p.done = [](Result<ClientResponse>) {};
    self->connection_->Send(std::move(p));
    self->ScheduleHeartbeat();
  });
}

void Client::Access(AccessRequest request, AccessDone done) {
  asio::dispatch(strand_, [self = shared_from_this(), request = std::move(request),
                           done = std::move(done)]() mutable {
    Pending p = MakePending(NetOp::kAccess, EncodeAccess(0, request));
    p.done = [self, request, done = std::move(done)](Result<ClientResponse> r) {
      if (!r.ok()) return done(r.status(), Grant{});
      if (!r->status.ok()) return done(r->status, Grant{});
      const TicketId id = self->next_ticket_++;
      Ticket t;
      t.request = request;
      t.request.reclaim = 0;
      t.lease = r->grant.lease;
      self->tickets_.emplace(id, std::move(t));
      {
        std::lock_guard<std::mutex> lock(self->mu_);
        self->ticket_status_[id] = Status::Ok();
      }
      done(id, r->grant);
    };
    self->Submit(std::move(p));
  });
}

void Client::Release(TicketId ticket, Done done) {
  asio::dispatch(strand_, [self = shared_from_this(), ticket, done = std::move(done)]() mutable {
    auto it = self->tickets_.find(ticket);
    if (it == self->tickets_.end()) {
      return done(
          Error(ErrorCode::kInvalidArgument, "no network ticket " + std::to_string(ticket)));
    }
    const uint64_t lease = it->second.lease;
    const bool lost = !it->second.lost.ok();
    self->tickets_.erase(it);
    {
      std::lock_guard<std::mutex> lock(self->mu_);
      self->ticket_status_.erase(ticket);
    }
    if (lost || lease == 0 || !self->connection_) {
      // Nothing to give back now: the server frees an unrenewed lease by itself.
      return done(Status::Ok());
    }
    Pending p = MakePending(NetOp::kRelease, EncodeRelease(0, lease));
    p.done = [done = std::move(done)](Result<ClientResponse> r) {
      if (!r.ok()) return done(r.status());
      done(r->status);
    };
    self->connection_->Send(std::move(p));
  });
}

void Client::QueryStatus(StatusDone done) {
  asio::dispatch(strand_, [self = shared_from_this(), done = std::move(done)]() mutable {
    Pending p = MakePending(NetOp::kStatus, EncodeStatusRequest(0));
    p.done = [done = std::move(done)](Result<ClientResponse> r) {
      if (!r.ok()) return done(r.status());
      if (!r->status.ok()) return done(r->status);
      done(std::move(r->status_table));
    };
    self->Submit(std::move(p));
  });
}

}  // namespace licet::network
