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
 *     them with the _INIT macros. A size of 0, over 4096, or below the fields every version
 *     of the struct has is LICET_ERROR_INVALID_ARGUMENT. A smaller size (an app built
 *     against an older header) is accepted: only the fields that fit are read or written,
 *     missing inputs take their _INIT defaults. A larger size (a newer header) is accepted
 *     when the input fields this library does not know are all zero; outputs zero them;
 *   - all functions are thread-safe; a handle may be used from several threads, but
 *     licet_release must not race with other calls on the same handle;
 *   - no function raises a signal (no SIGPIPE) or lets a C++ exception out.
 *
 * Connection: all handles of a process share one connection to licetd, opened by the first
 * call that needs it. A lease lives on that connection: licetd frees every lease of the
 * process when it closes (release, exit, crash). Consequences:
 *   - licetd restarted: calls on existing handles fail with LICET_ERROR_UNAVAILABLE (their
 *     licenses are gone: access again); the next licet_access or licet_list reconnects;
 *   - fork(): the child never uses the parent's connection. Handles inherited from the parent
 *     fail in the child with LICET_ERROR_UNAVAILABLE (licet_release frees them without
 *     touching the parent's lease); licet_access in the child opens the child's own
 *     connection. The socket is close-on-exec;
 *   - a request that gets no answer within $LICET_TIMEOUT seconds (1..3600, default 30)
 *     fails with LICET_ERROR_UNAVAILABLE and closes the connection.
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
#define LICET_ERROR_ALREADY_EXISTS 9
#define LICET_ERROR_NOT_FOUND 10
#define LICET_ERROR_PERMISSION_DENIED 11
#define LICET_ERROR_CRYPTO 12
#define LICET_ERROR_INTERNAL 13
#define LICET_ERROR_BUSY 14
#define LICET_ERROR_UNAVAILABLE 15 /* licetd is not running or not reachable */
#define LICET_ERROR_WRONG_PASSPHRASE 16
#define LICET_ERROR_UNTRUSTED_SIGNER 17
#define LICET_ERROR_WRONG_FILE_KIND 18
#define LICET_ERROR_UNIT_COUNTER_ZERO 32
#define LICET_ERROR_FEATURE_MISSING 33
#define LICET_ERROR_EXPIRED 35
#define LICET_ERROR_NOT_YET_ACTIVE 37
#define LICET_ERROR_CLOCK_SET_BACK 38
#define LICET_ERROR_USAGE_PERIOD_OVER 39
#define LICET_ERROR_MAINTENANCE_OVER 40
#define LICET_ERROR_CHECKPOINT_OVERDUE 41
#define LICET_ERROR_FUC_GAP 48
#define LICET_ERROR_MANIPULATION_DETECTED 49
#define LICET_ERROR_SERVER_NOT_FOUND 101
#define LICET_ERROR_PROTOCOL 102
#define LICET_ERROR_ENTRY_NOT_FOUND 200 /* no such product item (unknown product) */
#define LICET_ERROR_CONTAINER_NOT_FOUND 201
#define LICET_ERROR_FIRM_NOT_FOUND 202
#define LICET_ERROR_NO_MORE_LICENSES 212
#define LICET_ERROR_EXCLUSIVE_CONFLICT 213
#define LICET_ERROR_WRONG_ACCESS_MODE 223
#define LICET_ERROR_ACCESS_DENIED 231
#define LICET_ERROR_BORROW_NOT_ALLOWED 240 /* no seat of this item may be borrowed (now) */
#define LICET_ERROR_BORROW_TOO_LONG 241    /* more days than the borrow rules allow */

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
 * mode and seats. Returns LICET_OK and sets *out, or an error code and sets *out to NULL:
 * LICET_ERROR_INVALID_ARGUMENT (NULL params or out, bad size, firm_code 0, unknown where or
 * mode, empty or over-long serial or server), LICET_ERROR_UNAVAILABLE (licetd not running:
 * the message names the socket), LICET_ERROR_PERMISSION_DENIED (the socket refuses this
 * user), or licetd's verdict (see docs/PROTOCOL.md "Access rules"). */
LICET_EXPORT int licet_access(const licet_access_params* params, licet_handle** out);

/* Releases the lease and frees the handle. NULL is accepted. The handle is freed whatever
 * the result. LICET_OK also when the lease is already gone with a lost connection (licetd
 * restarted) or belongs to the parent of this forked process. LICET_ERROR_INVALID_ARGUMENT
 * for a pointer that is not a live handle (as far as that can be seen). */
LICET_EXPORT int licet_release(licet_handle* handle);

/* licet_crypt operations. */
#define LICET_CRYPT_ENCRYPT 1 /* AES-256-GCM: iv in, tag out */
#define LICET_CRYPT_DECRYPT 2 /* AES-256-GCM: iv and tag in; LICET_ERROR_DECRYPT_FAILED on mismatch */
#define LICET_CRYPT_DIRECT 3  /* AES-256-CTR from iv: same transformation both ways, no tag */

/* The largest buffer one licet_crypt call takes (16 MiB less 64 KiB of message framing);
 * encrypt larger data in chunks, each with its own iv. */
#define LICET_CRYPT_MAX_LEN ((size_t)16 * 1024 * 1024 - 64 * 1024)

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
 * container holding the same product, unknowable without a genuine license. buf may be NULL
 * when len is 0; len <= LICET_CRYPT_MAX_LEN. On failure buf and params are unchanged:
 * LICET_ERROR_DECRYPT_FAILED (tag mismatch), LICET_ERROR_FEATURE_MISSING (feature_code not
 * licensed), LICET_ERROR_INVALID_ARGUMENT (op, params, size, buf, len). One exception: an
 * ENCRYPT or DIRECT of 16 KiB or more copies finished parts of the result into buf while
 * licetd works, so when such a call fails in the middle (the connection to licetd lost:
 * LICET_ERROR_UNAVAILABLE; or a malformed answer) buf may have been zeroed instead. A DECRYPT
 * never puts plaintext into buf before its tag is checked. */
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

#define LICET_ITEM_INFO_INIT \
  { sizeof(licet_item_info), {0}, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, {0}, {0}, 0 }

/* The properties of the product item behind a handle, as licetd sees them now (unit
 * counter, usage start). Writes only the first info->size bytes; strings are always
 * NUL-terminated (text is cut at a UTF-8 character boundary if needed). */
LICET_EXPORT int licet_info(licet_handle* handle, licet_item_info* info);

/* Decrements the item's unit counter by n atomically; the new value is persisted before this
 * returns. LICET_ERROR_UNIT_COUNTER_ZERO when fewer than n units are left (nothing is taken).
 * n = 0 is LICET_ERROR_INVALID_ARGUMENT. remaining may be NULL; it is written only on
 * success. */
LICET_EXPORT int licet_unit_decrement(licet_handle* handle, uint64_t n, uint64_t* remaining);

/* The containers of this machine and their items, as a JSON document (the shape of
 * `licet list --json`: {"containers": [...]}, byte strings as hex); free *json_out with
 * licet_free. *json_out is NULL on failure. */
LICET_EXPORT int licet_list(char** json_out);

/* Static English text of a code ("unknown error" for a number that is no code). Never NULL. */
LICET_EXPORT const char* licet_strerror(int code);
/* The calling thread's message for its last failed call; "" if none. Valid until the next
 * call from this thread. */
LICET_EXPORT const char* licet_errmsg(void);
/* Frees memory returned by the library. NULL is accepted. */
LICET_EXPORT void licet_free(void* p);
/* LICET_VERSION_NUMBER and LICET_VERSION of the library actually loaded. */
LICET_EXPORT int licet_version_number(void);
LICET_EXPORT const char* licet_version(void);

#ifdef __cplusplus
}
#endif

#endif /* LICET_LICET_H_ */
