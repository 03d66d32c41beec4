// A shared library with a protected function (feature 1), loaded with dlopen by
// protect_functions_demo: its own runtime, descriptor and SIGSEGV gate, chained with the
// program's.
#include <cstdint>

#include "licet/protect.h"

extern "C" LICET_PROTECTED(1) uint64_t LibMix(uint64_t x) {
  for (int i = 0; i < 4; ++i) x = (x ^ (x >> 31)) * 0x94d049bb133111ebULL;
  return x;
}

extern "C" int LibIsProtected() { return licet_protect_is_protected(); }
