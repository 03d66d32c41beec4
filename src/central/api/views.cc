#include "central/api/views.h"

#include "central/api/codec.h"
#include "central/engine/ticket_code.h"
#include "common/clock.h"

namespace licet::central::api {
namespace {

using nlohmann::json;

constexpr std::pair<const char*, uint32_t> kTypes[] = {
    {"soft", 130}, {"cloud", 140}, {"token", 3}, {"tpm", 128}};

json OptTime(const std::optional<UnixTime>& t) { return t ? json(FormatTime(*t)) : json(); }

}  // namespace

json FirmView(const store::FirmRecord& f) {
  return {{"firm_code", f.firm_code},
          {"name", f.name},
          {"public_key", HexEncode(f.public_key)},
          {"created_at", FormatTime(f.created_at)}};
}

json ContainerTypesView(const std::vector<uint32_t>& masks) {
  json out = json::array();
  for (uint32_t m : masks) {
    json v = m;
    for (const auto& [name, mask] : kTypes) {
      if (mask == m) v = name;
    }
    out.push_back(v);
  }
  return out;
}

Result<std::vector<uint32_t>> ParseContainerTypes(const json& j) {
  if (!j.is_array() || j.size() > 16) {
    return Error(ErrorCode::kInvalidArgument, "container_types must be an array (at most 16)");
  }
  std::vector<uint32_t> out;
  for (const auto& v : j) {
    std::optional<uint32_t> mask;
    if (v.is_number_unsigned() && v.get<uint64_t>() <= 0xffffffffu) {
      mask = v.get<uint32_t>();
    } else if (v.is_string()) {
      for (const auto& [name, m] : kTypes) {
        if (v.get<std::string>() == name) mask = m;
      }
    }
    if (!mask) {
      return Error(ErrorCode::kInvalidArgument,
                   "container_types takes soft, cloud, token, tpm or serial masks");
    }
    out.push_back(*mask);
  }
  return out;
}

json RightsView(const store::TicketRights& r) {
  return {{"activations_allowed", r.activations_allowed},
          {"returns_allowed", r.returns_allowed},
          {"recoveries_allowed", r.recoveries_allowed},
          {"emergency_count", r.emergency_count},
          {"emergency_days", r.emergency_days},
          {"transfer_allowed", r.transfer_allowed},
          {"container_types", ContainerTypesView(r.container_masks)}};
}

json TicketView(const store::TicketRecord& t) {
  return {{"ticket", engine::FormatTicketCode(t.code)},
          {"order_id", t.order_id},
          {"firm_code", t.firm_code},
          {"state", t.state},
          {"products", t.products},
          {"rights", RightsView(t.rights)},
          {"activations_used", t.activations_used},
          {"activations_left", t.rights.activations_allowed - t.activations_used},
          {"created_at", FormatTime(t.created_at)}};
}

json OrderView(const engine::OrderResult& o) {
  json tickets = json::array();
  for (const auto& t : o.tickets) tickets.push_back(TicketView(t));
  json erp = json::parse(o.order.erp, nullptr, false);
  if (erp.is_discarded()) erp = json::object();
  return {{"order_id", o.order.id},
          {"request_id", o.order.request_id},
          {"firm_code", o.order.firm_code},
          {"erp", erp},
          {"created_at", FormatTime(o.order.created_at)},
          {"tickets", tickets}};
}

json LicenseView(const store::LicenseRecord& l) {
  return {{"ticket", engine::FormatTicketCode(l.ticket_code)},
          {"product_code", l.product_code},
          {"serial", l.serial},
          {"firm_code", l.firm_code},
          {"fuc", l.fuc},
          {"state", l.state},
          {"created_at", FormatTime(l.created_at)},
          {"confirmed_at", OptTime(l.confirmed_at)}};
}

json ActivationView(const store::ActivationRecord& a) {
  return {{"serial", a.serial},
          {"firm_code", a.firm_code},
          {"fuc_from", a.fuc_from},
          {"fuc_to", a.fuc_to},
          {"created_at", FormatTime(a.created_at)}};
}

json AuditView(const store::AuditRecord& a) {
  json detail = json::parse(a.detail, nullptr, false);
  if (detail.is_discarded()) detail = json::object();
  return {{"id", a.id},
          {"at", FormatTime(a.at)},
          {"event", a.event},
          {"actor", a.actor},
          {"firm_code", a.firm_code ? json(*a.firm_code) : json()},
          {"ticket", a.ticket_code ? json(engine::FormatTicketCode(*a.ticket_code)) : json()},
          {"serial", a.serial ? json(*a.serial) : json()},
          {"detail", detail}};
}

json TicketStatusView(const engine::TicketStatus& s) {
  json products = json::array();
  for (const auto& [code, name] : s.products) {
    products.push_back({{"product_code", code}, {"name", name}});
  }
  const auto& t = s.ticket;
  return {{"ticket", engine::FormatTicketCode(t.code)},
          {"state", t.state},
          {"firm_code", t.firm_code},
          {"firm_name", s.firm_name},
          {"products", products},
          {"activations_allowed", t.rights.activations_allowed},
          {"activations_left", t.rights.activations_allowed - t.activations_used},
          {"container_types", ContainerTypesView(t.rights.container_masks)}};
}

json IssuedUpdateView(const engine::IssuedUpdate& u) {
  return {{"serial", u.serial},
          {"firm_code", u.firm_code},
          {"fuc_from", u.fuc_from},
          {"fuc_to", u.fuc_to},
          {"new_activation", u.new_activation},
          {"activations_left", u.activations_left},
          {"products", u.products},
          {"update", Base64Encode(u.file)}};
}

}  // namespace licet::central::api
