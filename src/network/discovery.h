// UDP broadcast discovery of network license servers (docs/NETWORK.md "Discovery",
// docs/PROTOCOL.md "Discovery datagrams").
//
// A client licetd without configured servers broadcasts a probe on UDP port 22450 (to
// 255.255.255.255 and each IPv4 interface's broadcast address) and collects the answers for
// about 300 ms. A server answers with its TLS port, the serials of its containers and its
// certificate's SHA-256 fingerprint. Discovery only finds addresses: the client still checks
// the server's certificate against its pinned fingerprints or CA when it connects; a
// discovered fingerprint is trusted on its own only with `trust_discovered` (labs).
//
// Both datagrams are one CBOR map (protocol::DecodeMessage: strict, definite lengths):
//   probe:  {"licet": "probe", "v": 1, "nonce": 16 bytes, "pad": bytes}, padded so that the
//           datagram is at least kDiscoveryProbeSize bytes;
//   answer: {"licet": "server", "v": 1, "nonce": the probe's, "port": 1..65535,
//           "serials": [text <= 32 bytes, at most kMaxDiscoverySerials],
//           "fingerprint": 32 bytes}.
// Amplification: a server answers only probes of at least kDiscoveryProbeSize bytes, with an
// answer no larger than the probe, and at most a few answers per second per source address
// and overall (DiscoveryRateLimiter).
#ifndef LICET_NETWORK_DISCOVERY_H_
#define LICET_NETWORK_DISCOVERY_H_

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <unordered_map>
#include <vector>

#include "common/bytes.h"
#include "common/status.h"
#include "network/asio_ssl.h"
#include "network/client.h"

namespace licet::network {

inline constexpr uint32_t kDiscoveryVersion = 1;
inline constexpr size_t kDiscoveryNonceSize = 16;
inline constexpr size_t kDiscoveryProbeSize = 512;     // the least a probe weighs
inline constexpr size_t kMaxDiscoveryDatagram = 1024;  // anything larger is dropped
inline constexpr size_t kMaxDiscoverySerials = 8;
inline constexpr size_t kMaxDiscoverySerialSize = 32;
inline constexpr int kDiscoveryWaitMs = 300;

struct DiscoveryAnswer {
  Bytes nonce;  // the probe's
  uint16_t port = 0;
  std::vector<std::string> serials;
  Bytes fingerprint;  // SHA-256 of the server's certificate (32 bytes)
};

// A probe datagram with `nonce` (kDiscoveryNonceSize bytes), padded to kDiscoveryProbeSize.
Bytes EncodeDiscoveryProbe(ByteSpan nonce);
// The probe's nonce. kProtocolError for anything but a well-formed probe of
// kDiscoveryProbeSize..kMaxDiscoveryDatagram bytes. Never throws.
[[nodiscard]] Result<Bytes> ParseDiscoveryProbe(ByteSpan datagram);
// An answer of at most `max_size` bytes: serials that do not fit are left out (the first one
// always fits a probe-sized answer). kInvalidArgument for a malformed answer.
[[nodiscard]] Result<Bytes> EncodeDiscoveryAnswer(const DiscoveryAnswer& answer, size_t max_size);
// kProtocolError for anything but a well-formed answer of at most kMaxDiscoveryDatagram
// bytes. Never throws.
[[nodiscard]] Result<DiscoveryAnswer> ParseDiscoveryAnswer(ByteSpan datagram);

// Token buckets per source address and overall; bounded memory (a full table is reset).
// Not thread-safe (the responder's strand owns it).
class DiscoveryRateLimiter {
 public:
  using TimePoint = std::chrono::steady_clock::time_point;
  DiscoveryRateLimiter(double per_source_per_second = 4, double total_per_second = 100,
                       size_t max_sources = 4096);
  // True when an answer to `source` may be sent at `now` (and takes a token).
  bool Allow(const std::string& source, TimePoint now);

 private:
  struct Bucket {
    double tokens = 0;
    TimePoint last;
  };
  static void Refill(Bucket& b, double rate, TimePoint now);
  double per_source_;
  double total_;
  size_t max_sources_;
  Bucket all_;
  std::unordered_map<std::string, Bucket> sources_;
};

// The server side: answers probes on a UDP port. Thread-safe start/stop; handlers run on its
// strand.
class DiscoveryResponder {
 public:
  // What to announce: called for each answer (the serials may change at run time).
  using Describe = std::function<DiscoveryAnswer()>;
  DiscoveryResponder(boost::asio::io_context& io, Describe describe);
  ~DiscoveryResponder();
  DiscoveryResponder(const DiscoveryResponder&) = delete;
  DiscoveryResponder& operator=(const DiscoveryResponder&) = delete;

  // Binds UDP host:port (port 0: any, for tests). kIoError when it cannot.
  [[nodiscard]] Status Listen(const std::string& host, uint16_t port);
  void Start();
  void Stop();
  uint16_t port() const { return port_; }
  uint64_t answered() const { return answered_; }
  uint64_t dropped() const { return dropped_; }

 private:
  void Receive();
  boost::asio::ip::udp::socket socket_;
  Describe describe_;
  DiscoveryRateLimiter limiter_;
  uint16_t port_ = 0;
  Bytes in_ = Bytes(kMaxDiscoveryDatagram + 1);
  boost::asio::ip::udp::endpoint sender_;
  std::atomic<uint64_t> answered_{0};
  std::atomic<uint64_t> dropped_{0};
};

// A server that answered a probe.
struct DiscoveredServer {
  ServerAddress address;  // the answer's source address and announced port
  std::vector<std::string> serials;
  Bytes fingerprint;
};

struct DiscoveryOptions {
  uint16_t port = kDefaultPort;  // where servers listen for probes
  int wait_ms = kDiscoveryWaitMs;
  // Where probes go; empty: 255.255.255.255 and every IPv4 interface's broadcast address.
  std::vector<std::string> targets;
};

// Broadcasts one probe and calls `done` once, after wait_ms, with the distinct servers that
// answered it (by address and port), in arrival order. `done` runs on an io thread. A socket
// error ends the wait early with what arrived so far.
void DiscoverServers(boost::asio::io_context& io, DiscoveryOptions options,
                     std::function<void(std::vector<DiscoveredServer>)> done);

// The order in which to try discovered servers: those whose fingerprint is pinned first, then
// the others; by address text within each group, so the choice is stable across runs.
std::vector<ServerAddress> OrderDiscovered(const std::vector<DiscoveredServer>& found,
                                           const std::vector<Bytes>& pinned);

// 255.255.255.255 plus the broadcast address of every up IPv4 interface (getifaddrs).
std::vector<std::string> BroadcastAddresses();

}  // namespace licet::network

#endif  // LICET_NETWORK_DISCOVERY_H_
