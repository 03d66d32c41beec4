/* Links the installed liblicet and calls it; LICET_SOCKET points where no licetd listens. */
#include <licet/licet.h>
#include <stdio.h>
#include <string.h>

int main(void) {
  licet_access_params params = LICET_ACCESS_PARAMS_INIT;
  licet_handle* handle = NULL;
  int rc;
  params.firm_code = 6000010;
  params.product_code = 201010;
  rc = licet_access(&params, &handle);
  if (rc != LICET_ERROR_UNAVAILABLE || handle != NULL || strstr(licet_errmsg(), "licetd") == NULL) {
    fprintf(stderr, "unexpected: %d %s\n", rc, licet_errmsg());
    return 1;
  }
  if (licet_version_number() != LICET_VERSION_NUMBER) return 1;
  printf("liblicet %s: %s\n", licet_version(), licet_errmsg());
  return 0;
}
