/*
 * HTTP(S) to AWS and its metadata services, below everything that knows
 * about configuration: libcurl (loaded on first use), one request with or
 * without SigV4, bounded answers (into the secure heap when they hold
 * secrets), and the pieces of AWS's standard retry policy. The JSON 1.1
 * call (aws-http.h), STS (aws-sts.h), SSO (aws-sso.h) and the credential
 * sources (aws-credentials.h) are built on it.
 */
#ifndef ACMB_AWS_TRANSPORT_H
#define ACMB_AWS_TRANSPORT_H

#include <stddef.h>

#include "cancel.h"
#include "clock.h"
#include "error.h"
#include "secmem.h"

#define ACMB_AWS_ERROR_CODE_MAX 128
#define ACMB_AWS_REQUEST_ID_MAX 128
#define ACMB_AWS_TRANSPORT_ERROR_MAX 256
#define ACMB_AWS_TRANSPORT_DEFAULT_TIMEOUT 60L
#define ACMB_AWS_LOCATION_MAX 256 /* a redirect's Location, as shown to the operator */

/* Debug sink: one line per call, never containing a secret. */
typedef void (*acmb_aws_debug_fn)(void *ctx, const char *line);

/* TLS, timeouts and attempts of every request of a run (resolved once, see
 * aws-settings.h). Strings are borrowed. */
struct acmb_aws_transport {
	const char *ca_bundle; /* or NULL: the system's CAs */
	int no_verify_ssl;
	long connect_timeout; /* seconds, 0 = no limit */
	long read_timeout;    /* seconds without a byte, 0 = no limit */
	int max_attempts;
	acmb_aws_debug_fn debug_fn; /* or NULL */
	void *debug_ctx;
	/* The run's cancel flag (a signal ends transfers and waits) and clock
	 * (backoff waits sleep on it; a test clock does not wait), lent by the
	 * run's context (bridge/context.h); NULL: never cancelled, the system
	 * clock. */
	const struct acmb_cancel *cancel;
	struct acmb_clock *clock;
};

/* ACMB_OK when libcurl (loaded on first use, see aws-transport.c) can be
 * used, else ACMB_E_INTERNAL with a message naming the library and why. */
int acmb_aws_transport_require(acmb_err *err);

/* The version of the libcurl in use ("7.88.1"), loading it first; NULL
 * when it cannot be loaded (acmb_aws_transport_require() says why). The
 * string is libcurl's own and lives until exit. */
const char *acmb_aws_transport_curl_version(void);

/* One request. headers: NULL-terminated "Name: value" lines (may hold
 * tokens: curl copies them into its wiping heap). body is sent from where
 * it is (the secure heap for secrets), never copied by us. With sigv4
 * ("aws:amz:REGION:SERVICE") the request is signed with the key pair; a
 * session token goes in headers as X-Amz-Security-Token (signed too). */
struct acmb_aws_request {
	const char *method; /* GET, POST, PUT */
	const char *url;
	const char *const *headers;
	const void *body;
	size_t body_len;
	const char *sigv4;
	const char *access_key_id;
	const char *secret_access_key;
	const struct acmb_aws_transport *transport; /* NULL: defaults, no debug */
	long total_timeout;                         /* seconds for the whole transfer, 0: none */
	size_t max;                                 /* larger answers are refused */
	int secret_answer; /* the answer goes to the secure heap (body), else plain */
};

enum acmb_aws_transfer {
	ACMB_AWS_TRANSFER_OK = 0,      /* an HTTP answer arrived (any status) */
	ACMB_AWS_TRANSFER_FAILED,      /* no answer: connection, timeout, too big */
	ACMB_AWS_TRANSFER_TLS,         /* TLS handshake or verification failed */
	ACMB_AWS_TRANSFER_INTERRUPTED, /* SIGINT/SIGTERM arrived */
};

/* What came back. Owned by the caller: acmb_aws_answer_clear() frees. */
struct acmb_aws_answer {
	enum acmb_aws_transfer transfer;
	int sent;    /* the request may have reached the service */
	int too_big; /* the answer was over max */
	int idle;    /* no byte for read_timeout seconds */
	long status; /* HTTP status, 0 without an answer */
	char *plain; /* answer (NUL-terminated) when !secret_answer, or NULL */
	size_t plain_len;
	acmb_secbuf *body;                        /* answer when secret_answer (always set then) */
	char request_id[ACMB_AWS_REQUEST_ID_MAX]; /* x-amzn-RequestId or x-amz-request-id */
	char error_type[ACMB_AWS_ERROR_CODE_MAX]; /* X-Amzn-ErrorType, raw */
	char date[64];                            /* the Date header, raw (clock skew) */
	char location[ACMB_AWS_LOCATION_MAX];     /* a redirect's Location header, or "" */
	char error[ACMB_AWS_TRANSPORT_ERROR_MAX]; /* why there is no answer */
};

/* Performs req once. Returns ACMB_OK whatever the transfer's outcome (see
 * ans->transfer); errors only when the request could not be set up.
 * ans is cleared first. */
int acmb_aws_transport_perform(
    const struct acmb_aws_request *req, struct acmb_aws_answer *ans, acmb_err *err);

/* Frees and wipes what ans holds; ans stays usable. */
void acmb_aws_answer_clear(struct acmb_aws_answer *ans);

/* An unsigned request to a metadata service (container credentials, IMDS)
 * with a whole-transfer timeout. On ACMB_OK, *status is the HTTP status and
 * *body a new secure buffer (caller frees with acmb_secbuf_free()).
 * Failures: ACMB_E_NETWORK (ACMB_E_TOO_BIG for an answer over max). */
int acmb_aws_transport_fetch(const char *method, const char *url, const char *const *headers,
    long timeout_seconds, size_t max, long *status, acmb_secbuf **body, acmb_err *err);

/* Sends a printf-style line to the transport's debug sink, if any. */
void acmb_aws_transport_debug(const struct acmb_aws_transport *t, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* --- AWS's standard retry mode, shared by every caller --- */

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

/* The backoff before retry `attempt` with a random factor, and the wait
 * itself on t's clock (cut short by t's cancel flag; test builds skip it
 * with ACMB_TEST_NO_BACKOFF=1). t may be NULL. */
double acmb_aws_backoff_pick(int attempt);
void acmb_aws_backoff_wait(const struct acmb_aws_transport *t, double seconds);

/* The signal that cancelled t's run, or 0 (also for t NULL). */
int acmb_aws_transport_cancelled(const struct acmb_aws_transport *t);

#endif
