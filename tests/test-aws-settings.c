/* AWS settings before any credential: where the shared files are (HOME
 * unset, as under cron or systemd), endpoints of the services credentials
 * come from (STS, the SSO portal, SSO-OIDC), transport from the profile. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "acm/aws-config.h"
#include "acm/aws-settings.h"
#include "init.h"

static char tmpdir[256];
static char config_path[300], credentials_path[300];

static void
write_file(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");

	assert_non_null(f);
	fputs(text, f);
	fclose(f);
}

static int
reset_env(void **state)
{
	static const char *const vars[] = {"AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY",
	    "AWS_SESSION_TOKEN", "AWS_PROFILE", "AWS_REGION", "AWS_DEFAULT_REGION",
	    "AWS_ENDPOINT_URL", "AWS_ENDPOINT_URL_STS", "AWS_ENDPOINT_URL_SSO",
	    "AWS_ENDPOINT_URL_SSO_OIDC", "AWS_USE_FIPS_ENDPOINT", "AWS_CA_BUNDLE",
	    "AWS_MAX_ATTEMPTS", "AWS_CONFIG_FILE", "AWS_SHARED_CREDENTIALS_FILE", NULL};
	size_t i;

	(void)state;
	for (i = 0; vars[i] != NULL; i++)
		unsetenv(vars[i]);
	setenv("AWS_EC2_METADATA_DISABLED", "true", 1);
	setenv("HOME", tmpdir, 1);
	return 0;
}

/* Issue 9: HOME unset (cron, systemd, containers) with the environment's
 * keys and AWS_REGION: the AWS CLI works, so must we. */
static void
test_home_unset(void **state)
{
	struct acmb_aws_options o;
	struct acmb_aws_config *c = NULL;
	acmb_err err = {0};

	(void)state;
	unsetenv("HOME");
	setenv("AWS_ACCESS_KEY_ID", "AKIANOHOME000000001", 1);
	setenv("AWS_SECRET_ACCESS_KEY", "no/home/secret", 1);
	setenv("AWS_REGION", "eu-west-1", 1);
	acmb_aws_options_init(&o);
	if (acmb_aws_config_resolve(&o, &acmb_aws_service_acm, &c, &err) != ACMB_OK)
		fail_msg("resolve without HOME: %s", err.msg);
	assert_string_equal(acmb_aws_config_access_key_id(c), "AKIANOHOME000000001");
	assert_string_equal(acmb_aws_config_region(c), "eu-west-1");
	acmb_aws_config_free(c);
}

/* Without HOME the home directory comes from the password database, as
 * Python's expanduser finds it. */
static void
test_home_from_passwd(void **state)
{
	char home[4096];

	(void)state;
	setenv("HOME", "/from/the/variable", 1);
	assert_true(acmb_aws_settings_home(home, sizeof(home)));
	assert_string_equal(home, "/from/the/variable");
	unsetenv("HOME");
	assert_true(acmb_aws_settings_home(home, sizeof(home)));
	assert_true(home[0] == '/');
	assert_string_not_equal(home, "/from/the/variable");
}

/* The files under HOME are found, and a profile named there resolves. */
static void
test_files_under_home(void **state)
{
	struct acmb_aws_settings *s = NULL;
	struct acmb_aws_options o;
	acmb_err err = {0};
	char dir[400], region[ACMB_AWS_REGION_MAX];

	(void)state;
	snprintf(dir, sizeof(dir), "%s/.aws", tmpdir);
	mkdir(dir, 0700);
	snprintf(dir, sizeof(dir), "%s/.aws/config", tmpdir);
	write_file(dir, "[profile home]\nregion = ap-southeast-2\n");
	acmb_aws_options_init(&o);
	o.profile = "home";
	assert_int_equal(acmb_aws_settings_new(&o, &s, &err), ACMB_OK);
	assert_string_equal(acmb_aws_settings_config_path(s), dir);
	assert_int_equal(acmb_aws_settings_region(s, NULL, region, sizeof(region), &err), ACMB_OK);
	assert_string_equal(region, "ap-southeast-2");
	assert_true(acmb_aws_settings_profile_explicit(s));
	acmb_aws_settings_free(s);
	unlink(dir);
}

static void
expect_endpoint(const struct acmb_aws_settings *s, const struct acmb_aws_service *svc,
    const char *region, const char *want)
{
	char url[ACMB_AWS_URL_MAX];
	acmb_err err = {0};

	if (acmb_aws_settings_endpoint(s, svc, region, NULL, url, sizeof(url), &err) != ACMB_OK)
		fail_msg("endpoint: %s", err.msg);
	assert_string_equal(url, want);
}

static void
test_credential_service_endpoints(void **state)
{
	struct acmb_aws_settings *s = NULL;
	struct acmb_aws_options o;
	acmb_err err = {0};

	(void)state;
	acmb_aws_options_init(&o);
	assert_int_equal(acmb_aws_settings_new(&o, &s, &err), ACMB_OK);
	/* Regional STS, as the CLI v2 uses by default. */
	expect_endpoint(
	    s, &acmb_aws_service_sts, "eu-central-1", "https://sts.eu-central-1.amazonaws.com");
	expect_endpoint(
	    s, &acmb_aws_service_sts, "cn-north-1", "https://sts.cn-north-1.amazonaws.com.cn");
	expect_endpoint(
	    s, &acmb_aws_service_sso, "eu-west-1", "https://portal.sso.eu-west-1.amazonaws.com");
	expect_endpoint(
	    s, &acmb_aws_service_sso_oidc, "eu-west-1", "https://oidc.eu-west-1.amazonaws.com");
	setenv("AWS_ENDPOINT_URL_STS", "http://127.0.0.1:4000", 1);
	expect_endpoint(s, &acmb_aws_service_sts, "eu-central-1", "http://127.0.0.1:4000");
	/* Only STS follows AWS_ENDPOINT_URL_STS. */
	expect_endpoint(
	    s, &acmb_aws_service_sso, "eu-west-1", "https://portal.sso.eu-west-1.amazonaws.com");
	acmb_aws_settings_free(s);
	s = NULL;

	/* FIPS where asked. */
	unsetenv("AWS_ENDPOINT_URL_STS");
	o.fips = 1;
	assert_int_equal(acmb_aws_settings_new(&o, &s, &err), ACMB_OK);
	expect_endpoint(
	    s, &acmb_aws_service_sts, "us-east-1", "https://sts-fips.us-east-1.amazonaws.com");
	acmb_aws_settings_free(s);
	s = NULL;

	/* The library's STS override comes before the variable. */
	o.fips = 0;
	o.sts_endpoint_url = "http://127.0.0.1:5000";
	setenv("AWS_ENDPOINT_URL_STS", "http://127.0.0.1:4000", 1);
	assert_int_equal(acmb_aws_settings_new(&o, &s, &err), ACMB_OK);
	expect_endpoint(s, &acmb_aws_service_sts, "us-east-1", "http://127.0.0.1:5000");
	acmb_aws_settings_free(s);
}

static void
test_fips_from_profile(void **state)
{
	struct acmb_aws_settings *s = NULL;
	struct acmb_aws_options o;
	acmb_err err = {0};

	(void)state;
	setenv("AWS_CONFIG_FILE", config_path, 1);
	setenv("AWS_SHARED_CREDENTIALS_FILE", credentials_path, 1);
	write_file(config_path, "[default]\nuse_fips_endpoint = true\n");
	write_file(credentials_path, "");
	acmb_aws_options_init(&o);
	assert_int_equal(acmb_aws_settings_new(&o, &s, &err), ACMB_OK);
	expect_endpoint(
	    s, &acmb_aws_service_sts, "us-west-2", "https://sts-fips.us-west-2.amazonaws.com");
	acmb_aws_settings_free(s);
	s = NULL;
	/* The variable, when set, wins over the profile either way. */
	setenv("AWS_USE_FIPS_ENDPOINT", "false", 1);
	assert_int_equal(acmb_aws_settings_new(&o, &s, &err), ACMB_OK);
	expect_endpoint(
	    s, &acmb_aws_service_sts, "us-west-2", "https://sts.us-west-2.amazonaws.com");
	acmb_aws_settings_free(s);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup(test_home_unset, reset_env),
	    cmocka_unit_test_setup(test_home_from_passwd, reset_env),
	    cmocka_unit_test_setup(test_files_under_home, reset_env),
	    cmocka_unit_test_setup(test_credential_service_endpoints, reset_env),
	    cmocka_unit_test_setup(test_fips_from_profile, reset_env),
	};
	acmb_err err = {0};
	char cmd[300];
	int rc;

	if (acmb_init(NULL, &err) != ACMB_OK) {
		fprintf(stderr, "acmb_init: %s\n", err.msg);
		return 1;
	}
	snprintf(tmpdir, sizeof(tmpdir), "%s/acmb-aws-settings-XXXXXX",
	    getenv("TMPDIR") != NULL ? getenv("TMPDIR") : "/tmp");
	if (mkdtemp(tmpdir) == NULL)
		return 1;
	snprintf(config_path, sizeof(config_path), "%s/config", tmpdir);
	snprintf(credentials_path, sizeof(credentials_path), "%s/credentials", tmpdir);
	rc = cmocka_run_group_tests(tests, NULL, NULL);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmpdir);
	if (system(cmd) != 0)
		rc = rc != 0 ? rc : 1;
	acmb_shutdown();
	return rc;
}
