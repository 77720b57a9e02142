/*
 * acmbridge query EXPRESSION [FILE|-]: a JMESPath expression over a JSON
 * document, as `jp` evaluates one, so that an operator can try a --query on
 * output saved from acmbridge or the AWS CLI. The result is laid out as
 * --output says, as the AWS CLI would lay out the same result.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "cli-options.h"
#include "cli-output.h"
#include "cli.h"

/* A saved answer of even a large listing is far below this. */
#define QUERY_INPUT_MAX ((size_t)64 << 20)

static void
query_usage(FILE *f)
{
	fprintf(f, "usage: acmbridge query EXPRESSION [FILE|-] [--output FORMAT] [--title NAME]\n"
	           "           [--color on|off|auto]\n\n"
	           "Evaluates the JMESPath expression over the JSON document in FILE (standard\n"
	           "input when FILE is - or missing) and prints the result, as `jp` does: try a\n"
	           "--query on saved output before a script uses it. The result is laid out as\n"
	           "the AWS CLI lays out a result (--output json by default, with 4-space\n"
	           "indents).\n\n"
	           "Options:\n"
	           "  --output FORMAT            json, text, table, yaml or yaml-stream\n"
	           "  --title NAME               the table's title (the AWS CLI prints the\n"
	           "                             operation name there), default Query\n"
	           "  --color on|off|auto        colours of the table format (auto: on a terminal\n"
	           "                             unless NO_COLOR is set)\n"
	           "  --help                     this text\n\n"
	           "Errors name the column in the expression and the error kind (syntax,\n"
	           "invalid-type, invalid-arity, unknown-function, invalid-value) as the\n"
	           "JMESPath compliance suite names them. Exit codes: 0 success; 2 a bad\n"
	           "expression, a document that is not JSON, a result the format cannot lay\n"
	           "out, or a bound reached; 1 an I/O error.\n");
}

/* Reads the document whole, at most QUERY_INPUT_MAX bytes. */
static int
read_document(const char *path, json_t **doc)
{
	FILE *f = stdin;
	json_error_t jerr;
	char *buf = NULL, *nb;
	size_t len = 0, cap = 0, n;
	int rc = ACMB_EXIT_USAGE;

	*doc = NULL;
	if (path != NULL && strcmp(path, "-") != 0 && (f = fopen(path, "rb")) == NULL)
		return acmb_cli_usage_error("query: cannot read '%s': %s", path, strerror(errno));
	for (;;) {
		if (len == cap) {
			cap = cap == 0 ? 64 << 10 : cap * 2;
			if (cap > QUERY_INPUT_MAX + 1)
				cap = QUERY_INPUT_MAX + 1;
			if ((nb = realloc(buf, cap)) == NULL) {
				fprintf(stderr, "acmbridge: out of memory\n");
				rc = ACMB_EXIT_FAILURE;
				goto out;
			}
			buf = nb;
		}
		if ((n = fread(buf + len, 1, cap - len, f)) == 0)
			break;
		len += n;
		if (len > QUERY_INPUT_MAX) {
			acmb_cli_usage_error(
			    "query: the document is larger than %zu MiB", QUERY_INPUT_MAX >> 20);
			goto out;
		}
	}
	if (ferror(f)) {
		acmb_cli_usage_error(
		    "query: cannot read %s", path != NULL ? path : "standard input");
		goto out;
	}
	if ((*doc = json_loadb(
	         buf != NULL ? buf : "", len, JSON_DECODE_ANY | JSON_ALLOW_NUL, &jerr)) == NULL) {
		acmb_cli_usage_error("query: %s is not JSON: %s (line %d, column %d)",
		    path != NULL && strcmp(path, "-") != 0 ? path : "standard input", jerr.text,
		    jerr.line, jerr.column);
		goto out;
	}
	rc = 0;
out:
	if (f != stdin)
		fclose(f);
	free(buf);
	return rc;
}

int
acmb_cli_query(int argc, char **argv)
{
	struct acmb_cli_args args;
	json_t *doc = NULL;
	int rc;

	if ((rc = acmb_cli_start(ACMB_CLI_QUERY, argc, argv, &args, query_usage)) >= 0)
		goto done;
	if (args.nargs == 0) {
		rc = acmb_cli_usage_error("query needs an expression (try --help)");
		goto done;
	}
	args.out.query = args.args[0];
	if ((rc = acmb_cli_output_prepare(&args.out, ACMB_OUTPUT_JSON, 0, NULL)) != 0)
		goto done;
	if ((rc = read_document(args.nargs > 1 ? args.args[1] : NULL, &doc)) != 0)
		goto done;
	rc = acmb_cli_output_print(&args.out, doc, args.title != NULL ? args.title : "Query");
done:
	json_decref(doc);
	acmb_cli_args_clear(&args);
	return rc;
}
