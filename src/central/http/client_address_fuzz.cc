// Fuzzes TrustedProxies::Parse and ClientAddress: the input's first line is the
// trusted_proxies list, each further line one X-Forwarded-For header (the TCP peer is a
// trusted proxy whenever the list parses and covers 10.0.0.1).
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "central/http/client_address.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using licet::central::http::ClientAddress;
  using licet::central::http::TrustedProxies;
  std::string_view in(reinterpret_cast<const char*>(data), size);
  const size_t nl = in.find('\n');
  std::string_view list = in.substr(0, nl);
  auto trusted = TrustedProxies::Parse(list);
  if (!trusted.ok()) return 0;
  std::vector<std::pair<std::string, std::string>> headers;
  for (std::string_view rest = nl == in.npos ? "" : in.substr(nl + 1); !rest.empty();) {
    const size_t end = rest.find('\n');
    headers.emplace_back("x-forwarded-for", std::string(rest.substr(0, end)));
    rest = end == rest.npos ? "" : rest.substr(end + 1);
  }
  const std::string peer = "10.0.0.1";
  const std::string client = ClientAddress(peer, headers, *trusted);
  // The answer is the peer or an address that parses (so, one the trusted list can judge).
  if (client != peer && !TrustedProxies::Parse(client).ok()) std::abort();
  // Untrusted peers are never overridden.
  if (ClientAddress("192.0.2.1", headers, *trusted) != "192.0.2.1" &&
      !trusted->Contains("192.0.2.1")) {
    std::abort();
  }
  return 0;
}
