// `licet network status`: the seat table of a network license server (docs/NETWORK.md).
#ifndef LICET_TOOLS_LICET_CMD_NETWORK_H_
#define LICET_TOOLS_LICET_CMD_NETWORK_H_

#include <string>

#include "network/client.h"
#include "tools/licet/cli.h"

namespace licet::cli {

// A one-shot TLS client's options for the network commands (`network status`, `borrow`):
// the servers from the flag, else $LICET_SERVERS; trust by pinned fingerprints (flag, else
// $LICET_SERVER_FINGERPRINTS) or a CA file (flag, else $LICET_SERVER_CA); this host's name as
// host and machine. A missing server or trust is an error that says what to give.
[[nodiscard]] Result<network::ClientOptions> NetworkClientOptions(const std::string& servers,
                                                                  const std::string& fingerprints,
                                                                  const std::string& ca);

void RegisterNetworkCommands(CLI::App& app, Globals& g, Action* action);
// `licet network audit` (cmd_network_audit.cc), added to the `network` group.
void RegisterNetworkAuditCommand(CLI::App& network, Globals& g, Action* action);

}  // namespace licet::cli

#endif  // LICET_TOOLS_LICET_CMD_NETWORK_H_
