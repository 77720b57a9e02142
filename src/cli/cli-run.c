/*
 * How every subcommand starts: its argv through the one option table, --help
 * and usage errors answered the same way for all.
 */
#include "cli-options.h"
#include "cli.h"

int
acmb_cli_start(unsigned cmd, int argc, char **argv, struct acmb_cli_args *a, void (*usage)(FILE *))
{
	acmb_err err = {0, ""};
	int r;

	acmb_cli_args_init(a);
	if ((r = acmb_cli_parse(cmd, argc, argv, a, &err)) == ACMB_OK)
		return -1;
	if (r == ACMB_CLI_HELP) {
		usage(stdout);
		return ACMB_EXIT_OK;
	}
	return acmb_cli_usage_error("%s", err.msg);
}
