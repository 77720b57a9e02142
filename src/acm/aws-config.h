/*
 * AWS configuration resolved as the AWS CLI resolves it, for one service in
 * one region: credentials (from aws-identity.h: environment, assume-role,
 * web identity, SSO, shared files, credential_process, container endpoint,
 * instance metadata), region, endpoint, TLS and retry settings (from
 * aws-settings.h). The order is in docs/aws.md.
 */
#ifndef ACMB_AWS_CONFIG_H
#define ACMB_AWS_CONFIG_H

#include <time.h>

#include "aws-credentials.h"
#include "aws-identity.h"
#include "aws-settings.h"
#include "aws-transport.h"
#include "error.h"

struct acmb_aws_config;

/* Resolves credentials, region, endpoint and transport settings for svc from
 * opts (NULL = nothing given; opts->endpoint_url is svc's), the environment
 * and the shared files: one run's identities made, used once and freed.
 * Wipes and unsets AWS_SECRET_ACCESS_KEY / AWS_SESSION_TOKEN once read. On
 * success *out is set; caller frees with acmb_aws_config_free(). Errors are
 * those of acmb_aws_identities_get(). */
int acmb_aws_config_resolve(const struct acmb_aws_options *opts, const struct acmb_aws_service *svc,
    struct acmb_aws_config **out, acmb_err *err);

/* A configuration for svc in region (NULL: the run's region) with the
 * credentials of key (NULL: the run's identity) from ids, refreshed first
 * if they expire soon. endpoint_url overrides svc's endpoint (the command's
 * --endpoint-url) or is NULL. The configuration keeps a link to ids and
 * takes fresh credentials from it before each call that would otherwise
 * sign with credentials about to expire (acmb_aws_config_refresh()), so a
 * long run keeps working across their expiry. Caller frees *out with
 * acmb_aws_config_free().
 * WARNING: ids must outlive *out and every configuration derived from it. */
int acmb_aws_config_new(struct acmb_aws_identities *ids, const struct acmb_aws_identity_key *key,
    const struct acmb_aws_service *svc, const char *region, const char *endpoint_url,
    struct acmb_aws_config **out, acmb_err *err);

/* A configuration for another service from base: the same credentials
 * (copied, nothing resolved again: no second credential_process or metadata
 * call, and the environment's secrets are already gone) and transport; the
 * region of opts (when given) or base's; the endpoint resolved for svc from
 * opts (its --endpoint-url),
 * AWS_ENDPOINT_URL_<SVC>, AWS_ENDPOINT_URL or the default. Caller frees *out
 * with acmb_aws_config_free(). */
int acmb_aws_config_derive(const struct acmb_aws_config *base, const struct acmb_aws_options *opts,
    const struct acmb_aws_service *svc, struct acmb_aws_config **out, acmb_err *err);

/* Wipes the credentials and frees. Accepts NULL. */
void acmb_aws_config_free(struct acmb_aws_config *c);

/* For a configuration made by acmb_aws_config_new() (or derived from one):
 * when its credentials expire within ACMB_AWS_IDENTITY_REFRESH_SECONDS,
 * replaces them with the identity cache's current ones (fetched again if
 * due). Accessor pointers to the old secret and token become invalid.
 * acmb_aws_call() does this before each call; others who sign with c's
 * credentials call it first. A no-op for acmb_aws_config_resolve()'s. */
int acmb_aws_config_refresh(const struct acmb_aws_config *c, acmb_err *err);

/* Accessors. Returned strings live as long as c. Secrets (secret key,
 * session token) are in the secure heap: never copy them to plain memory. */
const struct acmb_aws_service *acmb_aws_config_service(const struct acmb_aws_config *c);
const char *acmb_aws_config_region(const struct acmb_aws_config *c);
const char *acmb_aws_config_endpoint(const struct acmb_aws_config *c);
const char *acmb_aws_config_access_key_id(const struct acmb_aws_config *c);
const char *acmb_aws_config_secret_access_key(const struct acmb_aws_config *c);
const char *acmb_aws_config_session_token(const struct acmb_aws_config *c); /* or NULL */
const char *acmb_aws_config_credential_source(const struct acmb_aws_config *c);
const char *acmb_aws_config_ca_bundle(const struct acmb_aws_config *c); /* or NULL */
int acmb_aws_config_no_verify_ssl(const struct acmb_aws_config *c);
long acmb_aws_config_connect_timeout(const struct acmb_aws_config *c);
long acmb_aws_config_read_timeout(const struct acmb_aws_config *c);
int acmb_aws_config_max_attempts(const struct acmb_aws_config *c);

/* Installs a debug sink (NULL to remove); ctx is passed back unchanged. */
void acmb_aws_config_set_debug(struct acmb_aws_config *c, acmb_aws_debug_fn fn, void *ctx);
acmb_aws_debug_fn acmb_aws_config_debug(const struct acmb_aws_config *c, void **ctx);

/* When the credentials expire (0: no expiry known). */
time_t acmb_aws_config_expiration(const struct acmb_aws_config *c);

/* The credentials themselves (secrets in the secure heap; never copy them
 * to plain memory). Live as long as c. */
const struct acmb_aws_credentials *acmb_aws_config_credentials(const struct acmb_aws_config *c);

/* Fills t with c's TLS, timeouts, attempts and debug sink; strings live as
 * long as c. */
void acmb_aws_config_transport(const struct acmb_aws_config *c, struct acmb_aws_transport *t);

struct acmb_aws_hooks;

/* Lends c a context's rate limiter, clock and cancel flag (aws-limit.h) for
 * every call made with it (acmb_aws_config_derive() copies them); NULL
 * removes them. hooks must outlive c. */
void acmb_aws_config_set_hooks(struct acmb_aws_config *c, const struct acmb_aws_hooks *hooks);
const struct acmb_aws_hooks *acmb_aws_config_hooks(const struct acmb_aws_config *c);

/* Writes a one-line description (region, endpoint, credential source,
 * access key id; never a secret) to buf. Returns buf. */
char *acmb_aws_config_describe(const struct acmb_aws_config *c, char *buf, size_t len);

#endif
