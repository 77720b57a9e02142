/* pkcs11: URIs: pin-value leaves the argv string and never reaches p11-kit;
 * unrecognised attributes are refused; the rest is p11-kit's parsing. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>
#include <openssl/crypto.h>

#include "init.h"
#include "pkcs11/p11-uri.h"
#include "secmem.h"
#include "test-util.h"

static void
test_pin_value_scrubbed_from_argv(void **state)
{
	/* Laid out like an argv string followed by the next argument. */
	char argv_block[] = "pkcs11:token=t;object=k?pin-value=12%2634&module-path=/m.so\0next";
	size_t full = strlen(argv_block);
	struct acmb_p11_uri *u = NULL;
	acmb_err err = {0, ""};
	char *pin;
	int seen = 0;

	(void)state;
	assert_int_equal(acmb_p11_uri_parse(argv_block, &u, &seen, &err), ACMB_OK);
	assert_int_equal(seen, 1);
	assert_string_equal(argv_block, "pkcs11:token=t;object=k?module-path=/m.so");
	/* The bytes after the shortened string are wiped, not left behind. */
	assert_null(memmem(argv_block, full, "12%2634", 7));
	assert_null(memmem(argv_block, full, "pin-value", 9));
	assert_string_equal(argv_block + full + 1, "next");
	/* p11-kit never saw it. */
	assert_null(p11_kit_uri_get_pin_value(acmb_p11_uri_kit(u)));
	assert_string_equal(p11_kit_uri_get_module_path(acmb_p11_uri_kit(u)), "/m.so");
	assert_string_equal(acmb_p11_uri_text(u), "pkcs11:token=t;object=k?module-path=/m.so");
	pin = acmb_p11_uri_take_pin(u);
	assert_non_null(pin);
	assert_string_equal(pin, "12&34");
	assert_true(CRYPTO_secure_allocated(pin));
	assert_null(acmb_p11_uri_take_pin(u));
	acmb_secstr_free(pin);
	acmb_p11_uri_free(u);
}

static void
test_pin_value_only_query(void **state)
{
	char text[] = "pkcs11:token=t?pin-value=1234";
	struct acmb_p11_uri *u = NULL;
	acmb_err err = {0, ""};
	int seen = 0;

	(void)state;
	assert_int_equal(acmb_p11_uri_parse(text, &u, &seen, &err), ACMB_OK);
	assert_string_equal(text, "pkcs11:token=t");
	assert_null(memmem(text, sizeof(text), "1234", 4));
	acmb_p11_uri_free(u); /* frees the PIN it still holds */
}

static void
test_pin_value_twice_refused(void **state)
{
	char text[] = "pkcs11:token=t?pin-value=1&pin-value=2";
	struct acmb_p11_uri *u = NULL;
	acmb_err err = {0, ""};

	(void)state;
	assert_int_equal(acmb_p11_uri_parse(text, &u, NULL, &err), ACMB_E_USAGE);
	assert_null(u);
	assert_non_null(strstr(err.msg, "pin-value twice"));
}

/* Forms p11-kit reads as a pin-value although they are not a query
 * attribute of their own (found by fuzz/fuzz-p11-uri.c): each is refused,
 * the URI text is wiped, and the PIN never reaches p11-kit. */
static void
test_pin_value_hidden_forms_refused(void **state)
{
	static const char *const forms[] = {
	    "pkcs11:token=t;pin-value=5309",               /* a path attribute */
	    "pkcs11:;object=k&pin-value=5309",             /* after '&' in the path */
	    "pkcs11:token=t?pin-val\nue=5309",             /* whitespace p11-kit skips */
	    "pkcs11:token=t?module-name=x?pin-value=5309", /* inside another value */
	};
	struct acmb_p11_uri *u = NULL;
	acmb_err err = {0, ""};
	char text[128];
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(forms) / sizeof(forms[0]); i++) {
		test_case("form %zu: %s", i, forms[i]);
		snprintf(text, sizeof(text), "%s", forms[i]);
		assert_int_equal(acmb_p11_uri_parse(text, &u, NULL, &err), ACMB_E_USAGE);
		assert_null(u);
		assert_null(strstr(text, "5309"));
	}
	test_case_end();
}

static void
test_bad_escape_refused(void **state)
{
	char text[] = "pkcs11:token=t?pin-value=12%4";
	struct acmb_p11_uri *u = NULL;
	acmb_err err = {0, ""};

	(void)state;
	assert_int_equal(acmb_p11_uri_parse(text, &u, NULL, &err), ACMB_E_USAGE);
	assert_non_null(strstr(err.msg, "escape"));
	assert_null(strstr(err.msg, "12"));
}

static void
test_unrecognised_attribute_refused(void **state)
{
	char text[] = "pkcs11:token=t;labell=x";
	struct acmb_p11_uri *u = NULL;
	acmb_err err = {0, ""};

	(void)state;
	assert_int_equal(acmb_p11_uri_parse(text, &u, NULL, &err), ACMB_E_USAGE);
	assert_null(u);
	assert_non_null(strstr(err.msg, "not understood"));
}

static void
test_parse_attributes(void **state)
{
	char text[] =
	    "pkcs11:token=My%20Token;serial=12ab;id=%01%02;type=private?pin-source=file:/p";
	struct acmb_p11_uri *u = NULL;
	acmb_err err = {0, ""};
	CK_ATTRIBUTE *id;
	CK_TOKEN_INFO ti;
	int seen = 1;

	(void)state;
	assert_int_equal(acmb_p11_uri_parse(text, &u, &seen, &err), ACMB_OK);
	assert_int_equal(seen, 0);
	id = p11_kit_uri_get_attribute(acmb_p11_uri_kit(u), CKA_ID);
	assert_non_null(id);
	assert_int_equal(id->ulValueLen, 2);
	assert_memory_equal(id->pValue, "\x01\x02", 2);
	assert_string_equal(p11_kit_uri_get_pin_source(acmb_p11_uri_kit(u)), "file:/p");
	memset(&ti, ' ', sizeof(ti));
	memcpy(ti.label, "My Token", 8);
	memcpy(ti.serialNumber, "12ab", 4);
	assert_true(p11_kit_uri_match_token_info(acmb_p11_uri_kit(u), &ti));
	memcpy(ti.label, "Other   ", 8);
	assert_false(p11_kit_uri_match_token_info(acmb_p11_uri_kit(u), &ti));
	acmb_p11_uri_free(u);
}

static void
test_is_uri_and_length(void **state)
{
	char big[ACMB_P11_URI_MAX + 16];
	struct acmb_p11_uri *u = NULL;
	acmb_err err = {0, ""};

	(void)state;
	assert_true(acmb_p11_uri_is("PKCS11:token=x"));
	assert_false(acmb_p11_uri_is("cert.pem"));
	assert_false(acmb_p11_uri_is(NULL));
	memset(big, 'a', sizeof(big) - 1);
	memcpy(big, "pkcs11:", 7);
	big[sizeof(big) - 1] = '\0';
	/* Refused unread, as a configuration mistake: exit 2, not 3 (issue 9). */
	assert_int_equal(acmb_p11_uri_parse(big, &u, NULL, &err), ACMB_E_USAGE);
	assert_int_equal(acmb_exit_code(err.rc), ACMB_EXIT_USAGE);
	assert_non_null(strstr(err.msg, "longer than 4096 bytes"));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_pin_value_scrubbed_from_argv),
	    cmocka_unit_test(test_pin_value_only_query),
	    cmocka_unit_test(test_pin_value_twice_refused),
	    case_unit_test(test_pin_value_hidden_forms_refused),
	    cmocka_unit_test(test_bad_escape_refused),
	    cmocka_unit_test(test_unrecognised_attribute_refused),
	    cmocka_unit_test(test_parse_attributes),
	    cmocka_unit_test(test_is_uri_and_length),
	};
	acmb_err err = {0, ""};

	if (acmb_init(NULL, &err) != ACMB_OK)
		return 1;
	return cmocka_run_group_tests(tests, NULL, NULL);
}
