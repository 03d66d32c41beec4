// The soft containers of this machine: one file each under <home>/containers, written
// atomically, with an flock per container so that concurrent writers (licetd, the CLI, two
// imports) are serialised and readers never see a half-written file.
#ifndef LICET_ENGINE_CONTAINER_STORE_H_
#define LICET_ENGINE_CONTAINER_STORE_H_

#include <functional>
#include <string>
#include <vector>

#include "common/clock.h"
#include "common/env.h"
#include "common/status.h"
#include "engine/soft_container.h"

namespace licet::engine {

class ContainerStore {
 public:
  // `env` and `clock` must outlive the store.
  explicit ContainerStore(std::string home, Env* env = &Env::Default(),
                          const Clock* clock = &SystemClock::Get());

  const std::string& home() const { return home_; }
  const Clock& clock() const { return *clock_; }

  // Creates a soft container bound to this device; returns its serial.
  Result<std::string> Create(int threshold = 0);

  // Serials of the containers in the store, sorted.
  Result<std::vector<std::string>> ListSerials();

  // The serial given, checked to exist; or, when `serial` is empty, the only container
  // (kInvalidArgument naming the choices when there are several, kContainerNotFound when none).
  Result<std::string> ResolveSerial(const std::string& serial);

  // Opens a container under a shared lock (a consistent snapshot).
  Result<SoftContainer> Open(const std::string& serial);

  // Opens a container under an exclusive lock and runs `fn` on it. When `fn` returns true
  // the container is saved atomically before the lock is released; when it returns false or
  // an error, the file is untouched.
  Status Modify(const std::string& serial, const std::function<Result<bool>(SoftContainer&)>& fn);

  std::string PathOf(const std::string& serial) const;

 private:
  Result<SoftContainer> Load(const std::string& serial);
  std::string LockPathOf(const std::string& serial) const;

  std::string home_;
  std::string dir_;
  Env* env_;
  const Clock* clock_;
};

}  // namespace licet::engine

#endif  // LICET_ENGINE_CONTAINER_STORE_H_
