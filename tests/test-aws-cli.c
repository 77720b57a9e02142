/* The AWS options every AWS command shares, as the CLI's one option table
 * (src/cli/cli-options.c) parses them: names, values, and one clear line
 * for a bad value. Linked against the CLI's own static library; main() and
 * the usage printer are not in it. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "cli-options.h"
#include "init.h"

/* Parses words (NULL-terminated) as `acmbridge import WORDS`. */
static int
parse(struct acmb_cli_args *a, acmb_err *err, const char *first, ...)
{
	static char buf[32][128];
	char *argv[33];
	const char *w;
	va_list ap;
	int argc = 0;

	acmb_cli_args_init(a);
	memset(err, 0, sizeof(*err));
	argv[argc++] = (char *)"import";
	va_start(ap, first);
	for (w = first; w != NULL && argc < 33; w = va_arg(ap, const char *)) {
		snprintf(buf[argc - 1], sizeof(buf[0]), "%s", w);
		argv[argc] = buf[argc - 1];
		argc++;
	}
	va_end(ap);
	return acmb_cli_parse(ACMB_CLI_IMPORT, argc, argv, a, err);
}

static void
test_every_option(void **state)
{
	struct acmb_cli_args a;
	acmb_err err;

	(void)state;
	assert_int_equal(parse(&a, &err, "--region", "eu-west-1", "--profile", "prod",
	                     "--endpoint-url", "http://127.0.0.1:1", "--ca-bundle", "/tmp/ca.pem",
	                     "--no-verify-ssl", "--cli-connect-timeout", "5", "--cli-read-timeout",
	                     "0", "--max-attempts", "7", "--fips", "--debug", NULL),
	    ACMB_OK);
	assert_string_equal(a.aws.region, "eu-west-1");
	assert_string_equal(a.aws.profile, "prod");
	assert_string_equal(a.aws.endpoint_url, "http://127.0.0.1:1");
	assert_string_equal(a.aws.ca_bundle, "/tmp/ca.pem");
	assert_int_equal(a.aws.no_verify_ssl, 1);
	assert_int_equal(a.aws.connect_timeout, 5);
	assert_int_equal(a.aws.read_timeout, 0);
	assert_int_equal(a.aws.max_attempts, 7);
	assert_int_equal(a.aws.fips, 1);
	assert_int_equal(a.aws.debug, 1);
	acmb_cli_args_clear(&a);
	assert_int_equal(acmb_cli_option_find("--region")->arg, ACMB_CLI_VALUE);
	assert_int_equal(acmb_cli_option_find("--fips")->arg, ACMB_CLI_FLAG);
	/* --opt=VALUE is the same option. */
	assert_int_equal(parse(&a, &err, "--region=us-west-2", NULL), ACMB_OK);
	assert_string_equal(a.aws.region, "us-west-2");
	acmb_cli_args_clear(&a);
}

static void
test_not_ours_and_bad_values(void **state)
{
	struct acmb_cli_args a;
	acmb_err err;

	(void)state;
	assert_int_equal(parse(&a, &err, "--cert", "x.pem", NULL), ACMB_E_USAGE);
	assert_string_equal(
	    err.msg, "import: unknown option '--cert' (see acmbridge import --help)");
	assert_int_equal(parse(&a, &err, "--regions", "x", NULL), ACMB_E_USAGE);
	assert_int_equal(parse(&a, &err, "--region", NULL), ACMB_E_USAGE);
	assert_string_equal(err.msg, "--region needs a value");
	assert_int_equal(parse(&a, &err, "--max-attempts", "0", NULL), ACMB_E_USAGE);
	assert_string_equal(err.msg, "--max-attempts: '0' is not a number from 1 to 20");
	/* Nothing was set by the refused value. */
	assert_int_equal(a.aws.max_attempts, 0);
	assert_int_equal(parse(&a, &err, "--cli-read-timeout", "5s", NULL), ACMB_E_USAGE);
	assert_non_null(strstr(err.msg, "--cli-read-timeout: '5s'"));
	assert_int_equal(a.aws.read_timeout, -1);
	assert_int_equal(parse(&a, &err, "--cli-connect-timeout", "-1", NULL), ACMB_E_USAGE);
	assert_null(a.aws.region);
	assert_int_equal(a.aws.connect_timeout, -1);
	/* A flag takes no value. */
	assert_int_equal(parse(&a, &err, "--fips=yes", NULL), ACMB_E_USAGE);
	assert_string_equal(err.msg, "--fips takes no value");
	/* check takes no AWS option. */
	{
		char w0[] = "check", w1[] = "--region", w2[] = "x";
		char *argv[] = {w0, w1, w2};

		acmb_cli_args_init(&a);
		assert_int_equal(acmb_cli_parse(ACMB_CLI_CHECK, 3, argv, &a, &err), ACMB_E_USAGE);
		assert_string_equal(
		    err.msg, "check: unknown option '--region' (see acmbridge check --help)");
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_every_option),
	    cmocka_unit_test(test_not_ours_and_bad_values),
	};
	acmb_err err = {0};
	int rc;

	if (acmb_init(NULL, &err) != ACMB_OK)
		return 1;
	rc = cmocka_run_group_tests(tests, NULL, NULL);
	acmb_shutdown();
	return rc;
}
