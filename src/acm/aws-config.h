/*
 * AWS configuration resolved as the AWS CLI resolves it: credentials
 * (environment, shared credentials/config files with credential_process,
 * ECS container endpoint, EC2 instance metadata), region, endpoint, TLS and
 * retry settings. The order is in docs/aws.md.
 */
#ifndef ACMB_AWS_CONFIG_H
#define ACMB_AWS_CONFIG_H

#include "error.h"

/* The AWS options every command shares (parsed by src/cli/cli-aws.c).
 * Strings are borrowed (argv); NULL or -1 means "not given". */
struct acmb_aws_options {
	const char *region;       /* --region */
	const char *profile;      /* --profile */
	const char *endpoint_url; /* --endpoint-url */
	const char *ca_bundle;    /* --ca-bundle */
	int no_verify_ssl;        /* --no-verify-ssl: caller warns the operator */
	long connect_timeout;     /* --cli-connect-timeout seconds, 0 = none, -1 = default */
	long read_timeout;        /* --cli-read-timeout seconds, 0 = none, -1 = default */
	int max_attempts;         /* --max-attempts, 0 = not given */
	int fips;                 /* --fips */
	int debug;                /* --debug */
	int no_sign_request;      /* --no-sign-request: no credentials, unsigned requests */
};

/* Sets every option to "not given". */
void acmb_aws_options_init(struct acmb_aws_options *o);

/* A service the HTTP layer can talk to: names for SigV4, endpoints, IAM. */
struct acmb_aws_service {
	const char *signing_name;  /* SigV4 service: "acm" */
	const char *endpoint_host; /* host prefix: "acm" -> acm.REGION.amazonaws.com */
	const char *env_suffix;    /* AWS_ENDPOINT_URL_<suffix>: "ACM" */
	const char *target_prefix; /* X-Amz-Target prefix: "CertificateManager" */
	const char *iam_prefix;    /* IAM action prefix: "acm" */
};

extern const struct acmb_aws_service acmb_aws_service_acm;
extern const struct acmb_aws_service acmb_aws_service_acm_pca;

#define ACMB_AWS_DEFAULT_TIMEOUT 60L
#define ACMB_AWS_DEFAULT_MAX_ATTEMPTS 3
#define ACMB_AWS_MAX_MAX_ATTEMPTS 20

/* Debug sink: one line per call, never containing a secret. */
typedef void (*acmb_aws_debug_fn)(void *ctx, const char *line);

struct acmb_aws_config;

/* Resolves credentials, region, endpoint and transport settings for svc from
 * opts (NULL = nothing given), the environment and the shared files. Wipes and
 * unsets AWS_SECRET_ACCESS_KEY / AWS_SESSION_TOKEN once read. On success
 * *out is set; caller frees with acmb_aws_config_free(). Errors are
 * ACMB_E_CONFIG (or ACMB_E_NETWORK for unreachable metadata endpoints). */
int acmb_aws_config_resolve(const struct acmb_aws_options *opts, const struct acmb_aws_service *svc,
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

/* Accessors. Returned strings live as long as c. Secrets (secret key,
 * session token) are in the secure heap: never copy them to plain memory. */
const struct acmb_aws_service *acmb_aws_config_service(const struct acmb_aws_config *c);
const char *acmb_aws_config_region(const struct acmb_aws_config *c);
const char *acmb_aws_config_endpoint(const struct acmb_aws_config *c);
const char *acmb_aws_config_access_key_id(const struct acmb_aws_config *c); /* NULL: unsigned */
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

/* Writes a one-line description (region, endpoint, credential source,
 * access key id; never a secret) to buf. Returns buf. */
char *acmb_aws_config_describe(const struct acmb_aws_config *c, char *buf, size_t len);

/* Region/endpoint resolution alone, for tests and `acmbridge ... --debug`:
 * writes the endpoint URL for svc in region (fips selects the FIPS host,
 * cn-* regions use amazonaws.com.cn) to buf. Returns ACMB_OK or ACMB_E_CONFIG. */
int acmb_aws_default_endpoint(const struct acmb_aws_service *svc, const char *region, int fips,
    char *buf, size_t len, acmb_err *err);

#endif
