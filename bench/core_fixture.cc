#include "bench/core_fixture.h"

#include <linux/magic.h>
#include <stdlib.h>
#include <sys/vfs.h>

#include <cstdlib>
#include <filesystem>
#include <sstream>

#include "common/clock.h"
#include "common/env.h"
#include "engine/update_file.h"
#include "model/operation.h"

namespace licet::bench {
namespace {

// fsync on tmpfs costs nothing, which would flatter every import figure: the log says
// which file system the figures are from.
std::string FilesystemOf(const std::string& path) {
  struct statfs fs {};
  if (statfs(path.c_str(), &fs) != 0) return "unknown";
  switch (static_cast<unsigned long>(fs.f_type)) {
    case EXT4_SUPER_MAGIC:
      return "ext2/3/4";
    case XFS_SUPER_MAGIC:
      return "xfs";
    case BTRFS_SUPER_MAGIC:
      return "btrfs";
    case TMPFS_MAGIC:
      return "tmpfs (fsync is free here: set TMPDIR to a disk for real figures)";
    case RAMFS_MAGIC:
      return "ramfs (fsync is free here: set TMPDIR to a disk for real figures)";
    case OVERLAYFS_SUPER_MAGIC:
      return "overlayfs";
    default: {
      std::ostringstream out;
      out << "f_type 0x" << std::hex << static_cast<unsigned long>(fs.f_type);
      return out.str();
    }
  }
}

}  // namespace

model::ProductItem TypicalProductItem(UnixTime now) {
  model::ProductItem item;
  item.product_code = kBenchProduct;
  item.feature_map = 0x0f;
  item.unit_counter = 1000;
  item.expiration = now + 365 * 86400;
  item.maintenance_until = now + 365 * 86400;
  item.text = "Sample App Professional";
  item.protected_data = Bytes(64, 0x5a);
  return item;
}

Result<std::unique_ptr<CoreFixture>> CoreFixture::Create() {
  std::unique_ptr<CoreFixture> f(new CoreFixture());
  const char* tmp = std::getenv("TMPDIR");
  std::string tmpl =
      std::string(tmp != nullptr && *tmp != '\0' ? tmp : "/tmp") + "/licet-bench-XXXXXX";
  if (mkdtemp(tmpl.data()) == nullptr) {
    return Error(ErrorCode::kIoError, "cannot make a temporary directory from " + tmpl);
  }
  f->home_ = tmpl;
  f->filesystem_ = FilesystemOf(f->home_);
  f->store_ = std::make_unique<engine::ContainerStore>(f->home_);
  const UnixTime now = f->store_->clock().Now();
  LICET_ASSIGN_OR_RETURN(f->serial_, f->store_->Create());
  f->container_path_ = f->store_->PathOf(f->serial_);
  LICET_ASSIGN_OR_RETURN(f->firm_, engine::GenerateFirmKey(kBenchFirm, "Bench Software GmbH", now));
  LICET_ASSIGN_OR_RETURN(f->empty_container_, Env::Default().ReadFile(f->container_path_));
  LICET_ASSIGN_OR_RETURN(f->props_, container::ReadDeviceProperties());

  {
    LICET_ASSIGN_OR_RETURN(engine::SoftContainer c, f->store_->Open(f->serial_));
    LICET_ASSIGN_OR_RETURN(Bytes file,
                           engine::MakeContextFile(c, kBenchFirm, format::FileKind::kContext, now));
    f->context_file_size_ = file.size();
    LICET_ASSIGN_OR_RETURN(f->context_, engine::ReadContextFile(file));
  }
  std::vector<model::OperationBody> ops;
  ops.push_back(model::op::AddProduct{TypicalProductItem(now)});
  LICET_ASSIGN_OR_RETURN(f->update_,
                         engine::CreateUpdateFile(f->firm_, f->context_, std::move(ops), now));
  LICET_RETURN_IF_ERROR(engine::ImportUpdate(*f->store_, f->update_).status());
  LICET_ASSIGN_OR_RETURN(f->loaded_container_, Env::Default().ReadFile(f->container_path_));
  {
    LICET_ASSIGN_OR_RETURN(engine::SoftContainer c, f->store_->Open(f->serial_));
    LICET_ASSIGN_OR_RETURN(Bytes file,
                           engine::MakeContextFile(c, kBenchFirm, format::FileKind::kContext, now));
    f->loaded_context_file_size_ = file.size();
  }
  return f;
}

CoreFixture::~CoreFixture() {
  std::error_code ignored;
  if (!home_.empty()) std::filesystem::remove_all(home_, ignored);
}

Status CoreFixture::Restore(const Bytes& file) {
  return Env::Default().WriteFileAtomic(container_path_, file, 0600);
}

std::string CoreFixture::Describe() const {
  std::ostringstream out;
  out << "store: " << home_ << " on " << filesystem_ << "\n"
      << "  container " << serial_ << ": " << empty_container_.size() << " B empty, "
      << loaded_container_.size() << " B with one product; " << props_.size()
      << " device properties\n"
      << "  context file: " << context_file_size_ << " B empty, " << loaded_context_file_size_
      << " B with one product; update file (firm item + AddProduct): " << update_.size() << " B\n";
  return out.str();
}

}  // namespace licet::bench
