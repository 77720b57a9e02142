#include "p11-session.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>

#include <openssl/crypto.h>

#include "init.h"
#include "p11-rv.h"
#include "secmem.h"

/* PKCS#11 pads text fields with blanks and does not terminate them. */
static void
trim_field(char *dst, size_t dstlen, const CK_UTF8CHAR *src, size_t srclen)
{
	size_t n = srclen < dstlen - 1 ? srclen : dstlen - 1;

	memcpy(dst, src, n);
	while (n > 0 && (dst[n - 1] == ' ' || dst[n - 1] == '\0'))
		n--;
	dst[n] = '\0';
}

static int
slots_of(
    CK_FUNCTION_LIST *fn, const char *module, CK_SLOT_ID **slots, CK_ULONG *count, acmb_err *err)
{
	CK_SLOT_ID *list = NULL;
	CK_ULONG n = 0;
	CK_RV rv;
	int r = ACMB_E_INTERNAL;

	*slots = NULL;
	*count = 0;
	if ((rv = fn->C_GetSlotList(CK_TRUE, NULL, &n)) != CKR_OK) {
		r = acmb_p11_error(err, rv, module, "cannot list slots");
		goto out;
	}
	if (n > ACMB_P11_TOKENS_MAX)
		n = ACMB_P11_TOKENS_MAX;
	if (n == 0) {
		r = ACMB_OK;
		goto out;
	}
	if ((list = calloc(n, sizeof(*list))) == NULL) {
		r = acmb_error(err, ACMB_E_NOMEM, "out of memory listing slots");
		goto out;
	}
	rv = fn->C_GetSlotList(CK_TRUE, list, &n);
	if (rv != CKR_OK && rv != CKR_BUFFER_TOO_SMALL) {
		r = acmb_p11_error(err, rv, module, "cannot list slots");
		goto out;
	}
	*slots = list;
	list = NULL;
	*count = n;
	r = ACMB_OK;
out:
	free(list);
	return r;
}

int
acmb_p11_tokens_find(const struct acmb_p11_modules *mods, const struct acmb_p11_uri *uri,
    struct acmb_p11_token *out, size_t max, size_t *n, acmb_err *err)
{
	P11KitUri *kit = uri != NULL ? acmb_p11_uri_kit(uri) : NULL;
	CK_SLOT_ID *slots = NULL, want_slot;
	CK_ULONG nslots = 0, j;
	struct acmb_p11_token t;
	const char *modname = NULL;
	size_t i;
	CK_RV rv;
	int r = ACMB_E_INTERNAL;

	*n = 0;
	want_slot = kit != NULL ? p11_kit_uri_get_slot_id(kit) : (CK_SLOT_ID)-1;
	if (kit != NULL)
		modname = p11_kit_uri_get_module_name(kit);
	for (i = 0; i < acmb_p11_modules_count(mods); i++) {
		if (modname != NULL && !acmb_p11_modules_is_named(mods, i, modname))
			continue;
		free(slots);
		slots = NULL;
		memset(&t, 0, sizeof(t));
		t.fn = acmb_p11_modules_fn(mods, i);
		t.module = acmb_p11_modules_path(mods, i);
		if ((r = slots_of(t.fn, t.module, &slots, &nslots, err)) != ACMB_OK)
			goto out;
		for (j = 0; j < nslots && *n < max; j++) {
			t.slot = slots[j];
			if (want_slot != (CK_SLOT_ID)-1 && want_slot != t.slot)
				continue;
			if ((rv = t.fn->C_GetSlotInfo(t.slot, &t.slot_info)) != CKR_OK) {
				r = acmb_p11_error(
				    err, rv, t.module, "cannot read slot information");
				goto out;
			}
			if (kit != NULL && !p11_kit_uri_match_slot_info(kit, &t.slot_info))
				continue;
			rv = t.fn->C_GetTokenInfo(t.slot, &t.info);
			if (rv == CKR_TOKEN_NOT_PRESENT || rv == CKR_TOKEN_NOT_RECOGNIZED)
				continue;
			if (rv != CKR_OK) {
				r = acmb_p11_error(
				    err, rv, t.module, "cannot read token information");
				goto out;
			}
			if (!(t.info.flags & CKF_TOKEN_INITIALIZED))
				continue;
			if (kit != NULL && !p11_kit_uri_match_token_info(kit, &t.info))
				continue;
			trim_field(t.label, sizeof(t.label), t.info.label, sizeof(t.info.label));
			trim_field(t.serial, sizeof(t.serial), t.info.serialNumber,
			    sizeof(t.info.serialNumber));
			trim_field(t.manufacturer, sizeof(t.manufacturer), t.info.manufacturerID,
			    sizeof(t.info.manufacturerID));
			trim_field(t.model, sizeof(t.model), t.info.model, sizeof(t.info.model));
			out[(*n)++] = t;
		}
	}
	r = ACMB_OK;
out:
	free(slots);
	return r;
}

int
acmb_p11_session_open(const struct acmb_p11_token *t, CK_SESSION_HANDLE *s, acmb_err *err)
{
	CK_RV rv;
	char what[128];

	*s = CK_INVALID_HANDLE;
	if ((rv = t->fn->C_OpenSession(t->slot, CKF_SERIAL_SESSION, NULL, NULL, s)) != CKR_OK) {
		*s = CK_INVALID_HANDLE;
		snprintf(what, sizeof(what), "cannot open a session on token '%s'", t->label);
		return acmb_p11_error(err, rv, t->module, what);
	}
	return ACMB_OK;
}

void
acmb_p11_session_close(const struct acmb_p11_token *t, CK_SESSION_HANDLE s)
{
	if (t != NULL && s != CK_INVALID_HANDLE)
		t->fn->C_CloseSession(s);
}

/* Reads at most ACMB_P11_PIN_MAX bytes up to the first line end. */
/* How long a PIN read waits before it looks at the signal flag again. */
#define PIN_POLL_MS 200

static int
pin_from_fd(int fd, const char *what, char **pin, acmb_err *err)
{
	struct pollfd pfd;
	char *buf = NULL, c;
	size_t n = 0;
	ssize_t got;
	int ready, r = ACMB_E_INTERNAL;

	*pin = NULL;
	if ((buf = OPENSSL_secure_zalloc(ACMB_P11_PIN_MAX + 1)) == NULL) {
		r = acmb_error(err, ACMB_E_NOMEM, "secure heap exhausted reading a PIN");
		goto out;
	}
	for (;;) {
		/* Ctrl-C at the prompt must stop the read, so that the caller
		 * turns echo back on and unwinds. A signal that lands just
		 * before read() would not interrupt it: wait in short polls
		 * and look at the flag between them. */
		if (acmb_interrupted()) {
			r = acmb_error(err, ACMB_E_INTERRUPTED,
			    "interrupted by signal %d while "
			    "reading the PIN",
			    acmb_interrupted());
			goto out;
		}
		pfd.fd = fd;
		pfd.events = POLLIN;
		pfd.revents = 0;
		if ((ready = poll(&pfd, 1, PIN_POLL_MS)) == 0 || (ready < 0 && errno == EINTR))
			continue;
		got = ready < 0 ? -1 : read(fd, &c, 1);
		if (got < 0 && errno == EINTR)
			continue;
		if (got < 0) {
			r = acmb_error(err, ACMB_E_IO, "cannot read the PIN from %s: %s", what,
			    strerror(errno));
			goto out;
		}
		if (got == 0 || c == '\n')
			break;
		if (n == ACMB_P11_PIN_MAX) {
			/* A configuration mistake (exit 2), not material (exit 3). */
			r = acmb_error(err, ACMB_E_USAGE, "the PIN from %s is longer than %d bytes",
			    what, ACMB_P11_PIN_MAX);
			goto out;
		}
		buf[n++] = c;
	}
	c = 0;
	if (n > 0 && buf[n - 1] == '\r')
		buf[--n] = '\0';
	if (n == 0) {
		r = acmb_error(err, ACMB_E_USAGE, "the PIN from %s is empty", what);
		goto out;
	}
	if ((*pin = acmb_secstr_dup(buf, n)) == NULL) {
		r = acmb_error(err, ACMB_E_NOMEM, "secure heap exhausted reading a PIN");
		goto out;
	}
	r = ACMB_OK;
out:
	if (buf != NULL)
		OPENSSL_secure_clear_free(buf, ACMB_P11_PIN_MAX + 1);
	return r;
}

int
acmb_p11_pin_from_file(const char *path, char **pin, acmb_err *err)
{
	const char *p = path;
	char what[300];
	int fd, r;

	*pin = NULL;
	if (strncmp(p, "file://", 7) == 0)
		p += 7;
	else if (strncmp(p, "file:", 5) == 0)
		p += 5;
	snprintf(what, sizeof(what), "PIN file %s", p);
	if ((fd = open(p, O_RDONLY | O_CLOEXEC | O_NOCTTY)) < 0)
		return acmb_error(
		    err, ACMB_E_USAGE, "cannot open the PIN file %s: %s", p, strerror(errno));
	r = pin_from_fd(fd, what, pin, err);
	close(fd);
	return r;
}

int
acmb_p11_pin_from_env(const char *var, char **pin, acmb_err *err)
{
	char *v;
	size_t n;

	*pin = NULL;
	if ((v = getenv(var)) == NULL || *v == '\0')
		return acmb_error(err, ACMB_E_USAGE,
		    "--pin-env %s: the variable is not set or "
		    "empty",
		    var);
	n = strlen(v);
	if (n > ACMB_P11_PIN_MAX) {
		acmb_wipe(v, n);
		unsetenv(var);
		return acmb_error(
		    err, ACMB_E_USAGE, "--pin-env %s: longer than %d bytes", var, ACMB_P11_PIN_MAX);
	}
	*pin = acmb_secstr_dup(v, n);
	/* The environment block is ordinary memory readable in /proc/PID/environ:
	 * overwrite the value where it lies before unsetting the name. */
	acmb_wipe(v, n);
	unsetenv(var);
	if (*pin == NULL)
		return acmb_error(err, ACMB_E_NOMEM, "secure heap exhausted reading a PIN");
	return ACMB_OK;
}

static int
pin_from_terminal(const struct acmb_p11_token *t, char **pin, acmb_err *err)
{
	struct termios old, quiet;
	char prompt[128];
	int fd, r, restored = 0;

	*pin = NULL;
	if ((fd = open("/dev/tty", O_RDWR | O_CLOEXEC | O_NOCTTY)) < 0)
		return acmb_error(err, ACMB_E_USAGE,
		    "token '%s' needs a PIN and there is no "
		    "terminal to ask on: give --pin-file PATH, --pin-env VAR or pin-source= in the "
		    "URI",
		    t->label);
	if (tcgetattr(fd, &old) != 0) {
		close(fd);
		return acmb_error(err, ACMB_E_USAGE,
		    "cannot turn off echo on the terminal "
		    "(%s); give --pin-file or --pin-env",
		    strerror(errno));
	}
	quiet = old;
	quiet.c_lflag &= ~(tcflag_t)(ECHO | ECHONL);
	quiet.c_lflag |= ICANON;
	if (tcsetattr(fd, TCSAFLUSH, &quiet) != 0) {
		close(fd);
		return acmb_error(err, ACMB_E_USAGE,
		    "cannot turn off echo on the terminal "
		    "(%s); give --pin-file or --pin-env",
		    strerror(errno));
	}
	snprintf(prompt, sizeof(prompt), "PIN for token '%s': ", t->label);
	/* The prompt and the newline after it are cosmetic: a failed write
	 * must not stop the PIN from being read or echo from coming back. */
	if (write(fd, prompt, strlen(prompt)) < 0)
		prompt[0] = '\0';
	r = pin_from_fd(fd, "the terminal", pin, err);
	restored = tcsetattr(fd, TCSAFLUSH, &old) == 0;
	if (write(fd, "\n", 1) < 0)
		prompt[0] = '\0';
	if (!restored && r == ACMB_OK)
		r = acmb_error(
		    err, ACMB_E_IO, "cannot turn terminal echo back on: %s", strerror(errno));
	if (r != ACMB_OK) {
		acmb_secstr_free(*pin);
		*pin = NULL;
	}
	close(fd);
	return r;
}

static int
pin_get(const struct acmb_p11_token *t, const struct acmb_p11_pin_spec *spec,
    struct acmb_p11_uri *uri, char **pin, acmb_err *err)
{
	const char *source;

	*pin = NULL;
	if (uri != NULL && (*pin = acmb_p11_uri_take_pin(uri)) != NULL)
		return ACMB_OK;
	if (uri != NULL && (source = p11_kit_uri_get_pin_source(acmb_p11_uri_kit(uri))) != NULL)
		return acmb_p11_pin_from_file(source, pin, err);
	if (spec != NULL && spec->pin_value != NULL) {
		if ((*pin = acmb_secstr_dup(spec->pin_value, strlen(spec->pin_value))) == NULL)
			return acmb_error(err, ACMB_E_NOMEM, "secure heap exhausted copying a PIN");
		return ACMB_OK;
	}
	if (spec != NULL && spec->pin_file != NULL)
		return acmb_p11_pin_from_file(spec->pin_file, pin, err);
	if (spec != NULL && spec->pin_env != NULL)
		return acmb_p11_pin_from_env(spec->pin_env, pin, err);
	if (spec != NULL && spec->no_prompt)
		return acmb_error(err, ACMB_E_USAGE,
		    "token '%s' needs a PIN: give --pin-file "
		    "PATH, --pin-env VAR or pin-source= in the URI",
		    t->label);
	return pin_from_terminal(t, pin, err);
}

int
acmb_p11_login(const struct acmb_p11_token *t, CK_SESSION_HANDLE s,
    const struct acmb_p11_pin_spec *spec, struct acmb_p11_uri *uri, acmb_err *err)
{
	CK_TOKEN_INFO info;
	char *pin = NULL, what[128];
	CK_RV rv;
	int r = ACMB_E_INTERNAL;

	snprintf(what, sizeof(what), "login to token '%s' failed", t->label);
	if ((rv = t->fn->C_GetTokenInfo(t->slot, &info)) != CKR_OK) {
		r = acmb_p11_error(err, rv, t->module, what);
		goto out;
	}
	if (!(info.flags & CKF_LOGIN_REQUIRED)) {
		r = ACMB_OK;
		goto out;
	}
	if (info.flags & CKF_USER_PIN_LOCKED) {
		r = acmb_p11_error(err, CKR_PIN_LOCKED, t->module, what);
		goto out;
	}
	if (info.flags & CKF_PROTECTED_AUTHENTICATION_PATH) {
		rv = t->fn->C_Login(s, CKU_USER, NULL, 0);
	} else {
		if ((r = pin_get(t, spec, uri, &pin, err)) != ACMB_OK)
			goto out;
		rv = t->fn->C_Login(s, CKU_USER, (CK_UTF8CHAR_PTR)pin, strlen(pin));
		/* Last use of the PIN: wipe it now, not at the end of the run. */
		acmb_secstr_free(pin);
		pin = NULL;
	}
	if (rv != CKR_OK && rv != CKR_USER_ALREADY_LOGGED_IN) {
		r = acmb_p11_error(err, rv, t->module, what);
		goto out;
	}
	r = ACMB_OK;
out:
	acmb_secstr_free(pin);
	return r;
}
