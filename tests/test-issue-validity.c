/* --validity bounds of the issue flow (src/bridge/issue-validity.c) at a
 * fixed time: an end in the past, an end beyond what X.509 (and so Private
 * CA) can carry, an end after the CA's own NotAfter are refused with exit 2
 * before anything is sent. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "bridge/issue.h"

/* 2027-01-15T08:00:00Z */
#define NOW ((time_t)1800000000)

static int
end_of(const char *text, long long *end, acmb_err *err)
{
	const char *type = NULL;
	long long value = 0;
	int r;

	memset(err, 0, sizeof(*err));
	if ((r = acmb_issue_parse_validity(text, &type, &value, err)) != ACMB_OK)
		return r;
	return acmb_issue_validity_end(type, value, NOW, end, err);
}

static void
test_within_bounds(void **state)
{
	static const struct {
		const char *text;
		long long end;
	} cases[] = {
	    {"90d", 1800000000LL + 90 * 86400}, {"12m", 1831536000LL}, /* 2028-01-15T08:00:00Z */
	    {"1y", 1831536000LL},         /* the same: calendar years */
	    {"2027-06-30", 1814399999LL}, /* 23:59:59Z that day */
	    {"20270630120000", 1814356800LL}, {"@1900000000", 1900000000LL},
	    {"7900y", 251099856000LL}, /* 9927-01-15T08:00:00Z */
	};
	acmb_err err;
	long long end = 0;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		if (end_of(cases[i].text, &end, &err) != ACMB_OK)
			fail_msg("%s: %s", cases[i].text, err.msg);
		assert_int_equal(end, cases[i].end);
	}
}

static void
test_refused(void **state)
{
	static const struct {
		const char *text;
		const char *msg;
	} cases[] = {
	    {"2001-01-01", "--validity ends in the past (2001-01-01T23:59:59Z)"},
	    {"@1000000000", "--validity ends in the past (2001-09-09T01:46:40Z)"},
	    {"20270115075959", "--validity ends in the past"},
	    {"99999999y", "--validity 99999999 YEARS ends after 9999-12-31T23:59:59Z"},
	    {"999999999d", "--validity 999999999 DAYS ends after 9999-12-31T23:59:59Z"},
	    {"8000y", "--validity 8000 YEARS ends after 9999-12-31T23:59:59Z"},
	    {"@253402300800", "--validity 253402300800 ABSOLUTE ends after"},
	    {"20271340000000", "--validity 20271340000000 is not a date and time"},
	};
	acmb_err err;
	long long end = 0;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		assert_int_equal(end_of(cases[i].text, &end, &err), ACMB_E_USAGE);
		if (strncmp(err.msg, cases[i].msg, strlen(cases[i].msg)) != 0)
			fail_msg("%s: '%s'", cases[i].text, err.msg);
		assert_int_equal(acmb_exit_code(err.rc), ACMB_EXIT_USAGE);
	}
}

static void
test_ca_not_after(void **state)
{
	acmb_err err = {0, ""};

	(void)state;
	assert_int_equal(acmb_issue_validity_check_ca(1900000000LL, 0, "arn:ca", &err), ACMB_OK);
	assert_int_equal(
	    acmb_issue_validity_check_ca(1900000000LL, 1900000000LL, "arn:ca", &err), ACMB_OK);
	assert_int_equal(
	    acmb_issue_validity_check_ca(1900000001LL, 1900000000LL, "arn:ca", &err), ACMB_E_USAGE);
	assert_non_null(
	    strstr(err.msg, "after the CA's own NotAfter 2030-03-17T17:46:40Z (arn:ca)"));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_within_bounds),
	    cmocka_unit_test(test_refused),
	    cmocka_unit_test(test_ca_not_after),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
