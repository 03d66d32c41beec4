// Errors as RFC 9457 problem details (application/problem+json). The `code` extension
// member is the stable name of the error: for engine errors ErrorCodeName() of the frozen
// licet::ErrorCode (the HTTP mapping DESIGN §6 and STYLE.md share with the C API and the
// wire protocol), plus a few HTTP-only names (unauthorized, insufficient_scope,
// rate_limited, not_found, method_not_allowed, unsupported_media_type, payload_too_large,
// idempotency_key_reused). The number of the licet::ErrorCode is in `licet_error`.
#ifndef LICET_CENTRAL_API_PROBLEM_H_
#define LICET_CENTRAL_API_PROBLEM_H_

#include <string_view>

#include "central/http/message.h"
#include "common/status.h"

namespace licet::central::api {

// The HTTP status for an engine error code:
//   400 invalid_argument, corrupt_data, bad_signature, unsupported_version, wrong_file_kind,
//       decrypt_failed
//   403 permission_denied, access_denied, manipulation_detected, untrusted_signer
//   404 not_found, firm_not_found, container_not_found, entry_not_found
//   409 already_exists, no_more_licenses
//   503 busy, unavailable;  500 anything else.
int HttpStatusFor(ErrorCode code);

// A problem response for `status`. 5xx details are generic: the message goes to the log.
http::HttpResponse Problem(const Status& status, std::string_view request_id);
// An HTTP-only problem (`code` is one of the names above).
http::HttpResponse Problem(int http_status, std::string_view code, std::string_view detail);

}  // namespace licet::central::api

#endif  // LICET_CENTRAL_API_PROBLEM_H_
