/*
 * The credential chain, as botocore builds it (credentials.py,
 * create_credential_resolver): environment; a profile with role_arn
 * (assume-role, unless it has web_identity_token_file); then the profile's
 * own providers: web identity, SSO, static keys of the credentials file,
 * credential_process, static keys of the config file; then the container
 * endpoint and instance metadata. An explicit --profile drops the
 * environment's keys and web identity variables. A source_profile is
 * resolved through the same profile providers (never the environment),
 * or assumes its own role; loops are refused as botocore refuses them.
 */
#include "aws-identity.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <termios.h>
#include <unistd.h>

#include "aws-sso.h"
#include "aws-sts.h"
#include "init.h"

#define MFA_CODE_MAX 64
#define TOKEN_FILE_MAX ((size_t)64 << 10)

enum source_kind {
	SRC_ENVIRONMENT,
	SRC_STATIC,
	SRC_PROCESS,
	SRC_CONTAINER,
	SRC_IMDS,
	SRC_ASSUME_ROLE,
	SRC_WEB_IDENTITY,
	SRC_SSO,
};

struct cred_set {
	enum source_kind kind;
	struct acmb_aws_credentials creds;
	int fetched;
	time_t fetched_at;
	char region[ACMB_AWS_REGION_MAX]; /* where STS / SSO were called */
	char *profile;                    /* the profile it belongs to, or NULL */
	char *command;                    /* credential_process */
	struct cred_set *source;          /* assume-role: the source credentials */
	int owns_source;
	char *role_arn;
	char *session_name;
	char *external_id;
	char *mfa_serial;
	long duration;
	char *token_file; /* web identity */
	struct acmb_aws_sso_profile sso;
	char label[ACMB_AWS_CRED_SOURCE_MAX];
};

struct cache_entry {
	char *profile;
	char *role_arn;
	char *external_id;
	struct cred_set *set;
};

struct acmb_aws_identities {
	struct acmb_aws_settings *settings;
	/* The environment's keys, taken once (the secret and token wiped
	 * from the environment). */
	char *env_key_id;
	char *env_secret; /* secure heap */
	char *env_token;  /* secure heap */
	struct cache_entry *cache;
	size_t ncache, capcache;
	time_t (*now)(void *);
	void *now_ctx;
	acmb_aws_mfa_prompt_fn mfa_prompt;
	void *mfa_ctx;
	unsigned fetches;
};

/* The profiles of one source_profile chain, for loop detection. */
struct visited {
	const char *name[ACMB_AWS_IDENTITY_CHAIN_MAX];
	size_t n;
};

static const char *
env(const char *name)
{
	const char *v = getenv(name);

	return v != NULL && *v != '\0' ? v : NULL;
}

static void labelf(struct cred_set *s, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* The set's description (no secret), cut at ACMB_AWS_CRED_SOURCE_MAX: a
 * long chain of sources ends in "...". */
static void
labelf(struct cred_set *s, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(s->label, sizeof(s->label), fmt, ap);
	va_end(ap);
	if (n >= (int)sizeof(s->label))
		memcpy(s->label + sizeof(s->label) - 4, "...", 4);
}

static time_t
now_of(const struct acmb_aws_identities *ids)
{
	return ids->now != NULL ? ids->now(ids->now_ctx) : time(NULL);
}

static void
set_free(struct cred_set *s)
{
	if (s == NULL)
		return;
	acmb_aws_credentials_clear(&s->creds);
	if (s->owns_source)
		set_free(s->source);
	free(s->profile);
	free(s->command);
	free(s->role_arn);
	free(s->session_name);
	free(s->external_id);
	free(s->mfa_serial);
	free(s->token_file);
	acmb_aws_sso_profile_clear(&s->sso);
	free(s);
}

static struct cred_set *
set_new(enum source_kind kind, const char *profile)
{
	struct cred_set *s = calloc(1, sizeof(*s));

	if (s == NULL)
		return NULL;
	s->kind = kind;
	if (profile != NULL && (s->profile = strdup(profile)) == NULL) {
		free(s);
		return NULL;
	}
	return s;
}

/* A non-secret profile value as a new plain string, or NULL (absent). */
static int
profile_dup(const struct acmb_aws_identities *ids, const char *profile, const char *key, char **out,
    acmb_err *err)
{
	const char *v;
	size_t n;

	*out = NULL;
	if (!acmb_aws_settings_get(ids->settings, profile, key, &v, &n, NULL))
		return ACMB_OK;
	if ((*out = strndup(v, n)) == NULL)
		return acmb_error(err, ACMB_E_NOMEM, "out of memory");
	return ACMB_OK;
}

static int
profile_has(const struct acmb_aws_identities *ids, const char *profile, const char *key)
{
	const char *v;
	size_t n;

	return acmb_aws_settings_get(ids->settings, profile, key, &v, &n, NULL);
}

/* Copies an environment secret into the secure heap, then wipes the
 * environment's copy in place and removes the variable, so that neither
 * /proc/self/environ nor a later child sees it. */
static int
take_env_secret(const char *name, char **out, acmb_err *err)
{
	char *v = getenv(name);
	size_t n;

	*out = NULL;
	if (v == NULL)
		return ACMB_OK;
	n = strlen(v);
	if (n > 0 && (*out = acmb_secstr_dup(v, n)) == NULL)
		return acmb_error(err, ACMB_E_NOMEM, "out of secure memory");
	acmb_wipe(v, n);
	unsetenv(name);
	return ACMB_OK;
}

int
acmb_aws_identities_new(
    const struct acmb_aws_options *opts, struct acmb_aws_identities **out, acmb_err *err)
{
	struct acmb_aws_identities *ids = NULL;
	const char *id;
	int r = ACMB_E_INTERNAL;

	*out = NULL;
	if ((ids = calloc(1, sizeof(*ids))) == NULL) {
		r = acmb_error(err, ACMB_E_NOMEM, "out of memory");
		goto out;
	}
	/* First, so that the environment's copies are gone whatever fails. */
	if ((r = take_env_secret("AWS_SECRET_ACCESS_KEY", &ids->env_secret, err)) != ACMB_OK ||
	    (r = take_env_secret("AWS_SESSION_TOKEN", &ids->env_token, err)) != ACMB_OK)
		goto out;
	/* botocore's EnvProvider also takes the older AWS_SECURITY_TOKEN. */
	if (ids->env_token == NULL &&
	    (r = take_env_secret("AWS_SECURITY_TOKEN", &ids->env_token, err)) != ACMB_OK)
		goto out;
	if ((id = env("AWS_ACCESS_KEY_ID")) != NULL && (ids->env_key_id = strdup(id)) == NULL) {
		r = acmb_error(err, ACMB_E_NOMEM, "out of memory");
		goto out;
	}
	/* Endpoints and credentials are read with libcurl: without it, say so
	 * now rather than fail later as "out of memory". */
	if ((r = acmb_aws_transport_require(err)) != ACMB_OK ||
	    (r = acmb_aws_settings_new(opts, &ids->settings, err)) != ACMB_OK)
		goto out;
	*out = ids;
	ids = NULL;
	r = ACMB_OK;
out:
	acmb_aws_identities_free(ids);
	return r;
}

void
acmb_aws_identities_free(struct acmb_aws_identities *ids)
{
	size_t i;

	if (ids == NULL)
		return;
	for (i = 0; i < ids->ncache; i++) {
		set_free(ids->cache[i].set);
		free(ids->cache[i].profile);
		free(ids->cache[i].role_arn);
		free(ids->cache[i].external_id);
	}
	free(ids->cache);
	free(ids->env_key_id);
	acmb_secstr_free(ids->env_secret);
	acmb_secstr_free(ids->env_token);
	acmb_aws_settings_free(ids->settings);
	free(ids);
}

const struct acmb_aws_settings *
acmb_aws_identities_settings(const struct acmb_aws_identities *ids)
{
	return ids->settings;
}

void
acmb_aws_identities_set_clock(struct acmb_aws_identities *ids, time_t (*now)(void *ctx), void *ctx)
{
	ids->now = now;
	ids->now_ctx = ctx;
}

time_t
acmb_aws_identities_now(const struct acmb_aws_identities *ids)
{
	return now_of(ids);
}

void
acmb_aws_identities_set_mfa_prompt(
    struct acmb_aws_identities *ids, acmb_aws_mfa_prompt_fn fn, void *ctx)
{
	ids->mfa_prompt = fn;
	ids->mfa_ctx = ctx;
}

unsigned
acmb_aws_identities_fetches(const struct acmb_aws_identities *ids)
{
	return ids->fetches;
}

/* --- MFA: the code from the terminal, without echo --- */

static int
tty_prompt(void *ctx, const char *profile, const char *serial, acmb_secbuf *code, acmb_err *err)
{
	struct termios old, quiet;
	char prompt[600], c;
	ssize_t n;
	int fd, restore = 0, r = ACMB_E_INTERNAL;

	/* ctx: the run's transport, for its cancel flag (see below). */
	if ((fd = open("/dev/tty", O_RDWR | O_NOCTTY | O_CLOEXEC)) < 0)
		return acmb_error(err, ACMB_E_CONFIG,
		    "profile %s needs an MFA code for %s (mfa_serial), and there is no "
		    "terminal to ask for it: run acmbridge from a terminal, or use a profile "
		    "without mfa_serial",
		    profile, serial);
	if (tcgetattr(fd, &old) == 0) {
		quiet = old;
		quiet.c_lflag &= ~(tcflag_t)(ECHO | ECHOE | ECHOK | ECHONL);
		quiet.c_lflag |= ICANON;
		if (tcsetattr(fd, TCSAFLUSH, &quiet) == 0)
			restore = 1;
	}
	/* The CLI's prompt (getpass). */
	snprintf(prompt, sizeof(prompt), "Enter MFA code for %s: ", serial);
	if (write(fd, prompt, strlen(prompt)) < 0) {
		r = acmb_error(
		    err, ACMB_E_CONFIG, "cannot write to the terminal: %s", strerror(errno));
		goto out;
	}
	for (;;) {
		n = read(fd, &c, 1);
		if (n < 0 && errno == EINTR && !acmb_aws_transport_cancelled(ctx))
			continue;
		if (n < 0 && errno == EINTR) {
			r = acmb_error(
			    err, ACMB_E_INTERRUPTED, "interrupted while reading the MFA code");
			goto out;
		}
		if (n <= 0 || c == '\n' || c == '\r')
			break;
		if (acmb_secbuf_put(code, &c, 1) != ACMB_OK) {
			r = acmb_error(err, ACMB_E_CONFIG, "the MFA code is too long");
			goto out;
		}
	}
	r = ACMB_OK;
out:
	acmb_wipe(&c, sizeof(c));
	if (write(fd, "\n", 1) < 0) {
		/* Nothing to do: the prompt line just stays open. */
	}
	if (restore)
		tcsetattr(fd, TCSAFLUSH, &old);
	close(fd);
	return r;
}

static int
read_mfa_code(
    struct acmb_aws_identities *ids, const struct cred_set *s, acmb_secbuf **out, acmb_err *err)
{
	acmb_secbuf *code = NULL;
	const char *p;
	size_t i;
	int r = ACMB_E_INTERNAL;

	*out = NULL;
	if ((code = acmb_secbuf_new(MFA_CODE_MAX)) == NULL)
		return acmb_error(err, ACMB_E_NOMEM, "out of secure memory");
	if ((r = (ids->mfa_prompt != NULL ? ids->mfa_prompt : tty_prompt)(
	         ids->mfa_prompt != NULL ? ids->mfa_ctx
	                                 : (void *)acmb_aws_settings_transport(ids->settings),
	         s->profile != NULL ? s->profile : "(none)", s->mfa_serial, code, err)) != ACMB_OK)
		goto out;
	if (acmb_secbuf_put(code, "", 0) != ACMB_OK) {
		r = acmb_error(err, ACMB_E_NOMEM, "out of secure memory");
		goto out;
	}
	/* STS's TokenCode: six digits. */
	p = acmb_secbuf_str(code);
	for (i = 0; p[i] >= '0' && p[i] <= '9'; i++)
		;
	if (i != 6 || p[i] != '\0') {
		r = acmb_error(
		    err, ACMB_E_CONFIG, "the MFA code for %s must be 6 digits", s->mfa_serial);
		goto out;
	}
	*out = code;
	code = NULL;
	r = ACMB_OK;
out:
	acmb_secbuf_free(code);
	return r;
}

/* --- fetching one set's credentials --- */

static int
sts_target(struct acmb_aws_identities *ids, const char *region, char *url, size_t len,
    struct acmb_aws_sts_target *t, acmb_err *err)
{
	int r;

	if ((r = acmb_aws_settings_endpoint(
	         ids->settings, &acmb_aws_service_sts, region, NULL, url, len, err)) != ACMB_OK)
		return r;
	t->endpoint = url;
	t->region = region;
	t->transport = acmb_aws_settings_transport(ids->settings);
	return ACMB_OK;
}

/* The web identity token, read again at every fetch (Kubernetes rotates
 * it), into the secure heap, as it is (botocore does not strip it). */
static int
read_token_file(const char *path, acmb_secbuf **out, acmb_err *err)
{
	acmb_secbuf *b = NULL;
	unsigned char *dst;
	size_t want;
	ssize_t got;
	int fd, r = ACMB_E_INTERNAL;

	*out = NULL;
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0)
		return acmb_error(
		    err, ACMB_E_CONFIG, "web identity token file %s: %s", path, strerror(errno));
	if ((b = acmb_secbuf_new(TOKEN_FILE_MAX)) == NULL) {
		r = acmb_error(err, ACMB_E_NOMEM, "out of secure memory");
		goto out;
	}
	for (;;) {
		/* Room for exactly what is read: never more than reserved. */
		want = acmb_secbuf_max(b) - acmb_secbuf_len(b);
		if (want > 4096)
			want = 4096;
		if (want == 0 || (dst = acmb_secbuf_reserve(b, want)) == NULL) {
			r = acmb_error(err, ACMB_E_CONFIG,
			    "web identity token file %s is larger than %zu bytes", path,
			    TOKEN_FILE_MAX);
			goto out;
		}
		got = read(fd, dst, want);
		if (got < 0 && errno == EINTR)
			continue;
		if (got < 0) {
			r = acmb_error(err, ACMB_E_CONFIG, "web identity token file %s: %s", path,
			    strerror(errno));
			goto out;
		}
		if (got == 0)
			break;
		acmb_secbuf_commit(b, (size_t)got);
	}
	if (acmb_secbuf_len(b) == 0) {
		r = acmb_error(err, ACMB_E_CONFIG, "web identity token file %s is empty", path);
		goto out;
	}
	*out = b;
	b = NULL;
	r = ACMB_OK;
out:
	acmb_secbuf_free(b);
	close(fd);
	return r;
}

static int ensure_fresh(struct acmb_aws_identities *ids, struct cred_set *s, acmb_err *err);

static int
fetch_assume_role(struct acmb_aws_identities *ids, struct cred_set *s, acmb_err *err)
{
	struct acmb_aws_sts_target t;
	struct acmb_aws_sts_assume p;
	acmb_secbuf *code = NULL;
	char url[ACMB_AWS_URL_MAX], arn[ACMB_AWS_ARN_MAX];
	int r;

	if ((r = ensure_fresh(ids, s->source, err)) != ACMB_OK ||
	    (r = sts_target(ids, s->region, url, sizeof(url), &t, err)) != ACMB_OK)
		return r;
	memset(&p, 0, sizeof(p));
	p.role_arn = s->role_arn;
	p.session_name = s->session_name;
	p.external_id = s->external_id;
	p.duration_seconds = s->duration;
	if (s->mfa_serial != NULL) {
		if ((r = read_mfa_code(ids, s, &code, err)) != ACMB_OK)
			return r;
		p.mfa_serial = s->mfa_serial;
		p.mfa_code = acmb_secbuf_str(code);
	}
	acmb_aws_settings_debug(ids->settings, "credentials: AssumeRole %s (session %s%s%s) in %s",
	    s->role_arn, s->session_name, s->external_id != NULL ? ", with an external id" : "",
	    s->mfa_serial != NULL ? ", with an MFA code" : "", s->region);
	r = acmb_aws_sts_assume_role(
	    &t, &s->source->creds, &p, s->label, &s->creds, arn, sizeof(arn), err);
	acmb_secbuf_free(code);
	if (r == ACMB_OK)
		acmb_aws_settings_debug(
		    ids->settings, "credentials: assumed %s", arn[0] != '\0' ? arn : s->role_arn);
	return r;
}

static int
fetch_web_identity(struct acmb_aws_identities *ids, struct cred_set *s, acmb_err *err)
{
	struct acmb_aws_sts_target t;
	acmb_secbuf *token = NULL;
	char url[ACMB_AWS_URL_MAX], arn[ACMB_AWS_ARN_MAX];
	int r;

	if ((r = sts_target(ids, s->region, url, sizeof(url), &t, err)) != ACMB_OK ||
	    (r = read_token_file(s->token_file, &token, err)) != ACMB_OK)
		return r;
	acmb_aws_settings_debug(ids->settings,
	    "credentials: AssumeRoleWithWebIdentity %s (session %s, token from %s) in %s",
	    s->role_arn, s->session_name, s->token_file, s->region);
	r = acmb_aws_sts_assume_role_with_web_identity(&t, s->role_arn, s->session_name, token,
	    s->duration, s->label, &s->creds, arn, sizeof(arn), err);
	acmb_secbuf_free(token);
	return r;
}

static int
fetch(struct acmb_aws_identities *ids, struct cred_set *s, acmb_err *err)
{
	struct acmb_aws_credentials c;
	int found = 0, r = ACMB_E_INTERNAL;

	memset(&c, 0, sizeof(c));
	switch (s->kind) {
	case SRC_ENVIRONMENT:
	case SRC_STATIC:
		return ACMB_OK; /* set once, never refreshed */
	case SRC_PROCESS:
		r = acmb_aws_credential_process(s->command, s->profile, &c, err);
		break;
	case SRC_CONTAINER:
		if ((r = acmb_aws_credentials_container(&c, &found, err)) == ACMB_OK && !found)
			r = acmb_error(
			    err, ACMB_E_CONFIG, "the container credentials variables are gone");
		break;
	case SRC_IMDS:
		if ((r = acmb_aws_credentials_imds(&c, &found, err)) == ACMB_OK && !found)
			r = acmb_error(
			    err, ACMB_E_CONFIG, "instance metadata has no role credentials");
		break;
	case SRC_ASSUME_ROLE:
		r = fetch_assume_role(ids, s, err);
		break;
	case SRC_WEB_IDENTITY:
		r = fetch_web_identity(ids, s, err);
		break;
	case SRC_SSO:
		r = acmb_aws_sso_credentials(
		    ids->settings, &s->sso, now_of(ids), s->label, &s->creds, err);
		break;
	}
	if (r == ACMB_OK &&
	    (s->kind == SRC_PROCESS || s->kind == SRC_CONTAINER || s->kind == SRC_IMDS)) {
		/* Keep the source's own words (the role of the instance) in the
		 * label the first time. */
		if (!s->fetched && s->kind != SRC_PROCESS)
			labelf(s, "%s", c.source);
		snprintf(c.source, sizeof(c.source), "%s", s->label);
		acmb_aws_credentials_clear(&s->creds);
		s->creds = c;
		memset(&c, 0, sizeof(c));
	}
	acmb_aws_credentials_clear(&c);
	if (r != ACMB_OK)
		return r;
	ids->fetches++;
	s->fetched = 1;
	s->fetched_at = now_of(ids);
	return ACMB_OK;
}

/* The window before expiry in which s is fetched again. */
static time_t
refresh_window(const struct cred_set *s)
{
	time_t life = s->creds.expiration - s->fetched_at;

	if (life > 0 && life / 2 < ACMB_AWS_IDENTITY_REFRESH_SECONDS)
		return life / 2;
	return ACMB_AWS_IDENTITY_REFRESH_SECONDS;
}

static int
ensure_fresh(struct acmb_aws_identities *ids, struct cred_set *s, acmb_err *err)
{
	acmb_err why = {0};
	time_t now = now_of(ids), left;
	int r;

	if (!s->fetched)
		return fetch(ids, s, err);
	if (s->creds.expiration == 0)
		return ACMB_OK;
	left = s->creds.expiration - now;
	if (left >= refresh_window(s))
		return ACMB_OK;
	acmb_aws_settings_debug(ids->settings, "credentials: %s expire in %lld s: refreshing",
	    s->label, (long long)left);
	if ((r = fetch(ids, s, &why)) == ACMB_OK) {
		if (s->creds.expiration != 0 && s->creds.expiration <= now)
			return acmb_error(err, ACMB_E_CONFIG,
			    "%s: the refreshed credentials are already expired", s->label);
		return ACMB_OK;
	}
	if (left > ACMB_AWS_IDENTITY_MANDATORY_SECONDS && r != ACMB_E_INTERRUPTED) {
		acmb_aws_settings_debug(ids->settings,
		    "credentials: refresh failed, the current ones stay valid for %lld s: %s",
		    (long long)left, why.msg);
		return ACMB_OK;
	}
	if (err != NULL)
		*err = why;
	return r;
}

/* --- building the chain --- */

static int
static_keys(struct acmb_aws_identities *ids, const char *profile, enum acmb_aws_ini_style style,
    struct cred_set **out, acmb_err *err)
{
	const char *id = NULL, *secret = NULL, *token = NULL, *path;
	size_t idn = 0, secretn = 0, tokenn = 0;
	struct cred_set *s = NULL;
	char what[ACMB_AWS_CRED_SOURCE_MAX];
	int has_id, has_secret, r;

	*out = NULL;
	path = style == ACMB_AWS_INI_CREDENTIALS ? acmb_aws_settings_credentials_path(ids->settings)
	                                         : acmb_aws_settings_config_path(ids->settings);
	has_id =
	    acmb_aws_settings_get_in(ids->settings, style, profile, "aws_access_key_id", &id, &idn);
	has_secret = acmb_aws_settings_get_in(
	    ids->settings, style, profile, "aws_secret_access_key", &secret, &secretn);
	if (!has_id && !has_secret)
		return ACMB_OK;
	snprintf(what, sizeof(what), "profile %s in %s", profile, path);
	if (!has_id || !has_secret)
		return acmb_error(err, ACMB_E_CONFIG, "%s: has %s but not %s", what,
		    has_id ? "aws_access_key_id" : "aws_secret_access_key",
		    has_id ? "aws_secret_access_key" : "aws_access_key_id");
	acmb_aws_settings_get_in(
	    ids->settings, style, profile, "aws_session_token", &token, &tokenn);
	if ((s = set_new(SRC_STATIC, profile)) == NULL)
		return acmb_error(err, ACMB_E_NOMEM, "out of memory");
	if ((r = acmb_aws_credentials_set(
	         &s->creds, id, idn, secret, secretn, token, tokenn, what, err)) != ACMB_OK) {
		set_free(s);
		return r;
	}
	labelf(s, "%s", what);
	s->fetched = 1;
	*out = s;
	return ACMB_OK;
}

static int
environment_set(struct acmb_aws_identities *ids, struct cred_set **out, acmb_err *err)
{
	struct cred_set *s;
	int r;

	*out = NULL;
	if (ids->env_key_id == NULL && ids->env_secret == NULL)
		return ACMB_OK;
	if (ids->env_key_id == NULL || ids->env_secret == NULL)
		return acmb_error(err, ACMB_E_CONFIG, "environment: %s is set but %s is not",
		    ids->env_key_id != NULL ? "AWS_ACCESS_KEY_ID" : "AWS_SECRET_ACCESS_KEY",
		    ids->env_key_id != NULL ? "AWS_SECRET_ACCESS_KEY" : "AWS_ACCESS_KEY_ID");
	if ((s = set_new(SRC_ENVIRONMENT, NULL)) == NULL)
		return acmb_error(err, ACMB_E_NOMEM, "out of memory");
	labelf(s, "environment (AWS_ACCESS_KEY_ID)");
	if ((r = acmb_aws_credentials_set(&s->creds, ids->env_key_id, strlen(ids->env_key_id),
	         ids->env_secret, strlen(ids->env_secret), ids->env_token,
	         ids->env_token != NULL ? strlen(ids->env_token) : 0, s->label, err)) != ACMB_OK) {
		set_free(s);
		return r;
	}
	s->fetched = 1;
	*out = s;
	return ACMB_OK;
}

static int
default_session_name(struct acmb_aws_identities *ids, const char *prefix, char **out, acmb_err *err)
{
	char name[64];

	snprintf(name, sizeof(name), "%s-%lld", prefix, (long long)now_of(ids));
	if ((*out = strdup(name)) == NULL)
		return acmb_error(err, ACMB_E_NOMEM, "out of memory");
	return ACMB_OK;
}

/* duration_seconds as botocore takes it: an integer, else ignored. */
static long
profile_duration(struct acmb_aws_identities *ids, const char *profile)
{
	const char *v;
	char *end;
	size_t n;
	long d;

	if (!acmb_aws_settings_get(ids->settings, profile, "duration_seconds", &v, &n, NULL))
		return 0;
	d = strtol(v, &end, 10);
	if (end == v || *end != '\0' || d <= 0) {
		acmb_aws_settings_debug(ids->settings,
		    "credentials: profile %s: duration_seconds is not a number; ignored, as the "
		    "AWS CLI ignores it",
		    profile);
		return 0;
	}
	return d;
}

/* Web identity from the variables (unless env_disabled) or the profile. */
static int
web_identity_set(struct acmb_aws_identities *ids, const char *profile, int env_disabled,
    const char *region, struct cred_set **out, acmb_err *err)
{
	struct cred_set *s = NULL;
	const char *file = NULL, *v;
	size_t n;
	int r = ACMB_E_INTERNAL, from_env = 0;

	*out = NULL;
	if (!env_disabled && (file = getenv("AWS_WEB_IDENTITY_TOKEN_FILE")) != NULL &&
	    file[0] != '\0')
		from_env = 1;
	else if (acmb_aws_settings_get(
	             ids->settings, profile, "web_identity_token_file", &v, &n, NULL) &&
	         n > 0)
		file = v;
	else
		return ACMB_OK;
	if ((s = set_new(SRC_WEB_IDENTITY, profile)) == NULL ||
	    (s->token_file = strdup(file)) == NULL) {
		r = acmb_error(err, ACMB_E_NOMEM, "out of memory");
		goto out;
	}
	/* Each of the three from the variable if set, else the profile. */
	if (!env_disabled && (v = getenv("AWS_ROLE_ARN")) != NULL) {
		if ((s->role_arn = strdup(v)) == NULL) {
			r = acmb_error(err, ACMB_E_NOMEM, "out of memory");
			goto out;
		}
	} else if ((r = profile_dup(ids, profile, "role_arn", &s->role_arn, err)) != ACMB_OK) {
		goto out;
	}
	if (s->role_arn == NULL || s->role_arn[0] == '\0') {
		r = acmb_error(err, ACMB_E_CONFIG,
		    "web identity (%s) has no role ARN: set AWS_ROLE_ARN or role_arn in profile %s",
		    from_env ? "AWS_WEB_IDENTITY_TOKEN_FILE" : "web_identity_token_file", profile);
		goto out;
	}
	if (!env_disabled && (v = getenv("AWS_ROLE_SESSION_NAME")) != NULL) {
		if ((s->session_name = strdup(v)) == NULL) {
			r = acmb_error(err, ACMB_E_NOMEM, "out of memory");
			goto out;
		}
	} else if ((r = profile_dup(ids, profile, "role_session_name", &s->session_name, err)) !=
	           ACMB_OK) {
		goto out;
	}
	if (s->session_name == NULL &&
	    (r = default_session_name(ids, "botocore-session", &s->session_name, err)) != ACMB_OK)
		goto out;
	s->duration = profile_duration(ids, profile);
	snprintf(s->region, sizeof(s->region), "%s", region);
	labelf(s, "assume-role-with-web-identity %s (session %s, token file %s%s)", s->role_arn,
	    s->session_name, s->token_file, from_env ? ", from the environment" : "");
	*out = s;
	s = NULL;
	r = ACMB_OK;
out:
	set_free(s);
	return r;
}

static int
sso_set(struct acmb_aws_identities *ids, const char *profile, const char *region,
    struct cred_set **out, acmb_err *err)
{
	struct cred_set *s = NULL;
	int r, found = 0;

	*out = NULL;
	if ((s = set_new(SRC_SSO, profile)) == NULL)
		return acmb_error(err, ACMB_E_NOMEM, "out of memory");
	if ((r = acmb_aws_sso_profile_load(ids->settings, profile, &s->sso, &found, err)) !=
	        ACMB_OK ||
	    !found) {
		set_free(s);
		return r;
	}
	snprintf(s->region, sizeof(s->region), "%s", region);
	labelf(s, "sso profile %s (account %s, role %s, %s %s)", profile, s->sso.account_id,
	    s->sso.role_name, s->sso.session_name != NULL ? "sso-session" : "start URL",
	    s->sso.session_name != NULL ? s->sso.session_name : s->sso.start_url);
	*out = s;
	return ACMB_OK;
}

static int
process_set(
    struct acmb_aws_identities *ids, const char *profile, struct cred_set **out, acmb_err *err)
{
	struct cred_set *s = NULL;
	int r;

	*out = NULL;
	if (!profile_has(ids, profile, "credential_process"))
		return ACMB_OK;
	if ((s = set_new(SRC_PROCESS, profile)) == NULL)
		return acmb_error(err, ACMB_E_NOMEM, "out of memory");
	if ((r = profile_dup(ids, profile, "credential_process", &s->command, err)) != ACMB_OK) {
		set_free(s);
		return r;
	}
	if (s->command[0] == '\0') {
		set_free(s);
		return ACMB_OK;
	}
	labelf(s, "credential_process of profile %s", profile);
	*out = s;
	return ACMB_OK;
}

/* botocore's ProfileProviderBuilder.providers(): web identity, SSO, the
 * credentials file's keys, credential_process, the config file's keys. */
static int
profile_providers(struct acmb_aws_identities *ids, const char *profile, int env_disabled,
    const char *region, struct cred_set **out, acmb_err *err)
{
	int r;

	if ((r = web_identity_set(ids, profile, env_disabled, region, out, err)) != ACMB_OK ||
	    *out != NULL)
		return r;
	if (!acmb_aws_settings_has_profile(ids->settings, profile))
		return ACMB_OK;
	if ((r = sso_set(ids, profile, region, out, err)) != ACMB_OK || *out != NULL ||
	    (r = static_keys(ids, profile, ACMB_AWS_INI_CREDENTIALS, out, err)) != ACMB_OK ||
	    *out != NULL || (r = process_set(ids, profile, out, err)) != ACMB_OK || *out != NULL)
		return r;
	return static_keys(ids, profile, ACMB_AWS_INI_CONFIG, out, err);
}

static int
has_assume_role_vars(struct acmb_aws_identities *ids, const char *profile)
{
	return profile_has(ids, profile, "role_arn") &&
	       !profile_has(ids, profile, "web_identity_token_file");
}

static int
has_static_keys(struct acmb_aws_identities *ids, const char *profile)
{
	return profile_has(ids, profile, "aws_access_key_id") ||
	       profile_has(ids, profile, "aws_secret_access_key");
}

static int assume_role_profile(struct acmb_aws_identities *ids, const char *profile,
    struct visited *v, const char *region, struct cred_set **out, acmb_err *err);

static int
credential_source_set(struct acmb_aws_identities *ids, const char *profile, const char *source,
    struct cred_set **out, acmb_err *err)
{
	struct cred_set *s = NULL;
	int r = ACMB_OK, found = 0;

	*out = NULL;
	/* Canonical names are case-insensitive in botocore. */
	if (strcasecmp(source, "Environment") == 0) {
		if ((r = environment_set(ids, out, err)) != ACMB_OK)
			return r;
		found = *out != NULL;
	} else if (strcasecmp(source, "EcsContainer") == 0 ||
	           strcasecmp(source, "Ec2InstanceMetadata") == 0) {
		if ((s = set_new(strcasecmp(source, "EcsContainer") == 0 ? SRC_CONTAINER : SRC_IMDS,
		         NULL)) == NULL)
			return acmb_error(err, ACMB_E_NOMEM, "out of memory");
		r = s->kind == SRC_CONTAINER
		        ? acmb_aws_credentials_container(&s->creds, &found, err)
		        : acmb_aws_credentials_imds(&s->creds, &found, err);
		if (r != ACMB_OK || !found) {
			set_free(s);
			if (r != ACMB_OK)
				return r;
		} else {
			labelf(s, "%s", s->creds.source);
			s->fetched = 1;
			s->fetched_at = now_of(ids);
			ids->fetches++;
			*out = s;
		}
	} else {
		return acmb_error(err, ACMB_E_CONFIG,
		    "the credential source \"%s\" referenced in profile \"%s\" is not valid (use "
		    "Environment, Ec2InstanceMetadata or EcsContainer)",
		    source, profile);
	}
	if (!found)
		return acmb_error(err, ACMB_E_CONFIG,
		    "no credentials found in credential_source %s referenced in profile %s", source,
		    profile);
	return ACMB_OK;
}

/* botocore's _resolve_credentials_from_profile: a source profile. */
static int
source_profile_set(struct acmb_aws_identities *ids, const char *name, struct visited *v,
    const char *region, struct cred_set **out, acmb_err *err)
{
	int r;

	*out = NULL;
	if (has_static_keys(ids, name) || !has_assume_role_vars(ids, name)) {
		if ((r = profile_providers(ids, name, 1, region, out, err)) != ACMB_OK)
			return r;
		if (*out == NULL)
			return acmb_error(err, ACMB_E_CONFIG,
			    "the source profile \"%s\" must have credentials", name);
		return ACMB_OK;
	}
	return assume_role_profile(ids, name, v, region, out, err);
}

static int
assume_role_profile(struct acmb_aws_identities *ids, const char *profile, struct visited *v,
    const char *region, struct cred_set **out, acmb_err *err)
{
	struct cred_set *s = NULL;
	char *source_profile = NULL, *credential_source = NULL, chain[400];
	size_t i, o;
	int r = ACMB_E_INTERNAL;

	*out = NULL;
	if ((s = set_new(SRC_ASSUME_ROLE, profile)) == NULL) {
		r = acmb_error(err, ACMB_E_NOMEM, "out of memory");
		goto out;
	}
	s->owns_source = 1;
	snprintf(s->region, sizeof(s->region), "%s", region);
	if ((r = profile_dup(ids, profile, "role_arn", &s->role_arn, err)) != ACMB_OK ||
	    (r = profile_dup(ids, profile, "source_profile", &source_profile, err)) != ACMB_OK ||
	    (r = profile_dup(ids, profile, "credential_source", &credential_source, err)) !=
	        ACMB_OK ||
	    (r = profile_dup(ids, profile, "external_id", &s->external_id, err)) != ACMB_OK ||
	    (r = profile_dup(ids, profile, "mfa_serial", &s->mfa_serial, err)) != ACMB_OK ||
	    (r = profile_dup(ids, profile, "role_session_name", &s->session_name, err)) != ACMB_OK)
		goto out;
	s->duration = profile_duration(ids, profile);
	if (s->session_name == NULL &&
	    (r = default_session_name(ids, "botocore-session", &s->session_name, err)) != ACMB_OK)
		goto out;
	if (source_profile != NULL && credential_source != NULL) {
		r = acmb_error(err, ACMB_E_CONFIG,
		    "the profile \"%s\" contains both source_profile and credential_source",
		    profile);
		goto out;
	}
	if (source_profile == NULL && credential_source == NULL) {
		r = acmb_error(err, ACMB_E_CONFIG,
		    "profile %s has role_arn but neither source_profile nor credential_source",
		    profile);
		goto out;
	}
	if (credential_source != NULL) {
		if ((r = credential_source_set(ids, profile, credential_source, &s->source, err)) !=
		    ACMB_OK)
			goto out;
	} else {
		if (!acmb_aws_settings_has_profile(ids->settings, source_profile)) {
			r = acmb_error(err, ACMB_E_CONFIG,
			    "the source_profile \"%s\" referenced in the profile \"%s\" does not "
			    "exist",
			    source_profile, profile);
			goto out;
		}
		for (i = 0; i < v->n; i++)
			if (strcmp(v->name[i], source_profile) == 0)
				break;
		/* A profile may name itself to take its own static keys. */
		if (i < v->n && (strcmp(source_profile, profile) != 0 ||
		                    !has_static_keys(ids, source_profile))) {
			for (i = 0, o = 0; i < v->n && o < sizeof(chain); i++)
				o += (size_t)snprintf(
				    chain + o, sizeof(chain) - o, "%s -> ", v->name[i]);
			if (o < sizeof(chain))
				snprintf(chain + o, sizeof(chain) - o, "%s", source_profile);
			r = acmb_error(err, ACMB_E_CONFIG,
			    "infinite loop in the source_profile chain: profile %s was already "
			    "visited (%s)",
			    source_profile, chain);
			goto out;
		}
		if (v->n == ACMB_AWS_IDENTITY_CHAIN_MAX) {
			r = acmb_error(err, ACMB_E_CONFIG,
			    "the source_profile chain of profile %s is longer than %d profiles",
			    profile, ACMB_AWS_IDENTITY_CHAIN_MAX);
			goto out;
		}
		v->name[v->n++] = source_profile;
		r = source_profile_set(ids, source_profile, v, region, &s->source, err);
		v->n--;
		if (r != ACMB_OK)
			goto out;
	}
	labelf(s, "assume-role %s (profile %s, session %s) from %s", s->role_arn, profile,
	    s->session_name, s->source->label);
	*out = s;
	s = NULL;
	r = ACMB_OK;
out:
	free(source_profile);
	free(credential_source);
	set_free(s);
	return r;
}

/* The whole chain for profile (the run's, or one named as --profile). */
static int
resolve_chain(struct acmb_aws_identities *ids, const char *profile, int env_disabled,
    const char *region, struct cred_set **out, acmb_err *err)
{
	struct visited v;
	struct cred_set *s = NULL;
	int r, found = 0;

	*out = NULL;
	memset(&v, 0, sizeof(v));
	if (!env_disabled && ((r = environment_set(ids, out, err)) != ACMB_OK || *out != NULL))
		return r;
	if (acmb_aws_settings_has_profile(ids->settings, profile) &&
	    has_assume_role_vars(ids, profile)) {
		v.name[v.n++] = profile;
		return assume_role_profile(ids, profile, &v, region, out, err);
	}
	if ((r = profile_providers(ids, profile, env_disabled, region, out, err)) != ACMB_OK ||
	    *out != NULL)
		return r;
	/* The container endpoint and instance metadata answer now or never. */
	if ((s = set_new(SRC_CONTAINER, NULL)) == NULL)
		return acmb_error(err, ACMB_E_NOMEM, "out of memory");
	if ((r = acmb_aws_credentials_container(&s->creds, &found, err)) == ACMB_OK && !found) {
		s->kind = SRC_IMDS;
		r = acmb_aws_credentials_imds(&s->creds, &found, err);
	}
	if (r != ACMB_OK || !found) {
		set_free(s);
		if (r != ACMB_OK)
			return r;
		return acmb_error(err, ACMB_E_CONFIG,
		    "no AWS credentials found (tried the environment, profile %s in %s and %s, "
		    "the container endpoint and instance metadata): set AWS_ACCESS_KEY_ID and "
		    "AWS_SECRET_ACCESS_KEY, or use --profile",
		    profile,
		    acmb_aws_settings_credentials_path(ids->settings)[0] != '\0'
		        ? acmb_aws_settings_credentials_path(ids->settings)
		        : "(no credentials file)",
		    acmb_aws_settings_config_path(ids->settings)[0] != '\0'
		        ? acmb_aws_settings_config_path(ids->settings)
		        : "(no config file)");
	}
	labelf(s, "%s", s->creds.source);
	s->fetched = 1;
	s->fetched_at = now_of(ids);
	ids->fetches++;
	*out = s;
	return ACMB_OK;
}

/* --- the cache --- */

static int
same(const char *a, const char *b)
{
	return (a == NULL && b == NULL) || (a != NULL && b != NULL && strcmp(a, b) == 0);
}

static struct cred_set *
cache_find(struct acmb_aws_identities *ids, const struct acmb_aws_identity_key *k)
{
	size_t i;

	for (i = 0; i < ids->ncache; i++)
		if (same(ids->cache[i].profile, k->profile) &&
		    same(ids->cache[i].role_arn, k->role_arn) &&
		    same(ids->cache[i].external_id, k->external_id))
			return ids->cache[i].set;
	return NULL;
}

static int
cache_add(struct acmb_aws_identities *ids, const struct acmb_aws_identity_key *k,
    struct cred_set *s, acmb_err *err)
{
	struct cache_entry *e, *ne;
	size_t cap;

	if (ids->ncache == ids->capcache) {
		cap = ids->capcache == 0 ? 4 : ids->capcache * 2;
		if ((ne = reallocarray(ids->cache, cap, sizeof(*ne))) == NULL)
			return acmb_error(err, ACMB_E_NOMEM, "out of memory");
		ids->cache = ne;
		ids->capcache = cap;
	}
	e = &ids->cache[ids->ncache];
	memset(e, 0, sizeof(*e));
	if ((k->profile != NULL && (e->profile = strdup(k->profile)) == NULL) ||
	    (k->role_arn != NULL && (e->role_arn = strdup(k->role_arn)) == NULL) ||
	    (k->external_id != NULL && (e->external_id = strdup(k->external_id)) == NULL)) {
		free(e->profile);
		free(e->role_arn);
		free(e->external_id);
		return acmb_error(err, ACMB_E_NOMEM, "out of memory");
	}
	e->set = s;
	ids->ncache++;
	return ACMB_OK;
}

static int
role_arn_ok(const char *arn)
{
	size_t i, n = strlen(arn);

	/* STS's arnType: 20 to 2048 printable characters; a full check is STS's. */
	if (n < 20 || n > 2048 || strncmp(arn, "arn:", 4) != 0)
		return 0;
	for (i = 0; i < n; i++)
		if ((unsigned char)arn[i] <= 0x20 || arn[i] == 0x7f)
			return 0;
	return 1;
}

static int
lookup(struct acmb_aws_identities *ids, const struct acmb_aws_identity_key *key, const char *region,
    struct cred_set **out, acmb_err *err)
{
	struct acmb_aws_identity_key base = {key->profile, NULL, NULL};
	struct cred_set *s = NULL, *src = NULL;
	const char *profile;
	int r = ACMB_E_INTERNAL;

	*out = NULL;
	if ((s = cache_find(ids, key)) != NULL) {
		*out = s;
		return ACMB_OK;
	}
	if (key->role_arn != NULL) {
		if (!role_arn_ok(key->role_arn))
			return acmb_error(err, ACMB_E_CONFIG,
			    "role ARN '%.100s' is not an ARN (arn:aws:iam::ACCOUNT:role/NAME)",
			    key->role_arn);
		if ((r = lookup(ids, &base, region, &src, err)) != ACMB_OK)
			return r;
		if ((s = set_new(SRC_ASSUME_ROLE, key->profile)) == NULL ||
		    (s->role_arn = strdup(key->role_arn)) == NULL ||
		    (key->external_id != NULL &&
		        (s->external_id = strdup(key->external_id)) == NULL)) {
			r = acmb_error(err, ACMB_E_NOMEM, "out of memory");
			goto out;
		}
		s->source = src; /* the cache owns it */
		snprintf(s->region, sizeof(s->region), "%s", region);
		if ((r = default_session_name(ids, "acmbridge", &s->session_name, err)) != ACMB_OK)
			goto out;
		labelf(s, "assume-role %s (session %s%s) from %s", s->role_arn, s->session_name,
		    s->external_id != NULL ? ", external id" : "", src->label);
	} else {
		if (key->profile != NULL &&
		    !acmb_aws_settings_has_profile(ids->settings, key->profile)) {
			r = acmb_error(err, ACMB_E_CONFIG, "profile '%s' was not found in %s or %s",
			    key->profile, acmb_aws_settings_config_path(ids->settings),
			    acmb_aws_settings_credentials_path(ids->settings));
			goto out;
		}
		profile =
		    key->profile != NULL ? key->profile : acmb_aws_settings_profile(ids->settings);
		if ((r = resolve_chain(ids, profile,
		         key->profile != NULL || acmb_aws_settings_profile_explicit(ids->settings),
		         region, &s, err)) != ACMB_OK)
			goto out;
	}
	if ((r = cache_add(ids, key, s, err)) != ACMB_OK)
		goto out;
	acmb_aws_settings_debug(ids->settings, "credentials: %s", s->label);
	*out = s;
	s = NULL;
	r = ACMB_OK;
out:
	set_free(s);
	return r;
}

int
acmb_aws_identities_get(struct acmb_aws_identities *ids, const struct acmb_aws_identity_key *key,
    const char *region, struct acmb_aws_credentials *out, acmb_err *err)
{
	static const struct acmb_aws_identity_key run = {NULL, NULL, NULL};
	struct cred_set *s = NULL;
	int r;

	acmb_aws_credentials_clear(out);
	if (key == NULL)
		key = &run;
	if ((r = lookup(ids, key, region, &s, err)) != ACMB_OK ||
	    (r = ensure_fresh(ids, s, err)) != ACMB_OK)
		return r;
	if ((r = acmb_aws_credentials_copy(out, &s->creds, err)) != ACMB_OK)
		return r;
	snprintf(out->source, sizeof(out->source), "%s", s->label);
	return ACMB_OK;
}
