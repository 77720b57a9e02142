/*
 * acmbridge check: judge a certificate, chain and key against every ACM
 * import rule, offline, and print the verdict as a table or as JSON.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>

#include "bridge/check-batch.h"
#include "bridge/check.h"
#include "bridge/context.h"
#include "cli-options.h"
#include "cli-pkcs11.h"
#include "cli.h"
#include "zalloc.h"

static void
check_usage(FILE *f)
{
	fputs("usage: acmbridge check --certificate SRC [--private-key SRC]\n"
	      "           [--certificate-chain SRC] [--at TIME] [--query EXPRESSION]\n"
	      "           [--output text|json|table|yaml|yaml-stream]\n"
	      "       acmbridge check --pkcs12 PATH (--passphrase-file PATH | --passphrase-env "
	      "VAR)\n"
	      "       acmbridge check --batch FILE [--passphrase-file PATH] [--at TIME]\n\n"
	      "Checks the certificate, its chain and its private key against every ACM\n"
	      "import rule without contacting AWS, and says for each rule PASS or FAIL\n"
	      "with a one-line fix. Rule names are stable (docs/rules.md). A chain given\n"
	      "out of order or with duplicates is put right, and the report says so.\n\n"
	      "Options:\n",
	    f);
	acmb_cli_help_group(f, ACMB_CLI_CHECK, ACMB_CLI_GROUP_SOURCE);
	fputs("                             --certificate, --private-key and\n"
	      "                             --certificate-chain may be pkcs11: URIs (RFC 7512)\n"
	      "  --at TIME                  judge validity at TIME instead of now, e.g. a\n"
	      "                             planned import: 2027-01-31 or 2027-01-31T00:00:00Z\n"
	      "  --output text|json|table|yaml|yaml-stream  text: a table (default on a\n"
	      "                             terminal); json: one JSON object (default\n"
	      "                             otherwise): {\"ok\", \"key_algorithm\",\n"
	      "                             \"not_after\", \"checks\": [{\"rule\", \"ok\", "
	      "\"detail\",\n"
	      "                             \"fix\"}], \"chain_order_changed\", \"services\"};\n"
	      "                             table, yaml, yaml-stream: that object as the AWS\n"
	      "                             CLI lays one out. With --query every format is\n"
	      "                             the AWS CLI's, json by default\n",
	    f);
	acmb_cli_help_group(f, ACMB_CLI_CHECK, ACMB_CLI_GROUP_OUTPUT);
	fputs("  --batch FILE               check many sets in one run: one set per line,\n"
	      "                             \"CERT KEY [CHAIN]\" paths separated by blanks\n"
	      "                             ('#' starts a comment); prints one JSON line per set\n"
	      "                             and a summary on stderr; exit 3 if any set fails\n"
	      "  --help                     this text\n\n"
	      "Service lines (alb, nlb, cloudfront, apigateway-edge) say whether the\n"
	      "certificate's key attaches to each service; they are information and do not\n"
	      "change the exit code.\n\n"
	      "Check's exit codes: 0 every rule passes; 3 a rule fails; 2 usage error\n"
	      "(bad option, unreadable file, wrong or missing passphrase); 4 the token\n"
	      "refused the key export or failed.\n\n"
	      "Token options (when --certificate is a pkcs11: URI, RFC 7512):\n",
	    f);
	acmb_cli_pkcs11_help(f, ACMB_CLI_CHECK);
	fprintf(f, "\n%s", acmb_cli_exit_codes);
}

static void
print_text(FILE *f, const struct acmb_rules_report *rep)
{
	const struct acmb_rule_result *res;
	size_t i;

	fprintf(f, "%s  key %s, not after %s\n\n", rep->ok ? "PASS" : "FAIL",
	    rep->key_algorithm[0] != '\0' ? rep->key_algorithm : "(unknown)",
	    rep->not_after[0] != '\0' ? rep->not_after : "(unknown)");
	for (i = 0; i < rep->nresults; i++) {
		res = &rep->results[i];
		fprintf(f, "%s  %-24s %s\n", res->ok ? "PASS" : "FAIL", res->rule, res->detail);
		if (!res->ok && res->fix[0] != '\0')
			fprintf(f, "      %-24s fix: %s\n", "", res->fix);
	}
	if (rep->chain_order_changed)
		fprintf(f, "\nThe chain was reordered; import sends the corrected order.\n");
	fprintf(f, "\nServices (information only):\n");
	for (i = 0; i < ACMB_SERVICE_COUNT; i++)
		if (rep->services[i].service != NULL)
			fprintf(f, "  %-3s  %-16s %s\n", rep->services[i].ok ? "yes" : "no",
			    rep->services[i].service, rep->services[i].detail);
}

static int
print_json_line(json_t *obj, int pretty)
{
	char *s = json_dumps(obj, pretty ? JSON_INDENT(2) : JSON_COMPACT);

	if (s == NULL)
		return -1;
	puts(s);
	/* jansson allocates through the wiping allocator (init.c). */
	acmb_zfree(s);
	return 0;
}

/*
 * One compact JSON line of a batch, through a fixed buffer: json_dumps grows
 * its string by repeated reallocation, which the wiping allocator turns into
 * a copy and a wipe each time, for every set. A report holds names, sizes
 * and rule texts, never key bytes, so a static buffer is fine; a report too
 * long for it takes the allocating path.
 */
static int
print_batch_line(json_t *obj)
{
	static char buf[64 << 10];
	size_t n = json_dumpb(obj, buf, sizeof(buf), JSON_COMPACT);

	if (n == 0)
		return -1;
	if (n > sizeof(buf))
		return print_json_line(obj, 0);
	/* Like puts() in print_json_line(): stdout's errors show at exit. */
	(void)fwrite(buf, 1, n, stdout);
	(void)putchar('\n');
	return 0;
}

/* Prints each set's line of a --batch run. */
static int
emit_batch_line(void *arg, json_t *line)
{
	(void)arg;
	return print_batch_line(line);
}

static int
check_batch(const char *path, const struct acmb_source_spec *base, time_t at)
{
	struct acmb_check_batch_summary sum;
	acmb_err err = {0, ""};

	if (acmb_check_batch_run(path, base, at, emit_batch_line, NULL, &sum, &err) != ACMB_OK)
		return acmb_cli_fail(&err);
	fprintf(stderr,
	    "acmbridge: checked %zu sets: %zu passed, %zu failed, %zu unusable "
	    "in %.3f s (%.0f sets/s)\n",
	    sum.sets, sum.passed, sum.failed, sum.unusable, sum.seconds,
	    sum.seconds > 0 ? (double)sum.sets / sum.seconds : 0.0);
	return sum.failed > 0 || sum.unusable > 0 ? ACMB_EXIT_RULE : ACMB_EXIT_OK;
}

/* Warnings that are no rule (an unprotected key file), as OpenSSH gives them:
 * on stderr, whatever the output format. */
static void
print_warnings(const struct acmb_rules_report *rep)
{
	size_t i;

	for (i = 0; i < rep->nwarnings; i++)
		fprintf(stderr, "acmbridge: warning: %s\n", rep->warnings[i]);
}

int
acmb_cli_check(int argc, char **argv)
{
	struct acmb_cli_args args;
	struct acmb_rules_report *rep = NULL;
	struct acmb_audit *audit = NULL;
	acmb_err err = {0};
	json_t *obj = NULL;
	time_t at;
	int rc;

	if ((rc = acmb_cli_start(ACMB_CLI_CHECK, argc, argv, &args, check_usage)) >= 0)
		goto out;
	args.src.p11.ctx = acmb_cli_ctx;
	if ((rc = acmb_cli_pkcs11_prepare(&args.src.p11)) != 0)
		goto out;
	at = acmb_ctx_now(acmb_cli_ctx);
	if (args.at != NULL && acmb_check_parse_time(args.at, &at, &err) != ACMB_OK) {
		rc = acmb_cli_fail(&err);
		goto out;
	}
	if (args.batch != NULL) {
		if (args.out.output != NULL && strcmp(args.out.output, "json") != 0)
			rc = acmb_cli_usage_error(
			    "--batch writes JSON lines; drop --output %s", args.out.output);
		else if (args.out.query != NULL)
			rc = acmb_cli_usage_error("--batch writes JSON lines; drop --query");
		else
			rc = check_batch(args.batch, &args.src, at);
		goto out;
	}
	if (args.src.files.certificate == NULL && args.src.files.pkcs12 == NULL &&
	    !acmb_pkcs11_spec_wanted(&args.src.p11)) {
		rc = acmb_cli_usage_error("check needs --certificate or --pkcs12 (try --help)");
		goto out;
	}
	/* Without --output or --query: the table on a terminal, else JSON. A
	 * bad --query is refused before any key is read. */
	if ((rc = acmb_cli_output_prepare(&args.out,
	         args.out.query == NULL && isatty(STDOUT_FILENO) ? ACMB_OUTPUT_TEXT
	                                                         : ACMB_OUTPUT_JSON,
	         0, NULL)) != 0)
		goto out;

	rc = acmb_check_source(&args.src, at, NULL, &rep, &audit, &err);
	/* A kept PIN's last use: wiped before anything is printed. */
	acmb_ctx_wipe_secrets(acmb_cli_ctx);
	if (rc != ACMB_OK) {
		rc = acmb_cli_fail(&err);
		goto out;
	}
	if (acmb_ctx_cancelled(acmb_cli_ctx)) {
		acmb_error(&err, ACMB_E_INTERRUPTED, "interrupted by signal %d; the key was wiped",
		    acmb_ctx_cancelled(acmb_cli_ctx));
		rc = acmb_cli_fail(&err);
		goto out;
	}
	/* A token key exported for the pairwise test, and not imported. */
	if (audit != NULL && acmb_audit_finish(audit, NULL, NULL, &err) != ACMB_OK)
		fprintf(
		    stderr, "acmbridge: warning: the audit outcome was not written: %s\n", err.msg);
	print_warnings(rep);
	if (acmb_cli_output_own_text(&args.out)) {
		print_text(stdout, rep);
	} else if ((obj = acmb_check_report_json(rep)) == NULL ||
	           (acmb_cli_output_own_json(&args.out) && print_json_line(obj, 1) != 0)) {
		fprintf(stderr, "acmbridge: out of memory writing the report\n");
		rc = ACMB_EXIT_FAILURE;
		goto out;
	} else if (!acmb_cli_output_own_json(&args.out) &&
	           (rc = acmb_cli_output_print(&args.out, obj, "CheckCertificate")) !=
	               ACMB_EXIT_OK) {
		goto out;
	}
	rc = rep->ok ? ACMB_EXIT_OK : ACMB_EXIT_RULE;
out:
	acmb_audit_close(audit);
	acmb_cli_args_clear(&args);
	json_decref(obj);
	free(rep);
	return rc;
}
