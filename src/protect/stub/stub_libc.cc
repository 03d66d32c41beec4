// The few libc symbols the compiler may emit calls to even in freestanding code (struct
// copies, zero-initialisation). Hidden: they never leave the blob.
extern "C" {

__attribute__((visibility("hidden"))) void* memcpy(void* dst, const void* src, unsigned long n) {
  auto* d = static_cast<volatile unsigned char*>(dst);
  const auto* s = static_cast<const unsigned char*>(src);
  for (unsigned long i = 0; i < n; ++i) d[i] = s[i];
  return dst;
}

__attribute__((visibility("hidden"))) void* memset(void* dst, int c, unsigned long n) {
  auto* d = static_cast<volatile unsigned char*>(dst);
  for (unsigned long i = 0; i < n; ++i) d[i] = static_cast<unsigned char>(c);
  return dst;
}

__attribute__((visibility("hidden"))) void* memmove(void* dst, const void* src, unsigned long n) {
  auto* d = static_cast<volatile unsigned char*>(dst);
  const auto* s = static_cast<const unsigned char*>(src);
  if (d < s) {
    for (unsigned long i = 0; i < n; ++i) d[i] = s[i];
  } else {
    for (unsigned long i = n; i > 0; --i) d[i - 1] = s[i - 1];
  }
  return dst;
}

__attribute__((visibility("hidden"))) int memcmp(const void* a, const void* b, unsigned long n) {
  const auto* x = static_cast<const unsigned char*>(a);
  const auto* y = static_cast<const unsigned char*>(b);
  for (unsigned long i = 0; i < n; ++i) {
    if (x[i] != y[i]) return x[i] < y[i] ? -1 : 1;
  }
  return 0;
}

}  // extern "C"
