/*
 * Reads one case per line, {"e": EXPRESSION, "d": DOCUMENT}, and writes one
 * line per case: {"r": TEXT} with the result as JMESPath's to_string()
 * writes it (Python's json.dumps(separators=(',', ':'))), so that integers,
 * floats and key order are compared byte for byte, or {"error": KIND}.
 * The other side is python-jmespath (tests/query/jmespath_diff.py).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "jmespath.h"
#include "pyjson.h"

#define LINE_MAX_BYTES ((size_t)1 << 20)

static int
answer(json_t *out)
{
	char *s = json_dumps(out, JSON_COMPACT | JSON_ENSURE_ASCII);
	int r = s != NULL && puts(s) >= 0 ? 0 : -1;

	free(s);
	json_decref(out);
	return r;
}

int
main(void)
{
	static const struct acmb_pyjson_style compact = {-1, 1};
	struct acmb_jmespath_diag diag;
	acmb_jmespath *q;
	json_t *c, *res;
	acmb_err err;
	char *line, *text;
	const char *e;
	size_t len;
	int rc;

	if ((line = malloc(LINE_MAX_BYTES)) == NULL)
		return 1;
	while (fgets(line, (int)LINE_MAX_BYTES, stdin) != NULL) {
		memset(&err, 0, sizeof(err));
		q = NULL;
		res = NULL;
		text = NULL;
		if ((c = json_loads(line, JSON_ALLOW_NUL, NULL)) == NULL ||
		    (e = json_string_value(json_object_get(c, "e"))) == NULL ||
		    json_object_get(c, "d") == NULL) {
			fprintf(stderr, "jmespath-lines: bad input line\n");
			return 1;
		}
		rc = acmb_jmespath_compile(
		    e, json_string_length(json_object_get(c, "e")), &q, &diag, &err);
		if (rc == ACMB_OK)
			rc = acmb_jmespath_search(q, json_object_get(c, "d"), &res, &diag, &err);
		if (rc == ACMB_OK &&
		    acmb_pyjson_dumps(res, &compact, (size_t)64 << 20, &text, &len) != 0)
			return 1;
		if (answer(rc == ACMB_OK
		               ? json_pack("{s:s%}", "r", text, len)
		               : json_pack("{s:s, s:s}", "error",
		                     acmb_jmespath_kind_name(diag.kind), "message", err.msg)) != 0)
			return 1;
		fflush(stdout);
		free(text);
		json_decref(res);
		acmb_jmespath_free(q);
		json_decref(c);
	}
	free(line);
	return 0;
}
