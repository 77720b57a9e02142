#include "aws-config.h"
#include "aws-limit.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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
	const struct acmb_aws_hooks *hooks; /* borrowed from a context, or NULL */
	/* Where fresh credentials come from (acmb_aws_config_new()), or NULL
	 * (acmb_aws_config_resolve(): a one-shot set). Not owned. */
	struct acmb_aws_identities *ids;
	char *key_profile;
	char *key_role_arn;
	char *key_external_id;
};

static int
dup_or_null(const char *s, char **out)
{
	*out = NULL;
	return s == NULL || (*out = strdup(s)) != NULL;
}

/* Remembers where c's credentials come from, so that they are fetched again
 * before they expire (acmb_aws_config_refresh()). */
static int
link_identity(struct acmb_aws_config *c, struct acmb_aws_identities *ids,
    const struct acmb_aws_identity_key *key, acmb_err *err)
{
	c->ids = ids;
	if (key != NULL && (!dup_or_null(key->profile, &c->key_profile) ||
	                       !dup_or_null(key->role_arn, &c->key_role_arn) ||
	                       !dup_or_null(key->external_id, &c->key_external_id)))
		return acmb_error(err, ACMB_E_NOMEM, "out of memory");
	return ACMB_OK;
}

static int
config_new(const struct acmb_aws_service *svc, const char *region, const char *endpoint,
    const struct acmb_aws_transport *t, struct acmb_aws_config **out, acmb_err *err)
{
	struct acmb_aws_config *c;

	*out = NULL;
	if ((c = calloc(1, sizeof(*c))) == NULL || (c->region = strdup(region)) == NULL ||
	    (c->endpoint = strdup(endpoint)) == NULL ||
	    (t->ca_bundle != NULL && (c->ca_bundle = strdup(t->ca_bundle)) == NULL)) {
		acmb_aws_config_free(c);
		return acmb_error(err, ACMB_E_NOMEM, "out of memory");
	}
	c->svc = svc;
	c->no_verify_ssl = t->no_verify_ssl;
	c->connect_timeout = t->connect_timeout;
	c->read_timeout = t->read_timeout;
	c->max_attempts = t->max_attempts;
	c->debug_fn = t->debug_fn;
	c->debug_ctx = t->debug_ctx;
	*out = c;
	return ACMB_OK;
}

int
acmb_aws_config_new(struct acmb_aws_identities *ids, const struct acmb_aws_identity_key *key,
    const struct acmb_aws_service *svc, const char *region, const char *endpoint_url,
    struct acmb_aws_config **out, acmb_err *err)
{
	const struct acmb_aws_settings *s = acmb_aws_identities_settings(ids);
	struct acmb_aws_config *c = NULL;
	char reg[ACMB_AWS_REGION_MAX], url[ACMB_AWS_URL_MAX];
	int r = ACMB_E_INTERNAL;

	*out = NULL;
	/* Region and endpoint first: a configuration error is reported before
	 * anything is fetched. */
	if ((r = acmb_aws_settings_region(s, region, reg, sizeof(reg), err)) != ACMB_OK ||
	    (r = acmb_aws_settings_endpoint(s, svc, reg, endpoint_url, url, sizeof(url), err)) !=
	        ACMB_OK ||
	    (r = config_new(svc, reg, url, acmb_aws_settings_transport(s), &c, err)) != ACMB_OK)
		goto out;
	/* --no-sign-request: no credential is looked for, requests go unsigned
	 * (the environment's keys were still taken out and wiped). */
	if (acmb_aws_settings_no_sign_request(s)) {
		snprintf(c->creds.source, sizeof(c->creds.source), "none (--no-sign-request)");
	} else if ((r = acmb_aws_identities_get(ids, key, reg, &c->creds, err)) != ACMB_OK ||
	           (r = link_identity(c, ids, key, err)) != ACMB_OK) {
		goto out;
	}
	*out = c;
	c = NULL;
	r = ACMB_OK;
out:
	acmb_aws_config_free(c);
	return r;
}

int
acmb_aws_config_resolve(const struct acmb_aws_options *opts, const struct acmb_aws_service *svc,
    struct acmb_aws_config **out, acmb_err *err)
{
	struct acmb_aws_identities *ids = NULL;
	int r;

	*out = NULL;
	if ((r = acmb_aws_identities_new(opts, &ids, err)) == ACMB_OK &&
	    (r = acmb_aws_config_new(ids, NULL, svc, NULL, opts != NULL ? opts->endpoint_url : NULL,
	         out, err)) == ACMB_OK)
		(*out)->ids = NULL; /* ids goes now: a one-shot set */
	acmb_aws_identities_free(ids);
	return r;
}

int
acmb_aws_config_derive(const struct acmb_aws_config *base, const struct acmb_aws_options *opts,
    const struct acmb_aws_service *svc, struct acmb_aws_config **out, acmb_err *err)
{
	struct acmb_aws_settings *s = NULL;
	struct acmb_aws_transport t;
	struct acmb_aws_config *c = NULL;
	char url[ACMB_AWS_URL_MAX];
	const char *region;
	int r = ACMB_E_INTERNAL;

	*out = NULL;
	/* opts->region moves the copy to another region (sync's destinations);
	 * the credentials are the same in every region. */
	region = opts != NULL && opts->region != NULL ? opts->region : base->region;
	if (!acmb_aws_region_ok(region)) {
		/* Not repeated here: callers name the region they asked for. */
		r = acmb_error(err, ACMB_E_CONFIG,
		    "not a valid AWS region name (lower-case letters, digits and '-')");
		goto out;
	}
	/* Only the endpoint is the service's own (AWS_ENDPOINT_URL_<SVC>, the
	 * profile's use_fips_endpoint); the settings are read again for it. */
	acmb_aws_config_transport(base, &t);
	if ((r = acmb_aws_settings_new(opts, &s, err)) != ACMB_OK ||
	    (r = acmb_aws_settings_endpoint(s, svc, region,
	         opts != NULL ? opts->endpoint_url : NULL, url, sizeof(url), err)) != ACMB_OK ||
	    (r = config_new(svc, region, url, &t, &c, err)) != ACMB_OK)
		goto out;
	c->hooks = base->hooks;
	/* --no-sign-request: nothing to copy. */
	if (base->creds.access_key_id != NULL &&
	    (r = acmb_aws_credentials_copy(&c->creds, &base->creds, err)) != ACMB_OK)
		goto out;
	if (base->ids != NULL) {
		struct acmb_aws_identity_key k = {
		    base->key_profile, base->key_role_arn, base->key_external_id};

		if ((r = link_identity(c, base->ids, &k, err)) != ACMB_OK)
			goto out;
	}
	snprintf(c->creds.source, sizeof(c->creds.source), "%s", base->creds.source);
	*out = c;
	c = NULL;
	r = ACMB_OK;
out:
	acmb_aws_settings_free(s);
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
	free(c->key_profile);
	free(c->key_role_arn);
	free(c->key_external_id);
	free(c);
}

/* Recursive: fetching a role's credentials makes an STS call, whose own
 * configuration may refresh on the way. */
static pthread_mutex_t refresh_lock = PTHREAD_RECURSIVE_MUTEX_INITIALIZER_NP;

int
acmb_aws_config_refresh(const struct acmb_aws_config *cc, acmb_err *err)
{
	/* The credentials are the one mutable part of a configuration: they
	 * are replaced here, between calls, never during one. */
	struct acmb_aws_config *c = (struct acmb_aws_config *)cc;
	struct acmb_aws_identity_key k = {c->key_profile, c->key_role_arn, c->key_external_id};
	struct acmb_aws_credentials fresh;
	int r;

	if (c->ids == NULL || c->creds.expiration == 0 ||
	    c->creds.expiration - acmb_aws_identities_now(c->ids) >=
	        ACMB_AWS_IDENTITY_REFRESH_SECONDS)
		return ACMB_OK;
	memset(&fresh, 0, sizeof(fresh));
	/* The identities' cache is shared by every configuration of a run, and
	 * sync calls from a thread per destination (a configuration itself is
	 * used by one thread at a time). */
	pthread_mutex_lock(&refresh_lock);
	r = acmb_aws_identities_get(c->ids, &k, c->region, &fresh, err);
	pthread_mutex_unlock(&refresh_lock);
	if (r != ACMB_OK) {
		acmb_aws_credentials_clear(&fresh);
		return r;
	}
	acmb_aws_credentials_clear(&c->creds);
	c->creds = fresh;
	return ACMB_OK;
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

time_t
acmb_aws_config_expiration(const struct acmb_aws_config *c)
{
	return c->creds.expiration;
}

const struct acmb_aws_credentials *
acmb_aws_config_credentials(const struct acmb_aws_config *c)
{
	return &c->creds;
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
acmb_aws_config_transport(const struct acmb_aws_config *c, struct acmb_aws_transport *t)
{
	memset(t, 0, sizeof(*t));
	t->ca_bundle = c->ca_bundle;
	t->no_verify_ssl = c->no_verify_ssl;
	t->connect_timeout = c->connect_timeout;
	t->read_timeout = c->read_timeout;
	t->max_attempts = c->max_attempts;
	t->debug_fn = c->debug_fn;
	t->debug_ctx = c->debug_ctx;
	if (c->hooks != NULL) {
		t->cancel = c->hooks->cancel;
		t->clock = c->hooks->clock;
	}
}

void
acmb_aws_config_set_hooks(struct acmb_aws_config *c, const struct acmb_aws_hooks *hooks)
{
	c->hooks = hooks;
}

const struct acmb_aws_hooks *
acmb_aws_config_hooks(const struct acmb_aws_config *c)
{
	return c->hooks;
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
	char until[48] = "";
	struct tm tm;

	if (c->creds.expiration != 0 && gmtime_r(&c->creds.expiration, &tm) != NULL)
		strftime(until, sizeof(until), ", expire %Y-%m-%dT%H:%M:%SZ", &tm);
	snprintf(buf, len,
	    "AWS %s: region %s, endpoint %s, credentials from %s "
	    "(access key %s%s%s), TLS verification %s%s%s, %d attempts max",
	    c->svc->signing_name, c->region, c->endpoint, c->creds.source,
	    c->creds.access_key_id != NULL ? c->creds.access_key_id : "none",
	    c->creds.session_token != NULL ? ", with session token" : "", until,
	    c->no_verify_ssl ? "OFF" : "on", c->ca_bundle != NULL ? ", CA bundle " : "",
	    c->ca_bundle != NULL ? c->ca_bundle : "", c->max_attempts);
	return buf;
}
