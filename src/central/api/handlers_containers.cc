// Containers: history, push updates, vendor decisions.
#include "central/api/api_internal.h"
#include "central/api/body.h"
#include "central/api/views.h"
#include "central/engine/ticket_code.h"

namespace licet::central::api {

using nlohmann::json;

http::HttpResponse Api::GetContainer(Call& call) {
  const std::string& serial = call.Param("serial");
  struct Full {
    store::ContainerRecord container;
    std::vector<store::ContainerFirmRecord> firms;
    std::vector<std::vector<store::FucRangeRecord>> ranges;
    std::vector<store::LicenseRecord> licenses;
  };
  auto full = store_.TransactResult<Full>(store::TxMode::kRead, [&](store::Tx& tx) -> Result<Full> {
    LICET_ASSIGN_OR_RETURN(auto c, tx.GetContainer(serial));
    if (!c) return Error(ErrorCode::kContainerNotFound, "no container " + serial);
    Full f{std::move(*c), {}, {}, {}};
    LICET_ASSIGN_OR_RETURN(f.firms, tx.ListContainerFirms(serial));
    for (const auto& cf : f.firms) {
      LICET_ASSIGN_OR_RETURN(auto r, tx.ListRanges(serial, cf.firm_code));
      f.ranges.push_back(std::move(r));
    }
    LICET_ASSIGN_OR_RETURN(f.licenses, tx.ListLicensesOfContainer(serial));
    return f;
  });
  if (!full.ok()) return Problem(full.status(), call.req.request_id);
  auto only = call.KeyFirm();
  json firms = json::array();
  for (size_t i = 0; i < full->firms.size(); ++i) {
    const auto& cf = full->firms[i];
    if (only && *only != cf.firm_code) continue;
    json ranges = json::array();
    for (const auto& r : full->ranges[i]) {
      ranges.push_back(
          {{"fuc_from", r.fuc_from},
           {"fuc_to", r.fuc_to},
           {"reason", r.reason},
           {"ticket", r.ticket_code ? json(engine::FormatTicketCode(*r.ticket_code)) : json()},
           {"created_at", FormatTime(r.created_at)}});
    }
    firms.push_back({{"firm_code", cf.firm_code},
                     {"issued_fuc", cf.issued_fuc},
                     {"confirmed_fuc", cf.confirmed_fuc},
                     {"baseline_fuc", cf.baseline_fuc},
                     {"ranges", ranges}});
  }
  // A key limited to a firm sees only containers that firm has issued to.
  if (only && firms.empty()) return Problem(404, "container_not_found", "no container " + serial);
  json licenses = json::array();
  for (const auto& l : full->licenses) {
    if (!only || *only == l.firm_code) licenses.push_back(LicenseView(l));
  }
  const auto& c = full->container;
  json report = json::parse(c.flagged_report, nullptr, false);
  return JsonResponse({{"serial", c.serial},
                       {"state", c.state},
                       {"state_reason", c.state_reason},
                       {"flagged_report", report.is_discarded() ? json::object() : report},
                       {"enc_public_key", HexEncode(c.enc_public_key)},
                       {"sig_public_key", HexEncode(c.sig_public_key)},
                       {"first_seen", FormatTime(c.first_seen)},
                       {"last_seen", FormatTime(c.last_seen)},
                       {"firms", firms},
                       {"licenses", licenses}});
}

http::HttpResponse Api::PushContainer(Call& call) {
  auto body = ParseJsonObject(call.req.body);
  if (!body.ok()) return Problem(body.status(), call.req.request_id);
  if (Status st = CheckKeys(*body, {"firm_code", "ticket"}, "the push"); !st.ok()) {
    return Problem(st, call.req.request_id);
  }
  auto firm = FieldUint32(*body, "firm_code");
  if (!firm.ok()) return Problem(firm.status(), call.req.request_id);
  auto ticket = OptionalFieldString(*body, "ticket", 64);
  if (!ticket.ok()) return Problem(ticket.status(), call.req.request_id);
  if (auto denied = CheckFirmAccess(call, *firm)) return *denied;
  auto issued = engine_.Push(call.Param("serial"), *firm, *ticket, call.actor);
  if (!issued.ok()) return Problem(issued.status(), call.req.request_id);
  return UpdateResponse(call, *issued, false);
}

http::HttpResponse Api::DecideContainer(Call& call) {
  auto body = ParseJsonObject(call.req.body);
  if (!body.ok()) return Problem(body.status(), call.req.request_id);
  if (Status st = CheckKeys(*body, {"decision", "note"}, "the decision"); !st.ok()) {
    return Problem(st, call.req.request_id);
  }
  auto decision = FieldString(*body, "decision", 16);
  auto note = OptionalFieldString(*body, "note", 1024);
  if (!decision.ok()) return Problem(decision.status(), call.req.request_id);
  if (!note.ok()) return Problem(note.status(), call.req.request_id);
  engine::Decision d;
  if (*decision == "release") {
    d = engine::Decision::kRelease;
  } else if (*decision == "block") {
    d = engine::Decision::kBlock;
  } else {
    return Problem(400, "invalid_argument", "decision must be 'release' or 'block'");
  }
  // Decisions are global to the container: a key limited to one firm may not make them.
  if (call.KeyFirm()) {
    return Problem(403, "insufficient_scope", "decisions need a key not limited to one firm");
  }
  Status st = engine_.Decide(call.Param("serial"), d, note->value_or(""), call.actor);
  if (!st.ok()) return Problem(st, call.req.request_id);
  return GetContainer(call);
}

}  // namespace licet::central::api
