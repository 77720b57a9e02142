/*
 * HTTP(S) to AWS: libcurl loaded on first use, one request signed or not,
 * bounded answers, and the pieces of AWS's standard retry mode. Nothing
 * here knows about configuration or credentials' sources.
 */
#include "aws-transport.h"
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
#include <openssl/rand.h>

#define MAX_BACKOFF_SECONDS 20.0
#define DEBUG_LINE_MAX 512
#define DEFAULT_MAX_ANSWER ((size_t)8 << 20)

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

const char *
acmb_aws_transport_curl_version(void)
{
	const curl_version_info_data *(*version_info)(CURLversion);
	const curl_version_info_data *v;
	const char *version = NULL;
	void *lib;

	if (!curl_lib_ready())
		return NULL;
	/* Not one of the shims below: only this asks, and only once. NOLOAD
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

int
acmb_aws_transport_require(acmb_err *err)
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

void
acmb_aws_backoff_wait(double seconds)
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
		if ((tmp = curl_slist_append(hl, *headers)) == NULL) {
			curl_slist_free_all(hl);
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
	static const struct acmb_aws_transport defaults = {NULL, 0,
	    ACMB_AWS_TRANSPORT_DEFAULT_TIMEOUT, ACMB_AWS_TRANSPORT_DEFAULT_TIMEOUT, 1, NULL, NULL};
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
	dbg.fn = t->debug_fn;
	dbg.ctx = t->debug_ctx;
	if ((r = acmb_aws_transport_require(err)) != ACMB_OK)
		goto out;
	if (req->secret_answer && (rs.secret = acmb_secbuf_new(rs.max)) == NULL) {
		r = acmb_error(err, ACMB_E_NOMEM, "out of secure memory");
		goto out;
	}
	if ((h = curl_easy_init()) == NULL || header_list(req->headers, &hl) != ACMB_OK) {
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
			cc = curl_easy_setopt(h, opt, val);                                        \
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
	cc = curl_easy_perform(h);
	snprintf(ans->request_id, sizeof(ans->request_id), "%s", rs.request_id);
	snprintf(ans->error_type, sizeof(ans->error_type), "%s", rs.error_type);
	snprintf(ans->date, sizeof(ans->date), "%s", rs.date);
	if (cc != CURLE_OK) {
		ans->sent = !failed_before_sending(h, cc);
		ans->too_big = rs.too_big;
		ans->idle = watch.fired;
		if (cc == CURLE_ABORTED_BY_CALLBACK && acmb_interrupted())
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
			    errbuf[0] != '\0' ? errbuf : curl_easy_strerror(cc));
		r = ACMB_OK;
		goto out;
	}
	ans->sent = 1;
	curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &ans->status);
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
	curl_slist_free_all(hl);
	curl_easy_cleanup(h);
	return r;
}

int
acmb_aws_transport_fetch(const char *method, const char *url, const char *const *headers,
    long timeout_seconds, size_t max, long *status, acmb_secbuf **body, acmb_err *err)
{
	struct acmb_aws_transport t = {NULL, 0, timeout_seconds, 0, 1, NULL, NULL};
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
