/* Tags as the AWS CLI takes them (src/bridge/tag-set.c: shorthand words and
 * JSON lists) and ACM's rules on them (acmb_acm_tags_check(): the reserved
 * aws: prefix in any case, a key given twice), refused before anything is
 * sent with exit 2. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "acm/acm-api.h"
#include "bridge/tag-set.h"
#include "init.h"

static void
add_words(struct acmb_tag_set *t, const char *const *words, size_t n)
{
	static char buf[8][256];
	acmb_err err = {0, ""};
	size_t i;

	for (i = 0; i < n; i++) {
		snprintf(buf[i], sizeof(buf[i]), "%s", words[i]);
		if (acmb_tag_set_add_word(t, buf[i], "--tags", &err) != ACMB_OK)
			fail_msg("%s: %s", words[i], err.msg);
	}
}

static void
test_shorthand_and_json(void **state)
{
	static const char *const words[] = {"Key=env,Value=prod", "Key=team",
	    "[{\"Key\":\"a b\",\"Value\":\"x,y\"},{\"Key\":\"c\"}]"};
	struct acmb_tag_set t = {0};
	acmb_err err = {0, ""};

	(void)state;
	add_words(&t, words, 3);
	assert_int_equal(t.ntags, 4);
	assert_string_equal(t.tags[0].key, "env");
	assert_string_equal(t.tags[0].value, "prod");
	assert_null(t.tags[1].value);
	assert_string_equal(t.tags[2].key, "a b");
	assert_string_equal(t.tags[2].value, "x,y");
	assert_null(t.tags[3].value);
	assert_int_equal(acmb_acm_tags_check(t.tags, t.ntags, &err), ACMB_OK);
	acmb_tag_set_clear(&t);
	assert_int_equal(t.ntags, 0);
}

static void
test_bad_words(void **state)
{
	static const struct {
		const char *word;
		const char *msg;
	} cases[] = {
	    {"Value=1", "--tags: a tag needs Key=K"},
	    {"Key=a,Value=b,c", "--tags: 'c' is not Key=K,Value=V (values with commas need the "
	                        "JSON form)"},
	    {"[{\"Key\":1}]",
	        "--tags: tag 1 needs a string \"Key\" and an optional string \"Value\""},
	    {"[oops", "--tags: bad JSON: "},
	};
	struct acmb_tag_set t = {0};
	acmb_err err;
	char buf[128];
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		memset(&err, 0, sizeof(err));
		snprintf(buf, sizeof(buf), "%s", cases[i].word);
		assert_int_equal(acmb_tag_set_add_word(&t, buf, "--tags", &err), ACMB_E_USAGE);
		assert_int_equal(strncmp(err.msg, cases[i].msg, strlen(cases[i].msg)), 0);
		acmb_tag_set_clear(&t);
	}
}

static void
test_acm_rules(void **state)
{
	static const struct {
		struct acmb_acm_tag tags[3];
		size_t n;
		const char *msg; /* NULL: accepted */
	} cases[] = {
	    {{{"aws:x", "1"}}, 1, "tag 1: keys starting with \"aws:\" (in any case) are reserved"},
	    {{{"AWS:foo", "1"}}, 1,
	        "tag 1: keys starting with \"aws:\" (in any case) are reserved"},
	    {{{"ok", "1"}, {"Aws:Foo", NULL}}, 2, "tag 2: keys starting with \"aws:\""},
	    {{{"a", "1"}, {"b", "2"}, {"a", "2"}}, 3, "tag 'a' is given twice (tags 1 and 3)"},
	    {{{"a", "1"}, {"A", "2"}}, 2, NULL},
	    {{{"awsx", "1"}, {"aws", "2"}}, 2, NULL},
	};
	acmb_err err;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		memset(&err, 0, sizeof(err));
		if (cases[i].msg == NULL) {
			assert_int_equal(
			    acmb_acm_tags_check(cases[i].tags, cases[i].n, &err), ACMB_OK);
			continue;
		}
		assert_int_equal(
		    acmb_acm_tags_check(cases[i].tags, cases[i].n, &err), ACMB_E_USAGE);
		assert_int_equal(acmb_exit_code(err.rc), ACMB_EXIT_USAGE);
		assert_int_equal(strncmp(err.msg, cases[i].msg, strlen(cases[i].msg)), 0);
	}
}

static void
test_fifty_at_most(void **state)
{
	struct acmb_tag_set t = {0};
	acmb_err err = {0, ""};
	char words[51][32];
	int i;

	(void)state;
	for (i = 0; i < 50; i++) {
		snprintf(words[i], sizeof(words[i]), "Key=k%d", i);
		assert_int_equal(acmb_tag_set_add_shorthand(&t, words[i], "--tags", &err), ACMB_OK);
	}
	snprintf(words[50], sizeof(words[50]), "Key=one-more");
	assert_int_equal(acmb_tag_set_add_shorthand(&t, words[50], "--tags", &err), ACMB_E_USAGE);
	assert_string_equal(err.msg, "--tags: ACM allows at most 50 tags");
	acmb_tag_set_clear(&t);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_shorthand_and_json),
	    cmocka_unit_test(test_bad_words),
	    cmocka_unit_test(test_acm_rules),
	    cmocka_unit_test(test_fifty_at_most),
	};
	acmb_err err = {0};
	int rc;

	if (acmb_init(NULL, &err) != ACMB_OK)
		return 1;
	rc = cmocka_run_group_tests(tests, NULL, NULL);
	acmb_shutdown();
	return rc;
}
