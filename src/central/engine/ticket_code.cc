#include "central/engine/ticket_code.h"

#include "crypto/crypto.h"

namespace licet::central::engine {
namespace {

constexpr char kAlphabet[] = "0123456789ABCDEFGHJKMNPQRSTVWXYZ";

// Value of a normalised base32 character, or -1.
int Value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  for (int i = 10; i < 32; ++i) {
    if (kAlphabet[i] == c) return i;
  }
  return -1;
}

}  // namespace

char CheckCharacter(std::string_view payload24) {
  unsigned mod = 0;
  for (char c : payload24) {
    int v = Value(c);
    if (v < 0) return '\0';
    mod = (mod * 32 + static_cast<unsigned>(v)) % 37;
  }
  return mod < 32 ? kAlphabet[mod] : '\0';
}

std::string GenerateTicketCode() {
  while (true) {
    Bytes r = crypto::RandomBytes(kTicketCodeLength - 1);
    std::string code;
    for (uint8_t b : r) code += kAlphabet[b & 31];
    char check = CheckCharacter(code);
    if (check != '\0') return code + check;
  }
}

Result<std::string> ParseTicketCode(std::string_view text) {
  if (text.size() > kMaxTicketInputLength) {
    return Error(ErrorCode::kInvalidArgument, "ticket code is too long");
  }
  std::string code;
  for (char c : text) {
    if (c == '-' || c == ' ') continue;
    if (c >= 'a' && c <= 'z') c = static_cast<char>(c - 'a' + 'A');
    if (c == 'I' || c == 'L') c = '1';
    if (c == 'O') c = '0';
    if (Value(c) < 0) {
      return Error(ErrorCode::kInvalidArgument,
                   "a ticket code has only the characters 0-9 and A-Z without U");
    }
    code += c;
  }
  if (code.size() != kTicketCodeLength) {
    return Error(ErrorCode::kInvalidArgument,
                 "a ticket code has 25 characters (XXXXX-XXXXX-XXXXX-XXXXX-XXXXX), got " +
                     std::to_string(code.size()));
  }
  if (CheckCharacter(std::string_view(code).substr(0, kTicketCodeLength - 1)) != code.back()) {
    return Error(ErrorCode::kInvalidArgument,
                 "the ticket code has a typo: its check character does not match");
  }
  return code;
}

std::string FormatTicketCode(std::string_view normalized) {
  std::string out;
  for (size_t i = 0; i < normalized.size(); ++i) {
    if (i > 0 && i % 5 == 0) out += '-';
    out += normalized[i];
  }
  return out;
}

std::string MaskTicketCode(std::string_view text) {
  auto code = ParseTicketCode(text);
  if (!code.ok()) return "*****";
  return code->substr(0, 5) + "-*****-*****-*****-*****";
}

}  // namespace licet::central::engine
