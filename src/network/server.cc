#include "network/server.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <deque>
#include <vector>

#include "network/frame_reader.h"
#include "protocol/protocol.h"

namespace licet::network {

namespace asio = boost::asio;
namespace ssl = boost::asio::ssl;
using asio::ip::tcp;
using nlohmann::json;

// One TLS connection. All handlers run on the socket's strand; one read and one write may be
// outstanding at a time (Asio's ssl::stream allows exactly that), so a client may pipeline
// requests: they are answered in order as they are decoded.
class Server::Session : public std::enable_shared_from_this<Server::Session> {
 public:
  Session(Server* server, tcp::socket socket)
      : server_(server), stream_(std::move(socket), *server->ssl_), timer_(stream_.get_executor()) {
    boost::system::error_code ec;
    auto endpoint = stream_.next_layer().remote_endpoint(ec);
    if (!ec) {
      auto a = endpoint.address();
      if (a.is_v6() && a.to_v6().is_v4_mapped()) a = a.to_v6().to_v4();
      address_ = a.to_string();
    }
  }

  void Start() {
    ArmTimer(server_->options_.handshake_timeout);
    stream_.async_handshake(ssl::stream_base::server,
                            [self = shared_from_this()](const boost::system::error_code& ec) {
                              self->OnHandshake(ec);
                            });
  }

  void Shutdown() {
    asio::post(stream_.get_executor(), [self = shared_from_this()] { self->Close(); });
  }

 private:
  void ArmTimer(int seconds) {
    timer_.expires_after(std::chrono::seconds(seconds));
    timer_.async_wait([self = shared_from_this()](const boost::system::error_code& ec) {
      if (ec) return;  // re-armed or cancelled
      spdlog::debug("network: connection from {} timed out", self->address_);
      self->Close();
    });
  }

  void OnHandshake(const boost::system::error_code& ec) {
    if (ec) {
      // Plaintext, a wrong protocol version, a client that does not trust us, or garbage.
      ++server_->counters_.handshake_failures;
      spdlog::info("network: TLS handshake with {} failed: {}", address_, ec.message());
      return Close();
    }
    ReadMore();
  }

  void ReadMore() {
    if (closed_) return;
    std::span<uint8_t> room = in_.Room();
    stream_.async_read_some(
        asio::buffer(room.data(), room.size()),
        [self = shared_from_this()](const boost::system::error_code& ec, size_t n) {
          if (ec) return self->Close();
          self->in_.Commit(n);
          self->Process();
        });
  }

  void Process() {
    // The client has this long to say hello, then the idle timeout applies.
    ArmTimer(client_ == 0 ? server_->options_.handshake_timeout : server_->options_.idle_timeout);
    while (!closed_) {
      auto body = in_.Next();
      if (!body.ok()) return Fail(body.status());
      if (!*body) break;
      auto message = protocol::DecodeMessage(**body);
      if (!message.ok()) return Fail(message.status());
      auto request = ParseServerRequest(*message);
      if (!request.ok()) {
        if (request.status().code() == ErrorCode::kProtocolError) return Fail(request.status());
        uint64_t id = 0;
        if (auto it = message->find("id"); it != message->end() && it->is_number_unsigned()) {
          id = it->get<uint64_t>();
        }
        Send(protocol::ErrorResponse(id, request.status()));
        continue;
      }
      if (client_ == 0 && request->op != NetOp::kHello) {
        return Fail(Error(ErrorCode::kProtocolError, "the first request must be 'hello'"));
      }
      // Crypt and unit answer later, from another thread: back onto this strand to send.
      server_->HandleAsync(client_, address_, *request, [self = shared_from_this()](json r) {
        asio::dispatch(self->stream_.get_executor(), [self, r = std::move(r)] { self->Send(r); });
      });
    }
    ReadMore();
  }

  // A protocol error ends the connection after its answer.
  void Fail(const Status& st) {
    ++server_->counters_.protocol_errors;
    spdlog::info("network: protocol error from {}: {}", address_, st.ToString());
    Send(protocol::ErrorResponse(0, st));
    close_after_write_ = true;
  }

  void Send(const json& response) {
    Bytes frame = protocol::EncodeFrame(response);
    pending_.insert(pending_.end(), frame.begin(), frame.end());
    if (!writing_) WriteNext();
  }

  void WriteNext() {
    if (pending_.empty() || closed_) {
      if (close_after_write_) Close();
      return;
    }
    writing_ = true;
    out_.swap(pending_);
    pending_.clear();
    asio::async_write(stream_, asio::buffer(out_),
                      [self = shared_from_this()](const boost::system::error_code& ec, size_t) {
                        self->writing_ = false;
                        self->out_.clear();
                        if (ec) return self->Close();
                        self->WriteNext();
                      });
  }

  void Close() {
    if (closed_) return;
    closed_ = true;
    timer_.cancel();
    boost::system::error_code ignored;
    // No TLS close_notify round trip: the peer may be gone, and the lease state does not
    // depend on a clean close.
    stream_.next_layer().shutdown(tcp::socket::shutdown_both, ignored);
    stream_.next_layer().close(ignored);
    server_->Forget(this);
  }

  Server* server_;
  ssl::stream<tcp::socket> stream_;
  asio::steady_timer timer_;
  std::string address_;
  ClientRef client_ = 0;
  FrameReader in_{kMaxNetworkFrame};
  Bytes out_;
  Bytes pending_;
  bool writing_ = false;
  bool close_after_write_ = false;
  bool closed_ = false;
};

Server::Server(asio::io_context& io, ServerOptions options, ItemLookup lookup, const Clock* clock)
    : io_(io),
      options_(std::move(options)),
      lookup_(std::move(lookup)),
      acceptor_(io),
      expiry_timer_(io),
      table_(clock) {}

Server::~Server() = default;

Status Server::Listen(const std::string& host, uint16_t port) {
  LICET_ASSIGN_OR_RETURN(ssl_, MakeServerContext(options_.tls));
  boost::system::error_code ec;
  auto address = asio::ip::make_address(host, ec);
  if (ec) return Error(ErrorCode::kInvalidArgument, "'" + host + "' is not an IP address");
  tcp::endpoint endpoint(address, port);
  acceptor_.open(endpoint.protocol(), ec);
  if (!ec) acceptor_.set_option(asio::socket_base::reuse_address(true), ec);
  if (!ec) acceptor_.bind(endpoint, ec);
  if (!ec) acceptor_.listen(asio::socket_base::max_listen_connections, ec);
  if (ec) {
    return Error(ErrorCode::kIoError, "cannot listen on " + host + ":" + std::to_string(port) +
                                          " for the network server: " + ec.message());
  }
  port_ = acceptor_.local_endpoint(ec).port();
  return Status::Ok();
}

void Server::Start() {
  if (discovery_) discovery_->Start();
  Accept();
  ScheduleExpiry();
}

void Server::Stop() {
  std::vector<std::shared_ptr<Session>> open;
  {
    std::lock_guard<std::mutex> lock(sessions_mu_);
    stopping_ = true;
    for (auto& [raw, weak] : sessions_) {
      if (auto s = weak.lock()) open.push_back(std::move(s));
    }
  }
  boost::system::error_code ignored;
  acceptor_.close(ignored);
  if (discovery_) discovery_->Stop();
  expiry_timer_.cancel();
  for (auto& s : open) s->Shutdown();
}

void Server::Accept() {
  acceptor_.async_accept(asio::make_strand(io_), [this](const boost::system::error_code& ec,
                                                        tcp::socket socket) {
    if (ec == asio::error::operation_aborted) return;
    if (!ec) {
      boost::system::error_code ignored;
      socket.set_option(tcp::no_delay(true), ignored);
      socket.set_option(asio::socket_base::keep_alive(true), ignored);
      auto session = std::make_shared<Session>(this, std::move(socket));
      bool accept = false;
      {
        std::lock_guard<std::mutex> lock(sessions_mu_);
        if (!stopping_ && sessions_.size() < options_.max_connections) {
          sessions_[session.get()] = session;
          accept = true;
        }
      }
      if (accept) {
        ++counters_.connections;
        session->Start();
      } else {
        spdlog::warn("network: connection refused: {} connections open", options_.max_connections);
      }
    } else {
      spdlog::warn("network: accept failed: {}", ec.message());
    }
    {
      std::lock_guard<std::mutex> lock(sessions_mu_);
      if (stopping_) return;
    }
    Accept();
  });
}

void Server::Forget(Session* session) {
  std::lock_guard<std::mutex> lock(sessions_mu_);
  sessions_.erase(session);
}

void Server::ScheduleExpiry() {
  expiry_timer_.expires_after(std::chrono::seconds(1));
  expiry_timer_.async_wait([this](const boost::system::error_code& ec) {
    if (ec) return;
    size_t freed;
    std::vector<UsageEvent> expired;
    {
      std::lock_guard<std::mutex> lock(table_mu_);
      freed = table_.Expire();
      if (freed > 0 && usage_log_ != nullptr) {
        // Which leases went: the ones we logged as granted that the table no longer has.
        std::unordered_map<LeaseId, bool> live;
        for (const auto& row : table_.LeaseRows(table_.lease_count() + 1)) {
          live[row["lease"].get<LeaseId>()] = true;
        }
        for (auto it = usage_leases_.begin(); it != usage_leases_.end();) {
          if (live.count(it->first) != 0) {
            ++it;
            continue;
          }
          expired.push_back(std::move(it->second));
          expired.back().event = "expire";
          it = usage_leases_.erase(it);
        }
      }
    }
    for (const UsageEvent& e : expired) LogUsage(e);
    if (usage_log_ != nullptr) {
      Status s = usage_log_->CheckpointDue();
      if (!s.ok()) spdlog::error("usage log: {}", s.message());
    }
    if (freed > 0) {
      counters_.expired += freed;
      spdlog::info("network: {} lease(s) of silent clients freed (lease timeout)", freed);
    }
    ScheduleExpiry();
  });
}

json Server::Handle(ClientRef& client, const std::string& address, const ServerRequest& r,
                    FollowUp* follow_up) {
  switch (r.op) {
    case NetOp::kHello: {
      if (r.hello.version != kNetworkProtocolVersion) {
        return protocol::ErrorResponse(
            r.id, Error(ErrorCode::kUnsupportedVersion,
                        "network protocol version " + std::to_string(r.hello.version) +
                            " is not supported; this server speaks version 1"));
      }
      ClientInfo info{r.hello.client_id, r.hello.host, r.hello.machine, address};
      {
        std::lock_guard<std::mutex> lock(table_mu_);
        client = table_.Hello(info);
      }
      json resp = protocol::OkResponse(r.id);
      resp["version"] = kNetworkProtocolVersion;
      resp["server"] = "licetd";
      resp["lease_timeout"] = options_.min_lease_timeout;
      return resp;
    }
    case NetOp::kAccess: {
      // Access rules come before the item lookup: a denied client learns nothing about items.
      Requester who{address, {}, r.access.user};
      if (!options_.rules.empty()) {
        std::lock_guard<std::mutex> lock(table_mu_);
        who.host = table_.HostOf(client);
      }
      Status allowed = options_.rules.Check(who);
      auto spec = allowed.ok() ? lookup_(r.access) : Result<ItemSpec>(allowed);
      if (spec.ok()) {
        spec->reservations =
            options_.rules.ReservationsFor(r.access.firm_code, r.access.product_code, who);
      }
      std::unique_lock<std::mutex> lock(table_mu_);
      if (spec.ok()) SubtractBorrowed(*spec, r.access.firm_code, r.access.product_code);
      Result<SeatGrant> granted =
          spec.ok() ? table_.Acquire(client, r.access.firm_code, r.access.product_code, *spec,
                                     r.access.mode, r.access.user, r.access.reclaim)
                    : Result<SeatGrant>(spec.status());
      if (!granted.ok()) {
        ++counters_.denied;
        table_.RecordDenial(client, r.access.firm_code, r.access.product_code, r.access.user,
                            granted.status());
        if (usage_log_ != nullptr) {
          UsageEvent e = AccessEvent("deny", client, r.access, address, 0,
                                     granted.status().message());
          lock.unlock();  // the log's write (and fsync at checkpoints) must not block the table
          LogUsage(e);
        }
        return protocol::ErrorResponse(r.id, granted.status());
      }
      ++counters_.granted;
      if (usage_log_ != nullptr) {
        UsageEvent e = AccessEvent("grant", client, r.access, address, granted->lease,
                                   granted->reclaimed ? "reclaimed" : "");
        usage_leases_[granted->lease] = e;
        lock.unlock();
        LogUsage(e);
      }
      json resp = protocol::OkResponse(r.id);
      resp["lease"] = granted->lease;
      resp["serial"] = spec->serial;
      resp["license_quantity"] = spec->license_quantity;
      resp["lease_timeout"] = spec->lease_timeout;
      if (granted->reclaimed) resp["reclaimed"] = true;
      if (spec->item.is_object()) resp["item"] = spec->item;
      if (follow_up != nullptr && spec->first_use) {
        *follow_up = FollowUp{
            true, {spec->serial, r.access.firm_code, r.access.product_code}, granted->lease};
      }
      return resp;
    }
    case NetOp::kRelease: {
      std::unique_lock<std::mutex> lock(table_mu_);
      Status st = table_.Release(client, r.lease);
      if (st.ok()) LogLeaseEnd(lock, r.lease, "");
      return st.ok() ? protocol::OkResponse(r.id) : protocol::ErrorResponse(r.id, st);
    }
    case NetOp::kHeartbeat: {
      json resp = protocol::OkResponse(r.id);
      std::lock_guard<std::mutex> lock(table_mu_);
      resp["leases"] = table_.Touch(client);
      return resp;
    }
    case NetOp::kStatus: {
      json resp = protocol::OkResponse(r.id);
      std::lock_guard<std::mutex> lock(table_mu_);
      table_.Touch(client);
      resp["leases"] = table_.LeaseRows(2000);
      if (borrows_) {  // lent seats, as rows with mode "borrowed" (borrow_server.cc)
        for (json& row : borrows_->Rows(2000)) resp["leases"].push_back(std::move(row));
      }
      return resp;
    }
    case NetOp::kBorrow:  // borrow_server.cc
      return HandleBorrow(client, address, r);
    case NetOp::kBorrowReturn:
      return HandleBorrowReturn(client, address, r);
    case NetOp::kCrypt:
    case NetOp::kUnit:
      return protocol::ErrorResponse(
          r.id, Error(ErrorCode::kInternal, "crypt and unit are answered by HandleAsync"));
  }
  return protocol::ErrorResponse(r.id, Error(ErrorCode::kInternal, "unhandled op"));
}

json Server::StatusJson(size_t limit) {
  std::lock_guard<std::mutex> lock(table_mu_);
  return json{{"port", port_},
              {"clients", table_.client_count()},
              {"lease_count", table_.lease_count()},
              {"leases", table_.LeaseRows(limit)},
              {"items", table_.ItemRows()},
              {"denials", table_.DenialRows()},
              {"borrows", borrows_ ? borrows_->Rows(limit) : json::array()}};
}

Status Server::Revoke(LeaseId lease) {
  std::unique_lock<std::mutex> lock(table_mu_);
  LICET_RETURN_IF_ERROR(table_.Revoke(lease));
  LogLeaseEnd(lock, lease, "freed by the administrator");
  return Status::Ok();
}

UsageEvent Server::AccessEvent(const char* event, ClientRef client, const AccessRequest& access,
                               const std::string& address, LeaseId lease, std::string reason) {
  return UsageEvent{event,
                    access.firm_code,
                    access.product_code,
                    table_.ClientIdHexOf(client),
                    table_.HostOf(client),
                    access.user,
                    model::AccessModeName(access.mode),
                    lease,
                    std::move(reason),
                    address};
}

void Server::LogLeaseEnd(std::unique_lock<std::mutex>& lock, LeaseId lease, const char* reason) {
  auto logged = usage_leases_.find(lease);
  if (logged == usage_leases_.end()) return;
  UsageEvent e = std::move(logged->second);
  usage_leases_.erase(logged);
  e.event = "release";
  e.reason = reason;
  lock.unlock();
  LogUsage(e);
}

void Server::LogUsage(const UsageEvent& event) {
  // A failing log must not cost the customer a seat: the failure is loud, the access stands.
  Status s = usage_log_->Append(event);
  if (!s.ok()) spdlog::error("usage log: {}", s.message());
}

std::vector<Server::ItemSeats> Server::SeatSummary() {
  std::vector<ItemSeats> out;
  std::lock_guard<std::mutex> lock(table_mu_);
  for (const auto& row : table_.ItemRows()) {
    out.push_back(ItemSeats{row["firm_code"].get<uint32_t>(), row["product_code"].get<uint32_t>(),
                            row["seats_used"].get<uint32_t>(),
                            row["license_quantity"].get<uint32_t>(),
                            row["denied"].get<uint64_t>()});
  }
  return out;
}

}  // namespace licet::network
