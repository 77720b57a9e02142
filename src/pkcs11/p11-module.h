/*
 * PKCS#11 modules, always through p11-kit: either the modules registered
 * with p11-kit (/usr/share/p11-kit/modules/ *.module) or one module named by
 * --module PATH or a URI's module-path.
 */
#ifndef ACMB_P11_MODULE_H
#define ACMB_P11_MODULE_H

#include <stddef.h>

#include <p11-kit/pkcs11.h>

#include "error.h"

struct acmb_p11_modules;

/* Loads and initialises the module at path, or every module registered with
 * p11-kit when path is NULL. Returns ACMB_OK, or ACMB_E_TOKEN naming the
 * module and the CK_RV. Caller frees *out with acmb_p11_modules_close(). */
int acmb_p11_modules_open(const char *path, struct acmb_p11_modules **out, acmb_err *err);

/* Finalises and releases the modules. Accepts NULL. */
void acmb_p11_modules_close(struct acmb_p11_modules *mods);

/* Number of modules, then each one's function list and a name for messages
 * (the file path, or p11-kit's module name). Both live until close. */
size_t acmb_p11_modules_count(const struct acmb_p11_modules *mods);
CK_FUNCTION_LIST *acmb_p11_modules_fn(const struct acmb_p11_modules *mods, size_t i);
const char *acmb_p11_modules_path(const struct acmb_p11_modules *mods, size_t i);

/* Returns 1 when module i is the one a URI's module-name names (p11-kit's
 * registered name, or the file's base name without ".so"), 0 otherwise. */
int acmb_p11_modules_is_named(const struct acmb_p11_modules *mods, size_t i, const char *name);

#endif
