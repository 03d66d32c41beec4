// The passphrase of a firm.key: from --passphrase-file, else $LICET_FIRM_KEY_PASSPHRASE,
// else none. Never from a flag value, which `ps` would show.
#ifndef LICET_TOOLS_LICET_PASSPHRASE_H_
#define LICET_TOOLS_LICET_PASSPHRASE_H_

#include <string>

#include "common/status.h"

namespace licet::cli {

Result<std::string> ReadPassphrase(const std::string& passphrase_file);

}  // namespace licet::cli

#endif  // LICET_TOOLS_LICET_PASSPHRASE_H_
