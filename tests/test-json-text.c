/* JSON strings of outside text (src/common/json-text.c): valid UTF-8 kept
 * as it is, every byte of an invalid sequence written as \xHH, so that a
 * path or label that is not UTF-8 never makes JSON output fail. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <jansson.h>

#include "json-text.h"

static void
expect(const char *in, const char *out)
{
	json_t *j = acmb_json_text(in);

	assert_non_null(j);
	assert_string_equal(json_string_value(j), out);
	json_decref(j);
}

static void
test_valid_utf8_unchanged(void **state)
{
	(void)state;
	expect("", "");
	expect("cert.pem", "cert.pem");
	expect("caf\xC3\xA9 \xE2\x82\xAC \xF0\x9F\x94\x91",
	    "caf\xC3\xA9 \xE2\x82\xAC \xF0\x9F\x94\x91");
	expect("a\\xE9", "a\\xE9");
	assert_null(acmb_json_text(NULL));
}

static void
test_invalid_bytes_escaped(void **state)
{
	(void)state;
	/* Latin-1, a lone continuation byte, a cut sequence at the end. */
	expect("caf\xE9.pem", "caf\\xE9.pem");
	expect("\x80x", "\\x80x");
	expect("ok \xE2\x82", "ok \\xE2\\x82");
	/* Overlong forms, surrogates, beyond U+10FFFF, 0xFF: refused by
	 * jansson, so escaped byte by byte. */
	expect("\xC0\xAF", "\\xC0\\xAF");
	expect("\xE0\x80\xAF", "\\xE0\\x80\\xAF");
	expect("\xED\xA0\x80", "\\xED\\xA0\\x80");
	expect("\xF4\x90\x80\x80", "\\xF4\\x90\\x80\\x80");
	expect("\xFF\xFE", "\\xFF\\xFE");
	/* Valid sequences around an invalid byte stay whole. */
	expect("\xC3\xA9\xE9\xC3\xA9", "\xC3\xA9\\xE9\xC3\xA9");
}

static void
test_dumps_as_json(void **state)
{
	json_t *o = json_object();
	char *s;

	(void)state;
	assert_int_equal(json_object_set_new(o, "certificate", acmb_json_text("/tmp/\xE9")), 0);
	s = json_dumps(o, JSON_COMPACT);
	assert_non_null(s);
	assert_string_equal(s, "{\"certificate\":\"/tmp/\\\\xE9\"}");
	free(s);
	json_decref(o);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_valid_utf8_unchanged),
	    cmocka_unit_test(test_invalid_bytes_escaped),
	    cmocka_unit_test(test_dumps_as_json),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
