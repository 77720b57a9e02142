/*
 * What a token holds, for `acmbridge list`: its certificates and keys with
 * what an import needs to know (label, id, algorithm, NotAfter, pairing,
 * and whether and how the key could be exported). Read-only: nothing is
 * created, changed or exported. Pairing is acmb_p11_pair_key()'s, the rule
 * the PKCS#11 source imports by.
 */
#ifndef ACMB_P11_LIST_H
#define ACMB_P11_LIST_H

#include <stddef.h>

#include "error.h"
#include "p11-object.h"
#include "p11-session.h"
#include "p11-uri.h"

/* Most objects of one class listed per token. */
#define ACMB_P11_LIST_OBJECTS_MAX 256

enum acmb_p11_listed_kind {
	ACMB_P11_LISTED_CERTIFICATE,
	ACMB_P11_LISTED_PRIVATE_KEY,
	ACMB_P11_LISTED_SECRET_KEY,
};

/* Strings are NUL-terminated copies of what the token says: labels and
 * subjects are bytes, not necessarily UTF-8. */
struct acmb_p11_listed_object {
	enum acmb_p11_listed_kind kind;
	char label[ACMB_P11_LABEL_MAX + 1];
	char id[2 * ACMB_P11_ID_MAX + 1]; /* hex, "" for none */
	char algorithm[64];               /* "RSA-2048", "EC-prime256v1", "AES", ... */
	/* Certificates. */
	char not_after[32]; /* RFC 3339, or "unknown" */
	char subject[256];  /* OpenSSL's one-line form */
	int ca;             /* CKA_CERTIFICATE_CATEGORY is authority */
	/* Keys: 1 true, 0 false, -1 the token does not say. */
	int extractable, sensitive, never_extractable, wrap_with_trusted;
	char export[64]; /* private keys: "wrapped", "components", "needs --wrapping-key",
	                  * "refused"; "n/a" otherwise */
	/* A certificate: a private key pairs with it. A private key: it is the
	 * key a certificate on the token pairs with. As import pairs. */
	int paired;
};

struct acmb_p11_listed_token {
	char label[33];
	char serial[17];
	char manufacturer[33];
	char model[17];
	char *module; /* path or p11-kit name */
	unsigned long slot;
	int logged_in;
	struct acmb_p11_listed_object *objects; /* certificates, private keys, secret keys */
	size_t nobjects;
};

/* Lists the objects of token t that uri names (every object when NULL):
 * certificates, then private keys, then secret keys, each with its pairing
 * judged against the whole token. Logs in first when login is set (pin as
 * acmb_p11_login(); private objects are seen only then). Fills *out; clear
 * it with acmb_p11_listed_token_clear() whatever the result. */
int acmb_p11_list_token(const struct acmb_p11_token *t, struct acmb_p11_uri *uri,
    const struct acmb_p11_pin_spec *pin, int login, struct acmb_p11_listed_token *out,
    acmb_err *err);

/* Frees what *lt owns and zeroes it. Accepts NULL. */
void acmb_p11_listed_token_clear(struct acmb_p11_listed_token *lt);

#endif
