#include "aws-http.h"
#include "init.h"
#include "zalloc.h"

#include <dlfcn.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <curl/curl.h>
#include <openssl/evp.h>
#include <openssl/rand.h>

#define MAX_BACKOFF_SECONDS 20.0
#define AWS_MESSAGE_MAX 600
#define LOCATION_MAX 256 /* of a redirect, as shown to the operator */
#define DEBUG_LINE_MAX 512

/*
 * libcurl, loaded on first use. Linking it puts its ~29 dependent libraries
 * (GnuTLS, Kerberos, LDAP, SSH, ...) into every start of the CLI, about two
 * thirds of the start-up cost of `acmbridge check`, which never talks to
 * AWS. So the AWS layer opens libcurl.so.4 itself, the first time a curl
 * function is called, and curl's entry points used anywhere in acmbridge
 * are defined here under their own names, each forwarding to libcurl's:
 * callers keep calling curl_easy_init() and friends unchanged.
 *
 * The wiping allocator is installed (curl_global_init_mem) right after the
 * library is opened and before any other curl call, i.e. before libcurl's
 * first allocation, as acmb_init() did when it was linked. RTLD_NOW binds
 * libcurl's symbols at once: no lazy-binding trampoline later spills vector
 * registers (which may hold key bytes) onto the stack (docs/security.md).
 * The library stays open until exit; acmb_shutdown() runs curl's global
 * cleanup. Not thread-safe: the first curl call happens on one thread.
 */
#define CURL_LIBRARY "libcurl.so.4"

static struct {
	int state; /* 0 not tried, 1 loaded, -1 failed (why in .why) */
	char why[256];
	CURLcode (*global_init)(long);
	CURLcode (*global_init_mem)(long, curl_malloc_callback, curl_free_callback,
	    curl_realloc_callback, curl_strdup_callback, curl_calloc_callback);
	void (*global_cleanup)(void);
	CURL *(*easy_init)(void);
	CURLcode (*easy_setopt)(CURL *, CURLoption, ...);
	CURLcode (*easy_getinfo)(CURL *, CURLINFO, ...);
	CURLcode (*easy_perform)(CURL *);
	void (*easy_cleanup)(CURL *);
	const char *(*easy_strerror)(CURLcode);
	struct curl_slist *(*slist_append)(struct curl_slist *, const char *);
	void (*slist_free_all)(struct curl_slist *);
	CURLU *(*url)(void);
	void (*url_cleanup)(CURLU *);
	CURLUcode (*url_set)(CURLU *, CURLUPart, const char *, unsigned int);
	CURLUcode (*url_get)(CURLU *, CURLUPart, char **, unsigned int);
	void (*free)(void *);
} curl_lib;

/* The library to open; test builds can name a missing one, to show what
 * an operator without libcurl sees. */
static const char *
curl_library(void)
{
#ifdef ACMB_TEST_HOOKS
	const char *name = getenv("ACMB_TEST_CURL_LIBRARY");

	if (name != NULL && name[0] != '\0')
		return name;
#endif
	return CURL_LIBRARY;
}

static void
curl_lib_shutdown(void)
{
	if (curl_lib.state == 1)
		curl_lib.global_cleanup();
}

/* Returns 1 when libcurl is loaded and initialised, loading it on the first call. */
static int
curl_lib_ready(void)
{
	const char *why;
	void *lib;
	CURLcode cc;

	if (curl_lib.state != 0)
		return curl_lib.state == 1;
	curl_lib.state = -1;
	if ((lib = dlopen(curl_library(), RTLD_NOW | RTLD_LOCAL)) == NULL) {
		why = dlerror();
		snprintf(curl_lib.why, sizeof(curl_lib.why), "%s", why != NULL ? why : "not found");
		return 0;
	}
#define CURL_SYM(member, name)                                                                     \
	((curl_lib.member = (__typeof__(curl_lib.member))dlsym(lib, name)) != NULL)
	if (!CURL_SYM(global_init, "curl_global_init") ||
	    !CURL_SYM(global_init_mem, "curl_global_init_mem") ||
	    !CURL_SYM(global_cleanup, "curl_global_cleanup") ||
	    !CURL_SYM(easy_init, "curl_easy_init") || !CURL_SYM(easy_setopt, "curl_easy_setopt") ||
	    !CURL_SYM(easy_getinfo, "curl_easy_getinfo") ||
	    !CURL_SYM(easy_perform, "curl_easy_perform") ||
	    !CURL_SYM(easy_cleanup, "curl_easy_cleanup") ||
	    !CURL_SYM(easy_strerror, "curl_easy_strerror") ||
	    !CURL_SYM(slist_append, "curl_slist_append") ||
	    !CURL_SYM(slist_free_all, "curl_slist_free_all") || !CURL_SYM(url, "curl_url") ||
	    !CURL_SYM(url_cleanup, "curl_url_cleanup") || !CURL_SYM(url_set, "curl_url_set") ||
	    !CURL_SYM(url_get, "curl_url_get") || !CURL_SYM(free, "curl_free")) {
		why = dlerror();
		snprintf(curl_lib.why, sizeof(curl_lib.why), "it lacks a function: %s",
		    why != NULL ? why : "unknown");
		/* No curl code has run yet: closing it leaves nothing behind. */
		dlclose(lib);
		return 0;
	}
#undef CURL_SYM
	if (acmb_init_plain_allocators())
		cc = curl_lib.global_init(CURL_GLOBAL_DEFAULT);
	else
		cc = curl_lib.global_init_mem(CURL_GLOBAL_DEFAULT, acmb_zmalloc, acmb_zfree,
		    acmb_zrealloc, acmb_zstrdup, acmb_zcalloc);
	if (cc != CURLE_OK) {
		snprintf(curl_lib.why, sizeof(curl_lib.why), "libcurl initialisation failed");
		return 0;
	}
	acmb_init_on_shutdown(curl_lib_shutdown);
	curl_lib.state = 1;
	return 1;
}

int
acmb_aws_http_require(acmb_err *err)
{
	if (curl_lib_ready())
		return ACMB_OK;
	/* Exit code 1 ("other"): neither the network nor the service failed. */
	return acmb_error(err, ACMB_E_INTERNAL,
	    "cannot load %s (%s): AWS commands need libcurl 4 (Debian package libcurl4)",
	    curl_library(), curl_lib.why);
}

CURL *
curl_easy_init(void)
{
	return curl_lib_ready() ? curl_lib.easy_init() : NULL;
}

/* Variadic: the one argument's type follows from the option's number range,
 * as libcurl itself reads it (curl.h, CURLOPTTYPE_*). */
CURLcode(curl_easy_setopt)(CURL *h, CURLoption option, ...)
{
	va_list ap;
	CURLcode cc;

	if (!curl_lib_ready())
		return CURLE_FAILED_INIT;
	va_start(ap, option);
	/* The branches differ only in va_arg's type, which clang-tidy 14's
	 * clone check does not compare. NOLINTBEGIN(bugprone-branch-clone) */
	if (option < CURLOPTTYPE_OBJECTPOINT)
		cc = curl_lib.easy_setopt(h, option, va_arg(ap, long));
	else if (option >= CURLOPTTYPE_FUNCTIONPOINT && option < CURLOPTTYPE_OFF_T)
		cc = curl_lib.easy_setopt(h, option, va_arg(ap, void (*)(void)));
	else if (option >= CURLOPTTYPE_OFF_T && option < CURLOPTTYPE_BLOB)
		cc = curl_lib.easy_setopt(h, option, va_arg(ap, curl_off_t));
	else /* object, string, list and blob pointers */
		cc = curl_lib.easy_setopt(h, option, va_arg(ap, void *));
	/* NOLINTEND(bugprone-branch-clone) */
	va_end(ap);
	return cc;
}

/* Every CURLINFO_* takes one pointer. */
CURLcode(curl_easy_getinfo)(CURL *h, CURLINFO info, ...)
{
	va_list ap;
	CURLcode cc;

	if (!curl_lib_ready())
		return CURLE_FAILED_INIT;
	va_start(ap, info);
	cc = curl_lib.easy_getinfo(h, info, va_arg(ap, void *));
	va_end(ap);
	return cc;
}

CURLcode
curl_easy_perform(CURL *h)
{
	return curl_lib_ready() ? curl_lib.easy_perform(h) : CURLE_FAILED_INIT;
}

void
curl_easy_cleanup(CURL *h)
{
	if (curl_lib_ready())
		curl_lib.easy_cleanup(h);
}

const char *
curl_easy_strerror(CURLcode cc)
{
	return curl_lib_ready() ? curl_lib.easy_strerror(cc) : "libcurl is not loaded";
}

struct curl_slist *
curl_slist_append(struct curl_slist *list, const char *s)
{
	return curl_lib_ready() ? curl_lib.slist_append(list, s) : NULL;
}

void
curl_slist_free_all(struct curl_slist *list)
{
	if (curl_lib_ready())
		curl_lib.slist_free_all(list);
}

CURLU *
curl_url(void)
{
	return curl_lib_ready() ? curl_lib.url() : NULL;
}

void
curl_url_cleanup(CURLU *u)
{
	if (curl_lib_ready())
		curl_lib.url_cleanup(u);
}

CURLUcode
curl_url_set(CURLU *u, CURLUPart what, const char *part, unsigned int flags)
{
	return curl_lib_ready() ? curl_lib.url_set(u, what, part, flags) : CURLUE_OUT_OF_MEMORY;
}

CURLUcode
curl_url_get(CURLU *u, CURLUPart what, char **part, unsigned int flags)
{
	return curl_lib_ready() ? curl_lib.url_get(u, what, part, flags) : CURLUE_OUT_OF_MEMORY;
}

void
curl_free(void *p)
{
	if (curl_lib_ready())
		curl_lib.free(p);
}

/*
 * Answers from ACM and Private CA hold certificates, never private keys, so
 * they are collected on the plain heap; the bound keeps a broken or hostile
 * endpoint from filling memory.
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
	char date[64];               /* the Date header, for clock skew (doctor) */
	char location[LOCATION_MAX]; /* Location of a redirect */
};

struct debug_ctx {
	acmb_aws_debug_fn fn;
	void *ctx;
};

static void
response_reset(struct response *rs)
{
	free(rs->d);
	memset(rs, 0, sizeof(*rs));
	rs->max = ACMB_AWS_MAX_RESPONSE;
}

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
	static const char rid[] = "x-amzn-requestid:", etype[] = "x-amzn-errortype:",
	                  date[] = "date:", loc[] = "location:";

	if (n > sizeof(rid) - 1 && strncasecmp(p, rid, sizeof(rid) - 1) == 0)
		header_value(p, n, sizeof(rid) - 2, rs->request_id, sizeof(rs->request_id));
	else if (n > sizeof(etype) - 1 && strncasecmp(p, etype, sizeof(etype) - 1) == 0)
		header_value(p, n, sizeof(etype) - 2, rs->error_type, sizeof(rs->error_type));
	else if (n > sizeof(date) - 1 && strncasecmp(p, date, sizeof(date) - 1) == 0)
		header_value(p, n, sizeof(date) - 2, rs->date, sizeof(rs->date));
	else if (n > sizeof(loc) - 1 && strncasecmp(p, loc, sizeof(loc) - 1) == 0)
		header_value(p, n, sizeof(loc) - 2, rs->location, sizeof(rs->location));
	return n;
}

/* An HTTP Date (RFC 9110 IMF-fixdate, "Sun, 06 Nov 1994 08:49:37 GMT", the
 * only form a server may send), or 0. strptime's %a and %b read English
 * names: the process never calls setlocale(), so it is in the C locale. */
static time_t
http_date(const char *s)
{
	struct tm tm;
	const char *end;

	memset(&tm, 0, sizeof(tm));
	if (s[0] == '\0' || (end = strptime(s, "%a, %d %b %Y %H:%M:%S GMT", &tm)) == NULL ||
	    *end != '\0')
		return 0;
	return timegm(&tm);
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
		if (colon != NULL &&
		    (((size_t)(colon - p) == 13 && strncasecmp(p, "authorization", 13) == 0) ||
		        ((size_t)(colon - p) == 20 &&
		            strncasecmp(p, "x-amz-security-token", 20) == 0)))
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

static void
backoff_sleep(double seconds)
{
	struct timespec ts;

#ifdef ACMB_TEST_HOOKS
	const char *v = getenv("ACMB_TEST_NO_BACKOFF");

	if (v != NULL && strcmp(v, "1") == 0)
		return;
#endif
	ts.tv_sec = (time_t)seconds;
	ts.tv_nsec = (long)((seconds - (double)ts.tv_sec) * 1e9);
	while (nanosleep(&ts, &ts) != 0 && !acmb_interrupted())
		;
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
	if (curl_easy_getinfo(h, CURLINFO_REQUEST_SIZE, &reqsize) == CURLE_OK && reqsize == 0 &&
	    curl_easy_getinfo(h, CURLINFO_PRETRANSFER_TIME_T, &pretransfer) == CURLE_OK &&
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
	if (acmb_interrupted())
		return 1;
	if (w->read_timeout <= 0)
		return 0;
	clock_gettime(CLOCK_MONOTONIC, &now);
	curl_easy_getinfo(w->h, CURLINFO_PRETRANSFER_TIME_T, &pretransfer);
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
			cc = curl_easy_setopt(h, opt, val);                                        \
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

int
acmb_aws_http_fetch(const char *method, const char *url, const char *const *headers,
    long timeout_seconds, size_t max, long *status, acmb_secbuf **body, acmb_err *err)
{
	struct curl_slist *hl = NULL, *tmp;
	struct response rs;
	acmb_secbuf *b = NULL;
	char errbuf[CURL_ERROR_SIZE] = "";
	CURL *h = NULL;
	CURLcode cc;
	int r = ACMB_E_INTERNAL;

	*status = 0;
	*body = NULL;
	memset(&rs, 0, sizeof(rs));
	response_reset(&rs);
	if ((r = acmb_aws_http_require(err)) != ACMB_OK)
		goto out;
	/* Metadata answers carry credentials: straight into the secure heap. */
	if ((b = acmb_secbuf_new(max)) == NULL) {
		r = acmb_error(err, ACMB_E_NOMEM, "out of secure memory");
		goto out;
	}
	rs.secret = b;
	if ((h = curl_easy_init()) == NULL) {
		r = acmb_error(err, ACMB_E_NOMEM, "libcurl: out of memory");
		goto out;
	}
	for (; headers != NULL && *headers != NULL; headers++) {
		if ((tmp = curl_slist_append(hl, *headers)) == NULL) {
			r = acmb_error(err, ACMB_E_NOMEM, "libcurl: out of memory");
			goto out;
		}
		hl = tmp;
	}
	if (setup_transport(h, url, timeout_seconds, NULL, NULL, 0, &rs, errbuf) != ACMB_OK ||
	    curl_easy_setopt(h, CURLOPT_TIMEOUT, curl_timeout(timeout_seconds)) != CURLE_OK ||
	    curl_easy_setopt(h, CURLOPT_CUSTOMREQUEST, method) != CURLE_OK ||
	    curl_easy_setopt(h, CURLOPT_HTTPHEADER, hl) != CURLE_OK) {
		r = acmb_error(err, ACMB_E_INTERNAL, "libcurl refused an option");
		goto out;
	}
	if (strcmp(method, "PUT") == 0 &&
	    (curl_easy_setopt(h, CURLOPT_POSTFIELDS, "") != CURLE_OK ||
	        curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE, 0L) != CURLE_OK)) {
		r = acmb_error(err, ACMB_E_INTERNAL, "libcurl refused an option");
		goto out;
	}
	if ((cc = curl_easy_perform(h)) != CURLE_OK) {
		r = acmb_error(err, rs.too_big ? ACMB_E_TOO_BIG : ACMB_E_NETWORK, "%s %s: %s",
		    method, url,
		    rs.too_big ? "answer too large"
		               : (errbuf[0] != '\0' ? errbuf : curl_easy_strerror(cc)));
		goto out;
	}
	curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, status);
	/* Even an empty answer yields a buffer, NUL-terminated. */
	if (acmb_secbuf_put(b, "", 0) != ACMB_OK) {
		r = acmb_error(err, ACMB_E_NOMEM, "out of secure memory");
		goto out;
	}
	*body = b;
	b = NULL;
	r = ACMB_OK;
out:
	response_reset(&rs);
	acmb_secbuf_free(b);
	curl_slist_free_all(hl);
	curl_easy_cleanup(h);
	return r;
}

/* Copies an AWS message for an operator's eyes: bounded, no control bytes. */
static void
clean_message(const char *in, char *out, size_t outlen)
{
	size_t o = 0;

	for (; in != NULL && *in != '\0' && o + 1 < outlen; in++)
		out[o++] = ((unsigned char)*in < 0x20 || *in == 0x7f) ? ' ' : *in;
	out[o] = '\0';
}

/* What the operator should do about a service error. */
static const char *
error_hint(const char *code, const struct acmb_aws_service *svc, const char *operation, char *buf,
    size_t len)
{
	if (strstr(code, "AccessDenied") != NULL || strcmp(code, "UnauthorizedOperation") == 0 ||
	    strcmp(code, "UnauthorizedException") == 0) {
		snprintf(buf, len, "grant %s:%s to the caller (see docs/aws.md)", svc->iam_prefix,
		    operation);
		return buf;
	}
	if (strcmp(code, "UnrecognizedClientException") == 0 ||
	    strcmp(code, "InvalidClientTokenId") == 0)
		return "check the access key id and, for temporary (ASIA) keys, the session token";
	if (strcmp(code, "InvalidSignatureException") == 0 ||
	    strcmp(code, "SignatureDoesNotMatch") == 0)
		return "check the secret access key and that the system clock is right";
	if (strncmp(code, "ExpiredToken", 12) == 0)
		return "the temporary credentials expired; refresh them";
	if (strcmp(code, "ResourceNotFoundException") == 0)
		return "check the ARN, the account and the region";
	if (strcmp(code, "LimitExceededException") == 0)
		return "a service quota is reached (not retried); delete unused certificates "
		       "or request a quota increase";
	if (strcmp(code, "ValidationException") == 0 ||
	    strcmp(code, "InvalidParameterException") == 0 ||
	    strcmp(code, "InvalidArnException") == 0 || strcmp(code, "InvalidTagException") == 0)
		return "the service rejected the request as invalid";
	if (acmb_aws_retry_classify(0, code) == ACMB_AWS_RETRY_THROTTLE)
		return "the service is throttling; try again later or raise --max-attempts";
	return "see the service's message";
}

/* The outcome of one attempt. */
struct attempt {
	CURLcode cc;
	long status;
	int sent; /* the request may have reached the service */
	char code[ACMB_AWS_ERROR_CODE_MAX];
	char message[AWS_MESSAGE_MAX];
	char curl_error[CURL_ERROR_SIZE];
	json_t *json;  /* parsed 2xx answer */
	int malformed; /* 2xx that is not JSON */
	int too_big;   /* the answer was over ACMB_AWS_MAX_RESPONSE: refused unread */
	char location[LOCATION_MAX];
};

static int
build_headers(const struct acmb_aws_config *cfg, const char *operation, struct curl_slist **out)
{
	const struct acmb_aws_service *svc = acmb_aws_config_service(cfg);
	struct curl_slist *hl = NULL, *tmp;
	acmb_secbuf *line = NULL;
	char target[256];
	const char *token;
	int r = ACMB_E_NOMEM;

	*out = NULL;
	if ((size_t)snprintf(target, sizeof(target), "X-Amz-Target: %s.%s", svc->target_prefix,
	        operation) >= sizeof(target))
		return ACMB_E_INTERNAL;
	if ((tmp = curl_slist_append(hl, "Content-Type: application/x-amz-json-1.1")) == NULL)
		goto out;
	hl = tmp;
	if ((tmp = curl_slist_append(hl, target)) == NULL)
		goto out;
	hl = tmp;
	/* No "Expect:" header to turn off 100-continue for bodies over 1 MiB:
	 * curl 7.88's SigV4 signs every header in this list, the empty one
	 * too, and then does not send it, so the signature would not match.
	 * curl adds its own Expect after signing, which AWS accepts. */
	if ((token = acmb_aws_config_session_token(cfg)) != NULL) {
		/* curl 7.88 has no option for the session token; as an ordinary
		 * header it is among the SigV4 signed headers. The list copy is
		 * in curl's heap, which wipes on free (acmb_init). */
		if ((line = acmb_secbuf_new(strlen(token) + 64)) == NULL ||
		    acmb_secbuf_put(line, "X-Amz-Security-Token: ", 22) != ACMB_OK ||
		    acmb_secbuf_put(line, token, strlen(token)) != ACMB_OK)
			goto out;
		if ((tmp = curl_slist_append(hl, acmb_secbuf_str(line))) == NULL)
			goto out;
		hl = tmp;
	}
	*out = hl;
	hl = NULL;
	r = ACMB_OK;
out:
	acmb_secbuf_free(line);
	curl_slist_free_all(hl);
	return r;
}

static void
attempt_parse_error(struct attempt *a, const struct response *rs)
{
	json_t *j = NULL, *t, *m;
	json_error_t jerr;

	a->code[0] = '\0';
	a->message[0] = '\0';
	if (rs->d != NULL && rs->len > 0 && (j = json_loadb(rs->d, rs->len, 0, &jerr)) != NULL &&
	    json_is_object(j)) {
		if ((t = json_object_get(j, "__type")) != NULL && json_is_string(t))
			acmb_aws_error_code_normalize(
			    json_string_value(t), a->code, sizeof(a->code));
		if (((m = json_object_get(j, "message")) != NULL && json_is_string(m)) ||
		    ((m = json_object_get(j, "Message")) != NULL && json_is_string(m)))
			clean_message(json_string_value(m), a->message, sizeof(a->message));
	}
	json_decref(j);
	if (a->code[0] == '\0' && rs->error_type[0] != '\0')
		acmb_aws_error_code_normalize(rs->error_type, a->code, sizeof(a->code));
	if (a->code[0] == '\0')
		snprintf(a->code, sizeof(a->code), "HTTP%ld", a->status);
}

static int
attempt_once(const struct acmb_aws_config *cfg, const char *url, const char *sigv4,
    struct curl_slist *hl, const acmb_secbuf *body, const struct debug_ctx *dbg, struct attempt *a,
    struct acmb_aws_call_info *info)
{
	struct response rs;
	struct idle_watch watch;
	json_error_t jerr;
	CURL *h = NULL;
	CURLcode cc = CURLE_OK;
	int r = ACMB_E_INTERNAL;

	memset(a, 0, sizeof(*a));
	memset(&watch, 0, sizeof(watch));
	watch.read_timeout = acmb_aws_config_read_timeout(cfg);
	memset(&rs, 0, sizeof(rs));
	response_reset(&rs);
	if ((h = curl_easy_init()) == NULL) {
		r = ACMB_E_NOMEM;
		goto out;
	}
	if (setup_transport(h, url, acmb_aws_config_connect_timeout(cfg), &watch,
	        acmb_aws_config_ca_bundle(cfg), acmb_aws_config_no_verify_ssl(cfg), &rs,
	        a->curl_error) != ACMB_OK)
		goto out;
#define SET(opt, val)                                                                              \
	do {                                                                                       \
		if (cc == CURLE_OK)                                                                \
			cc = curl_easy_setopt(h, opt, val);                                        \
	} while (0)
	SET(CURLOPT_POST, 1L);
	/* POSTFIELDS (not COPYPOSTFIELDS): curl reads the body where it is, in
	 * the secure heap, and hashes it there for SigV4. */
	SET(CURLOPT_POSTFIELDS, acmb_secbuf_str(body));
	SET(CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)acmb_secbuf_len(body));
	SET(CURLOPT_HTTPHEADER, hl);
	/* No credentials (--no-sign-request): the request goes unsigned. */
	if (acmb_aws_config_access_key_id(cfg) != NULL) {
		SET(CURLOPT_AWS_SIGV4, sigv4);
		/* curl's SigV4 builds "AWS4"+secret and its own copies of these in
		 * its heap and frees them with curl's free, which acmb_init() made
		 * our wiping allocator: no copy of the secret survives in freed
		 * memory. */
		SET(CURLOPT_USERNAME, acmb_aws_config_access_key_id(cfg));
		SET(CURLOPT_PASSWORD, acmb_aws_config_secret_access_key(cfg));
	}
	if (dbg->fn != NULL) {
		SET(CURLOPT_DEBUGFUNCTION, curl_debug);
		SET(CURLOPT_DEBUGDATA, (void *)dbg);
		SET(CURLOPT_VERBOSE, 1L);
	}
#undef SET
	if (cc != CURLE_OK)
		goto out;
	a->cc = curl_easy_perform(h);
	info->attempts++;
	if (a->cc != CURLE_OK) {
		a->sent = !failed_before_sending(h, a->cc);
		a->too_big = rs.too_big;
		if (rs.too_big) {
			/* The service answered: its status is known, its body refused. */
			curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &a->status);
			info->http_status = a->status;
			snprintf(a->curl_error, sizeof(a->curl_error),
			    "the answer is larger than %zu bytes", rs.max);
		} else if (watch.fired)
			snprintf(a->curl_error, sizeof(a->curl_error),
			    "no data for %ld seconds (read timeout, --cli-read-timeout)",
			    watch.read_timeout);
		else if (a->curl_error[0] == '\0')
			snprintf(
			    a->curl_error, sizeof(a->curl_error), "%s", curl_easy_strerror(a->cc));
		debugf(dbg, "< no answer (curl: %s)", a->curl_error);
		r = ACMB_OK;
		goto out;
	}
	a->sent = 1;
	curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &a->status);
	info->http_status = a->status;
	info->local_date = time(NULL);
	info->server_date = http_date(rs.date);
	snprintf(info->request_id, sizeof(info->request_id), "%s", rs.request_id);
	debugf(dbg, "< HTTP %ld, request id %s", a->status,
	    rs.request_id[0] != '\0' ? rs.request_id : "(none)");
	if (a->status >= 200 && a->status < 300) {
		if (rs.len == 0)
			a->json = json_object();
		else
			a->json = json_loadb(rs.d, rs.len, 0, &jerr);
		if (a->json == NULL || !json_is_object(a->json)) {
			json_decref(a->json);
			a->json = NULL;
			a->malformed = 1;
		}
	} else {
		attempt_parse_error(a, &rs);
		snprintf(a->location, sizeof(a->location), "%s", rs.location);
	}
	r = ACMB_OK;
out:
	response_reset(&rs);
	curl_easy_cleanup(h);
	return r;
}

int
acmb_aws_call(const struct acmb_aws_config *cfg, const char *operation, const acmb_secbuf *body,
    unsigned flags, json_t **result, struct acmb_aws_call_info *info, acmb_err *err)
{
	const struct acmb_aws_service *svc = acmb_aws_config_service(cfg);
	struct acmb_aws_call_info dummy;
	struct curl_slist *hl = NULL;
	struct debug_ctx dbg;
	struct attempt a;
	char sigv4[160], url[1100], hint[200];
	const char *endpoint = acmb_aws_config_endpoint(cfg);
	enum acmb_aws_retry_class rc;
	int max_attempts = acmb_aws_config_max_attempts(cfg);
	int not_idempotent = (flags & ACMB_AWS_NOT_IDEMPOTENT) != 0;
	int r = ACMB_E_INTERNAL, attempt;
	double delay;

	*result = NULL;
	memset(&a, 0, sizeof(a));
	if (info == NULL)
		info = &dummy;
	memset(info, 0, sizeof(*info));
	if ((r = acmb_aws_http_require(err)) != ACMB_OK)
		return r;
	dbg.fn = acmb_aws_config_debug(cfg, &dbg.ctx);
	if ((size_t)snprintf(sigv4, sizeof(sigv4), "aws:amz:%s:%s", acmb_aws_config_region(cfg),
	        svc->signing_name) >= sizeof(sigv4))
		return acmb_error(err, ACMB_E_CONFIG, "region name too long");
	/* JSON 1.1 services take every operation at "/". */
	if ((size_t)snprintf(url, sizeof(url), "%s%s", endpoint,
	        endpoint[strlen(endpoint) - 1] == '/' ? "" : "/") >= sizeof(url))
		return acmb_error(err, ACMB_E_CONFIG, "endpoint URL too long");
	if ((r = build_headers(cfg, operation, &hl)) != ACMB_OK) {
		r = acmb_error(err, r, "%s: cannot build the request headers", operation);
		goto out;
	}
	for (attempt = 1;; attempt++) {
		if (acmb_interrupted()) {
			r = acmb_error(err, ACMB_E_INTERRUPTED,
			    "%s: interrupted by signal %d before "
			    "attempt %d",
			    operation, acmb_interrupted(), attempt);
			goto out;
		}
		debugf(&dbg, "%s: POST %s (%s.%s, attempt %d of %d)", operation, url,
		    svc->target_prefix, operation, attempt, max_attempts);
		json_decref(a.json);
		if ((r = attempt_once(cfg, url, sigv4, hl, body, &dbg, &a, info)) != ACMB_OK) {
			r = acmb_error(err, r, "%s: cannot set up the HTTP request", operation);
			goto out;
		}
		if (a.cc == CURLE_ABORTED_BY_CALLBACK && acmb_interrupted()) {
			info->response_lost = not_idempotent && a.sent;
			r = acmb_error(err, ACMB_E_INTERRUPTED, "%s: interrupted by signal %d%s",
			    operation, acmb_interrupted(),
			    info->response_lost ? "; the request may have been applied: running "
			                          "the same import again "
			                          "finds it instead of duplicating it"
			                        : "");
			goto out;
		}
		if (a.json != NULL) {
			info->error_code[0] = '\0';
			*result = a.json;
			a.json = NULL;
			r = ACMB_OK;
			goto out;
		}
		snprintf(info->error_code, sizeof(info->error_code), "%s", a.code);
		if (a.too_big) {
			/* Not a network failure and not worth a resend: something
			 * answered with more than any ACM or Private CA answer holds. */
			info->response_lost = not_idempotent;
			r = acmb_error(err, not_idempotent ? ACMB_E_NETWORK : ACMB_E_AWS,
			    "%s: %s answered HTTP %ld with more than %zu bytes, more than any "
			    "answer of the service holds, so it was refused unread (a proxy in "
			    "the way, or an --endpoint-url that is not the service?)%s",
			    operation, endpoint, a.status, (size_t)ACMB_AWS_MAX_RESPONSE,
			    not_idempotent ? "; the request may have been applied" : "");
			goto out;
		}
		if (a.malformed) {
			/* A 2xx means the service acted; its answer is unreadable. */
			info->response_lost = not_idempotent;
			r = acmb_error(err, not_idempotent ? ACMB_E_NETWORK : ACMB_E_AWS,
			    "%s: the service answered HTTP %ld with a body that is not a JSON "
			    "object%s",
			    operation, a.status,
			    not_idempotent ? "; the request may have been applied" : "");
			goto out;
		}
		if (a.cc != CURLE_OK) {
			if (is_tls_error(a.cc)) {
				r = acmb_error(err, ACMB_E_TLS,
				    "%s: the TLS certificate of %s could not be verified or the "
				    "TLS handshake failed (curl: %s); if the endpoint uses a "
				    "private CA, pass it with --ca-bundle or AWS_CA_BUNDLE",
				    operation, endpoint, a.curl_error);
				goto out;
			}
			if (a.sent && not_idempotent) {
				info->response_lost = 1;
				r = acmb_error(err, ACMB_E_NETWORK,
				    "%s: the answer from %s was lost (curl: %s); the request "
				    "may have been applied, so it was not resent",
				    operation, endpoint, a.curl_error);
				goto out;
			}
			rc = ACMB_AWS_RETRY_TRANSIENT;
		} else {
			rc = acmb_aws_retry_classify(a.status, a.code);
			if (rc == ACMB_AWS_RETRY_TRANSIENT && not_idempotent) {
				info->response_lost = 1;
				r = acmb_error(err, ACMB_E_NETWORK,
				    "%s: %s (HTTP %ld): %s; the request may have been applied, "
				    "so it was not resent",
				    operation, a.code, a.status,
				    a.message[0] != '\0' ? a.message : "server error");
				goto out;
			}
		}
		if (rc == ACMB_AWS_NO_RETRY || attempt >= max_attempts)
			break;
		delay = acmb_aws_backoff_seconds(attempt, unit_random());
		debugf(&dbg, "%s: %s, retrying in %.2f s", operation,
		    a.cc != CURLE_OK ? a.curl_error : a.code, delay);
		backoff_sleep(delay);
	}
	if (a.cc != CURLE_OK) {
		r = acmb_error(err, ACMB_E_NETWORK, "%s: cannot reach %s (curl: %s)%s", operation,
		    endpoint, a.curl_error, attempt > 1 ? "; gave up after the last attempt" : "");
		goto out;
	}
	if (a.status >= 300 && a.status < 400) {
		/* A signed request is valid only for the host it was signed for,
		 * so redirects are not followed (and were not acted on). */
		r = acmb_error(err, ACMB_E_AWS,
		    "%s: %s answered HTTP %ld, a redirect to %s, which acmbridge does not "
		    "follow: a signed request is only good for the endpoint it was signed for. "
		    "Check --endpoint-url and the region%s",
		    operation, endpoint, a.status,
		    a.location[0] != '\0' ? a.location : "nowhere (no Location header)",
		    attempt > 1 ? " (gave up after the last attempt)" : "");
		goto out;
	}
	r = acmb_error(err, ACMB_E_AWS, "%s: %s: %s — %s%s", operation, a.code,
	    a.message[0] != '\0' ? a.message : "(no message)",
	    error_hint(a.code, svc, operation, hint, sizeof(hint)),
	    attempt > 1 ? " (gave up after the last attempt)" : "");
out:
	json_decref(a.json);
	curl_slist_free_all(hl);
	return r;
}

static int
dup_pem(json_t *resp, const char *name, char **out)
{
	const char *v = json_string_value(json_object_get(resp, name));

	*out = NULL;
	if (v == NULL)
		return ACMB_OK;
	if (strlen(v) > ACMB_AWS_PEM_FIELD_MAX)
		return ACMB_E_TOO_BIG;
	return (*out = strdup(v)) != NULL ? ACMB_OK : ACMB_E_NOMEM;
}

int
acmb_aws_json_cert_chain(json_t *resp, char **cert, char **chain, acmb_err *err)
{
	int r = ACMB_E_INTERNAL;

	*cert = NULL;
	*chain = NULL;
	if (dup_pem(resp, "Certificate", cert) != ACMB_OK ||
	    dup_pem(resp, "CertificateChain", chain) != ACMB_OK) {
		r = acmb_error(err, ACMB_E_AWS,
		    "GetCertificate: the certificate or chain is over %zu bytes or memory ran out",
		    ACMB_AWS_PEM_FIELD_MAX);
		goto fail;
	}
	if (*cert == NULL) {
		r = acmb_error(err, ACMB_E_AWS, "GetCertificate: the answer has no Certificate");
		goto fail;
	}
	return ACMB_OK;
fail:
	free(*cert);
	free(*chain);
	*cert = *chain = NULL;
	return r;
}

json_t *
acmb_aws_json_blob(const void *data, size_t len)
{
	unsigned char *b64;
	json_t *j;

	if (len > (size_t)INT_MAX / 4 * 3 || (b64 = malloc(4 * ((len + 2) / 3) + 1)) == NULL)
		return NULL;
	EVP_EncodeBlock(b64, data, (int)len);
	j = json_string((const char *)b64);
	free(b64);
	return j;
}

const char *
acmb_aws_http_curl_version(void)
{
	const curl_version_info_data *(*version_info)(CURLversion);
	const curl_version_info_data *v;
	const char *version = NULL;
	void *lib;

	if (!curl_lib_ready())
		return NULL;
	/* Not one of the shims above: only this asks, and only once. NOLOAD
	 * hands back the library already open (one more reference, dropped
	 * below; it stays loaded). */
	if ((lib = dlopen(curl_library(), RTLD_NOW | RTLD_NOLOAD)) == NULL)
		return NULL;
	version_info =
	    (const curl_version_info_data *(*)(CURLversion))dlsym(lib, "curl_version_info");
	if (version_info != NULL && (v = version_info(CURLVERSION_NOW)) != NULL)
		version = v->version;
	dlclose(lib);
	return version;
}
