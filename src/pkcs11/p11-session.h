/*
 * Tokens, sessions and login. A token is found by matching a URI's slot and
 * token attributes (p11-kit does the matching); the PIN comes from the
 * URI, --pin-file, --pin-env or a no-echo prompt, lives in the secure heap,
 * and is wiped right after C_Login.
 */
#ifndef ACMB_P11_SESSION_H
#define ACMB_P11_SESSION_H

#include <stddef.h>

#include <p11-kit/pkcs11.h>

#include "cancel.h"
#include "error.h"
#include "p11-module.h"
#include "p11-uri.h"

/* Most tokens looked at in one run. */
#define ACMB_P11_TOKENS_MAX 64

struct acmb_p11_token {
	CK_FUNCTION_LIST *fn;
	const char *module; /* for messages; owned by the modules */
	CK_SLOT_ID slot;
	CK_SLOT_INFO slot_info;
	CK_TOKEN_INFO info;
	char label[33]; /* blank-padded fields, trimmed and NUL-terminated */
	char serial[17];
	char manufacturer[33];
	char model[17];
};

struct acmb_p11_pin_spec {
	const char *pin_file; /* --pin-file PATH */
	const char *pin_env;  /* --pin-env VAR: wiped and unset once read */
	int no_prompt;        /* never prompt, even on a terminal */
	/* A PIN the caller already read into the secure heap (it owns and
	 * wipes it), for a caller that logs in more than once; used after the
	 * URI's own PIN sources and before pin_file. */
	const char *pin_value;
	/* Stops a PIN prompt: its owner's (a context's) cancel flag, set by a
	 * signal handler; NULL: a prompt waits until a line is typed. */
	const struct acmb_cancel *cancel;
};

/* Fills out[0..max) with the present tokens of mods that match uri (NULL
 * matches every token) and sets *n. Returns ACMB_OK even for no match; the
 * caller decides whether that is an error. */
int acmb_p11_tokens_find(const struct acmb_p11_modules *mods, const struct acmb_p11_uri *uri,
    struct acmb_p11_token *out, size_t max, size_t *n, acmb_err *err);

/* Opens a read-only session (session objects can still be created in it).
 * Close with acmb_p11_session_close(). */
int acmb_p11_session_open(const struct acmb_p11_token *t, CK_SESSION_HANDLE *s, acmb_err *err);
void acmb_p11_session_close(const struct acmb_p11_token *t, CK_SESSION_HANDLE s);

/* Logs the session's token in as user when the token wants a login. The
 * PIN is taken, in order, from the URI's pin-value, the URI's pin-source,
 * spec->pin_file, spec->pin_env, or a prompt on the terminal; it is wiped
 * right after C_Login. Wrong, locked and expired PINs get their own message
 * (ACMB_E_TOKEN). uri may be NULL. */
int acmb_p11_login(const struct acmb_p11_token *t, CK_SESSION_HANDLE s,
    const struct acmb_p11_pin_spec *spec, struct acmb_p11_uri *uri, acmb_err *err);

/* Reads a PIN from a file (first line, at most ACMB_P11_PIN_MAX bytes) into
 * the secure heap. Caller frees *pin with acmb_secstr_free(). */
int acmb_p11_pin_from_file(const char *path, char **pin, acmb_err *err);

/* Reads a PIN from environment variable var into the secure heap, then
 * overwrites the variable's bytes in place and unsets it.
 * Caller frees *pin with acmb_secstr_free(). */
int acmb_p11_pin_from_env(const char *var, char **pin, acmb_err *err);

#endif
