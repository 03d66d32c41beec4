// The network server's signed usage log (docs/NETWORK.md, "Usage log"): its key sits next to
// the TLS key (HOME/network/usage.key, 0600, made on first start), the per-firm files under
// HOME/network/usage/.
#include <spdlog/spdlog.h>

#include "common/env.h"
#include "daemon/daemon.h"

namespace licet::daemon {

Status Daemon::StartUsageLog() {
  LICET_ASSIGN_OR_RETURN(
      SecretBytes key, network::LoadOrCreateUsageKey(JoinPath(config_.home, "network/usage.key")));
  LICET_ASSIGN_OR_RETURN(usage_log_,
                         network::UsageLogSet::Create(JoinPath(config_.home, "network/usage"), key,
                                                      &SystemClock::Get()));
  network_->SetUsageLog(usage_log_.get());
  spdlog::info("network usage log in {} signed by usage-log key {}",
               JoinPath(config_.home, "network/usage"), usage_log_public_key());
  return Status::Ok();
}

}  // namespace licet::daemon
