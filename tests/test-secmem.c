/* Secret memory: bounds, growth that wipes, NUL termination, the wiping
 * allocator. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>
#include <openssl/crypto.h>

#include "init.h"
#include "secmem.h"
#include "zalloc.h"

static void
test_secbuf_put_and_bound(void **state)
{
	acmb_secbuf *b = acmb_secbuf_new(8);

	(void)state;
	assert_non_null(b);
	assert_int_equal(acmb_secbuf_put(b, "abcd", 4), ACMB_OK);
	assert_int_equal(acmb_secbuf_put(b, "efgh", 4), ACMB_OK);
	assert_int_equal(acmb_secbuf_len(b), 8);
	assert_string_equal(acmb_secbuf_str(b), "abcdefgh");
	/* The maximum is fixed at creation: one more byte is refused. */
	assert_int_equal(acmb_secbuf_put(b, "i", 1), ACMB_E_TOO_BIG);
	assert_int_equal(acmb_secbuf_len(b), 8);
	acmb_secbuf_free(b);
}

static void
test_secbuf_lives_in_secure_heap(void **state)
{
	acmb_secbuf *b = acmb_secbuf_new(1 << 20);
	unsigned char chunk[1000];
	int i;

	(void)state;
	memset(chunk, 'k', sizeof(chunk));
	for (i = 0; i < 300; i++)
		assert_int_equal(acmb_secbuf_put(b, chunk, sizeof(chunk)), ACMB_OK);
	assert_int_equal(acmb_secbuf_len(b), 300000);
	assert_true(CRYPTO_secure_allocated(acmb_secbuf_ptr(b)));
	acmb_secbuf_truncate(b, 10);
	assert_int_equal(acmb_secbuf_len(b), 10);
	assert_int_equal(acmb_secbuf_ptr(b)[10], 0);
	acmb_secbuf_free(b);
}

static void
test_secbuf_reserve_commit(void **state)
{
	acmb_secbuf *b = acmb_secbuf_new(64);
	unsigned char *p;

	(void)state;
	p = acmb_secbuf_reserve(b, 5);
	assert_non_null(p);
	memcpy(p, "hello", 5);
	acmb_secbuf_commit(b, 5);
	assert_string_equal(acmb_secbuf_str(b), "hello");
	assert_null(acmb_secbuf_reserve(b, 60));
	acmb_secbuf_clear(b);
	assert_int_equal(acmb_secbuf_len(b), 0);
	acmb_secbuf_free(b);
	acmb_secbuf_free(NULL);
}

static void
test_secstr(void **state)
{
	char *s = acmb_secstr_dup("pin1234xyz", 7);

	(void)state;
	assert_string_equal(s, "pin1234");
	assert_true(CRYPTO_secure_allocated(s));
	acmb_secstr_free(s);
	acmb_secstr_free(NULL);
}

static void
test_zalloc(void **state)
{
	char *p = acmb_zmalloc(16), *q;

	(void)state;
	memcpy(p, "0123456789abcde", 16);
	q = acmb_zrealloc(p, 4096);
	assert_string_equal(q, "0123456789abcde");
	acmb_zfree(q);
	assert_null(acmb_zcalloc(SIZE_MAX / 2, 4));
	q = acmb_zstrdup("x");
	assert_string_equal(q, "x");
	acmb_zfree(q);
	acmb_zfree(NULL);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_secbuf_put_and_bound),
	    cmocka_unit_test(test_secbuf_lives_in_secure_heap),
	    cmocka_unit_test(test_secbuf_reserve_commit),
	    cmocka_unit_test(test_secstr),
	    cmocka_unit_test(test_zalloc),
	};
	struct acmb_init_report rep;
	acmb_err err;

	if (acmb_init(&rep, &err) != ACMB_OK)
		return 1;
	return cmocka_run_group_tests(tests, NULL, NULL);
}
