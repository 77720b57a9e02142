/*
 * The formatters' side of tests/query/output_diff.py: reads one case per
 * line, {"doc": JSON, "query": EXPRESSION or null, "format": NAME,
 * "color": "on"|"off", "title": NAME}, and writes one line per case:
 * {"out": TEXT} with exactly what --output writes, or {"error": MESSAGE}.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "jmespath.h"
#include "output-format.h"

#define LINE_MAX_BYTES ((size_t)4 << 20)

int
main(void)
{
	struct acmb_jmespath_diag diag;
	enum acmb_output_format fmt;
	enum acmb_output_color color;
	acmb_jmespath *q;
	json_t *c, *doc, *res, *ans;
	acmb_err err;
	char *line, *text, *s;
	size_t len;
	const char *expr;
	FILE *mem;
	int rc;

	if ((line = malloc(LINE_MAX_BYTES)) == NULL)
		return 1;
	while (fgets(line, (int)LINE_MAX_BYTES, stdin) != NULL) {
		memset(&err, 0, sizeof(err));
		q = NULL;
		res = NULL;
		text = NULL;
		len = 0;
		if ((c = json_loads(line, JSON_ALLOW_NUL, NULL)) == NULL ||
		    (doc = json_object_get(c, "doc")) == NULL ||
		    acmb_output_format_parse(
		        json_string_value(json_object_get(c, "format")), &fmt) != 0 ||
		    acmb_output_color_parse(
		        json_string_value(json_object_get(c, "color")), &color) != 0) {
			fprintf(stderr, "output-lines: bad input line\n");
			return 1;
		}
		rc = ACMB_OK;
		if ((expr = json_string_value(json_object_get(c, "query"))) != NULL &&
		    ((rc = acmb_jmespath_compile(expr, strlen(expr), &q, &diag, &err)) != ACMB_OK ||
		        (rc = acmb_jmespath_search(q, doc, &res, &diag, &err)) != ACMB_OK))
			res = NULL;
		if (rc == ACMB_OK) {
			if ((mem = open_memstream(&text, &len)) == NULL)
				return 1;
			rc = acmb_output_render(mem, res != NULL ? res : doc,
			    json_string_value(json_object_get(c, "title")), fmt, color, &err);
			fclose(mem);
		}
		ans = rc == ACMB_OK ? json_pack("{s:s%}", "out", text, len)
		                    : json_pack("{s:s}", "error", err.msg);
		if (ans == NULL || (s = json_dumps(ans, JSON_COMPACT)) == NULL)
			return 1;
		puts(s);
		fflush(stdout);
		free(s);
		free(text);
		json_decref(ans);
		json_decref(res);
		acmb_jmespath_free(q);
		json_decref(c);
	}
	free(line);
	return 0;
}
