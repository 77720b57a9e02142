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
#include "acm/aws-ini.h"
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

/* --- INI reading --- */

static void
test_ini_sections_and_styles(void **state)
{
	acmb_secbuf *t = NULL;
	acmb_err err = {0};
	const char *v;
	size_t n;

	(void)state;
	write_file(config_path,
	    "# comment\n[default]\nregion = eu-west-1\n\n"
	    "[profile prod]\n  ; indented comment\nREGION: ap-south-1\n"
	    "s3 =\n  region = nested-must-not-match\ncredential_process = /bin/echo a=b\n"
	    "[prod]\nregion = wrong-style\n[sso-session x]\nregion = no\n",
	    0600);
	assert_int_equal(acmb_aws_ini_load(config_path, &t, &err), ACMB_OK);
	assert_true(acmb_aws_ini_get(t, ACMB_AWS_INI_CONFIG, "default", "region", &v, &n));
	assert_int_equal(n, 9);
	assert_memory_equal(v, "eu-west-1", 9);
	/* Keys are case-insensitive and ':' separates like '='. */
	assert_true(acmb_aws_ini_get(t, ACMB_AWS_INI_CONFIG, "prod", "region", &v, &n));
	assert_memory_equal(v, "ap-south-1", n);
	/* The value keeps its '=' after the first separator. */
	assert_true(acmb_aws_ini_get(t, ACMB_AWS_INI_CONFIG, "prod", "credential_process", &v, &n));
	assert_int_equal(n, strlen("/bin/echo a=b"));
	/* Credentials-file style names sections without "profile". */
	assert_true(acmb_aws_ini_get(t, ACMB_AWS_INI_CREDENTIALS, "prod", "region", &v, &n));
	assert_memory_equal(v, "wrong-style", n);
	assert_false(acmb_aws_ini_has_profile(t, ACMB_AWS_INI_CONFIG, "x"));
	assert_false(acmb_aws_ini_get(t, ACMB_AWS_INI_CONFIG, "default", "missing", &v, &n));
	/* The file may hold secrets: it lives in the secure heap. */
	assert_true(CRYPTO_secure_allocated(acmb_secbuf_ptr(t)));
	acmb_secbuf_free(t);
}

static void
test_ini_bounds(void **state)
{
	acmb_secbuf *t = NULL;
	acmb_err err = {0};
	char *big;

	(void)state;
	big = malloc(ACMB_AWS_INI_MAX_LINE + 100);
	assert_non_null(big);
	memset(big, 'a', ACMB_AWS_INI_MAX_LINE + 98);
	big[ACMB_AWS_INI_MAX_LINE + 98] = '\n';
	big[ACMB_AWS_INI_MAX_LINE + 99] = '\0';
	write_file(config_path, big, 0600);
	free(big);
	assert_int_equal(acmb_aws_ini_load(config_path, &t, &err), ACMB_E_PARSE);
	assert_non_null(strstr(err.msg, "line 1 is longer"));
	assert_null(t);
	assert_int_equal(truncate(config_path, (off_t)ACMB_AWS_INI_MAX_FILE + 1), 0);
	assert_int_equal(acmb_aws_ini_load(config_path, &t, &err), ACMB_E_TOO_BIG);
	/* A missing file is no error: the CLI works without ~/.aws. */
	assert_int_equal(acmb_aws_ini_load("/nonexistent/acmb/config", &t, &err), ACMB_OK);
	assert_null(t);
}

/* --- region and endpoint --- */

/* The default endpoint of each partition, and FIPS. */
static void
test_default_endpoints(void **state)
{
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
}

/* --- one resolution per row: region, endpoint, transport --- */

#define NO_ERROR NULL

/* Every row starts from reset_env() and the environment keys, then sets its
 * variables and options, resolves for svc, and checks what it names. */
static const struct resolve_case {
	const char *name;
	const char *config; /* the config file, or NULL for an empty one */
	const char *env[4]; /* NAME=value */
	const char *region; /* --region */
	const char *endpoint_url;
	int fips;
	int max_attempts;
	const struct acmb_aws_service *svc; /* NULL: ACM */
	int rc;
	const char *want_region;   /* NULL: not checked */
	const char *want_endpoint; /* NULL: not checked */
	int want_max_attempts;     /* 0: not checked */
	const char *msg;           /* in err.msg when rc is not ACMB_OK */
} resolve_cases[] = {
    /* The region: --region, AWS_REGION, AWS_DEFAULT_REGION, the profile. */
    {"region from the profile", "[default]\nregion = eu-north-1\n", {NULL}, NULL, NULL, 0, 0, NULL,
        ACMB_OK, "eu-north-1", NULL, 0, NO_ERROR},
    {"AWS_DEFAULT_REGION beats the profile", "[default]\nregion = eu-north-1\n",
        {"AWS_DEFAULT_REGION=eu-west-3"}, NULL, NULL, 0, 0, NULL, ACMB_OK, "eu-west-3", NULL, 0,
        NO_ERROR},
    {"AWS_REGION beats AWS_DEFAULT_REGION", "[default]\nregion = eu-north-1\n",
        {"AWS_DEFAULT_REGION=eu-west-3", "AWS_REGION=ap-northeast-1"}, NULL, NULL, 0, 0, NULL,
        ACMB_OK, "ap-northeast-1", NULL, 0, NO_ERROR},
    {"--region beats everything, and names the endpoint", "[default]\nregion = eu-north-1\n",
        {"AWS_DEFAULT_REGION=eu-west-3", "AWS_REGION=ap-northeast-1"}, "sa-east-1", NULL, 0, 0,
        NULL, ACMB_OK, "sa-east-1", "https://acm.sa-east-1.amazonaws.com", 0, NO_ERROR},
    {"no region anywhere", NULL, {NULL}, NULL, NULL, 0, 0, NULL, ACMB_E_CONFIG, NULL, NULL, 0,
        "no AWS region"},
    {"a region that is no region name", NULL, {NULL}, "us-east-1/../evil", NULL, 0, 0, NULL,
        ACMB_E_CONFIG, NULL, NULL, 0, "--region"},
    /* The endpoint: --endpoint-url, AWS_ENDPOINT_URL_<SVC>, AWS_ENDPOINT_URL. */
    {"AWS_ENDPOINT_URL", NULL, {"AWS_ENDPOINT_URL=http://127.0.0.1:1111"}, "us-west-2", NULL, 0, 0,
        NULL, ACMB_OK, NULL, "http://127.0.0.1:1111", 0, NO_ERROR},
    {"AWS_ENDPOINT_URL_ACM beats AWS_ENDPOINT_URL", NULL,
        {"AWS_ENDPOINT_URL=http://127.0.0.1:1111", "AWS_ENDPOINT_URL_ACM=http://127.0.0.1:2222",
            "AWS_ENDPOINT_URL_ACM_PCA=http://127.0.0.1:3333"},
        "us-west-2", NULL, 0, 0, NULL, ACMB_OK, NULL, "http://127.0.0.1:2222", 0, NO_ERROR},
    {"the service's own variable follows the service", NULL,
        {"AWS_ENDPOINT_URL=http://127.0.0.1:1111", "AWS_ENDPOINT_URL_ACM=http://127.0.0.1:2222",
            "AWS_ENDPOINT_URL_ACM_PCA=http://127.0.0.1:3333"},
        "us-west-2", NULL, 0, 0, &acmb_aws_service_acm_pca, ACMB_OK, NULL, "http://127.0.0.1:3333",
        0, NO_ERROR},
    {"--endpoint-url beats the variables", NULL,
        {"AWS_ENDPOINT_URL=http://127.0.0.1:1111", "AWS_ENDPOINT_URL_ACM=http://127.0.0.1:2222"},
        "us-west-2", "https://localhost:4566", 0, 0, NULL, ACMB_OK, NULL, "https://localhost:4566",
        0, NO_ERROR},
    {"an endpoint that is not http(s)", NULL, {NULL}, "us-west-2", "ftp://example.com", 0, 0, NULL,
        ACMB_E_CONFIG, NULL, NULL, 0, "--endpoint-url"},
    {"AWS_USE_FIPS_ENDPOINT", NULL, {"AWS_USE_FIPS_ENDPOINT=true"}, "us-gov-west-1", NULL, 0, 0,
        NULL, ACMB_OK, NULL, "https://acm-fips.us-gov-west-1.amazonaws.com", 0, NO_ERROR},
    {"--fips", NULL, {NULL}, "us-east-1", NULL, 1, 0, NULL, ACMB_OK, NULL,
        "https://acm-fips.us-east-1.amazonaws.com", 0, NO_ERROR},
    /* An explicit endpoint wins over --fips, as in the CLI. */
    {"--endpoint-url beats --fips", NULL, {NULL}, "us-east-1", "http://127.0.0.1:9", 1, 0, NULL,
        ACMB_OK, NULL, "http://127.0.0.1:9", 0, NO_ERROR},
    /* Retries: --max-attempts, AWS_MAX_ATTEMPTS, 3. */
    {"three attempts by default", NULL, {NULL}, "us-east-1", NULL, 0, 0, NULL, ACMB_OK, NULL, NULL,
        3, NO_ERROR},
    {"AWS_MAX_ATTEMPTS", NULL, {"AWS_MAX_ATTEMPTS=7"}, "us-east-1", NULL, 0, 0, NULL, ACMB_OK, NULL,
        NULL, 7, NO_ERROR},
    {"--max-attempts beats AWS_MAX_ATTEMPTS", NULL, {"AWS_MAX_ATTEMPTS=7"}, "us-east-1", NULL, 0, 2,
        NULL, ACMB_OK, NULL, NULL, 2, NO_ERROR},
    {"AWS_MAX_ATTEMPTS that is no number", NULL, {"AWS_MAX_ATTEMPTS=zero"}, "us-east-1", NULL, 0, 0,
        NULL, ACMB_E_CONFIG, NULL, NULL, 0, "AWS_MAX_ATTEMPTS must be a number"},
    {"a CA bundle that does not exist", NULL, {"AWS_CA_BUNDLE=/nonexistent/ca.pem"}, "us-east-1",
        NULL, 0, 0, NULL, ACMB_E_CONFIG, NULL, NULL, 0, "CA bundle /nonexistent/ca.pem"},
};

static void
test_resolve_cases(void **state)
{
	const struct resolve_case *rc;
	struct acmb_aws_options o;
	struct acmb_aws_config *c;
	char name[64];
	const char *eq;
	acmb_err err;
	size_t i, k;
	int r;

	for (i = 0; i < sizeof(resolve_cases) / sizeof(resolve_cases[0]); i++) {
		rc = &resolve_cases[i];
		reset_env(state);
		if (rc->config != NULL)
			write_file(config_path, rc->config, 0600);
		env_keys();
		for (k = 0; k < 4 && rc->env[k] != NULL; k++) {
			eq = strchr(rc->env[k], '=');
			snprintf(name, sizeof(name), "%.*s", (int)(eq - rc->env[k]), rc->env[k]);
			setenv(name, eq + 1, 1);
		}
		acmb_aws_options_init(&o);
		o.region = rc->region;
		o.endpoint_url = rc->endpoint_url;
		o.fips = rc->fips;
		o.max_attempts = rc->max_attempts;
		c = NULL;
		memset(&err, 0, sizeof(err));
		r = acmb_aws_config_resolve(
		    &o, rc->svc != NULL ? rc->svc : &acmb_aws_service_acm, &c, &err);
		if (r != rc->rc)
			fail_msg("%s: rc %d, wanted %d (%s)", rc->name, r, rc->rc, err.msg);
		/* Resolved or not, the secret is gone from the environment. */
		if (getenv("AWS_SECRET_ACCESS_KEY") != NULL)
			fail_msg("%s: AWS_SECRET_ACCESS_KEY is still set", rc->name);
		if (r != ACMB_OK) {
			if (c != NULL || strstr(err.msg, rc->msg) == NULL ||
			    acmb_exit_code(err.rc) != ACMB_EXIT_USAGE)
				fail_msg("%s: message '%s' lacks '%s'", rc->name, err.msg, rc->msg);
			continue;
		}
		if ((rc->want_region != NULL &&
		        strcmp(acmb_aws_config_region(c), rc->want_region) != 0) ||
		    (rc->want_endpoint != NULL &&
		        strcmp(acmb_aws_config_endpoint(c), rc->want_endpoint) != 0) ||
		    (rc->want_max_attempts != 0 &&
		        acmb_aws_config_max_attempts(c) != rc->want_max_attempts))
			fail_msg("%s: region %s, endpoint %s, %d attempts", rc->name,
			    acmb_aws_config_region(c), acmb_aws_config_endpoint(c),
			    acmb_aws_config_max_attempts(c));
		/* Timeouts not given are the CLI's 60 s. */
		assert_int_equal(acmb_aws_config_connect_timeout(c), 60);
		assert_int_equal(acmb_aws_config_read_timeout(c), 60);
		acmb_aws_config_free(c);
	}
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
	    cmocka_unit_test_setup(test_ini_sections_and_styles, reset_env),
	    cmocka_unit_test_setup(test_ini_bounds, reset_env),
	    cmocka_unit_test_setup(test_resolve_cases, reset_env),
	    cmocka_unit_test_setup(test_default_endpoints, reset_env),
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
