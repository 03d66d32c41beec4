// Uses the installed licet.hpp; LICET_SOCKET points where no licetd listens.
#include <licet/licet.hpp>

#include <cstdio>

int main() {
  licet::AccessParams params;
  params.firm_code = 6000010;
  params.product_code = 201010;
  licet::Result<licet::License> license = licet::License::Access(params);
  if (license.ok() || license.code() != LICET_ERROR_UNAVAILABLE) return 1;
  std::printf("licet.hpp: %s\n", license.error().message.c_str());
  return 0;
}
