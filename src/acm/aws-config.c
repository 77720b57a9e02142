#include "aws-config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include <curl/curl.h>

#include "aws-credentials.h"
#include "aws-http.h"
#include "aws-ini.h"
#include "secmem.h"

#define PATH_MAX_LEN 4096
#define PROFILE_NAME_MAX 128
#define REGION_MAX 64

const struct acmb_aws_service acmb_aws_service_acm = {
    .signing_name = "acm",
    .endpoint_host = "acm",
    .env_suffix = "ACM",
    .target_prefix = "CertificateManager",
    .iam_prefix = "acm",
};

const struct acmb_aws_service acmb_aws_service_acm_pca = {
    .signing_name = "acm-pca",
    .endpoint_host = "acm-pca",
    .env_suffix = "ACM_PCA",
    .target_prefix = "ACMPrivateCA",
    .iam_prefix = "acm-pca",
};

struct acmb_aws_config {
	const struct acmb_aws_service *svc;
	char *region;
	char *endpoint;
	char *ca_bundle;
	int no_verify_ssl;
	long connect_timeout;
	long read_timeout;
	int max_attempts;
	struct acmb_aws_credentials creds;
	acmb_aws_debug_fn debug_fn;
	void *debug_ctx;
};

/* The shared files of one profile, as the CLI merges them: a key in the
 * credentials file beats the same key in the config file. */
struct profile_files {
	char profile[PROFILE_NAME_MAX];
	char config_path[PATH_MAX_LEN];
	char credentials_path[PATH_MAX_LEN];
	acmb_secbuf *config;
	acmb_secbuf *credentials;
};

void
acmb_aws_options_init(struct acmb_aws_options *o)
{
	memset(o, 0, sizeof(*o));
	o->connect_timeout = -1;
	o->read_timeout = -1;
}

static const char *
env(const char *name)
{
	const char *v = getenv(name);

	return v != NULL && *v != '\0' ? v : NULL;
}

static int
env_true(const char *name)
{
	const char *v = env(name);

	return v != NULL && strcasecmp(v, "true") == 0;
}

/* Expands a leading "~/" as the CLI does for file paths. */
static int
file_path(const char *var, const char *dflt, char *buf, size_t len, acmb_err *err)
{
	const char *v = env(var), *home = env("HOME");
	int n;

	if (v == NULL)
		v = dflt;
	if (v[0] == '~' && v[1] == '/') {
		if (home == NULL)
			return acmb_error(err, ACMB_E_CONFIG, "HOME is not set; cannot find %s", v);
		n = snprintf(buf, len, "%s%s", home, v + 1);
	} else {
		n = snprintf(buf, len, "%s", v);
	}
	if (n < 0 || (size_t)n >= len)
		return acmb_error(err, ACMB_E_CONFIG, "%s: path too long", var);
	return ACMB_OK;
}

static void
profile_files_clear(struct profile_files *pf)
{
	acmb_secbuf_free(pf->config);
	acmb_secbuf_free(pf->credentials);
	memset(pf, 0, sizeof(*pf));
}

static int
profile_files_load(struct profile_files *pf, const char *profile, acmb_err *err)
{
	int r;

	if (strlen(profile) >= sizeof(pf->profile))
		return acmb_error(err, ACMB_E_CONFIG, "profile name is longer than %d characters",
		    PROFILE_NAME_MAX - 1);
	snprintf(pf->profile, sizeof(pf->profile), "%s", profile);
	if ((r = file_path("AWS_CONFIG_FILE", "~/.aws/config", pf->config_path,
	         sizeof(pf->config_path), err)) != ACMB_OK ||
	    (r = file_path("AWS_SHARED_CREDENTIALS_FILE", "~/.aws/credentials",
	         pf->credentials_path, sizeof(pf->credentials_path), err)) != ACMB_OK)
		return r;
	if ((r = acmb_aws_ini_load(pf->config_path, &pf->config, err)) != ACMB_OK ||
	    (r = acmb_aws_ini_load(pf->credentials_path, &pf->credentials, err)) != ACMB_OK)
		return r;
	return ACMB_OK;
}

static int
profile_exists(const struct profile_files *pf)
{
	return acmb_aws_ini_has_profile(pf->config, ACMB_AWS_INI_CONFIG, pf->profile) ||
	       acmb_aws_ini_has_profile(pf->credentials, ACMB_AWS_INI_CREDENTIALS, pf->profile);
}

/* Merged lookup; *from says which file answered (NULL allowed). */
static int
profile_get(const struct profile_files *pf, const char *key, const char **val, size_t *len,
    const char **from)
{
	if (acmb_aws_ini_get(
	        pf->credentials, ACMB_AWS_INI_CREDENTIALS, pf->profile, key, val, len)) {
		if (from != NULL)
			*from = pf->credentials_path;
		return 1;
	}
	if (acmb_aws_ini_get(pf->config, ACMB_AWS_INI_CONFIG, pf->profile, key, val, len)) {
		if (from != NULL)
			*from = pf->config_path;
		return 1;
	}
	return 0;
}

/* Non-secret profile value as a plain string in buf, or NULL. */
static const char *
profile_str(const struct profile_files *pf, const char *key, char *buf, size_t len)
{
	const char *v;
	size_t n;

	if (!profile_get(pf, key, &v, &n, NULL) || n == 0 || n >= len)
		return NULL;
	memcpy(buf, v, n);
	buf[n] = '\0';
	return buf;
}

static int
region_ok(const char *r)
{
	size_t i, n = strlen(r);

	if (n == 0 || n >= REGION_MAX)
		return 0;
	for (i = 0; i < n; i++)
		if (!((r[i] >= 'a' && r[i] <= 'z') || (r[i] >= '0' && r[i] <= '9') || r[i] == '-'))
			return 0;
	return 1;
}

int
acmb_aws_default_endpoint(const struct acmb_aws_service *svc, const char *region, int fips,
    char *buf, size_t len, acmb_err *err)
{
	int n;

	if (region == NULL || !region_ok(region))
		return acmb_error(err, ACMB_E_CONFIG, "region '%s' is not a valid AWS region name",
		    region != NULL ? region : "");
	/* China regions live under their own partition's domain. */
	n = snprintf(buf, len, "https://%s%s.%s.amazonaws.com%s", svc->endpoint_host,
	    fips ? "-fips" : "", region, strncmp(region, "cn-", 3) == 0 ? ".cn" : "");
	if (n < 0 || (size_t)n >= len)
		return acmb_error(err, ACMB_E_CONFIG, "endpoint URL too long");
	return ACMB_OK;
}

static int
endpoint_ok(const char *url, const char *what, acmb_err *err)
{
	CURLU *u = NULL;
	char *scheme = NULL, *host = NULL;
	int r = ACMB_E_INTERNAL;

	if ((u = curl_url()) == NULL) {
		r = acmb_error(err, ACMB_E_NOMEM, "out of memory");
		goto out;
	}
	if (strlen(url) > 1024 || curl_url_set(u, CURLUPART_URL, url, 0) != CURLUE_OK ||
	    curl_url_get(u, CURLUPART_SCHEME, &scheme, 0) != CURLUE_OK ||
	    curl_url_get(u, CURLUPART_HOST, &host, 0) != CURLUE_OK ||
	    (strcasecmp(scheme, "https") != 0 && strcasecmp(scheme, "http") != 0)) {
		r = acmb_error(
		    err, ACMB_E_CONFIG, "%s '%s' is not an http:// or https:// URL", what, url);
		goto out;
	}
	r = ACMB_OK;
out:
	curl_free(scheme);
	curl_free(host);
	curl_url_cleanup(u);
	return r;
}

static int
resolve_region(struct acmb_aws_config *c, const struct acmb_aws_options *o,
    const struct profile_files *pf, acmb_err *err)
{
	char buf[REGION_MAX];
	const char *region, *from;

	if ((region = o->region) != NULL)
		from = "--region";
	else if ((region = env("AWS_REGION")) != NULL)
		from = "AWS_REGION";
	else if ((region = env("AWS_DEFAULT_REGION")) != NULL)
		from = "AWS_DEFAULT_REGION";
	else if ((region = profile_str(pf, "region", buf, sizeof(buf))) != NULL)
		from = "the profile's region";
	else
		return acmb_error(err, ACMB_E_CONFIG,
		    "no AWS region: pass --region, set "
		    "AWS_REGION or AWS_DEFAULT_REGION, or set region in profile %s",
		    pf->profile);
	if (!region_ok(region))
		return acmb_error(
		    err, ACMB_E_CONFIG, "%s: '%s' is not a valid AWS region name", from, region);
	if ((c->region = strdup(region)) == NULL)
		return acmb_error(err, ACMB_E_NOMEM, "out of memory");
	return ACMB_OK;
}

static int
resolve_endpoint(struct acmb_aws_config *c, const struct acmb_aws_options *o,
    const struct profile_files *pf, acmb_err *err)
{
	char var[64], buf[1100], flag[16];
	const char *url, *from;
	int r, fips;

	snprintf(var, sizeof(var), "AWS_ENDPOINT_URL_%s", c->svc->env_suffix);
	if ((url = o->endpoint_url) != NULL)
		from = "--endpoint-url";
	else if ((url = env(var)) != NULL)
		from = var;
	else if ((url = env("AWS_ENDPOINT_URL")) != NULL)
		from = "AWS_ENDPOINT_URL";
	else
		from = NULL;
	if (from != NULL) {
		if ((r = endpoint_ok(url, from, err)) != ACMB_OK)
			return r;
	} else {
		fips = o->fips || env_true("AWS_USE_FIPS_ENDPOINT") ||
		       (profile_str(pf, "use_fips_endpoint", flag, sizeof(flag)) != NULL &&
		           strcasecmp(flag, "true") == 0);
		if ((r = acmb_aws_default_endpoint(
		         c->svc, c->region, fips, buf, sizeof(buf), err)) != ACMB_OK)
			return r;
		url = buf;
	}
	if ((c->endpoint = strdup(url)) == NULL)
		return acmb_error(err, ACMB_E_NOMEM, "out of memory");
	return ACMB_OK;
}

static int
resolve_transport(struct acmb_aws_config *c, const struct acmb_aws_options *o,
    const struct profile_files *pf, acmb_err *err)
{
	char buf[PATH_MAX_LEN], num[16];
	const char *ca, *v, *from;
	char *end;
	long n;

	if ((ca = o->ca_bundle) == NULL && (ca = env("AWS_CA_BUNDLE")) == NULL)
		ca = profile_str(pf, "ca_bundle", buf, sizeof(buf));
	if (ca != NULL) {
		if (access(ca, R_OK) != 0)
			return acmb_error(err, ACMB_E_CONFIG,
			    "CA bundle %s cannot be read "
			    "(--ca-bundle / AWS_CA_BUNDLE)",
			    ca);
		if ((c->ca_bundle = strdup(ca)) == NULL)
			return acmb_error(err, ACMB_E_NOMEM, "out of memory");
	}
	c->no_verify_ssl = o->no_verify_ssl;
	c->connect_timeout =
	    o->connect_timeout >= 0 ? o->connect_timeout : ACMB_AWS_DEFAULT_TIMEOUT;
	c->read_timeout = o->read_timeout >= 0 ? o->read_timeout : ACMB_AWS_DEFAULT_TIMEOUT;

	c->max_attempts = ACMB_AWS_DEFAULT_MAX_ATTEMPTS;
	if (o->max_attempts > 0) {
		n = o->max_attempts;
		from = "--max-attempts";
	} else if ((v = env("AWS_MAX_ATTEMPTS")) != NULL ||
	           (v = profile_str(pf, "max_attempts", num, sizeof(num))) != NULL) {
		from = env("AWS_MAX_ATTEMPTS") != NULL ? "AWS_MAX_ATTEMPTS" : "max_attempts";
		n = strtol(v, &end, 10);
		if (*end != '\0')
			n = -1;
	} else {
		return ACMB_OK;
	}
	if (n < 1 || n > ACMB_AWS_MAX_MAX_ATTEMPTS)
		return acmb_error(err, ACMB_E_CONFIG, "%s must be a number from 1 to %d", from,
		    ACMB_AWS_MAX_MAX_ATTEMPTS);
	c->max_attempts = (int)n;
	return ACMB_OK;
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

static int
static_keys(const struct profile_files *pf, const acmb_secbuf *file, enum acmb_aws_ini_style style,
    const char *path, struct acmb_aws_credentials *cr, int *found, acmb_err *err)
{
	const char *id = NULL, *secret = NULL, *token = NULL;
	size_t idn = 0, secretn = 0, tokenn = 0;
	char what[ACMB_AWS_CRED_SOURCE_MAX];
	int has_id, has_secret;

	*found = 0;
	has_id = acmb_aws_ini_get(file, style, pf->profile, "aws_access_key_id", &id, &idn);
	has_secret =
	    acmb_aws_ini_get(file, style, pf->profile, "aws_secret_access_key", &secret, &secretn);
	if (!has_id && !has_secret)
		return ACMB_OK;
	snprintf(what, sizeof(what), "profile %s in %s", pf->profile, path);
	if (!has_id || !has_secret)
		return acmb_error(err, ACMB_E_CONFIG, "%s: has %s but not %s", what,
		    has_id ? "aws_access_key_id" : "aws_secret_access_key",
		    has_id ? "aws_secret_access_key" : "aws_access_key_id");
	acmb_aws_ini_get(file, style, pf->profile, "aws_session_token", &token, &tokenn);
	*found = 1;
	return acmb_aws_credentials_set(cr, id, idn, secret, secretn, token, tokenn, what, err);
}

static int
resolve_credentials(struct acmb_aws_config *c, const struct acmb_aws_options *o,
    const struct profile_files *pf, int profile_found, const char *env_secret,
    const char *env_token, acmb_err *err)
{
	const char *env_id = env("AWS_ACCESS_KEY_ID"), *v;
	char *cmd = NULL;
	size_t n;
	int r = ACMB_E_INTERNAL, found = 0;

	/* As in the CLI, an explicit --profile negates the environment's keys
	 * (AWS_PROFILE does not). */
	if (o->profile == NULL && (env_id != NULL || env_secret != NULL)) {
		if (env_id == NULL || env_secret == NULL) {
			r = acmb_error(err, ACMB_E_CONFIG, "environment: %s is set but %s is not",
			    env_id != NULL ? "AWS_ACCESS_KEY_ID" : "AWS_SECRET_ACCESS_KEY",
			    env_id != NULL ? "AWS_SECRET_ACCESS_KEY" : "AWS_ACCESS_KEY_ID");
			goto out;
		}
		r = acmb_aws_credentials_set(&c->creds, env_id, strlen(env_id), env_secret,
		    strlen(env_secret), env_token, env_token != NULL ? strlen(env_token) : 0,
		    "environment (AWS_ACCESS_KEY_ID)", err);
		goto out;
	}
	if (profile_found) {
		if ((r = static_keys(pf, pf->credentials, ACMB_AWS_INI_CREDENTIALS,
		         pf->credentials_path, &c->creds, &found, err)) != ACMB_OK ||
		    found)
			goto out;
		if (profile_get(pf, "credential_process", &v, &n, NULL) && n > 0) {
			if ((cmd = strndup(v, n)) == NULL) {
				r = acmb_error(err, ACMB_E_NOMEM, "out of memory");
				goto out;
			}
			r = acmb_aws_credential_process(cmd, pf->profile, &c->creds, err);
			goto out;
		}
		if ((r = static_keys(pf, pf->config, ACMB_AWS_INI_CONFIG, pf->config_path,
		         &c->creds, &found, err)) != ACMB_OK ||
		    found)
			goto out;
	}
	if ((r = acmb_aws_credentials_container(&c->creds, &found, err)) != ACMB_OK || found)
		goto out;
	if ((r = acmb_aws_credentials_imds(&c->creds, &found, err)) != ACMB_OK || found)
		goto out;
	r = acmb_error(err, ACMB_E_CONFIG,
	    "no AWS credentials found (tried the environment, "
	    "profile %s in %s and %s, the container endpoint and instance metadata): set "
	    "AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, or use --profile",
	    pf->profile, pf->credentials_path, pf->config_path);
out:
	free(cmd);
	return r;
}

int
acmb_aws_config_resolve(const struct acmb_aws_options *opts, const struct acmb_aws_service *svc,
    struct acmb_aws_config **out, acmb_err *err)
{
	struct acmb_aws_options none;
	struct acmb_aws_config *c = NULL;
	struct profile_files pf;
	char *env_secret = NULL, *env_token = NULL;
	const char *profile;
	int r = ACMB_E_INTERNAL, explicit_profile, found;

	*out = NULL;
	memset(&pf, 0, sizeof(pf));
	if (opts == NULL) {
		acmb_aws_options_init(&none);
		opts = &none;
	}
	/* First, so that the environment's copies are gone whatever fails. */
	if ((r = take_env_secret("AWS_SECRET_ACCESS_KEY", &env_secret, err)) != ACMB_OK ||
	    (r = take_env_secret("AWS_SESSION_TOKEN", &env_token, err)) != ACMB_OK)
		goto out;
	/* Endpoints and credentials are read with libcurl: without it, say so
	 * now rather than fail later as "out of memory". */
	if ((r = acmb_aws_http_require(err)) != ACMB_OK)
		goto out;
	if ((c = calloc(1, sizeof(*c))) == NULL) {
		r = acmb_error(err, ACMB_E_NOMEM, "out of memory");
		goto out;
	}
	c->svc = svc;
	explicit_profile = 1;
	if ((profile = opts->profile) == NULL && (profile = env("AWS_PROFILE")) == NULL) {
		profile = "default";
		explicit_profile = 0;
	}
	if ((r = profile_files_load(&pf, profile, err)) != ACMB_OK)
		goto out;
	found = profile_exists(&pf);
	if (explicit_profile && !found) {
		r = acmb_error(err, ACMB_E_CONFIG, "profile '%s' (%s) was not found in %s or %s",
		    profile, opts->profile != NULL ? "--profile" : "AWS_PROFILE", pf.config_path,
		    pf.credentials_path);
		goto out;
	}
	if ((r = resolve_region(c, opts, &pf, err)) != ACMB_OK ||
	    (r = resolve_endpoint(c, opts, &pf, err)) != ACMB_OK ||
	    (r = resolve_transport(c, opts, &pf, err)) != ACMB_OK)
		goto out;
	/* --no-sign-request: no credential is looked for, requests go unsigned
	 * (the environment's copies above are still wiped). */
	if (opts->no_sign_request)
		snprintf(c->creds.source, sizeof(c->creds.source), "none (--no-sign-request)");
	else if ((r = resolve_credentials(c, opts, &pf, found, env_secret, env_token, err)) !=
	         ACMB_OK)
		goto out;
	*out = c;
	c = NULL;
	r = ACMB_OK;
out:
	acmb_secstr_free(env_secret);
	acmb_secstr_free(env_token);
	profile_files_clear(&pf);
	acmb_aws_config_free(c);
	return r;
}

int
acmb_aws_config_derive(const struct acmb_aws_config *base, const struct acmb_aws_options *opts,
    const struct acmb_aws_service *svc, struct acmb_aws_config **out, acmb_err *err)
{
	struct acmb_aws_options none;
	struct acmb_aws_config *c = NULL;
	struct profile_files pf;
	const struct acmb_aws_credentials *bc = &base->creds;
	const char *profile;
	int r = ACMB_E_INTERNAL;

	*out = NULL;
	memset(&pf, 0, sizeof(pf));
	if (opts == NULL) {
		acmb_aws_options_init(&none);
		opts = &none;
	}
	/* opts->region moves the copy to another region (sync's destinations);
	 * the credentials are the same in every region. */
	if ((c = calloc(1, sizeof(*c))) == NULL ||
	    (c->region = strdup(opts->region != NULL ? opts->region : base->region)) == NULL ||
	    (base->ca_bundle != NULL && (c->ca_bundle = strdup(base->ca_bundle)) == NULL)) {
		r = acmb_error(err, ACMB_E_NOMEM, "out of memory");
		goto out;
	}
	c->svc = svc;
	c->no_verify_ssl = base->no_verify_ssl;
	c->connect_timeout = base->connect_timeout;
	c->read_timeout = base->read_timeout;
	c->max_attempts = base->max_attempts;
	c->debug_fn = base->debug_fn;
	c->debug_ctx = base->debug_ctx;
	/* Only the endpoint is the service's own (AWS_ENDPOINT_URL_<SVC>, the
	 * profile's use_fips_endpoint); the profile is read again for that. */
	if ((profile = opts->profile) == NULL && (profile = env("AWS_PROFILE")) == NULL)
		profile = "default";
	if ((r = profile_files_load(&pf, profile, err)) != ACMB_OK ||
	    (r = resolve_endpoint(c, opts, &pf, err)) != ACMB_OK)
		goto out;
	if (bc->access_key_id == NULL) {
		/* --no-sign-request: nothing to copy. */
		snprintf(c->creds.source, sizeof(c->creds.source), "%s", bc->source);
	} else if ((r = acmb_aws_credentials_set(&c->creds, bc->access_key_id,
	                strlen(bc->access_key_id), bc->secret_access_key,
	                strlen(bc->secret_access_key), bc->session_token,
	                bc->session_token != NULL ? strlen(bc->session_token) : 0, bc->source,
	                err)) != ACMB_OK)
		goto out;
	c->creds.expiration = bc->expiration;
	snprintf(c->creds.source, sizeof(c->creds.source), "%s", bc->source);
	*out = c;
	c = NULL;
	r = ACMB_OK;
out:
	profile_files_clear(&pf);
	acmb_aws_config_free(c);
	return r;
}

void
acmb_aws_config_free(struct acmb_aws_config *c)
{
	if (c == NULL)
		return;
	acmb_aws_credentials_clear(&c->creds);
	free(c->region);
	free(c->endpoint);
	free(c->ca_bundle);
	free(c);
}

const struct acmb_aws_service *
acmb_aws_config_service(const struct acmb_aws_config *c)
{
	return c->svc;
}

const char *
acmb_aws_config_region(const struct acmb_aws_config *c)
{
	return c->region;
}

const char *
acmb_aws_config_endpoint(const struct acmb_aws_config *c)
{
	return c->endpoint;
}

const char *
acmb_aws_config_access_key_id(const struct acmb_aws_config *c)
{
	return c->creds.access_key_id;
}

const char *
acmb_aws_config_secret_access_key(const struct acmb_aws_config *c)
{
	return c->creds.secret_access_key;
}

const char *
acmb_aws_config_session_token(const struct acmb_aws_config *c)
{
	return c->creds.session_token;
}

const char *
acmb_aws_config_credential_source(const struct acmb_aws_config *c)
{
	return c->creds.source;
}

const char *
acmb_aws_config_ca_bundle(const struct acmb_aws_config *c)
{
	return c->ca_bundle;
}

int
acmb_aws_config_no_verify_ssl(const struct acmb_aws_config *c)
{
	return c->no_verify_ssl;
}

long
acmb_aws_config_connect_timeout(const struct acmb_aws_config *c)
{
	return c->connect_timeout;
}

long
acmb_aws_config_read_timeout(const struct acmb_aws_config *c)
{
	return c->read_timeout;
}

int
acmb_aws_config_max_attempts(const struct acmb_aws_config *c)
{
	return c->max_attempts;
}

void
acmb_aws_config_set_debug(struct acmb_aws_config *c, acmb_aws_debug_fn fn, void *ctx)
{
	c->debug_fn = fn;
	c->debug_ctx = ctx;
}

acmb_aws_debug_fn
acmb_aws_config_debug(const struct acmb_aws_config *c, void **ctx)
{
	*ctx = c->debug_ctx;
	return c->debug_fn;
}

char *
acmb_aws_config_describe(const struct acmb_aws_config *c, char *buf, size_t len)
{
	snprintf(buf, len,
	    "AWS %s: region %s, endpoint %s, credentials from %s "
	    "(access key %s%s), TLS verification %s%s%s, %d attempts max",
	    c->svc->signing_name, c->region, c->endpoint, c->creds.source,
	    c->creds.access_key_id != NULL ? c->creds.access_key_id : "none",
	    c->creds.session_token != NULL ? ", with session token" : "",
	    c->no_verify_ssl ? "OFF" : "on", c->ca_bundle != NULL ? ", CA bundle " : "",
	    c->ca_bundle != NULL ? c->ca_bundle : "", c->max_attempts);
	return buf;
}
