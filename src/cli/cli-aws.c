#include "cli-aws.h"

#include "cli-options.h"

void
acmb_cli_aws_usage(FILE *f, unsigned cmd)
{
	fputs("AWS options (as the AWS CLI names them):\n", f);
	acmb_cli_help_group(f, cmd, ACMB_CLI_GROUP_AWS);
}

void
acmb_cli_aws_debug(void *ctx, const char *line)
{
	(void)ctx;
	fprintf(stderr, "debug: %s\n", line);
}
