#include "engine/list_json.h"

#include "model/checks.h"
#include "model/display.h"

namespace licet::engine {

using nlohmann::json;

json ContainerDisplayJson(const SoftContainer& c, UnixTime now) {
  json state = model::ToDisplayJson(c.state);
  for (size_t f = 0; f < c.state.firms.size(); ++f) {
    for (size_t p = 0; p < c.state.firms[f].products.size(); ++p) {
      Status st = model::CheckTimeLimits(c.state.firms[f].products[p], c.state, now);
      state["firms"][f]["products"][p]["status"] = st.ok() ? "valid" : st.ToString();
    }
  }
  Status clock = model::CheckClock(c.state, now);
  return {{"serial", c.serial},
          {"type", "soft"},
          {"binding", {{"threshold", c.binding.threshold}, {"count", c.binding.count}}},
          {"created", FormatTime(c.created)},
          {"clock", clock.ok() ? "ok" : clock.ToString()},
          {"state", std::move(state)}};
}

json UnreadableContainerJson(const std::string& serial, const Status& error) {
  return {{"serial", serial}, {"error", error.ToString()}, {"error_code", ErrorCodeName(error.code())}};
}

}  // namespace licet::engine
