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
		return acmb_error(
		    err, ACMB_E_NOMEM, "cannot create the %zu-byte secure heap", size);
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

/*
 * Written by hand (no library offers it): glibc's memcpy/memset move data
 * through the vector registers, and the registers keep the last bytes moved
 * until something overwrites them. Whatever later saves them to memory (the
 * dynamic linker's lazy-binding trampoline, a signal frame) leaves those
 * bytes in dead stack. Every vector register is call-clobbered in the SysV
 * ABI, so zeroing them in a function of their own disturbs no caller, as
 * long as each asm statement lists the registers it writes: GCC's
 * interprocedural register allocation (-fipa-ra, on from -O2; across files
 * with LTO) believes the list, and keeps a caller's values in registers the
 * list leaves out (tests/test-wipe-registers.c).
 */
#if defined(__x86_64__)
__attribute__((noinline, target("avx512f"))) static void
zero_avx512_high(void)
{
	__asm__ volatile(
	    "vpxord %%zmm16, %%zmm16, %%zmm16\n\tvpxord %%zmm17, %%zmm17, %%zmm17\n\t"
	    "vpxord %%zmm18, %%zmm18, %%zmm18\n\tvpxord %%zmm19, %%zmm19, %%zmm19\n\t"
	    "vpxord %%zmm20, %%zmm20, %%zmm20\n\tvpxord %%zmm21, %%zmm21, %%zmm21\n\t"
	    "vpxord %%zmm22, %%zmm22, %%zmm22\n\tvpxord %%zmm23, %%zmm23, %%zmm23\n\t"
	    "vpxord %%zmm24, %%zmm24, %%zmm24\n\tvpxord %%zmm25, %%zmm25, %%zmm25\n\t"
	    "vpxord %%zmm26, %%zmm26, %%zmm26\n\tvpxord %%zmm27, %%zmm27, %%zmm27\n\t"
	    "vpxord %%zmm28, %%zmm28, %%zmm28\n\tvpxord %%zmm29, %%zmm29, %%zmm29\n\t"
	    "vpxord %%zmm30, %%zmm30, %%zmm30\n\tvpxord %%zmm31, %%zmm31, %%zmm31\n\t" ::
	        : "xmm16", "xmm17", "xmm18", "xmm19", "xmm20", "xmm21", "xmm22", "xmm23", "xmm24",
	    "xmm25", "xmm26", "xmm27", "xmm28", "xmm29", "xmm30", "xmm31", "memory");
}

__attribute__((noinline, target("avx"))) static void
zero_avx(void)
{
	/* Zeroes all of ymm0-15 (and zmm0-15 where AVX-512 exists); a clobber
	 * of xmmN stands for the whole register. */
	__asm__ volatile("vzeroall" ::
	                     : "xmm0", "xmm1", "xmm2", "xmm3", "xmm4", "xmm5", "xmm6", "xmm7",
	                 "xmm8", "xmm9", "xmm10", "xmm11", "xmm12", "xmm13", "xmm14", "xmm15",
	                 "memory");
}

__attribute__((noinline)) static void
zero_sse(void)
{
	__asm__ volatile("pxor %%xmm0, %%xmm0\n\tpxor %%xmm1, %%xmm1\n\tpxor %%xmm2, %%xmm2\n\t"
	                 "pxor %%xmm3, %%xmm3\n\tpxor %%xmm4, %%xmm4\n\tpxor %%xmm5, %%xmm5\n\t"
	                 "pxor %%xmm6, %%xmm6\n\tpxor %%xmm7, %%xmm7\n\tpxor %%xmm8, %%xmm8\n\t"
	                 "pxor %%xmm9, %%xmm9\n\tpxor %%xmm10, %%xmm10\n\tpxor %%xmm11, %%xmm11\n\t"
	                 "pxor %%xmm12, %%xmm12\n\tpxor %%xmm13, %%xmm13\n\t"
	                 "pxor %%xmm14, %%xmm14\n\tpxor %%xmm15, %%xmm15\n\t" ::
	                     : "xmm0", "xmm1", "xmm2", "xmm3", "xmm4", "xmm5", "xmm6", "xmm7",
	                 "xmm8", "xmm9", "xmm10", "xmm11", "xmm12", "xmm13", "xmm14", "xmm15",
	                 "memory");
}
#endif

void
acmb_wipe_registers(void)
{
#if defined(__x86_64__)
	if (__builtin_cpu_supports("avx512f"))
		zero_avx512_high();
	if (__builtin_cpu_supports("avx"))
		zero_avx();
	else
		zero_sse();
#endif
}

/* Its own frame lies just below the caller's: the dead stack. */
__attribute__((noinline)) static void
scrub_dead_stack(void)
{
	unsigned char dead[ACMB_STACK_SCRUB];

	OPENSSL_cleanse(dead, sizeof(dead));
	__asm__ volatile("" : : "r"(dead) : "memory");
}

void
acmb_wipe_residue(void)
{
	acmb_wipe_registers();
	scrub_dead_stack();
	/* The scrub itself went through memset: clear what it left. */
	acmb_wipe_registers();
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
	acmb_wipe_residue();
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
	acmb_wipe_residue();
}
