/* licet.h compiled as C99: NULLs, bad sizes and a missing licetd through liblicet.a.
 * Needs no licetd: LICET_SOCKET points at a path where nothing listens. */
#define _POSIX_C_SOURCE 200112L /* setenv */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "licet/licet.h"

static int failures = 0;

#define CHECK(cond)                                                    \
  do {                                                                 \
    if (!(cond)) {                                                     \
      fprintf(stderr, "%s:%d: CHECK failed: %s\n", __FILE__, __LINE__, #cond); \
      ++failures;                                                      \
    }                                                                  \
  } while (0)

#define CHECK_RC(expr, want)                                                               \
  do {                                                                                     \
    int rc_ = (expr);                                                                      \
    if (rc_ != (want)) {                                                                   \
      fprintf(stderr, "%s:%d: %s returned %d (%s: %s), want %d\n", __FILE__, __LINE__, #expr, rc_, \
              licet_strerror(rc_), licet_errmsg(), (want));                                \
      ++failures;                                                                          \
    }                                                                                      \
  } while (0)

static const char* kMissing = "/tmp/licet-c-test-no-licetd/licetd.sock";

static void test_nulls(void) {
  licet_access_params p = LICET_ACCESS_PARAMS_INIT;
  licet_item_info info = LICET_ITEM_INFO_INIT;
  licet_crypt_params c = LICET_CRYPT_PARAMS_INIT;
  uint8_t buf[16] = {0};
  uint64_t remaining = 7;
  licet_handle* h = (licet_handle*)&p; /* must be reset to NULL on failure */

  CHECK_RC(licet_access(NULL, &h), LICET_ERROR_INVALID_ARGUMENT);
  CHECK(h == NULL);
  CHECK(strstr(licet_errmsg(), "params is NULL") != NULL);
  p.firm_code = 6000010;
  p.product_code = 201010;
  CHECK_RC(licet_access(&p, NULL), LICET_ERROR_INVALID_ARGUMENT);
  CHECK(strstr(licet_errmsg(), "out is NULL") != NULL);

  CHECK_RC(licet_release(NULL), LICET_OK);
  CHECK_RC(licet_info(NULL, &info), LICET_ERROR_INVALID_ARGUMENT);
  CHECK_RC(licet_crypt(NULL, LICET_CRYPT_ENCRYPT, &c, buf, sizeof(buf)), LICET_ERROR_INVALID_ARGUMENT);
  CHECK_RC(licet_unit_decrement(NULL, 1, &remaining), LICET_ERROR_INVALID_ARGUMENT);
  CHECK(remaining == 7);
  CHECK_RC(licet_list(NULL), LICET_ERROR_INVALID_ARGUMENT);
  licet_free(NULL);
}

static void test_bad_sizes(void) {
  licet_access_params p = LICET_ACCESS_PARAMS_INIT;
  licet_handle* h = NULL;
  p.firm_code = 6000010;
  p.product_code = 201010;

  p.size = 0;
  CHECK_RC(licet_access(&p, &h), LICET_ERROR_INVALID_ARGUMENT);
  CHECK(strstr(licet_errmsg(), "licet_access_params.size is 0") != NULL);
  p.size = 0xffffffffu;
  CHECK_RC(licet_access(&p, &h), LICET_ERROR_INVALID_ARGUMENT);
  p.size = 4;
  CHECK_RC(licet_access(&p, &h), LICET_ERROR_INVALID_ARGUMENT);
  CHECK(h == NULL);

  p.size = sizeof(p);
  p.mode = 3;
  CHECK_RC(licet_access(&p, &h), LICET_ERROR_INVALID_ARGUMENT);
  p.mode = LICET_MODE_USER_LIMIT;
  p.where = 9;
  CHECK_RC(licet_access(&p, &h), LICET_ERROR_INVALID_ARGUMENT);
  p.where = LICET_WHERE_LOCAL;
  p.firm_code = 0;
  CHECK_RC(licet_access(&p, &h), LICET_ERROR_INVALID_ARGUMENT);
  CHECK(strstr(licet_errmsg(), "firm_code") != NULL);
}

static void test_no_licetd(void) {
  licet_access_params p = LICET_ACCESS_PARAMS_INIT;
  licet_handle* h = NULL;
  char* json = (char*)"sentinel";
  p.firm_code = 6000010;
  p.product_code = 201010;
  /* A valid request: fails only because licetd is not there, with a message that names the
   * socket and says what to do. */
  CHECK_RC(licet_access(&p, &h), LICET_ERROR_UNAVAILABLE);
  CHECK(h == NULL);
  CHECK(strstr(licet_errmsg(), kMissing) != NULL);
  CHECK(strstr(licet_errmsg(), "start licetd") != NULL);
  CHECK_RC(licet_list(&json), LICET_ERROR_UNAVAILABLE);
  CHECK(json == NULL);
  /* An older app's smaller struct (only firm and product code) is accepted: it gets as far
   * as the connection too. */
  p.size = 12;
  CHECK_RC(licet_access(&p, &h), LICET_ERROR_UNAVAILABLE);
}

static void test_texts(void) {
  CHECK(licet_version_number() == LICET_VERSION_NUMBER);
  CHECK(strcmp(licet_version(), LICET_VERSION) == 0);
  CHECK(licet_strerror(LICET_ERROR_UNAVAILABLE) != NULL);
  CHECK(strcmp(licet_strerror(LICET_OK), "success") == 0);
  CHECK(licet_strerror(-12345) != NULL);
  CHECK(sizeof(licet_crypt_params) == 40);
}

int main(void) {
  if (setenv("LICET_SOCKET", kMissing, 1) != 0) return 2;
  test_nulls();
  test_bad_sizes();
  test_no_licetd();
  test_texts();
  if (failures != 0) {
    fprintf(stderr, "%d checks failed\n", failures);
    return 1;
  }
  printf("c_api_c_test: all checks passed\n");
  return 0;
}
