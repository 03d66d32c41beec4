/*
 * licet-runtime-client: a protected program, reduced to what the runtime tests drive through
 * the C API of liblicet (include/licet/licet.h) against a real licetd. Each run is one
 * process, so licetd sees one peer (one connection) per run, as with real applications.
 *
 *   try FIRM PRODUCT [FEATURE [MODE]]
 *       access then release; prints "code=N" and licet_errmsg() on one line; exit 0.
 *   decrement FIRM PRODUCT COUNT GO_FILE
 *       accesses (station-share), waits for GO_FILE, then takes COUNT units one by one;
 *       prints "remaining R" per granted unit and "granted G code C" at the end, C being the
 *       code of the failed call (0 when all succeeded). Exit 0 when all COUNT were granted.
 *   storm FIRM PRODUCT STATE_DIR INDEX [KILL_PID KILL_AFTER]
 *       accesses (station-share), writes STATE_DIR/ready.INDEX, waits for STATE_DIR/go, then
 *       takes one unit per request until a call fails. Before each request: while
 *       STATE_DIR/pause exists it writes "granted G" to STATE_DIR/parked.INDEX and waits,
 *       until the pause file is gone or STATE_DIR/stop exists (then it ends). With KILL_PID,
 *       it sends SIGKILL to that pid right after its KILL_AFTER-th granted unit (licetd
 *       dies in the middle of everyone's storm). Prints "granted G in_flight F code C":
 *       F = 1 when the last call failed with LICET_ERROR_UNAVAILABLE (a request that may
 *       have been sent and not answered: licetd died), else 0.
 *   hold FIRM PRODUCT MODE [FEATURE]
 *       accesses and prints "code=N message"; on success keeps the handle and reads
 *       commands from stdin: "release" (prints "released code=N" and exits), "decrement"
 *       (takes one unit: "code=0 remaining=R" or "code=N message"), "units" (prints
 *       "units N" or "code=N"); EOF exits without releasing (the exit frees it).
 *   crypt FIRM PRODUCT OP ENCRYPTION_CODE FEATURE IV_HEX DATA_HEX [TAG_HEX]
 *       OP 1 encrypt, 2 decrypt, 3 direct; prints "code=N data=HEX tag=HEX".
 *
 * MODE is 1 user-limit, 2 station-share, 4 exclusive, 8 no-user-limit. The process dies with
 * its parent (PR_SET_PDEATHSIG), so a test killed by its timeout leaves no clients behind.
 * Exit 2 on bad usage, 3 when the harness files cannot be used.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <inttypes.h>
#include <licet/licet.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/types.h>
#include <time.h>
#include <unistd.h>

#define MAX_CRYPT_BYTES 65536

static int usage(void) {
  fprintf(stderr,
          "usage: licet-runtime-client try|decrement|storm|hold|crypt ... (see the source)\n");
  return 2;
}

static int parse_u64(const char* text, uint64_t max, uint64_t* out) {
  char* end = NULL;
  unsigned long long value;
  if (text == NULL || text[0] == '\0' || text[0] == '-') return 0;
  errno = 0;
  value = strtoull(text, &end, 0);
  if (errno != 0 || end == text || *end != '\0' || value > max) return 0;
  *out = (uint64_t)value;
  return 1;
}

static int parse_u32(const char* text, uint32_t* out) {
  uint64_t v = 0;
  if (!parse_u64(text, 0xffffffffULL, &v)) return 0;
  *out = (uint32_t)v;
  return 1;
}

static int parse_int(const char* text, int* out) {
  uint64_t v = 0;
  if (!parse_u64(text, 0x7fffffffULL, &v)) return 0;
  *out = (int)v;
  return 1;
}

static void sleep_ms(long ms) {
  struct timespec ts;
  ts.tv_sec = ms / 1000;
  ts.tv_nsec = (ms % 1000) * 1000000L;
  while (nanosleep(&ts, &ts) != 0 && errno == EINTR) {
  }
}

static int file_exists(const char* path) { return access(path, F_OK) == 0; }

/* Waits up to 120 s for `path` to appear: the harness is slow on a loaded machine, but a
 * client must not wait for ever when the harness is gone. */
static int wait_for_file(const char* path) {
  int i;
  for (i = 0; i < 120000; ++i) {
    if (file_exists(path)) return 1;
    sleep_ms(1);
  }
  return 0;
}

static int write_file(const char* path, const char* text) {
  char tmp[4096];
  FILE* f;
  if (snprintf(tmp, sizeof(tmp), "%s.tmp", path) >= (int)sizeof(tmp)) return 0;
  f = fopen(tmp, "w");
  if (f == NULL) return 0;
  if (fputs(text, f) < 0) {
    fclose(f);
    return 0;
  }
  if (fclose(f) != 0) return 0;
  return rename(tmp, path) == 0; /* the harness never reads a half-written file */
}

static int do_access(uint32_t firm, uint32_t product, uint32_t feature, int mode, licet_handle** out) {
  licet_access_params params = LICET_ACCESS_PARAMS_INIT;
  params.firm_code = firm;
  params.product_code = product;
  params.feature_code = feature;
  params.mode = mode;
  return licet_access(&params, out);
}

static int cmd_try(int argc, char** argv) {
  uint32_t firm = 0, product = 0, feature = 0;
  int mode = LICET_MODE_USER_LIMIT, rc;
  licet_handle* handle = NULL;
  if (argc < 2 || argc > 4 || !parse_u32(argv[0], &firm) || !parse_u32(argv[1], &product) ||
      (argc > 2 && !parse_u32(argv[2], &feature)) || (argc > 3 && !parse_int(argv[3], &mode))) {
    return usage();
  }
  rc = do_access(firm, product, feature, mode, &handle);
  printf("code=%d %s\n", rc, rc == LICET_OK ? "" : licet_errmsg());
  licet_release(handle);
  return 0;
}

static int cmd_decrement(int argc, char** argv) {
  uint32_t firm = 0, product = 0;
  uint64_t count = 0, granted = 0, remaining = 0, i;
  licet_handle* handle = NULL;
  int rc;
  if (argc != 4 || !parse_u32(argv[0], &firm) || !parse_u32(argv[1], &product) ||
      !parse_u64(argv[2], 1000000, &count)) {
    return usage();
  }
  rc = do_access(firm, product, 0, LICET_MODE_STATION_SHARE, &handle);
  if (rc == LICET_OK && !wait_for_file(argv[3])) {
    fprintf(stderr, "licet-runtime-client: %s did not appear\n", argv[3]);
    return 3;
  }
  for (i = 0; rc == LICET_OK && i < count; ++i) {
    rc = licet_unit_decrement(handle, 1, &remaining);
    if (rc == LICET_OK) {
      ++granted;
      printf("remaining %" PRIu64 "\n", remaining);
    }
  }
  printf("granted %" PRIu64 " code %d\n", granted, rc);
  if (rc != LICET_OK) fprintf(stderr, "licet-runtime-client: code %d: %s\n", rc, licet_errmsg());
  licet_release(handle);
  return rc == LICET_OK ? 0 : 1;
}

static int cmd_storm(int argc, char** argv) {
  uint32_t firm = 0, product = 0;
  uint64_t granted = 0, kill_after = 0, kill_pid = 0;
  const char* dir;
  char ready[4096], go[4096], pause_file[4096], parked[4096], stop[4096], text[64];
  licet_handle* handle = NULL;
  int rc, in_flight = 0, index = 0;
  if ((argc != 4 && argc != 6) || !parse_u32(argv[0], &firm) || !parse_u32(argv[1], &product) ||
      !parse_int(argv[3], &index) ||
      (argc == 6 && (!parse_u64(argv[4], 0x7fffffff, &kill_pid) || kill_pid < 2 ||
                     !parse_u64(argv[5], 1000000, &kill_after) || kill_after == 0))) {
    return usage();
  }
  dir = argv[2];
  snprintf(ready, sizeof(ready), "%s/ready.%d", dir, index);
  snprintf(go, sizeof(go), "%s/go", dir);
  snprintf(pause_file, sizeof(pause_file), "%s/pause", dir);
  snprintf(parked, sizeof(parked), "%s/parked.%d", dir, index);
  snprintf(stop, sizeof(stop), "%s/stop", dir);

  rc = do_access(firm, product, 0, LICET_MODE_STATION_SHARE, &handle);
  if (rc != LICET_OK) {
    printf("granted 0 in_flight 0 code %d\n", rc);
    fprintf(stderr, "licet-runtime-client: access: code %d: %s\n", rc, licet_errmsg());
    return 1;
  }
  if (!write_file(ready, "ready\n") || !wait_for_file(go)) {
    fprintf(stderr, "licet-runtime-client: cannot write %s or %s did not appear\n", ready, go);
    return 3;
  }
  for (;;) {
    if (file_exists(pause_file)) {
      snprintf(text, sizeof(text), "granted %" PRIu64 "\n", granted);
      if (!write_file(parked, text)) {
        fprintf(stderr, "licet-runtime-client: cannot write %s\n", parked);
        return 3;
      }
      while (file_exists(pause_file) && !file_exists(stop)) sleep_ms(2);
      if (file_exists(stop)) break;
    }
    rc = licet_unit_decrement(handle, 1, NULL);
    if (rc != LICET_OK) break;
    ++granted;
    if (kill_pid != 0 && granted == kill_after) kill((pid_t)kill_pid, SIGKILL);
  }
  /* UNAVAILABLE: the connection broke with this request sent or about to be sent; it may
   * have been applied without its answer reaching us. Anything else was answered. */
  in_flight = rc == LICET_ERROR_UNAVAILABLE ? 1 : 0;
  printf("granted %" PRIu64 " in_flight %d code %d\n", granted, in_flight, rc);
  licet_release(handle);
  return 0;
}

static int cmd_hold(int argc, char** argv) {
  uint32_t firm = 0, product = 0, feature = 0;
  int mode = 0, rc;
  licet_handle* handle = NULL;
  licet_item_info info = LICET_ITEM_INFO_INIT;
  char line[256];
  if (argc < 3 || argc > 4 || !parse_u32(argv[0], &firm) || !parse_u32(argv[1], &product) ||
      !parse_int(argv[2], &mode) || (argc > 3 && !parse_u32(argv[3], &feature))) {
    return usage();
  }
  rc = do_access(firm, product, feature, mode, &handle);
  printf("code=%d %s\n", rc, rc == LICET_OK ? "" : licet_errmsg());
  fflush(stdout);
  if (rc != LICET_OK) return 0;
  while (fgets(line, sizeof(line), stdin) != NULL) {
    if (strncmp(line, "release", 7) == 0) {
      rc = licet_release(handle);
      printf("released code=%d\n", rc);
      fflush(stdout);
      return 0;
    }
    if (strncmp(line, "decrement", 9) == 0) {
      uint64_t remaining = 0;
      rc = licet_unit_decrement(handle, 1, &remaining);
      if (rc == LICET_OK) {
        printf("code=0 remaining=%" PRIu64 "\n", remaining);
      } else {
        printf("code=%d %s\n", rc, licet_errmsg());
      }
      fflush(stdout);
      continue;
    }
    if (strncmp(line, "units", 5) == 0) {
      rc = licet_info(handle, &info);
      if (rc == LICET_OK) {
        printf("units %" PRIu64 "\n", info.unit_counter);
      } else {
        printf("code=%d %s\n", rc, licet_errmsg());
      }
      fflush(stdout);
    }
  }
  return 0; /* EOF: exit holding the handle; licetd frees it when the connection closes */
}

static int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

static int parse_hex(const char* text, uint8_t* out, size_t max, size_t* len) {
  size_t n = strlen(text), i;
  if (n % 2 != 0 || n / 2 > max) return 0;
  for (i = 0; i < n / 2; ++i) {
    int hi = hex_value(text[2 * i]), lo = hex_value(text[2 * i + 1]);
    if (hi < 0 || lo < 0) return 0;
    out[i] = (uint8_t)(hi * 16 + lo);
  }
  *len = n / 2;
  return 1;
}

static void print_hex(const uint8_t* p, size_t n) {
  size_t i;
  for (i = 0; i < n; ++i) printf("%02x", p[i]);
}

static int cmd_crypt(int argc, char** argv) {
  static uint8_t data[MAX_CRYPT_BYTES];
  uint32_t firm = 0, product = 0;
  int op = 0, rc;
  size_t iv_len = 0, data_len = 0, tag_len = 0;
  licet_crypt_params params = LICET_CRYPT_PARAMS_INIT;
  licet_handle* handle = NULL;
  if (argc < 7 || argc > 8 || !parse_u32(argv[0], &firm) || !parse_u32(argv[1], &product) ||
      !parse_int(argv[2], &op) || !parse_u32(argv[3], &params.encryption_code) ||
      !parse_u32(argv[4], &params.feature_code) ||
      !parse_hex(argv[5], params.iv, sizeof(params.iv), &iv_len) || iv_len != sizeof(params.iv) ||
      !parse_hex(argv[6], data, sizeof(data), &data_len) ||
      (argc == 8 && (!parse_hex(argv[7], params.tag, sizeof(params.tag), &tag_len) ||
                     tag_len != sizeof(params.tag)))) {
    return usage();
  }
  rc = do_access(firm, product, params.feature_code, LICET_MODE_USER_LIMIT, &handle);
  if (rc == LICET_OK) rc = licet_crypt(handle, op, &params, data, data_len);
  printf("code=%d data=", rc);
  if (rc == LICET_OK) print_hex(data, data_len);
  printf(" tag=");
  if (rc == LICET_OK && op == LICET_CRYPT_ENCRYPT) print_hex(params.tag, sizeof(params.tag));
  printf(" %s\n", rc == LICET_OK ? "" : licet_errmsg());
  licet_release(handle);
  return 0;
}

int main(int argc, char** argv) {
  /* Die with the harness: a test killed by its timeout must not leave clients behind. */
  prctl(PR_SET_PDEATHSIG, SIGKILL);
  setvbuf(stdout, NULL, _IOFBF, 1 << 16);
  if (argc < 2) return usage();
  if (strcmp(argv[1], "try") == 0) return cmd_try(argc - 2, argv + 2);
  if (strcmp(argv[1], "decrement") == 0) return cmd_decrement(argc - 2, argv + 2);
  if (strcmp(argv[1], "storm") == 0) return cmd_storm(argc - 2, argv + 2);
  if (strcmp(argv[1], "hold") == 0) return cmd_hold(argc - 2, argv + 2);
  if (strcmp(argv[1], "crypt") == 0) return cmd_crypt(argc - 2, argv + 2);
  return usage();
}
