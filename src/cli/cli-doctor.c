/*
 * acmbridge doctor: one line per check of this host (PASS, WARN or FAIL
 * with the fix), as text or JSON; exit 0 when nothing failed, 1 otherwise.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "bridge/doctor.h"
#include "cli-aws.h"
#include "cli-options.h"
#include "cli.h"
#include "zalloc.h"

static void
doctor_usage(FILE *f)
{
	fputs(
	    "usage: acmbridge doctor [--profile NAME] [--region REGION] [--module PATH]\n"
	    "           [--manifest PATH] [--output text|json] [AWS options]\n\n"
	    "Checks that this host can run acmbridge and says, one line per check, PASS,\n"
	    "WARN or FAIL with the fix: the secure heap is locked (RLIMIT_MEMLOCK), core\n"
	    "dumps are off, libcurl loads, the AWS configuration resolves, the endpoint\n"
	    "answers over verified TLS, the clock is close to the endpoint's (SigV4 fails\n"
	    "beyond 5 minutes), AWS accepts the credentials (and whose they are), ACM may\n"
	    "be read (ListCertificates, MaxItems 1), each PKCS#11 module loads and shows\n"
	    "its tokens, and the manifest can be read. No key is loaded, no token is\n"
	    "logged into, nothing is written. Run it as the user and with the limits that\n"
	    "acmbridge runs with (e.g. in the systemd unit's environment).\n\n"
	    "Options:\n"
	    "  --module PATH              the PKCS#11 module to check (default: every\n"
	    "                             module registered with p11-kit)\n"
	    "  --manifest PATH            the sync manifest to check\n"
	    "  --output text|json         one line per check (default), or one JSON object\n"
	    "                             {\"ok\", \"checks\": [{\"check\", \"status\", "
	    "\"detail\",\n"
	    "                             \"fix\"}]}\n"
	    "  --help                     this text\n\n",
	    f);
	acmb_cli_aws_usage(f, ACMB_CLI_DOCTOR);
	fputs("\nDoctor's exit codes: 0 no check failed (warnings allowed); 1 a check failed;\n"
	      "2 usage error.\n",
	    f);
}

static void
print_text(const struct acmb_doctor_report *rep)
{
	const struct acmb_doctor_result *res;
	size_t i;

	for (i = 0; i < rep->n; i++) {
		res = &rep->results[i];
		printf("%s  %-12s %s%s%s\n", acmb_doctor_status_name(res->status), res->check,
		    res->detail, res->fix[0] != '\0' ? " -- fix: " : "", res->fix);
	}
}

int
acmb_cli_doctor(int argc, char **argv)
{
	struct acmb_cli_args args;
	struct acmb_doctor_options opts;
	struct acmb_doctor_report *rep = NULL;
	char *s = NULL;
	acmb_err err = {0, ""};
	json_t *doc = NULL;
	int rc = ACMB_EXIT_FAILURE;

	memset(&opts, 0, sizeof(opts));
	acmb_cli_args_init(&args);
	if ((rc = acmb_cli_parse(ACMB_CLI_DOCTOR, argc, argv, &args, &err)) != ACMB_OK) {
		if (rc == ACMB_CLI_HELP)
			doctor_usage(stdout);
		rc = rc == ACMB_CLI_HELP ? ACMB_EXIT_OK : acmb_cli_fail(&err);
		goto out;
	}
	rc = ACMB_EXIT_FAILURE;
	if (args.fleet_output != NULL && strcmp(args.fleet_output, "text") != 0 &&
	    strcmp(args.fleet_output, "json") != 0) {
		rc = acmb_cli_usage_error("--output takes text or json, not '%s'", args.fleet_output);
		goto out;
	}
	opts.module = args.src.p11.token.module;
	opts.manifest = args.manifest;
	opts.aws = &args.aws;
	if (args.aws.debug || acmb_cli_debug)
		opts.debug = acmb_cli_aws_debug;
	if ((rep = calloc(1, sizeof(*rep))) == NULL) {
		fprintf(stderr, "acmbridge: out of memory\n");
		goto out;
	}
	if (acmb_doctor_run(&opts, rep, &err) != ACMB_OK) {
		rc = acmb_cli_fail(&err);
		goto out;
	}
	if (args.fleet_output != NULL && strcmp(args.fleet_output, "json") == 0) {
		if ((doc = acmb_doctor_report_json(rep)) == NULL ||
		    (s = json_dumps(doc, JSON_INDENT(2))) == NULL) {
			fprintf(stderr, "acmbridge: out of memory writing the report\n");
			goto out;
		}
		puts(s);
	} else {
		print_text(rep);
	}
	rc = rep->ok ? ACMB_EXIT_OK : ACMB_EXIT_FAILURE;
out:
	acmb_zfree(s); /* from json_dumps: the wiping allocator */
	json_decref(doc);
	free(rep);
	acmb_cli_args_clear(&args);
	return rc;
}
