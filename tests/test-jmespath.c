/* The JMESPath engine against the official compliance suite (every case of
 * jmespath.test's tests/ files: results, error kinds, benchmark expressions
 * that must compile and run), then what the suite does not cover: error
 * positions, the bounds, and Python's number and string writing. The suite
 * is read from $ACMB_REFERENCE_DIR/jmespath-compliance/tests, by default
 * ../shared/reference next to the repository, as in CI. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <jansson.h>

#include "jmespath.h"
#include "pyjson.h"

static const char *const suite_files[] = {
    "basic.json",
    "benchmarks.json",
    "boolean.json",
    "current.json",
    "escape.json",
    "filters.json",
    "functions.json",
    "identifiers.json",
    "indices.json",
    "literal.json",
    "multiselect.json",
    "pipe.json",
    "slice.json",
    "syntax.json",
    "unicode.json",
    "wildcard.json",
};

static size_t total_cases, total_passed;

static void
suite_path(const char *file, char *buf, size_t len)
{
	const char *ref = getenv("ACMB_REFERENCE_DIR");
	const char *tests = getenv("ACMB_TESTS_DIR");

	if (ref != NULL)
		snprintf(buf, len, "%s/jmespath-compliance/tests/%s", ref, file);
	else
		snprintf(buf, len, "%s/../../shared/reference/jmespath-compliance/tests/%s",
		    tests != NULL ? tests : ".", file);
}

/* The suite's notion of equal results: JSON values, numbers by value (the
 * suite writes 1 where an implementation may hold 1.0), objects unordered. */
static int
same(const json_t *a, const json_t *b)
{
	const char *k;
	json_t *v;
	size_t i;

	if (json_is_number(a) && json_is_number(b))
		return json_number_value(a) == json_number_value(b);
	if (json_typeof(a) != json_typeof(b))
		return 0;
	if (json_is_array(a)) {
		if (json_array_size(a) != json_array_size(b))
			return 0;
		for (i = 0; i < json_array_size(a); i++)
			if (!same(json_array_get(a, i), json_array_get(b, i)))
				return 0;
		return 1;
	}
	if (json_is_object(a)) {
		if (json_object_size(a) != json_object_size(b))
			return 0;
		json_object_foreach(
		    (json_t *)a, k, v) if (json_object_get(b, k) == NULL ||
		                           !same(v, json_object_get(b, k))) return 0;
		return 1;
	}
	return json_equal(a, b);
}

/* Runs one case; returns 1 when it passes, printing why it does not. */
static int
run_case(const char *file, json_t *given, json_t *c)
{
	const char *expr = json_string_value(json_object_get(c, "expression"));
	json_t *want = json_object_get(c, "result");
	const char *want_err = json_string_value(json_object_get(c, "error"));
	const char *bench = json_string_value(json_object_get(c, "bench"));
	struct acmb_jmespath_diag diag;
	acmb_jmespath *q = NULL;
	json_t *got = NULL;
	acmb_err err = {0};
	char *gs = NULL, *ws = NULL;
	int ok = 0, rc;

	if (expr == NULL) {
		print_error("%s: a case without an expression\n", file);
		return 0;
	}
	rc = acmb_jmespath_compile(expr, strlen(expr), &q, &diag, &err);
	if (rc == ACMB_OK && (bench == NULL || strcmp(bench, "parse") != 0))
		rc = acmb_jmespath_search(q, given, &got, &diag, &err);
	if (want_err != NULL) {
		ok = rc != ACMB_OK && strcmp(acmb_jmespath_kind_name(diag.kind), want_err) == 0;
		if (!ok)
			print_error("%s: %s: want error %s, got %s\n", file, expr, want_err,
			    rc == ACMB_OK ? "a result" : err.msg);
	} else if (bench != NULL) {
		ok = rc == ACMB_OK;
		if (!ok)
			print_error("%s: %s (bench %s): %s\n", file, expr, bench, err.msg);
	} else if (rc != ACMB_OK) {
		print_error("%s: %s: %s\n", file, expr, err.msg);
	} else if (!(ok = same(got, want))) {
		gs = json_dumps(got, JSON_ENCODE_ANY | JSON_COMPACT);
		ws = json_dumps(want, JSON_ENCODE_ANY | JSON_COMPACT);
		print_error("%s: %s: got %s, want %s\n", file, expr, gs, ws);
	}
	free(gs);
	free(ws);
	json_decref(got);
	acmb_jmespath_free(q);
	return ok;
}

static void
test_suite_file(void **state)
{
	const char *file = *state;
	char path[4096];
	json_error_t jerr;
	json_t *suite, *group, *c;
	size_t gi, ci, cases = 0, passed = 0;

	suite_path(file, path, sizeof(path));
	suite = json_load_file(path, 0, &jerr);
	if (suite == NULL)
		fail_msg("cannot read the compliance suite %s: %s (set ACMB_REFERENCE_DIR)", path,
		    jerr.text);
	assert_true(json_is_array(suite));
	json_array_foreach(suite, gi, group)
	{
		json_array_foreach(json_object_get(group, "cases"), ci, c)
		{
			cases++;
			passed += run_case(file, json_object_get(group, "given"), c);
		}
	}
	json_decref(suite);
	total_cases += cases;
	total_passed += passed;
	print_message("%s: %zu/%zu cases pass\n", file, passed, cases);
	assert_true(cases > 0);
	assert_int_equal(passed, cases);
}

/* Compiles and searches expr over the JSON text doc. */
static int
search(
    const char *expr, const char *doc, json_t **out, struct acmb_jmespath_diag *diag, acmb_err *err)
{
	acmb_jmespath *q = NULL;
	json_t *d = json_loads(doc, JSON_DECODE_ANY, NULL);
	int rc;

	assert_non_null(d);
	*out = NULL;
	rc = acmb_jmespath_compile(expr, strlen(expr), &q, diag, err);
	if (rc == ACMB_OK)
		rc = acmb_jmespath_search(q, d, out, diag, err);
	acmb_jmespath_free(q);
	json_decref(d);
	return rc;
}

/* expr over doc gives the compact JSON text want (Python's to_string
 * layout, so that integer and float results are told apart). */
static void
expect(const char *expr, const char *doc, const char *want)
{
	static const struct acmb_pyjson_style compact = {-1, 0};
	struct acmb_jmespath_diag diag;
	acmb_err err = {0};
	json_t *got;
	char *s = NULL;
	size_t len;

	if (search(expr, doc, &got, &diag, &err) != ACMB_OK)
		fail_msg("%s: %s", expr, err.msg);
	assert_int_equal(acmb_pyjson_dumps(got, &compact, 1 << 20, &s, &len), ACMB_PYJSON_OK);
	if (strcmp(s, want) != 0)
		fail_msg("%s over %s: got %s, want %s", expr, doc, s, want);
	free(s);
	json_decref(got);
}

static void
expect_error(const char *expr, const char *doc, enum acmb_jmespath_kind kind, size_t pos, int rc,
    const char *fragment)
{
	struct acmb_jmespath_diag diag;
	acmb_err err = {0};
	json_t *got = NULL;

	if (search(expr, doc, &got, &diag, &err) != rc)
		fail_msg("%s: want rc %d, got %d (%s)", expr, rc, err.rc, err.msg);
	assert_null(got);
	if (diag.kind != kind || diag.pos != pos)
		fail_msg("%s: got %s at %zu, want %s at %zu (%s)", expr,
		    acmb_jmespath_kind_name(diag.kind), diag.pos, acmb_jmespath_kind_name(kind),
		    pos, err.msg);
	if (strstr(err.msg, fragment) == NULL)
		fail_msg("%s: '%s' does not say '%s'", expr, err.msg, fragment);
}

/* An operator who mistypes a query is told where, in characters. */
static void
test_error_positions(void **state)
{
	(void)state;
	expect_error("foo]", "{}", ACMB_JMESPATH_SYNTAX, 3, ACMB_E_USAGE, "column 3");
	expect_error("foo.", "{}", ACMB_JMESPATH_SYNTAX, 4, ACMB_E_USAGE, "after '.'");
	expect_error("a = b", "{}", ACMB_JMESPATH_SYNTAX, 2, ACMB_E_USAGE, "'=='");
	expect_error("\"é\".x]", "{}", ACMB_JMESPATH_SYNTAX, 5, ACMB_E_USAGE, "column 5");
	expect_error("Certs[?foo(@)]", "{}", ACMB_JMESPATH_UNKNOWN_FUNCTION, 7, ACMB_E_USAGE,
	    "unknown function foo()");
	expect_error("x | length(a, b)", "{}", ACMB_JMESPATH_INVALID_ARITY, 4, ACMB_E_USAGE,
	    "length() takes 1 argument, not 2");
	expect_error("a[::0]", "{}", ACMB_JMESPATH_INVALID_VALUE, 2, ACMB_E_USAGE, "step");
	expect_error("a.b | sum(@)", "{\"a\":{\"b\":[1,\"x\"]}}", ACMB_JMESPATH_INVALID_TYPE, 6,
	    ACMB_E_USAGE, "element 1 is string");
	expect_error("sort_by(@, &a)", "[{\"a\":1},{\"a\":\"x\"}]", ACMB_JMESPATH_INVALID_TYPE, 0,
	    ACMB_E_USAGE, "same type");
	expect_error("`\"a`", "{}", ACMB_JMESPATH_SYNTAX, 0, ACMB_E_USAGE, "not JSON");
	expect_error("'abc", "{}", ACMB_JMESPATH_SYNTAX, 0, ACMB_E_USAGE, "unclosed");
	expect_error("", "{}", ACMB_JMESPATH_SYNTAX, 0, ACMB_E_USAGE, "empty");
	expect_error(
	    "[&a]", "{}", ACMB_JMESPATH_INVALID_TYPE, 1, ACMB_E_USAGE, "only a function argument");
}

/* Every bound is an error of its own kind, never a crash or a hang. */
static void
test_bounds(void **state)
{
	char *expr;
	size_t i, n;

	(void)state;
	/* Nesting: 300 parentheses. */
	n = 300;
	expr = malloc(2 * n + 2);
	assert_non_null(expr);
	for (i = 0; i < n; i++) {
		expr[i] = '(';
		expr[n + 1 + i] = ')';
	}
	expr[n] = 'a';
	expr[2 * n + 1] = '\0';
	expect_error(expr, "{}", ACMB_JMESPATH_LIMIT, ACMB_JMESPATH_DEPTH_MAX, ACMB_E_TOO_BIG,
	    "deeper than 256");
	free(expr);

	/* Length. */
	n = ACMB_JMESPATH_EXPR_MAX + 1;
	expr = malloc(n + 1);
	assert_non_null(expr);
	memset(expr, 'a', n);
	expr[n] = '\0';
	expect_error(expr, "{}", ACMB_JMESPATH_LIMIT, 0, ACMB_E_TOO_BIG, "longer than");
	free(expr);

	/* A long chain is not nesting: a.a.a... and a|a|... compile. */
	n = 20000;
	expr = malloc(2 * n);
	assert_non_null(expr);
	for (i = 0; i < n; i++) {
		expr[2 * i] = 'a';
		expr[2 * i + 1] = i + 1 < n ? (i % 2 ? '|' : '.') : '\0';
	}
	expect(expr, "{\"a\":null}", "null");
	free(expr);

	/* Work that doubles at every stage: the step bound stops it. */
	expect_error("[@,@]|[@,@]|[@,@]|[@,@]|[@,@]|[@,@]|[@,@]|[@,@]|[@,@]|[@,@]|[@,@]|[@,@]|"
	             "[@,@]|[@,@]|[@,@]|[@,@]|[@,@]|[@,@]|[@,@]|[@,@]|[@,@]|[@,@]|[@,@]|[@,@]|"
	             "[@,@]|[@,@]|[@,@]|[@,@]|[@,@]|[@,@]|[@,@]|[@,@]|[@,@]|[][][][][][][][][]"
	             "[][][][][][][][][][][][][][][][][][][][][][][][]",
	    "[1]", ACMB_JMESPATH_LIMIT, 240, ACMB_E_TOO_BIG, "steps");
	/* A result that is small to build and huge to write out. */
	expect_error("[@,@]|[@,@]|[@,@]|[@,@]|[@,@]|[@,@]|[@,@]|[@,@]|[@,@]|[@,@]|[@,@]|[@,@]|"
	             "[@,@]|[@,@]|[@,@]|[@,@]|[@,@]|[@,@]|[@,@]|[@,@]|[@,@]|[@,@]|[@,@]",
	    "[1]", ACMB_JMESPATH_LIMIT, 0, ACMB_E_TOO_BIG, "larger than");
	expect_error("[@,@]|[@,@]|[@,@]|[@,@]|[@,@]|[@,@]|[@,@]|[@,@]|[@,@]|[@,@]|[@,@]|[@,@]|"
	             "[@,@]|[@,@]|[@,@]|[@,@]|[@,@]|[@,@]|[@,@]|[@,@]|[@,@]|[@,@]|[@,@]|"
	             "[@,@]|[@,@]|[@,@]|to_string(@)",
	    "[1]", ACMB_JMESPATH_LIMIT, 156, ACMB_E_TOO_BIG, "to_string");
}

/* What python-jmespath (the AWS CLI) gives, where jansson alone would not:
 * integers stay integers, floats print as repr(), key order is kept. */
static void
test_python_results(void **state)
{
	(void)state;
	expect("avg(@)", "[1,2]", "1.5");
	expect("avg(@)", "[2,2]", "2.0");
	expect("sum(@)", "[1,2]", "3");
	expect("sum(@)", "[1,2.5]", "3.5");
	expect("sum(@)", "[]", "0");
	expect("ceil(`1.2`)", "{}", "2");
	expect("floor(`-1.2`)", "{}", "-2");
	expect("abs(`-3`)", "{}", "3");
	expect("abs(`-3.0`)", "{}", "3.0");
	expect("to_number('12')", "{}", "12");
	expect("to_number(' 1_000 ')", "{}", "1000");
	expect("to_number('1e3')", "{}", "1000.0");
	expect("to_number('.5')", "{}", "0.5");
	expect("to_number('inf')", "{}", "null");
	expect("to_number('0x10')", "{}", "null");
	expect("to_string(@)", "{\"b\":[1,2.5,\"é\"],\"a\":null}",
	    "\"{\\\"b\\\":[1,2.5,\\\"\\\\u00e9\\\"],\\\"a\\\":null}\"");
	expect("keys(@)", "{\"z\":1,\"a\":2}", "[\"z\",\"a\"]");
	expect("merge(@, `{\"z\":3,\"b\":4}`)", "{\"z\":1,\"a\":2}", "{\"z\":3,\"a\":2,\"b\":4}");
	expect("length('héllo')", "{}", "5");
	expect("reverse('héllo😀')", "{}", "\"😀olléh\"");
	expect("sort_by(@, &k)[].n", "[{\"k\":2,\"n\":1},{\"k\":1,\"n\":2},{\"k\":2,\"n\":3}]",
	    "[2,1,3]");
	expect("max_by(@, &k).n", "[{\"k\":2,\"n\":1},{\"k\":1,\"n\":2},{\"k\":2,\"n\":3}]", "1");
	expect("!a.b", "{\"a\":{\"b\":true}}", "null"); /* (!a).b, as the AWS CLI reads it */
	expect("a < b", "{\"a\":\"x\",\"b\":\"y\"}", "true");
	expect("a < b", "{\"a\":1,\"b\":\"y\"}", "null");
	expect("[?@ == `1`]", "[1,true,1.0]", "[1,1.0]");
	expect("contains(@, `true`)", "[1]", "false");
	expect("`foo`", "{}", "\"foo\"");
	expect("'a\\'b\\\\c'", "{}", "\"a'b\\\\\\\\c\"");
	expect("[-1:-4:-1]", "[0,1,2,3,4]", "[4,3,2]");
	expect("[::-2]", "[0,1,2,3,4]", "[4,2,0]");
	expect("[10:]", "[0,1]", "[]");
}

static void
test_float_repr(void **state)
{
	static const struct {
		double d;
		const char *repr;
	} cases[] = {
	    {0.0, "0.0"},
	    {-0.0, "-0.0"},
	    {1.0, "1.0"},
	    {0.1, "0.1"},
	    {1.5e-7, "1.5e-07"},
	    {0.0001, "0.0001"},
	    {0.00001, "1e-05"},
	    {1e15, "1000000000000000.0"},
	    {1e16, "1e+16"},
	    {123456789012345680.0, "1.2345678901234568e+17"},
	    {1.7976931348623157e308, "1.7976931348623157e+308"},
	    {5e-324, "5e-324"},
	    {2.5, "2.5"},
	    {1700000000.123, "1700000000.123"},
	};
	char buf[ACMB_PYJSON_REPR_MAX];
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		acmb_pyjson_repr_double(cases[i].d, buf);
		if (strcmp(buf, cases[i].repr) != 0)
			fail_msg("repr(%.17g): got %s, want %s", cases[i].d, buf, cases[i].repr);
	}
}

static int
teardown(void **state)
{
	(void)state;
	print_message("jmespath compliance: %zu/%zu cases pass\n", total_passed, total_cases);
	return 0;
}

int
main(void)
{
	struct CMUnitTest tests[sizeof(suite_files) / sizeof(suite_files[0]) + 4];
	size_t i;

	for (i = 0; i < sizeof(suite_files) / sizeof(suite_files[0]); i++) {
		memset(&tests[i], 0, sizeof(tests[i]));
		tests[i].name = suite_files[i];
		tests[i].test_func = test_suite_file;
		tests[i].initial_state = (void *)suite_files[i];
	}
	tests[i++] = (struct CMUnitTest)cmocka_unit_test(test_error_positions);
	tests[i++] = (struct CMUnitTest)cmocka_unit_test(test_bounds);
	tests[i++] = (struct CMUnitTest)cmocka_unit_test(test_python_results);
	tests[i++] = (struct CMUnitTest)cmocka_unit_test(test_float_repr);
	return _cmocka_run_group_tests("jmespath", tests, i, NULL, teardown);
}
