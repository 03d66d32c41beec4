#include "engine/paths.h"

#include <pwd.h>
#include <unistd.h>

#include <cstdlib>

#include "common/env.h"

namespace licet::engine {

std::string DefaultHome() {
  if (const char* home = std::getenv("LICET_HOME"); home != nullptr && *home != '\0') return home;
  if (::geteuid() == 0) return "/var/lib/licet";
  if (const char* xdg = std::getenv("XDG_DATA_HOME"); xdg != nullptr && *xdg != '\0') {
    return JoinPath(xdg, "licet");
  }
  const char* user_home = std::getenv("HOME");
  if (user_home == nullptr || *user_home == '\0') {
    const struct passwd* pw = ::getpwuid(::geteuid());
    user_home = pw != nullptr ? pw->pw_dir : "/tmp";
  }
  return JoinPath(user_home, ".local/share/licet");
}

std::string ContainersDir(const std::string& home) { return JoinPath(home, "containers"); }

}  // namespace licet::engine
