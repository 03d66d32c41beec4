// What the licet-core benchmarks work on: a real container store in a temporary directory
// (real files, flock, fsync), a soft container bound to this machine, a firm key, and the
// files of one offline activation made ahead of time.
#ifndef LICET_BENCH_CORE_FIXTURE_H_
#define LICET_BENCH_CORE_FIXTURE_H_

#include <memory>
#include <string>
#include <vector>

#include "common/bytes.h"
#include "common/status.h"
#include "container/fingerprint.h"
#include "engine/container_store.h"
#include "engine/context_file.h"
#include "engine/firm_key.h"
#include "model/items.h"

namespace licet::bench {

inline constexpr uint32_t kBenchFirm = 6000010;
inline constexpr uint32_t kBenchProduct = 201010;

// A product item as a vendor typically sells it: features, units, an expiry, a text and a
// little protected data.
model::ProductItem TypicalProductItem(UnixTime now);

class CoreFixture {
 public:
  // Makes the store under $TMPDIR (default /tmp), creates the container, the firm key, a
  // context, an update adding TypicalProductItem, and imports it once.
  static Result<std::unique_ptr<CoreFixture>> Create();
  // Removes the temporary directory.
  ~CoreFixture();
  CoreFixture(const CoreFixture&) = delete;
  CoreFixture& operator=(const CoreFixture&) = delete;

  engine::ContainerStore& store() { return *store_; }
  const std::string& serial() const { return serial_; }
  const std::string& container_path() const { return container_path_; }
  const engine::FirmKey& firm() const { return firm_; }
  // The context of the empty container (FUC 0): what the vendor's update answers.
  const engine::ContainerContext& context() const { return context_; }
  // An update for `context()`: the firm item and one AddProduct (FUC 1..2).
  const Bytes& update() const { return update_; }
  // The container file before and after importing `update()`.
  const Bytes& empty_container() const { return empty_container_; }
  const Bytes& loaded_container() const { return loaded_container_; }
  const std::vector<container::DeviceProperty>& device_properties() const { return props_; }

  // Puts `file` back as the container file (atomically, with fsync, so that its write-back
  // is not charged to the next timed operation).
  Status Restore(const Bytes& file);

  // Sizes of the files and where the store lives, for the benchmark log.
  std::string Describe() const;

 private:
  CoreFixture() = default;

  std::string home_;
  std::string filesystem_;  // "ext4", "tmpfs", ... of home_
  std::unique_ptr<engine::ContainerStore> store_;
  std::string serial_;
  std::string container_path_;
  engine::FirmKey firm_;
  engine::ContainerContext context_;
  size_t context_file_size_ = 0;
  size_t loaded_context_file_size_ = 0;
  Bytes update_;
  Bytes empty_container_;
  Bytes loaded_container_;
  std::vector<container::DeviceProperty> props_;
};

}  // namespace licet::bench

#endif  // LICET_BENCH_CORE_FIXTURE_H_
