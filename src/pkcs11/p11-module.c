#include "p11-module.h"

#include <stdlib.h>
#include <string.h>

#include <p11-kit/p11-kit.h>

#include "p11-rv.h"

#define ACMB_P11_MODULES_MAX 64

struct acmb_p11_modules {
	CK_FUNCTION_LIST **fn; /* NULL-terminated */
	char **path;           /* per module, malloc'd */
	char **name;           /* p11-kit's name, or NULL */
	size_t n;
	int registered; /* fn came from p11_kit_modules_load_and_initialize */
};

void
acmb_p11_modules_close(struct acmb_p11_modules *mods)
{
	size_t i;

	if (mods == NULL)
		return;
	if (mods->fn != NULL) {
		if (mods->registered) {
			p11_kit_modules_finalize_and_release(mods->fn);
		} else if (mods->fn[0] != NULL) {
			p11_kit_module_finalize(mods->fn[0]);
			p11_kit_module_release(mods->fn[0]);
		}
		if (!mods->registered)
			free(mods->fn);
	}
	for (i = 0; i < mods->n; i++) {
		if (mods->path != NULL)
			free(mods->path[i]);
		if (mods->name != NULL)
			free(mods->name[i]);
	}
	free(mods->path);
	free(mods->name);
	free(mods);
}

static int
open_one(const char *path, struct acmb_p11_modules *m, acmb_err *err)
{
	CK_FUNCTION_LIST *fn;
	CK_RV rv;
	const char *why;

	/* An array of pointers (p11-kit's NULL-ended module list), which clang-tidy
	 * 14 takes for a mistaken sizeof(struct *):
	 * NOLINTNEXTLINE(bugprone-sizeof-expression) */
	if ((m->fn = calloc(2, sizeof(*m->fn))) == NULL ||
	    (m->path = calloc(1, sizeof(*m->path))) == NULL ||
	    (m->name = calloc(1, sizeof(*m->name))) == NULL || (m->path[0] = strdup(path)) == NULL)
		return acmb_error(err, ACMB_E_NOMEM, "out of memory loading a module");
	m->n = 1;
	/* Managed (no UNMANAGED flag): p11-kit then tolerates a module that is
	 * also loaded through the registry in the same process. */
	if ((fn = p11_kit_module_load(path, 0)) == NULL) {
		why = p11_kit_message();
		return acmb_error(err, ACMB_E_TOKEN, "cannot load PKCS#11 module %s: %s", path,
		    why != NULL ? why : "unknown reason");
	}
	if ((rv = p11_kit_module_initialize(fn)) != CKR_OK) {
		p11_kit_module_release(fn);
		return acmb_p11_error(err, rv, path, "cannot initialise the PKCS#11 module");
	}
	m->fn[0] = fn;
	return ACMB_OK;
}

static int
open_registered(struct acmb_p11_modules *m, acmb_err *err)
{
	size_t i, n;
	char *f;

	if ((m->fn = p11_kit_modules_load_and_initialize(0)) == NULL)
		return acmb_error(err, ACMB_E_TOKEN,
		    "cannot load the PKCS#11 modules registered with p11-kit: %s",
		    p11_kit_message() != NULL ? p11_kit_message() : "unknown reason");
	m->registered = 1;
	for (n = 0; m->fn[n] != NULL; n++)
		if (n >= ACMB_P11_MODULES_MAX)
			return acmb_error(err, ACMB_E_TOKEN,
			    "more than %d PKCS#11 modules registered", ACMB_P11_MODULES_MAX);
	if (n == 0)
		return acmb_error(err, ACMB_E_TOKEN,
		    "no PKCS#11 module is registered with p11-kit; name one with --module PATH");
	if ((m->path = calloc(n, sizeof(*m->path))) == NULL ||
	    (m->name = calloc(n, sizeof(*m->name))) == NULL)
		return acmb_error(err, ACMB_E_NOMEM, "out of memory listing modules");
	m->n = n;
	for (i = 0; i < n; i++) {
		m->name[i] = p11_kit_module_get_name(m->fn[i]);
		f = p11_kit_module_get_filename(m->fn[i]);
		if (f == NULL && (f = strdup(m->name[i] != NULL ? m->name[i] : "?")) == NULL)
			return acmb_error(err, ACMB_E_NOMEM, "out of memory listing modules");
		m->path[i] = f;
	}
	return ACMB_OK;
}

int
acmb_p11_modules_open(const char *path, struct acmb_p11_modules **out, acmb_err *err)
{
	struct acmb_p11_modules *m = NULL;
	int r = ACMB_E_INTERNAL;

	*out = NULL;
	if ((m = calloc(1, sizeof(*m))) == NULL) {
		r = acmb_error(err, ACMB_E_NOMEM, "out of memory loading modules");
		goto out;
	}
	if (path != NULL)
		r = open_one(path, m, err);
	else
		r = open_registered(m, err);
	if (r != ACMB_OK)
		goto out;
	*out = m;
	m = NULL;
	r = ACMB_OK;
out:
	acmb_p11_modules_close(m);
	return r;
}

size_t
acmb_p11_modules_count(const struct acmb_p11_modules *mods)
{
	return mods->n;
}

CK_FUNCTION_LIST *
acmb_p11_modules_fn(const struct acmb_p11_modules *mods, size_t i)
{
	return i < mods->n ? mods->fn[i] : NULL;
}

const char *
acmb_p11_modules_path(const struct acmb_p11_modules *mods, size_t i)
{
	return i < mods->n ? mods->path[i] : "?";
}

int
acmb_p11_modules_is_named(const struct acmb_p11_modules *mods, size_t i, const char *name)
{
	const char *base, *dot;
	size_t len;

	if (i >= mods->n)
		return 0;
	if (mods->name[i] != NULL && strcmp(mods->name[i], name) == 0)
		return 1;
	base = strrchr(mods->path[i], '/');
	base = base != NULL ? base + 1 : mods->path[i];
	dot = strstr(base, ".so");
	len = dot != NULL ? (size_t)(dot - base) : strlen(base);
	return strlen(name) == len && strncmp(base, name, len) == 0;
}
