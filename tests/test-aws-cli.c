/* The AWS options every command shares (src/cli/cli-aws.c): names,
 * values, and one clear line for a bad value. Linked against the CLI's own
 * static library; main() and the usage printer are not in it. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "cli-aws.h"
#include "init.h"

static char usage_line[512];

/* Stands in for cli-main.c's printer: records the line. */
int __attribute__((format(printf, 1, 2))) acmb_cli_usage_error(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(usage_line, sizeof(usage_line), fmt, ap);
	va_end(ap);
	return ACMB_EXIT_USAGE;
}

static void
test_every_option(void **state)
{
	struct acmb_aws_options o;

	(void)state;
	acmb_aws_options_init(&o);
	assert_int_equal(acmb_cli_aws_option("--region", "eu-west-1", &o), 1);
	assert_int_equal(acmb_cli_aws_option("--profile", "prod", &o), 1);
	assert_int_equal(acmb_cli_aws_option("--endpoint-url", "http://127.0.0.1:1", &o), 1);
	assert_int_equal(acmb_cli_aws_option("--ca-bundle", "/tmp/ca.pem", &o), 1);
	assert_int_equal(acmb_cli_aws_option("--no-verify-ssl", NULL, &o), 1);
	assert_int_equal(acmb_cli_aws_option("--cli-connect-timeout", "5", &o), 1);
	assert_int_equal(acmb_cli_aws_option("--cli-read-timeout", "0", &o), 1);
	assert_int_equal(acmb_cli_aws_option("--max-attempts", "7", &o), 1);
	assert_int_equal(acmb_cli_aws_option("--fips", NULL, &o), 1);
	assert_int_equal(acmb_cli_aws_option("--debug", NULL, &o), 1);
	assert_string_equal(o.region, "eu-west-1");
	assert_string_equal(o.profile, "prod");
	assert_string_equal(o.endpoint_url, "http://127.0.0.1:1");
	assert_string_equal(o.ca_bundle, "/tmp/ca.pem");
	assert_int_equal(o.no_verify_ssl, 1);
	assert_int_equal(o.connect_timeout, 5);
	assert_int_equal(o.read_timeout, 0);
	assert_int_equal(o.max_attempts, 7);
	assert_int_equal(o.fips, 1);
	assert_int_equal(o.debug, 1);
	assert_int_equal(acmb_cli_aws_option_has_arg("--region"), 1);
	assert_int_equal(acmb_cli_aws_option_has_arg("--fips"), 0);
}

static void
test_not_ours_and_bad_values(void **state)
{
	struct acmb_aws_options o;

	(void)state;
	acmb_aws_options_init(&o);
	assert_int_equal(acmb_cli_aws_option("--cert", "x.pem", &o), 0);
	assert_int_equal(acmb_cli_aws_option("--regions", "x", &o), 0);
	assert_int_equal(acmb_cli_aws_option("--region", NULL, &o), -1);
	assert_string_equal(usage_line, "--region needs a value");
	assert_int_equal(acmb_cli_aws_option("--max-attempts", "0", &o), -1);
	assert_string_equal(usage_line, "--max-attempts: '0' is not a number from 1 to 20");
	assert_int_equal(acmb_cli_aws_option("--cli-read-timeout", "5s", &o), -1);
	assert_non_null(strstr(usage_line, "--cli-read-timeout: '5s'"));
	assert_int_equal(acmb_cli_aws_option("--cli-connect-timeout", "-1", &o), -1);
	/* Nothing was set by the refused values. */
	assert_null(o.region);
	assert_int_equal(o.max_attempts, 0);
	assert_int_equal(o.read_timeout, -1);
	assert_int_equal(o.connect_timeout, -1);
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
