#include "central/app.h"

#include "central/http/log.h"
#include "central/store/open.h"
#include "common/env.h"

namespace licet::central {

Result<std::unique_ptr<App>> App::Open(const CentralConfig& config, const Clock& clock) {
  std::unique_ptr<App> app(new App(config, clock));
  LICET_ASSIGN_OR_RETURN(SecretBytes kek, LoadKek(config));
  LICET_ASSIGN_OR_RETURN(engine::Vault vault, engine::Vault::FromKey(kek));
  app->vault_ = std::make_unique<engine::Vault>(std::move(vault));

  LICET_ASSIGN_OR_RETURN(store::DatabaseUrl url, store::ParseDatabaseUrl(config.database));
  if (url.kind == store::DatabaseKind::kSqlite) {
    LICET_RETURN_IF_ERROR(Env::Default().CreateDirectories(DirName(url.sqlite_path), 0700));
  }
  // One connection per worker, plus one for probes and the CLI.
  LICET_ASSIGN_OR_RETURN(app->db_, store::OpenAndMigrate(url, config.workers + 1, clock.Now()));
  app->store_ = std::make_unique<store::Store>(*app->db_);

  const std::string kek_id = app->vault_->KekId();
  auto stored = app->store_->TransactResult<std::string>(store::TxMode::kWrite, [&](store::Tx& tx) {
    return tx.PutSettingIfAbsent("kek_id", kek_id);
  });
  if (!stored.ok()) return stored.status();
  if (*stored != kek_id) {
    return Error(ErrorCode::kPermissionDenied,
                 "the KEK does not match the one this database was created with (fingerprint " +
                     *stored + ", given " + kek_id + ")");
  }
  api::ApiOptions options;
  options.gateway_rate_per_minute = static_cast<uint32_t>(config.gateway_rate);
  options.gateway_burst = static_cast<uint32_t>(config.gateway_burst);
  app->api_ = std::make_unique<api::Api>(*app->store_, *app->db_, *app->vault_, clock, options);
  return app;
}

App::~App() { Stop(); }

Status App::StartServer() {
  http::ServerOptions o;
  o.listen = config_.listen;
  o.io_threads = config_.threads;
  o.workers = config_.workers;
  o.body_limit = static_cast<size_t>(config_.body_limit);
  o.read_timeout = std::chrono::seconds(config_.request_timeout);
  o.write_timeout = std::chrono::seconds(config_.request_timeout);
  // Validated by SetConfigKey; parsed again for a config built in code (tests).
  LICET_ASSIGN_OR_RETURN(o.trusted_proxies, http::TrustedProxies::Parse(config_.trusted_proxies));
  api::Api* api = api_.get();
  LICET_ASSIGN_OR_RETURN(server_, http::HttpServer::Create(o, [api](const http::HttpRequest& r) {
                           return api->Handle(r);
                         }));
  server_->Start();
  http::Log(http::LogLevel::kInfo, "listening",
            {{"address", server_->BoundAddress()}, {"database", std::string(db_->Kind())}});
  return Status::Ok();
}

std::string App::BoundAddress() const { return server_ ? server_->BoundAddress() : ""; }

void App::Stop() {
  if (server_) server_->Stop(std::chrono::seconds(config_.shutdown_timeout));
}

}  // namespace licet::central
