/*
 * --output json|text|table|yaml|yaml-stream: a command's result written
 * byte for byte as the AWS CLI (v2, awscli/formatter.py, text.py, table.py)
 * writes the same result, after --query. One entry point for every command.
 */
#ifndef ACMB_OUTPUT_FORMAT_H
#define ACMB_OUTPUT_FORMAT_H

#include <stdio.h>

#include <jansson.h>

#include "error.h"

enum acmb_output_format {
	ACMB_OUTPUT_JSON,
	ACMB_OUTPUT_TEXT,
	ACMB_OUTPUT_TABLE,
	ACMB_OUTPUT_YAML,
	ACMB_OUTPUT_YAML_STREAM,
};

/* --color: the table format's colours (the AWS CLI colours nothing else). */
enum acmb_output_color {
	ACMB_COLOR_AUTO, /* on when f is a terminal and NO_COLOR is unset */
	ACMB_COLOR_ON,
	ACMB_COLOR_OFF,
};

/* "json", "text", "table", "yaml", "yaml-stream" to *fmt. Returns 0, or -1
 * for any other name. */
int acmb_output_format_parse(const char *name, enum acmb_output_format *fmt);

/* The name of fmt, as --output takes it. Static string. */
const char *acmb_output_format_name(enum acmb_output_format fmt);

/* "on", "off", "auto" to *color. Returns 0, or -1 for any other name. */
int acmb_output_color_parse(const char *name, enum acmb_output_color *color);

/*
 * Writes result (borrowed) to f as the AWS CLI writes an operation's result
 * in format fmt. title is the table's title, the AWS CLI's operation name
 * ("ImportCertificate"); the table is as wide as f's terminal, else 80
 * columns. As the AWS CLI, json and yaml write nothing for {}, table nothing
 * for null, false, 0, "", [] or {}. Returns ACMB_OK; ACMB_E_USAGE (nothing
 * written) for a result the format cannot lay out where the AWS CLI fails
 * too (a table row of the wrong width, a text list mixing objects with
 * other values), the message saying why; ACMB_E_IO when f fails.
 */
int acmb_output_render(FILE *f, const json_t *result, const char *title,
    enum acmb_output_format fmt, enum acmb_output_color color, acmb_err *err);

#endif
