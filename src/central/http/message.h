// The HTTP messages the server hands to a handler and takes back: plain values, so that
// the API can be driven in-process by tests without sockets or Beast types.
#ifndef LICET_CENTRAL_HTTP_MESSAGE_H_
#define LICET_CENTRAL_HTTP_MESSAGE_H_

#include <functional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace licet::central::http {

struct HttpRequest {
  std::string method;  // "GET", "POST", ...
  std::string path;    // the target before '?', as sent (not percent-decoded)
  std::string query;   // the target after '?', "" when none
  // Header names in lower case, in the order received.
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;
  // The client's address, for rate limits, audit and the access log: the TCP peer's, or
  // behind a trusted proxy the one it forwarded (client_address.h).
  std::string remote_ip;
  std::string request_id;  // X-Request-Id if the client sent a sane one, else generated

  // The first header named `name` (lower case), or nullptr.
  const std::string* Header(std::string_view name) const;
};

struct HttpResponse {
  int status = 200;
  std::string content_type = "application/json";
  std::string body;
  std::vector<std::pair<std::string, std::string>> headers;  // extra headers
  // For the access log: the path with identifiers that must not be logged (tickets)
  // masked, and the error code of a problem response.
  std::string log_path;
  std::string log_code;
};

// Runs on a worker thread (it may block on the database); must not throw (the server turns
// an escaping exception into a 500 anyway).
using Handler = std::function<HttpResponse(const HttpRequest&)>;

// An RFC 9457 problem response: {"type", "title", "status", "detail", "code"}.
HttpResponse ProblemResponse(int status, std::string_view code, std::string_view title,
                             std::string_view detail);

}  // namespace licet::central::http

#endif  // LICET_CENTRAL_HTTP_MESSAGE_H_
