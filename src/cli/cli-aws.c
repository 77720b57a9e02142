#include "cli-aws.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

const char acmb_cli_aws_usage[] =
    "AWS options (as the AWS CLI names them):\n"
    "  --region REGION             AWS region (else AWS_REGION, AWS_DEFAULT_REGION, profile)\n"
    "  --profile NAME              profile of ~/.aws/credentials and ~/.aws/config\n"
    "  --endpoint-url URL          service endpoint (else AWS_ENDPOINT_URL_ACM, AWS_ENDPOINT_URL)\n"
    "  --ca-bundle FILE            CA certificates to verify the endpoint (else AWS_CA_BUNDLE)\n"
    "  --no-verify-ssl             do not verify the endpoint's TLS certificate (unsafe)\n"
    "  --cli-connect-timeout SECS  connect timeout, 0 = none (default 60)\n"
    "  --cli-read-timeout SECS     read timeout, 0 = none (default 60)\n"
    "  --max-attempts N            attempts per request, 1-20 (else AWS_MAX_ATTEMPTS; 3)\n"
    "  --fips                      use the FIPS endpoint (else AWS_USE_FIPS_ENDPOINT=true)\n"
    "  --debug                     log requests (never secrets or bodies) to stderr\n";

static int
number(const char *opt, const char *arg, long lo, long hi, long *out)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(arg, &end, 10);
	if (errno != 0 || end == arg || *end != '\0' || v < lo || v > hi) {
		acmb_cli_usage_error("%s: '%s' is not a number from %ld to %ld", opt, arg, lo, hi);
		return -1;
	}
	*out = v;
	return 0;
}

static const char *const with_arg[] = {"--region", "--profile", "--endpoint-url", "--ca-bundle",
    "--cli-connect-timeout", "--cli-read-timeout", "--max-attempts", NULL};

int
acmb_cli_aws_option_has_arg(const char *opt)
{
	size_t i;

	for (i = 0; with_arg[i] != NULL; i++)
		if (strcmp(opt, with_arg[i]) == 0)
			return 1;
	return 0;
}

int
acmb_cli_aws_option(const char *opt, const char *arg, struct acmb_aws_options *opts)
{
	long v;

	if (strcmp(opt, "--no-verify-ssl") == 0) {
		opts->no_verify_ssl = 1;
		return 1;
	}
	if (strcmp(opt, "--fips") == 0) {
		opts->fips = 1;
		return 1;
	}
	if (strcmp(opt, "--debug") == 0) {
		opts->debug = 1;
		return 1;
	}
	if (!acmb_cli_aws_option_has_arg(opt))
		return 0;
	if (arg == NULL || arg[0] == '\0') {
		acmb_cli_usage_error("%s needs a value", opt);
		return -1;
	}
	if (strcmp(opt, "--region") == 0)
		opts->region = arg;
	else if (strcmp(opt, "--profile") == 0)
		opts->profile = arg;
	else if (strcmp(opt, "--endpoint-url") == 0)
		opts->endpoint_url = arg;
	else if (strcmp(opt, "--ca-bundle") == 0)
		opts->ca_bundle = arg;
	else if (strcmp(opt, "--cli-connect-timeout") == 0) {
		if (number(opt, arg, 0, 86400, &v) != 0)
			return -1;
		opts->connect_timeout = v;
	} else if (strcmp(opt, "--cli-read-timeout") == 0) {
		if (number(opt, arg, 0, 86400, &v) != 0)
			return -1;
		opts->read_timeout = v;
	} else {
		if (number(opt, arg, 1, ACMB_AWS_MAX_MAX_ATTEMPTS, &v) != 0)
			return -1;
		opts->max_attempts = (int)v;
	}
	return 1;
}

void
acmb_cli_aws_debug(void *ctx, const char *line)
{
	(void)ctx;
	fprintf(stderr, "debug: %s\n", line);
}
