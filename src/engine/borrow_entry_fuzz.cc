// Borrow entries (borrow_entry.h) on hostile bytes: parse and verify, then open in a fixed
// container (binding, expiry, secret).
#include <cstddef>
#include <cstdint>

#include "engine/borrow_entry.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace licet;
  static engine::SoftContainer* client = [] {
    auto c = engine::CreateSoftContainer(
        2,
        {{container::PropertyKind::kMachineId, {"0123456789abcdef0123456789abcdef"}},
         {container::PropertyKind::kCpuSignature, {"cpu"}},
         {container::PropertyKind::kRootDisk, {"disk"}}},
        0, 1'800'000'000);
    return c.ok() ? new engine::SoftContainer(std::move(*c)) : nullptr;
  }();
  if (client == nullptr) __builtin_trap();
  auto e = engine::ReadBorrowEntry(ByteSpan(data, size));
  if (e.ok()) (void)engine::OpenBorrowEntry(ByteSpan(data, size), *client, 1'800'000'000);
  return 0;
}
