#include "init.h"

#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>

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

/* The process-wide state acmb_init() sets up; nothing else in the library
 * is process-wide (a run's state is its context, bridge/context.h). */
static int initialised;
static int plain_allocators;
static void (*shutdown_hook)(void);

int
acmb_init_plain_allocators(void)
{
	return plain_allocators;
}

void
acmb_init_on_shutdown(void (*fn)(void))
{
	shutdown_hook = fn;
}

int
acmb_init(struct acmb_init_report *rep, acmb_err *err)
{
	struct acmb_init_report r;
	struct rlimit rl = {0, 0};
	int locked = 0, plain = 0, rc;

	memset(&r, 0, sizeof(r));
	if (initialised) {
		if (rep != NULL)
			*rep = r;
		return ACMB_OK;
	}
	r.core_dumps_off = setrlimit(RLIMIT_CORE, &rl) == 0;
	r.not_dumpable = prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) == 0;

#ifdef ACMB_TEST_HOOKS
	/* Test builds only: the custody tests show what the wiping allocator
	 * removes by running once without it in OpenSSL and libcurl. */
	plain = getenv("ACMB_TEST_PLAIN_ALLOCATORS") != NULL;
#endif
	plain_allocators = plain;
	/* Fails only if OpenSSL already allocated: then copies it frees are
	 * not wiped, which we report rather than hide. */
	r.allocators_wiped =
	    !plain && CRYPTO_set_mem_functions(ossl_malloc, ossl_realloc, ossl_free) == 1;
	if ((rc = acmb_secmem_init(ACMB_SECURE_HEAP_SIZE, &locked, err)) != ACMB_OK)
		return rc;
	r.secure_heap_locked = locked;
	/* libcurl is loaded only by the AWS layer, which installs the same
	 * allocator before libcurl's first allocation (aws-http.c). */
	/* Always: callers free jansson's output with acmb_zfree(). */
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
	if (shutdown_hook != NULL)
		shutdown_hook();
	shutdown_hook = NULL;
	/* Last chance for what the run left in registers and dead stack
	 * before exit() and its atexit handlers. */
	acmb_wipe_residue();
	initialised = 0;
}
