/*
 * acmbridge error codes: one small enum for the whole library, and a message
 * buffer that says what failed and why in the operator's words.
 * CK_RV and CURLcode never cross this boundary; each layer translates once.
 */
#ifndef ACMB_ERROR_H
#define ACMB_ERROR_H

#include <stddef.h>

enum acmb_rc {
	ACMB_OK = 0,
	ACMB_E_INTERNAL = -1,     /* a bug or an impossible state */
	ACMB_E_NOMEM = -2,        /* allocation failed (heap or secure heap) */
	ACMB_E_USAGE = -3,        /* bad option, missing argument, conflicting input */
	ACMB_E_IO = -4,           /* a file or stream could not be read or written */
	ACMB_E_TOO_BIG = -5,      /* input over its fixed maximum, refused unread */
	ACMB_E_PARSE = -6,        /* input is not what it claims (PEM, DER, JSON) */
	ACMB_E_PASSPHRASE = -7,   /* missing or wrong passphrase */
	ACMB_E_RULE = -8,         /* the material breaks an ACM import rule */
	ACMB_E_TOKEN = -9,        /* PKCS#11 module or token failure */
	ACMB_E_EXPORT = -10,      /* a key export was refused */
	ACMB_E_CONFIG = -11,      /* AWS configuration: region, credentials, endpoint */
	ACMB_E_AWS = -12,         /* the AWS service answered with an error */
	ACMB_E_NETWORK = -13,     /* connection, DNS, timeout */
	ACMB_E_TLS = -14,         /* TLS handshake or certificate verification */
	ACMB_E_VERIFY = -15,      /* the service does not show what we sent */
	ACMB_E_INTERRUPTED = -16, /* SIGINT or SIGTERM arrived */
};

/* Exit codes shared by every command; documented in --help and docs/. */
enum acmb_exit {
	ACMB_EXIT_OK = 0,
	ACMB_EXIT_FAILURE = 1, /* internal error, I/O error, verify-after-import mismatch */
	ACMB_EXIT_USAGE = 2,
	ACMB_EXIT_RULE = 3,
	ACMB_EXIT_TOKEN = 4,
	ACMB_EXIT_AWS = 5,
	ACMB_EXIT_NETWORK = 6,
};

#define ACMB_ERRMSG_MAX 1024

/* The message that goes with a non-zero rc. Embed one per call chain. */
typedef struct acmb_err {
	int rc;
	char msg[ACMB_ERRMSG_MAX];
} acmb_err;

/* Returns a short static description of rc, e.g. "input too large". */
const char *acmb_strerror(int rc);

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

/* Maps an rc to the documented process exit code. */
int acmb_exit_code(int rc);

#endif
