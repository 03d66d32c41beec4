// The strict descriptor parser on hostile bytes: it must refuse or accept without crashing,
// and what it accepts must survive FileAad over a file of the size it claims (capped).
#include <cstdint>
#include <cstdlib>

#include "protect/key/key_scheme.h"

using namespace licet;  // NOLINT: fuzz harness

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  auto d = protect::key::ParseDescriptor(ByteSpan(data, size), /*allow_trailing=*/true);
  if (!d.ok()) return 0;
  if (protect::key::ValidateDescriptor(&*d, sizeof *d) != nullptr) abort();
  if (d->file_size > (1u << 20)) return 0;
  Bytes file(d->file_size, 0x5a);
  if (!protect::gcm::CpuSupported()) return 0;
  protect::gcm::Key k{};
  protect::gcm::Stream s;
  protect::gcm::Begin(k, d->ranges[0].iv, &s);  // key of zeros: only memory safety matters
  (void)protect::key::FileAad(&s, *d, file.data(), file.size());
  return 0;
}
