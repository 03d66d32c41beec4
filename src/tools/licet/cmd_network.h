// `licet network status`: the seat table of a network license server (docs/NETWORK.md).
#ifndef LICET_TOOLS_LICET_CMD_NETWORK_H_
#define LICET_TOOLS_LICET_CMD_NETWORK_H_

#include "tools/licet/cli.h"

namespace licet::cli {

void RegisterNetworkCommands(CLI::App& app, Globals& g, Action* action);
// `licet network audit` (cmd_network_audit.cc), added to the `network` group.
void RegisterNetworkAuditCommand(CLI::App& network, Globals& g, Action* action);

}  // namespace licet::cli

#endif  // LICET_TOOLS_LICET_CMD_NETWORK_H_
