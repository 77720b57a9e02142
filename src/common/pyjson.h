/*
 * JSON text and scalar text exactly as Python writes them, because the AWS
 * CLI is Python: `--output json` is json.dump(indent=4, ensure_ascii=False),
 * JMESPath's to_string() is json.dumps(separators=(',', ':')), and the text
 * and table formats print str(value) (True, None, repr() of a float).
 * jansson's own writer differs in bytes that scripts compare (uppercase
 * \u escapes, %.17g floats), hence this writer over jansson values.
 */
#ifndef ACMB_PYJSON_H
#define ACMB_PYJSON_H

#include <stddef.h>
#include <stdio.h>

#include <jansson.h>

/* Deepest value the writers descend into; deeper values are refused. */
#define ACMB_PYJSON_DEPTH_MAX 4096

/* Enough for the repr() of any double, with its NUL. */
#define ACMB_PYJSON_REPR_MAX 32

enum acmb_pyjson_rc {
	ACMB_PYJSON_OK = 0,
	ACMB_PYJSON_NOMEM = -1,
	ACMB_PYJSON_TOO_BIG = -2,  /* over the caller's byte maximum */
	ACMB_PYJSON_TOO_DEEP = -3, /* nested deeper than ACMB_PYJSON_DEPTH_MAX */
	ACMB_PYJSON_IO = -4,       /* the stream refused a write */
};

/* How to write: indent < 0 is one line with separators (',', ':') (what
 * to_string() uses); indent >= 0 puts each item on its own line, indent
 * spaces per level, separators (',', ': '). ensure_ascii escapes every
 * character outside ' '..'~' as \uXXXX (surrogate pairs above U+FFFF). */
struct acmb_pyjson_style {
	int indent;
	int ensure_ascii;
};

/* Writes v to f in style s. Returns ACMB_PYJSON_OK or a negative
 * enum acmb_pyjson_rc. Writes no trailing newline. */
int acmb_pyjson_dumpf(FILE *f, const json_t *v, const struct acmb_pyjson_style *s);

/* Writes v in style s into a new NUL-terminated string of at most max bytes
 * (without the NUL), stored in *out with its length in *outlen. Returns
 * ACMB_PYJSON_OK or a negative enum acmb_pyjson_rc (*out is then NULL).
 * Caller frees *out with free(). */
int acmb_pyjson_dumps(
    const json_t *v, const struct acmb_pyjson_style *s, size_t max, char **out, size_t *outlen);

/* repr() of d, as Python 3 writes a float: the shortest text that reads
 * back as d, "1.0" for whole numbers, exponent form ("1e+16", "1.5e-07")
 * below 1e-4 and from 1e16. buf holds ACMB_PYJSON_REPR_MAX bytes. */
void acmb_pyjson_repr_double(double d, char *buf);

/* str() of a scalar (string, number, true, false, null) as Python writes
 * it: the string itself, "True", "False", "None", an integer, repr() of a
 * real. Returns a pointer to the text and its length in *len: into v for a
 * string (lives as long as v), else into buf (ACMB_PYJSON_REPR_MAX bytes).
 * Returns NULL for an array or object. */
const char *acmb_pyjson_str(const json_t *v, char *buf, size_t *len);

#endif
