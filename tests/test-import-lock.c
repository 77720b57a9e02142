/* The same-host import lock: where it lives, what its file holds, that a
 * second holder waits and gives up with a reason, that other certificates,
 * endpoints and regions do not wait, and that it tells a later holder when
 * an import was last sent under it (a plan listed before must look again). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "init.h"
#include "bridge/import-lock.h"

#define FP_A "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
#define FP_B "bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb"
#define EP "https://acm.eu-west-1.amazonaws.com"

static char rundir[] = "/tmp/acmb-lock-test.XXXXXX";

static struct acmb_import_lock *
take(const char *ep, const char *region, const char *fp, double wait, double *waited, char *why)
{
	struct acmb_import_lock *l = NULL;
	acmb_err err = {0};

	assert_int_equal(
	    acmb_import_lock_acquire(ep, region, fp, wait, NULL, &l, waited, why, 400, &err),
	    ACMB_OK);
	return l;
}

static void
test_lives_in_xdg_runtime_dir_and_holds_nothing(void **state)
{
	struct acmb_import_lock *l;
	struct stat st;
	char why[400], dir[300];
	const char *path;
	double waited;

	(void)state;
	l = take(EP, "eu-west-1", FP_A, 1.0, &waited, why);
	assert_non_null(l);
	path = acmb_import_lock_path(l);
	snprintf(dir, sizeof(dir), "%s/acmbridge/import-", rundir);
	assert_int_equal(strncmp(path, dir, strlen(dir)), 0);
	/* The name is a hash: neither the certificate nor the endpoint. */
	assert_null(strstr(path, "aaaa"));
	assert_null(strstr(path, "amazonaws"));
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_size, 0);
	assert_int_equal(st.st_mode & 077, 0);
	snprintf(dir, sizeof(dir), "%s/acmbridge", rundir);
	assert_int_equal(stat(dir, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0700);
	acmb_import_lock_release(l);
}

static void
test_second_holder_waits_then_goes_on_with_a_reason(void **state)
{
	struct acmb_import_lock *a, *b;
	char why[400];
	double waited;

	(void)state;
	a = take(EP, "eu-west-1", FP_A, 1.0, &waited, why);
	assert_non_null(a);
	b = take(EP, "eu-west-1", FP_A, 0.3, &waited, why);
	assert_null(b);
	assert_true(waited >= 0.3);
	assert_non_null(strstr(why, "another acmbridge on this host has held"));
	assert_non_null(strstr(why, "going on without the lock"));
	acmb_import_lock_release(a);
	b = take(EP, "eu-west-1", FP_A, 0.3, &waited, why);
	assert_non_null(b);
	acmb_import_lock_release(b);
}

static void
test_other_certificate_region_or_endpoint_does_not_wait(void **state)
{
	struct acmb_import_lock *a, *b, *c, *d;
	char why[400];
	double waited;

	(void)state;
	a = take(EP, "eu-west-1", FP_A, 1.0, &waited, why);
	b = take(EP, "eu-west-1", FP_B, 0.1, &waited, why);
	c = take(EP, "us-east-1", FP_A, 0.1, &waited, why);
	d = take("http://127.0.0.1:4566", "eu-west-1", FP_A, 0.1, &waited, why);
	assert_non_null(a);
	assert_non_null(b);
	assert_non_null(c);
	assert_non_null(d);
	assert_string_not_equal(acmb_import_lock_path(a), acmb_import_lock_path(b));
	assert_string_not_equal(acmb_import_lock_path(a), acmb_import_lock_path(c));
	assert_string_not_equal(acmb_import_lock_path(a), acmb_import_lock_path(d));
	acmb_import_lock_release(a);
	acmb_import_lock_release(b);
	acmb_import_lock_release(c);
	acmb_import_lock_release(d);
}

static void
test_test_hook_turns_it_off(void **state)
{
	struct acmb_import_lock *l;
	char why[400];
	double waited;

	(void)state;
	setenv("ACMB_TEST_NO_IMPORT_LOCK", "1", 1);
	l = take(EP, "eu-west-1", FP_A, 1.0, &waited, why);
	unsetenv("ACMB_TEST_NO_IMPORT_LOCK");
#ifdef ACMB_TEST_HOOKS
	assert_null(l);
	assert_non_null(strstr(why, "ACMB_TEST_NO_IMPORT_LOCK"));
#else
	/* A release build has no such switch. */
	assert_non_null(l);
	acmb_import_lock_release(l);
#endif
}

static double
wall_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void
test_marks_the_last_import_for_the_next_holder(void **state)
{
	struct acmb_import_lock *l;
	char why[400];
	double waited, before;

	(void)state;
	/* A new lock file: no import was ever sent under it. */
	l = take(EP, "ap-south-1", FP_A, 1.0, &waited, why);
	assert_non_null(l);
	assert_true(acmb_import_lock_last_import(l) == 0.0);
	acmb_import_lock_release(l);
	/* Taken again without an import: still none. */
	l = take(EP, "ap-south-1", FP_A, 1.0, &waited, why);
	assert_true(acmb_import_lock_last_import(l) == 0.0);
	before = wall_now();
	acmb_import_lock_mark_import(l);
	acmb_import_lock_release(l);
	/* The next holder sees when (file times may lag the clock a little). */
	l = take(EP, "ap-south-1", FP_A, 1.0, &waited, why);
	assert_true(acmb_import_lock_last_import(l) > before - 1.0);
	assert_true(acmb_import_lock_last_import(l) < wall_now() + 1.0);
	acmb_import_lock_release(l);
	/* Another certificate's lock is its own. */
	l = take(EP, "ap-south-1", FP_B, 1.0, &waited, why);
	assert_true(acmb_import_lock_last_import(l) == 0.0);
	acmb_import_lock_release(l);
	assert_true(acmb_import_lock_last_import(NULL) == 0.0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_lives_in_xdg_runtime_dir_and_holds_nothing),
	    cmocka_unit_test(test_second_holder_waits_then_goes_on_with_a_reason),
	    cmocka_unit_test(test_other_certificate_region_or_endpoint_does_not_wait),
	    cmocka_unit_test(test_test_hook_turns_it_off),
	    cmocka_unit_test(test_marks_the_last_import_for_the_next_holder),
	};
	char cmd[128];
	acmb_err err;
	int rc;

	if (acmb_init(NULL, &err) != ACMB_OK || mkdtemp(rundir) == NULL)
		return 1;
	setenv("XDG_RUNTIME_DIR", rundir, 1);
	rc = cmocka_run_group_tests(tests, NULL, NULL);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", rundir);
	if (system(cmd) != 0)
		rc = 1;
	return rc;
}
