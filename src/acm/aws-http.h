/*
 * One AWS JSON 1.1 call over HTTPS: SigV4 through libcurl, AWS's standard
 * retry mode, and AWS errors translated into acmb_err. Service-generic:
 * the service (ACM, Private CA) comes from the resolved configuration.
 */
#ifndef ACMB_AWS_HTTP_H
#define ACMB_AWS_HTTP_H

#include <stddef.h>
#include <time.h>

#include <jansson.h>

#include "aws-config.h"
#include "error.h"
#include "secmem.h"

#define ACMB_AWS_MAX_RESPONSE ((size_t)8 << 20) /* larger answers are refused */
#define ACMB_AWS_ERROR_CODE_MAX 128
#define ACMB_AWS_REQUEST_ID_MAX 128

/* Flags for acmb_aws_call(). */
/* The operation has no idempotency token (ImportCertificate): when the
 * request may have reached the service but its answer was lost (timeout or
 * connection closed after sending, HTTP 5xx, RequestTimeout, malformed
 * answer), it is not resent; the call fails with response_lost set. */
#define ACMB_AWS_NOT_IDEMPOTENT 0x1u

/* What happened on the wire; filled even when the call fails. */
struct acmb_aws_call_info {
	long http_status;                         /* last HTTP status, 0 if none arrived */
	int attempts;                             /* requests sent or tried */
	int response_lost;                        /* NOT_IDEMPOTENT call may have been applied */
	char error_code[ACMB_AWS_ERROR_CODE_MAX]; /* AWS code, "" when none */
	char request_id[ACMB_AWS_REQUEST_ID_MAX]; /* x-amzn-RequestId, or "" */
	time_t server_date;                       /* the last answer's Date header, 0 when none */
	time_t local_date;                        /* our clock when that answer arrived */
};

/* Sends POST / with X-Amz-Target "<target_prefix>.<operation>" and body
 * (JSON; may contain key material, never copied out of the secure heap by
 * us), retrying as AWS's standard mode does. On success returns ACMB_OK and
 * *result holds the parsed answer (caller json_decref()s; an empty body
 * gives an empty object). Errors: ACMB_E_AWS (service error; info->error_code
 * says which), ACMB_E_NETWORK, ACMB_E_TLS. info may be NULL. */
int acmb_aws_call(const struct acmb_aws_config *cfg, const char *operation, const acmb_secbuf *body,
    unsigned flags, json_t **result, struct acmb_aws_call_info *info, acmb_err *err);

/* A JSON 1.1 blob member: base64 of len public bytes as a new jansson
 * string, or NULL when out of memory. Never for secrets: jansson keeps the
 * string in ordinary memory (the key goes into the body by hand, acm-api.c). */
json_t *acmb_aws_json_blob(const void *data, size_t len);

/* The largest certificate or chain PEM sent or taken: above ACM's 2 MiB
 * chain limit. */
#define ACMB_AWS_PEM_FIELD_MAX ((size_t)4 << 20)

/* The PEM strings Certificate and CertificateChain of a GetCertificate
 * answer (ACM's and Private CA's have the same shape), each at most
 * ACMB_AWS_PEM_FIELD_MAX bytes. A missing Certificate is an error, a missing
 * chain leaves *chain NULL. Caller frees *cert and *chain with free(). */
int acmb_aws_json_cert_chain(json_t *resp, char **cert, char **chain, acmb_err *err);

/* ACMB_OK when libcurl (loaded on first use, see aws-http.c) can be used,
 * else ACMB_E_INTERNAL with a message naming the library and why. */
int acmb_aws_http_require(acmb_err *err);

/* The version of the libcurl in use ("7.88.1"), loading it first; NULL
 * when it cannot be loaded (acmb_aws_http_require() says why). The string
 * is libcurl's own and lives until exit. */
const char *acmb_aws_http_curl_version(void);

/* An unsigned request to a metadata service (container credentials, IMDS).
 * headers: NULL-terminated "Name: value" lines (may hold tokens; curl copies
 * them into its wiping heap). Answers over max bytes are refused. On ACMB_OK,
 * *status is the HTTP status and *body a new secure buffer (caller frees
 * with acmb_secbuf_free()). Network failures: ACMB_E_NETWORK. */
int acmb_aws_http_fetch(const char *method, const char *url, const char *const *headers,
    long timeout_seconds, size_t max, long *status, acmb_secbuf **body, acmb_err *err);

/* Exposed for the tests: the pieces of the retry policy. */

/* Copies the AWS error code out of a raw __type or X-Amzn-ErrorType value:
 * strips a "namespace#" prefix and a ":suffix" (e.g.
 * "com.amazon.coral#ThrottlingException:http://..." -> "ThrottlingException"). */
void acmb_aws_error_code_normalize(const char *raw, char *out, size_t outlen);

enum acmb_aws_retry_class {
	ACMB_AWS_NO_RETRY = 0,
	ACMB_AWS_RETRY_THROTTLE = 1,  /* the service refused before acting */
	ACMB_AWS_RETRY_TRANSIENT = 2, /* the service may or may not have acted */
};

/* Classifies an HTTP status and AWS error code as the standard mode does;
 * LimitExceededException (a hard quota) is never retried. */
enum acmb_aws_retry_class acmb_aws_retry_classify(long http_status, const char *code);

/* Standard mode backoff before retry number `attempt` (1 = first retry),
 * given unit_random in [0,1): min(unit_random * 2^(attempt-1), 20) seconds. */
double acmb_aws_backoff_seconds(int attempt, double unit_random);

#endif
