#include "engine/container_store.h"

#include "container/fingerprint.h"
#include "crypto/crypto.h"
#include "engine/paths.h"
#include "model/checks.h"

namespace licet::engine {
namespace {

constexpr const char* kContainerSuffix = ".lcc";

bool HasSuffix(const std::string& s, const std::string& suffix) {
  return s.size() > suffix.size() && s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}

}  // namespace

ContainerStore::ContainerStore(std::string home, Env* env, const Clock* clock)
    : home_(std::move(home)), dir_(ContainersDir(home_)), env_(env), clock_(clock) {}

std::string ContainerStore::PathOf(const std::string& serial) const {
  return JoinPath(dir_, serial + kContainerSuffix);
}

std::string ContainerStore::LockPathOf(const std::string& serial) const {
  return JoinPath(dir_, serial + ".lock");
}

Result<std::string> ContainerStore::Create(int threshold) {
  LICET_RETURN_IF_ERROR(env_->CreateDirectories(dir_, 0700));
  LICET_ASSIGN_OR_RETURN(std::vector<container::DeviceProperty> props,
                         container::ReadDeviceProperties());
  // The store lock makes "pick an unused serial, write it" atomic among creators.
  LICET_ASSIGN_OR_RETURN(FileLock store_lock, env_->Lock(JoinPath(dir_, ".store.lock"), LockMode::kExclusive));
  uint32_t number = 0;
  do {
    number = static_cast<uint32_t>(1 + crypto::RandomUniform(0xffffffffULL));
  } while (env_->FileExists(PathOf(FormatSerial(kSoftContainerMask, number))));
  LICET_ASSIGN_OR_RETURN(SoftContainer c,
                         CreateSoftContainer(number, props, threshold, clock_->Now()));
  LICET_ASSIGN_OR_RETURN(Bytes file, EncodeContainerFile(c));
  LICET_RETURN_IF_ERROR(env_->WriteFileAtomic(PathOf(c.serial), file, 0600));
  return c.serial;
}

Result<std::vector<std::string>> ContainerStore::ListSerials() {
  LICET_ASSIGN_OR_RETURN(std::vector<std::string> names, env_->ListDirectory(dir_));
  std::vector<std::string> serials;
  for (const std::string& name : names) {
    if (!HasSuffix(name, kContainerSuffix)) continue;
    std::string serial = name.substr(0, name.size() - std::string(kContainerSuffix).size());
    if (ParseSerial(serial).ok()) serials.push_back(serial);
  }
  return serials;
}

Result<std::string> ContainerStore::ResolveSerial(const std::string& serial) {
  LICET_ASSIGN_OR_RETURN(std::vector<std::string> serials, ListSerials());
  if (!serial.empty()) {
    LICET_RETURN_IF_ERROR(ParseSerial(serial));
    for (const auto& s : serials) {
      if (s == serial) return serial;
    }
    return Error(ErrorCode::kContainerNotFound,
                 "container " + serial + " is not on this machine (see 'licet list')");
  }
  if (serials.empty()) {
    return Error(ErrorCode::kContainerNotFound,
                 "no container on this machine: create one with 'licet container create'");
  }
  if (serials.size() > 1) {
    std::string list;
    for (const auto& s : serials) list += (list.empty() ? "" : ", ") + s;
    return Error(ErrorCode::kInvalidArgument,
                 "several containers on this machine (" + list + "): choose one with --serial");
  }
  return serials.front();
}

Result<SoftContainer> ContainerStore::Load(const std::string& serial) {
  auto file = env_->ReadFile(PathOf(serial));
  if (!file.ok()) {
    if (file.status().code() == ErrorCode::kNotFound) {
      return Error(ErrorCode::kContainerNotFound, "container " + serial + " is not on this machine");
    }
    return file.status();
  }
  LICET_ASSIGN_OR_RETURN(std::vector<container::DeviceProperty> props,
                         container::ReadDeviceProperties());
  return DecodeContainerFile(*file, props);
}

Result<SoftContainer> ContainerStore::Open(const std::string& serial) {
  LICET_RETURN_IF_ERROR(ParseSerial(serial));
  LICET_ASSIGN_OR_RETURN(FileLock lock, env_->Lock(LockPathOf(serial), LockMode::kShared));
  return Load(serial);
}

Status ContainerStore::Modify(const std::string& serial,
                              const std::function<Result<bool>(SoftContainer&)>& fn) {
  LICET_RETURN_IF_ERROR(ParseSerial(serial));
  if (!env_->FileExists(PathOf(serial))) {
    return Error(ErrorCode::kContainerNotFound, "container " + serial + " is not on this machine");
  }
  LICET_ASSIGN_OR_RETURN(FileLock lock, env_->Lock(LockPathOf(serial), LockMode::kExclusive));
  LICET_ASSIGN_OR_RETURN(SoftContainer c, Load(serial));
  LICET_ASSIGN_OR_RETURN(bool changed, fn(c));
  if (!changed) return Status::Ok();
  model::ObserveTime(c.state, clock_->Now());
  ++c.generation;
  LICET_ASSIGN_OR_RETURN(Bytes file, EncodeContainerFile(c));
  return env_->WriteFileAtomic(PathOf(serial), file, 0600);
}

}  // namespace licet::engine
