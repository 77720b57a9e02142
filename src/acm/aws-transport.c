/*
 * HTTP(S) to AWS: libcurl loaded on first use, one request signed or not,
 * bounded answers, and the pieces of AWS's standard retry mode. Nothing
 * here knows about configuration or credentials' sources.
 */
#include "aws-transport.h"
#include "aws-curl.h"

#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <openssl/rand.h>

#define MAX_BACKOFF_SECONDS 20.0
#define DEBUG_LINE_MAX 512
#define DEFAULT_MAX_ANSWER ((size_t)8 << 20)

const char *
acmb_aws_transport_curl_version(void)
{
	return acmb_curl_version();
}

int
acmb_aws_transport_require(acmb_err *err)
{
	return acmb_curl_require(err);
}

/*
 * Answers from ACM and Private CA hold certificates, never private keys, so
 * they are collected on the plain heap; credentials' answers go to the
 * secure heap. The bound keeps a broken or hostile endpoint from filling
 * memory.
 */
struct response {
	acmb_secbuf *secret; /* when set, the body goes here instead of d */
	char *d;
	size_t len;
	size_t cap;
	size_t max;
	int too_big;
	char request_id[ACMB_AWS_REQUEST_ID_MAX];
	char error_type[ACMB_AWS_ERROR_CODE_MAX];
	char date[64]; /* the Date header, for clock skew (doctor) */
};

struct debug_ctx {
	acmb_aws_debug_fn fn;
	void *ctx;
};

static size_t
response_write(char *p, size_t size, size_t nmemb, void *user)
{
	struct response *rs = user;
	size_t n = size * nmemb, ncap;
	char *nd;

	if (rs->secret != NULL) {
		if (acmb_secbuf_put(rs->secret, p, n) != ACMB_OK) {
			rs->too_big = acmb_secbuf_len(rs->secret) + n > acmb_secbuf_max(rs->secret);
			return 0;
		}
		return n;
	}
	if (n > rs->max - rs->len) {
		rs->too_big = 1;
		return 0;
	}
	if (rs->len + n + 1 > rs->cap) {
		ncap = rs->cap < 4096 ? 4096 : rs->cap;
		while (ncap < rs->len + n + 1)
			ncap *= 2;
		if (ncap > rs->max + 1)
			ncap = rs->max + 1;
		if ((nd = realloc(rs->d, ncap)) == NULL)
			return 0;
		rs->d = nd;
		rs->cap = ncap;
	}
	memcpy(rs->d + rs->len, p, n);
	rs->len += n;
	rs->d[rs->len] = '\0';
	return n;
}

/* Copies a header's value (bounded, printable ASCII only) into dst. */
static void
header_value(const char *line, size_t n, size_t namelen, char *dst, size_t dstlen)
{
	size_t i, o = 0;

	for (i = namelen + 1; i < n && (line[i] == ' ' || line[i] == '\t'); i++)
		;
	for (; i < n && o + 1 < dstlen; i++) {
		if (line[i] == '\r' || line[i] == '\n')
			break;
		if ((unsigned char)line[i] >= 0x20 && (unsigned char)line[i] < 0x7f)
			dst[o++] = line[i];
	}
	dst[o] = '\0';
}

static size_t
response_header(char *p, size_t size, size_t nmemb, void *user)
{
	struct response *rs = user;
	size_t n = size * nmemb;
	static const char rid[] = "x-amzn-requestid:", rid2[] = "x-amz-request-id:",
	                  etype[] = "x-amzn-errortype:", date[] = "date:";

	if (n > sizeof(rid) - 1 && strncasecmp(p, rid, sizeof(rid) - 1) == 0)
		header_value(p, n, sizeof(rid) - 2, rs->request_id, sizeof(rs->request_id));
	else if (n > sizeof(rid2) - 1 && strncasecmp(p, rid2, sizeof(rid2) - 1) == 0)
		header_value(p, n, sizeof(rid2) - 2, rs->request_id, sizeof(rs->request_id));
	else if (n > sizeof(etype) - 1 && strncasecmp(p, etype, sizeof(etype) - 1) == 0)
		header_value(p, n, sizeof(etype) - 2, rs->error_type, sizeof(rs->error_type));
	else if (n > sizeof(date) - 1 && strncasecmp(p, date, sizeof(date) - 1) == 0)
		header_value(p, n, sizeof(date) - 2, rs->date, sizeof(rs->date));
	return n;
}

static void debugf(const struct debug_ctx *d, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static void
debugf(const struct debug_ctx *d, const char *fmt, ...)
{
	char line[DEBUG_LINE_MAX];
	va_list ap;

	if (d == NULL || d->fn == NULL)
		return;
	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	d->fn(d->ctx, line);
}

/* Headers whose values are credentials or tokens. */
static int
secret_header(const char *name, size_t n)
{
	static const char *const names[] = {"authorization", "x-amz-security-token",
	    "x-amz-sso_bearer_token", "x-aws-ec2-metadata-token", NULL};
	size_t i;

	for (i = 0; names[i] != NULL; i++)
		if (strlen(names[i]) == n && strncasecmp(name, names[i], n) == 0)
			return 1;
	return 0;
}

/*
 * Reports the headers curl sent, one per line. Only the outgoing header
 * block is looked at (never bodies, never curl's own text); the values of
 * the two headers that carry credentials are never copied.
 */
static int
curl_debug(CURL *h, curl_infotype type, char *data, size_t size, void *user)
{
	const struct debug_ctx *d = user;
	const char *p = data, *end = data + size, *nl, *colon;
	size_t n;

	(void)h;
	if (type != CURLINFO_HEADER_OUT)
		return 0;
	for (; p < end; p = nl + 1) {
		if ((nl = memchr(p, '\n', (size_t)(end - p))) == NULL)
			nl = end;
		n = (size_t)(nl - p);
		if (n > 0 && p[n - 1] == '\r')
			n--;
		if (n == 0)
			continue;
		if (n > DEBUG_LINE_MAX - 16)
			n = DEBUG_LINE_MAX - 16;
		colon = memchr(p, ':', n);
		if (colon != NULL && secret_header(p, (size_t)(colon - p)))
			debugf(d, "> %.*s: <redacted>", (int)(colon - p), p);
		else
			debugf(d, "> %.*s", (int)n, p);
	}
	return 0;
}

void
acmb_aws_error_code_normalize(const char *raw, char *out, size_t outlen)
{
	const char *p, *colon;
	size_t n, i, o = 0;

	if (outlen == 0)
		return;
	out[0] = '\0';
	if (raw == NULL)
		return;
	/* botocore: the part before the first ':', after its last '#'. */
	n = (colon = strchr(raw, ':')) != NULL ? (size_t)(colon - raw) : strlen(raw);
	for (p = raw + n; p > raw && p[-1] != '#'; p--)
		;
	n -= (size_t)(p - raw);
	for (i = 0; i < n && o + 1 < outlen; i++)
		if (p[i] > 0x20 && p[i] < 0x7f)
			out[o++] = p[i];
	out[o] = '\0';
}

static int
code_in(const char *code, const char *const *list)
{
	for (; *list != NULL; list++)
		if (strcmp(code, *list) == 0)
			return 1;
	return 0;
}

enum acmb_aws_retry_class
acmb_aws_retry_classify(long http_status, const char *code)
{
	/* botocore retries/standard.py and the AWS SDKs reference guide. */
	static const char *const throttling[] = {"Throttling", "ThrottlingException",
	    "ThrottledException", "RequestThrottledException", "TooManyRequestsException",
	    "ProvisionedThroughputExceededException", "TransactionInProgressException",
	    "RequestLimitExceeded", "BandwidthLimitExceeded", "SlowDown", "PriorRequestNotComplete",
	    "EC2ThrottledException", NULL};
	static const char *const transient[] = {
	    "RequestTimeout", "RequestTimeoutException", "InternalError", NULL};

	if (code == NULL)
		code = "";
	/* ACM's LimitExceededException is a quota, not a rate: retrying cannot help. */
	if (strcmp(code, "LimitExceededException") == 0)
		return ACMB_AWS_NO_RETRY;
	if (code_in(code, throttling))
		return ACMB_AWS_RETRY_THROTTLE;
	if (code_in(code, transient))
		return ACMB_AWS_RETRY_TRANSIENT;
	if (http_status == 500 || http_status == 502 || http_status == 503 || http_status == 504)
		return ACMB_AWS_RETRY_TRANSIENT;
	return ACMB_AWS_NO_RETRY;
}

double
acmb_aws_backoff_seconds(int attempt, double unit_random)
{
	double d;

	if (attempt < 1)
		return 0.0;
	/* 2^(attempt-1) passes 20 from attempt 6 on; stop doubling there. */
	d = attempt > 6 ? MAX_BACKOFF_SECONDS : unit_random * (double)(1u << (attempt - 1));
	return d > MAX_BACKOFF_SECONDS ? MAX_BACKOFF_SECONDS : d;
}

static double
unit_random(void)
{
	unsigned char b[4];
	unsigned long v;

	if (RAND_bytes(b, sizeof(b)) != 1)
		return 0.5;
	v = ((unsigned long)b[0] << 24) | ((unsigned long)b[1] << 16) | ((unsigned long)b[2] << 8) |
	    b[3];
	return (double)v / 4294967296.0;
}

int
acmb_aws_transport_cancelled(const struct acmb_aws_transport *t)
{
	return acmb_cancel_signal(t != NULL ? t->cancel : NULL);
}

void
acmb_aws_backoff_wait(const struct acmb_aws_transport *t, double seconds)
{
	struct acmb_clock *own = NULL;

#ifdef ACMB_TEST_HOOKS
	const char *v = getenv("ACMB_TEST_NO_BACKOFF");

	if (v != NULL && strcmp(v, "1") == 0)
		return;
#endif
	if (t != NULL && t->clock != NULL) {
		(void)acmb_clock_sleep(t->clock, seconds, t->cancel);
		return;
	}
	if ((own = acmb_clock_new_system()) == NULL)
		return;
	(void)acmb_clock_sleep(own, seconds, t != NULL ? t->cancel : NULL);
	acmb_clock_free(own);
}

static int
is_tls_error(CURLcode cc)
{
	return cc == CURLE_PEER_FAILED_VERIFICATION || cc == CURLE_SSL_CACERT_BADFILE ||
	       cc == CURLE_SSL_CONNECT_ERROR || cc == CURLE_SSL_CERTPROBLEM ||
	       cc == CURLE_SSL_CIPHER || cc == CURLE_SSL_ISSUER_ERROR ||
	       cc == CURLE_SSL_CRL_BADFILE || cc == CURLE_USE_SSL_FAILED;
}

/* Failures that happen before the request leaves: resending cannot
 * duplicate anything. */
static int
failed_before_sending(CURL *h, CURLcode cc)
{
	curl_off_t pretransfer = 0;
	long reqsize = 0;

	if (cc == CURLE_COULDNT_RESOLVE_HOST || cc == CURLE_COULDNT_RESOLVE_PROXY ||
	    cc == CURLE_COULDNT_CONNECT || is_tls_error(cc))
		return 1;
	if (acmb_curl_easy_getinfo(h, CURLINFO_REQUEST_SIZE, &reqsize) == CURLE_OK &&
	    reqsize == 0 &&
	    acmb_curl_easy_getinfo(h, CURLINFO_PRETRANSFER_TIME_T, &pretransfer) == CURLE_OK &&
	    pretransfer == 0)
		return 1;
	return 0;
}

/*
 * The AWS CLI's read timeout is "no byte for N seconds on the socket".
 * libcurl has none: its low-speed limit averages over a window that the
 * just-sent body keeps above any threshold. So a progress callback (called
 * at least once a second, idle or not) watches for N seconds without a byte
 * in either direction once the connection is up.
 */
struct idle_watch {
	CURL *h;
	const struct acmb_cancel *cancel;
	long read_timeout;
	curl_off_t dl;
	curl_off_t ul;
	struct timespec last;
	int fired;
};

static int
idle_check(void *user, curl_off_t dltotal, curl_off_t dlnow, curl_off_t ultotal, curl_off_t ulnow)
{
	struct idle_watch *w = user;
	struct timespec now;
	curl_off_t pretransfer = 0;

	(void)dltotal;
	(void)ultotal;
	/* SIGINT/SIGTERM: abort the transfer; the caller unwinds and wipes. */
	if (acmb_cancel_signal(w->cancel))
		return 1;
	if (w->read_timeout <= 0)
		return 0;
	clock_gettime(CLOCK_MONOTONIC, &now);
	acmb_curl_easy_getinfo(w->h, CURLINFO_PRETRANSFER_TIME_T, &pretransfer);
	if (pretransfer == 0 || dlnow != w->dl || ulnow != w->ul) {
		w->dl = dlnow;
		w->ul = ulnow;
		w->last = now;
		return 0;
	}
	if (now.tv_sec - w->last.tv_sec > w->read_timeout ||
	    (now.tv_sec - w->last.tv_sec == w->read_timeout && now.tv_nsec >= w->last.tv_nsec)) {
		w->fired = 1;
		return 1;
	}
	return 0;
}

/* libcurl takes 0 as "use the 300 s default"; the AWS CLI takes 0 as "no
 * limit", so 0 becomes the largest value curl accepts. */
static long
curl_timeout(long seconds)
{
	return seconds == 0 ? LONG_MAX / 1000 : seconds;
}

/*
 * Transport settings shared by signed calls and metadata fetches. Proxies:
 * libcurl itself honours http_proxy, https_proxy, HTTPS_PROXY, ALL_PROXY and
 * NO_PROXY (not upper-case HTTP_PROXY, for the CGI reason curl documents).
 */
static int
setup_transport(CURL *h, const char *url, long connect_timeout, struct idle_watch *watch,
    const char *ca_bundle, int no_verify, struct response *rs, char *errbuf)
{
	CURLcode cc = CURLE_OK;

#define SET(opt, val)                                                                              \
	do {                                                                                       \
		if (cc == CURLE_OK)                                                                \
			cc = acmb_curl_easy_setopt(h, opt, val);                                   \
	} while (0)
	SET(CURLOPT_URL, url);
	SET(CURLOPT_PROTOCOLS_STR, "http,https");
	SET(CURLOPT_NOSIGNAL, 1L);
	SET(CURLOPT_FOLLOWLOCATION, 0L);
	SET(CURLOPT_ERRORBUFFER, errbuf);
	SET(CURLOPT_WRITEFUNCTION, response_write);
	SET(CURLOPT_WRITEDATA, rs);
	SET(CURLOPT_HEADERFUNCTION, response_header);
	SET(CURLOPT_HEADERDATA, rs);
	SET(CURLOPT_CONNECTTIMEOUT, curl_timeout(connect_timeout));
	if (watch != NULL) {
		watch->h = h;
		clock_gettime(CLOCK_MONOTONIC, &watch->last);
		SET(CURLOPT_XFERINFOFUNCTION, idle_check);
		SET(CURLOPT_XFERINFODATA, watch);
		SET(CURLOPT_NOPROGRESS, 0L);
	}
	SET(CURLOPT_SSL_VERIFYPEER, no_verify ? 0L : 1L);
	SET(CURLOPT_SSL_VERIFYHOST, no_verify ? 0L : 2L);
	if (ca_bundle != NULL)
		SET(CURLOPT_CAINFO, ca_bundle);
#undef SET
	return cc == CURLE_OK ? ACMB_OK : ACMB_E_INTERNAL;
}

double
acmb_aws_backoff_pick(int attempt)
{
	return acmb_aws_backoff_seconds(attempt, unit_random());
}

void
acmb_aws_transport_debug(const struct acmb_aws_transport *t, const char *fmt, ...)
{
	char line[DEBUG_LINE_MAX];
	va_list ap;

	if (t == NULL || t->debug_fn == NULL)
		return;
	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	t->debug_fn(t->debug_ctx, line);
}

void
acmb_aws_answer_clear(struct acmb_aws_answer *ans)
{
	free(ans->plain);
	acmb_secbuf_free(ans->body);
	memset(ans, 0, sizeof(*ans));
}

/* The headers list for curl; its copies live in curl's wiping heap. */
static int
header_list(const char *const *headers, struct curl_slist **out)
{
	struct curl_slist *hl = NULL, *tmp;

	*out = NULL;
	for (; headers != NULL && *headers != NULL; headers++) {
		if ((tmp = acmb_curl_slist_append(hl, *headers)) == NULL) {
			acmb_curl_slist_free_all(hl);
			return ACMB_E_NOMEM;
		}
		hl = tmp;
	}
	*out = hl;
	return ACMB_OK;
}

int
acmb_aws_transport_perform(
    const struct acmb_aws_request *req, struct acmb_aws_answer *ans, acmb_err *err)
{
	static const struct acmb_aws_transport defaults = {
	    .connect_timeout = ACMB_AWS_TRANSPORT_DEFAULT_TIMEOUT,
	    .read_timeout = ACMB_AWS_TRANSPORT_DEFAULT_TIMEOUT,
	    .max_attempts = 1,
	};
	const struct acmb_aws_transport *t = req->transport != NULL ? req->transport : &defaults;
	struct curl_slist *hl = NULL;
	struct response rs;
	struct idle_watch watch;
	struct debug_ctx dbg;
	char errbuf[CURL_ERROR_SIZE] = "";
	CURL *h = NULL;
	CURLcode cc = CURLE_OK;
	int r = ACMB_E_INTERNAL;

	memset(ans, 0, sizeof(*ans));
	memset(&rs, 0, sizeof(rs));
	memset(&watch, 0, sizeof(watch));
	rs.max = req->max > 0 ? req->max : DEFAULT_MAX_ANSWER;
	watch.read_timeout = t->read_timeout;
	watch.cancel = t->cancel;
	dbg.fn = t->debug_fn;
	dbg.ctx = t->debug_ctx;
	if ((r = acmb_aws_transport_require(err)) != ACMB_OK)
		goto out;
	if (req->secret_answer && (rs.secret = acmb_secbuf_new(rs.max)) == NULL) {
		r = acmb_error(err, ACMB_E_NOMEM, "out of secure memory");
		goto out;
	}
	if ((h = acmb_curl_easy_init()) == NULL || header_list(req->headers, &hl) != ACMB_OK) {
		r = acmb_error(err, ACMB_E_NOMEM, "libcurl: out of memory");
		goto out;
	}
	if (setup_transport(h, req->url, t->connect_timeout, &watch, t->ca_bundle, t->no_verify_ssl,
	        &rs, errbuf) != ACMB_OK) {
		r = acmb_error(err, ACMB_E_INTERNAL, "libcurl refused an option");
		goto out;
	}
#define SET(opt, val)                                                                              \
	do {                                                                                       \
		if (cc == CURLE_OK)                                                                \
			cc = acmb_curl_easy_setopt(h, opt, val);                                   \
	} while (0)
	SET(CURLOPT_HTTPHEADER, hl);
	if (req->total_timeout > 0)
		SET(CURLOPT_TIMEOUT, curl_timeout(req->total_timeout));
	if (strcmp(req->method, "GET") == 0) {
		SET(CURLOPT_HTTPGET, 1L);
	} else {
		SET(CURLOPT_POST, 1L);
		/* POSTFIELDS (not COPYPOSTFIELDS): curl reads the body where it
		 * is, in the secure heap, and hashes it there for SigV4. */
		SET(CURLOPT_POSTFIELDS, req->body != NULL ? (const char *)req->body : "");
		SET(CURLOPT_POSTFIELDSIZE_LARGE,
		    (curl_off_t)(req->body != NULL ? req->body_len : 0));
		if (strcmp(req->method, "POST") != 0)
			SET(CURLOPT_CUSTOMREQUEST, req->method);
	}
	if (req->sigv4 != NULL) {
		SET(CURLOPT_AWS_SIGV4, req->sigv4);
		/* curl's SigV4 builds "AWS4"+secret and its own copies of these
		 * in its heap and frees them with curl's free, which acmb_init()
		 * made our wiping allocator: no copy of the secret survives in
		 * freed memory. */
		SET(CURLOPT_USERNAME, req->access_key_id);
		SET(CURLOPT_PASSWORD, req->secret_access_key);
	}
	if (dbg.fn != NULL) {
		SET(CURLOPT_DEBUGFUNCTION, curl_debug);
		SET(CURLOPT_DEBUGDATA, (void *)&dbg);
		SET(CURLOPT_VERBOSE, 1L);
	}
#undef SET
	if (cc != CURLE_OK) {
		r = acmb_error(err, ACMB_E_INTERNAL, "libcurl refused an option");
		goto out;
	}
	cc = acmb_curl_easy_perform(h);
	snprintf(ans->request_id, sizeof(ans->request_id), "%s", rs.request_id);
	snprintf(ans->error_type, sizeof(ans->error_type), "%s", rs.error_type);
	snprintf(ans->date, sizeof(ans->date), "%s", rs.date);
	if (cc != CURLE_OK) {
		ans->sent = !failed_before_sending(h, cc);
		ans->too_big = rs.too_big;
		ans->idle = watch.fired;
		if (cc == CURLE_ABORTED_BY_CALLBACK && acmb_cancel_signal(t->cancel))
			ans->transfer = ACMB_AWS_TRANSFER_INTERRUPTED;
		else if (is_tls_error(cc))
			ans->transfer = ACMB_AWS_TRANSFER_TLS;
		else
			ans->transfer = ACMB_AWS_TRANSFER_FAILED;
		if (rs.too_big)
			snprintf(ans->error, sizeof(ans->error),
			    "the answer is larger than %zu bytes", rs.max);
		else if (watch.fired)
			snprintf(ans->error, sizeof(ans->error),
			    "no data for %ld seconds (read timeout, --cli-read-timeout)",
			    watch.read_timeout);
		else
			snprintf(ans->error, sizeof(ans->error), "%s",
			    errbuf[0] != '\0' ? errbuf : acmb_curl_easy_strerror(cc));
		r = ACMB_OK;
		goto out;
	}
	ans->sent = 1;
	acmb_curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &ans->status);
	if (rs.secret != NULL) {
		/* Even an empty answer is a NUL-terminated buffer. */
		if (acmb_secbuf_put(rs.secret, "", 0) != ACMB_OK) {
			r = acmb_error(err, ACMB_E_NOMEM, "out of secure memory");
			goto out;
		}
		ans->body = rs.secret;
		rs.secret = NULL;
	} else {
		ans->plain = rs.d;
		ans->plain_len = rs.len;
		rs.d = NULL;
	}
	r = ACMB_OK;
out:
	free(rs.d);
	acmb_secbuf_free(rs.secret);
	acmb_curl_slist_free_all(hl);
	acmb_curl_easy_cleanup(h);
	return r;
}

int
acmb_aws_transport_fetch(const char *method, const char *url, const char *const *headers,
    long timeout_seconds, size_t max, long *status, acmb_secbuf **body, acmb_err *err)
{
	struct acmb_aws_transport t = {.connect_timeout = timeout_seconds, .max_attempts = 1};
	struct acmb_aws_request req;
	struct acmb_aws_answer ans;
	int r;

	*status = 0;
	*body = NULL;
	memset(&req, 0, sizeof(req));
	req.method = method;
	req.url = url;
	req.headers = headers;
	req.transport = &t;
	req.total_timeout = timeout_seconds;
	req.max = max;
	req.secret_answer = 1;
	if ((r = acmb_aws_transport_perform(&req, &ans, err)) != ACMB_OK)
		return r;
	if (ans.transfer != ACMB_AWS_TRANSFER_OK) {
		r = acmb_error(err, ans.too_big ? ACMB_E_TOO_BIG : ACMB_E_NETWORK, "%s %s: %s",
		    method, url, ans.too_big ? "answer too large" : ans.error);
		acmb_aws_answer_clear(&ans);
		return r;
	}
	*status = ans.status;
	*body = ans.body;
	ans.body = NULL;
	acmb_aws_answer_clear(&ans);
	return ACMB_OK;
}
