/*
 * AWS identities of a run: the credential chain as the AWS CLI walks it
 * (environment, assume-role profiles with source_profile chains or
 * credential_source, web identity, IAM Identity Center, the shared files,
 * credential_process, the container endpoint, instance metadata), and a
 * cache of credential sets keyed by (profile, role ARN, external id), each
 * resolved once and refreshed before it expires. The run's context (see
 * src/bridge/context.h) owns one; aws-config.h turns a set into a
 * configuration for a service and region (acmb_aws_config_new()).
 *
 * WARNING: acmb_aws_identities_new() takes AWS_SECRET_ACCESS_KEY and
 * AWS_SESSION_TOKEN out of the environment (wiped, unset): make one per
 * process and keep it for the run.
 */
#ifndef ACMB_AWS_IDENTITY_H
#define ACMB_AWS_IDENTITY_H

#include <time.h>

#include "aws-credentials.h"
#include "aws-settings.h"
#include "error.h"
#include "secmem.h"

/* Credentials are refreshed when they expire within this window (botocore's
 * advisory window), or within half their lifetime if that is shorter (STS's
 * 15-minute sessions are not fetched again at every use). A refresh that
 * fails while more than ACMB_AWS_IDENTITY_MANDATORY_SECONDS are left keeps
 * the current credentials. */
#define ACMB_AWS_IDENTITY_REFRESH_SECONDS ((time_t)15 * 60)
#define ACMB_AWS_IDENTITY_MANDATORY_SECONDS ((time_t)60)
#define ACMB_AWS_IDENTITY_CHAIN_MAX 16 /* profiles in one source_profile chain */

struct acmb_aws_identities;

/* Which credential set: profile NULL is the run's profile (--profile,
 * AWS_PROFILE, default) with the CLI's whole chain (the environment's keys
 * first unless --profile was given); a named profile is resolved as
 * `--profile NAME` would be. With role_arn, that role is assumed from the
 * profile's identity (ExternalId external_id, session "acmbridge-<time>").
 * Strings are borrowed for the call. */
struct acmb_aws_identity_key {
	const char *profile;
	const char *role_arn;
	const char *external_id;
};

/* Reads the settings (aws-settings.h) and the environment's keys; fetches
 * nothing yet. Caller frees *out with acmb_aws_identities_free(). */
int acmb_aws_identities_new(
    const struct acmb_aws_options *opts, struct acmb_aws_identities **out, acmb_err *err);

/* Wipes every credential set and frees. Accepts NULL. */
void acmb_aws_identities_free(struct acmb_aws_identities *ids);

/* The settings the identities were made with; live as long as ids. */
const struct acmb_aws_settings *acmb_aws_identities_settings(const struct acmb_aws_identities *ids);

/* The clock used for expiry (default time(NULL)): the run's context passes
 * its own, tests a fake one. */
void acmb_aws_identities_set_clock(
    struct acmb_aws_identities *ids, time_t (*now)(void *ctx), void *ctx);

/* The time on ids's clock. */
time_t acmb_aws_identities_now(const struct acmb_aws_identities *ids);

/* Asks the operator for the MFA code of serial and appends it to code (a
 * secure buffer). The default reads /dev/tty without echo and fails with
 * ACMB_E_CONFIG when there is no terminal. */
typedef int (*acmb_aws_mfa_prompt_fn)(
    void *ctx, const char *profile, const char *serial, acmb_secbuf *code, acmb_err *err);
void acmb_aws_identities_set_mfa_prompt(
    struct acmb_aws_identities *ids, acmb_aws_mfa_prompt_fn fn, void *ctx);

/* The credentials of key (NULL: the run's own), resolved on first use (STS
 * and SSO called in region) and refreshed when they expire within the
 * refresh window. Copies them into *out (cleared first; the caller clears
 * it with acmb_aws_credentials_clear()); out->source says where they came
 * from and which roles were assumed, never a secret. Errors: ACMB_E_CONFIG
 * (configuration, no credentials, no terminal for MFA), ACMB_E_AWS (STS or
 * SSO refused; an expired SSO login says to run `aws sso login`),
 * ACMB_E_NETWORK, ACMB_E_TLS. */
int acmb_aws_identities_get(struct acmb_aws_identities *ids,
    const struct acmb_aws_identity_key *key, const char *region, struct acmb_aws_credentials *out,
    acmb_err *err);

/* How many times credentials were fetched (STS, SSO, process, metadata)
 * since ids was made: tests and --debug use it. */
unsigned acmb_aws_identities_fetches(const struct acmb_aws_identities *ids);

#endif
