#include "aws-curl.h"

#include <dlfcn.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "init.h"
#include "zalloc.h"

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
	unsigned long allocs; /* blocks libcurl took from the wiping allocator */
	int wiping;           /* the probe after initialisation saw one */
} curl_lib;

/* The wiping allocator, counted: curl_global_init_mem() says CURLE_OK even
 * when libcurl had been initialised already (by a host program) and keeps
 * its own allocator, so whether ours is in use is seen, not assumed. */
static void *
counted_malloc(size_t n)
{
	__atomic_fetch_add(&curl_lib.allocs, 1, __ATOMIC_RELAXED); /* threads (sync) */
	return acmb_zmalloc(n);
}

static void *
counted_calloc(size_t nmemb, size_t size)
{
	__atomic_fetch_add(&curl_lib.allocs, 1, __ATOMIC_RELAXED); /* threads (sync) */
	return acmb_zcalloc(nmemb, size);
}

static char *
counted_strdup(const char *s)
{
	__atomic_fetch_add(&curl_lib.allocs, 1, __ATOMIC_RELAXED); /* threads (sync) */
	return acmb_zstrdup(s);
}

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
		cc = curl_lib.global_init_mem(CURL_GLOBAL_DEFAULT, counted_malloc, acmb_zfree,
		    acmb_zrealloc, counted_strdup, counted_calloc);
	if (cc != CURLE_OK) {
		snprintf(curl_lib.why, sizeof(curl_lib.why), "libcurl initialisation failed");
		return 0;
	}
	acmb_init_on_shutdown(curl_lib_shutdown);
	curl_lib.state = 1;
	/* A URL handle is one small allocation: if it did not come from our
	 * allocator, libcurl was initialised before us. */
	{
		unsigned long before = curl_lib.allocs;
		CURLU *probe = curl_lib.url();

		curl_lib.wiping = probe != NULL && curl_lib.allocs != before;
		curl_lib.url_cleanup(probe);
	}
	return 1;
}

int
acmb_curl_wiping(void)
{
	return curl_lib.state == 1 && curl_lib.wiping;
}

int
acmb_curl_require(acmb_err *err)
{
	if (curl_lib_ready())
		return ACMB_OK;
	/* Exit code 1 ("other"): neither the network nor the service failed. */
	return acmb_error(err, ACMB_E_INTERNAL,
	    "cannot load %s (%s): AWS commands need libcurl 4 (Debian package libcurl4)",
	    curl_library(), curl_lib.why);
}

CURL *
acmb_curl_easy_init(void)
{
	return curl_lib_ready() ? curl_lib.easy_init() : NULL;
}

/* Variadic: the one argument's type follows from the option's number range,
 * as libcurl itself reads it (curl.h, CURLOPTTYPE_*). */
CURLcode
acmb_curl_easy_setopt(CURL *h, CURLoption option, ...)
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
CURLcode
acmb_curl_easy_getinfo(CURL *h, CURLINFO info, ...)
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
acmb_curl_easy_perform(CURL *h)
{
	return curl_lib_ready() ? curl_lib.easy_perform(h) : CURLE_FAILED_INIT;
}

void
acmb_curl_easy_cleanup(CURL *h)
{
	if (curl_lib_ready())
		curl_lib.easy_cleanup(h);
}

const char *
acmb_curl_easy_strerror(CURLcode cc)
{
	return curl_lib_ready() ? curl_lib.easy_strerror(cc) : "libcurl is not loaded";
}

struct curl_slist *
acmb_curl_slist_append(struct curl_slist *list, const char *s)
{
	return curl_lib_ready() ? curl_lib.slist_append(list, s) : NULL;
}

void
acmb_curl_slist_free_all(struct curl_slist *list)
{
	if (curl_lib_ready())
		curl_lib.slist_free_all(list);
}

CURLU *
acmb_curl_url(void)
{
	return curl_lib_ready() ? curl_lib.url() : NULL;
}

void
acmb_curl_url_cleanup(CURLU *u)
{
	if (curl_lib_ready())
		curl_lib.url_cleanup(u);
}

CURLUcode
acmb_curl_url_set(CURLU *u, CURLUPart what, const char *part, unsigned int flags)
{
	return curl_lib_ready() ? curl_lib.url_set(u, what, part, flags) : CURLUE_OUT_OF_MEMORY;
}

CURLUcode
acmb_curl_url_get(CURLU *u, CURLUPart what, char **part, unsigned int flags)
{
	return curl_lib_ready() ? curl_lib.url_get(u, what, part, flags) : CURLUE_OUT_OF_MEMORY;
}

void
acmb_curl_free(void *p)
{
	if (curl_lib_ready())
		curl_lib.free(p);
}

const char *
acmb_curl_version(void)
{
	const curl_version_info_data *(*version_info)(CURLversion);
	const curl_version_info_data *v;
	const char *version = NULL;
	void *lib;

	if (!curl_lib_ready())
		return NULL;
	/* Not one of the forwarders above: only --version and doctor ask, once.
	 * NOLOAD hands back the library already open (one more reference,
	 * dropped below; it stays loaded). */
	if ((lib = dlopen(curl_library(), RTLD_NOW | RTLD_NOLOAD)) == NULL)
		return NULL;
	version_info =
	    (const curl_version_info_data *(*)(CURLversion))dlsym(lib, "curl_version_info");
	if (version_info != NULL && (v = version_info(CURLVERSION_NOW)) != NULL)
		version = v->version;
	dlclose(lib);
	return version;
}
