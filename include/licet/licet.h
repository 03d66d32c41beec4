/*
 * licet.h: the C API of Licet, what protected software calls (DESIGN §3).
 *
 * This header is the API reference and the one stable interface of Licet. liblicet talks only
 * to the local licetd over its Unix socket (default /run/licet/licetd.sock for root,
 * $XDG_RUNTIME_DIR/licet/licetd.sock otherwise; $LICET_SOCKET overrides); licetd does every
 * check and all cryptography, so this library has no OpenSSL dependency.
 *
 * Conventions (as sqlite3.h):
 *   - every fallible call returns an int: LICET_OK (0) or an error code below; the codes are
 *     frozen and shared with licetd's protocol and HTTP APIs;
 *   - constructors set *out to NULL on failure; destructors accept NULL;
 *   - licet_strerror(code) is static text; licet_errmsg() is the calling thread's message for
 *     its last failed call (one line: what went wrong and what to do);
 *   - memory returned by the library is freed with licet_free();
 *   - parameter and result structs start with their size, so the ABI can grow: initialise
 *     them with the _INIT macros;
 *   - all functions are thread-safe; a handle may be used from several threads.
 */
#ifndef LICET_LICET_H_
#define LICET_LICET_H_

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#if defined(LICET_BUILDING_LIBRARY)
#define LICET_EXPORT __attribute__((visibility("default")))
#else
#define LICET_EXPORT
#endif

#define LICET_VERSION "0.1.0"
#define LICET_VERSION_NUMBER 1000 /* major * 1000000 + minor * 1000 + patch */

/* Result codes. Numbers mirror CodeMeter's where a counterpart exists. */
#define LICET_OK 0
#define LICET_ERROR_INVALID_ARGUMENT 1
#define LICET_ERROR_IO 2
#define LICET_ERROR_CORRUPT_DATA 3
#define LICET_ERROR_UNSUPPORTED_VERSION 4
#define LICET_ERROR_BAD_SIGNATURE 5
#define LICET_ERROR_DECRYPT_FAILED 6
#define LICET_ERROR_WRONG_CONTAINER 7
#define LICET_ERROR_DEVICE_MISMATCH 8
#define LICET_ERROR_NOT_FOUND 10
#define LICET_ERROR_PERMISSION_DENIED 11
#define LICET_ERROR_INTERNAL 13
#define LICET_ERROR_UNAVAILABLE 15 /* licetd is not running or not reachable */
#define LICET_ERROR_UNTRUSTED_SIGNER 17
#define LICET_ERROR_UNIT_COUNTER_ZERO 32
#define LICET_ERROR_FEATURE_MISSING 33
#define LICET_ERROR_EXPIRED 35
#define LICET_ERROR_NOT_YET_ACTIVE 37
#define LICET_ERROR_CLOCK_SET_BACK 38
#define LICET_ERROR_USAGE_PERIOD_OVER 39
#define LICET_ERROR_MAINTENANCE_OVER 40
#define LICET_ERROR_CHECKPOINT_OVERDUE 41
#define LICET_ERROR_FUC_GAP 48
#define LICET_ERROR_SERVER_NOT_FOUND 101
#define LICET_ERROR_PROTOCOL 102
#define LICET_ERROR_ENTRY_NOT_FOUND 200 /* no such product item (unknown product) */
#define LICET_ERROR_CONTAINER_NOT_FOUND 201
#define LICET_ERROR_FIRM_NOT_FOUND 202
#define LICET_ERROR_NO_MORE_LICENSES 212
#define LICET_ERROR_EXCLUSIVE_CONFLICT 213
#define LICET_ERROR_WRONG_ACCESS_MODE 223
#define LICET_ERROR_ACCESS_DENIED 231

/* Where an access searches, in order (CodeMeter numbers). */
#define LICET_WHERE_LOCAL 0
#define LICET_WHERE_LAN 1
#define LICET_WHERE_LOCAL_LAN 2
#define LICET_WHERE_LAN_LOCAL 3

/* Access modes. */
#define LICET_MODE_USER_LIMIT 1    /* one seat per handle */
#define LICET_MODE_STATION_SHARE 2 /* one seat per machine, any number of handles */
#define LICET_MODE_EXCLUSIVE 4     /* only this handle on the machine */
#define LICET_MODE_NO_USER_LIMIT 8 /* no seat consumed (if the item allows it) */

typedef struct licet_handle licet_handle;

typedef struct licet_access_params {
  uint32_t size;         /* sizeof(licet_access_params) */
  uint32_t firm_code;    /* required */
  uint32_t product_code; /* required */
  uint32_t feature_code; /* bits that must all be licensed; 0 = none */
  int where;             /* LICET_WHERE_* */
  int mode;              /* LICET_MODE_* */
  int64_t release_date;  /* Unix time of this release; refused after maintenance_until; 0 = none */
  const char* serial;    /* only this container ("130-1166426881"); NULL = any */
  const char* server;    /* only this network server; NULL = any */
  const uint8_t* firm_public_key; /* 32-byte Ed25519 key the firm item must carry; NULL = any */
} licet_access_params;

#define LICET_ACCESS_PARAMS_INIT \
  { sizeof(licet_access_params), 0, 0, 0, LICET_WHERE_LOCAL, LICET_MODE_USER_LIMIT, 0, NULL, NULL, NULL }

/* Tests an access and, on success, holds a lease on the product item until licet_release
 * (or until the process exits: licetd frees the leases of a closed connection). Every check
 * happens in licetd: feature bits, expiration, activation time, usage period (started by the
 * first access), units > 0 when the item counts units, maintenance, clock set back, access
 * mode and seats. Returns LICET_OK and sets *out, or an error code and sets *out to NULL. */
LICET_EXPORT int licet_access(const licet_access_params* params, licet_handle** out);

/* Releases the lease and frees the handle. NULL is accepted. */
LICET_EXPORT int licet_release(licet_handle* handle);

/* licet_crypt operations. */
#define LICET_CRYPT_ENCRYPT 1 /* AES-256-GCM: iv in, tag out */
#define LICET_CRYPT_DECRYPT 2 /* AES-256-GCM: iv and tag in; LICET_ERROR_DECRYPT_FAILED on mismatch */
#define LICET_CRYPT_DIRECT 3  /* AES-256-CTR from iv: same transformation both ways, no tag */

typedef struct licet_crypt_params {
  uint32_t size;            /* sizeof(licet_crypt_params) */
  uint32_t encryption_code; /* chosen by the app; enters the key derivation */
  uint32_t feature_code;    /* enters the key derivation; must be licensed */
  uint8_t iv[12];           /* nonce / initial counter; never reuse one with the same key for GCM */
  uint8_t tag[16];          /* GCM tag: written by ENCRYPT, read by DECRYPT */
} licet_crypt_params;

#define LICET_CRYPT_PARAMS_INIT { sizeof(licet_crypt_params), 0, 0, {0}, {0} }

/* Encrypts or decrypts buf[0..len) in place with a key derived (HKDF-SHA256) from the item's
 * secret data, firm code, product code, feature code and encryption code: identical on every
 * container holding the same product, unknowable without a genuine license. */
LICET_EXPORT int licet_crypt(licet_handle* handle, int op, licet_crypt_params* params, void* buf,
                             size_t len);

typedef struct licet_item_info {
  uint32_t size;          /* sizeof(licet_item_info) */
  char serial[32];        /* container serial, NUL-terminated */
  uint32_t firm_code;
  uint32_t product_code;
  uint32_t feature_map;
  int has_unit_counter;
  uint64_t unit_counter;
  int64_t expiration;        /* 0 = none */
  int64_t activation_time;   /* 0 = none */
  int64_t usage_period;      /* seconds; 0 = none */
  int64_t usage_started;     /* 0 = not yet */
  int64_t maintenance_until; /* 0 = none */
  uint32_t license_quantity;
  uint32_t access_modes; /* LICET_MODE_* bits allowed */
  char text[257];        /* NUL-terminated UTF-8 */
  uint8_t protected_data[256];
  uint32_t protected_data_size;
} licet_item_info;

#define LICET_ITEM_INFO_INIT { sizeof(licet_item_info) }

/* The properties of the product item behind a handle. */
LICET_EXPORT int licet_info(licet_handle* handle, licet_item_info* info);

/* Decrements the item's unit counter by n atomically; the new value is persisted before this
 * returns. LICET_ERROR_UNIT_COUNTER_ZERO when fewer than n units are left (nothing is taken).
 * remaining may be NULL. */
LICET_EXPORT int licet_unit_decrement(licet_handle* handle, uint64_t n, uint64_t* remaining);

/* The containers of this machine and their items, as a JSON document (the shape of
 * `licet list --json`); free *json_out with licet_free. */
LICET_EXPORT int licet_list(char** json_out);

/* Static English text of a code. Never NULL. */
LICET_EXPORT const char* licet_strerror(int code);
/* The calling thread's message for its last failed call; "" if none. Valid until the next
 * call from this thread. */
LICET_EXPORT const char* licet_errmsg(void);
LICET_EXPORT void licet_free(void* p);
LICET_EXPORT int licet_version_number(void);
LICET_EXPORT const char* licet_version(void);

#ifdef __cplusplus
}
#endif

#endif /* LICET_LICET_H_ */
