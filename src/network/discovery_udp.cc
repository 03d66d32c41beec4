// The sockets of discovery (discovery.h): the server's responder and the client's probe.
#include <ifaddrs.h>
#include <net/if.h>
#include <netinet/in.h>
#include <spdlog/spdlog.h>

#include <memory>

#include "crypto/crypto.h"
#include "network/discovery.h"

namespace licet::network {

namespace asio = boost::asio;
using asio::ip::udp;

DiscoveryResponder::DiscoveryResponder(asio::io_context& io, Describe describe)
    : socket_(asio::make_strand(io)), describe_(std::move(describe)) {}

DiscoveryResponder::~DiscoveryResponder() = default;

Status DiscoveryResponder::Listen(const std::string& host, uint16_t port) {
  boost::system::error_code ec;
  auto address = asio::ip::make_address(host, ec);
  if (ec) return Error(ErrorCode::kInvalidArgument, "'" + host + "' is not an IP address");
  udp::endpoint endpoint(address, port);
  socket_.open(endpoint.protocol(), ec);
  if (!ec) socket_.set_option(asio::socket_base::reuse_address(true), ec);
  if (!ec) socket_.bind(endpoint, ec);
  if (ec) {
    return Error(ErrorCode::kIoError, "cannot listen for discovery probes on udp " + host + ":" +
                                          std::to_string(port) + ": " + ec.message());
  }
  port_ = socket_.local_endpoint(ec).port();
  return Status::Ok();
}

void DiscoveryResponder::Start() {
  asio::dispatch(socket_.get_executor(), [this] { Receive(); });
}

void DiscoveryResponder::Stop() {
  asio::dispatch(socket_.get_executor(), [this] {
    boost::system::error_code ignored;
    socket_.close(ignored);
  });
}

void DiscoveryResponder::Receive() {
  socket_.async_receive_from(
      asio::buffer(in_), sender_, [this](const boost::system::error_code& ec, size_t n) {
        if (ec == asio::error::operation_aborted || !socket_.is_open()) return;
        if (ec) {
          spdlog::debug("discovery: receive failed: {}", ec.message());
          return Receive();
        }
        // A datagram filling the buffer was cut: too large for a probe either way.
        auto nonce = n > kMaxDiscoveryDatagram
                         ? Result<Bytes>(Error(ErrorCode::kProtocolError, "too large"))
                         : ParseDiscoveryProbe(ByteSpan(in_.data(), n));
        const std::string source = sender_.address().to_string();
        if (!nonce.ok() || !limiter_.Allow(source, std::chrono::steady_clock::now())) {
          ++dropped_;
          return Receive();
        }
        DiscoveryAnswer answer = describe_();
        answer.nonce = std::move(*nonce);
        // Never more than the probe: a spoofed source gets no amplification.
        auto datagram = EncodeDiscoveryAnswer(answer, n);
        if (datagram.ok()) {
          boost::system::error_code send_ec;
          socket_.send_to(asio::buffer(*datagram), sender_, 0, send_ec);
          if (!send_ec) ++answered_;
        }
        Receive();
      });
}

std::vector<std::string> BroadcastAddresses() {
  std::vector<std::string> out = {"255.255.255.255"};
  struct ifaddrs* list = nullptr;
  if (::getifaddrs(&list) != 0) return out;
  for (struct ifaddrs* i = list; i != nullptr; i = i->ifa_next) {
    if (i->ifa_addr == nullptr || i->ifa_addr->sa_family != AF_INET) continue;
    if ((i->ifa_flags & IFF_UP) == 0 || (i->ifa_flags & IFF_BROADCAST) == 0) continue;
    if (i->ifa_broadaddr == nullptr) continue;
    const auto* sin = reinterpret_cast<const struct sockaddr_in*>(i->ifa_broadaddr);
    asio::ip::address_v4 a(ntohl(sin->sin_addr.s_addr));
    const std::string text = a.to_string();
    if (std::find(out.begin(), out.end(), text) == out.end()) out.push_back(text);
  }
  ::freeifaddrs(list);
  return out;
}

namespace {

// One probe in flight: its socket, nonce, deadline and what came back.
struct Probe : std::enable_shared_from_this<Probe> {
  Probe(asio::io_context& io, std::function<void(std::vector<DiscoveredServer>)> on_done)
      : strand(asio::make_strand(io)), socket(strand), timer(strand), done(std::move(on_done)) {}

  void Receive() {
    socket.async_receive_from(
        asio::buffer(in), from,
        [self = shared_from_this()](const boost::system::error_code& ec, size_t n) {
          if (ec) return self->Finish();  // closed by the timer, or a socket error
          auto answer = n > kMaxDiscoveryDatagram
                            ? Result<DiscoveryAnswer>(Error(ErrorCode::kProtocolError, "large"))
                            : ParseDiscoveryAnswer(ByteSpan(self->in.data(), n));
          if (answer.ok() && crypto::ConstantTimeEqual(answer->nonce, self->nonce)) {
            auto a = self->from.address();
            if (a.is_v6() && a.to_v6().is_v4_mapped()) a = a.to_v6().to_v4();
            DiscoveredServer s{{a.to_string(), answer->port},
                               std::move(answer->serials),
                               std::move(answer->fingerprint)};
            bool seen = false;
            for (const auto& f : self->found) {
              seen = seen || (f.address.host == s.address.host && f.address.port == s.address.port);
            }
            if (!seen) self->found.push_back(std::move(s));
          } else {
            spdlog::debug("discovery: ignored a datagram from {}",
                          self->from.address().to_string());
          }
          self->Receive();
        });
  }

  void Finish() {
    if (finished) return;
    finished = true;
    timer.cancel();
    boost::system::error_code ignored;
    socket.close(ignored);
    done(std::move(found));
  }

  asio::strand<asio::io_context::executor_type> strand;
  udp::socket socket;
  asio::steady_timer timer;
  std::function<void(std::vector<DiscoveredServer>)> done;
  Bytes nonce = crypto::RandomBytes(kDiscoveryNonceSize);
  Bytes in = Bytes(kMaxDiscoveryDatagram + 1);
  udp::endpoint from;
  std::vector<DiscoveredServer> found;
  bool finished = false;
};

}  // namespace

void DiscoverServers(asio::io_context& io, DiscoveryOptions options,
                     std::function<void(std::vector<DiscoveredServer>)> done) {
  auto probe = std::make_shared<Probe>(io, std::move(done));
  asio::dispatch(probe->strand, [probe, options = std::move(options)] {
    boost::system::error_code ec;
    probe->socket.open(udp::v4(), ec);
    if (!ec) probe->socket.set_option(asio::socket_base::broadcast(true), ec);
    if (ec) {
      spdlog::warn("discovery: cannot open a UDP socket: {}", ec.message());
      return probe->Finish();
    }
    const Bytes datagram = EncodeDiscoveryProbe(probe->nonce);
    const std::vector<std::string> targets =
        options.targets.empty() ? BroadcastAddresses() : options.targets;
    size_t sent = 0;
    for (const std::string& t : targets) {
      auto address = asio::ip::make_address_v4(t, ec);
      if (ec) continue;
      // One unreachable target (no default route for 255.255.255.255) must not stop the rest.
      probe->socket.send_to(asio::buffer(datagram), udp::endpoint(address, options.port), 0, ec);
      if (ec) {
        spdlog::debug("discovery: probe to {} failed: {}", t, ec.message());
      } else {
        ++sent;
      }
    }
    if (sent == 0) return probe->Finish();
    probe->timer.expires_after(std::chrono::milliseconds(options.wait_ms));
    probe->timer.async_wait([probe](const boost::system::error_code& e) {
      if (!e) probe->Finish();
    });
    probe->Receive();
  });
}

}  // namespace licet::network
