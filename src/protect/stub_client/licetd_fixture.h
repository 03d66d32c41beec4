// Test support (not shipped): a real licetd over a throwaway LICET_HOME prepared with the
// real `licet` CLI, as tests/runtime/runtime_harness.py does it, for C++ tests of the
// protection runtimes. Binaries come from $LICET_BIN_DIR (set by licet_test).
#ifndef LICET_PROTECT_STUB_CLIENT_LICETD_FIXTURE_H_
#define LICET_PROTECT_STUB_CLIENT_LICETD_FIXTURE_H_

#include <sys/types.h>

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "common/bytes.h"
#include "common/status.h"
#include "engine/firm_key.h"
#include "model/items.h"

namespace licet::protect::testing {

inline constexpr uint32_t kTestFirm = 6000010;

class LicetdFixture {
 public:
  // Creates the home (a container holding `items` of kTestFirm, a firm key, firm.key written
  // to work()/firm.key) and starts licetd. Null with `why` set when licetd is not built (the
  // caller skips) or something failed.
  static std::unique_ptr<LicetdFixture> Start(const std::vector<model::ProductItem>& items,
                                              std::string* why);
  ~LicetdFixture();
  LicetdFixture(const LicetdFixture&) = delete;
  LicetdFixture& operator=(const LicetdFixture&) = delete;

  const std::string& socket() const { return socket_; }
  const std::string& work() const { return work_; }
  const std::string& firm_key_path() const { return firm_key_; }
  const std::string& bin_dir() const { return bin_; }
  // The firm secret of firm.key (for the vendor side of the tests).
  const SecretBytes& firm_secret() const { return firm_.firm_secret; }
  // Environment entries for a child (LICET_SOCKET, LICET_HOME) in "K=V" form.
  std::vector<std::string> Env() const;
  void StopDaemon();
  // Starts licetd again over the same home (after StopDaemon).
  Status Restart() { return StartDaemon(); }

 private:
  LicetdFixture() = default;
  Status StartDaemon();

  engine::FirmKey firm_;
  std::string bin_, work_, home_, socket_, firm_key_, serial_;
  pid_t pid_ = -1;
};

}  // namespace licet::protect::testing

#endif  // LICET_PROTECT_STUB_CLIENT_LICETD_FIXTURE_H_
