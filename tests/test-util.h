/*
 * Shared by the unit tests: a test that loops over cases names the case it
 * was in when it fails or crashes, with what OpenSSL's error queue held.
 *
 *     for (i = 0; i < n; i++) {
 *             test_case("case %zu: %s", i, cases[i].name);
 *             ...asserts...
 *     }
 *     test_case_end();
 *
 * and the test is listed with case_unit_test() (or case_unit_test_setup())
 * instead of cmocka_unit_test(). The report comes from the test's teardown
 * after a failed assertion or a signal cmocka caught, and, in a sanitizer
 * build, from the sanitizer's death callback: there tests run with
 * CMOCKA_TEST_ABORT=1 and cmocka's signal handlers refused
 * (tests/CMakeLists.txt), so a failure aborts and a crash is reported by
 * AddressSanitizer with its stack, and the case line follows the stack.
 */
#ifndef ACMB_TEST_UTIL_H
#define ACMB_TEST_UTIL_H

#include <stdarg.h>
#include <stdio.h>

#include <openssl/err.h>

#if defined(__SANITIZE_ADDRESS__)
#define ACMB_TEST_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define ACMB_TEST_ASAN 1
#endif
#endif

#ifdef ACMB_TEST_ASAN
/* From the sanitizer runtime (its header is not installed with GCC's). */
void __sanitizer_set_death_callback(void (*callback)(void));
#endif

/* The case the running test is in; empty between cases. */
static char test_case_now[256];

static int
test_case_print_ssl_error(const char *str, size_t len, void *u)
{
	(void)u;
	fprintf(stderr, "[  CASE    ]   OpenSSL: %.*s", (int)len, str);
	return 1;
}

/* Prints the case a test stopped in and empties OpenSSL's error queue into
 * the same output; nothing when no case was running. */
static inline void
test_case_report(void)
{
	if (test_case_now[0] == '\0')
		return;
	fprintf(stderr, "[  CASE    ] stopped in %s\n", test_case_now);
	if (ERR_peek_error() == 0)
		fprintf(stderr, "[  CASE    ]   OpenSSL: error queue empty\n");
	ERR_print_errors_cb(test_case_print_ssl_error, NULL);
	fflush(stderr);
	test_case_now[0] = '\0';
}

/* Begins a case: the name (printf format) is what a failure or a crash
 * before the next test_case() or test_case_end() reports. Empties OpenSSL's
 * error queue, so that what is reported came from this case. */
static inline void __attribute__((format(printf, 1, 2))) test_case(const char *fmt, ...)
{
	va_list ap;
#ifdef ACMB_TEST_ASAN
	static int hooked;

	if (!hooked) {
		__sanitizer_set_death_callback(test_case_report);
		hooked = 1;
	}
#endif
	va_start(ap, fmt);
	vsnprintf(test_case_now, sizeof(test_case_now), fmt, ap);
	va_end(ap);
	ERR_clear_error();
}

/* Ends the last case of a loop: the test got through all of them. */
static inline void
test_case_end(void)
{
	test_case_now[0] = '\0';
}

static inline int
test_case_teardown(void **state)
{
	(void)state;
	test_case_report();
	return 0;
}

/* cmocka_unit_test() and cmocka_unit_test_setup() for tests that use
 * test_case(). */
#define case_unit_test(f) cmocka_unit_test_teardown(f, test_case_teardown)
#define case_unit_test_setup(f, setup) cmocka_unit_test_setup_teardown(f, setup, test_case_teardown)

#endif
