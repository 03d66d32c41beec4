// The discovery datagrams, the rate limiter and the order of discovered servers
// (discovery.h). The sockets are in discovery_udp.cc.
#include "network/discovery.h"

#include <algorithm>
#include <exception>
#include <nlohmann/json.hpp>
#include <set>

#include "protocol/protocol.h"

namespace licet::network {
namespace {

using nlohmann::json;

Status Malformed(const std::string& why) {
  return Error(ErrorCode::kProtocolError, "discovery datagram: " + why);
}

// The exact key set and the common header ("licet" kind and "v").
Status CheckHeader(const json& m, const char* kind, const std::set<std::string>& keys) {
  if (!m.is_object() || m.size() != keys.size()) return Malformed("unexpected keys");
  for (const auto& [k, v] : m.items()) {
    if (keys.count(k) == 0) return Malformed("unexpected key");
  }
  const json& licet = m.at("licet");
  if (!licet.is_string() || licet.get_ref<const std::string&>() != kind) {
    return Malformed(std::string("not a ") + kind);
  }
  const json& v = m.at("v");
  if (!v.is_number_unsigned() || v.get<uint64_t>() != kDiscoveryVersion) {
    return Malformed("unknown version");
  }
  return Status::Ok();
}

Result<Bytes> Nonce(const json& m) {
  const json& n = m.at("nonce");
  if (!n.is_binary() || n.get_binary().size() != kDiscoveryNonceSize) {
    return Malformed("the nonce must be 16 bytes");
  }
  return Bytes(n.get_binary().begin(), n.get_binary().end());
}

Result<DiscoveryAnswer> ParseAnswerMap(const json& m) {
  LICET_RETURN_IF_ERROR(
      CheckHeader(m, "server", {"licet", "v", "nonce", "port", "serials", "fingerprint"}));
  DiscoveryAnswer a;
  LICET_ASSIGN_OR_RETURN(a.nonce, Nonce(m));
  const json& port = m.at("port");
  if (!port.is_number_unsigned() || port.get<uint64_t>() == 0 || port.get<uint64_t>() > 65535) {
    return Malformed("the port must be 1..65535");
  }
  a.port = static_cast<uint16_t>(port.get<uint64_t>());
  const json& serials = m.at("serials");
  if (!serials.is_array() || serials.size() > kMaxDiscoverySerials) {
    return Malformed("serials must be an array of at most 8");
  }
  for (const json& s : serials) {
    if (!s.is_string() || s.get_ref<const std::string&>().empty() ||
        s.get_ref<const std::string&>().size() > kMaxDiscoverySerialSize) {
      return Malformed("a serial must be text of 1..32 bytes");
    }
    for (unsigned char c : s.get_ref<const std::string&>()) {
      if (c < 0x21 || c > 0x7e) return Malformed("a serial must be printable ASCII");
    }
    a.serials.push_back(s.get<std::string>());
  }
  const json& fp = m.at("fingerprint");
  if (!fp.is_binary() || fp.get_binary().size() != 32) {
    return Malformed("the fingerprint must be 32 bytes");
  }
  a.fingerprint.assign(fp.get_binary().begin(), fp.get_binary().end());
  return a;
}

Bytes ToCbor(const json& m) { return Bytes(json::to_cbor(m)); }

}  // namespace

Bytes EncodeDiscoveryProbe(ByteSpan nonce) {
  json m{{"licet", "probe"},
         {"v", kDiscoveryVersion},
         {"nonce", json::binary(Bytes(nonce.begin(), nonce.end()))},
         {"pad", json::binary(Bytes())}};
  Bytes out = ToCbor(m);
  // The pad's length header grows with it: a few more bytes than the shortfall always do.
  const size_t shortfall = kDiscoveryProbeSize - std::min(kDiscoveryProbeSize, out.size());
  m["pad"] = json::binary(Bytes(shortfall, 0));
  out = ToCbor(m);
  return out;
}

Result<Bytes> ParseDiscoveryProbe(ByteSpan datagram) {
  if (datagram.size() < kDiscoveryProbeSize || datagram.size() > kMaxDiscoveryDatagram) {
    return Malformed("a probe has " + std::to_string(kDiscoveryProbeSize) + ".." +
                     std::to_string(kMaxDiscoveryDatagram) + " bytes");
  }
  LICET_ASSIGN_OR_RETURN(json m, protocol::DecodeMessage(datagram));
  try {
    LICET_RETURN_IF_ERROR(CheckHeader(m, "probe", {"licet", "v", "nonce", "pad"}));
    if (!m.at("pad").is_binary()) return Malformed("the pad must be bytes");
    return Nonce(m);
  } catch (const std::exception& e) {  // a missed type check: still never past this API
    return Malformed(e.what());
  }
}

Result<Bytes> EncodeDiscoveryAnswer(const DiscoveryAnswer& a, size_t max_size) {
  if (a.nonce.size() != kDiscoveryNonceSize || a.fingerprint.size() != 32 || a.port == 0) {
    return Error(ErrorCode::kInvalidArgument,
                 "a discovery answer needs a nonce, port and fingerprint");
  }
  json serials = json::array();
  json m{
      {"licet", "server"}, {"v", kDiscoveryVersion}, {"nonce", json::binary(a.nonce)},
      {"port", a.port},    {"serials", serials},     {"fingerprint", json::binary(a.fingerprint)}};
  Bytes out = ToCbor(m);
  if (out.size() > max_size) {
    return Error(ErrorCode::kInvalidArgument, "a discovery answer does not fit the probe");
  }
  for (const std::string& s : a.serials) {
    if (serials.size() >= kMaxDiscoverySerials) break;
    if (s.empty() || s.size() > kMaxDiscoverySerialSize) continue;
    serials.push_back(s);
    m["serials"] = serials;
    Bytes longer = ToCbor(m);
    if (longer.size() > max_size) break;
    out = std::move(longer);
  }
  return out;
}

Result<DiscoveryAnswer> ParseDiscoveryAnswer(ByteSpan datagram) {
  if (datagram.size() > kMaxDiscoveryDatagram) return Malformed("too large");
  LICET_ASSIGN_OR_RETURN(json m, protocol::DecodeMessage(datagram));
  try {
    return ParseAnswerMap(m);
  } catch (const std::exception& e) {
    return Malformed(e.what());
  }
}

DiscoveryRateLimiter::DiscoveryRateLimiter(double per_source_per_second, double total_per_second,
                                           size_t max_sources)
    : per_source_(per_source_per_second), total_(total_per_second), max_sources_(max_sources) {
  all_.tokens = total_;
}

void DiscoveryRateLimiter::Refill(Bucket& b, double rate, TimePoint now) {
  const double elapsed = std::chrono::duration<double>(now - b.last).count();
  b.tokens = std::min(rate, b.tokens + std::max(0.0, elapsed) * rate);
  b.last = now;
}

bool DiscoveryRateLimiter::Allow(const std::string& source, TimePoint now) {
  auto it = sources_.find(source);
  if (it == sources_.end()) {
    // Spoofed sources could fill the table: forgetting them all costs at most one more
    // burst per source, and the overall bucket still holds.
    if (sources_.size() >= max_sources_) sources_.clear();
    it = sources_.emplace(source, Bucket{per_source_, now}).first;
  }
  Refill(all_, total_, now);
  Refill(it->second, per_source_, now);
  if (all_.tokens < 1 || it->second.tokens < 1) return false;
  all_.tokens -= 1;
  it->second.tokens -= 1;
  return true;
}

std::vector<ServerAddress> OrderDiscovered(const std::vector<DiscoveredServer>& found,
                                           const std::vector<Bytes>& pinned) {
  std::vector<std::pair<int, ServerAddress>> ranked;
  for (const DiscoveredServer& s : found) {
    const bool pin = std::find(pinned.begin(), pinned.end(), s.fingerprint) != pinned.end();
    ranked.emplace_back(pin ? 0 : 1, s.address);
  }
  std::stable_sort(ranked.begin(), ranked.end(), [](const auto& a, const auto& b) {
    if (a.first != b.first) return a.first < b.first;
    return a.second.ToString() < b.second.ToString();
  });
  std::vector<ServerAddress> out;
  for (auto& [rank, address] : ranked) out.push_back(std::move(address));
  return out;
}

}  // namespace licet::network
