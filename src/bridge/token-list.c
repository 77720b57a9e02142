#include "token-list.h"

#include <stdlib.h>

#include "pkcs11/p11-module.h"
#include "pkcs11/p11-uri.h"

void
acmb_token_listing_free(struct acmb_token_listing *l)
{
	size_t i;

	if (l == NULL)
		return;
	for (i = 0; i < l->ntokens; i++)
		acmb_p11_listed_token_clear(&l->tokens[i]);
	free(l->tokens);
	free(l);
}

static int
wants_login(const struct acmb_token_spec *spec, const struct acmb_p11_uri *uri, int seen)
{
	return spec->pin.pin_file != NULL || spec->pin.pin_env != NULL ||
	       spec->pin.pin_value != NULL || seen ||
	       (uri != NULL && p11_kit_uri_get_pin_source(acmb_p11_uri_kit(uri)) != NULL);
}

int
acmb_token_list(const struct acmb_token_spec *spec, char *uri_text, int login,
    struct acmb_token_listing **out, int *pin_value_seen, acmb_err *err)
{
	struct acmb_token_listing *l = NULL;
	struct acmb_p11_modules *mods = NULL;
	struct acmb_p11_token toks[ACMB_P11_TOKENS_MAX];
	struct acmb_p11_uri *uri = NULL;
	const char *module = spec->module;
	size_t n = 0, i;
	int r = ACMB_E_INTERNAL, seen = 0;

	*out = NULL;
	if (pin_value_seen != NULL)
		*pin_value_seen = 0;
	if (spec->wrapping_key != NULL || spec->export_policy != NULL || spec->audit_log != NULL) {
		r = acmb_error(err, ACMB_E_USAGE,
		    "list exports nothing: --wrapping-key, --export-policy and --audit-log do "
		    "not apply");
		goto out;
	}
	if (uri_text != NULL) {
		if (!acmb_p11_uri_is(uri_text)) {
			r = acmb_error(err, ACMB_E_USAGE, "'%s' is not a pkcs11: URI", uri_text);
			goto out;
		}
		if ((r = acmb_p11_uri_parse(uri_text, &uri, &seen, err)) != ACMB_OK)
			goto out;
		if (pin_value_seen != NULL)
			*pin_value_seen = seen;
		if (module == NULL)
			module = p11_kit_uri_get_module_path(acmb_p11_uri_kit(uri));
	}
	login = login || wants_login(spec, uri, seen);
	if ((r = acmb_p11_modules_open(module, &mods, err)) != ACMB_OK ||
	    (r = acmb_p11_tokens_find(mods, uri, toks, ACMB_P11_TOKENS_MAX, &n, err)) != ACMB_OK)
		goto out;
	if (n == 0) {
		r = acmb_error(err, ACMB_E_TOKEN, "token not present: no token matches %s",
		    uri != NULL ? acmb_p11_uri_text(uri) : "(any)");
		goto out;
	}
	if ((l = calloc(1, sizeof(*l))) == NULL ||
	    (l->tokens = calloc(n, sizeof(*l->tokens))) == NULL) {
		r = acmb_error(err, ACMB_E_NOMEM, "out of memory");
		goto out;
	}
	for (i = 0; i < n; i++) {
		l->ntokens++;
		if ((r = acmb_p11_list_token(
		         &toks[i], uri, &spec->pin, login, &l->tokens[i], err)) != ACMB_OK)
			goto out;
	}
	*out = l;
	l = NULL;
	r = ACMB_OK;
out:
	acmb_token_listing_free(l);
	acmb_p11_uri_free(uri);
	acmb_p11_modules_close(mods);
	return r;
}
