#include "material.h"

#include <stdlib.h>
#include <string.h>

#include <openssl/bio.h>
#include <openssl/buffer.h>
#include <openssl/pem.h>

#include "keyload.h"

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
	acmb_wipe(m, sizeof(*m));
	free(m);
}

X509 *
acmb_material_leaf(const struct acmb_material *m)
{
	if (m == NULL || m->certs == NULL || sk_X509_num(m->certs) < 1)
		return NULL;
	return sk_X509_value(m->certs, 0);
}

/* Certificates are public: a plain memory BIO and a malloc'd copy. */
static int
certs_pem(STACK_OF(X509) *certs, int first_only, char **pem, size_t *len, acmb_err *err)
{
	BIO *bio = NULL;
	BUF_MEM *mem = NULL;
	char *s = NULL;
	int i, n, r = ACMB_E_INTERNAL;

	*pem = NULL;
	*len = 0;
	if ((bio = BIO_new(BIO_s_mem())) == NULL) {
		r = acmb_error(err, ACMB_E_NOMEM, "out of memory");
		goto out;
	}
	n = certs == NULL ? 0 : sk_X509_num(certs);
	if (first_only && n > 1)
		n = 1;
	for (i = 0; i < n; i++) {
		if (!PEM_write_bio_X509(bio, sk_X509_value(certs, i))) {
			r = acmb_error_ssl(
			    err, ACMB_E_INTERNAL, "cannot encode certificate %d", i + 1);
			goto out;
		}
	}
	if (BIO_get_mem_ptr(bio, &mem) <= 0 || mem == NULL ||
	    (s = malloc(mem->length + 1)) == NULL) {
		r = acmb_error(err, ACMB_E_NOMEM, "out of memory");
		goto out;
	}
	if (mem->length > 0)
		memcpy(s, mem->data, mem->length);
	s[mem->length] = '\0';
	*len = mem->length;
	*pem = s;
	s = NULL;
	r = ACMB_OK;
out:
	free(s);
	BIO_free(bio);
	return r;
}

int
acmb_material_cert_pem(const struct acmb_material *m, char **pem, size_t *len, acmb_err *err)
{
	*pem = NULL;
	*len = 0;
	if (acmb_material_leaf(m) == NULL)
		return acmb_error(err, ACMB_E_RULE, "certificate: no certificate to send");
	return certs_pem(m->certs, 1, pem, len, err);
}

int
acmb_material_chain_pem(const struct acmb_material *m, char **pem, size_t *len, acmb_err *err)
{
	return certs_pem(m->chain, 0, pem, len, err);
}

int
acmb_material_key_pem(const struct acmb_material *m, acmb_secbuf **pem, acmb_err *err)
{
	*pem = NULL;
	if (m == NULL || m->key == NULL)
		return acmb_error(err, ACMB_E_RULE, "private key: no private key to send");
	return acmb_keyload_pkcs8_pem(m->key, pem, err);
}
