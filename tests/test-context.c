/*
 * The run's context: rate limits (token buckets at ACM's published rates,
 * halved on throttling and given back), the test clock, the cancel flag,
 * AWS configurations resolved once, and the shared audit log and policy.
 * Waits run on a test clock: every figure below is exact, none takes time.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "acm/aws-limit.h"
#include "bridge/context.h"
#include "clock.h"
#include "init.h"

#define T0 1790000000 /* 2026-09-21, any fixed start */

static char tmpdir[256];

static void
assert_near(double got, double want)
{
	if (got < want - 1e-9 || got > want + 1e-9)
		fail_msg("got %.9f, want %.9f", got, want);
}

static struct acmb_aws_limits *
test_limits(struct acmb_clock **clock)
{
	struct acmb_aws_limits *l;

	assert_non_null(*clock = acmb_clock_new_test(T0));
	assert_non_null(l = acmb_aws_limits_new(*clock));
	return l;
}

/* One row per operation: ACM's published rate, how many calls go out at
 * once (a second's worth, at least one), and what the next one waits. */
static void
test_published_rates(void **state)
{
	static const struct {
		const char *service, *operation;
		double rate;
		int burst;
		double next_wait;
	} rows[] = {
	    {"acm", "ImportCertificate", 1.0, 1, 1.0}, {"acm", "ListCertificates", 1.0, 1, 1.0},
	    {"acm", "DescribeCertificate", 10.0, 10, 0.1}, {"acm", "GetCertificate", 10.0, 10, 0.1},
	    {"acm", "ListTagsForCertificate", 10.0, 10, 0.1},
	    {"acm", "AddTagsToCertificate", 5.0, 5, 0.2},
	    {"acm", "RemoveTagsFromCertificate", 5.0, 5, 0.2},
	    {"acm", "SearchCertificates", 1.0, 1, 1.0}, /* not in the table: the lowest */
	};
	struct acmb_clock *clock;
	struct acmb_aws_limits *l;
	acmb_err err = {0, ""};
	double waited;
	size_t i;
	int k;

	(void)state;
	for (i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		l = test_limits(&clock);
		assert_near(
		    acmb_aws_limits_published(rows[i].service, rows[i].operation), rows[i].rate);
		for (k = 0; k < rows[i].burst; k++) {
			assert_int_equal(
			    acmb_aws_limits_take(l, "111122223333", "us-east-1", rows[i].service,
			        rows[i].operation, NULL, &waited, &err),
			    ACMB_OK);
			assert_near(waited, 0.0);
		}
		assert_int_equal(acmb_aws_limits_take(l, "111122223333", "us-east-1",
		                     rows[i].service, rows[i].operation, NULL, &waited, &err),
		    ACMB_OK);
		assert_near(waited, rows[i].next_wait);
		assert_near(acmb_clock_mono(clock), rows[i].next_wait);
		acmb_aws_limits_free(l);
		acmb_clock_free(clock);
	}
	/* Other services are not limited unless asked. */
	assert_near(acmb_aws_limits_published("acm-pca", "IssueCertificate"), 0.0);
}

/* Buckets are per account, region and operation: one does not drain another. */
static void
test_buckets_are_separate(void **state)
{
	static const char *const keys[][3] = {
	    {"111122223333", "us-east-1", "ImportCertificate"},
	    {"111122223333", "eu-west-1", "ImportCertificate"},
	    {"444455556666", "us-east-1", "ImportCertificate"},
	    {"111122223333", "us-east-1", "ListCertificates"},
	};
	struct acmb_clock *clock;
	struct acmb_aws_limits *l = test_limits(&clock);
	acmb_err err = {0, ""};
	unsigned long taken;
	double waited, total;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(keys) / sizeof(keys[0]); i++) {
		assert_int_equal(acmb_aws_limits_take(l, keys[i][0], keys[i][1], "acm", keys[i][2],
		                     NULL, &waited, &err),
		    ACMB_OK);
		assert_near(waited, 0.0);
	}
	acmb_aws_limits_stats(l, &taken, &total);
	assert_int_equal(taken, 4);
	assert_near(total, 0.0);
	/* After 0.5 s the first bucket holds half a token: half a second more. */
	acmb_clock_advance(clock, 0.5);
	assert_int_equal(
	    acmb_aws_limits_take(l, keys[0][0], keys[0][1], "acm", keys[0][2], NULL, &waited, &err),
	    ACMB_OK);
	assert_near(waited, 0.5);
	acmb_aws_limits_free(l);
	acmb_clock_free(clock);
}

/* Throttled: the rate halves (down to 1/16) and the bucket empties;
 * answered: a tenth of the published rate comes back per answer. */
static void
test_adapts_and_recovers(void **state)
{
	struct acmb_clock *clock;
	struct acmb_aws_limits *l = test_limits(&clock);
	acmb_err err = {0, ""};
	double waited;
	int i;

	(void)state;
	assert_near(acmb_aws_limits_rate(l, "a", "us-east-1", "acm", "GetCertificate"), -1.0);
	assert_int_equal(
	    acmb_aws_limits_take(l, "a", "us-east-1", "acm", "GetCertificate", NULL, &waited, &err),
	    ACMB_OK);
	acmb_aws_limits_feedback(l, "a", "us-east-1", "acm", "GetCertificate", 1);
	assert_near(acmb_aws_limits_rate(l, "a", "us-east-1", "acm", "GetCertificate"), 5.0);
	/* Emptied: the next call waits a whole token at the new rate. */
	assert_int_equal(
	    acmb_aws_limits_take(l, "a", "us-east-1", "acm", "GetCertificate", NULL, &waited, &err),
	    ACMB_OK);
	assert_near(waited, 0.2);
	for (i = 0; i < 10; i++)
		acmb_aws_limits_feedback(l, "a", "us-east-1", "acm", "GetCertificate", 1);
	assert_near(acmb_aws_limits_rate(l, "a", "us-east-1", "acm", "GetCertificate"), 10.0 / 16);
	for (i = 0; i < 5; i++)
		acmb_aws_limits_feedback(l, "a", "us-east-1", "acm", "GetCertificate", 0);
	assert_near(
	    acmb_aws_limits_rate(l, "a", "us-east-1", "acm", "GetCertificate"), 10.0 / 16 + 5.0);
	for (i = 0; i < 20; i++)
		acmb_aws_limits_feedback(l, "a", "us-east-1", "acm", "GetCertificate", 0);
	assert_near(acmb_aws_limits_rate(l, "a", "us-east-1", "acm", "GetCertificate"), 10.0);
	acmb_aws_limits_free(l);
	acmb_clock_free(clock);
}

static void
test_overrides(void **state)
{
	static const struct {
		const char *spec;
		int rc;
		const char *msg;
	} rows[] = {
	    {"acm:ImportCertificate=0.5", ACMB_OK, NULL},
	    {"acm:ImportCertificate=0.5,acm:ListCertificates=0", ACMB_OK, NULL},
	    {"ImportCertificate=1", ACMB_E_USAGE, "service:Operation=rate"},
	    {"acm:ImportCertificate", ACMB_E_USAGE, "service:Operation=rate"},
	    {"acm:ImportCertificate=fast", ACMB_E_USAGE, "'fast' is not a number"},
	    {"acm:ImportCertificate=-1", ACMB_E_USAGE, "is not a rate"},
	};
	struct acmb_clock *clock;
	struct acmb_aws_limits *l;
	acmb_err err;
	double waited;
	size_t i;
	int k;

	(void)state;
	for (i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		memset(&err, 0, sizeof(err));
		l = test_limits(&clock);
		assert_int_equal(acmb_aws_limits_parse(l, rows[i].spec, &err), rows[i].rc);
		if (rows[i].msg != NULL && strstr(err.msg, rows[i].msg) == NULL)
			fail_msg("%s: message '%s' lacks '%s'", rows[i].spec, err.msg, rows[i].msg);
		acmb_aws_limits_free(l);
		acmb_clock_free(clock);
	}
	/* 0.5/s: the second import waits two seconds; 0: never waits. */
	l = test_limits(&clock);
	assert_int_equal(
	    acmb_aws_limits_parse(l, "acm:ImportCertificate=0.5,acm:ListCertificates=0", &err),
	    ACMB_OK);
	for (k = 0; k < 2; k++)
		assert_int_equal(acmb_aws_limits_take(l, "a", "us-east-1", "acm",
		                     "ImportCertificate", NULL, &waited, &err),
		    ACMB_OK);
	assert_near(waited, 2.0);
	for (k = 0; k < 100; k++)
		assert_int_equal(acmb_aws_limits_take(l, "a", "us-east-1", "acm",
		                     "ListCertificates", NULL, &waited, &err),
		    ACMB_OK);
	assert_near(waited, 0.0);
	acmb_aws_limits_free(l);
	acmb_clock_free(clock);
}

/* A cancel ends a wait (and a sleep on the system clock) at once. */
static void
test_cancel(void **state)
{
	struct acmb_clock *clock;
	struct acmb_aws_limits *l = test_limits(&clock);
	struct acmb_clock *sys = acmb_clock_new_system();
	struct acmb_cancel cancel = {0};
	struct acmb_ctx *ctx = NULL;
	acmb_err err = {0, ""};
	double t0;

	(void)state;
	assert_int_equal(acmb_aws_limits_take(
	                     l, "a", "us-east-1", "acm", "ImportCertificate", &cancel, NULL, &err),
	    ACMB_OK);
	acmb_cancel_request(&cancel, 15);
	acmb_cancel_request(&cancel, 2); /* the first signal is the one kept */
	assert_int_equal(acmb_cancel_signal(&cancel), 15);
	assert_int_equal(acmb_aws_limits_take(
	                     l, "a", "us-east-1", "acm", "ImportCertificate", &cancel, NULL, &err),
	    ACMB_E_INTERRUPTED);
	assert_non_null(strstr(err.msg, "interrupted by signal 15"));
	assert_non_null(sys);
	t0 = acmb_clock_mono(sys);
	assert_int_equal(acmb_clock_sleep(sys, 30.0, &cancel), ACMB_E_INTERRUPTED);
	assert_true(acmb_clock_mono(sys) - t0 < 1.0);

	assert_int_equal(acmb_ctx_new(&ctx, &err), ACMB_OK);
	assert_int_equal(acmb_ctx_cancelled(ctx), 0);
	acmb_ctx_cancel(ctx, 2);
	assert_int_equal(acmb_ctx_cancelled(ctx), 2);
	assert_int_equal(acmb_ctx_sleep(ctx, 5.0, "while waiting", &err), ACMB_E_INTERRUPTED);
	assert_string_equal(err.msg, "interrupted by signal 2 while waiting");
	acmb_ctx_free(ctx);
	acmb_clock_free(sys);
	acmb_aws_limits_free(l);
	acmb_clock_free(clock);
}

/* ACMB_TEST_CLOCK makes the context's clock a test clock: fixed wall time,
 * sleeps that advance it and take no time. */
static void
test_ctx_test_clock(void **state)
{
	struct acmb_ctx *ctx = NULL;
	acmb_err err = {0, ""};

	(void)state;
#ifndef ACMB_TEST_HOOKS
	skip();
#endif
	setenv("ACMB_TEST_CLOCK", "1790000000", 1);
	assert_int_equal(acmb_ctx_new(&ctx, &err), ACMB_OK);
	unsetenv("ACMB_TEST_CLOCK");
	assert_true(acmb_clock_is_test(acmb_ctx_clock(ctx)));
	assert_int_equal((long long)acmb_ctx_now(ctx), 1790000000LL);
	assert_int_equal(acmb_ctx_sleep(ctx, 3600.0, "", &err), ACMB_OK);
	assert_int_equal((long long)acmb_ctx_now(ctx), 1790003600LL);
	acmb_ctx_free(ctx);
	/* A bad rate in the test override is refused when the context is made. */
	setenv("ACMB_TEST_AWS_RATES", "acm:ImportCertificate", 1);
	assert_int_equal(acmb_ctx_new(&ctx, &err), ACMB_E_USAGE);
	assert_null(ctx);
	unsetenv("ACMB_TEST_AWS_RATES");
}

static void
set_test_credentials(void)
{
	char path[300];

	snprintf(path, sizeof(path), "%s/none", tmpdir);
	setenv("HOME", tmpdir, 1);
	setenv("AWS_CONFIG_FILE", path, 1);
	setenv("AWS_SHARED_CREDENTIALS_FILE", path, 1);
	setenv("AWS_EC2_METADATA_DISABLED", "true", 1);
	unsetenv("AWS_PROFILE");
	unsetenv("AWS_REGION");
	unsetenv("AWS_DEFAULT_REGION");
	unsetenv("AWS_CONTAINER_CREDENTIALS_RELATIVE_URI");
	unsetenv("AWS_CONTAINER_CREDENTIALS_FULL_URI");
	setenv("AWS_ACCESS_KEY_ID", "AKIAIOSFODNN7EXAMPLE", 1);
	setenv("AWS_SECRET_ACCESS_KEY", "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY", 1);
	setenv("AWS_SESSION_TOKEN", "session-token-for-the-test", 1);
}

/* Credentials are resolved once; every other service and region gets a
 * copy, with the context's rate limits, clock and cancel flag. */
static void
test_config_resolved_once(void **state)
{
	struct acmb_aws_options o;
	const struct acmb_aws_config *acm = NULL, *acm2 = NULL, *eu = NULL, *pca = NULL;
	const struct acmb_aws_hooks *hk;
	struct acmb_ctx *ctx = NULL;
	acmb_err err = {0, ""};

	(void)state;
	set_test_credentials();
	assert_int_equal(acmb_ctx_new(&ctx, &err), ACMB_OK);
	acmb_aws_options_init(&o);
	o.region = "us-east-1";
	o.endpoint_url = "http://127.0.0.1:9/";
	assert_int_equal(acmb_ctx_set_aws_options(ctx, &o, &err), ACMB_OK);
	assert_int_equal(
	    acmb_aws_config_for(ctx, &acmb_aws_service_acm, NULL, &acm, &err), ACMB_OK);
	/* The resolve took the secrets out of the environment. */
	assert_null(getenv("AWS_SECRET_ACCESS_KEY"));
	assert_null(getenv("AWS_SESSION_TOKEN"));
	assert_string_equal(acmb_aws_config_endpoint(acm), "http://127.0.0.1:9/");
	assert_int_equal(
	    acmb_aws_config_for(ctx, &acmb_aws_service_acm, "us-east-1", &acm2, &err), ACMB_OK);
	assert_ptr_equal(acm, acm2);
	assert_int_equal(
	    acmb_aws_config_for(ctx, &acmb_aws_service_acm, "eu-west-1", &eu, &err), ACMB_OK);
	assert_ptr_not_equal(acm, eu);
	assert_string_equal(acmb_aws_config_region(eu), "eu-west-1");
	assert_string_equal(
	    acmb_aws_config_secret_access_key(eu), "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY");
	assert_string_equal(acmb_aws_config_session_token(eu), "session-token-for-the-test");
	assert_int_equal(
	    acmb_aws_config_for(ctx, &acmb_aws_service_acm_pca, NULL, &pca, &err), ACMB_OK);
	assert_string_equal(acmb_aws_config_region(pca), "us-east-1");
	assert_string_equal(acmb_aws_config_access_key_id(pca), "AKIAIOSFODNN7EXAMPLE");
	/* Private CA has no --endpoint-url of its own here: its default. */
	assert_string_equal(
	    acmb_aws_config_endpoint(pca), "https://acm-pca.us-east-1.amazonaws.com");
	hk = acmb_aws_config_hooks(eu);
	assert_non_null(hk);
	assert_ptr_equal(hk->limits, acmb_ctx_limits(ctx));
	assert_ptr_equal(hk->cancel, acmb_ctx_cancel_flag(ctx));
	assert_string_equal(hk->account, "AKIAIOSFODNN7EXAMPLE");
	assert_int_equal(acmb_aws_config_for(ctx, &acmb_aws_service_acm, "not a region", &eu, &err),
	    ACMB_E_CONFIG);
	/* Wiped: the configurations are gone, and resolving again finds no
	 * secret in the environment. */
	acmb_ctx_wipe_secrets(ctx);
	assert_int_equal(
	    acmb_aws_config_for(ctx, &acmb_aws_service_acm, NULL, &acm, &err), ACMB_E_CONFIG);
	acmb_ctx_free(ctx);
	unsetenv("AWS_ACCESS_KEY_ID");
}

/* One audit log per place for the run (each holder closes its own), one
 * policy per path. */
static void
test_shared_audit_and_policy(void **state)
{
	struct acmb_ctx *ctx = NULL;
	struct acmb_audit *a1 = NULL, *a2 = NULL;
	const struct acmb_export_policy *p1 = NULL, *p2 = NULL;
	struct acmb_audit_attempt att = {0};
	acmb_err err = {0, ""};
	char log[300], policy[300], line[512];
	FILE *f;
	int lines = 0;

	(void)state;
	snprintf(log, sizeof(log), "%s/audit.log", tmpdir);
	snprintf(policy, sizeof(policy), "%s/policy.json", tmpdir);
	assert_non_null(f = fopen(policy, "w"));
	fputs("{\"object_labels\": [\"web\"]}\n", f);
	fclose(f);
	assert_int_equal(acmb_ctx_new(&ctx, &err), ACMB_OK);
	assert_int_equal(acmb_ctx_audit(ctx, log, &a1, &err), ACMB_OK);
	assert_int_equal(acmb_ctx_audit(ctx, log, &a2, &err), ACMB_OK);
	assert_ptr_equal(a1, a2);
	att.path = "refused";
	assert_int_equal(acmb_audit_begin(a1, &att, &err), ACMB_OK);
	/* The first holder drops the log with its attempt open: abandoned. */
	acmb_audit_close(a1);
	assert_null(acmb_audit_attempt_id(a2));
	assert_int_equal(acmb_audit_begin(a2, &att, &err), ACMB_OK);
	assert_int_equal(
	    acmb_audit_finish(a2, "arn:aws:acm:us-east-1:1:certificate/x", NULL, &err), ACMB_OK);
	acmb_audit_close(a2);
	assert_int_equal(acmb_ctx_export_policy(ctx, policy, &p1, &err), ACMB_OK);
	assert_int_equal(acmb_ctx_export_policy(ctx, policy, &p2, &err), ACMB_OK);
	assert_non_null(p1);
	assert_ptr_equal(p1, p2);
	assert_int_equal(acmb_ctx_export_policy(ctx, NULL, &p2, &err), ACMB_OK);
	assert_null(p2);
	acmb_ctx_free(ctx);
	assert_non_null(f = fopen(log, "r"));
	while (fgets(line, sizeof(line), f) != NULL)
		lines++;
	fclose(f);
	assert_int_equal(lines, 4); /* begin, abandoned, begin, outcome */
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_published_rates),
	    cmocka_unit_test(test_buckets_are_separate),
	    cmocka_unit_test(test_adapts_and_recovers),
	    cmocka_unit_test(test_overrides),
	    cmocka_unit_test(test_cancel),
	    cmocka_unit_test(test_ctx_test_clock),
	    cmocka_unit_test(test_config_resolved_once),
	    cmocka_unit_test(test_shared_audit_and_policy),
	};
	acmb_err err = {0, ""};
	char cmd[300];
	int rc;

	if (acmb_init(NULL, &err) != ACMB_OK)
		return 1;
	snprintf(tmpdir, sizeof(tmpdir), "%s/acmb-context-XXXXXX",
	    getenv("TMPDIR") != NULL ? getenv("TMPDIR") : "/tmp");
	if (mkdtemp(tmpdir) == NULL)
		return 1;
	unsetenv("ACMB_TEST_CLOCK");
	unsetenv("ACMB_TEST_AWS_RATES");
	rc = cmocka_run_group_tests(tests, NULL, NULL);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmpdir);
	if (system(cmd) != 0 && rc == 0)
		rc = 1;
	acmb_shutdown();
	return rc;
}
