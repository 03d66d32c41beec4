// JSON views of Central's records for API responses (docs/openapi.yaml schemas). Times are
// RFC 3339 UTC; keys hex; ticket codes in their 5-group form. No view contains a secret.
#ifndef LICET_CENTRAL_API_VIEWS_H_
#define LICET_CENTRAL_API_VIEWS_H_

#include <nlohmann/json.hpp>
#include <vector>

#include "central/engine/activation.h"
#include "central/engine/catalog.h"
#include "central/store/records.h"

namespace licet::central::api {

nlohmann::json FirmView(const store::FirmRecord& f);
nlohmann::json RightsView(const store::TicketRights& r);
nlohmann::json TicketView(const store::TicketRecord& t);
nlohmann::json OrderView(const engine::OrderResult& o);
nlohmann::json LicenseView(const store::LicenseRecord& l);
nlohmann::json ActivationView(const store::ActivationRecord& a);
nlohmann::json AuditView(const store::AuditRecord& a);
nlohmann::json TicketStatusView(const engine::TicketStatus& s);
nlohmann::json IssuedUpdateView(const engine::IssuedUpdate& u);  // with the file in base64

// Container type names for serial masks: "soft" 130, "cloud" 140, "token" 3, "tpm" 128.
// Unknown masks are shown as numbers.
nlohmann::json ContainerTypesView(const std::vector<uint32_t>& masks);
// Accepts names or numbers; kInvalidArgument for anything else.
Result<std::vector<uint32_t>> ParseContainerTypes(const nlohmann::json& j);

}  // namespace licet::central::api

#endif  // LICET_CENTRAL_API_VIEWS_H_
