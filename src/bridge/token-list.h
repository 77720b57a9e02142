/*
 * The list flow: every token a pkcs11: URI names (or every present token),
 * with its certificates and keys as pkcs11/p11-list.h describes them,
 * pairing included, judged by the same rule as the PKCS#11 source's import.
 * Read-only.
 */
#ifndef ACMB_TOKEN_LIST_H
#define ACMB_TOKEN_LIST_H

#include <stddef.h>

#include "error.h"
#include "pkcs11/p11-list.h"
#include "token-spec.h"

struct acmb_token_listing {
	size_t ntokens;
	struct acmb_p11_listed_token *tokens;
};

/* Lists the tokens uri names (NULL: every present token) with spec's module
 * (else the URI's module-path, else p11-kit's registered modules). uri is
 * rewritten in place when it carries a pin-value; *pin_value_seen (NULL
 * allowed) is set as soon as it is parsed, for the CLI's warning, whatever
 * happens next. Logs in when login is set, or when spec or the URI name a
 * PIN (pin file, pin env, pin-value, pin-source). Returns ACMB_OK;
 * ACMB_E_USAGE for a bad URI or export options (list exports nothing);
 * ACMB_E_TOKEN for a module that does not load, no matching token, a token
 * failure or a wrong PIN. Caller frees *out with acmb_token_listing_free(). */
int acmb_token_list(const struct acmb_token_spec *spec, char *uri, int login,
    struct acmb_token_listing **out, int *pin_value_seen, acmb_err *err);

/* Frees the listing. Accepts NULL. */
void acmb_token_listing_free(struct acmb_token_listing *l);

#endif
