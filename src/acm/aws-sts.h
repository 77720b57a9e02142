/*
 * AWS STS over its Query protocol (form-encoded POST, XML answer):
 * AssumeRole (signed with the source credentials), AssumeRoleWithWebIdentity
 * (unsigned: the token is the proof) and GetCallerIdentity. Requests that
 * carry secrets (MFA code, web identity token) and every answer are built
 * and parsed in the secure heap.
 */
#ifndef ACMB_AWS_STS_H
#define ACMB_AWS_STS_H

#include <stddef.h>

#include "aws-credentials.h"
#include "aws-transport.h"
#include "error.h"
#include "secmem.h"

#define ACMB_AWS_ARN_MAX 2048
#define ACMB_AWS_ACCOUNT_MAX 32

/* Where STS is: its endpoint URL (aws-settings.h resolves it: the regional
 * sts.REGION.amazonaws.com, FIPS, AWS_ENDPOINT_URL_STS), the region to sign
 * for, and the run's transport. Borrowed. */
struct acmb_aws_sts_target {
	const char *endpoint;
	const char *region;
	const struct acmb_aws_transport *transport;
};

/* AssumeRole's parameters. Strings borrowed; mfa_code in the secure heap. */
struct acmb_aws_sts_assume {
	const char *role_arn;
	const char *session_name;
	const char *external_id; /* or NULL */
	long duration_seconds;   /* 0: the role's default (one hour) */
	const char *mfa_serial;  /* or NULL */
	const char *mfa_code;    /* with mfa_serial: the six digits */
};

/* Calls AssumeRole signed with source. On success *out holds the temporary
 * credentials (secrets in the secure heap, expiration set, source text
 * `what`), and assumed_arn (if not NULL) the AssumedRoleUser's ARN.
 * Errors: ACMB_E_AWS (the service's code and message, and what to do),
 * ACMB_E_NETWORK, ACMB_E_TLS. */
int acmb_aws_sts_assume_role(const struct acmb_aws_sts_target *t,
    const struct acmb_aws_credentials *source, const struct acmb_aws_sts_assume *p,
    const char *what, struct acmb_aws_credentials *out, char *assumed_arn, size_t arn_len,
    acmb_err *err);

/* Calls AssumeRoleWithWebIdentity, unsigned, with the token's bytes (secure
 * heap, sent as they are). Same results and errors as above. */
int acmb_aws_sts_assume_role_with_web_identity(const struct acmb_aws_sts_target *t,
    const char *role_arn, const char *session_name, const acmb_secbuf *token, long duration_seconds,
    const char *what, struct acmb_aws_credentials *out, char *assumed_arn, size_t arn_len,
    acmb_err *err);

/* Who the credentials are. */
struct acmb_aws_caller_identity {
	char account[ACMB_AWS_ACCOUNT_MAX];
	char arn[ACMB_AWS_ARN_MAX];
	char user_id[256];
};

/* Calls GetCallerIdentity signed with creds. */
int acmb_aws_sts_get_caller_identity(const struct acmb_aws_sts_target *t,
    const struct acmb_aws_credentials *creds, struct acmb_aws_caller_identity *out, acmb_err *err);

/* Appends name=value to a form body (secure heap), percent-encoding value
 * as botocore's Query serializer does (unreserved: A-Z a-z 0-9 - _ . ~).
 * Exposed for the tests. */
int acmb_aws_form_add(acmb_secbuf *body, const char *name, const char *value, size_t len);

#endif
