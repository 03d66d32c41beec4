// `licet info FILE`: a readable dump of any Licet file, with its signature checked.
#ifndef LICET_ENGINE_FILE_INFO_H_
#define LICET_ENGINE_FILE_INFO_H_

#include <nlohmann/json.hpp>
#include <string>

#include "common/bytes.h"
#include "common/status.h"
#include "engine/container_store.h"
#include "model/operation.h"

namespace licet::engine {

struct FileDescription {
  std::string text;     // lines for people
  nlohmann::json json;  // the same for scripts (`--json`)
};

// Describes a context, receipt, update, firm key or container file. Signatures are
// verified (a failure is an error, not a description). With a `store`, an update for one of
// its containers is decrypted and its operations listed, and a container file says whether
// it opens on this device. Secrets are never shown.
Result<FileDescription> DescribeFile(ByteSpan file, ContainerStore* store);

// "add product 201010 'Sample App' (features 0x3, 100 units)", "set units of 201010 to 5", ...
std::string DescribeOperation(const model::Operation& op);

}  // namespace licet::engine

#endif  // LICET_ENGINE_FILE_INFO_H_
