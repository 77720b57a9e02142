/*
 * What every AWS command prints about AWS: the options' --help block (the
 * rows of cli-options.c's AWS group) and the --debug sink.
 */
#ifndef ACMB_CLI_AWS_H
#define ACMB_CLI_AWS_H

#include <stdio.h>

#include "acm/aws-config.h"

/* Prints "AWS options (as the AWS CLI names them):" and the AWS group's
 * lines for command cmd (an ACMB_CLI_* bit). */
void acmb_cli_aws_usage(FILE *f, unsigned cmd);

/* The CLI's --debug sink for acmb_aws_config_set_debug(): "debug: LINE" on
 * stderr. */
void acmb_cli_aws_debug(void *ctx, const char *line);

#endif
