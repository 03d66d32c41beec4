#include "central/http/message.h"

#include <nlohmann/json.hpp>

namespace licet::central::http {

const std::string* HttpRequest::Header(std::string_view name) const {
  for (const auto& [k, v] : headers) {
    if (k == name) return &v;
  }
  return nullptr;
}

HttpResponse ProblemResponse(int status, std::string_view code, std::string_view title,
                             std::string_view detail) {
  nlohmann::json j = {{"type", "urn:licet:problem:" + std::string(code)},
                      {"title", title},
                      {"status", status},
                      {"detail", detail},
                      {"code", code}};
  HttpResponse r;
  r.status = status;
  r.content_type = "application/problem+json";
  r.body = j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  r.log_code = std::string(code);
  return r;
}

}  // namespace licet::central::http
