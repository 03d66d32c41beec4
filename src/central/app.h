// licet-central assembled: configuration -> database (migrated) -> KEK vault (checked
// against the database) -> API -> HTTP server. main.cc drives it; tests run it in-process.
#ifndef LICET_CENTRAL_APP_H_
#define LICET_CENTRAL_APP_H_

#include <memory>
#include <string>

#include "central/api/api.h"
#include "central/config.h"
#include "central/engine/vault.h"
#include "central/http/server.h"
#include "central/store/store.h"
#include "common/clock.h"

namespace licet::central {

class App {
 public:
  // Creates the data directory (0700) when the database is its default file, opens and
  // migrates the database, and checks the KEK: the first start records its fingerprint,
  // later starts with another KEK fail with kPermissionDenied ("the KEK does not match").
  static Result<std::unique_ptr<App>> Open(const CentralConfig& config,
                                           const Clock& clock = SystemClock::Get());
  ~App();

  // Binds the listen address and starts serving. kIoError when the address is taken.
  Status StartServer();
  // "127.0.0.1:40123" once started.
  std::string BoundAddress() const;
  // Graceful stop (shutdown_timeout); idempotent.
  void Stop();

  store::Store& store() { return *store_; }
  api::Api& api() { return *api_; }
  const engine::Vault& vault() const { return *vault_; }
  const Clock& clock() const { return clock_; }

 private:
  App(const CentralConfig& config, const Clock& clock) : config_(config), clock_(clock) {}

  CentralConfig config_;
  const Clock& clock_;
  std::unique_ptr<store::Database> db_;
  std::unique_ptr<store::Store> store_;
  std::unique_ptr<engine::Vault> vault_;
  std::unique_ptr<api::Api> api_;
  std::unique_ptr<http::HttpServer> server_;
};

}  // namespace licet::central

#endif  // LICET_CENTRAL_APP_H_
