/* The command line's one option table and parser (src/cli/cli-options.c):
 * every single-value option of every command refused when given twice,
 * repeatable ones kept, values landing in the library's specs, and one way
 * of reporting a usage error. Linked against the CLI's static library. */
#include <setjmp.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "cli-options.h"
#include "init.h"

#define WORDS_MAX 40

static char words[WORDS_MAX][256];

/* Parses the NULL-terminated words as command cmd's arguments. */
static int
parse_words(unsigned cmd, struct acmb_cli_args *a, acmb_err *err, const char *const *w)
{
	char *argv[WORDS_MAX + 1];
	int argc = 0;

	acmb_cli_args_init(a);
	memset(err, 0, sizeof(*err));
	argv[argc++] = (char *)"cmd";
	for (; *w != NULL && argc < WORDS_MAX; w++) {
		snprintf(words[argc], sizeof(words[0]), "%s", *w);
		argv[argc] = words[argc];
		argc++;
	}
	return acmb_cli_parse(cmd, argc, argv, a, err);
}

/* parse(cmd, &a, &err, "--opt", "value", ..., NULL), as an array: no NULL
 * passed through "...". */
#define parse(cmd, a, err, ...) parse_words((cmd), (a), (err), (const char *const[]){__VA_ARGS__})

/* A value that every row's setter takes. */
static const char *
good_value(const struct acmb_cli_option *o)
{
	if (strcmp(o->name, "--output") == 0)
		return "json";
	if (strcmp(o->name, "--color") == 0)
		return "off";
	if (strcmp(o->name, "--cli-binary-format") == 0)
		return "base64";
	if (strcmp(o->name, "--key-store") == 0)
		return "pkcs11:token=t;object=k";
	if (o->lo != 0 || o->hi != 0)
		return "1";
	return "x";
}

static void
test_every_single_value_row_refused_twice(void **state)
{
	static const unsigned cmds[] = {ACMB_CLI_CHECK, ACMB_CLI_IMPORT, ACMB_CLI_ISSUE,
	    ACMB_CLI_LIST, ACMB_CLI_SYNC, ACMB_CLI_STATUS, ACMB_CLI_DOCTOR, ACMB_CLI_WHOAMI,
	    ACMB_CLI_QUERY};
	const struct acmb_cli_option *rows;
	struct acmb_cli_args a;
	acmb_err err;
	char want[128];
	size_t n, i, c, tried = 0;

	(void)state;
	rows = acmb_cli_options(&n);
	assert_true(n > 40);
	for (i = 0; i < n; i++) {
		assert_int_equal(strncmp(rows[i].name, "--", 2), 0);
		/* A name may have a row per meaning (--region: one region, or
		 * sync's and status's filter): find() gives the first. */
		for (c = 0; c < i && strcmp(rows[c].name, rows[i].name) != 0; c++)
			;
		assert_ptr_equal(acmb_cli_option_find(rows[i].name), &rows[c]);
		if (rows[i].arg != ACMB_CLI_VALUE && rows[i].arg != ACMB_CLI_OPTIONAL)
			continue;
		for (c = 0; c < sizeof(cmds) / sizeof(cmds[0]); c++) {
			if (!acmb_cli_takes(cmds[c], &rows[i]))
				continue;
			assert_int_equal(
			    parse(cmds[c], &a, &err, rows[i].name, good_value(&rows[i]), NULL),
			    ACMB_OK);
			acmb_cli_args_clear(&a);
			assert_int_equal(
			    parse(cmds[c], &a, &err, rows[i].name, good_value(&rows[i]),
			        rows[i].name, good_value(&rows[i]), NULL),
			    ACMB_E_USAGE);
			snprintf(want, sizeof(want), "%s given twice", rows[i].name);
			assert_string_equal(err.msg, want);
			assert_int_equal(acmb_exit_code(err.rc), ACMB_EXIT_USAGE);
			acmb_cli_args_clear(&a);
			tried++;
		}
	}
	/* The ones issue 9 named, among them. */
	assert_true(tried > 60);
	assert_int_equal(acmb_cli_option_find("--certificate-authority-arn")->arg, ACMB_CLI_VALUE);
	assert_int_equal(acmb_cli_option_find("--validity")->arg, ACMB_CLI_VALUE);
	assert_int_equal(acmb_cli_option_find("--at")->arg, ACMB_CLI_VALUE);
	for (c = 0; c < 4; c++) {
		/* check, import, issue, list: the first rows of these names. */
		assert_true(acmb_cli_takes(cmds[c], acmb_cli_option_find("--output")));
		assert_true(acmb_cli_takes(cmds[c], acmb_cli_option_find("--debug")));
		assert_true(acmb_cli_takes(cmds[c], acmb_cli_option_find("--module")));
	}
	assert_true(acmb_cli_takes(ACMB_CLI_ISSUE, acmb_cli_option_find("--region")));
	assert_false(acmb_cli_takes(ACMB_CLI_LIST, acmb_cli_option_find("--region")));
	assert_false(acmb_cli_takes(ACMB_CLI_ISSUE, acmb_cli_option_find("--wrapping-key")));
	assert_false(acmb_cli_takes(ACMB_CLI_ISSUE, acmb_cli_option_find("--allow-duplicate")));
}

static void
test_values_fill_the_specs(void **state)
{
	struct acmb_cli_args a;
	acmb_err err;

	(void)state;
	assert_int_equal(
	    parse(ACMB_CLI_IMPORT, &a, &err, "--certificate", "pkcs11:token=t;object=c",
	        "--private-key=k.pem", "--certificate-chain", "c.pem", "--module", "/m.so",
	        "--pin-file", "pin", "--audit-log", "syslog", "--certificate-arn", "arn:x",
	        "--dry-run", "--allow-duplicate", "--strict-permissions", "--tags", "Key=a,Value=1",
	        "[{\"Key\":\"b\"}]", "--tags", "Key=c", "--output", "text", NULL),
	    ACMB_OK);
	assert_string_equal(a.src.p11.certificate, "pkcs11:token=t;object=c");
	assert_null(a.src.files.certificate);
	assert_string_equal(a.src.files.private_key, "k.pem");
	assert_string_equal(a.src.files.certificate_chain, "c.pem");
	assert_string_equal(a.src.p11.token.module, "/m.so");
	assert_string_equal(a.src.p11.token.pin.pin_file, "pin");
	assert_string_equal(a.src.p11.token.audit_log, "syslog");
	assert_string_equal(a.import.certificate_arn, "arn:x");
	assert_int_equal(a.import.dry_run, 1);
	assert_int_equal(a.import.allow_duplicate, 1);
	assert_int_equal(a.src.files.strict_permissions, 1);
	assert_int_equal(a.tags.ntags, 3);
	assert_string_equal(a.tags.tags[0].key, "a");
	assert_string_equal(a.tags.tags[0].value, "1");
	assert_string_equal(a.tags.tags[1].key, "b");
	assert_null(a.tags.tags[1].value);
	assert_string_equal(a.tags.tags[2].key, "c");
	assert_string_equal(a.out.output, "text");
	assert_null(a.out.query);
	assert_int_equal(a.g.auto_prompt, -1);
	acmb_cli_args_clear(&a);

	/* The AWS CLI's global options (issue 16), each in its field. */
	assert_int_equal(parse(ACMB_CLI_IMPORT, &a, &err, "--query", "CertificateArn", "--output",
	                     "yaml-stream", "--color=on", "--no-sign-request", "--no-paginate",
	                     "--no-cli-pager", "--cli-binary-format", "raw-in-base64-out",
	                     "--cli-auto-prompt", "--cli-input-yaml", "file://in.yaml", NULL),
	    ACMB_OK);
	assert_string_equal(a.out.query, "CertificateArn");
	assert_string_equal(a.out.output, "yaml-stream");
	assert_string_equal(a.out.color, "on");
	assert_int_equal(a.aws.no_sign_request, 1);
	assert_int_equal(a.g.no_paginate, 1);
	assert_int_equal(a.g.no_cli_pager, 1);
	assert_string_equal(a.g.binary_format, "raw-in-base64-out");
	assert_int_equal(a.g.auto_prompt, 1);
	assert_string_equal(a.cli_input_yaml, "file://in.yaml");
	acmb_cli_args_clear(&a);
	assert_int_equal(parse(ACMB_CLI_ISSUE, &a, &err, "--no-cli-auto-prompt", NULL), ACMB_OK);
	assert_int_equal(a.g.auto_prompt, 0);
	acmb_cli_args_clear(&a);
	/* query: its expression and file as plain arguments, --title its own. */
	assert_int_equal(
	    parse(ACMB_CLI_QUERY, &a, &err, "a.b", "-", "--title", "T", "--output", "table", NULL),
	    ACMB_OK);
	assert_int_equal(a.nargs, 2);
	assert_string_equal(a.args[0], "a.b");
	assert_string_equal(a.args[1], "-");
	assert_string_equal(a.title, "T");
	acmb_cli_args_clear(&a);

	/* issue: the same token options, names repeatable, numbers in range. */
	assert_int_equal(parse(ACMB_CLI_ISSUE, &a, &err, "--dns-name", "a.example", "--dns-name",
	                     "b.example", "--ip-address", "192.0.2.1", "--key-store",
	                     "pkcs11:token=t;object=k", "--pin-env", "PIN", "--wait-timeout", "5",
	                     "--validity", "30d", "--certificate-authority-arn", "arn:ca", NULL),
	    ACMB_OK);
	assert_int_equal(a.issue.ndns, 2);
	assert_string_equal(a.issue.dns_names[1], "b.example");
	assert_int_equal(a.issue.nips, 1);
	assert_string_equal(a.issue.ip_addresses[0], "192.0.2.1");
	assert_string_equal(a.issue.key_store, "pkcs11:token=t;object=k");
	assert_string_equal(a.src.p11.token.pin.pin_env, "PIN");
	assert_int_equal(a.issue.wait_timeout, 5);
	assert_string_equal(a.issue.validity, "30d");
	acmb_cli_args_clear(&a);
	assert_int_equal(parse(ACMB_CLI_ISSUE, &a, &err, NULL), ACMB_OK);
	assert_int_equal(a.issue.wait_timeout, ACMB_ISSUE_DEFAULT_WAIT);
	assert_null(a.issue.key_store);
	acmb_cli_args_clear(&a);

	/* list: one plain argument, after "--" too. */
	assert_int_equal(
	    parse(ACMB_CLI_LIST, &a, &err, "--login", "--", "pkcs11:token=a", NULL), ACMB_OK);
	assert_int_equal(a.login, 1);
	assert_int_equal(a.nargs, 1);
	assert_string_equal(a.args[0], "pkcs11:token=a");
	acmb_cli_args_clear(&a);
	assert_int_equal(
	    parse(ACMB_CLI_LIST, &a, &err, "pkcs11:token=a", "pkcs11:token=b", NULL), ACMB_E_USAGE);
	assert_string_equal(err.msg, "list takes at most one pkcs11: URI");

	/* import --generate-cli-skeleton [input|output]. */
	assert_int_equal(
	    parse(ACMB_CLI_IMPORT, &a, &err, "--generate-cli-skeleton", NULL), ACMB_OK);
	assert_string_equal(a.skeleton, "input");
	acmb_cli_args_clear(&a);
	assert_int_equal(parse(ACMB_CLI_IMPORT, &a, &err, "--generate-cli-skeleton", "output",
	                     "--output", "json", NULL),
	    ACMB_OK);
	assert_string_equal(a.skeleton, "output");
	acmb_cli_args_clear(&a);
}

static void
test_usage_errors_one_way(void **state)
{
	static const struct {
		unsigned cmd;
		const char *w[4];
		const char *msg;
	} cases[] = {
	    {ACMB_CLI_CHECK, {"--nope"},
	        "check: unknown option '--nope' (see acmbridge check --help)"},
	    {ACMB_CLI_CHECK, {"--region", "x"},
	        "check: unknown option '--region' (see acmbridge check --help)"},
	    {ACMB_CLI_ISSUE, {"--wrapping-key", "pkcs11:x"},
	        "issue: unknown option '--wrapping-key' (see acmbridge issue --help)"},
	    {ACMB_CLI_LIST, {"-x"}, "list: unknown option '-x' (see acmbridge list --help)"},
	    {ACMB_CLI_IMPORT, {"cert.pem"},
	        "import: unexpected argument 'cert.pem' (see acmbridge import --help)"},
	    {ACMB_CLI_IMPORT, {"--certificate"}, "--certificate needs a value"},
	    {ACMB_CLI_IMPORT, {"--certificate="}, "--certificate needs a value"},
	    {ACMB_CLI_IMPORT, {"--dry-run=1"}, "--dry-run takes no value"},
	    {ACMB_CLI_IMPORT, {"--output", "xml"},
	        "--output takes json, text, table, yaml or yaml-stream, not 'xml'"},
	    {ACMB_CLI_CHECK, {"--color", "blue"}, "--color takes on, off or auto, not 'blue'"},
	    {ACMB_CLI_IMPORT, {"--cli-binary-format", "base32"},
	        "--cli-binary-format takes base64 or raw-in-base64-out, not 'base32'"},
	    {ACMB_CLI_IMPORT, {"--cli-input-yaml", "file://a", "--cli-input-json", "file://b"},
	        "give one --cli-input-json or --cli-input-yaml, not both"},
	    {ACMB_CLI_ISSUE, {"--no-cli-auto-prompt", "--cli-auto-prompt"},
	        "give --cli-auto-prompt or --no-cli-auto-prompt, not both"},
	    {ACMB_CLI_CHECK, {"--no-sign-request"},
	        "check: unknown option '--no-sign-request' (see acmbridge check --help)"},
	    {ACMB_CLI_QUERY, {"a", "b", "c"},
	        "query takes an expression and at most one file (try --help)"},
	    {ACMB_CLI_IMPORT, {"--tags"}, "--tags needs at least one Key=K,Value=V"},
	    {ACMB_CLI_IMPORT, {"--tags", "Value=1"}, "--tags: a tag needs Key=K"},
	    {ACMB_CLI_IMPORT, {"--passphrase-env", "A=b"},
	        "--passphrase-env takes a variable name, not a value"},
	    {ACMB_CLI_ISSUE, {"--key-store", "disk"},
	        "--key-store takes memory or a pkcs11: URI, not 'disk'"},
	    {ACMB_CLI_ISSUE, {"--wait-timeout", "0"},
	        "--wait-timeout: '0' is not a number from 1 to 86400"},
	    {ACMB_CLI_ISSUE, {"--certificate", "c.pem"},
	        "issue: unknown option '--certificate' (see acmbridge issue --help)"},
	    {ACMB_CLI_IMPORT, {"--certificate", "a.pem", "--certificate", "pkcs11:token=t"},
	        "--certificate given twice"},
	};
	struct acmb_cli_args a;
	acmb_err err;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		assert_int_equal(parse(cases[i].cmd, &a, &err, cases[i].w[0], cases[i].w[1],
		                     cases[i].w[2], cases[i].w[3], NULL),
		    ACMB_E_USAGE);
		assert_string_equal(err.msg, cases[i].msg);
		acmb_cli_args_clear(&a);
	}
	/* --help anywhere, before a later mistake. */
	assert_int_equal(
	    parse(ACMB_CLI_CHECK, &a, &err, "--at", "2027-01-01", "-h", "--nope", NULL),
	    ACMB_CLI_HELP);
	acmb_cli_args_clear(&a);
}

static void
test_help_groups(void **state)
{
	char buf[8192];
	FILE *f;
	size_t n;

	(void)state;
	f = fmemopen(buf, sizeof(buf), "w");
	assert_non_null(f);
	acmb_cli_help_group(f, ACMB_CLI_LIST, ACMB_CLI_GROUP_TOKEN);
	acmb_cli_help_group(f, ACMB_CLI_ISSUE, ACMB_CLI_GROUP_SOURCE);
	n = (size_t)ftell(f);
	fclose(f);
	buf[n < sizeof(buf) ? n : sizeof(buf) - 1] = '\0';
	assert_int_equal(strncmp(buf, "  --module PATH ", 16), 0);
	assert_non_null(strstr(buf, "  --wrapping-key URI "));
	assert_non_null(strstr(buf, "(default $XDG_STATE_HOME/acmbridge/audit.log)\n"));
	/* issue takes no source options: nothing printed for it. */
	assert_null(strstr(buf, "--certificate"));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_every_single_value_row_refused_twice),
	    cmocka_unit_test(test_values_fill_the_specs),
	    cmocka_unit_test(test_usage_errors_one_way),
	    cmocka_unit_test(test_help_groups),
	};
	acmb_err err = {0};
	int rc;

	if (acmb_init(NULL, &err) != ACMB_OK)
		return 1;
	rc = cmocka_run_group_tests(tests, NULL, NULL);
	acmb_shutdown();
	return rc;
}
