#include "passphrase.h"

#include <stdlib.h>
#include <string.h>

#include "input.h"

static int
from_env(const char *var, acmb_secbuf **out, acmb_err *err)
{
	acmb_secbuf *b = NULL;
	char *value;
	size_t len;
	int r = ACMB_E_INTERNAL;

	if (*var == '\0' || strchr(var, '=') != NULL)
		return acmb_error(err, ACMB_E_USAGE,
		    "--passphrase-env: '%s' is not an environment variable name", var);
	if ((value = getenv(var)) == NULL)
		return acmb_error(
		    err, ACMB_E_USAGE, "--passphrase-env: environment variable %s is not set", var);
	len = strlen(value);
	if (len > ACMB_INPUT_MAX_PASSPHRASE) {
		r = acmb_error(err, ACMB_E_USAGE,
		    "--passphrase-env: %s is longer than the %zu-byte limit for a passphrase", var,
		    ACMB_INPUT_MAX_PASSPHRASE);
		goto out;
	}
	if ((b = acmb_secbuf_new(ACMB_INPUT_MAX_PASSPHRASE)) == NULL ||
	    acmb_secbuf_put(b, value, len) != ACMB_OK) {
		r = acmb_error(err, ACMB_E_NOMEM, "out of secure memory for the passphrase");
		goto out;
	}
	*out = b;
	b = NULL;
	r = ACMB_OK;
out:
	/* Wiped whatever happened: the value must not stay readable in our
	 * environment (/proc/PID/environ, children) once we have taken it. */
	acmb_wipe(value, len);
	unsetenv(var);
	acmb_secbuf_free(b);
	return r;
}

static int
from_file(const char *file, acmb_secbuf **out, acmb_err *err)
{
	acmb_secbuf *b = NULL;
	const unsigned char *p;
	size_t len;
	int r;

	if ((r = acmb_input_read(file, "passphrase file", ACMB_INPUT_MAX_PASSPHRASE, &b, NULL, 0,
	         err)) != ACMB_OK) {
		/* An unusable passphrase file is a usage problem, whatever the cause;
		 * the message already names the file and why. */
		if (r != ACMB_E_NOMEM)
			r = ACMB_E_USAGE;
		if (err != NULL)
			err->rc = r;
		goto out;
	}
	p = acmb_secbuf_ptr(b);
	len = acmb_secbuf_len(b);
	if (len > 0 && p[len - 1] == '\n') {
		len--;
		if (len > 0 && p[len - 1] == '\r')
			len--;
		acmb_secbuf_truncate(b, len);
	}
	*out = b;
	b = NULL;
	r = ACMB_OK;
out:
	acmb_secbuf_free(b);
	return r;
}

int
acmb_passphrase_read(const char *file, const char *env, acmb_secbuf **out, acmb_err *err)
{
	int r;

	*out = NULL;
	if (file != NULL && env != NULL)
		return acmb_error(err, ACMB_E_USAGE,
		    "give the passphrase with --passphrase-file or --passphrase-env, not both");
	if (file != NULL)
		r = from_file(file, out, err);
	else if (env != NULL)
		r = from_env(env, out, err);
	else
		return ACMB_OK;
	if (r != ACMB_OK)
		return r;
	/* OpenSSL's PKCS#12 code measures passphrases with strlen(). */
	if (memchr(acmb_secbuf_ptr(*out), '\0', acmb_secbuf_len(*out)) != NULL) {
		acmb_secbuf_free(*out);
		*out = NULL;
		return acmb_error(err, ACMB_E_USAGE, "the passphrase contains a NUL byte");
	}
	return ACMB_OK;
}
