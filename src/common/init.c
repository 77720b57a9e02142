#include "init.h"

#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>

#include <curl/curl.h>
#include <jansson.h>
#include <openssl/crypto.h>

#include "secmem.h"
#include "zalloc.h"

static void *
ossl_malloc(size_t n, const char *file, int line)
{
	(void)file;
	(void)line;
	return acmb_zmalloc(n);
}

static void *
ossl_realloc(void *p, size_t n, const char *file, int line)
{
	(void)file;
	(void)line;
	return acmb_zrealloc(p, n);
}

static void
ossl_free(void *p, const char *file, int line)
{
	(void)file;
	(void)line;
	acmb_zfree(p);
}

static int initialised;

int
acmb_init(struct acmb_init_report *rep, acmb_err *err)
{
	struct acmb_init_report r;
	struct rlimit rl = { 0, 0 };
	int locked = 0, rc;

	memset(&r, 0, sizeof(r));
	if (initialised) {
		if (rep != NULL)
			*rep = r;
		return ACMB_OK;
	}
	r.core_dumps_off = setrlimit(RLIMIT_CORE, &rl) == 0;
	r.not_dumpable = prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) == 0;

	/* Fails only if OpenSSL already allocated: then copies it frees are
	 * not wiped, which we report rather than hide. */
	r.allocators_wiped =
	    CRYPTO_set_mem_functions(ossl_malloc, ossl_realloc, ossl_free) == 1;
	if ((rc = acmb_secmem_init(ACMB_SECURE_HEAP_SIZE, &locked, err)) != ACMB_OK)
		return rc;
	r.secure_heap_locked = locked;
	if (curl_global_init_mem(CURL_GLOBAL_DEFAULT, acmb_zmalloc, acmb_zfree,
	    acmb_zrealloc, acmb_zstrdup, acmb_zcalloc) != CURLE_OK)
		return acmb_error(err, ACMB_E_INTERNAL, "libcurl initialisation failed");
	json_set_alloc_funcs(acmb_zmalloc, acmb_zfree);
	initialised = 1;
	if (rep != NULL)
		*rep = r;
	return ACMB_OK;
}

void
acmb_shutdown(void)
{
	if (!initialised)
		return;
	curl_global_cleanup();
	initialised = 0;
}
