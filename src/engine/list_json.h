// The display form of the containers of a machine: what `licet list --json` prints and what
// licetd's `list` operation answers, built in one place so both say the same.
#ifndef LICET_ENGINE_LIST_JSON_H_
#define LICET_ENGINE_LIST_JSON_H_

#include <nlohmann/json.hpp>
#include <string>

#include "common/clock.h"
#include "common/status.h"
#include "engine/soft_container.h"

namespace licet::engine {

// {"serial", "type", "binding", "created", "clock", "state"} with each product's "status":
// "valid" or why an access would be refused at `now`. Never secret or hidden data.
nlohmann::json ContainerDisplayJson(const SoftContainer& container, UnixTime now);

// A container that cannot be opened (another device, damaged): {"serial", "error",
// "error_code"}, so that one unreadable container does not hide the others.
nlohmann::json UnreadableContainerJson(const std::string& serial, const Status& error);

}  // namespace licet::engine

#endif  // LICET_ENGINE_LIST_JSON_H_
