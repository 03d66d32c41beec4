// Ticket codes (DESIGN §1): 25 characters in 5 groups of 5, "XXXXX-XXXXX-XXXXX-XXXXX-XXXXX",
// in Crockford's base32 alphabet 0-9 A-Z without I, L, O, U.
//
// 24 random characters (120 bits) and one check character. The check value is Crockford's:
// the 24 characters read as one base-32 number, modulo 37. Because 37 is prime and larger
// than 32, every single-character substitution changes the value mod 37 (32^k is never 0
// mod 37), and so does every swap of two adjacent characters (their difference times
// 31 * 32^k). Crockford writes check values 32..36 with the extra symbols * ~ $ = U; Central
// never issues such codes (it draws again, about 1 in 7.4 times), so every code is pure
// base32 and safe in URLs, file names and e-mails. A code ending in one of those symbols is
// therefore refused as mistyped.
#ifndef LICET_CENTRAL_ENGINE_TICKET_CODE_H_
#define LICET_CENTRAL_ENGINE_TICKET_CODE_H_

#include <string>
#include <string_view>

#include "common/status.h"

namespace licet::central::engine {

inline constexpr size_t kTicketCodeLength = 25;      // characters, without dashes
inline constexpr size_t kMaxTicketInputLength = 64;  // with dashes, spaces, ...

// A new random ticket code, normalised (25 characters, no dashes).
std::string GenerateTicketCode();

// Parses what a person typed: case-insensitive; dashes and spaces anywhere are ignored; the
// letters I and L read as 1, O as 0. Returns the normalised code. kInvalidArgument for
// input longer than kMaxTicketInputLength, a character outside the alphabet, a length other
// than 25, or a check character that does not match ("... has a typo").
Result<std::string> ParseTicketCode(std::string_view text);

// "ABCDE-FGHJK-MNPQR-STVWX-YZ012" from a normalised code (any 25 characters).
std::string FormatTicketCode(std::string_view normalized);

// For logs: the first group and the rest masked, "ABCDE-*****-*****-*****-*****".
// Anything that is not a well-formed code is masked whole ("*****").
std::string MaskTicketCode(std::string_view text);

// The check character of 24 base32 characters (normalised), or '\0' when the check value
// is 32..36 (such codes are not issued). For tests.
char CheckCharacter(std::string_view payload24);

}  // namespace licet::central::engine

#endif  // LICET_CENTRAL_ENGINE_TICKET_CODE_H_
