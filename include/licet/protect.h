/*
 * protect.h: function-level protection for C and C++ (docs/PROTECTION.md "Function-level
 * protection").
 *
 * Mark functions with LICET_PROTECTED(feature_code); link the program with the runtime
 * library (CMake: licet::protect_functions; it must come after your objects on the link
 * line, which CMake does by itself); after linking, run
 *
 *     licet protect functions --firm-key firm.key --product-code P IN -o OUT
 *
 * which encrypts each feature's functions (AES-256-GCM, one content key per feature code,
 * wrapped for licetd as the key scheme says). At run time a protected function's pages are
 * not accessible until they are unlocked: the first call (or licet_protect_unlock) obtains
 * the key from licetd, checks that the file is unmodified, decrypts into a memfd and maps it
 * read+execute over the function's pages (never writable and executable). Without a license
 * the first call prints the user message (product, what is missing, how to activate) and
 * the program exits with the licet error code; ciphertext is never executed. Functions of
 * other, licensed features keep working.
 *
 * Before `licet protect functions` has run, the marked functions are ordinary functions
 * (development builds need no licetd).
 *
 * The gate is a SIGSEGV handler (chained to any handler installed before, for faults
 * elsewhere): a call costs nothing once unlocked. Consequences: do not call protected
 * functions from signal handlers, and a program that installs its own SIGSEGV handler after
 * start must chain to the previous one (as sanitizers and JVMs do).
 */
#ifndef LICET_PROTECT_H_
#define LICET_PROTECT_H_

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Internal: every translation unit that includes this header references the runtime, so the
 * linker pulls it (its constructor, descriptor space and page padding) from the archive. */
extern const char licet_protect_runtime_anchor;
static __attribute__((used)) const char* const licet_protect_runtime_ref_ =
    &licet_protect_runtime_anchor;

#define LICET_PROTECT_STR_(x) #x
#define LICET_PROTECT_STR(x) LICET_PROTECT_STR_(x)

#if defined(__clang__)
#define LICET_PROTECT_NOCLONE_
#else
#define LICET_PROTECT_NOCLONE_ __attribute__((noclone))
#endif

/* Puts the function into section licet_fn_<feature_code>, starting on its own page, never
 * inlined or cloned (a copy outside the section would run unprotected). feature_code is a
 * decimal integer literal (or a macro expanding to one): 0 means "the product itself", any
 * other value a feature bit mask that the license's feature map must contain. At most 8
 * feature codes per program. */
#define LICET_PROTECTED(feature_code)                                                   \
  __attribute__((section("licet_fn_" LICET_PROTECT_STR(feature_code)), aligned(4096), \
                 noinline, used)) LICET_PROTECT_NOCLONE_

/* Unlocks every protected function now (all feature codes), instead of at its first call.
 * Returns 0 or the licet error code (licet.h: LICET_ERROR_...); unlike a first call, a
 * failure does not exit: licet_protect_errmsg() has the user message. Thread-safe. */
int licet_protect_unlock(void);
/* Unlocks the functions of one feature code; 0, the error code, or 1 (invalid argument)
 * when the program has no functions of that feature code. */
int licet_protect_unlock_feature(uint32_t feature_code);
/* Locks every unlocked function again: their plaintext pages are unmapped and the
 * ciphertext mapped back, inaccessible. Safe at any time: a thread inside (or returning
 * into) a locked function faults into the gate and unlocks it again with the key already
 * obtained, so no thread ever runs ciphertext or loses its code. The licenses stay held.
 * Returns 0. Thread-safe. */
int licet_protect_lock(void);
/* 1 when the program was processed by `licet protect functions`, else 0. */
int licet_protect_is_protected(void);
/* The message of the calling program's last failed unlock ("" if none); static storage. */
const char* licet_protect_errmsg(void);

#ifdef __cplusplus
}
#endif

#endif /* LICET_PROTECT_H_ */
