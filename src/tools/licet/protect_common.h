// What `licet protect exe|lib` and `licet protect functions` share: the parsing of the
// access options they store in the protected file, the vendor's firm key, and the input file.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <initializer_list>
#include <string>
#include <utility>

#include <CLI/CLI.hpp>

#include "common/bytes.h"
#include "common/status.h"
#include "engine/firm_key.h"

namespace licet::cli {

// The options every `licet protect` subcommand takes: what to protect, for which license,
// and how the protected program asks for it.
struct ProtectTarget {
  std::string input;
  std::string output;
  std::string firm_key;
  std::string passphrase_file;
  std::string firm_code;
  std::string product_code;
  std::string where = "local";
  std::string mode = "user-limit";
  std::string product_name;
  bool ip_protection = false;
  bool json = false;
};
// Declares them on `cmd`; `input_help` says what kind of file the subcommand takes.
void AddProtectTargetOptions(CLI::App* cmd, ProtectTarget* o, const char* input_help);

// `value` as one of `choices` (name, value); otherwise an error listing the names.
Result<uint32_t> Choice(const std::string& value, const char* what,
                        std::initializer_list<std::pair<const char*, uint32_t>> choices);

// --where (local, lan, local-lan, lan-local) and --mode (user-limit, station-share,
// exclusive, no-user-limit), as the access protocol numbers them (docs/PROTOCOL.md).
Result<uint32_t> ParseWhere(const std::string& value);
Result<uint32_t> ParseAccessMode(const std::string& value);

// The firm key at `path` (sealed with the passphrase in `passphrase_file` or
// $LICET_FIRM_KEY_PASSPHRASE when it is), refused when it is not the key of `firm_code`
// (0: any firm).
Result<engine::FirmKey> LoadFirmKey(const std::string& path, const std::string& passphrase_file,
                                    uint32_t firm_code);

// The file to protect, with its mode bits (the protected file keeps them).
struct InputFile {
  Bytes bytes;
  mode_t mode = 0;
};
Result<InputFile> ReadInputFile(const std::string& path);

}  // namespace licet::cli
