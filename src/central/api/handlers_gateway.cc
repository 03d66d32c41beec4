// The gateway API: ticket status, activation (online and offline), receipts. Callers are
// customers' machines and browsers, authenticated by the ticket or the container's own
// signature, never by an API key.
#include "central/api/api_internal.h"
#include "central/api/body.h"
#include "central/api/codec.h"
#include "central/api/views.h"
#include "central/engine/ticket_code.h"

namespace licet::central::api {

using nlohmann::json;

namespace {

bool WantsJson(const http::HttpRequest& req) {
  const std::string* accept = req.Header("accept");
  return accept != nullptr && accept->find("application/json") != std::string::npos;
}

// A binary file sent to the gateway, with the ticket where the request carries one.
struct Upload {
  std::string ticket;
  Bytes file;
};

// application/cbor (or octet-stream) with the ticket in Licet-Ticket; JSON with base64;
// or multipart/form-data with the parts `ticket` and `file_part`.
Result<Upload> ReadUpload(const http::HttpRequest& req, const char* json_field,
                          const char* file_part, bool needs_ticket) {
  const std::string* ct = req.Header("content-type");
  std::string media = ct != nullptr ? MediaType(*ct) : "";
  Upload up;
  if (media == "application/cbor" || media == "application/octet-stream") {
    up.file = ToBytes(req.body);
    if (const std::string* t = req.Header("licet-ticket")) up.ticket = *t;
  } else if (media == "application/json") {
    LICET_ASSIGN_OR_RETURN(json body, ParseJsonObject(req.body));
    LICET_RETURN_IF_ERROR(needs_ticket ? CheckKeys(body, {"ticket", json_field}, "the request")
                                       : CheckKeys(body, {json_field}, "the request"));
    if (needs_ticket) {
      LICET_ASSIGN_OR_RETURN(up.ticket, FieldString(body, "ticket", 64));
    }
    LICET_ASSIGN_OR_RETURN(std::string b64, FieldString(body, json_field, 2u << 20));
    LICET_ASSIGN_OR_RETURN(up.file, Base64Decode(b64));
  } else if (media == "multipart/form-data") {
    LICET_ASSIGN_OR_RETURN(auto parts, ParseMultipart(*ct, req.body));
    bool have_file = false;
    for (auto& p : parts) {
      if (p.name == "ticket") up.ticket = p.data;
      if (p.name == file_part) {
        up.file = ToBytes(p.data);
        have_file = true;
      }
    }
    if (!have_file) {
      return Error(ErrorCode::kInvalidArgument,
                   std::string("the form has no '") + file_part + "' file");
    }
  } else {
    return Error(ErrorCode::kInternal, "media type not checked");  // see MediaProblem
  }
  // Trim what a form field or a header may add around a typed ticket.
  while (!up.ticket.empty() && (up.ticket.back() == '\r' || up.ticket.back() == '\n')) {
    up.ticket.pop_back();
  }
  if (needs_ticket && up.ticket.empty()) {
    return Error(ErrorCode::kInvalidArgument, "the request carries no ticket");
  }
  return up;
}

// 415 unless the body is one of the forms ReadUpload understands.
std::optional<http::HttpResponse> MediaProblem(const http::HttpRequest& req) {
  const std::string* ct = req.Header("content-type");
  std::string media = ct != nullptr ? MediaType(*ct) : "";
  for (const char* ok : {"application/cbor", "application/octet-stream", "application/json",
                         "multipart/form-data"}) {
    if (media == ok) return std::nullopt;
  }
  return Problem(415, "unsupported_media_type",
                 "send application/cbor, application/json or multipart/form-data");
}

}  // namespace

http::HttpResponse UpdateResponse(const Api::Call& call, const engine::IssuedUpdate& u,
                                  bool attachment) {
  if (WantsJson(call.req)) return JsonResponse(IssuedUpdateView(u));
  http::HttpResponse r;
  r.status = 200;
  r.content_type = "application/cbor";
  r.body = std::string(u.file.begin(), u.file.end());
  r.headers = {{"Licet-Serial", u.serial},
               {"Licet-Firm-Code", std::to_string(u.firm_code)},
               {"Licet-Fuc-From", std::to_string(u.fuc_from)},
               {"Licet-Fuc-To", std::to_string(u.fuc_to)},
               {"Licet-New-Activation", u.new_activation ? "true" : "false"},
               {"Licet-Activations-Left", std::to_string(u.activations_left)}};
  if (attachment) {
    r.headers.emplace_back("Content-Disposition",
                           "attachment; filename=\"" + u.serial + ".update\"");
  }
  return r;
}

http::HttpResponse Api::TicketStatus(Call& call) {
  auto code = engine::ParseTicketCode(call.Param("ticket"));
  if (!code.ok()) return Problem(code.status(), call.req.request_id);
  auto status = catalog_.GetTicketStatus(*code);
  if (!status.ok()) return Problem(status.status(), call.req.request_id);
  return JsonResponse(TicketStatusView(*status));
}

http::HttpResponse Api::Activate(Call& call, bool offline) {
  if (auto bad = MediaProblem(call.req)) return *bad;
  auto up = ReadUpload(call.req, "context", "context", true);
  if (!up.ok()) return Problem(up.status(), call.req.request_id);
  auto issued = engine_.Activate(up->ticket, up->file, call.actor);
  if (!issued.ok()) return Problem(issued.status(), call.req.request_id);
  return UpdateResponse(call, *issued, offline);
}

http::HttpResponse Api::Receipt(Call& call) {
  if (auto bad = MediaProblem(call.req)) return *bad;
  auto up = ReadUpload(call.req, "receipt", "receipt", false);
  if (!up.ok()) return Problem(up.status(), call.req.request_id);
  auto result = engine_.AcceptReceipt(up->file, call.actor);
  if (!result.ok()) return Problem(result.status(), call.req.request_id);
  json firms = json::array();
  for (const auto& f : result->firms) {
    firms.push_back(
        {{"firm_code", f.firm_code}, {"fuc", f.fuc}, {"licenses_confirmed", f.licenses_confirmed}});
  }
  return JsonResponse({{"serial", result->serial}, {"firms", firms}});
}

}  // namespace licet::central::api
