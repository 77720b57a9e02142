/*
 * The tokens of one run: modules loaded once per path, one read-only and
 * one read-write session per token, opened on first use and kept, and one
 * login per token for the whole run (the login state of PKCS#11 belongs to
 * the application and the token, not the session, so every session on a
 * logged-in token is logged in). A context (bridge/context.h) owns one; a
 * caller without a context makes one for its own call.
 *
 * The PIN of a login is wiped right after C_Login (p11-session.h). A PIN
 * read from an environment variable (--pin-env) is gone from the
 * environment once read, so a run that logs in to several tokens with it
 * asks the cache to keep it (acmb_p11_cache_keep_env_pin()): the cache then
 * holds it in the secure heap until acmb_p11_cache_forget_pin() or
 * acmb_p11_cache_free().
 */
#ifndef ACMB_P11_CACHE_H
#define ACMB_P11_CACHE_H

#include <stddef.h>

#include <p11-kit/pkcs11.h>

#include "cancel.h"
#include "error.h"
#include "p11-module.h"
#include "p11-session.h"
#include "p11-uri.h"

/* Most module sets (distinct --module paths, or p11-kit's) in one run. */
#define ACMB_P11_CACHE_MODULES_MAX 8

struct acmb_p11_cache;

/* Returns an empty cache whose PIN prompts stop when cancel (borrowed, NULL
 * allowed) is set, or NULL when out of memory. Free with
 * acmb_p11_cache_free(). */
struct acmb_p11_cache *acmb_p11_cache_new(const struct acmb_cancel *cancel);

/* Logs out of every token it logged in to, closes every session, finalises
 * the modules and wipes a kept PIN. Accepts NULL. */
void acmb_p11_cache_free(struct acmb_p11_cache *c);

/* The modules at path (NULL: p11-kit's registered modules), loaded on the
 * first call for that path. *mods is owned by c. */
int acmb_p11_cache_modules(
    struct acmb_p11_cache *c, const char *path, struct acmb_p11_modules **mods, acmb_err *err);

/* A session on token t (from acmb_p11_tokens_find() over modules of c),
 * read-write when rw is set, opened on the first call for that token and
 * kind. *s is owned by c: never close it or log it out. */
int acmb_p11_cache_session(struct acmb_p11_cache *c, const struct acmb_p11_token *t, int rw,
    CK_SESSION_HANDLE *s, acmb_err *err);

/* Logs t in through s (a session from acmb_p11_cache_session()) unless the
 * cache logged t in already: the PIN as acmb_p11_login() takes it (pin's
 * cancel is replaced by the cache's; a --pin-env PIN read once per run when
 * the cache keeps it). */
int acmb_p11_cache_login(struct acmb_p11_cache *c, const struct acmb_p11_token *t,
    CK_SESSION_HANDLE s, const struct acmb_p11_pin_spec *pin, struct acmb_p11_uri *uri,
    acmb_err *err);

/* keep 1: a --pin-env PIN read for one login is kept for the run's other
 * tokens; 0 (the default): wiped right after its C_Login, like any PIN. */
void acmb_p11_cache_keep_env_pin(struct acmb_p11_cache *c, int keep);

/* Wipes a kept --pin-env PIN now (tokens stay logged in): before a result
 * is printed. A later login that needs it reads the variable again (gone
 * by then: the login fails with --pin-env's message). */
void acmb_p11_cache_forget_pin(struct acmb_p11_cache *c);

/* Tokens logged in so far: successful acmb_p11_login() calls, one per
 * token at most (for the tests and --debug). */
unsigned acmb_p11_cache_logins(const struct acmb_p11_cache *c);

#endif
