/*
 * --query, --output and --color for every command that prints JSON: one
 * set of options, one function that prints a command's result. The rules:
 *
 * - --output, else (AWS commands: import, issue) AWS_DEFAULT_OUTPUT, else the
 *   profile's `output`, else the command's own default (json for import and
 *   issue, as before).
 * - With --query, the result goes through JMESPath first and is then laid
 *   out as the AWS CLI lays out a result (json, text, table, yaml,
 *   yaml-stream).
 * - Without --query, `--output text` keeps each command's own text (the
 *   ARN, a dry run's plan, check's verdict, list's listing) and check and
 *   list keep their own JSON: scripts written against them keep working.
 */
#ifndef ACMB_CLI_OUTPUT_H
#define ACMB_CLI_OUTPUT_H

#include <jansson.h>

#include "jmespath.h"
#include "output-format.h"

/* Filled by the option table's rows (cli-options.c), which check the
 * words of --output and --color. */
struct acmb_cli_output {
	const char *query;  /* --query EXPRESSION, borrowed from argv */
	const char *output; /* --output FORMAT as given, or NULL */
	const char *color;  /* --color on|off|auto as given, or NULL */
	/* Set by acmb_cli_output_prepare(): */
	enum acmb_output_format format;
	enum acmb_output_color color_mode;
	acmb_jmespath *compiled;
};

/*
 * Before anything is sent: checks --output and --color, picks the format
 * (--output; when aws_defaults, AWS_DEFAULT_OUTPUT, then the `output` of
 * profile (NULL: AWS_PROFILE, else "default") in the AWS config files;
 * else dflt) and compiles --query. Returns 0, or the exit code after
 * printing why (2 for a bad format or a bad expression).
 */
int acmb_cli_output_prepare(
    struct acmb_cli_output *o, enum acmb_output_format dflt, int aws_defaults, const char *profile);

/* 1 when the command's own text is wanted: text format and no --query. */
int acmb_cli_output_own_text(const struct acmb_cli_output *o);

/* 1 when the command's own JSON is wanted (check, list): json format and
 * no --query. */
int acmb_cli_output_own_json(const struct acmb_cli_output *o);

/* Applies --query to result (borrowed) and prints it to stdout in the
 * chosen format, title being the table's title (the AWS operation name).
 * Returns the exit code: 0; 2 when the query fails on this result (the
 * unqueried result is then printed to stderr, so that nothing is lost,
 * e.g. the ARN of a certificate just imported) or the format cannot lay
 * it out; 1 when stdout fails. */
int acmb_cli_output_print(struct acmb_cli_output *o, const json_t *result, const char *title);

/* Frees the compiled query (the options stay). */
void acmb_cli_output_clear(struct acmb_cli_output *o);

/* A setting of profile (NULL: AWS_PROFILE, else "default") from the AWS
 * config and credentials files, as the AWS CLI merges them (credentials
 * file first). Copies it NUL-terminated to buf (len bytes). Returns 1
 * when set, 0 when not (or the files are unreadable), -1 when the value
 * does not fit. For CLI settings only (output, cli_binary_format,
 * cli_auto_prompt): never a secret. */
int acmb_cli_profile_setting(const char *profile, const char *key, char *buf, size_t len);

#endif
