/*
 * The AWS options every AWS command shares, with one parser so that the
 * names and checks are the same everywhere. The options struct itself is
 * struct acmb_aws_options (acm/aws-config.h): the library resolves it.
 */
#ifndef ACMB_CLI_AWS_H
#define ACMB_CLI_AWS_H

#include "acm/aws-config.h"

/* Usage lines for the options below, for each command's --help. */
extern const char acmb_cli_aws_usage[];

/* Handles opt (e.g. "--region") with its argument arg (NULL for flags, or
 * when the option came last). Returns 1 if opt was one of the AWS options,
 * 0 if not, and -1 on a missing or bad value after printing one clear line.
 * Strings in opts point into arg, i.e. into argv. */
int acmb_cli_aws_option(const char *opt, const char *arg, struct acmb_aws_options *opts);

/* Returns 1 if opt is an AWS option that takes a value (so a hand-rolled
 * argv loop knows to pass and skip the next word), 0 otherwise. */
int acmb_cli_aws_option_has_arg(const char *opt);

/* The CLI's --debug sink for acmb_aws_config_set_debug(): "debug: LINE" on
 * stderr. */
void acmb_cli_aws_debug(void *ctx, const char *line);

#endif
