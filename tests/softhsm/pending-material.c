/*
 * Branch-local stand-in for src/common/material.c, which is written on the
 * `input` branch. tests/softhsm/CMakeLists.txt compiles this file only while
 * src/common/material.c does not exist, so it disappears on merge. It
 * implements material.h as documented there, nothing more.
 */
#include <stdlib.h>
#include <string.h>

#include <openssl/bio.h>
#include <openssl/pem.h>

#include "material.h"

struct acmb_material *
acmb_material_new(void)
{
	return calloc(1, sizeof(struct acmb_material));
}

void
acmb_material_free(struct acmb_material *m)
{
	if (m == NULL)
		return;
	sk_X509_pop_free(m->certs, X509_free);
	sk_X509_pop_free(m->chain, X509_free);
	EVP_PKEY_free(m->key);
	free(m);
}

X509 *
acmb_material_leaf(const struct acmb_material *m)
{
	return m->certs != NULL && sk_X509_num(m->certs) > 0 ? sk_X509_value(m->certs, 0) : NULL;
}

static int
bio_to_string(BIO *b, char **pem, size_t *len, acmb_err *err)
{
	char *data;
	long n = BIO_get_mem_data(b, &data);

	if (n < 0 || (*pem = malloc((size_t)n + 1)) == NULL)
		return acmb_error(err, ACMB_E_NOMEM, "out of memory");
	memcpy(*pem, data, (size_t)n);
	(*pem)[n] = '\0';
	*len = (size_t)n;
	return ACMB_OK;
}

int
acmb_material_cert_pem(const struct acmb_material *m, char **pem, size_t *len, acmb_err *err)
{
	BIO *b = BIO_new(BIO_s_mem());
	int r;

	*pem = NULL;
	if (b == NULL || acmb_material_leaf(m) == NULL ||
	    PEM_write_bio_X509(b, acmb_material_leaf(m)) != 1)
		r = acmb_error_ssl(err, ACMB_E_INTERNAL, "cannot encode the certificate");
	else
		r = bio_to_string(b, pem, len, err);
	BIO_free(b);
	return r;
}

int
acmb_material_chain_pem(const struct acmb_material *m, char **pem, size_t *len, acmb_err *err)
{
	BIO *b = BIO_new(BIO_s_mem());
	int i, r = ACMB_OK;

	*pem = NULL;
	if (b == NULL)
		return acmb_error(err, ACMB_E_NOMEM, "out of memory");
	for (i = 0; m->chain != NULL && i < sk_X509_num(m->chain); i++)
		if (PEM_write_bio_X509(b, sk_X509_value(m->chain, i)) != 1)
			r = acmb_error_ssl(err, ACMB_E_INTERNAL, "cannot encode the chain");
	if (r == ACMB_OK)
		r = bio_to_string(b, pem, len, err);
	BIO_free(b);
	return r;
}

int
acmb_material_key_pem(const struct acmb_material *m, acmb_secbuf **pem, acmb_err *err)
{
	BIO *b = BIO_new(BIO_s_secmem());
	acmb_secbuf *out = NULL;
	char *data;
	long n;
	int r = ACMB_E_INTERNAL;

	*pem = NULL;
	if (b == NULL || m->key == NULL ||
	    PEM_write_bio_PrivateKey(b, m->key, NULL, NULL, 0, NULL, NULL) != 1) {
		r = acmb_error_ssl(err, ACMB_E_INTERNAL, "cannot encode the key");
		goto out;
	}
	n = BIO_get_mem_data(b, &data);
	if (n <= 0 || (out = acmb_secbuf_new((size_t)n)) == NULL ||
	    acmb_secbuf_put(out, data, (size_t)n) != ACMB_OK) {
		r = acmb_error(err, ACMB_E_NOMEM, "secure heap exhausted");
		goto out;
	}
	*pem = out;
	out = NULL;
	r = ACMB_OK;
out:
	acmb_secbuf_free(out);
	BIO_free(b);
	return r;
}
