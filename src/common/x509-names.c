#include "x509-names.h"

#include <string.h>
#include <strings.h>

#include <openssl/x509v3.h>

static void
free_str(char *s)
{
	OPENSSL_free(s);
}

/* Appends n bytes of s unless the list already has the name (case aside). */
static int
push_unique(STACK_OF(OPENSSL_STRING) *names, const char *s, size_t n)
{
	char *dup;
	int i;

	if ((dup = OPENSSL_strndup(s, n)) == NULL)
		return 0;
	for (i = 0; i < sk_OPENSSL_STRING_num(names); i++) {
		if (strcasecmp(sk_OPENSSL_STRING_value(names, i), dup) == 0) {
			OPENSSL_free(dup);
			return 1;
		}
	}
	if (sk_OPENSSL_STRING_push(names, dup) <= 0) {
		OPENSSL_free(dup);
		return 0;
	}
	return 1;
}

STACK_OF(OPENSSL_STRING) *
acmb_x509_domain_names(X509 *x)
{
	STACK_OF(OPENSSL_STRING) *names;
	GENERAL_NAMES *gens = NULL;
	const GENERAL_NAME *g;
	X509_NAME *subj = X509_get_subject_name(x);
	unsigned char *utf8 = NULL;
	int i, idx, n, ok = 1;

	if ((names = sk_OPENSSL_STRING_new_null()) == NULL)
		return NULL;
	idx = X509_NAME_get_index_by_NID(subj, NID_commonName, -1);
	if (idx >= 0) {
		n = ASN1_STRING_to_UTF8(
		    &utf8, X509_NAME_ENTRY_get_data(X509_NAME_get_entry(subj, idx)));
		if (n > 0)
			ok = push_unique(names, (const char *)utf8, (size_t)n);
		OPENSSL_free(utf8);
	}
	gens = X509_get_ext_d2i(x, NID_subject_alt_name, NULL, NULL);
	for (i = 0; ok && gens != NULL && i < sk_GENERAL_NAME_num(gens); i++) {
		g = sk_GENERAL_NAME_value(gens, i);
		if (g->type == GEN_DNS)
			ok = push_unique(names, (const char *)ASN1_STRING_get0_data(g->d.dNSName),
			    (size_t)ASN1_STRING_length(g->d.dNSName));
	}
	GENERAL_NAMES_free(gens);
	if (!ok) {
		acmb_x509_names_free(names);
		return NULL;
	}
	return names;
}

void
acmb_x509_names_free(STACK_OF(OPENSSL_STRING) *names)
{
	sk_OPENSSL_STRING_pop_free(names, free_str);
}
