/* AWS configuration as the AWS CLI resolves it: shared files, credential
 * sources and their order, region, endpoint, and the retry policy's pieces.
 * No network: metadata sources are disabled or pointed at a closed port. */
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
#include <openssl/crypto.h>

#include "acm/aws-config.h"
#include "acm/aws-credentials.h"
#include "acm/aws-http.h"
#include "init.h"

static char tmpdir[256];
static char config_path[300], credentials_path[300];

static void
write_file(const char *path, const char *text, int mode)
{
	FILE *f = fopen(path, "w");

	assert_non_null(f);
	fputs(text, f);
	fclose(f);
	chmod(path, (mode_t)mode);
}

static void
tmp_path(char *buf, size_t len, const char *name)
{
	snprintf(buf, len, "%s/%s", tmpdir, name);
}

/* A clean AWS environment: empty shared files, no metadata services. */
static int
reset_env(void **state)
{
	static const char *const vars[] = {"AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY",
	    "AWS_SESSION_TOKEN", "AWS_PROFILE", "AWS_REGION", "AWS_DEFAULT_REGION",
	    "AWS_ENDPOINT_URL", "AWS_ENDPOINT_URL_ACM", "AWS_ENDPOINT_URL_ACM_PCA",
	    "AWS_USE_FIPS_ENDPOINT", "AWS_CA_BUNDLE", "AWS_MAX_ATTEMPTS",
	    "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI", "AWS_CONTAINER_CREDENTIALS_FULL_URI",
	    "AWS_CONTAINER_AUTHORIZATION_TOKEN", "AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE",
	    "AWS_EC2_METADATA_SERVICE_ENDPOINT", NULL};
	size_t i;

	(void)state;
	for (i = 0; vars[i] != NULL; i++)
		unsetenv(vars[i]);
	setenv("AWS_EC2_METADATA_DISABLED", "true", 1);
	write_file(config_path, "", 0600);
	write_file(credentials_path, "", 0600);
	setenv("AWS_CONFIG_FILE", config_path, 1);
	setenv("AWS_SHARED_CREDENTIALS_FILE", credentials_path, 1);
	return 0;
}

static void
env_keys(void)
{
	setenv("AWS_ACCESS_KEY_ID", "AKIAENVIRONMENT0001", 1);
	setenv("AWS_SECRET_ACCESS_KEY", "env/secret/0123456789", 1);
}

static struct acmb_aws_config *
resolve_ok(const struct acmb_aws_options *o)
{
	struct acmb_aws_config *c = NULL;
	acmb_err err = {0};
	int r = acmb_aws_config_resolve(o, &acmb_aws_service_acm, &c, &err);

	if (r != ACMB_OK)
		fail_msg("resolve failed: %s", err.msg);
	return c;
}

static int
resolve_err(const struct acmb_aws_options *o, acmb_err *err)
{
	struct acmb_aws_config *c = NULL;
	int r = acmb_aws_config_resolve(o, &acmb_aws_service_acm, &c, err);

	assert_null(c);
	return r;
}

/* --- region and endpoint --- */

static void
test_region_order(void **state)
{
	struct acmb_aws_options o;
	struct acmb_aws_config *c;

	(void)state;
	acmb_aws_options_init(&o);
	write_file(config_path, "[default]\nregion = eu-north-1\n", 0600);
	env_keys();
	c = resolve_ok(&o);
	assert_string_equal(acmb_aws_config_region(c), "eu-north-1");
	acmb_aws_config_free(c);

	env_keys();
	setenv("AWS_DEFAULT_REGION", "eu-west-3", 1);
	c = resolve_ok(&o);
	assert_string_equal(acmb_aws_config_region(c), "eu-west-3");
	acmb_aws_config_free(c);

	env_keys();
	setenv("AWS_REGION", "ap-northeast-1", 1);
	c = resolve_ok(&o);
	assert_string_equal(acmb_aws_config_region(c), "ap-northeast-1");
	acmb_aws_config_free(c);

	env_keys();
	o.region = "sa-east-1";
	c = resolve_ok(&o);
	assert_string_equal(acmb_aws_config_region(c), "sa-east-1");
	assert_string_equal(acmb_aws_config_endpoint(c), "https://acm.sa-east-1.amazonaws.com");
	acmb_aws_config_free(c);
}

static void
test_region_missing_or_bad(void **state)
{
	struct acmb_aws_options o;
	acmb_err err = {0};

	(void)state;
	acmb_aws_options_init(&o);
	env_keys();
	assert_int_equal(resolve_err(&o, &err), ACMB_E_CONFIG);
	assert_non_null(strstr(err.msg, "no AWS region"));
	assert_int_equal(acmb_exit_code(err.rc), ACMB_EXIT_USAGE);
	/* Even a failed resolution leaves no secret in the environment. */
	assert_null(getenv("AWS_SECRET_ACCESS_KEY"));
	o.region = "us-east-1/../evil";
	assert_int_equal(resolve_err(&o, &err), ACMB_E_CONFIG);
	assert_non_null(strstr(err.msg, "--region"));
}

static void
test_endpoint_order(void **state)
{
	struct acmb_aws_options o;
	struct acmb_aws_config *c;
	struct acmb_aws_config *pca = NULL;
	acmb_err err = {0};

	(void)state;
	acmb_aws_options_init(&o);
	o.region = "us-west-2";
	env_keys();
	setenv("AWS_ENDPOINT_URL", "http://127.0.0.1:1111", 1);
	c = resolve_ok(&o);
	assert_string_equal(acmb_aws_config_endpoint(c), "http://127.0.0.1:1111");
	acmb_aws_config_free(c);

	env_keys();
	setenv("AWS_ENDPOINT_URL_ACM", "http://127.0.0.1:2222", 1);
	setenv("AWS_ENDPOINT_URL_ACM_PCA", "http://127.0.0.1:3333", 1);
	c = resolve_ok(&o);
	assert_string_equal(acmb_aws_config_endpoint(c), "http://127.0.0.1:2222");
	acmb_aws_config_free(c);
	/* The service-specific variable follows the service. */
	env_keys();
	assert_int_equal(
	    acmb_aws_config_resolve(&o, &acmb_aws_service_acm_pca, &pca, &err), ACMB_OK);
	assert_string_equal(acmb_aws_config_endpoint(pca), "http://127.0.0.1:3333");
	acmb_aws_config_free(pca);

	env_keys();
	o.endpoint_url = "https://localhost:4566";
	c = resolve_ok(&o);
	assert_string_equal(acmb_aws_config_endpoint(c), "https://localhost:4566");
	acmb_aws_config_free(c);

	env_keys();
	o.endpoint_url = "ftp://example.com";
	assert_int_equal(resolve_err(&o, &err), ACMB_E_CONFIG);
	assert_non_null(strstr(err.msg, "--endpoint-url"));
}

static void
test_endpoint_fips_and_china(void **state)
{
	struct acmb_aws_options o;
	struct acmb_aws_config *c;
	char buf[256];
	acmb_err err = {0};

	(void)state;
	assert_int_equal(acmb_aws_default_endpoint(
	                     &acmb_aws_service_acm, "cn-north-1", 0, buf, sizeof(buf), &err),
	    ACMB_OK);
	assert_string_equal(buf, "https://acm.cn-north-1.amazonaws.com.cn");
	assert_int_equal(acmb_aws_default_endpoint(
	                     &acmb_aws_service_acm_pca, "us-east-2", 1, buf, sizeof(buf), &err),
	    ACMB_OK);
	assert_string_equal(buf, "https://acm-pca-fips.us-east-2.amazonaws.com");

	acmb_aws_options_init(&o);
	o.region = "us-gov-west-1";
	env_keys();
	setenv("AWS_USE_FIPS_ENDPOINT", "true", 1);
	c = resolve_ok(&o);
	assert_string_equal(
	    acmb_aws_config_endpoint(c), "https://acm-fips.us-gov-west-1.amazonaws.com");
	acmb_aws_config_free(c);
	unsetenv("AWS_USE_FIPS_ENDPOINT");

	env_keys();
	o.fips = 1;
	o.region = "us-east-1";
	c = resolve_ok(&o);
	assert_string_equal(
	    acmb_aws_config_endpoint(c), "https://acm-fips.us-east-1.amazonaws.com");
	acmb_aws_config_free(c);

	/* An explicit endpoint wins over --fips, as in the CLI. */
	env_keys();
	o.endpoint_url = "http://127.0.0.1:9";
	c = resolve_ok(&o);
	assert_string_equal(acmb_aws_config_endpoint(c), "http://127.0.0.1:9");
	acmb_aws_config_free(c);
}

/* --- credential sources --- */

static void
test_env_credentials_wiped_from_environment(void **state)
{
	struct acmb_aws_options o;
	struct acmb_aws_config *c;
	char buf[512];

	(void)state;
	acmb_aws_options_init(&o);
	o.region = "us-east-1";
	env_keys();
	setenv("AWS_SESSION_TOKEN", "token/for/env", 1);
	c = resolve_ok(&o);
	assert_string_equal(acmb_aws_config_access_key_id(c), "AKIAENVIRONMENT0001");
	assert_string_equal(acmb_aws_config_secret_access_key(c), "env/secret/0123456789");
	assert_string_equal(acmb_aws_config_session_token(c), "token/for/env");
	assert_true(CRYPTO_secure_allocated(acmb_aws_config_secret_access_key(c)));
	assert_true(CRYPTO_secure_allocated(acmb_aws_config_session_token(c)));
	assert_non_null(strstr(acmb_aws_config_credential_source(c), "environment"));
	/* The secrets are gone from the environment. */
	assert_null(getenv("AWS_SECRET_ACCESS_KEY"));
	assert_null(getenv("AWS_SESSION_TOKEN"));
	/* The description names the source and never the secret. */
	acmb_aws_config_describe(c, buf, sizeof(buf));
	assert_non_null(strstr(buf, "environment"));
	assert_null(strstr(buf, "env/secret"));
	assert_null(strstr(buf, "token/for/env"));
	acmb_aws_config_free(c);
}

static void
test_env_partial_is_error(void **state)
{
	struct acmb_aws_options o;
	acmb_err err = {0};

	(void)state;
	acmb_aws_options_init(&o);
	o.region = "us-east-1";
	setenv("AWS_ACCESS_KEY_ID", "AKIAONLYTHEID000001", 1);
	assert_int_equal(resolve_err(&o, &err), ACMB_E_CONFIG);
	assert_non_null(strstr(err.msg, "AWS_SECRET_ACCESS_KEY is not"));
}

static const char cred_file[] =
    "[default]\naws_access_key_id = AKIADEFAULTCREDS001\n"
    "aws_secret_access_key = default/secret\n"
    "[prod]\naws_access_key_id = AKIAPRODCREDFILE001\naws_secret_access_key = prod/secret\n"
    "aws_session_token = prod/token\n";
static const char conf_file[] =
    "[default]\nregion = eu-central-1\n"
    "[profile prod]\nregion = us-west-1\naws_access_key_id = AKIAPRODCONFFILE001\n"
    "aws_secret_access_key = prod/conf/secret\n"
    "[profile confonly]\naws_access_key_id = AKIACONFIGONLY00001\n"
    "aws_secret_access_key = conf/only\n";

static void
test_profile_credentials_file_beats_config(void **state)
{
	struct acmb_aws_options o;
	struct acmb_aws_config *c;

	(void)state;
	write_file(credentials_path, cred_file, 0600);
	write_file(config_path, conf_file, 0600);
	acmb_aws_options_init(&o);
	o.profile = "prod";
	c = resolve_ok(&o);
	assert_string_equal(acmb_aws_config_access_key_id(c), "AKIAPRODCREDFILE001");
	assert_string_equal(acmb_aws_config_session_token(c), "prod/token");
	assert_string_equal(acmb_aws_config_region(c), "us-west-1");
	assert_non_null(strstr(acmb_aws_config_credential_source(c), "profile prod"));
	assert_non_null(strstr(acmb_aws_config_credential_source(c), credentials_path));
	acmb_aws_config_free(c);

	/* Keys only in the config file work too. */
	o.profile = "confonly";
	o.region = "us-east-1";
	c = resolve_ok(&o);
	assert_string_equal(acmb_aws_config_access_key_id(c), "AKIACONFIGONLY00001");
	assert_non_null(strstr(acmb_aws_config_credential_source(c), config_path));
	acmb_aws_config_free(c);
}

static void
test_profile_explicit_beats_env_but_aws_profile_does_not(void **state)
{
	struct acmb_aws_options o;
	struct acmb_aws_config *c;

	(void)state;
	write_file(credentials_path, cred_file, 0600);
	write_file(config_path, conf_file, 0600);
	acmb_aws_options_init(&o);
	/* AWS_PROFILE picks the profile, but environment keys still win. */
	env_keys();
	setenv("AWS_PROFILE", "prod", 1);
	c = resolve_ok(&o);
	assert_string_equal(acmb_aws_config_access_key_id(c), "AKIAENVIRONMENT0001");
	assert_string_equal(acmb_aws_config_region(c), "us-west-1");
	acmb_aws_config_free(c);
	/* --profile negates the environment keys. */
	env_keys();
	o.profile = "prod";
	c = resolve_ok(&o);
	assert_string_equal(acmb_aws_config_access_key_id(c), "AKIAPRODCREDFILE001");
	acmb_aws_config_free(c);
	/* Without either, [default]. */
	unsetenv("AWS_PROFILE");
	unsetenv("AWS_ACCESS_KEY_ID");
	o.profile = NULL;
	c = resolve_ok(&o);
	assert_string_equal(acmb_aws_config_access_key_id(c), "AKIADEFAULTCREDS001");
	assert_string_equal(acmb_aws_config_region(c), "eu-central-1");
	acmb_aws_config_free(c);
}

static void
test_profile_missing_is_error(void **state)
{
	struct acmb_aws_options o;
	acmb_err err = {0};

	(void)state;
	write_file(credentials_path, cred_file, 0600);
	acmb_aws_options_init(&o);
	o.profile = "nosuch";
	o.region = "us-east-1";
	env_keys();
	assert_int_equal(resolve_err(&o, &err), ACMB_E_CONFIG);
	assert_non_null(strstr(err.msg, "profile 'nosuch' (--profile) was not found"));
	o.profile = NULL;
	setenv("AWS_PROFILE", "nosuch2", 1);
	assert_int_equal(resolve_err(&o, &err), ACMB_E_CONFIG);
	assert_non_null(strstr(err.msg, "'nosuch2' (AWS_PROFILE)"));
}

static void
test_no_credentials(void **state)
{
	struct acmb_aws_options o;
	acmb_err err = {0};

	(void)state;
	acmb_aws_options_init(&o);
	o.region = "us-east-1";
	/* IMDS on a closed port answers nothing: not on EC2. */
	unsetenv("AWS_EC2_METADATA_DISABLED");
	setenv("AWS_EC2_METADATA_SERVICE_ENDPOINT", "http://127.0.0.1:1", 1);
	assert_int_equal(resolve_err(&o, &err), ACMB_E_CONFIG);
	assert_non_null(strstr(err.msg, "no AWS credentials found"));
}

static void
process_profile(const char *script)
{
	char path[320], conf[800];

	tmp_path(path, sizeof(path), "proc.sh");
	write_file(path, script, 0700);
	snprintf(conf, sizeof(conf),
	    "[profile proc]\nregion = us-east-1\n"
	    "credential_process = %s --flag 'quoted arg'\n",
	    path);
	write_file(config_path, conf, 0600);
}

static void
test_credential_process(void **state)
{
	struct acmb_aws_options o;
	struct acmb_aws_config *c;

	(void)state;
	process_profile("#!/bin/sh\n[ \"$2\" = 'quoted arg' ] || exit 9\n"
	                "echo '{\"Version\": 1, \"AccessKeyId\": \"AKIAPROCESS00000001\", "
	                "\"SecretAccessKey\": \"proc/secret\", \"SessionToken\": \"proc/token\", "
	                "\"Expiration\": \"2999-01-01T00:00:00Z\"}'\n");
	acmb_aws_options_init(&o);
	o.profile = "proc";
	c = resolve_ok(&o);
	assert_string_equal(acmb_aws_config_access_key_id(c), "AKIAPROCESS00000001");
	assert_string_equal(acmb_aws_config_secret_access_key(c), "proc/secret");
	assert_string_equal(acmb_aws_config_session_token(c), "proc/token");
	assert_non_null(strstr(acmb_aws_config_credential_source(c), "credential_process"));
	acmb_aws_config_free(c);
}

static void
test_credential_process_failures(void **state)
{
	struct acmb_aws_options o;
	acmb_err err = {0};

	(void)state;
	acmb_aws_options_init(&o);
	o.profile = "proc";

	process_profile("#!/bin/sh\necho 'denied by policy' >&2\nexit 3\n");
	assert_int_equal(resolve_err(&o, &err), ACMB_E_CONFIG);
	assert_non_null(strstr(err.msg, "exit status 3"));

	process_profile("#!/bin/sh\necho '{\"Version\": 2, \"AccessKeyId\": \"A\", "
	                "\"SecretAccessKey\": \"B\"}'\n");
	assert_int_equal(resolve_err(&o, &err), ACMB_E_CONFIG);
	assert_non_null(strstr(err.msg, "Version"));

	process_profile("#!/bin/sh\necho '{\"Version\": 1, \"AccessKeyId\": \"AKIAX\", "
	                "\"SecretAccessKey\": \"s\", \"Expiration\": \"2001-01-01T00:00:00Z\"}'\n");
	assert_int_equal(resolve_err(&o, &err), ACMB_E_CONFIG);
	assert_non_null(strstr(err.msg, "expired"));

	process_profile("#!/bin/sh\necho 'not json'\n");
	assert_int_equal(resolve_err(&o, &err), ACMB_E_CONFIG);
	assert_non_null(strstr(err.msg, "not a JSON object"));

	/* Output is bounded: 1 MiB of it is refused, not collected. */
	process_profile("#!/bin/sh\nhead -c 1048576 /dev/zero | tr '\\0' a\n");
	assert_int_equal(resolve_err(&o, &err), ACMB_E_CONFIG);
	assert_non_null(strstr(err.msg, "larger than"));

#ifdef ACMB_TEST_HOOKS
	/* A hanging process is killed at the timeout. */
	setenv("ACMB_TEST_PROCESS_TIMEOUT", "1", 1);
	process_profile("#!/bin/sh\nexec sleep 30\n");
	assert_int_equal(resolve_err(&o, &err), ACMB_E_CONFIG);
	assert_non_null(strstr(err.msg, "no answer within 1 seconds"));
	unsetenv("ACMB_TEST_PROCESS_TIMEOUT");
#endif
}

static void
test_container_full_uri_must_be_local_or_https(void **state)
{
	struct acmb_aws_options o;
	acmb_err err = {0};

	(void)state;
	acmb_aws_options_init(&o);
	o.region = "us-east-1";
	setenv("AWS_CONTAINER_CREDENTIALS_FULL_URI", "http://192.0.2.10/creds", 1);
	assert_int_equal(resolve_err(&o, &err), ACMB_E_CONFIG);
	assert_non_null(strstr(err.msg, "host 192.0.2.10 is not allowed"));
	/* An allowed endpoint that does not answer is a clear error, not a
	 * fall-through to the next source. */
	setenv("AWS_CONTAINER_CREDENTIALS_FULL_URI", "http://127.0.0.1:1/creds", 1);
	assert_int_equal(resolve_err(&o, &err), ACMB_E_CONFIG);
	assert_non_null(strstr(err.msg, "container credentials endpoint did not answer"));
	unsetenv("AWS_CONTAINER_CREDENTIALS_FULL_URI");
	setenv("AWS_CONTAINER_CREDENTIALS_RELATIVE_URI", "creds-without-slash", 1);
	assert_int_equal(resolve_err(&o, &err), ACMB_E_CONFIG);
	assert_non_null(strstr(err.msg, "must be a path starting with '/'"));
}

/* --- retry policy pieces --- */

static void
test_error_code_normalize(void **state)
{
	char code[ACMB_AWS_ERROR_CODE_MAX];

	(void)state;
	acmb_aws_error_code_normalize(
	    "com.amazon.coral.service#ThrottlingException", code, sizeof(code));
	assert_string_equal(code, "ThrottlingException");
	acmb_aws_error_code_normalize(
	    "ResourceNotFoundException:http://internal.amazon.com/coral/", code, sizeof(code));
	assert_string_equal(code, "ResourceNotFoundException");
	acmb_aws_error_code_normalize(
	    "aws.x#AccessDeniedException:http://a.b/c#d", code, sizeof(code));
	assert_string_equal(code, "AccessDeniedException");
	acmb_aws_error_code_normalize("ValidationException", code, sizeof(code));
	assert_string_equal(code, "ValidationException");
}

static void
test_retry_classify(void **state)
{
	(void)state;
	assert_int_equal(
	    acmb_aws_retry_classify(400, "ThrottlingException"), ACMB_AWS_RETRY_THROTTLE);
	assert_int_equal(
	    acmb_aws_retry_classify(400, "TooManyRequestsException"), ACMB_AWS_RETRY_THROTTLE);
	assert_int_equal(acmb_aws_retry_classify(400, "RequestTimeout"), ACMB_AWS_RETRY_TRANSIENT);
	assert_int_equal(acmb_aws_retry_classify(500, "InternalFailure"), ACMB_AWS_RETRY_TRANSIENT);
	assert_int_equal(
	    acmb_aws_retry_classify(503, "ServiceUnavailable"), ACMB_AWS_RETRY_TRANSIENT);
	assert_int_equal(acmb_aws_retry_classify(502, "HTTP502"), ACMB_AWS_RETRY_TRANSIENT);
	assert_int_equal(acmb_aws_retry_classify(400, "LimitExceededException"), ACMB_AWS_NO_RETRY);
	assert_int_equal(acmb_aws_retry_classify(400, "ValidationException"), ACMB_AWS_NO_RETRY);
	assert_int_equal(
	    acmb_aws_retry_classify(400, "ResourceNotFoundException"), ACMB_AWS_NO_RETRY);
	assert_int_equal(acmb_aws_retry_classify(403, "AccessDeniedException"), ACMB_AWS_NO_RETRY);
}

static void
test_backoff(void **state)
{
	(void)state;
	/* Full jitter: rand * 2^(attempt-1), capped at 20 s. */
	assert_true(acmb_aws_backoff_seconds(1, 0.5) == 0.5);
	assert_true(acmb_aws_backoff_seconds(2, 0.5) == 1.0);
	assert_true(acmb_aws_backoff_seconds(3, 0.999) < 4.0);
	assert_true(acmb_aws_backoff_seconds(5, 0.99) == 0.99 * 16.0);
	assert_true(acmb_aws_backoff_seconds(6, 0.9) == 20.0);
	assert_true(acmb_aws_backoff_seconds(40, 0.1) == 20.0);
	assert_true(acmb_aws_backoff_seconds(1, 0.0) == 0.0);
}

static void
test_max_attempts_resolution(void **state)
{
	struct acmb_aws_options o;
	struct acmb_aws_config *c;
	acmb_err err = {0};

	(void)state;
	acmb_aws_options_init(&o);
	o.region = "us-east-1";
	env_keys();
	c = resolve_ok(&o);
	assert_int_equal(acmb_aws_config_max_attempts(c), 3);
	assert_int_equal(acmb_aws_config_connect_timeout(c), 60);
	assert_int_equal(acmb_aws_config_read_timeout(c), 60);
	acmb_aws_config_free(c);
	env_keys();
	setenv("AWS_MAX_ATTEMPTS", "7", 1);
	c = resolve_ok(&o);
	assert_int_equal(acmb_aws_config_max_attempts(c), 7);
	acmb_aws_config_free(c);
	env_keys();
	o.max_attempts = 2;
	c = resolve_ok(&o);
	assert_int_equal(acmb_aws_config_max_attempts(c), 2);
	acmb_aws_config_free(c);
	env_keys();
	o.max_attempts = 0;
	setenv("AWS_MAX_ATTEMPTS", "zero", 1);
	assert_int_equal(resolve_err(&o, &err), ACMB_E_CONFIG);
	assert_non_null(strstr(err.msg, "AWS_MAX_ATTEMPTS must be a number"));
}

static void
test_ca_bundle_must_exist(void **state)
{
	struct acmb_aws_options o;
	acmb_err err = {0};

	(void)state;
	acmb_aws_options_init(&o);
	o.region = "us-east-1";
	env_keys();
	setenv("AWS_CA_BUNDLE", "/nonexistent/ca.pem", 1);
	assert_int_equal(resolve_err(&o, &err), ACMB_E_CONFIG);
	assert_non_null(strstr(err.msg, "CA bundle /nonexistent/ca.pem"));
}

/* One credential resolution serves two services: the Private CA config is
 * derived from ACM's with the same keys and its own endpoint, after the
 * environment's secret is already gone. */
static void
test_derive_for_another_service(void **state)
{
	struct acmb_aws_options o;
	struct acmb_aws_config *acm, *pca = NULL;
	acmb_err err = {0};

	(void)state;
	env_keys();
	setenv("AWS_REGION", "eu-west-1", 1);
	setenv("AWS_ENDPOINT_URL_ACM_PCA", "https://pca.example.test", 1);
	acmb_aws_options_init(&o);
	o.max_attempts = 7;
	assert_non_null(acm = resolve_ok(&o));
	assert_null(getenv("AWS_SECRET_ACCESS_KEY"));
	assert_int_equal(
	    acmb_aws_config_derive(acm, &o, &acmb_aws_service_acm_pca, &pca, &err), ACMB_OK);
	assert_string_equal(acmb_aws_config_endpoint(acm), "https://acm.eu-west-1.amazonaws.com");
	assert_string_equal(acmb_aws_config_endpoint(pca), "https://pca.example.test");
	assert_string_equal(acmb_aws_config_region(pca), "eu-west-1");
	assert_string_equal(acmb_aws_config_access_key_id(pca), "AKIAENVIRONMENT0001");
	assert_string_equal(acmb_aws_config_secret_access_key(pca), "env/secret/0123456789");
	assert_ptr_not_equal(
	    acmb_aws_config_secret_access_key(pca), acmb_aws_config_secret_access_key(acm));
	assert_int_equal(acmb_aws_config_max_attempts(pca), 7);
	assert_ptr_equal(acmb_aws_config_service(pca), &acmb_aws_service_acm_pca);
	acmb_aws_config_free(acm);
	/* The copy outlives the original. */
	assert_string_equal(acmb_aws_config_secret_access_key(pca), "env/secret/0123456789");
	acmb_aws_config_free(pca);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup(test_region_order, reset_env),
	    cmocka_unit_test_setup(test_region_missing_or_bad, reset_env),
	    cmocka_unit_test_setup(test_endpoint_order, reset_env),
	    cmocka_unit_test_setup(test_endpoint_fips_and_china, reset_env),
	    cmocka_unit_test_setup(test_env_credentials_wiped_from_environment, reset_env),
	    cmocka_unit_test_setup(test_env_partial_is_error, reset_env),
	    cmocka_unit_test_setup(test_profile_credentials_file_beats_config, reset_env),
	    cmocka_unit_test_setup(
	        test_profile_explicit_beats_env_but_aws_profile_does_not, reset_env),
	    cmocka_unit_test_setup(test_profile_missing_is_error, reset_env),
	    cmocka_unit_test_setup(test_no_credentials, reset_env),
	    cmocka_unit_test_setup(test_credential_process, reset_env),
	    cmocka_unit_test_setup(test_credential_process_failures, reset_env),
	    cmocka_unit_test_setup(test_container_full_uri_must_be_local_or_https, reset_env),
	    cmocka_unit_test(test_error_code_normalize),
	    cmocka_unit_test(test_retry_classify),
	    cmocka_unit_test(test_backoff),
	    cmocka_unit_test_setup(test_max_attempts_resolution, reset_env),
	    cmocka_unit_test_setup(test_ca_bundle_must_exist, reset_env),
	    cmocka_unit_test_setup(test_derive_for_another_service, reset_env),
	};
	acmb_err err = {0};
	char cmd[300];
	int rc;

	if (acmb_init(NULL, &err) != ACMB_OK) {
		fprintf(stderr, "acmb_init: %s\n", err.msg);
		return 1;
	}
	snprintf(tmpdir, sizeof(tmpdir), "%s/acmb-aws-config-XXXXXX",
	    getenv("TMPDIR") != NULL ? getenv("TMPDIR") : "/tmp");
	if (mkdtemp(tmpdir) == NULL)
		return 1;
	tmp_path(config_path, sizeof(config_path), "config");
	tmp_path(credentials_path, sizeof(credentials_path), "credentials");
	rc = cmocka_run_group_tests(tests, NULL, NULL);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmpdir);
	if (system(cmd) != 0)
		rc = rc != 0 ? rc : 1;
	acmb_shutdown();
	return rc;
}
