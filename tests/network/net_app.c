/*
 * licet-net-app: an application that asks licetd for a network license (liblicet's C API).
 *
 *   licet-net-app FIRM PRODUCT MODE WHERE
 *
 * MODE: 1 user-limit, 2 station-share, 4 exclusive, 8 no-user-limit; WHERE: 0 LOCAL, 1 LAN,
 * 2 LOCAL_LAN, 3 LAN_LOCAL. Prints "code=N message" after the access; on success it keeps the
 * handle and reads stdin lines: "info" prints "info code=N serial=S", "release" releases
 * ("released code=N") and exits; EOF exits without releasing.
 */
#define _GNU_SOURCE
#include <licet/licet.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>

int main(int argc, char** argv) {
  licet_access_params p = LICET_ACCESS_PARAMS_INIT;
  licet_handle* h = NULL;
  char line[64];
  int rc;
  if (argc != 5) {
    fprintf(stderr, "usage: licet-net-app FIRM PRODUCT MODE WHERE\n");
    return 2;
  }
  prctl(PR_SET_PDEATHSIG, SIGKILL);
  p.firm_code = (uint32_t)strtoul(argv[1], NULL, 10);
  p.product_code = (uint32_t)strtoul(argv[2], NULL, 10);
  p.mode = atoi(argv[3]);
  p.where = atoi(argv[4]);
  rc = licet_access(&p, &h);
  printf("code=%d %s\n", rc, rc == LICET_OK ? "granted" : licet_errmsg());
  fflush(stdout);
  if (rc != LICET_OK) return 0;
  while (fgets(line, sizeof line, stdin) != NULL) {
    if (strncmp(line, "info", 4) == 0) {
      licet_item_info info = LICET_ITEM_INFO_INIT;
      rc = licet_info(h, &info);
      printf("info code=%d serial=%s\n", rc, rc == LICET_OK ? info.serial : "-");
      fflush(stdout);
    } else if (strncmp(line, "release", 7) == 0) {
      rc = licet_release(h);
      printf("released code=%d\n", rc);
      fflush(stdout);
      return 0;
    }
  }
  return 0;
}
