// Fuzzes every file-kind reader: what `licet info` and `licet import` run on a file from
// anywhere (context, receipt, update, firm key, container).
#include <cstddef>
#include <cstdint>

#include "engine/context_file.h"
#include "engine/file_info.h"
#include "engine/firm_key.h"
#include "engine/soft_container.h"
#include "engine/update_file.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace licet::engine;
  licet::ByteSpan file(data, size);
  (void)ReadContextFile(file);
  (void)ReadUpdateFile(file);
  (void)ReadFirmKeyInfo(file);
  (void)DecodeFirmKeyFile(file, "");
  (void)ReadContainerFileInfo(file);
  (void)DescribeFile(file, nullptr);
  return 0;
}
