/*
 * check_license: the access / crypt / release flow of a protected program, in C.
 *
 *   licet-example-c [FIRM_CODE [PRODUCT_CODE]]     (default: 6000010 201010)
 *
 * Accesses the product through the local licetd, prints the product item, encrypts a
 * 16-byte buffer with the license's key (AES-256-GCM), decrypts it back and checks that it
 * is the original, then releases the license. Exit code 0 on success; on failure one line
 * on stderr (what failed, the code's text and licetd's message) and exit code 1.
 * Build: cc check_license.c $(pkg-config --cflags --libs licet)
 */
#include <errno.h>
#include <inttypes.h>
#include <licet/licet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int fail(const char* what, int rc) {
  fprintf(stderr, "licet-example-c: %s failed: %s (code %d): %s\n", what, licet_strerror(rc), rc,
          licet_errmsg());
  return 1;
}

static int parse_code(const char* text, uint32_t* out) {
  char* end = NULL;
  unsigned long long value;
  errno = 0;
  value = strtoull(text, &end, 10);
  if (errno != 0 || end == text || *end != '\0' || value > 0xffffffffULL || text[0] == '-') return 0;
  *out = (uint32_t)value;
  return 1;
}

static void print_time(const char* name, int64_t t) {
  if (t != 0) printf("  %-18s %" PRId64 "\n", name, t);
}

static void print_info(const licet_item_info* info) {
  printf("product item %" PRIu32 ":%" PRIu32 " in container %s\n", info->firm_code, info->product_code,
         info->serial);
  printf("  %-18s %s\n", "text", info->text);
  printf("  %-18s 0x%" PRIx32 "\n", "feature map", info->feature_map);
  if (info->has_unit_counter) printf("  %-18s %" PRIu64 "\n", "unit counter", info->unit_counter);
  print_time("expiration", info->expiration);
  print_time("activation time", info->activation_time);
  print_time("usage period", info->usage_period);
  print_time("usage started", info->usage_started);
  print_time("maintenance until", info->maintenance_until);
  printf("  %-18s %" PRIu32 "\n", "license quantity", info->license_quantity);
  printf("  %-18s %" PRIu32 " bytes\n", "protected data", info->protected_data_size);
}

int main(int argc, char** argv) {
  licet_access_params params = LICET_ACCESS_PARAMS_INIT;
  licet_crypt_params crypt = LICET_CRYPT_PARAMS_INIT;
  licet_item_info info = LICET_ITEM_INFO_INIT;
  licet_handle* handle = NULL;
  uint8_t original[16] = "Licet example!!";
  uint8_t buffer[16];
  int rc;
  size_t i;

  params.firm_code = 6000010;
  params.product_code = 201010;
  if (argc > 3 || (argc > 1 && !parse_code(argv[1], &params.firm_code)) ||
      (argc > 2 && !parse_code(argv[2], &params.product_code))) {
    fprintf(stderr, "usage: licet-example-c [FIRM_CODE [PRODUCT_CODE]] (decimal uint32 codes)\n");
    return 2;
  }

  rc = licet_access(&params, &handle);
  if (rc != LICET_OK) return fail("licet_access", rc);

  rc = licet_info(handle, &info);
  if (rc != LICET_OK) {
    licet_release(handle);
    return fail("licet_info", rc);
  }
  print_info(&info);

  memcpy(buffer, original, sizeof(buffer));
  for (i = 0; i < sizeof(crypt.iv); ++i) crypt.iv[i] = (uint8_t)(i * 7 + 1); /* fixed: example only */
  crypt.encryption_code = 42;
  rc = licet_crypt(handle, LICET_CRYPT_ENCRYPT, &crypt, buffer, sizeof(buffer));
  if (rc != LICET_OK) {
    licet_release(handle);
    return fail("licet_crypt (encrypt)", rc);
  }
  if (memcmp(buffer, original, sizeof(buffer)) == 0) {
    licet_release(handle);
    fprintf(stderr, "licet-example-c: encryption left the buffer unchanged\n");
    return 1;
  }
  printf("encrypted 16 bytes:");
  for (i = 0; i < sizeof(buffer); ++i) printf(" %02x", buffer[i]);
  printf("\n");

  rc = licet_crypt(handle, LICET_CRYPT_DECRYPT, &crypt, buffer, sizeof(buffer));
  if (rc != LICET_OK) {
    licet_release(handle);
    return fail("licet_crypt (decrypt)", rc);
  }
  if (memcmp(buffer, original, sizeof(buffer)) != 0) {
    licet_release(handle);
    fprintf(stderr, "licet-example-c: decryption did not give back the original bytes\n");
    return 1;
  }
  printf("decrypted: the original bytes are back\n");

  rc = licet_release(handle);
  if (rc != LICET_OK) return fail("licet_release", rc);
  printf("released\n");
  return 0;
}
