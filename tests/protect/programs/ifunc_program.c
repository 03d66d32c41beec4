/* IFUNC in the protected program itself: ld.so (or, statically linked, the startup code)
   calls the resolver before main; the resolver's pages must stay plain. */
#include <stdio.h>
#include <stdlib.h>

static int add_generic(int a, int b) { return a + b; }
static int add_fancy(int a, int b) { return b + a; }

static int (*resolve_add(void))(int, int) {
  __builtin_cpu_init();
  return __builtin_cpu_supports("sse2") ? add_fancy : add_generic;
}
int add(int a, int b) __attribute__((ifunc("resolve_add")));

#define R(n) n, n + 1, n + 2, n + 3, n + 4, n + 5, n + 6, n + 7
#define R64(n) R(n), R(n + 8), R(n + 16), R(n + 24), R(n + 32), R(n + 40), R(n + 48), R(n + 56)
#define R512(n) R64(n), R64(n + 64), R64(n + 128), R64(n + 192), R64(n + 256), R64(n + 320), R64(n + 384), R64(n + 448)
static const int kTable[] = {R512(0), R512(512), R512(1024), R512(1536)};

int main(int argc, char** argv) {
  long sum = 0;
  for (unsigned i = 0; i < sizeof(kTable) / sizeof(kTable[0]); ++i) sum = add((int)sum, kTable[i]) % 1000003;
  printf("ifunc sum=%ld args=%d\n", sum, argc);
  return argc > 1 ? atoi(argv[1]) : 0;
}
