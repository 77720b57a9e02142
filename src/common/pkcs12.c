#include "pkcs12.h"

#include <limits.h>
#include <string.h>

#include <openssl/err.h>
#include <openssl/pkcs12.h>
#include <openssl/provider.h>
#include <openssl/x509v3.h>

#include "keyload.h"

/* Returns 1 when pass opens the bundle's MAC (or it has none). An absent
 * passphrase may mean "" or no password at all: both are tried, as
 * PKCS12_parse does. */
static int
mac_ok(PKCS12 *p12, const char *pass)
{
	if (!PKCS12_mac_present(p12))
		return 1;
	if (pass != NULL)
		return PKCS12_verify_mac(p12, pass, -1);
	return PKCS12_verify_mac(p12, NULL, 0) || PKCS12_verify_mac(p12, "", 0);
}

/* ACM wants the chain issuer first: walk up from the leaf; certificates that
 * are not on that path keep their bundle order at the end. */
static int
order_chain(X509 *leaf, STACK_OF(X509) *in, STACK_OF(X509) **out)
{
	STACK_OF(X509) *ordered = NULL;
	X509 *cur = leaf, *c;
	int i, found;

	*out = NULL;
	if ((ordered = sk_X509_new_null()) == NULL)
		return 0;
	do {
		found = 0;
		for (i = 0; in != NULL && i < sk_X509_num(in); i++) {
			c = sk_X509_value(in, i);
			if (X509_cmp(c, cur) != 0 && X509_check_issued(c, cur) == X509_V_OK) {
				(void)sk_X509_delete(in, i);
				if (!sk_X509_push(ordered, c)) {
					X509_free(c);
					goto fail;
				}
				/* A self-signed root ends the walk. */
				found = X509_check_issued(c, c) != X509_V_OK;
				cur = c;
				break;
			}
		}
	} while (found);
	while (in != NULL && (c = sk_X509_shift(in)) != NULL) {
		if (!sk_X509_push(ordered, c)) {
			X509_free(c);
			goto fail;
		}
	}
	*out = ordered;
	return 1;
fail:
	sk_X509_pop_free(ordered, X509_free);
	return 0;
}

int
acmb_pkcs12_parse(const unsigned char *data, size_t len, const char *pass, EVP_PKEY **key,
    X509 **leaf, STACK_OF(X509) **chain, acmb_err *err)
{
	const unsigned char *p = data;
	PKCS12 *p12 = NULL;
	EVP_PKEY *k = NULL;
	X509 *cert = NULL, *c;
	STACK_OF(X509) *cas = NULL, *ordered = NULL;
	int i, r = ACMB_E_INTERNAL;

	*key = NULL;
	*leaf = NULL;
	*chain = NULL;
	if (len == 0 || len > LONG_MAX || (p12 = d2i_PKCS12(NULL, &p, (long)len)) == NULL) {
		r = acmb_error_ssl(err, ACMB_E_PARSE, "not a PKCS#12 bundle");
		goto out;
	}
	if (!mac_ok(p12, pass)) {
		r = acmb_error(err, ACMB_E_PASSPHRASE,
		    pass == NULL ? "the bundle is protected by a passphrase; give it with "
		                   "--passphrase-file or --passphrase-env"
		                 : "wrong passphrase");
		goto out;
	}
	/* Bundles made before OpenSSL 3 (and by many tools still) encrypt with
	 * RC2-40: RC2 lives in the legacy provider, loaded only on demand. */
	if (!PKCS12_parse(p12, pass, &k, &cert, &cas)) {
		ERR_clear_error();
		if (!acmb_keyload_legacy_provider() || !PKCS12_parse(p12, pass, &k, &cert, &cas)) {
			r = acmb_error_ssl(err, ACMB_E_PARSE, "cannot decrypt the bundle%s",
			    OSSL_PROVIDER_available(NULL, "legacy")
			        ? ""
			        : " (it may need OpenSSL's legacy provider, which cannot be "
			          "loaded)");
			goto out;
		}
	}
	if (k == NULL) {
		r = acmb_error(err, ACMB_E_PARSE, "the bundle holds no private key");
		goto out;
	}
	/* Without a localKeyID the leaf is whichever certificate matches. */
	for (i = 0; cert == NULL && cas != NULL && i < sk_X509_num(cas); i++) {
		c = sk_X509_value(cas, i);
		if (X509_check_private_key(c, k) == 1) {
			cert = sk_X509_delete(cas, i);
			break;
		}
	}
	ERR_clear_error();
	if (cert == NULL) {
		r = acmb_error(
		    err, ACMB_E_PARSE, "the bundle holds no certificate matching its private key");
		goto out;
	}
	if (!order_chain(cert, cas, &ordered)) {
		r = acmb_error(err, ACMB_E_NOMEM, "out of memory");
		goto out;
	}
	*key = k;
	*leaf = cert;
	*chain = ordered;
	k = NULL;
	cert = NULL;
	r = ACMB_OK;
out:
	EVP_PKEY_free(k);
	X509_free(cert);
	sk_X509_pop_free(cas, X509_free);
	PKCS12_free(p12);
	return r;
}
