/* --cli-input-yaml's reader (src/common/yaml-input.c): what each YAML form
 * becomes as JSON (through the child process, as the CLI runs it), and the
 * refusals with their line and column. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <jansson.h>

#include "yaml-input.h"

static void
expect_json(const char *yaml, const char *want)
{
	acmb_err err = {0};
	json_t *got = NULL, *w = json_loads(want, JSON_DECODE_ANY, NULL);

	assert_non_null(w);
	if (acmb_yaml_input_to_json(yaml, strlen(yaml), "--cli-input-yaml", &got, &err) != ACMB_OK)
		fail_msg("%s: %s", yaml, err.msg);
	if (!json_equal(got, w)) {
		char *s = json_dumps(got, JSON_ENCODE_ANY | JSON_COMPACT);

		fail_msg("%s: got %s, want %s", yaml, s, want);
	}
	json_decref(got);
	json_decref(w);
}

static void
expect_refused(const char *yaml, const char *fragment)
{
	acmb_err err = {0};
	json_t *got = NULL;

	assert_int_equal(
	    acmb_yaml_input_to_json(yaml, strlen(yaml), "--cli-input-yaml", &got, &err),
	    ACMB_E_PARSE);
	assert_null(got);
	if (strstr(err.msg, fragment) == NULL)
		fail_msg("%s: '%s' does not say '%s'", yaml, err.msg, fragment);
}

static void
test_values(void **state)
{
	(void)state;
	/* The AWS CLI's own skeleton, comments and all. */
	expect_json("CertificateArn: ''  # The ARN\nCertificate: !!binary '' # x\n"
	            "Tags: # t\n- Key: ''  # k\n  Value: '' # v\n",
	    "{\"CertificateArn\": \"\", \"Certificate\": \"\", "
	    "\"Tags\": [{\"Key\": \"\", \"Value\": \"\"}]}");
	/* !!binary: base64 text, folded lines joined. */
	expect_json("PrivateKey: !!binary |\n  QUJD\n  REVG\n", "{\"PrivateKey\": \"QUJDREVG\"}");
	/* A literal block keeps PEM's line breaks. */
	expect_json("Certificate: |\n  -----BEGIN X-----\n  QQ==\n  -----END X-----\n",
	    "{\"Certificate\": \"-----BEGIN X-----\\nQQ==\\n-----END X-----\\n\"}");
	/* YAML 1.2 core schema for plain scalars; quoted ones are strings. */
	expect_json("a: ~\nb: null\nc: true\nd: 12\ne: -1.5e3\nf: yes\ng: '12'\nh: 0x1f\n",
	    "{\"a\": null, \"b\": null, \"c\": true, \"d\": 12, \"e\": -1500.0, \"f\": \"yes\", "
	    "\"g\": \"12\", \"h\": \"0x1f\"}");
	/* Keys are strings whatever they look like. */
	expect_json("1: a\ntrue: b\n", "{\"1\": \"a\", \"true\": \"b\"}");
	expect_json(
	    "{a: [1, {b: c}], d: \"\\u00e9\"}", "{\"a\": [1, {\"b\": \"c\"}], \"d\": \"é\"}");
	expect_json("", "null");
}

static void
test_refusals(void **state)
{
	(void)state;
	expect_refused("a: [1, 2\n", "line 2");
	expect_refused("a: &x 1\nb: *x\n", "anchors");
	expect_refused("a: *x\n", "line 1");
	expect_refused("--- a\n--- b\n", "one document");
	expect_refused("? [1]\n: x\n", "a key must be a string");
	expect_refused("a:\n\tb: 1\n", "line 2");
	{
		char deep[400];
		size_t i;

		for (i = 0; i < 100; i++)
			deep[i] = '[';
		deep[100] = '\0';
		expect_refused(deep, "nested too deeply");
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_values),
	    cmocka_unit_test(test_refusals),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
