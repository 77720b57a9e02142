/*
 * The acmbridge command line: one file per subcommand (cli-<name>.c), each a
 * thin layer that parses options, calls the library and prints the result.
 */
#ifndef ACMB_CLI_H
#define ACMB_CLI_H

#include <stdio.h>

#include "error.h"

/* Each subcommand returns the process exit code (see acmb_exit_code()). */
int acmb_cli_check(int argc, char **argv);
int acmb_cli_import(int argc, char **argv);
int acmb_cli_issue(int argc, char **argv);
int acmb_cli_list(int argc, char **argv);
int acmb_cli_sync(int argc, char **argv);
int acmb_cli_status(int argc, char **argv);
int acmb_cli_doctor(int argc, char **argv);
int acmb_cli_query(int argc, char **argv);
int acmb_cli_whoami(int argc, char **argv);

/* Set by --debug anywhere on the command line. Debug output never contains
 * secrets. */
extern int acmb_cli_debug;

/* The run's context (bridge/context.h), made by main() before the command
 * runs and freed after it; its cancel flag is set by the CLI's SIGINT and
 * SIGTERM handlers. Commands pass it to every flow. */
extern struct acmb_ctx *acmb_cli_ctx;

/* Prints "acmbridge: <message>" for err to stderr and returns its exit code. */
int acmb_cli_fail(const acmb_err *err);

struct acmb_cli_args;

/* Starts a subcommand: parses argv for command cmd (one ACMB_CLI_* bit of
 * cli-options.h) into a, which it initialises (clear it with
 * acmb_cli_args_clear() on every path). Returns -1 when the command goes
 * on, else the exit code to return at once: 0 after usage() printed the
 * --help text to stdout, 2 after the usage error was printed. */
int acmb_cli_start(
    unsigned cmd, int argc, char **argv, struct acmb_cli_args *a, void (*usage)(FILE *));

/* Prints "acmbridge: <message>" to stderr and returns ACMB_EXIT_USAGE. */
int acmb_cli_usage_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

struct acmb_rules_report;

/* Prints every failing ACM rule of rep (NULL allowed) with its one-line fix
 * to stderr, so that a command refused with exit 3 says why. */
void acmb_cli_print_failed_rules(const struct acmb_rules_report *rep);

/* The exit-code table printed by every --help. */
extern const char acmb_cli_exit_codes[];

#endif
