/*
 * AWS settings as the AWS CLI reads them, before any credential is fetched:
 * the options every command shares, the shared config and credentials files
 * of the run's profile, region, per-service endpoints and transport (TLS,
 * timeouts, attempts). The services acmbridge speaks to and their endpoint
 * names live here too. No network: credentials are aws-identity.h's job.
 */
#ifndef ACMB_AWS_SETTINGS_H
#define ACMB_AWS_SETTINGS_H

#include <stddef.h>

#include "aws-transport.h"
#include "aws-ini.h"
#include "error.h"

/* The AWS options every command shares (parsed by src/cli/cli-aws.c).
 * Strings are borrowed (argv); NULL or -1 means "not given". */
struct acmb_aws_options {
	const char *region;       /* --region */
	const char *profile;      /* --profile */
	const char *endpoint_url; /* --endpoint-url (the command's own service only) */
	const char *ca_bundle;    /* --ca-bundle */
	int no_verify_ssl;        /* --no-verify-ssl: caller warns the operator */
	long connect_timeout;     /* --cli-connect-timeout seconds, 0 = none, -1 = default */
	long read_timeout;        /* --cli-read-timeout seconds, 0 = none, -1 = default */
	int max_attempts;         /* --max-attempts, 0 = not given */
	int fips;                 /* --fips */
	int debug;                /* --debug */
	int no_sign_request;      /* --no-sign-request: no credentials, unsigned requests */
	/* Library callers only (no option): the STS endpoint, before
	 * AWS_ENDPOINT_URL_STS; and a debug sink used while credentials are
	 * resolved (which source, which role; never a secret). */
	const char *sts_endpoint_url;
	acmb_aws_debug_fn debug_fn;
	void *debug_ctx;
	/* The run's cancel flag and clock (struct acmb_aws_transport), lent by
	 * the run's context; NULL: never cancelled, the system clock. */
	const struct acmb_cancel *cancel;
	struct acmb_clock *clock;
};

/* Sets every option to "not given". */
void acmb_aws_options_init(struct acmb_aws_options *o);

/* A service acmbridge talks to: names for SigV4, endpoints, IAM. */
struct acmb_aws_service {
	const char *signing_name;  /* SigV4 service: "acm" */
	const char *endpoint_host; /* host prefix: "acm" -> acm.REGION.amazonaws.com */
	const char *env_suffix;    /* AWS_ENDPOINT_URL_<suffix>: "ACM" */
	const char *target_prefix; /* X-Amz-Target prefix: "CertificateManager" (JSON 1.1) */
	const char *iam_prefix;    /* IAM action prefix: "acm" */
};

extern const struct acmb_aws_service acmb_aws_service_acm;
extern const struct acmb_aws_service acmb_aws_service_acm_pca;
extern const struct acmb_aws_service acmb_aws_service_sts;      /* Query protocol */
extern const struct acmb_aws_service acmb_aws_service_sso;      /* portal.sso.REGION */
extern const struct acmb_aws_service acmb_aws_service_sso_oidc; /* oidc.REGION */

#define ACMB_AWS_DEFAULT_TIMEOUT 60L
#define ACMB_AWS_DEFAULT_MAX_ATTEMPTS 3
#define ACMB_AWS_MAX_MAX_ATTEMPTS 20
#define ACMB_AWS_REGION_MAX 64
#define ACMB_AWS_URL_MAX 1100
#define ACMB_AWS_PROFILE_NAME_MAX 128

/* Writes the default endpoint URL for svc in region (fips selects the FIPS
 * host, cn-* regions use amazonaws.com.cn) to buf. ACMB_OK or ACMB_E_CONFIG. */
int acmb_aws_default_endpoint(const struct acmb_aws_service *svc, const char *region, int fips,
    char *buf, size_t len, acmb_err *err);

/* 1 when r looks like an AWS region name ("eu-west-1"). */
int acmb_aws_region_ok(const char *r);

struct acmb_aws_settings;

/* Reads opts (NULL = nothing given; strings are copied), the environment
 * and the shared files of the run's profile (--profile, else AWS_PROFILE,
 * else "default"; a named profile that exists in neither file is an
 * error). Without HOME the user's home comes from the password database,
 * as in the CLI, and without either there is simply no shared file.
 * Caller frees *out with acmb_aws_settings_free(). Errors: ACMB_E_CONFIG. */
int acmb_aws_settings_new(
    const struct acmb_aws_options *opts, struct acmb_aws_settings **out, acmb_err *err);

/* Wipes (the files may hold secret keys) and frees. Accepts NULL. */
void acmb_aws_settings_free(struct acmb_aws_settings *s);

/* The run's profile name, and whether --profile named it (which, as in the
 * CLI, makes the environment's keys not count). Lives as long as s. */
const char *acmb_aws_settings_profile(const struct acmb_aws_settings *s);
int acmb_aws_settings_profile_explicit(const struct acmb_aws_settings *s);

/* 1 when profile has a section in either file. */
int acmb_aws_settings_has_profile(const struct acmb_aws_settings *s, const char *profile);

/* A profile key, merged as the CLI merges the files (the credentials file
 * wins). *val is NUL-terminated in the secure heap and lives as long as s;
 * *from (may be NULL) names the file. Returns 1 when found. */
int acmb_aws_settings_get(const struct acmb_aws_settings *s, const char *profile, const char *key,
    const char **val, size_t *vlen, const char **from);

/* The same from one file only: style ACMB_AWS_INI_CREDENTIALS (the
 * credentials file) or ACMB_AWS_INI_CONFIG (the config file), or an
 * [sso-session NAME] of the config file (ACMB_AWS_INI_SSO_SESSION). */
int acmb_aws_settings_get_in(const struct acmb_aws_settings *s, enum acmb_aws_ini_style style,
    const char *name, const char *key, const char **val, size_t *vlen);
int acmb_aws_settings_has_sso_session(const struct acmb_aws_settings *s, const char *name);

/* Paths of the two files ("" when there is none). Live as long as s. */
const char *acmb_aws_settings_config_path(const struct acmb_aws_settings *s);
const char *acmb_aws_settings_credentials_path(const struct acmb_aws_settings *s);

/* The user's home directory (HOME, else the password database) into buf;
 * returns 0 when there is none. */
int acmb_aws_settings_home(char *buf, size_t len);

/* The region: want when given (checked), else --region, AWS_REGION,
 * AWS_DEFAULT_REGION, the run's profile. Writes it to buf (at least
 * ACMB_AWS_REGION_MAX bytes). ACMB_E_CONFIG when there is none or it is
 * malformed. */
int acmb_aws_settings_region(
    const struct acmb_aws_settings *s, const char *want, char *buf, size_t len, acmb_err *err);

/* The endpoint URL for svc in region: override (the command's
 * --endpoint-url, or NULL), AWS_ENDPOINT_URL_<SVC>, AWS_ENDPOINT_URL, else
 * the default (FIPS from --fips, AWS_USE_FIPS_ENDPOINT or the profile's
 * use_fips_endpoint). For STS the library override (options'
 * sts_endpoint_url) comes first. buf holds ACMB_AWS_URL_MAX bytes. */
int acmb_aws_settings_endpoint(const struct acmb_aws_settings *s,
    const struct acmb_aws_service *svc, const char *region, const char *override, char *buf,
    size_t len, acmb_err *err);

/* 1 when --no-sign-request was given: no credentials, unsigned requests. */
int acmb_aws_settings_no_sign_request(const struct acmb_aws_settings *s);

/* TLS, timeouts, attempts and the debug sink for every request of the run.
 * Strings live as long as s. */
const struct acmb_aws_transport *acmb_aws_settings_transport(const struct acmb_aws_settings *s);

/* Sends one debug line (printf-style; never pass a secret) to the sink, if
 * any. */
void acmb_aws_settings_debug(const struct acmb_aws_settings *s, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

#endif
