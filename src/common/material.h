/*
 * The material an import is made of: the certificate, its chain and the
 * private key, decoded, plus what we learnt about each field while reading
 * it. Built by a source (files: input.h; later PKCS#11 and Private CA),
 * judged by the ACM rules (acm/rules.h), encoded for ImportCertificate.
 *
 * A field that could not be decoded is not a hard error here: its status
 * says why, so that `check` can report every broken rule in one run.
 */
#ifndef ACMB_MATERIAL_H
#define ACMB_MATERIAL_H

#include <stddef.h>

#include <openssl/evp.h>
#include <openssl/x509.h>

#include "error.h"
#include "secmem.h"

enum acmb_field {
	ACMB_FIELD_CERT = 0,
	ACMB_FIELD_KEY = 1,
	ACMB_FIELD_CHAIN = 2,
	ACMB_FIELD_COUNT = 3
};

/* Facts about how a field arrived. Normalisations are applied to what will
 * be sent and reported by check's PEM-hygiene rule. */
#define ACMB_IN_DER 0x0001u          /* arrived as DER, converted to PEM */
#define ACMB_IN_CRLF 0x0002u         /* CRLF line ends, converted to LF */
#define ACMB_IN_TRAILING_WS 0x0004u  /* blanks at line ends, removed */
#define ACMB_IN_TEXT_AROUND 0x0008u  /* text outside the PEM blocks, dropped */
#define ACMB_IN_EC_PARAMS 0x0010u    /* EC PARAMETERS block, dropped */
#define ACMB_IN_ENCRYPTED 0x0020u    /* encrypted PKCS#8, decrypted */
#define ACMB_IN_LEGACY_ENC 0x0040u   /* Proc-Type: 4,ENCRYPTED PEM, decrypted */
#define ACMB_IN_PKCS12 0x0080u       /* taken from a PKCS#12 bundle */
#define ACMB_IN_REENCODED 0x0100u    /* key re-encoded as unencrypted PKCS#8 */
#define ACMB_IN_OTHER_BLOCKS 0x0200u /* PEM blocks of another type, dropped */
#define ACMB_IN_BOM 0x0400u          /* a leading UTF-8 byte-order mark, dropped */

#define ACMB_SOURCE_MAX 256

struct acmb_field_info {
	int present;                   /* the operator gave this field */
	int status;                    /* ACMB_OK, or why the field is unusable */
	char message[ACMB_ERRMSG_MAX]; /* with a non-OK status: what and how to fix */
	char source[ACMB_SOURCE_MAX];  /* "cert.pem", "stdin", "bundle.p12" */
	unsigned flags;                /* ACMB_IN_* */
	size_t raw_len;                /* bytes read */
	size_t blocks;                 /* PEM blocks of the field's own type found */
	char key_format[16];           /* keys: "PKCS#1", "PKCS#8", "SEC1" as given */
	char warning[ACMB_ERRMSG_MAX]; /* what the operator should know that is no rule
	                                * ("UNPROTECTED PRIVATE KEY FILE ..."), or "" */
};

struct acmb_material {
	STACK_OF(X509) *certs; /* every certificate in the certificate field;
	                        * ACM wants exactly one (the leaf, first) */
	STACK_OF(X509) *chain; /* chain certificates in the order given, or NULL */
	EVP_PKEY *key;         /* the private key, or NULL */
	struct acmb_field_info info[ACMB_FIELD_COUNT];
};

/* Returns a new empty material, or NULL. Free with acmb_material_free(). */
struct acmb_material *acmb_material_new(void);

/* Frees everything, the key included. Accepts NULL. */
void acmb_material_free(struct acmb_material *m);

/* The leaf certificate (first of certs), or NULL. Owned by m. */
X509 *acmb_material_leaf(const struct acmb_material *m);

/* PEM of the leaf alone, as it will be sent. Caller frees with free(). */
int acmb_material_cert_pem(const struct acmb_material *m, char **pem, size_t *len, acmb_err *err);

/* PEM of the chain certificates in m->chain's order (empty string for none).
 * Caller frees with free(). */
int acmb_material_chain_pem(const struct acmb_material *m, char **pem, size_t *len, acmb_err *err);

/* Unencrypted PEM of the key as it will be sent, in the secure heap.
 * Caller frees with acmb_secbuf_free(). */
int acmb_material_key_pem(const struct acmb_material *m, acmb_secbuf **pem, acmb_err *err);

#endif
