/*
 * How every subcommand starts: its argv through the one option table, --help
 * and usage errors answered the same way for all.
 */
#include <stdarg.h>

#include "cli-options.h"
#include "cli.h"

/* Here rather than in cli-main.c: the option table's users in the CLI
 * library (cli-output.c, cli-global.c) answer usage errors with it, and
 * tests link that library without main(). */
int
acmb_cli_usage_error(const char *fmt, ...)
{
	va_list ap;

	fputs("acmbridge: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	return ACMB_EXIT_USAGE;
}

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
