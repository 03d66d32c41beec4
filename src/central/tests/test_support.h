// Helpers shared by Central's tests: containers in memory (real keys, real context files,
// real update decryption and application) and a throwaway data directory.
#ifndef LICET_CENTRAL_TESTS_TEST_SUPPORT_H_
#define LICET_CENTRAL_TESTS_TEST_SUPPORT_H_

#include <gtest/gtest.h>
#include <stdlib.h>

#include <set>
#include <string>

#include "engine/context_file.h"
#include "engine/soft_container.h"
#include "engine/update_file.h"
#include "model/operation.h"

namespace licet::central::testing {

inline licet::engine::SoftContainer NewContainer(uint32_t number, UnixTime now) {
  std::vector<container::DeviceProperty> props{
      {container::PropertyKind::kMachineId, {"0123456789abcdef0123456789abcdef"}},
      {container::PropertyKind::kCpuSignature, {"test cpu"}},
      {container::PropertyKind::kRootDisk, {"disk-1"}}};
  auto c = licet::engine::CreateSoftContainer(number, props, 2, now);
  EXPECT_TRUE(c.ok()) << c.status().ToString();
  return std::move(c).value();
}

inline Bytes ContextOf(const licet::engine::SoftContainer& c, uint32_t firm, UnixTime now,
                       format::FileKind kind = format::FileKind::kContext) {
  auto file = licet::engine::MakeContextFile(c, firm, kind, now);
  EXPECT_TRUE(file.ok()) << file.status().ToString();
  return *file;
}

// What ImportUpdate does, on a container in memory.
inline Result<model::ApplyReport> Import(licet::engine::SoftContainer& c, ByteSpan update) {
  LICET_ASSIGN_OR_RETURN(auto header, licet::engine::ReadUpdateFile(update));
  if (header.serial != c.serial) return Error(ErrorCode::kWrongContainer, "other serial");
  if (const auto* f = c.state.FindFirm(header.firm_code)) {
    if (f->public_key != header.firm_public_key) {
      return Error(ErrorCode::kUntrustedSigner, "other firm key");
    }
  }
  LICET_ASSIGN_OR_RETURN(auto ops, licet::engine::OpenUpdateOperations(header, c));
  return model::ApplyOperations(c.state, header.firm_code, ops, header.certified_time);
}

inline std::set<uint32_t> Products(const licet::engine::SoftContainer& c, uint32_t firm) {
  std::set<uint32_t> out;
  if (const auto* f = c.state.FindFirm(firm)) {
    for (const auto& p : f->products) out.insert(p.product_code);
  }
  return out;
}

// A temporary directory removed at destruction.
class TempDir {
 public:
  TempDir() {
    char tmpl[] = "/tmp/licet-central-test-XXXXXX";
    EXPECT_NE(mkdtemp(tmpl), nullptr);
    path_ = tmpl;
  }
  ~TempDir() { std::system(("rm -rf " + path_).c_str()); }
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

}  // namespace licet::central::testing

#endif  // LICET_CENTRAL_TESTS_TEST_SUPPORT_H_
