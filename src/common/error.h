/*
 * acmbridge error codes: one small enum for the whole library, and a message
 * buffer that says what failed and why in the operator's words.
 * CK_RV and CURLcode never cross this boundary; each layer translates once.
 */
#ifndef ACMB_ERROR_H
#define ACMB_ERROR_H

#include <stddef.h>

/* The codes (enum acmb_rc), the exit codes (enum acmb_exit), acmb_err,
 * acmb_strerror() and acmb_exit_code() are public: include/acmbridge.h. */
#include "acmbridge.h"

/* Records rc and a printf-style message in err (NULL allowed) and returns rc,
 * so callers can write `return acmb_error(err, ACMB_E_PARSE, "...")`.
 * WARNING: never pass secret material as an argument. */
int acmb_error(acmb_err *err, int rc, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

/* Like acmb_error() but appends the first OpenSSL error reason, if any,
 * and clears OpenSSL's error queue. */
int acmb_error_ssl(acmb_err *err, int rc, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/*
 * The static analyzer reads one file at a time and does not follow calls into
 * variadic functions, so on its own it also tries the paths where these return
 * ACMB_OK after recording an error, and reports null dereferences that cannot
 * happen. This hands it the contract above (the value is rc); compilers never
 * see it, nor does error.c, which defines the two.
 */
#if defined(__clang_analyzer__) && !defined(ACMB_ERROR_DEFINE)
#define acmb_error(err, rc, ...) (acmb_error((err), (rc), __VA_ARGS__), (rc))
#define acmb_error_ssl(err, rc, ...) (acmb_error_ssl((err), (rc), __VA_ARGS__), (rc))
#endif

#endif
