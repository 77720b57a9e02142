#include "aws-sso.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <jansson.h>
#include <openssl/evp.h>

#include "aws-transport.h"
#include "init.h"

#define PATH_MAX_LEN 4096
#define SSO_ANSWER_MAX ((size_t)64 << 10)
#define SSO_MESSAGE_MAX 400

void
acmb_aws_sso_profile_clear(struct acmb_aws_sso_profile *p)
{
	free(p->profile);
	free(p->session_name);
	free(p->start_url);
	free(p->sso_region);
	free(p->account_id);
	free(p->role_name);
	memset(p, 0, sizeof(*p));
}

static int
get_dup(const struct acmb_aws_settings *s, enum acmb_aws_ini_style style, const char *name,
    const char *key, char **out, acmb_err *err)
{
	const char *v;
	size_t n;

	*out = NULL;
	if (!(style == ACMB_AWS_INI_CONFIG ? acmb_aws_settings_get(s, name, key, &v, &n, NULL)
	                                   : acmb_aws_settings_get_in(s, style, name, key, &v, &n)))
		return ACMB_OK;
	if ((*out = strndup(v, n)) == NULL)
		return acmb_error(err, ACMB_E_NOMEM, "out of memory");
	return ACMB_OK;
}

/* A key of the profile, merged with the sso-session's as botocore does:
 * both set and different is an error. */
static int
merged(const struct acmb_aws_settings *s, const char *profile, const char *session, const char *key,
    char **out, acmb_err *err)
{
	char *a = NULL, *b = NULL;
	int r;

	*out = NULL;
	if ((r = get_dup(s, ACMB_AWS_INI_CONFIG, profile, key, &a, err)) != ACMB_OK)
		return r;
	if (session != NULL &&
	    (r = get_dup(s, ACMB_AWS_INI_SSO_SESSION, session, key, &b, err)) != ACMB_OK) {
		free(a);
		return r;
	}
	if (a != NULL && b != NULL && strcmp(a, b) != 0) {
		r = acmb_error(err, ACMB_E_CONFIG,
		    "the value for %s is inconsistent between profile %s (%s) and sso-session %s "
		    "(%s)",
		    key, profile, a, session, b);
		free(a);
		free(b);
		return r;
	}
	*out = b != NULL ? b : a;
	if (b != NULL)
		free(a);
	return ACMB_OK;
}

int
acmb_aws_sso_profile_load(const struct acmb_aws_settings *s, const char *profile,
    struct acmb_aws_sso_profile *out, int *found, acmb_err *err)
{
	const char *v;
	char missing[200];
	size_t n, o = 0;
	int r = ACMB_E_INTERNAL;

	memset(out, 0, sizeof(*out));
	*found = 0;
	/* botocore: sso_role_name or sso_account_id select this provider. */
	if (!acmb_aws_settings_get(s, profile, "sso_role_name", &v, &n, NULL) &&
	    !acmb_aws_settings_get(s, profile, "sso_account_id", &v, &n, NULL))
		return ACMB_OK;
	if ((out->profile = strdup(profile)) == NULL) {
		r = acmb_error(err, ACMB_E_NOMEM, "out of memory");
		goto out;
	}
	if ((r = get_dup(s, ACMB_AWS_INI_CONFIG, profile, "sso_session", &out->session_name,
	         err)) != ACMB_OK)
		goto out;
	if (out->session_name != NULL && !acmb_aws_settings_has_sso_session(s, out->session_name)) {
		r = acmb_error(err, ACMB_E_CONFIG,
		    "profile %s: the specified sso-session does not exist: \"%s\" (no "
		    "[sso-session %s] in %s)",
		    profile, out->session_name, out->session_name,
		    acmb_aws_settings_config_path(s));
		goto out;
	}
	if ((r = merged(s, profile, out->session_name, "sso_start_url", &out->start_url, err)) !=
	        ACMB_OK ||
	    (r = merged(s, profile, out->session_name, "sso_region", &out->sso_region, err)) !=
	        ACMB_OK ||
	    (r = get_dup(s, ACMB_AWS_INI_CONFIG, profile, "sso_account_id", &out->account_id,
	         err)) != ACMB_OK ||
	    (r = get_dup(s, ACMB_AWS_INI_CONFIG, profile, "sso_role_name", &out->role_name, err)) !=
	        ACMB_OK)
		goto out;
	missing[0] = '\0';
#define NEED(field, name)                                                                          \
	if (out->field == NULL && o < sizeof(missing))                                             \
		o += (size_t)snprintf(                                                             \
		    missing + o, sizeof(missing) - o, "%s%s", o > 0 ? ", " : "", name);
	NEED(role_name, "sso_role_name")
	NEED(account_id, "sso_account_id")
	NEED(start_url, "sso_start_url")
	NEED(sso_region, "sso_region")
#undef NEED
	if (missing[0] != '\0') {
		r = acmb_error(err, ACMB_E_CONFIG,
		    "the profile \"%s\" is configured to use SSO but is missing required "
		    "configuration: %s",
		    profile, missing);
		goto out;
	}
	if (!acmb_aws_region_ok(out->sso_region)) {
		r = acmb_error(err, ACMB_E_CONFIG,
		    "profile %s: sso_region '%s' is not a region name", profile, out->sso_region);
		goto out;
	}
	*found = 1;
	r = ACMB_OK;
out:
	if (r != ACMB_OK)
		acmb_aws_sso_profile_clear(out);
	return r;
}

void
acmb_aws_sso_cache_name(const char *key, char *buf, size_t len)
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int mdlen = 0, i;
	size_t o = 0;

	buf[0] = '\0';
	if (EVP_Digest(key, strlen(key), md, &mdlen, EVP_sha1(), NULL) != 1)
		return;
	for (i = 0; i < mdlen && o + 3 < len; i++)
		o += (size_t)snprintf(buf + o, len - o, "%02x", md[i]);
	snprintf(buf + o, len - o, ".json");
}

static int
cache_path(const struct acmb_aws_sso_profile *p, char *buf, size_t len, char *dir, size_t dirlen,
    acmb_err *err)
{
	char home[PATH_MAX_LEN], name[64];

	if (!acmb_aws_settings_home(home, sizeof(home)))
		return acmb_error(err, ACMB_E_AWS,
		    "no home directory to find the SSO login cache in: run `aws sso login "
		    "--profile %s` as this user",
		    p->profile);
	acmb_aws_sso_cache_name(
	    p->session_name != NULL ? p->session_name : p->start_url, name, sizeof(name));
	if ((size_t)snprintf(dir, dirlen, "%s/.aws/sso/cache", home) >= dirlen ||
	    (size_t)snprintf(buf, len, "%s/%s", dir, name) >= len)
		return acmb_error(err, ACMB_E_CONFIG, "the SSO cache path is too long");
	return ACMB_OK;
}

static int
login_needed(acmb_err *err, const struct acmb_aws_sso_profile *p, const char *why)
{
	return acmb_error(err, ACMB_E_AWS, "SSO profile %s: %s; run `aws sso login --profile %s`",
	    p->profile, why, p->profile);
}

/* The cached token file, into the secure heap; *doc NULL when missing. */
static int
read_cache(const char *path, acmb_secbuf **doc, acmb_err *err)
{
	acmb_secbuf *b = NULL;
	unsigned char *dst;
	size_t want;
	ssize_t got;
	int fd, r = ACMB_E_INTERNAL;

	*doc = NULL;
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0) {
		if (errno == ENOENT)
			return ACMB_OK;
		return acmb_error(err, ACMB_E_CONFIG, "SSO cache %s: %s", path, strerror(errno));
	}
	if ((b = acmb_secbuf_new(ACMB_AWS_SSO_CACHE_MAX)) == NULL) {
		r = acmb_error(err, ACMB_E_NOMEM, "out of secure memory");
		goto out;
	}
	for (;;) {
		/* Room for exactly what is read: never more than reserved. */
		want = acmb_secbuf_max(b) - acmb_secbuf_len(b);
		if (want > 4096)
			want = 4096;
		if (want == 0 || (dst = acmb_secbuf_reserve(b, want)) == NULL) {
			r = acmb_error(err, ACMB_E_CONFIG, "SSO cache %s is larger than %zu bytes",
			    path, ACMB_AWS_SSO_CACHE_MAX);
			goto out;
		}
		got = read(fd, dst, want);
		if (got < 0 && errno == EINTR)
			continue;
		if (got < 0) {
			r = acmb_error(
			    err, ACMB_E_CONFIG, "SSO cache %s: %s", path, strerror(errno));
			goto out;
		}
		if (got == 0)
			break;
		acmb_secbuf_commit(b, (size_t)got);
	}
	*doc = b;
	b = NULL;
	r = ACMB_OK;
out:
	acmb_secbuf_free(b);
	close(fd);
	return r;
}

static void
clean_copy(const char *in, char *out, size_t outlen)
{
	size_t o = 0;

	for (; *in != '\0' && o + 1 < outlen; in++)
		out[o++] = ((unsigned char)*in < 0x20 || *in == 0x7f) ? ' ' : *in;
	out[o] = '\0';
}

static const char *
jstr(json_t *o, const char *name)
{
	json_t *v = json_object_get(o, name);

	return json_is_string(v) && json_string_length(v) > 0 ? json_string_value(v) : NULL;
}

/* A JSON string of n bytes into b, escaped; for secrets (written by hand so
 * that no copy is made outside the secure heap). */
static int
put_json_string(acmb_secbuf *b, const char *s, size_t n)
{
	char esc[8];
	size_t i;

	if (acmb_secbuf_put(b, "\"", 1) != ACMB_OK)
		return ACMB_E_TOO_BIG;
	for (i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];

		if (c == '"' || c == '\\') {
			esc[0] = '\\';
			esc[1] = (char)c;
			if (acmb_secbuf_put(b, esc, 2) != ACMB_OK)
				return ACMB_E_TOO_BIG;
		} else if (c < 0x20) {
			snprintf(esc, sizeof(esc), "\\u%04x", c);
			if (acmb_secbuf_put(b, esc, 6) != ACMB_OK)
				return ACMB_E_TOO_BIG;
		} else if (acmb_secbuf_put(b, &s[i], 1) != ACMB_OK) {
			return ACMB_E_TOO_BIG;
		}
	}
	return acmb_secbuf_put(b, "\"", 1) == ACMB_OK ? ACMB_OK : ACMB_E_TOO_BIG;
}

static int
put_member(acmb_secbuf *b, int first, const char *name, const char *value)
{
	if ((!first && acmb_secbuf_put(b, ", ", 2) != ACMB_OK) ||
	    put_json_string(b, name, strlen(name)) != ACMB_OK ||
	    acmb_secbuf_put(b, ": ", 2) != ACMB_OK ||
	    put_json_string(b, value, strlen(value)) != ACMB_OK)
		return ACMB_E_TOO_BIG;
	return ACMB_OK;
}

/* One unsigned REST-JSON request with the standard retries; ans holds a
 * 2xx answer on ACMB_OK, else code and message say why (ACMB_E_AWS). */
static int
rest_call(const struct acmb_aws_settings *s, const char *what, const char *method, const char *url,
    const char *const *headers, const acmb_secbuf *body, struct acmb_aws_answer *ans, char *code,
    size_t codelen, char *message, size_t msglen, acmb_err *err)
{
	const struct acmb_aws_transport *t = acmb_aws_settings_transport(s);
	struct acmb_aws_request req;
	json_t *j = NULL;
	json_error_t jerr;
	const char *m;
	int attempt, max = t->max_attempts > 0 ? t->max_attempts : 1, r;
	double delay;

	memset(&req, 0, sizeof(req));
	req.method = method;
	req.url = url;
	req.headers = headers;
	if (body != NULL) {
		req.body = acmb_secbuf_str(body);
		req.body_len = acmb_secbuf_len(body);
	}
	req.transport = t;
	req.max = SSO_ANSWER_MAX;
	req.secret_answer = 1;
	for (attempt = 1;; attempt++) {
		code[0] = message[0] = '\0';
		acmb_aws_transport_debug(
		    t, "%s: %s %s (attempt %d of %d)", what, method, url, attempt, max);
		if ((r = acmb_aws_transport_perform(&req, ans, err)) != ACMB_OK)
			return r;
		if (ans->transfer == ACMB_AWS_TRANSFER_INTERRUPTED)
			return acmb_error(err, ACMB_E_INTERRUPTED, "%s: interrupted", what);
		if (ans->transfer == ACMB_AWS_TRANSFER_TLS)
			return acmb_error(err, ACMB_E_TLS,
			    "%s: the TLS certificate of %s could not be verified (curl: %s)", what,
			    url, ans->error);
		if (ans->transfer == ACMB_AWS_TRANSFER_OK) {
			acmb_aws_transport_debug(t, "< HTTP %ld, request id %s", ans->status,
			    ans->request_id[0] != '\0' ? ans->request_id : "(none)");
			if (ans->status >= 200 && ans->status < 300)
				return ACMB_OK;
			/* {"message": ...} or OAuth's {"error", "error_description"}. */
			if ((j = json_loadb(acmb_secbuf_str(ans->body), acmb_secbuf_len(ans->body),
			         0, &jerr)) != NULL &&
			    json_is_object(j)) {
				if ((m = jstr(j, "error")) != NULL && code[0] == '\0')
					snprintf(code, codelen, "%s", m);
				if ((m = jstr(j, "message")) != NULL ||
				    (m = jstr(j, "Message")) != NULL ||
				    (m = jstr(j, "error_description")) != NULL)
					clean_copy(m, message, msglen);
			}
			json_decref(j);
			j = NULL;
			if (ans->error_type[0] != '\0')
				acmb_aws_error_code_normalize(ans->error_type, code, codelen);
			if (code[0] == '\0')
				snprintf(code, codelen, "HTTP%ld", ans->status);
			if (acmb_aws_retry_classify(ans->status, code) == ACMB_AWS_NO_RETRY ||
			    attempt >= max)
				return ACMB_E_AWS;
		} else if (attempt >= max) {
			return acmb_error(err, ACMB_E_NETWORK, "%s: cannot reach %s (curl: %s)",
			    what, url, ans->error);
		}
		delay = acmb_aws_backoff_pick(attempt);
		acmb_aws_backoff_wait(t, delay);
	}
}

/* Rewrites the cache file as botocore's SSOTokenProvider does after a
 * refresh (JSONFileCache: a temporary file in the same directory, mode 0600,
 * fsync, rename over the old one). */
static int
write_cache(const char *dir, const char *path, const struct acmb_aws_sso_profile *p,
    const char *access, time_t expires, json_t *old, const char *refresh, acmb_err *err)
{
	acmb_secbuf *b = NULL;
	char tmp[PATH_MAX_LEN + 16], when[32];
	struct tm tm;
	const unsigned char *q;
	size_t left;
	ssize_t n;
	int fd = -1, r = ACMB_E_INTERNAL;

	gmtime_r(&expires, &tm);
	strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%SZ", &tm);
	if ((b = acmb_secbuf_new(ACMB_AWS_SSO_CACHE_MAX)) == NULL) {
		r = acmb_error(err, ACMB_E_NOMEM, "out of secure memory");
		goto out;
	}
	if (acmb_secbuf_put(b, "{", 1) != ACMB_OK ||
	    put_member(b, 1, "startUrl", p->start_url) != ACMB_OK ||
	    put_member(b, 0, "region", p->sso_region) != ACMB_OK ||
	    put_member(b, 0, "accessToken", access) != ACMB_OK ||
	    put_member(b, 0, "expiresAt", when) != ACMB_OK ||
	    put_member(b, 0, "clientId", jstr(old, "clientId")) != ACMB_OK ||
	    put_member(b, 0, "clientSecret", jstr(old, "clientSecret")) != ACMB_OK ||
	    put_member(b, 0, "registrationExpiresAt", jstr(old, "registrationExpiresAt")) !=
	        ACMB_OK ||
	    (refresh != NULL && put_member(b, 0, "refreshToken", refresh) != ACMB_OK) ||
	    acmb_secbuf_put(b, "}", 1) != ACMB_OK) {
		r = acmb_error(err, ACMB_E_CONFIG, "the refreshed SSO token is too large to cache");
		goto out;
	}
	snprintf(tmp, sizeof(tmp), "%s/acmbXXXXXX.tmp", dir);
	if ((fd = mkstemps(tmp, 4)) < 0) {
		r = acmb_error(err, ACMB_E_CONFIG, "cannot write the SSO cache in %s: %s", dir,
		    strerror(errno));
		goto out;
	}
	for (q = acmb_secbuf_ptr(b), left = acmb_secbuf_len(b); left > 0; q += n, left -= (size_t)n)
		if ((n = write(fd, q, left)) <= 0 && errno != EINTR)
			break;
		else if (n < 0)
			n = 0;
	if (left > 0 || fsync(fd) != 0 || close(fd) != 0) {
		fd = -1;
		unlink(tmp);
		r = acmb_error(err, ACMB_E_CONFIG, "cannot write the SSO cache %s", tmp);
		goto out;
	}
	fd = -1;
	if (rename(tmp, path) != 0) {
		unlink(tmp);
		r = acmb_error(err, ACMB_E_CONFIG, "cannot replace the SSO cache %s: %s", path,
		    strerror(errno));
		goto out;
	}
	r = ACMB_OK;
out:
	if (fd >= 0) {
		close(fd);
		unlink(tmp);
	}
	acmb_secbuf_free(b);
	return r;
}

/* sso-oidc CreateToken with the refresh token; on success *access (and
 * *refresh, if the answer has a new one) are new secure strings. */
static int
create_token(const struct acmb_aws_settings *s, const struct acmb_aws_sso_profile *p, json_t *tok,
    char **access, char **refresh, long *expires_in, acmb_err *err)
{
	const char *headers[] = {"Content-Type: application/json", NULL};
	struct acmb_aws_answer ans;
	acmb_secbuf *body = NULL;
	json_t *j = NULL, *e;
	json_error_t jerr;
	char base[ACMB_AWS_URL_MAX], url[ACMB_AWS_URL_MAX + 16], code[ACMB_AWS_ERROR_CODE_MAX],
	    msg[SSO_MESSAGE_MAX];
	const char *a, *rt;
	int r = ACMB_E_INTERNAL;

	*access = *refresh = NULL;
	memset(&ans, 0, sizeof(ans));
	if ((r = acmb_aws_settings_endpoint(s, &acmb_aws_service_sso_oidc, p->sso_region, NULL,
	         base, sizeof(base), err)) != ACMB_OK)
		goto out;
	snprintf(
	    url, sizeof(url), "%s%s", base, base[strlen(base) - 1] == '/' ? "token" : "/token");
	if ((body = acmb_secbuf_new(ACMB_AWS_SSO_CACHE_MAX)) == NULL ||
	    acmb_secbuf_put(body, "{", 1) != ACMB_OK ||
	    put_member(body, 1, "clientId", jstr(tok, "clientId")) != ACMB_OK ||
	    put_member(body, 0, "clientSecret", jstr(tok, "clientSecret")) != ACMB_OK ||
	    put_member(body, 0, "grantType", "refresh_token") != ACMB_OK ||
	    put_member(body, 0, "refreshToken", jstr(tok, "refreshToken")) != ACMB_OK ||
	    acmb_secbuf_put(body, "}", 1) != ACMB_OK) {
		r = acmb_error(err, ACMB_E_NOMEM, "out of secure memory");
		goto out;
	}
	if ((r = rest_call(s, "SSO-OIDC CreateToken", "POST", url, headers, body, &ans, code,
	         sizeof(code), msg, sizeof(msg), err)) != ACMB_OK) {
		if (r == ACMB_E_AWS)
			r = acmb_error(err, ACMB_E_AWS, "SSO-OIDC CreateToken: %s: %s", code,
			    msg[0] != '\0' ? msg : "(no message)");
		goto out;
	}
	/* jansson's copies live in its heap, which acmb_init() made the wiping
	 * allocator; the object is freed right here. */
	if ((j = json_loadb(acmb_secbuf_str(ans.body), acmb_secbuf_len(ans.body), 0, &jerr)) ==
	        NULL ||
	    (a = jstr(j, "accessToken")) == NULL ||
	    !json_is_integer(e = json_object_get(j, "expiresIn"))) {
		r = acmb_error(err, ACMB_E_AWS,
		    "SSO-OIDC CreateToken: the answer has no accessToken "
		    "or expiresIn");
		goto out;
	}
	*expires_in = (long)json_integer_value(e);
	rt = jstr(j, "refreshToken");
	if ((*access = acmb_secstr_dup(a, strlen(a))) == NULL ||
	    (rt != NULL && (*refresh = acmb_secstr_dup(rt, strlen(rt))) == NULL)) {
		acmb_secstr_free(*access);
		*access = NULL;
		r = acmb_error(err, ACMB_E_NOMEM, "out of secure memory");
		goto out;
	}
	r = ACMB_OK;
out:
	json_decref(j);
	acmb_aws_answer_clear(&ans);
	acmb_secbuf_free(body);
	return r;
}

/* The access token to use, refreshed when due and possible. */
static int
access_token(const struct acmb_aws_settings *s, const struct acmb_aws_sso_profile *p, time_t now,
    char **token, acmb_err *err)
{
	acmb_secbuf *doc = NULL;
	json_t *j = NULL;
	json_error_t jerr;
	acmb_err why = {0};
	char path[PATH_MAX_LEN + 64], dir[PATH_MAX_LEN], *fresh = NULL, *refresh = NULL;
	const char *a, *exp_s, *reg_s;
	time_t exp = 0, reg = 0;
	long expires_in = 0;
	int r = ACMB_E_INTERNAL, refreshable;

	*token = NULL;
	if ((r = cache_path(p, path, sizeof(path), dir, sizeof(dir), err)) != ACMB_OK ||
	    (r = read_cache(path, &doc, err)) != ACMB_OK)
		goto out;
	if (doc == NULL) {
		r = login_needed(err, p, "there is no cached SSO login");
		goto out;
	}
	if ((j = json_loadb(acmb_secbuf_str(doc), acmb_secbuf_len(doc), 0, &jerr)) == NULL ||
	    !json_is_object(j) || (a = jstr(j, "accessToken")) == NULL ||
	    (exp_s = jstr(j, "expiresAt")) == NULL || acmb_aws_parse_time(exp_s, &exp) != 0) {
		r = login_needed(err, p, "the cached SSO login is not readable");
		goto out;
	}
	if (exp - now < ACMB_AWS_SSO_REFRESH_SECONDS && p->session_name != NULL) {
		refreshable = jstr(j, "refreshToken") != NULL && jstr(j, "clientId") != NULL &&
		              jstr(j, "clientSecret") != NULL &&
		              (reg_s = jstr(j, "registrationExpiresAt")) != NULL &&
		              acmb_aws_parse_time(reg_s, &reg) == 0 && reg > now;
		if (!refreshable) {
			acmb_aws_transport_debug(acmb_aws_settings_transport(s),
			    "credentials: the SSO token of %s cannot be refreshed (no refresh "
			    "token "
			    "or client registration)",
			    p->session_name);
		} else if (create_token(s, p, j, &fresh, &refresh, &expires_in, &why) == ACMB_OK) {
			exp = now + expires_in;
			if ((r = write_cache(dir, path, p, fresh, exp, j,
			         refresh != NULL ? refresh : jstr(j, "refreshToken"), err)) !=
			    ACMB_OK)
				goto out;
			acmb_aws_transport_debug(acmb_aws_settings_transport(s),
			    "credentials: SSO token of %s refreshed and cached again",
			    p->session_name);
			a = fresh;
		} else {
			acmb_aws_transport_debug(acmb_aws_settings_transport(s),
			    "credentials: SSO token refresh failed: %s", why.msg);
		}
		if (exp <= now) {
			r = login_needed(err, p,
			    !refreshable ? "the cached SSO login has expired and holds no refresh "
			                   "token"
			                 : "the cached SSO login has expired and could not be "
			                   "refreshed");
			goto out;
		}
	} else if (exp <= now) {
		r = login_needed(err, p, "the cached SSO login has expired");
		goto out;
	}
	if ((*token = acmb_secstr_dup(a, strlen(a))) == NULL) {
		r = acmb_error(err, ACMB_E_NOMEM, "out of secure memory");
		goto out;
	}
	r = ACMB_OK;
out:
	json_decref(j);
	acmb_secstr_free(fresh);
	acmb_secstr_free(refresh);
	acmb_secbuf_free(doc);
	return r;
}

static void
url_encode(const char *in, char *out, size_t len)
{
	static const char hex[] = "0123456789ABCDEF";
	size_t o = 0;
	unsigned char c;

	for (; *in != '\0' && o + 4 < len; in++) {
		c = (unsigned char)*in;
		if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
		    c == '-' || c == '_' || c == '.' || c == '~') {
			out[o++] = (char)c;
		} else {
			out[o++] = '%';
			out[o++] = hex[c >> 4];
			out[o++] = hex[c & 15];
		}
	}
	out[o] = '\0';
}

int
acmb_aws_sso_credentials(const struct acmb_aws_settings *s, const struct acmb_aws_sso_profile *p,
    time_t now, const char *what, struct acmb_aws_credentials *out, acmb_err *err)
{
	const char *headers[2] = {NULL, NULL};
	struct acmb_aws_answer ans;
	acmb_secbuf *hdr = NULL;
	json_t *j = NULL, *rc, *e;
	json_error_t jerr;
	char *token = NULL, base[ACMB_AWS_URL_MAX], url[ACMB_AWS_URL_MAX + 600], role[300],
	     account[100], code[ACMB_AWS_ERROR_CODE_MAX], msg[SSO_MESSAGE_MAX];
	const char *id, *secret, *session;
	int r = ACMB_E_INTERNAL;

	memset(&ans, 0, sizeof(ans));
	if ((r = access_token(s, p, now, &token, err)) != ACMB_OK ||
	    (r = acmb_aws_settings_endpoint(s, &acmb_aws_service_sso, p->sso_region, NULL, base,
	         sizeof(base), err)) != ACMB_OK)
		goto out;
	url_encode(p->role_name, role, sizeof(role));
	url_encode(p->account_id, account, sizeof(account));
	snprintf(url, sizeof(url), "%s%sfederation/credentials?role_name=%s&account_id=%s", base,
	    base[strlen(base) - 1] == '/' ? "" : "/", role, account);
	if ((hdr = acmb_secbuf_new(strlen(token) + 64)) == NULL ||
	    acmb_secbuf_put(hdr, "x-amz-sso_bearer_token: ", 24) != ACMB_OK ||
	    acmb_secbuf_put(hdr, token, strlen(token)) != ACMB_OK) {
		r = acmb_error(err, ACMB_E_NOMEM, "out of secure memory");
		goto out;
	}
	headers[0] = acmb_secbuf_str(hdr);
	if ((r = rest_call(s, "SSO GetRoleCredentials", "GET", url, headers, NULL, &ans, code,
	         sizeof(code), msg, sizeof(msg), err)) != ACMB_OK) {
		if (r != ACMB_E_AWS)
			goto out;
		if (ans.status == 401 || strcmp(code, "UnauthorizedException") == 0)
			r = login_needed(err, p, "the SSO portal refused the cached login");
		else
			r = acmb_error(err, ACMB_E_AWS, "SSO GetRoleCredentials: %s: %s — %s", code,
			    msg[0] != '\0' ? msg : "(no message)",
			    strcmp(code, "ForbiddenException") == 0
			        ? "the user may not use this account and role (sso_account_id, "
			          "sso_role_name)"
			        : "see the portal's message");
		goto out;
	}
	/* jansson's copies live in its wiping heap and are freed here. */
	if ((j = json_loadb(acmb_secbuf_str(ans.body), acmb_secbuf_len(ans.body), 0, &jerr)) ==
	        NULL ||
	    !json_is_object(rc = json_object_get(j, "roleCredentials")) ||
	    (id = jstr(rc, "accessKeyId")) == NULL ||
	    (secret = jstr(rc, "secretAccessKey")) == NULL ||
	    (session = jstr(rc, "sessionToken")) == NULL ||
	    !json_is_integer(e = json_object_get(rc, "expiration"))) {
		r = acmb_error(err, ACMB_E_AWS,
		    "SSO GetRoleCredentials: the answer has no complete roleCredentials");
		goto out;
	}
	if ((r = acmb_aws_credentials_set(out, id, strlen(id), secret, strlen(secret), session,
	         strlen(session), what, err)) != ACMB_OK)
		goto out;
	/* Milliseconds since the epoch. */
	out->expiration = (time_t)(json_integer_value(e) / 1000);
	r = ACMB_OK;
out:
	json_decref(j);
	acmb_aws_answer_clear(&ans);
	acmb_secbuf_free(hdr);
	acmb_secstr_free(token);
	return r;
}
