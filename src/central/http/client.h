// A small blocking HTTP/1.1 client (one request per connection) for tests, the end-to-end
// drivers and, later, the activation wizard. Plain HTTP: TLS is for a reverse proxy in
// front of Central (docs/CENTRAL.md).
#ifndef LICET_CENTRAL_HTTP_CLIENT_H_
#define LICET_CENTRAL_HTTP_CLIENT_H_

#include <chrono>
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "common/status.h"

namespace licet::central::http {

struct ClientRequest {
  std::string method = "GET";
  std::string target = "/";  // path and query
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;
  std::string content_type;  // set when non-empty
};

struct ClientResponse {
  int status = 0;
  std::string content_type;
  std::string body;
  std::vector<std::pair<std::string, std::string>> headers;  // names in lower case
  const std::string* Header(const std::string& lower_name) const;
};

// Connects to host:port, sends, reads the whole response. kUnavailable when the server
// cannot be reached or the exchange does not finish within `timeout`; kProtocolError for a
// malformed response.
Result<ClientResponse> HttpCall(const std::string& host, uint16_t port, const ClientRequest& req,
                                std::chrono::milliseconds timeout = std::chrono::seconds(30));

}  // namespace licet::central::http

#endif  // LICET_CENTRAL_HTTP_CLIENT_H_
