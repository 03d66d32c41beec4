// Fuzzes the frame and message decoder licetd runs on every byte a local client sends, and
// the checks licetd then applies to a shared-memory crypt's ranges ('shm_offset',
// 'shm_length', 'shm_progress': docs/PROTOCOL.md "Shared-memory crypt").
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <memory>
#include <span>
#include <utility>

#include "protocol/protocol.h"
#include "protocol/shm.h"

namespace {

using licet::protocol::ShmRegion;

// A uint field as licetd reads it (CBOR unsigned only), or `fallback`.
uint64_t UintOr(const nlohmann::json& message, const char* key, uint64_t fallback) {
  auto it = message.find(key);
  return it != message.end() && it->is_number_unsigned() ? it->get<uint64_t>() : fallback;
}

// Whatever the fields say, a range that passes the checks lies inside the region and a
// progress word that passes lies inside it too, 8-aligned and outside the range.
void CheckShmFields(const nlohmann::json& message) {
  static const std::unique_ptr<ShmRegion> region = [] {
    auto r = ShmRegion::Create(64 * 1024);
    if (!r.ok()) std::abort();
    return std::move(r).value();
  }();
  const auto whole = region->bytes();
  auto slice = region->Slice(UintOr(message, "shm_offset", 0), UintOr(message, "shm_length", 0));
  std::span<uint8_t> data;
  if (slice.ok()) {
    data = *slice;
    if (data.data() < whole.data() || data.data() + data.size() > whole.data() + whole.size())
      std::abort();
    if (!data.empty()) data.back() ^= data.front();  // ASan checks both ends
  }
  auto word = region->Counter(UintOr(message, "shm_progress", 0), data, "shm_progress");
  if (word.ok()) {
    word->Store(data.size());
    if (word->Load() != data.size()) std::abort();
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  licet::ByteSpan input(data, size);
  if (size >= 4) {
    auto n = licet::protocol::DecodeFrameLength(input.first(4));
    if (n.ok() && *n <= size - 4) {
      auto msg = licet::protocol::DecodeMessage(input.subspan(4, *n));
      if (msg.ok()) {
        (void)licet::protocol::ResponseStatus(*msg);
        CheckShmFields(*msg);
      }
    }
  }
  auto msg = licet::protocol::DecodeMessage(input);
  if (msg.ok()) CheckShmFields(*msg);
  return 0;
}
