// Where Licet keeps its state on this machine.
#ifndef LICET_ENGINE_PATHS_H_
#define LICET_ENGINE_PATHS_H_

#include <string>

namespace licet::engine {

// The state dir: $LICET_HOME if set; /var/lib/licet for root; otherwise
// $XDG_DATA_HOME/licet or ~/.local/share/licet.
std::string DefaultHome();

// <home>/containers: one file per soft container, <serial>.lcc, with a <serial>.lock beside it.
std::string ContainersDir(const std::string& home);

}  // namespace licet::engine

#endif  // LICET_ENGINE_PATHS_H_
