/*
 * AWS credentials and the sources that hand them out besides the
 * environment and static profile keys: credential_process, the ECS
 * container endpoint and EC2 instance metadata (IMDSv2). Used by
 * aws-identity.c; the rest of the tree sees only struct acmb_aws_config.
 */
#ifndef ACMB_AWS_CREDENTIALS_H
#define ACMB_AWS_CREDENTIALS_H

#include <stddef.h>
#include <time.h>

#include "error.h"
#include "secmem.h"

#define ACMB_AWS_CRED_SOURCE_MAX 512
#define ACMB_AWS_CRED_FIELD_MAX 4096 /* longest key id, secret or token accepted */
#define ACMB_AWS_PROCESS_OUTPUT_MAX ((size_t)64 << 10)
#define ACMB_AWS_PROCESS_TIMEOUT_SECONDS 60
#define ACMB_AWS_METADATA_MAX ((size_t)64 << 10)
#define ACMB_AWS_CONTAINER_TIMEOUT_SECONDS 2
#define ACMB_AWS_IMDS_TIMEOUT_SECONDS 1

struct acmb_aws_credentials {
	char *access_key_id;                   /* plain heap (not a secret), free() */
	char *secret_access_key;               /* secure heap, acmb_secstr_free() */
	char *session_token;                   /* secure heap or NULL */
	time_t expiration;                     /* 0 when the source gave none */
	char source[ACMB_AWS_CRED_SOURCE_MAX]; /* "environment", "profile prod (...)" */
};

/* Wipes and frees the fields; the struct itself is the caller's. */
void acmb_aws_credentials_clear(struct acmb_aws_credentials *c);

/* Sets c from the three values (secret and token are copied into the secure
 * heap). token may be NULL or empty. Refuses empty or over-long fields
 * naming `what`. */
int acmb_aws_credentials_set(struct acmb_aws_credentials *c, const char *key_id, size_t key_id_len,
    const char *secret, size_t secret_len, const char *token, size_t token_len, const char *what,
    acmb_err *err);

/* Replaces dst with a copy of src (secrets copied within the secure heap,
 * expiration and source kept). On error dst is unchanged. */
int acmb_aws_credentials_copy(
    struct acmb_aws_credentials *dst, const struct acmb_aws_credentials *src, acmb_err *err);

/* Runs command with /bin/sh -c (stdin /dev/null, stderr inherited), reads
 * its JSON stdout into the secure heap (bounded, with a timeout) and fills c.
 * Non-zero exit, bad JSON, Version other than 1 or expired credentials are
 * ACMB_E_CONFIG errors naming the profile. */
int acmb_aws_credential_process(
    const char *command, const char *profile, struct acmb_aws_credentials *c, acmb_err *err);

/* The ECS/EKS container endpoint. Sets *found = 0 (and returns ACMB_OK)
 * when neither AWS_CONTAINER_CREDENTIALS_RELATIVE_URI nor _FULL_URI is set. */
int acmb_aws_credentials_container(struct acmb_aws_credentials *c, int *found, acmb_err *err);

/* EC2 instance metadata, IMDSv2 only (token first). Sets *found = 0 when
 * disabled (AWS_EC2_METADATA_DISABLED=true) or nothing answers. */
int acmb_aws_credentials_imds(struct acmb_aws_credentials *c, int *found, acmb_err *err);

/* Parses an ISO 8601 UTC time ("2026-11-22T13:10:36Z", fractional seconds
 * and "+00:00" allowed). Returns 0 on success. */
int acmb_aws_parse_time(const char *s, time_t *t);

#endif
