// fake-licetd SOCKET_DIR_FILE: runs FakeLicetd until stdin closes, after writing its socket
// path to SOCKET_DIR_FILE. For tests of the Python module that need no real licetd.
#include <unistd.h>

#include <cstdio>
#include <fstream>

#include "client/fake_licetd.h"

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: fake-licetd PATH_FILE (serves until stdin closes)\n");
    return 2;
  }
  licet::client::FakeLicetd fake;
  {
    std::ofstream out(argv[1]);
    out << fake.socket_path() << "\n";
  }
  char c;
  while (read(0, &c, 1) > 0) {
  }
  return 0;
}
