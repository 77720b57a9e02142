#include "p11-cache.h"

#include <stdlib.h>
#include <string.h>

#include "p11-rv.h"
#include "secmem.h"

struct module_set {
	char *path; /* NULL: p11-kit's registered modules */
	struct acmb_p11_modules *mods;
};

struct token_entry {
	struct acmb_p11_token tok;
	CK_SESSION_HANDLE ro, rw;
	int logged_in;
};

struct acmb_p11_cache {
	const struct acmb_cancel *cancel;
	struct module_set sets[ACMB_P11_CACHE_MODULES_MAX];
	size_t nsets;
	struct token_entry toks[ACMB_P11_TOKENS_MAX];
	size_t ntoks;
	unsigned logins;
	int keep_env_pin;
	char *env_pin; /* secure heap: the --pin-env PIN, read once */
	char env_var[128];
};

struct acmb_p11_cache *
acmb_p11_cache_new(const struct acmb_cancel *cancel)
{
	struct acmb_p11_cache *c = calloc(1, sizeof(*c));

	if (c != NULL)
		c->cancel = cancel;
	return c;
}

void
acmb_p11_cache_free(struct acmb_p11_cache *c)
{
	struct token_entry *e;
	size_t i;

	if (c == NULL)
		return;
	for (i = 0; i < c->ntoks; i++) {
		e = &c->toks[i];
		if (e->logged_in)
			e->tok.fn->C_Logout(e->ro != CK_INVALID_HANDLE ? e->ro : e->rw);
		acmb_p11_session_close(&e->tok, e->ro);
		acmb_p11_session_close(&e->tok, e->rw);
	}
	for (i = 0; i < c->nsets; i++) {
		acmb_p11_modules_close(c->sets[i].mods);
		free(c->sets[i].path);
	}
	acmb_secstr_free(c->env_pin);
	free(c);
}

static int
same_path(const char *a, const char *b)
{
	return (a == NULL && b == NULL) || (a != NULL && b != NULL && strcmp(a, b) == 0);
}

int
acmb_p11_cache_modules(
    struct acmb_p11_cache *c, const char *path, struct acmb_p11_modules **mods, acmb_err *err)
{
	struct module_set *m;
	size_t i;
	int r;

	*mods = NULL;
	for (i = 0; i < c->nsets; i++) {
		if (same_path(c->sets[i].path, path)) {
			*mods = c->sets[i].mods;
			return ACMB_OK;
		}
	}
	if (c->nsets == ACMB_P11_CACHE_MODULES_MAX)
		return acmb_error(err, ACMB_E_TOKEN, "more than %d PKCS#11 module sets in one run",
		    ACMB_P11_CACHE_MODULES_MAX);
	m = &c->sets[c->nsets];
	memset(m, 0, sizeof(*m));
	if (path != NULL && (m->path = strdup(path)) == NULL)
		return acmb_error(err, ACMB_E_NOMEM, "out of memory");
	if ((r = acmb_p11_modules_open(path, &m->mods, err)) != ACMB_OK) {
		free(m->path);
		m->path = NULL;
		return r;
	}
	c->nsets++;
	*mods = m->mods;
	return ACMB_OK;
}

static struct token_entry *
entry_of(struct acmb_p11_cache *c, const struct acmb_p11_token *t)
{
	size_t i;

	for (i = 0; i < c->ntoks; i++)
		if (c->toks[i].tok.fn == t->fn && c->toks[i].tok.slot == t->slot)
			return &c->toks[i];
	return NULL;
}

int
acmb_p11_cache_session(struct acmb_p11_cache *c, const struct acmb_p11_token *t, int rw,
    CK_SESSION_HANDLE *s, acmb_err *err)
{
	struct token_entry *e;
	CK_SESSION_HANDLE *slot;
	CK_RV rv;
	int r;

	*s = CK_INVALID_HANDLE;
	if ((e = entry_of(c, t)) == NULL) {
		if (c->ntoks == ACMB_P11_TOKENS_MAX)
			return acmb_error(err, ACMB_E_TOKEN, "too many tokens");
		e = &c->toks[c->ntoks++];
		memset(e, 0, sizeof(*e));
		e->tok = *t;
		e->ro = e->rw = CK_INVALID_HANDLE;
	}
	slot = rw ? &e->rw : &e->ro;
	if (*slot == CK_INVALID_HANDLE) {
		if (!rw) {
			if ((r = acmb_p11_session_open(&e->tok, slot, err)) != ACMB_OK)
				return r;
		} else if ((rv = e->tok.fn->C_OpenSession(e->tok.slot,
		                CKF_SERIAL_SESSION | CKF_RW_SESSION, NULL, NULL, slot)) != CKR_OK) {
			*slot = CK_INVALID_HANDLE;
			return acmb_p11_error(
			    err, rv, e->tok.module, "cannot open a read-write session");
		}
	}
	*s = *slot;
	return ACMB_OK;
}

/* 1 when logging in to t will ask for a PIN (not a protected path). */
static int
wants_pin(const struct acmb_p11_token *t)
{
	CK_TOKEN_INFO info;

	if (t->fn->C_GetTokenInfo(t->slot, &info) != CKR_OK)
		return 0;
	return (info.flags & CKF_LOGIN_REQUIRED) &&
	       !(info.flags & CKF_PROTECTED_AUTHENTICATION_PATH);
}

int
acmb_p11_cache_login(struct acmb_p11_cache *c, const struct acmb_p11_token *t, CK_SESSION_HANDLE s,
    const struct acmb_p11_pin_spec *pin, struct acmb_p11_uri *uri, acmb_err *err)
{
	struct acmb_p11_pin_spec spec;
	struct token_entry *e = entry_of(c, t);
	int r;

	if (e == NULL)
		return acmb_error(err, ACMB_E_INTERNAL, "login to a token the cache did not open");
	if (e->logged_in)
		return ACMB_OK;
	memset(&spec, 0, sizeof(spec));
	if (pin != NULL)
		spec = *pin;
	spec.cancel = c->cancel;
	/* The environment gives its PIN once: keep it for the run's other
	 * tokens. Read only when this login will use it. */
	if (c->keep_env_pin && spec.pin_value == NULL && spec.pin_file == NULL &&
	    spec.pin_env != NULL && !acmb_p11_uri_has_pin(uri) && wants_pin(t)) {
		if (c->env_pin == NULL || strcmp(c->env_var, spec.pin_env) != 0) {
			if (strlen(spec.pin_env) >= sizeof(c->env_var))
				return acmb_error(
				    err, ACMB_E_USAGE, "--pin-env: the name is too long");
			acmb_secstr_free(c->env_pin);
			c->env_pin = NULL;
			if ((r = acmb_p11_pin_from_env(spec.pin_env, &c->env_pin, err)) != ACMB_OK)
				return r;
			memcpy(c->env_var, spec.pin_env, strlen(spec.pin_env) + 1);
		}
		spec.pin_value = c->env_pin;
	}
	if ((r = acmb_p11_login(&e->tok, s, &spec, uri, err)) != ACMB_OK)
		return r;
	e->logged_in = 1;
	c->logins++;
	return ACMB_OK;
}

void
acmb_p11_cache_keep_env_pin(struct acmb_p11_cache *c, int keep)
{
	c->keep_env_pin = keep;
	if (!keep)
		acmb_p11_cache_forget_pin(c);
}

void
acmb_p11_cache_forget_pin(struct acmb_p11_cache *c)
{
	if (c == NULL)
		return;
	acmb_secstr_free(c->env_pin);
	c->env_pin = NULL;
	c->env_var[0] = '\0';
}

unsigned
acmb_p11_cache_logins(const struct acmb_p11_cache *c)
{
	return c->logins;
}
