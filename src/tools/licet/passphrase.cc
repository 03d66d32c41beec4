#include "tools/licet/passphrase.h"

#include <cstdlib>

#include "common/env.h"

namespace licet::cli {

Result<std::string> ReadPassphrase(const std::string& passphrase_file) {
  if (!passphrase_file.empty()) {
    LICET_ASSIGN_OR_RETURN(Bytes data, Env::Default().ReadFile(passphrase_file, 4096));
    std::string pass(data.begin(), data.end());
    SecureWipe(data.data(), data.size());
    while (!pass.empty() && (pass.back() == '\n' || pass.back() == '\r')) pass.pop_back();
    if (pass.empty()) {
      return Error(ErrorCode::kInvalidArgument, "passphrase file " + passphrase_file + " is empty");
    }
    return pass;
  }
  if (const char* env = std::getenv("LICET_FIRM_KEY_PASSPHRASE"); env != nullptr) return std::string(env);
  return std::string();
}

}  // namespace licet::cli
