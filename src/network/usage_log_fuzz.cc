// Fuzzes the usage-log auditor (VerifyUsageLog): hostile log files must give a Status,
// never a crash, a throw or unbounded memory.
#include <cstddef>
#include <cstdint>

#include "network/usage_log.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static const licet::Bytes kKey(32, 7);
  (void)licet::network::VerifyUsageLog(licet::ByteSpan(data, size), kKey);
  return 0;
}
