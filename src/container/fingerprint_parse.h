// Pure text functions behind fingerprint.cc: normalisation of identifiers and parsing of
// /proc/cpuinfo. Separate so that unit tests can feed them odd inputs directly; the readers
// themselves are tested on faked files in a mount namespace.
#ifndef LICET_CONTAINER_FINGERPRINT_PARSE_H_
#define LICET_CONTAINER_FINGERPRINT_PARSE_H_

#include <optional>
#include <string>
#include <string_view>

namespace licet::container::internal {

// Strips leading and trailing whitespace and NUL bytes (sysfs pads some attributes).
std::string_view Trim(std::string_view text);

// A machine id, DMI UUID or MAC address: trimmed and lower-cased. Nothing for an empty value,
// systemd's "uninitialized", or a placeholder made only of one repeated hex digit of 0 or f
// and separators (00:00:00:00:00:00, FFFFFFFF-FFFF-..., 0000...).
std::optional<std::string> NormalizeHexIdentifier(std::string_view raw);

// A disk serial or WWID: trimmed, inner whitespace runs collapsed to one space, case kept.
// Nothing when empty.
std::optional<std::string> NormalizeSerial(std::string_view raw);

// The CPU signature from the text of /proc/cpuinfo, taken from the first processor:
//   x86: "x86;vendor_id=..;cpu family=..;model=..;stepping=..;model name=.."
//   ARM: "arm;CPU implementer=..;CPU architecture=..;CPU variant=..;CPU part=..;CPU revision=.."
// Fields missing from the file are left out; nothing when neither layout is recognised.
std::optional<std::string> CpuSignatureFromCpuinfo(std::string_view cpuinfo);

}  // namespace licet::container::internal

#endif  // LICET_CONTAINER_FINGERPRINT_PARSE_H_
