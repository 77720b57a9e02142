/*
 * The AWS CLI's remaining global options: --no-paginate and --no-cli-pager
 * (accepted: acmbridge pages internally and never starts a pager), and for
 * the commands that read material for AWS (import, issue)
 * --cli-binary-format and --cli-auto-prompt / --no-cli-auto-prompt.
 * --no-sign-request is a row of the AWS group (struct acmb_aws_options).
 */
#ifndef ACMB_CLI_GLOBAL_H
#define ACMB_CLI_GLOBAL_H

#include "acm/aws-config.h"

/* --cli-binary-format: how text given for a blob (file:// contents, a
 * --cli-input-json/yaml string) is read. */
enum acmb_binary_format {
	ACMB_BINARY_BASE64,            /* text is base64 (PEM text is taken as is) */
	ACMB_BINARY_RAW_IN_BASE64_OUT, /* text is the bytes */
};

/* Filled by the option table's rows (cli-options.c); --no-sign-request
 * goes straight to struct acmb_aws_options. */
struct acmb_cli_global {
	int no_paginate, no_cli_pager;
	int auto_prompt;           /* -1 not given, 0 --no-cli-auto-prompt, 1 --cli-auto-prompt */
	const char *binary_format; /* --cli-binary-format as given, or NULL */
	/* Set by acmb_cli_global_prepare(): */
	enum acmb_binary_format binary;
	int prompt; /* prompt for missing required parameters */
};

/* --cli-binary-format's word (base64, raw-in-base64-out) to *b. Returns 0,
 * or -1 for any other word. */
int acmb_cli_binary_format_parse(const char *name, enum acmb_binary_format *b);

/* Sets every option to "not given". */
void acmb_cli_global_init(struct acmb_cli_global *g);

/*
 * Resolves, before anything is read or sent: the binary format
 * (--cli-binary-format, else the profile's cli_binary_format, else base64)
 * and prompting (--[no-]cli-auto-prompt, else AWS_CLI_AUTO_PROMPT, else the
 * profile's cli_auto_prompt: on or on-partial prompt, off does not; only
 * when standard input and standard error are terminals). profile: --profile
 * or NULL. Returns 0, or 2 after printing why.
 */
int acmb_cli_global_prepare(struct acmb_cli_global *g, const char *profile);

/* Asks on the terminal for a missing required parameter: prints
 * "--NAME (what): " and reads one line, with file-name completion (TAB)
 * when is_file. Returns a new string (caller frees with free()), or NULL
 * when nothing was entered. Never for secrets: the line is echoed and
 * kept in the plain heap. */
char *acmb_cli_prompt(const char *name, const char *what, int is_file);

#endif
