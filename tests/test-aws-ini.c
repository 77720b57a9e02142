/* The AWS shared files parsed as the AWS CLI parses them (botocore's
 * configloader over Python's RawConfigParser): botocore's own test files
 * (tests/unit/cfg), the issue-9 defects (indented keys, duplicate
 * sections, oversized files as configuration errors) and the secure heap. */
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
#include "acm/aws-ini.h"
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
	chmod(path, 0600);
}

static acmb_aws_ini *
parse_ok(const char *text)
{
	acmb_aws_ini *ini = NULL;
	acmb_err err = {0};

	if (acmb_aws_ini_parse(text, strlen(text), "test", &ini, &err) != ACMB_OK)
		fail_msg("parse failed: %s", err.msg);
	assert_non_null(ini);
	return ini;
}

/* Parses text expecting the CLI's refusal: exit code 2, the message
 * containing want. */
static void
parse_refused(const char *text, size_t len, const char *want)
{
	acmb_aws_ini *ini = NULL;
	acmb_err err = {0};

	assert_int_equal(acmb_aws_ini_parse(text, len, "test", &ini, &err), ACMB_E_CONFIG);
	assert_null(ini);
	assert_int_equal(acmb_exit_code(err.rc), ACMB_EXIT_USAGE);
	if (strstr(err.msg, want) == NULL)
		fail_msg("'%s' not in '%s'", want, err.msg);
}

static void
expect_ini_value(const acmb_aws_ini *ini, enum acmb_aws_ini_style style, const char *name,
    const char *key, const char *want)
{
	const char *v = NULL;
	size_t n = 0;

	if (!acmb_aws_ini_get(ini, style, name, key, &v, &n))
		fail_msg("[%s] %s: absent, expected '%s'", name, key, want);
	assert_int_equal(n, strlen(want));
	assert_string_equal(v, want);
}

static void
expect_ini_absent(
    const acmb_aws_ini *ini, enum acmb_aws_ini_style style, const char *name, const char *key)
{
	const char *v = NULL;
	size_t n = 0;

	assert_false(acmb_aws_ini_get(ini, style, name, key, &v, &n));
	assert_null(v);
}

static void
test_sections_and_styles(void **state)
{
	acmb_aws_ini *ini;
	const char *v;
	size_t n;

	(void)state;
	ini =
	    parse_ok("# comment\n[default]\nregion = eu-west-1\n\n"
	             "[profile prod]\n  ; indented comment\nREGION: ap-south-1\n"
	             "s3 =\n  region = nested-must-not-match\ncredential_process = /bin/echo a=b\n"
	             "[prod]\nregion = wrong-style\n[sso-session x]\nregion = no\n");
	expect_ini_value(ini, ACMB_AWS_INI_CONFIG, "default", "region", "eu-west-1");
	/* Keys are case-insensitive and ':' separates like '='. */
	expect_ini_value(ini, ACMB_AWS_INI_CONFIG, "prod", "region", "ap-south-1");
	/* The value keeps its '=' after the first separator. */
	expect_ini_value(ini, ACMB_AWS_INI_CONFIG, "prod", "credential_process", "/bin/echo a=b");
	/* A nested value: the indented lines, joined. */
	expect_ini_value(
	    ini, ACMB_AWS_INI_CONFIG, "prod", "s3", "\nregion = nested-must-not-match");
	/* Credentials-file style names sections without "profile". */
	expect_ini_value(ini, ACMB_AWS_INI_CREDENTIALS, "prod", "region", "wrong-style");
	assert_false(acmb_aws_ini_has_profile(ini, ACMB_AWS_INI_CONFIG, "x"));
	assert_true(acmb_aws_ini_has_profile(ini, ACMB_AWS_INI_SSO_SESSION, "x"));
	expect_ini_absent(ini, ACMB_AWS_INI_CONFIG, "default", "missing");
	/* The file may hold secrets: every value lives in the secure heap. */
	assert_true(acmb_aws_ini_get(ini, ACMB_AWS_INI_CONFIG, "default", "region", &v, &n));
	assert_true(CRYPTO_secure_allocated(v));
	acmb_aws_ini_free(ini);
}

/* botocore tests/unit/cfg/aws_config and aws_bad_profile: quoted names,
 * spaces in names, and sections botocore ignores. */
static void
test_botocore_profile_names(void **state)
{
	acmb_aws_ini *ini;

	(void)state;
	ini = parse_ok("[default]\naws_access_key_id = foo\naws_secret_access_key = bar\n\n"
	               "[profile \"personal\"]\naws_access_key_id = fie\n"
	               "aws_secret_access_key = baz\naws_security_token = fiebaz\n");
	expect_ini_value(ini, ACMB_AWS_INI_CONFIG, "personal", "aws_access_key_id", "fie");
	expect_ini_value(ini, ACMB_AWS_INI_CONFIG, "default", "aws_secret_access_key", "bar");
	acmb_aws_ini_free(ini);

	ini = parse_ok("[default]\naws_access_key_id = default\naws_secret_access_key = default\n\n"
	               "# Bad format, must be 'profile \"name\"' for profiles.\n"
	               "[profile \"personal\" \"otherkey\"]\naws_access_key_id = default\n"
	               "aws_secret_access_key = default\n\n# Spaces are allowed\n"
	               "[profile \"my profile\"]\naws_access_key_id = default\n"
	               "aws_secret_access_key = default\n\n# Missing quote\n"
	               "[profile \"missing end quote]\n\n# Doesn't need to be in quotes\n"
	               "[profile personal1]\naws_access_key_id = access_personal1\n"
	               "aws_secret_access_key = key_personal1\n");
	assert_true(acmb_aws_ini_has_profile(ini, ACMB_AWS_INI_CONFIG, "default"));
	assert_true(acmb_aws_ini_has_profile(ini, ACMB_AWS_INI_CONFIG, "my profile"));
	assert_true(acmb_aws_ini_has_profile(ini, ACMB_AWS_INI_CONFIG, "personal1"));
	assert_false(acmb_aws_ini_has_profile(ini, ACMB_AWS_INI_CONFIG, "personal"));
	assert_false(acmb_aws_ini_has_profile(ini, ACMB_AWS_INI_CONFIG, "missing end quote"));
	assert_false(acmb_aws_ini_has_profile(ini, ACMB_AWS_INI_CONFIG, "\"missing"));
	expect_ini_value(
	    ini, ACMB_AWS_INI_CONFIG, "personal1", "aws_access_key_id", "access_personal1");
	acmb_aws_ini_free(ini);
}

/* botocore tests/unit/cfg/aws_config_nested, aws_sso_session_config and
 * aws_services_config. */
static void
test_botocore_nested_and_sessions(void **state)
{
	acmb_aws_ini *ini;

	(void)state;
	ini = parse_ok("[default]\naws_access_key_id = foo\naws_secret_access_key = bar\n"
	               "s3 =\n    signature_version = s3v4\n    addressing_style = path\n"
	               "cloudwatch =\n    signature_version = v4\nregion=us-west-2\n");
	expect_ini_value(ini, ACMB_AWS_INI_CONFIG, "default", "aws_access_key_id", "foo");
	expect_ini_value(ini, ACMB_AWS_INI_CONFIG, "default", "region", "us-west-2");
	expect_ini_value(ini, ACMB_AWS_INI_CONFIG, "default", "s3",
	    "\nsignature_version = s3v4\naddressing_style = path");
	expect_ini_value(
	    ini, ACMB_AWS_INI_CONFIG, "default", "cloudwatch", "\nsignature_version = v4");
	acmb_aws_ini_free(ini);

	ini = parse_ok("[default]\nsso_session = sso\n\n[sso-session sso]\n"
	               "sso_start_url = https://example.com\nsso_region = us-east-1\n");
	expect_ini_value(ini, ACMB_AWS_INI_CONFIG, "default", "sso_session", "sso");
	expect_ini_value(
	    ini, ACMB_AWS_INI_SSO_SESSION, "sso", "sso_start_url", "https://example.com");
	expect_ini_value(ini, ACMB_AWS_INI_SSO_SESSION, "sso", "sso_region", "us-east-1");
	assert_false(acmb_aws_ini_has_profile(ini, ACMB_AWS_INI_CONFIG, "sso"));
	acmb_aws_ini_free(ini);

	ini =
	    parse_ok("[default]\nendpoint_url = https://localhost:1234/\nservices = my-services\n\n"
	             "[services my-services]\ns3 =\n  endpoint_url = https://localhost:5678/\n"
	             "dynamodb =\n  endpoint_url = https://localhost:8888/\n");
	expect_ini_value(ini, ACMB_AWS_INI_CONFIG, "default", "services", "my-services");
	assert_false(acmb_aws_ini_has_profile(ini, ACMB_AWS_INI_CONFIG, "my-services"));
	acmb_aws_ini_free(ini);
}

/* botocore's files the CLI refuses (ConfigParseError). */
static void
test_botocore_refusals(void **state)
{
	static const char badbytes[] = "[default]\nregion = \xff\xfe\x80\n";

	(void)state;
	/* aws_config_bad: keys before any section. */
	parse_refused("aws_access_key_id = foo\naws_secret_access_key = bar\n\n"
	              "[profile \"personal\"]\naws_access_key_id = fie\n",
	    strlen("aws_access_key_id = foo\naws_secret_access_key = bar\n\n"
	           "[profile \"personal\"]\naws_access_key_id = fie\n"),
	    "line 1 comes before any [section]");
	/* aws_config_badbytes: not UTF-8. */
	parse_refused(badbytes, sizeof(badbytes) - 1, "not UTF-8");
	/* aws_config_nested_bad: a nested line without '='. */
	parse_refused("[default]\naws_access_key_id = foo\ns3 =\n    bad_syntax @ s3v4\n"
	              "cloudwatch =\n    signature_version = v4\n",
	    strlen("[default]\naws_access_key_id = foo\ns3 =\n    bad_syntax @ s3v4\n"
	           "cloudwatch =\n    signature_version = v4\n"),
	    "the nested value of s3 (line 3)");
}

/* Issue 9: "an indented key line after [default] is misread". For the
 * CLI a key line right after a section header is a key at any indentation,
 * and so is the next one at the same indentation. */
static void
test_indented_keys_after_section(void **state)
{
	acmb_aws_ini *ini;

	(void)state;
	ini = parse_ok("[default]\n  aws_access_key_id = AKIAINDENTED0000001\n"
	               "  aws_secret_access_key = indented/secret\n");
	expect_ini_value(
	    ini, ACMB_AWS_INI_CREDENTIALS, "default", "aws_access_key_id", "AKIAINDENTED0000001");
	expect_ini_value(
	    ini, ACMB_AWS_INI_CREDENTIALS, "default", "aws_secret_access_key", "indented/secret");
	acmb_aws_ini_free(ini);

	/* Deeper than the key line before it: a continuation of that value,
	 * even when it looks like a key or a section. */
	ini = parse_ok("[a]\nk = 1\n  j = 2\n\n  [b]\n\t# comment inside\n m\n\n\nz=3\n");
	expect_ini_value(ini, ACMB_AWS_INI_CREDENTIALS, "a", "k", "1\nj = 2\n\n[b]\nm");
	expect_ini_absent(ini, ACMB_AWS_INI_CREDENTIALS, "a", "j");
	expect_ini_value(ini, ACMB_AWS_INI_CREDENTIALS, "a", "z", "3");
	assert_false(acmb_aws_ini_has_profile(ini, ACMB_AWS_INI_CREDENTIALS, "b"));
	acmb_aws_ini_free(ini);
}

/* Issue 9: "two [default] sections are silently merged to the first". */
static void
test_duplicates_refused(void **state)
{
	static const char twice[] = "[default]\naws_access_key_id = AKIAFIRST0000000001\n"
	                            "aws_secret_access_key = first/secret\n\n[default]\n"
	                            "aws_access_key_id = AKIASECOND000000002\n"
	                            "aws_secret_access_key = second/secret\n";
	static const char key_twice[] = "[p]\nregion = a\nRegion = b\n";
	static const char defaults_twice[] = "[DEFAULT]\nx = 1\n[a]\n[DEFAULT]\ny = 2\n";
	acmb_aws_ini *ini;

	(void)state;
	parse_refused(twice, sizeof(twice) - 1, "section [default] appears twice (lines 1 and 5)");
	parse_refused(key_twice, sizeof(key_twice) - 1,
	    "key region appears twice in section [p] (lines 2 and 3)");
	/* [DEFAULT] may come back (it is not a section of its own). */
	ini = parse_ok(defaults_twice);
	expect_ini_value(ini, ACMB_AWS_INI_CREDENTIALS, "a", "y", "2");
	acmb_aws_ini_free(ini);
}

/* [DEFAULT] gives its keys to every section, as RawConfigParser does; the
 * section's own keys win. */
static void
test_defaults_section(void **state)
{
	acmb_aws_ini *ini;

	(void)state;
	ini = parse_ok("[DEFAULT]\nregion = eu-west-3\noutput = json\n"
	               "[profile a]\nregion = us-east-2\n[profile b]\n");
	expect_ini_value(ini, ACMB_AWS_INI_CONFIG, "a", "region", "us-east-2");
	expect_ini_value(ini, ACMB_AWS_INI_CONFIG, "b", "region", "eu-west-3");
	expect_ini_value(ini, ACMB_AWS_INI_CONFIG, "a", "output", "json");
	assert_false(acmb_aws_ini_has_profile(ini, ACMB_AWS_INI_CREDENTIALS, "DEFAULT"));
	acmb_aws_ini_free(ini);
}

/* Line endings, section names as written, the last '[profile x]' winning,
 * inline ';' kept, a header's text after ']' ignored. */
static void
test_lines_and_headers(void **state)
{
	acmb_aws_ini *ini;

	(void)state;
	ini = parse_ok("[default]\r\nregion = eu-west-1 ; not a comment\r\n"
	               "[ spaced ]\rk = v\r[profile x]\nregion = first\n"
	               "[profile  x]\nregion = second\n[profile default]\noutput = text\n"
	               "[p] trailing text\nk\t=\tv\n");
	expect_ini_value(
	    ini, ACMB_AWS_INI_CREDENTIALS, "default", "region", "eu-west-1 ; not a comment");
	/* Not trimmed: "[ spaced ]" is " spaced ". */
	assert_true(acmb_aws_ini_has_profile(ini, ACMB_AWS_INI_CREDENTIALS, " spaced "));
	assert_false(acmb_aws_ini_has_profile(ini, ACMB_AWS_INI_CREDENTIALS, "spaced"));
	expect_ini_value(ini, ACMB_AWS_INI_CREDENTIALS, " spaced ", "k", "v");
	/* Two sections naming profile x: the last wins, as in botocore. */
	expect_ini_value(ini, ACMB_AWS_INI_CONFIG, "x", "region", "second");
	/* [profile default] names the default profile, after [default]. */
	expect_ini_value(ini, ACMB_AWS_INI_CONFIG, "default", "output", "text");
	expect_ini_absent(ini, ACMB_AWS_INI_CONFIG, "default", "region");
	expect_ini_value(ini, ACMB_AWS_INI_CREDENTIALS, "p", "k", "v");
	acmb_aws_ini_free(ini);
}

static void
test_bad_lines(void **state)
{
	static const char junk[] = "[default]\naws_access_key_id = AKIAJUNK00000000001\n"
	                           "wJalrXUtnFEMI/K7MDENG/bPxRfiCYSECRETKEY\n";
	static const char bom[] = "\xef\xbb\xbf[default]\nregion = us-east-1\n";
	static const char empty_key[] = "[a]\n = value\n";
	acmb_aws_ini *ini = NULL;
	acmb_err err = {0};

	(void)state;
	parse_refused(junk, sizeof(junk) - 1,
	    "line 3 is neither a [section], a key = value line nor a comment");
	/* The line itself (which may be a secret) is never quoted. */
	assert_int_equal(
	    acmb_aws_ini_parse(junk, sizeof(junk) - 1, "test", &ini, &err), ACMB_E_CONFIG);
	assert_null(strstr(err.msg, "SECRETKEY"));
	parse_refused(bom, sizeof(bom) - 1, "byte-order mark");
	parse_refused(empty_key, sizeof(empty_key) - 1, "line 2 has an empty key name");
	/* An empty file and a file of comments are files without profiles. */
	ini = parse_ok("");
	assert_false(acmb_aws_ini_has_profile(ini, ACMB_AWS_INI_CONFIG, "default"));
	acmb_aws_ini_free(ini);
	ini = parse_ok("# only\n; comments\n\n");
	acmb_aws_ini_free(ini);
}

static void
test_load_bounds(void **state)
{
	acmb_aws_ini *ini = NULL;
	acmb_err err = {0};

	(void)state;
	/* Issue 9: over 1 MiB is a configuration error (exit 2), not exit 3. */
	write_file(credentials_path, "[default]\n");
	assert_int_equal(truncate(credentials_path, (off_t)ACMB_AWS_INI_MAX_FILE + 1), 0);
	assert_int_equal(acmb_aws_ini_load(credentials_path, &ini, &err), ACMB_E_CONFIG);
	assert_int_equal(acmb_exit_code(err.rc), ACMB_EXIT_USAGE);
	assert_non_null(strstr(err.msg, "larger than 1048576 bytes"));
	assert_null(ini);
	/* A missing file is no error: the CLI works without ~/.aws. */
	assert_int_equal(acmb_aws_ini_load("/nonexistent/acmb/config", &ini, &err), ACMB_OK);
	assert_null(ini);
	/* A directory is refused. */
	assert_int_equal(acmb_aws_ini_load(tmpdir, &ini, &err), ACMB_E_CONFIG);
	assert_non_null(strstr(err.msg, "not a regular file"));
}

/* The same defects through the whole resolution, as the CLI meets them. */
static void
test_resolution_follows_the_cli(void **state)
{
	struct acmb_aws_options o;
	struct acmb_aws_config *c = NULL;
	acmb_err err = {0};

	(void)state;
	acmb_aws_options_init(&o);
	o.region = "us-east-1";
	write_file(config_path, "");
	write_file(credentials_path, "[default]\n  aws_access_key_id = AKIAINDENTED0000001\n"
	                             "  aws_secret_access_key = indented/secret\n");
	assert_int_equal(acmb_aws_config_resolve(&o, &acmb_aws_service_acm, &c, &err), ACMB_OK);
	assert_string_equal(acmb_aws_config_access_key_id(c), "AKIAINDENTED0000001");
	assert_string_equal(acmb_aws_config_secret_access_key(c), "indented/secret");
	acmb_aws_config_free(c);
	c = NULL;

	write_file(credentials_path, "[default]\naws_access_key_id = AKIAFIRST0000000001\n"
	                             "aws_secret_access_key = first/secret\n[default]\n"
	                             "aws_access_key_id = AKIASECOND000000002\n"
	                             "aws_secret_access_key = second/secret\n");
	assert_int_equal(
	    acmb_aws_config_resolve(&o, &acmb_aws_service_acm, &c, &err), ACMB_E_CONFIG);
	assert_null(c);
	assert_non_null(strstr(err.msg, credentials_path));
	assert_non_null(strstr(err.msg, "appears twice"));

	write_file(credentials_path, "[default]\n");
	assert_int_equal(truncate(credentials_path, (off_t)ACMB_AWS_INI_MAX_FILE + 1), 0);
	assert_int_equal(
	    acmb_aws_config_resolve(&o, &acmb_aws_service_acm, &c, &err), ACMB_E_CONFIG);
	assert_int_equal(acmb_exit_code(err.rc), ACMB_EXIT_USAGE);
}

static int
setup(void **state)
{
	(void)state;
	unsetenv("AWS_ACCESS_KEY_ID");
	unsetenv("AWS_SECRET_ACCESS_KEY");
	unsetenv("AWS_SESSION_TOKEN");
	unsetenv("AWS_PROFILE");
	setenv("AWS_EC2_METADATA_DISABLED", "true", 1);
	setenv("AWS_CONFIG_FILE", config_path, 1);
	setenv("AWS_SHARED_CREDENTIALS_FILE", credentials_path, 1);
	return 0;
}

/*
 * --dump FILE NAME...: prints, for each NAME that is a section in either
 * style, "STYLE|NAME|present" and "STYLE|NAME|KEY|VALUE" for a few keys
 * (newlines in values as \n), or "ERROR" when the file is refused: what
 * tests/aws/test-ini-botocore.sh compares with botocore's own reading.
 */
static int
dump(int argc, char **argv)
{
	static const char *const keys[] = {"a", "b", "c", "k", "region"};
	acmb_aws_ini *ini = NULL;
	acmb_err err = {0};
	const char *v, *q;
	size_t n, k;
	int i, style;

	if (acmb_aws_ini_load(argv[2], &ini, &err) != ACMB_OK || ini == NULL) {
		printf("ERROR\n");
		return 0;
	}
	for (i = 3; i < argc; i++)
		for (style = ACMB_AWS_INI_CONFIG; style <= ACMB_AWS_INI_CREDENTIALS; style++) {
			if (!acmb_aws_ini_has_profile(ini, style, argv[i]))
				continue;
			printf("%d|%s|present\n", style, argv[i]);
			for (k = 0; k < sizeof(keys) / sizeof(keys[0]); k++) {
				if (!acmb_aws_ini_get(ini, style, argv[i], keys[k], &v, &n))
					continue;
				printf("%d|%s|%s|", style, argv[i], keys[k]);
				for (q = v; *q != '\0'; q++)
					fputs(*q == '\n' ? "\\n" : (char[]){*q, '\0'}, stdout);
				putchar('\n');
			}
		}
	acmb_aws_ini_free(ini);
	return 0;
}

int
main(int argc, char **argv)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup(test_sections_and_styles, setup),
	    cmocka_unit_test_setup(test_botocore_profile_names, setup),
	    cmocka_unit_test_setup(test_botocore_nested_and_sessions, setup),
	    cmocka_unit_test_setup(test_botocore_refusals, setup),
	    cmocka_unit_test_setup(test_indented_keys_after_section, setup),
	    cmocka_unit_test_setup(test_duplicates_refused, setup),
	    cmocka_unit_test_setup(test_defaults_section, setup),
	    cmocka_unit_test_setup(test_lines_and_headers, setup),
	    cmocka_unit_test_setup(test_bad_lines, setup),
	    cmocka_unit_test_setup(test_load_bounds, setup),
	    cmocka_unit_test_setup(test_resolution_follows_the_cli, setup),
	};
	acmb_err err = {0};
	char cmd[300];
	int rc;

	if (acmb_init(NULL, &err) != ACMB_OK) {
		fprintf(stderr, "acmb_init: %s\n", err.msg);
		return 1;
	}
	if (argc >= 3 && strcmp(argv[1], "--dump") == 0) {
		rc = dump(argc, argv);
		acmb_shutdown();
		return rc;
	}
	snprintf(tmpdir, sizeof(tmpdir), "%s/acmb-aws-ini-XXXXXX",
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
