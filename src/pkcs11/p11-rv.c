#define ACMB_P11_RV_DEFINE /* p11-rv.h: the real function, not the analyzer's view */
#include "p11-rv.h"

#include <stdio.h>

#define RV(x)                                                                                      \
	case x:                                                                                    \
		return #x

const char *
acmb_p11_rv_name(CK_RV rv)
{
	static char vendor[32];

	switch (rv) {
		RV(CKR_OK);
		RV(CKR_CANCEL);
		RV(CKR_HOST_MEMORY);
		RV(CKR_SLOT_ID_INVALID);
		RV(CKR_GENERAL_ERROR);
		RV(CKR_FUNCTION_FAILED);
		RV(CKR_ARGUMENTS_BAD);
		RV(CKR_NO_EVENT);
		RV(CKR_NEED_TO_CREATE_THREADS);
		RV(CKR_CANT_LOCK);
		RV(CKR_ATTRIBUTE_READ_ONLY);
		RV(CKR_ATTRIBUTE_SENSITIVE);
		RV(CKR_ATTRIBUTE_TYPE_INVALID);
		RV(CKR_ATTRIBUTE_VALUE_INVALID);
		RV(CKR_DATA_INVALID);
		RV(CKR_DATA_LEN_RANGE);
		RV(CKR_DEVICE_ERROR);
		RV(CKR_DEVICE_MEMORY);
		RV(CKR_DEVICE_REMOVED);
		RV(CKR_ENCRYPTED_DATA_INVALID);
		RV(CKR_ENCRYPTED_DATA_LEN_RANGE);
		RV(CKR_FUNCTION_CANCELED);
		RV(CKR_FUNCTION_NOT_PARALLEL);
		RV(CKR_FUNCTION_NOT_SUPPORTED);
		RV(CKR_KEY_HANDLE_INVALID);
		RV(CKR_KEY_SIZE_RANGE);
		RV(CKR_KEY_TYPE_INCONSISTENT);
		RV(CKR_KEY_NOT_NEEDED);
		RV(CKR_KEY_CHANGED);
		RV(CKR_KEY_NEEDED);
		RV(CKR_KEY_INDIGESTIBLE);
		RV(CKR_KEY_FUNCTION_NOT_PERMITTED);
		RV(CKR_KEY_NOT_WRAPPABLE);
		RV(CKR_KEY_UNEXTRACTABLE);
		RV(CKR_MECHANISM_INVALID);
		RV(CKR_MECHANISM_PARAM_INVALID);
		RV(CKR_OBJECT_HANDLE_INVALID);
		RV(CKR_OPERATION_ACTIVE);
		RV(CKR_OPERATION_NOT_INITIALIZED);
		RV(CKR_PIN_INCORRECT);
		RV(CKR_PIN_INVALID);
		RV(CKR_PIN_LEN_RANGE);
		RV(CKR_PIN_EXPIRED);
		RV(CKR_PIN_LOCKED);
		RV(CKR_SESSION_CLOSED);
		RV(CKR_SESSION_COUNT);
		RV(CKR_SESSION_HANDLE_INVALID);
		RV(CKR_SESSION_PARALLEL_NOT_SUPPORTED);
		RV(CKR_SESSION_READ_ONLY);
		RV(CKR_SESSION_EXISTS);
		RV(CKR_SESSION_READ_ONLY_EXISTS);
		RV(CKR_SESSION_READ_WRITE_SO_EXISTS);
		RV(CKR_SIGNATURE_INVALID);
		RV(CKR_SIGNATURE_LEN_RANGE);
		RV(CKR_TEMPLATE_INCOMPLETE);
		RV(CKR_TEMPLATE_INCONSISTENT);
		RV(CKR_TOKEN_NOT_PRESENT);
		RV(CKR_TOKEN_NOT_RECOGNIZED);
		RV(CKR_TOKEN_WRITE_PROTECTED);
		RV(CKR_UNWRAPPING_KEY_HANDLE_INVALID);
		RV(CKR_UNWRAPPING_KEY_SIZE_RANGE);
		RV(CKR_UNWRAPPING_KEY_TYPE_INCONSISTENT);
		RV(CKR_USER_ALREADY_LOGGED_IN);
		RV(CKR_USER_NOT_LOGGED_IN);
		RV(CKR_USER_PIN_NOT_INITIALIZED);
		RV(CKR_USER_TYPE_INVALID);
		RV(CKR_USER_ANOTHER_ALREADY_LOGGED_IN);
		RV(CKR_USER_TOO_MANY_TYPES);
		RV(CKR_WRAPPED_KEY_INVALID);
		RV(CKR_WRAPPED_KEY_LEN_RANGE);
		RV(CKR_WRAPPING_KEY_HANDLE_INVALID);
		RV(CKR_WRAPPING_KEY_SIZE_RANGE);
		RV(CKR_WRAPPING_KEY_TYPE_INCONSISTENT);
		RV(CKR_RANDOM_SEED_NOT_SUPPORTED);
		RV(CKR_RANDOM_NO_RNG);
		RV(CKR_DOMAIN_PARAMS_INVALID);
		RV(CKR_BUFFER_TOO_SMALL);
		RV(CKR_SAVED_STATE_INVALID);
		RV(CKR_INFORMATION_SENSITIVE);
		RV(CKR_STATE_UNSAVEABLE);
		RV(CKR_CRYPTOKI_NOT_INITIALIZED);
		RV(CKR_CRYPTOKI_ALREADY_INITIALIZED);
		RV(CKR_MUTEX_BAD);
		RV(CKR_MUTEX_NOT_LOCKED);
		RV(CKR_FUNCTION_REJECTED);
	}
	snprintf(vendor, sizeof(vendor), "CKR_0x%lx", (unsigned long)rv);
	return vendor;
}

int
acmb_p11_error(acmb_err *err, CK_RV rv, const char *module, const char *what)
{
	const char *mod = module != NULL ? module : "?";

	switch (rv) {
	case CKR_PIN_INCORRECT:
		return acmb_error(err, ACMB_E_TOKEN,
		    "%s: wrong PIN (CKR_PIN_INCORRECT, module %s); repeated wrong PINs "
		    "lock the token",
		    what, mod);
	case CKR_PIN_LOCKED:
		return acmb_error(err, ACMB_E_TOKEN,
		    "%s: the PIN is locked (CKR_PIN_LOCKED, module %s); the security "
		    "officer must unlock it",
		    what, mod);
	case CKR_PIN_EXPIRED:
		return acmb_error(err, ACMB_E_TOKEN,
		    "%s: the PIN has expired (CKR_PIN_EXPIRED, module %s); set a new one "
		    "with the token's tools",
		    what, mod);
	case CKR_TOKEN_NOT_PRESENT:
	case CKR_DEVICE_REMOVED:
		return acmb_error(err, ACMB_E_TOKEN,
		    "%s: token not present (%s, module %s); insert or reconnect it", what,
		    acmb_p11_rv_name(rv), mod);
	case CKR_KEY_UNEXTRACTABLE:
	case CKR_KEY_NOT_WRAPPABLE:
	case CKR_ATTRIBUTE_SENSITIVE:
		return acmb_error(err, ACMB_E_EXPORT, "%s: the token refused (%s, module %s)", what,
		    acmb_p11_rv_name(rv), mod);
	}
	return acmb_error(err, ACMB_E_TOKEN, "%s: %s (module %s)", what, acmb_p11_rv_name(rv), mod);
}
