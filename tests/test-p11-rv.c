/* CK_RV translation: names, and the rc and message each failure gets. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "init.h"
#include "pkcs11/p11-rv.h"

static void
test_names(void **state)
{
	(void)state;
	assert_string_equal(acmb_p11_rv_name(CKR_PIN_INCORRECT), "CKR_PIN_INCORRECT");
	assert_string_equal(acmb_p11_rv_name(CKR_DEVICE_REMOVED), "CKR_DEVICE_REMOVED");
	assert_string_equal(acmb_p11_rv_name(0x80000001UL), "CKR_0x80000001");
}

static void
check(CK_RV rv, int want_rc, const char *want_text)
{
	acmb_err err = {0, ""};

	assert_int_equal(acmb_p11_error(&err, rv, "/lib/mod.so", "doing it"), want_rc);
	assert_int_equal(err.rc, want_rc);
	assert_non_null(strstr(err.msg, want_text));
	assert_non_null(strstr(err.msg, "/lib/mod.so"));
	assert_non_null(strstr(err.msg, "doing it"));
	assert_int_equal(acmb_exit_code(want_rc), 4);
}

static void
test_translation(void **state)
{
	(void)state;
	check(CKR_PIN_INCORRECT, ACMB_E_TOKEN, "wrong PIN");
	check(CKR_PIN_LOCKED, ACMB_E_TOKEN, "PIN is locked");
	check(CKR_TOKEN_NOT_PRESENT, ACMB_E_TOKEN, "token not present");
	check(CKR_DEVICE_REMOVED, ACMB_E_TOKEN, "token not present (CKR_DEVICE_REMOVED");
	check(CKR_KEY_UNEXTRACTABLE, ACMB_E_EXPORT, "refused (CKR_KEY_UNEXTRACTABLE");
	check(CKR_DEVICE_ERROR, ACMB_E_TOKEN, "CKR_DEVICE_ERROR");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_names),
	    cmocka_unit_test(test_translation),
	};
	acmb_err err = {0, ""};

	if (acmb_init(NULL, &err) != ACMB_OK)
		return 1;
	return cmocka_run_group_tests(tests, NULL, NULL);
}
