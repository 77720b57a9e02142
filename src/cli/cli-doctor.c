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
#include "cli-input.h"
#include "cli.h"
#include "zalloc.h"

static void
doctor_usage(FILE *f)
{
	fprintf(f,
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
	    "  --help                     this text\n\n"
	    "%s\n"
	    "Doctor's exit codes: 0 no check failed (warnings allowed); 1 a check failed;\n"
	    "2 usage error.\n",
	    acmb_cli_aws_usage);
}

static int
doctor_takes_value(const char *opt)
{
	return acmb_cli_aws_option_has_arg(opt) || strcmp(opt, "--module") == 0 ||
	       strcmp(opt, "--manifest") == 0 || strcmp(opt, "--output") == 0;
}

/* Stores a single-value option, refusing a second one. */
static int
once(const char **slot, const char *opt, const char *val)
{
	if (*slot != NULL)
		return acmb_cli_usage_error("%s given twice", opt);
	*slot = val;
	return 0;
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
	struct acmb_aws_options aws;
	struct acmb_doctor_options opts;
	struct acmb_doctor_report *rep = NULL;
	const char *val, *output = NULL;
	char opt[64], *s = NULL;
	acmb_err err = {0, ""};
	json_t *doc = NULL;
	int i, k, rc = ACMB_EXIT_FAILURE;

	acmb_aws_options_init(&aws);
	memset(&opts, 0, sizeof(opts));
	for (i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
			doctor_usage(stdout);
			return ACMB_EXIT_OK;
		}
		if (acmb_cli_split_option(
		        argc, argv, &i, doctor_takes_value, opt, sizeof(opt), &val) != 0)
			return ACMB_EXIT_USAGE;
		if ((k = acmb_cli_aws_option(opt, val, &aws)) < 0)
			return ACMB_EXIT_USAGE;
		if (k > 0)
			continue;
		if (strcmp(opt, "--module") == 0) {
			if (once(&opts.module, opt, val) != 0)
				return ACMB_EXIT_USAGE;
		} else if (strcmp(opt, "--manifest") == 0) {
			if (once(&opts.manifest, opt, val) != 0)
				return ACMB_EXIT_USAGE;
		} else if (strcmp(opt, "--output") == 0) {
			if (once(&output, opt, val) != 0)
				return ACMB_EXIT_USAGE;
			if (strcmp(val, "text") != 0 && strcmp(val, "json") != 0)
				return acmb_cli_usage_error(
				    "--output takes text or json, not '%s'", val);
		} else {
			return acmb_cli_usage_error(
			    "doctor: unknown option '%s' (try --help)", argv[i]);
		}
	}
	opts.aws = &aws;
	if (aws.debug || acmb_cli_debug)
		opts.debug = acmb_cli_aws_debug;
	if ((rep = calloc(1, sizeof(*rep))) == NULL) {
		fprintf(stderr, "acmbridge: out of memory\n");
		return ACMB_EXIT_FAILURE;
	}
	if (acmb_doctor_run(&opts, rep, &err) != ACMB_OK) {
		rc = acmb_cli_fail(&err);
		goto out;
	}
	if (output != NULL && strcmp(output, "json") == 0) {
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
	return rc;
}
