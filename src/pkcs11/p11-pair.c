#include "p11-pair.h"

#include <stdlib.h>
#include <string.h>

#include <openssl/core_names.h>
#include <openssl/evp.h>

#include "p11-object.h"

/* Keys looked at per class when pairing by public key. */
#define PAIR_CANDIDATES_MAX 64

/* The bytes of the certificate key's RSA modulus or EC point, to compare
 * with a token key's CKA_MODULUS / CKA_EC_POINT. */
static int
pub_bytes(EVP_PKEY *pub, unsigned char *buf, size_t max, size_t *len)
{
	BIGNUM *n = NULL;
	int ok = 0;

	*len = 0;
	if (EVP_PKEY_is_a(pub, "RSA")) {
		if (EVP_PKEY_get_bn_param(pub, OSSL_PKEY_PARAM_RSA_N, &n) == 1 &&
		    (size_t)BN_num_bytes(n) <= max) {
			*len = (size_t)BN_bn2bin(n, buf);
			ok = 1;
		}
		BN_free(n);
		return ok;
	}
	return EVP_PKEY_get_octet_string_param(pub, OSSL_PKEY_PARAM_PUB_KEY, buf, max, len) == 1;
}

/* Strips leading zeros (CKA_MODULUS may carry them) or a DER OCTET STRING
 * header (CKA_EC_POINT usually has one), then compares. */
static int
same_public(
    const unsigned char *want, size_t wlen, const unsigned char *got, size_t glen, int is_rsa)
{
	const unsigned char *p = got;
	ASN1_OCTET_STRING *os = NULL;
	int same;

	if (is_rsa) {
		while (glen > 0 && *got == 0) {
			got++;
			glen--;
		}
		return glen == wlen && memcmp(got, want, wlen) == 0;
	}
	if (glen == wlen && memcmp(got, want, wlen) == 0)
		return 1;
	if ((os = d2i_ASN1_OCTET_STRING(NULL, &p, (long)glen)) == NULL)
		return 0;
	same = (size_t)ASN1_STRING_length(os) == wlen &&
	       memcmp(ASN1_STRING_get0_data(os), want, wlen) == 0;
	ASN1_OCTET_STRING_free(os);
	return same;
}

static int
find_by_id(const struct acmb_p11_token *t, CK_SESSION_HANDLE s, const unsigned char *id,
    size_t id_len, CK_OBJECT_HANDLE *h, size_t max, size_t *n, acmb_err *err)
{
	CK_OBJECT_CLASS priv = CKO_PRIVATE_KEY;
	CK_ATTRIBUTE tmpl[] = {
	    {CKA_CLASS, &priv, sizeof(priv)},
	    {CKA_ID, (void *)id, id_len},
	};

	return acmb_p11_find(t, s, tmpl, 2, h, max, n, err);
}

int
acmb_p11_pair_key(const struct acmb_p11_token *t, CK_SESSION_HANDLE s, X509 *leaf,
    const unsigned char *id, size_t id_len, CK_OBJECT_HANDLE *key, acmb_err *err)
{
	CK_OBJECT_CLASS cls;
	CK_ATTRIBUTE by_class[] = {{CKA_CLASS, &cls, sizeof(cls)}};
	CK_OBJECT_HANDLE h[PAIR_CANDIDATES_MAX];
	struct acmb_p11_object o;
	unsigned char want[1100], *got = NULL;
	EVP_PKEY *pub = leaf != NULL ? X509_get0_pubkey(leaf) : NULL;
	size_t n = 0, i, wlen, glen;
	int r = ACMB_E_INTERNAL, is_rsa, pass;

	*key = CK_INVALID_HANDLE;
	if (id_len > 0) {
		if ((r = find_by_id(t, s, id, id_len, h, PAIR_CANDIDATES_MAX, &n, err)) != ACMB_OK)
			goto out;
		if (n == 1) {
			*key = h[0];
			r = ACMB_OK;
			goto out;
		}
	}
	if (pub == NULL || !pub_bytes(pub, want, sizeof(want), &wlen)) {
		r = acmb_error(err, ACMB_E_PARSE,
		    "the certificate's public key cannot be read to find its private key");
		goto out;
	}
	is_rsa = EVP_PKEY_is_a(pub, "RSA");
	for (pass = 0; pass < 2 && *key == CK_INVALID_HANDLE; pass++) {
		cls = pass == 0 ? CKO_PRIVATE_KEY : CKO_PUBLIC_KEY;
		if ((r = acmb_p11_find(t, s, by_class, 1, h, PAIR_CANDIDATES_MAX, &n, err)) !=
		    ACMB_OK)
			goto out;
		for (i = 0; i < n && i < PAIR_CANDIDATES_MAX; i++) {
			free(got);
			got = NULL;
			if (acmb_p11_attr_get(t, s, h[i], is_rsa ? CKA_MODULUS : CKA_EC_POINT, &got,
			        &glen, NULL) != ACMB_OK ||
			    !same_public(want, wlen, got, glen, is_rsa))
				continue;
			if (pass == 0) {
				*key = h[i];
				break;
			}
			/* The token's own failure, not "no key pairs". */
			if ((r = acmb_p11_object_describe(t, s, h[i], &o, err)) != ACMB_OK)
				goto out;
			if (o.id_len > 0 &&
			    find_by_id(t, s, o.id, o.id_len, h, 1, &n, err) == ACMB_OK && n == 1)
				*key = h[0];
			break;
		}
	}
	r = ACMB_OK;
out:
	free(got);
	return r;
}
