#include "zalloc.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>

#include "secmem.h"

/*
 * Written by hand because neither libc nor OpenSSL offers a free that knows
 * the block size portably: a 16-byte header keeps the size (and keeps the
 * payload aligned as malloc's is), so free can cleanse the payload.
 */
#define ZHDR 16

void *
acmb_zmalloc(size_t n)
{
	unsigned char *p;

	if (n > SIZE_MAX - ZHDR)
		return NULL;
	if ((p = malloc(n + ZHDR)) == NULL)
		return NULL;
	memcpy(p, &n, sizeof(n));
	return p + ZHDR;
}

void *
acmb_zcalloc(size_t nmemb, size_t size)
{
	void *p;

	if (size != 0 && nmemb > SIZE_MAX / size)
		return NULL;
	if ((p = acmb_zmalloc(nmemb * size)) != NULL)
		memset(p, 0, nmemb * size);
	return p;
}

static size_t
zsize(const void *p)
{
	size_t n;

	memcpy(&n, (const unsigned char *)p - ZHDR, sizeof(n));
	return n;
}

void
acmb_zfree(void *p)
{
	unsigned char *base;

	if (p == NULL)
		return;
	base = (unsigned char *)p - ZHDR;
	/* explicit_bzero: as sure as OPENSSL_cleanse not to be optimised away,
	 * and cheaper on every free of every library. */
	explicit_bzero(base, zsize(p) + ZHDR);
	free(base);
	/* The block's bytes passed through the vector registers on their way
	 * in and out (memcpy); a later lazy-binding trampoline or signal frame
	 * would write them to the stack. */
	acmb_wipe_registers();
}

/* Never realloc in place: the old block is copied, wiped and freed. */
void *
acmb_zrealloc(void *p, size_t n)
{
	void *q;
	size_t old;

	if (p == NULL)
		return acmb_zmalloc(n);
	if (n == 0) {
		acmb_zfree(p);
		return NULL;
	}
	if ((q = acmb_zmalloc(n)) == NULL)
		return NULL;
	old = zsize(p);
	memcpy(q, p, old < n ? old : n);
	acmb_zfree(p);
	return q;
}

char *
acmb_zstrdup(const char *s)
{
	size_t n = strlen(s) + 1;
	char *p;

	if ((p = acmb_zmalloc(n)) != NULL)
		memcpy(p, s, n);
	return p;
}
