/*
 * One AWS JSON 1.1 call over HTTPS: SigV4 through libcurl, AWS's standard
 * retry mode, and AWS errors translated into acmb_err. Service-generic:
 * the service (ACM, Private CA) comes from the resolved configuration. The
 * wire (libcurl, answers, the retry policy's pieces) is aws-transport.h.
 */
#ifndef ACMB_AWS_HTTP_H
#define ACMB_AWS_HTTP_H

#include <stddef.h>
#include <time.h>

#include <jansson.h>

#include "aws-config.h"
#include "aws-transport.h"
#include "error.h"
#include "secmem.h"

#define ACMB_AWS_MAX_RESPONSE ((size_t)8 << 20) /* larger answers are refused */

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

/* The signal that cancelled the run whose context lent cfg its hooks
 * (acmb_aws_config_set_hooks()), or 0 (also without hooks). For the flows'
 * own waits between calls. */
int acmb_aws_cancelled(const struct acmb_aws_config *cfg);

/* Sleeps seconds on the clock of cfg's context (a test clock does not wait;
 * without hooks, the system clock); the context's cancel ends it early, and
 * the caller sees that with acmb_aws_cancelled(). */
void acmb_aws_sleep(const struct acmb_aws_config *cfg, double seconds);

/* The transport's answers, for callers above it (doctor, versions):
 * ACMB_OK when libcurl can be used (acmb_aws_transport_require()), and the
 * version of the libcurl in use ("7.88.1"), loading it first; NULL when it
 * cannot be loaded. The string is libcurl's own and lives until exit. */
int acmb_aws_http_require(acmb_err *err);
const char *acmb_aws_http_curl_version(void);

#endif
