#include "secmem.h"

#include <string.h>

#include <openssl/crypto.h>

struct acmb_secbuf {
	unsigned char *d; /* secure heap, cap bytes */
	size_t len;
	size_t cap;
	size_t max;
};

int
acmb_secmem_init(size_t size, int *locked, acmb_err *err)
{
	int r;

	*locked = 0;
	if (CRYPTO_secure_malloc_initialized()) {
		*locked = 1;
		return ACMB_OK;
	}
	/* minsize 16: OpenSSL's own secure allocations are small. */
	r = CRYPTO_secure_malloc_init(size, 16);
	if (r == 0)
		return acmb_error(err, ACMB_E_NOMEM,
		    "cannot create the %zu-byte secure heap", size);
	/* 2 means "works, but mlock or madvise failed". */
	*locked = (r == 1);
	return ACMB_OK;
}

void
acmb_wipe(void *p, size_t n)
{
	if (p != NULL && n != 0)
		OPENSSL_cleanse(p, n);
}

acmb_secbuf *
acmb_secbuf_new(size_t max)
{
	acmb_secbuf *b;

	if ((b = OPENSSL_zalloc(sizeof(*b))) == NULL)
		return NULL;
	b->max = max;
	return b;
}

void
acmb_secbuf_free(acmb_secbuf *b)
{
	if (b == NULL)
		return;
	if (b->d != NULL)
		OPENSSL_secure_clear_free(b->d, b->cap);
	OPENSSL_free(b);
}

static int
grow(acmb_secbuf *b, size_t need)
{
	unsigned char *nd;
	size_t ncap;

	if (need > b->max)
		return ACMB_E_TOO_BIG;
	/* +1 keeps room for the terminating NUL. */
	if (need + 1 <= b->cap)
		return ACMB_OK;
	ncap = b->cap < 256 ? 256 : b->cap;
	while (ncap < need + 1)
		ncap = ncap > ((size_t)-1) / 2 ? need + 1 : ncap * 2;
	if (ncap > b->max + 1)
		ncap = b->max + 1;
	if ((nd = OPENSSL_secure_zalloc(ncap)) == NULL)
		return ACMB_E_NOMEM;
	if (b->d != NULL) {
		memcpy(nd, b->d, b->len);
		OPENSSL_secure_clear_free(b->d, b->cap);
	}
	b->d = nd;
	b->cap = ncap;
	return ACMB_OK;
}

int
acmb_secbuf_put(acmb_secbuf *b, const void *p, size_t n)
{
	unsigned char *dst;

	if (n == 0)
		return grow(b, b->len);
	if ((dst = acmb_secbuf_reserve(b, n)) == NULL)
		return n > b->max - b->len ? ACMB_E_TOO_BIG : ACMB_E_NOMEM;
	memcpy(dst, p, n);
	acmb_secbuf_commit(b, n);
	return ACMB_OK;
}

unsigned char *
acmb_secbuf_reserve(acmb_secbuf *b, size_t n)
{
	if (n > b->max || b->len > b->max - n)
		return NULL;
	if (grow(b, b->len + n) != ACMB_OK)
		return NULL;
	return b->d + b->len;
}

void
acmb_secbuf_commit(acmb_secbuf *b, size_t n)
{
	if (b->d == NULL || n > b->cap - 1 - b->len)
		return;
	b->len += n;
	b->d[b->len] = '\0';
}

void
acmb_secbuf_truncate(acmb_secbuf *b, size_t newlen)
{
	if (b->d == NULL || newlen >= b->len)
		return;
	OPENSSL_cleanse(b->d + newlen, b->len - newlen);
	b->len = newlen;
}

void
acmb_secbuf_clear(acmb_secbuf *b)
{
	if (b->d != NULL)
		OPENSSL_cleanse(b->d, b->cap);
	b->len = 0;
}

const unsigned char *
acmb_secbuf_ptr(const acmb_secbuf *b)
{
	return b->d != NULL ? b->d : (const unsigned char *)"";
}

unsigned char *
acmb_secbuf_mutable(acmb_secbuf *b)
{
	return b->d;
}

const char *
acmb_secbuf_str(const acmb_secbuf *b)
{
	return (const char *)acmb_secbuf_ptr(b);
}

size_t
acmb_secbuf_len(const acmb_secbuf *b)
{
	return b->len;
}

size_t
acmb_secbuf_max(const acmb_secbuf *b)
{
	return b->max;
}

char *
acmb_secstr_dup(const char *s, size_t n)
{
	char *p;

	if (n == (size_t)-1 || (p = OPENSSL_secure_malloc(n + 1)) == NULL)
		return NULL;
	memcpy(p, s, n);
	p[n] = '\0';
	return p;
}

void
acmb_secstr_free(char *s)
{
	if (s == NULL)
		return;
	/* CRYPTO_secure_free cleanses the whole block; outside the secure heap
	 * it falls back to OPENSSL_free, which is our wiping acmb_zfree. */
	OPENSSL_secure_clear_free(s, strlen(s) + 1);
}
