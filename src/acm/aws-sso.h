/*
 * IAM Identity Center (SSO) credentials as the AWS CLI gets them: the
 * access token that `aws sso login` cached under ~/.aws/sso/cache/ (file
 * name: SHA-1 of the sso-session name, or of the start URL for legacy
 * profiles), refreshed through sso-oidc CreateToken when it expires within
 * 15 minutes and the cache holds a refresh token (sso-session profiles
 * only; the cache file is then rewritten as the CLI rewrites it, mode
 * 0600), then GetRoleCredentials on the portal. Tokens and answers stay in
 * the secure heap.
 */
#ifndef ACMB_AWS_SSO_H
#define ACMB_AWS_SSO_H

#include <time.h>

#include "aws-credentials.h"
#include "aws-settings.h"
#include "error.h"

#define ACMB_AWS_SSO_REFRESH_SECONDS ((time_t)15 * 60)
#define ACMB_AWS_SSO_CACHE_MAX ((size_t)64 << 10)

/* A profile's SSO settings (strings owned; acmb_aws_sso_profile_clear()). */
struct acmb_aws_sso_profile {
	char *profile;      /* for "aws sso login --profile NAME" */
	char *session_name; /* sso_session, or NULL for a legacy profile */
	char *start_url;
	char *sso_region;
	char *account_id;
	char *role_name;
};

void acmb_aws_sso_profile_clear(struct acmb_aws_sso_profile *p);

/* Reads profile's SSO settings (merged with its [sso-session NAME] as
 * botocore merges them). *found = 0 when the profile has neither
 * sso_account_id nor sso_role_name. A missing sso-session, a value that
 * differs between profile and sso-session, or a missing required setting
 * is ACMB_E_CONFIG. */
int acmb_aws_sso_profile_load(const struct acmb_aws_settings *s, const char *profile,
    struct acmb_aws_sso_profile *out, int *found, acmb_err *err);

/* The cache file name for a session name or start URL: 40 hex digits of
 * SHA-1 and ".json", into buf (at least 46 bytes). */
void acmb_aws_sso_cache_name(const char *key, char *buf, size_t len);

/* Role credentials for p at time now (the token's expiry is judged
 * against it). Sets out (source text what). A login that is missing,
 * expired and not refreshable, or refused by the portal is ACMB_E_AWS with
 * "run `aws sso login --profile NAME`"; other failures as aws-sts.h. */
int acmb_aws_sso_credentials(const struct acmb_aws_settings *s,
    const struct acmb_aws_sso_profile *p, time_t now, const char *what,
    struct acmb_aws_credentials *out, acmb_err *err);

#endif
