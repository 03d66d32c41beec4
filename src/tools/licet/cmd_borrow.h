// `licet borrow`, `licet borrow return`, `licet borrow list` (docs/CLI.md, docs/NETWORK.md
// "Borrowing"): a network seat taken into this machine's soft container for days.
#ifndef LICET_TOOLS_LICET_CMD_BORROW_H_
#define LICET_TOOLS_LICET_CMD_BORROW_H_

#include "tools/licet/cli.h"

namespace licet::cli {

void RegisterBorrowCommands(CLI::App& app, Globals& g, Action* action);

}  // namespace licet::cli

#endif  // LICET_TOOLS_LICET_CMD_BORROW_H_
