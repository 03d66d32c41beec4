/*
 * licet-net-app: an application that asks licetd for a network license (liblicet's C API).
 *
 *   licet-net-app FIRM PRODUCT MODE WHERE
 *
 * MODE: 1 user-limit, 2 station-share, 4 exclusive, 8 no-user-limit; WHERE: 0 LOCAL, 1 LAN,
 * 2 LOCAL_LAN, 3 LAN_LOCAL. Prints "code=N message" after the access; on success it keeps the
 * handle and reads stdin lines: "info" prints "info code=N serial=S", "release" releases
 * ("released code=N") and exits; EOF exits without releasing.
 *
 * Crypt and units (also on network handles):
 *   "crypt OP ENC FEATURE IVHEX DATAHEX [TAGHEX]" prints "crypt code=N data=HEX tag=HEX";
 *   "cryptlen OP LEN" crypts LEN zero bytes (iv 0) and prints "cryptlen code=N message";
 *   "units N" prints "units code=N remaining=R".
 */
#define _GNU_SOURCE
#include <licet/licet.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>

static int from_hex(const char* hex, uint8_t* out, size_t max, size_t* len) {
  size_t n = strlen(hex);
  if (n % 2 != 0 || n / 2 > max) return -1;
  for (size_t i = 0; i < n / 2; ++i) {
    unsigned v;
    if (sscanf(hex + 2 * i, "%2x", &v) != 1) return -1;
    out[i] = (uint8_t)v;
  }
  *len = n / 2;
  return 0;
}

static void print_hex(const uint8_t* p, size_t n) {
  for (size_t i = 0; i < n; ++i) printf("%02x", p[i]);
}

static uint8_t crypt_buf[1 << 20];
static char line[1 << 18];

/* "crypt OP ENC FEATURE IVHEX DATAHEX [TAGHEX]" */
static void crypt_command(licet_handle* h, char* args) {
  licet_crypt_params cp = LICET_CRYPT_PARAMS_INIT;
  int op = 0;
  unsigned enc = 0, feature = 0;
  char iv[64] = "", tag[64] = "";
  static char data[sizeof line];
  size_t n = 0, iv_len = 0, tag_len = 0;
  int fields = sscanf(args, "%d %u %u %63s %262000s %63s", &op, &enc, &feature, iv, data, tag);
  if (fields < 5 || from_hex(iv, cp.iv, sizeof cp.iv, &iv_len) != 0 ||
      from_hex(data, crypt_buf, sizeof crypt_buf, &n) != 0 ||
      (fields == 6 && from_hex(tag, cp.tag, sizeof cp.tag, &tag_len) != 0)) {
    printf("crypt code=-1 data=- tag=-\n");
    fflush(stdout);
    return;
  }
  cp.encryption_code = enc;
  cp.feature_code = feature;
  int rc = licet_crypt(h, op, &cp, crypt_buf, n);
  printf("crypt code=%d data=", rc);
  print_hex(crypt_buf, n);
  printf(" tag=");
  print_hex(cp.tag, sizeof cp.tag);
  printf("\n");
  fflush(stdout);
}

int main(int argc, char** argv) {
  licet_access_params p = LICET_ACCESS_PARAMS_INIT;
  licet_handle* h = NULL;
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
    } else if (strncmp(line, "crypt ", 6) == 0) {
      crypt_command(h, line + 6);
    } else if (strncmp(line, "cryptlen ", 9) == 0) {
      licet_crypt_params cp = LICET_CRYPT_PARAMS_INIT;
      int op = atoi(line + 9);
      const char* space = strchr(line + 9, ' ');
      size_t n = space != NULL ? (size_t)strtoul(space + 1, NULL, 10) : 0;
      if (n > sizeof crypt_buf) n = sizeof crypt_buf;
      memset(crypt_buf, 0, n);
      rc = licet_crypt(h, op, &cp, crypt_buf, n);
      printf("cryptlen code=%d %s\n", rc, rc == LICET_OK ? "ok" : licet_errmsg());
      fflush(stdout);
    } else if (strncmp(line, "units ", 6) == 0) {
      uint64_t remaining = 0;
      rc = licet_unit_decrement(h, strtoull(line + 6, NULL, 10), &remaining);
      printf("units code=%d remaining=%llu\n", rc, (unsigned long long)remaining);
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
