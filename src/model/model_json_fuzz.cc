// libFuzzer target: arbitrary bytes → CBOR → the model's strict decoders. The decoders must
// never crash or throw, and whatever they accept must survive a round trip unchanged and
// feed the update engine and the display forms without failing hard.
#include <cstddef>
#include <cstdint>
#include <nlohmann/json.hpp>
#include <vector>

#include "model/checks.h"
#include "model/operation.h"
#include "model/serialize.h"

namespace {

using licet::model::ContainerState;
using nlohmann::json;

// nlohmann's CBOR reader recurses once per nesting level, so a few kilobytes of nested
// arrays overflow the stack. Decoders of untrusted CBOR (the format layer) must bound the
// depth first; this harness does it the same way, with a SAX pass that stops at kMaxDepth
// and builds nothing.
constexpr int kMaxDepth = 32;

class DepthLimit {
 public:
  bool null() { return true; }
  bool boolean(bool) { return true; }
  bool number_integer(json::number_integer_t) { return true; }
  bool number_unsigned(json::number_unsigned_t) { return true; }
  bool number_float(json::number_float_t, const json::string_t&) { return true; }
  bool string(json::string_t&) { return true; }
  bool binary(json::binary_t&) { return true; }
  bool start_object(std::size_t) { return ++depth_ <= kMaxDepth; }
  bool key(json::string_t&) { return true; }
  bool end_object() {
    --depth_;
    return true;
  }
  bool start_array(std::size_t) { return ++depth_ <= kMaxDepth; }
  bool end_array() {
    --depth_;
    return true;
  }
  bool parse_error(std::size_t, const std::string&, const nlohmann::detail::exception&) {
    return false;
  }

 private:
  int depth_ = 0;
};

void Check(bool condition) {
  if (!condition) __builtin_trap();
}

void ExerciseState(const ContainerState& state) {
  auto again = licet::model::ContainerStateFromJson(licet::model::ToJson(state));
  Check(again.ok() && *again == state);
  (void)licet::model::ToDisplayJson(state).dump();
  for (const auto& firm : state.firms) {
    for (const auto& item : firm.products) {
      (void)licet::model::DescribeProductItem(item);
      licet::model::CheckTimeLimits(item, state, state.highest_time_seen).IgnoreError();
      licet::model::CheckUnits(item, 1).IgnoreError();
    }
  }
}

void ExerciseOperations(const std::vector<licet::model::Operation>& ops) {
  auto again = licet::model::OperationsFromJson(licet::model::OperationsToJson(ops));
  Check(again.ok() && *again == ops);
  ContainerState state;
  const uint32_t firm_code = 6000010;
  auto report = licet::model::ApplyOperations(state, firm_code, ops, 1767225600);
  if (report.ok()) {
    Check(licet::model::Validate(state).ok());
    // A second import of the same operations is a no-op.
    const ContainerState before = state;
    auto second = licet::model::ApplyOperations(state, firm_code, ops, 1767225600);
    Check(second.ok() && second->applied == 0 && state == before);
  } else {
    Check(state == ContainerState{});
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  DepthLimit depth_limit;
  if (!json::sax_parse(data, data + size, &depth_limit, json::input_format_t::cbor,
                       /*strict=*/true)) {
    return 0;
  }
  json j;
  try {
    j = json::from_cbor(data, data + size, /*strict=*/true, /*allow_exceptions=*/false);
  } catch (const json::exception&) {
    // nlohmann 3.11 throws out_of_range.408 for a CBOR array or map whose declared length
    // exceeds max_size(), despite allow_exceptions=false (upstream PR nlohmann/json#5467).
    // Callers decoding untrusted CBOR must catch it, as here.
    return 0;
  }
  if (j.is_discarded()) return 0;

  auto state = licet::model::ContainerStateFromJson(j);
  if (state.ok()) ExerciseState(*state);

  auto ops = licet::model::OperationsFromJson(j);
  if (ops.ok()) ExerciseOperations(*ops);

  auto item = licet::model::ProductItemFromJson(j);
  if (item.ok()) {
    auto again = licet::model::ProductItemFromJson(licet::model::ToJson(*item));
    Check(again.ok() && *again == *item);
    (void)licet::model::ToDisplayJson(*item).dump();
  }
  auto op = licet::model::OperationFromJson(j);
  if (op.ok()) {
    auto again = licet::model::OperationFromJson(licet::model::ToJson(*op));
    Check(again.ok() && *again == *op);
  }
  (void)licet::model::ProductPatchFromJson(j);
  return 0;
}
