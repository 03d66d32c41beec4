// Shared by the handler files of the API: the per-request state and response helpers.
#ifndef LICET_CENTRAL_API_API_INTERNAL_H_
#define LICET_CENTRAL_API_API_INTERNAL_H_

#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>

#include "central/api/api.h"
#include "central/api/problem.h"
#include "central/api/routes.h"
#include "central/store/records.h"

namespace licet::central::api {

struct Api::Call {
  const http::HttpRequest& req;
  RouteMatch match;
  std::map<std::string, std::string> query;
  std::optional<store::ApiKeyRecord> key;  // for Auth::kApiKey routes
  std::string actor;                       // "apikey:<id>" or "gateway:<ip>"

  const std::string& Param(const char* name) const { return match.params.at(name); }
  // The firm the key is limited to, or nullopt for an unrestricted key (or no key).
  std::optional<uint32_t> KeyFirm() const { return key ? key->firm_code : std::nullopt; }
};

// 200 (or `status`) with a JSON body.
http::HttpResponse JsonResponse(const nlohmann::json& body, int status = 200);

// A key limited to one firm may act only for it: 403 insufficient_scope otherwise.
std::optional<http::HttpResponse> CheckFirmAccess(const Api::Call& call, uint32_t firm_code);

// A path parameter as a uint32 code, or nullopt.
std::optional<uint32_t> PathCode(const Api::Call& call, const char* name);

// An issued update: application/cbor (the .update file, with Licet-* headers) by default,
// JSON (IssuedUpdateView) when the client's Accept asks for application/json. `attachment`
// adds Content-Disposition for browser downloads.
http::HttpResponse UpdateResponse(const Api::Call& call, const engine::IssuedUpdate& update,
                                  bool attachment);

}  // namespace licet::central::api

#endif  // LICET_CENTRAL_API_API_INTERNAL_H_
