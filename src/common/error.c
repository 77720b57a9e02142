#define ACMB_ERROR_DEFINE /* error.h: the real functions, not the analyzer's view */
#include "error.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include <openssl/err.h>

const char *
acmb_strerror(int rc)
{
	switch (rc) {
	case ACMB_OK:
		return "success";
	case ACMB_E_INTERNAL:
		return "internal error";
	case ACMB_E_NOMEM:
		return "out of memory";
	case ACMB_E_USAGE:
		return "usage error";
	case ACMB_E_IO:
		return "input/output error";
	case ACMB_E_TOO_BIG:
		return "input too large";
	case ACMB_E_PARSE:
		return "malformed input";
	case ACMB_E_PASSPHRASE:
		return "passphrase missing or wrong";
	case ACMB_E_RULE:
		return "material breaks an ACM import rule";
	case ACMB_E_TOKEN:
		return "PKCS#11 token failure";
	case ACMB_E_EXPORT:
		return "key export refused";
	case ACMB_E_CONFIG:
		return "AWS configuration error";
	case ACMB_E_AWS:
		return "AWS service error";
	case ACMB_E_NETWORK:
		return "network error";
	case ACMB_E_TLS:
		return "TLS error";
	case ACMB_E_VERIFY:
		return "verification after import failed";
	case ACMB_E_INTERRUPTED:
		return "interrupted by signal";
	}
	return "unknown error";
}

static void __attribute__((format(printf, 3, 0)))
vset(acmb_err *err, int rc, const char *fmt, va_list ap)
{
	if (err == NULL)
		return;
	err->rc = rc;
	vsnprintf(err->msg, sizeof(err->msg), fmt, ap);
}

int
acmb_error(acmb_err *err, int rc, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vset(err, rc, fmt, ap);
	va_end(ap);
	return rc;
}

int
acmb_error_ssl(acmb_err *err, int rc, const char *fmt, ...)
{
	va_list ap;
	unsigned long e;
	size_t n;

	va_start(ap, fmt);
	vset(err, rc, fmt, ap);
	va_end(ap);
	e = ERR_peek_error();
	if (err != NULL && e != 0 && ERR_reason_error_string(e) != NULL) {
		n = strlen(err->msg);
		snprintf(err->msg + n, sizeof(err->msg) - n, " (OpenSSL: %s)",
		    ERR_reason_error_string(e));
	}
	ERR_clear_error();
	return rc;
}

int
acmb_exit_code(int rc)
{
	switch (rc) {
	case ACMB_OK:
		return ACMB_EXIT_OK;
	case ACMB_E_USAGE:
	case ACMB_E_CONFIG:
	case ACMB_E_PASSPHRASE:
		return ACMB_EXIT_USAGE;
	case ACMB_E_RULE:
	case ACMB_E_PARSE:
	case ACMB_E_TOO_BIG:
		return ACMB_EXIT_RULE;
	case ACMB_E_TOKEN:
	case ACMB_E_EXPORT:
		return ACMB_EXIT_TOKEN;
	case ACMB_E_AWS:
		return ACMB_EXIT_AWS;
	case ACMB_E_NETWORK:
	case ACMB_E_TLS:
		return ACMB_EXIT_NETWORK;
	case ACMB_E_INTERRUPTED:
		return 130;
	}
	return ACMB_EXIT_FAILURE;
}
