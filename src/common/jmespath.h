/*
 * JMESPath (jmespath.org) over jansson values: the query language of the
 * AWS CLI's --query. The whole specification, with python-jmespath's
 * grammar (binding powers, the deprecated `foo` string literals) because
 * that is what the AWS CLI evaluates; where python-jmespath breaks the
 * specification (nested 1 == true, crashes on mixed comparisons) this
 * follows the specification. docs/aws.md lists the differences.
 *
 * Compile once, search many documents. Both steps are bounded: expression
 * length, nesting depth, evaluation steps and the size of the result.
 */
#ifndef ACMB_JMESPATH_H
#define ACMB_JMESPATH_H

#include <stddef.h>

#include <jansson.h>

#include "error.h"

/* Longest expression compiled, in bytes. */
#define ACMB_JMESPATH_EXPR_MAX ((size_t)64 << 10)
/* Deepest nesting of the expression (brackets, projections, parentheses,
 * function calls), as python-jmespath's recursion limit allows about. */
#define ACMB_JMESPATH_DEPTH_MAX 256
/* Evaluation steps of one search (nodes visited, elements produced and
 * compared): an expression such as `[@,@]|[@,@]|...` doubles its work
 * at every stage. */
#define ACMB_JMESPATH_STEPS_MAX ((size_t)1 << 25)
/* Largest result (and intermediate string) of one search: values counted
 * as written out, shared parts once per appearance. */
#define ACMB_JMESPATH_RESULT_NODES_MAX ((size_t)1 << 22)
#define ACMB_JMESPATH_RESULT_BYTES_MAX ((size_t)64 << 20)

/* What went wrong, named as the compliance suite names it. */
enum acmb_jmespath_kind {
	ACMB_JMESPATH_OK = 0,
	ACMB_JMESPATH_SYNTAX,           /* compile: not a JMESPath expression */
	ACMB_JMESPATH_INVALID_TYPE,     /* search: a function argument's type */
	ACMB_JMESPATH_INVALID_ARITY,    /* compile: wrong number of arguments */
	ACMB_JMESPATH_UNKNOWN_FUNCTION, /* compile: no such function */
	ACMB_JMESPATH_INVALID_VALUE,    /* compile: a slice step of 0 */
	ACMB_JMESPATH_LIMIT,            /* one of the bounds above */
	ACMB_JMESPATH_NOMEM,
};

/* Where and what: pos is the 0-based character (code point) position in
 * the expression, as python-jmespath reports a column. */
struct acmb_jmespath_diag {
	enum acmb_jmespath_kind kind;
	size_t pos;
};

typedef struct acmb_jmespath acmb_jmespath;

/* The compliance suite's name of kind: "syntax", "invalid-type", ...
 * ("limit", "out-of-memory" for the two of ours). Static string. */
const char *acmb_jmespath_kind_name(enum acmb_jmespath_kind kind);

/* Compiles expr (len bytes, UTF-8, need not be NUL-terminated) into *out.
 * Returns ACMB_OK; ACMB_E_USAGE for an expression error (syntax, unknown
 * function, arity, slice step 0), ACMB_E_TOO_BIG over the bounds,
 * ACMB_E_NOMEM; err's message names the kind and the position, diag (NULL
 * allowed) receives both. Caller frees *out with acmb_jmespath_free(). */
int acmb_jmespath_compile(const char *expr, size_t len, acmb_jmespath **out,
    struct acmb_jmespath_diag *diag, acmb_err *err);

/* Evaluates q over doc (borrowed, not changed) into *result, a new
 * reference the caller releases with json_decref(); a null result is
 * json_null(). Returns ACMB_OK; ACMB_E_USAGE for an invalid-type error,
 * ACMB_E_TOO_BIG when a bound is reached, ACMB_E_NOMEM; err and diag (NULL
 * allowed) as for compile. q may be searched from several threads. */
int acmb_jmespath_search(const acmb_jmespath *q, const json_t *doc, json_t **result,
    struct acmb_jmespath_diag *diag, acmb_err *err);

/* Frees q (NULL allowed). */
void acmb_jmespath_free(acmb_jmespath *q);

#endif
