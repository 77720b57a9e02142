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

#include "bridge/check.h"
#include "cli-input.h"
#include "cli-output.h"
#include "cli-pkcs11.h"
#include "cli-source.h"
#include "cli.h"
#include "init.h"
#include "zalloc.h"

/* A batch line holds up to three paths; longer lines are refused. */
#define BATCH_LINE_MAX 8192

static void
check_usage(FILE *f)
{
	fprintf(f,
	    "usage: acmbridge check --certificate SRC [--private-key SRC]\n"
	    "           [--certificate-chain SRC] [--at TIME] [--query EXPRESSION]\n"
	    "           [--output text|json|table|yaml|yaml-stream] [--color on|off|auto]\n"
	    "       acmbridge check --pkcs12 PATH (--passphrase-file PATH | --passphrase-env VAR)\n"
	    "       acmbridge check --batch FILE [--passphrase-file PATH] [--at TIME]\n\n"
	    "Checks the certificate, its chain and its private key against every ACM\n"
	    "import rule without contacting AWS, and says for each rule PASS or FAIL\n"
	    "with a one-line fix. Rule names are stable (docs/rules.md). A chain given\n"
	    "out of order or with duplicates is put right, and the report says so.\n\n"
	    "Options:\n%s"
	    "                             --certificate, --private-key and\n"
	    "                             --certificate-chain may be pkcs11: URIs (RFC 7512)\n"
	    "  --at TIME                  judge validity at TIME instead of now, e.g. a\n"
	    "                             planned import: 2027-01-31 or 2027-01-31T00:00:00Z\n"
	    "  --output text|json         a table (default on a terminal) or one JSON object\n"
	    "                             (default otherwise): {\"ok\", \"key_algorithm\",\n"
	    "                             \"not_after\", \"checks\": [{\"rule\", \"ok\", "
	    "\"detail\",\n"
	    "                             \"fix\"}], \"chain_order_changed\", \"services\"}\n"
	    "  --query EXPRESSION         JMESPath over that object; the result is laid out\n"
	    "                             as the AWS CLI lays one out (json by default)\n"
	    "  --output table|yaml|yaml-stream  that object (or the --query result) as the\n"
	    "                             AWS CLI lays a result out; text and json keep the\n"
	    "                             forms above unless --query is given\n"
	    "  --color on|off|auto        colours of the table format\n"
	    "  --batch FILE               check many sets in one run: one set per line,\n"
	    "                             \"CERT KEY [CHAIN]\" paths separated by blanks\n"
	    "                             ('#' starts a comment); prints one JSON line per set\n"
	    "                             and a summary on stderr; exit 3 if any set fails\n"
	    "  --help                     this text\n\n"
	    "Service lines (alb, nlb, cloudfront, apigateway-edge) say whether the\n"
	    "certificate's key attaches to each service; they are information and do not\n"
	    "change the exit code.\n\n"
	    "Check's exit codes: 0 every rule passes; 3 a rule fails; 2 usage error\n"
	    "(bad option, unreadable file, wrong or missing passphrase); 4 the token\n"
	    "refused the key export or failed.\n\n%s%s\n%s",
	    acmb_cli_input_help, acmb_cli_source_p11_help, acmb_cli_pkcs11_help,
	    acmb_cli_exit_codes);
}

static int
check_takes_value(const char *opt)
{
	return acmb_cli_source_takes_value(opt) || strcmp(opt, "--at") == 0 ||
	       acmb_cli_output_takes_value(opt) || strcmp(opt, "--batch") == 0;
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

/* Splits a batch line into at most three blank-separated paths. */
static int
batch_split(char *line, char **fields, int max)
{
	char *save = NULL, *tok;
	int n = 0;

	for (tok = strtok_r(line, " \t\r\n", &save); tok != NULL;
	     tok = strtok_r(NULL, " \t\r\n", &save)) {
		if (tok[0] == '#')
			break;
		if (n == max)
			return -1;
		fields[n++] = tok;
	}
	return n;
}

static int
check_batch(const char *path, const struct acmb_files_spec *base, time_t at)
{
	char line[BATCH_LINE_MAX];
	char *fields[3];
	struct acmb_files_spec spec;
	struct acmb_rules_report *rep = NULL;
	acmb_check_batch *batch = NULL;
	struct timespec t0, t1;
	json_t *obj = NULL;
	acmb_err err;
	FILE *f = NULL;
	size_t lineno = 0, sets = 0, passed = 0, failed = 0, unusable = 0;
	double secs;
	int n, rc;

	if ((f = fopen(path, "r")) == NULL)
		return acmb_cli_usage_error("--batch: cannot read '%s'", path);
	if ((batch = acmb_check_batch_new()) == NULL || (rep = calloc(1, sizeof(*rep))) == NULL) {
		acmb_check_batch_free(batch);
		fclose(f);
		fprintf(stderr, "acmbridge: out of memory\n");
		return ACMB_EXIT_FAILURE;
	}
	clock_gettime(CLOCK_MONOTONIC, &t0);
	while (fgets(line, sizeof(line), f) != NULL) {
		lineno++;
		if (strchr(line, '\n') == NULL && !feof(f)) {
			fclose(f);
			acmb_check_batch_free(batch);
			free(rep);
			return acmb_cli_usage_error("--batch: line %zu is longer than %d bytes",
			    lineno, BATCH_LINE_MAX - 1);
		}
		if ((n = batch_split(line, fields, 3)) == 0)
			continue;
		sets++;
		memset(&err, 0, sizeof(err));
		obj = NULL;
		if (n < 2) {
			rc = acmb_error(
			    &err, ACMB_E_USAGE, "line %zu: expected CERT KEY [CHAIN]", lineno);
		} else {
			spec = *base;
			spec.certificate = fields[0];
			spec.private_key = fields[1];
			spec.certificate_chain = n == 3 ? fields[2] : NULL;
			rc = acmb_check_batch_files(batch, &spec, at, rep, &err);
		}
		if (rc == ACMB_OK) {
			obj = acmb_check_report_json(rep);
			if (rep->ok)
				passed++;
			else
				failed++;
		} else {
			unusable++;
			if ((obj = json_object()) != NULL &&
			    (json_object_set_new(obj, "ok", json_false()) != 0 ||
			        json_object_set_new(obj, "error", json_string(err.msg)) != 0)) {
				json_decref(obj);
				obj = NULL;
			}
		}
		if (obj == NULL ||
		    json_object_set_new(obj, "line", json_integer((json_int_t)lineno)) != 0 ||
		    json_object_set_new(obj, "certificate", json_string(n > 0 ? fields[0] : "")) !=
		        0 ||
		    print_batch_line(obj) != 0) {
			json_decref(obj);
			fclose(f);
			acmb_check_batch_free(batch);
			free(rep);
			fprintf(stderr, "acmbridge: out of memory writing the report\n");
			return ACMB_EXIT_FAILURE;
		}
		json_decref(obj);
	}
	fclose(f);
	acmb_check_batch_free(batch);
	free(rep);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	secs = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
	fprintf(stderr,
	    "acmbridge: checked %zu sets: %zu passed, %zu failed, %zu unusable "
	    "in %.3f s (%.0f sets/s)\n",
	    sets, passed, failed, unusable, secs, secs > 0 ? (double)sets / secs : 0.0);
	return failed > 0 || unusable > 0 ? ACMB_EXIT_RULE : ACMB_EXIT_OK;
}

int
acmb_cli_check(int argc, char **argv)
{
	struct acmb_source_spec src = {0};
	struct acmb_files_spec spec = {0};
	struct acmb_rules_report *rep = NULL;
	struct acmb_audit *audit = NULL;
	struct acmb_cli_output out;
	const char *at_str = NULL, *batch = NULL, *val;
	char opt[64];
	acmb_err err = {0};
	json_t *obj = NULL;
	time_t at;
	int i, k, rc;

	memset(&out, 0, sizeof(out));
	for (i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--debug") == 0)
			continue;
		if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
			check_usage(stdout);
			return ACMB_EXIT_OK;
		}
		if (acmb_cli_split_option(
		        argc, argv, &i, check_takes_value, opt, sizeof(opt), &val) != 0)
			return ACMB_EXIT_USAGE;
		if ((k = acmb_cli_source_option(opt, (char *)val, &src)) == 0)
			k = acmb_cli_output_option(&out, opt, val);
		if (k < 0)
			return ACMB_EXIT_USAGE;
		if (k > 0)
			continue;
		if (strcmp(opt, "--at") == 0)
			at_str = val;
		else if (strcmp(opt, "--batch") == 0)
			batch = val;
		else
			return acmb_cli_usage_error(
			    "check: unknown option '%s' (try --help)", argv[i]);
	}
	spec = src.files;
	if ((rc = acmb_cli_source_prepare(&src)) != 0) {
		acmb_pkcs11_spec_clear(&src.p11);
		return rc;
	}
	at = time(NULL);
	if (at_str != NULL && acmb_check_parse_time(at_str, &at, &err) != ACMB_OK)
		return acmb_cli_fail(&err);
	if (batch != NULL) {
		if (spec.certificate != NULL || spec.private_key != NULL ||
		    spec.certificate_chain != NULL || spec.pkcs12 != NULL ||
		    acmb_pkcs11_spec_wanted(&src.p11))
			return acmb_cli_usage_error(
			    "--batch takes its paths from the file; "
			    "drop --certificate, --private-key, --certificate-chain, --pkcs12");
		/* The loader wipes and unsets the variable after its first read. */
		if (spec.passphrase_env != NULL)
			return acmb_cli_usage_error("--batch reads the passphrase once per set: "
			                            "use --passphrase-file");
		if (out.query != NULL || (out.output != NULL && strcmp(out.output, "json") != 0))
			return acmb_cli_usage_error(
			    "--batch writes JSON lines; drop --output and --query");
		return check_batch(batch, &spec, at);
	}
	if (spec.certificate == NULL && spec.pkcs12 == NULL && !acmb_pkcs11_spec_wanted(&src.p11))
		return acmb_cli_usage_error("check needs --certificate or --pkcs12 (try --help)");
	/* Without --output or --query: a table on a terminal, else JSON. */
	if ((rc = acmb_cli_output_prepare(&out,
	         out.query == NULL && isatty(STDOUT_FILENO) ? ACMB_OUTPUT_TEXT : ACMB_OUTPUT_JSON,
	         0, NULL)) != 0) {
		acmb_pkcs11_spec_clear(&src.p11);
		return rc;
	}
	if (acmb_check_source(&src, at, NULL, &rep, &audit, &err) != ACMB_OK) {
		rc = acmb_cli_fail(&err);
		goto out;
	}
	if (acmb_interrupted()) {
		acmb_error(&err, ACMB_E_INTERRUPTED, "interrupted by signal %d; the key was wiped",
		    acmb_interrupted());
		rc = acmb_cli_fail(&err);
		goto out;
	}
	/* A token key exported for the pairwise test, and not imported. */
	if (audit != NULL && acmb_audit_finish(audit, NULL, NULL, &err) != ACMB_OK)
		fprintf(
		    stderr, "acmbridge: warning: the audit outcome was not written: %s\n", err.msg);
	if (acmb_cli_output_own_text(&out)) {
		print_text(stdout, rep);
	} else if ((obj = acmb_check_report_json(rep)) == NULL ||
	           (acmb_cli_output_own_json(&out) && print_json_line(obj, 1) != 0)) {
		fprintf(stderr, "acmbridge: out of memory writing the report\n");
		rc = ACMB_EXIT_FAILURE;
		goto out;
	} else if (!acmb_cli_output_own_json(&out) &&
	           (rc = acmb_cli_output_print(&out, obj, "CheckCertificate")) != ACMB_EXIT_OK) {
		goto out;
	}
	rc = rep->ok ? ACMB_EXIT_OK : ACMB_EXIT_RULE;
out:
	acmb_cli_output_clear(&out);
	acmb_audit_close(audit);
	acmb_pkcs11_spec_clear(&src.p11);
	json_decref(obj);
	free(rep);
	return rc;
}
