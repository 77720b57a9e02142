/*
 * CK_RV stays inside src/pkcs11: this is the one place where a module's
 * return value becomes an acmb_err, with the module path and the rv name.
 */
#ifndef ACMB_P11_RV_H
#define ACMB_P11_RV_H

#include <p11-kit/pkcs11.h>

#include "error.h"

/* Returns the static name of rv ("CKR_PIN_INCORRECT"), or "CKR_0x..." in a
 * static buffer for vendor codes (not thread-safe for those). */
const char *acmb_p11_rv_name(CK_RV rv);

/* Records a failed call in err and returns the rc: ACMB_E_EXPORT for the
 * token refusing to let a key out, ACMB_E_TOKEN for everything else.
 * Wrong PIN, locked PIN and a removed token get their own message. The
 * message reads "<what>: <rv name> (module <module>)". */
int acmb_p11_error(acmb_err *err, CK_RV rv, const char *module, const char *what);

/* The analyzer cannot see p11-rv.c from its callers: this spells out for it
 * the two values above (see error.h). Compilers and p11-rv.c never see it. */
#if defined(__clang_analyzer__) && !defined(ACMB_P11_RV_DEFINE)
#define acmb_p11_error(err, rv, module, what)                                                      \
	(acmb_p11_error((err), (rv), (module), (what)) == ACMB_E_EXPORT ? ACMB_E_EXPORT            \
	                                                                : ACMB_E_TOKEN)
#endif

#endif
