#include "csr.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/x509v3.h>

#include "input.h"
#include "keyload.h"

#ifdef ACMB_TEST_HOOKS
static int
test_keygen_from_file(const char *path, enum acmb_key_alg alg, EVP_PKEY **out, acmb_err *err)
{
	struct acmb_keyload_info info;
	acmb_secbuf *raw = NULL;
	char source[ACMB_SOURCE_MAX];
	int r;

	if ((r = acmb_input_read(path, "test key", ACMB_INPUT_MAX_KEY, &raw, source, sizeof(source),
	         err)) != ACMB_OK)
		return r;
	/* The block type from "-----BEGIN TYPE-----"; a test file, so plain. */
	{
		const char *b = strstr(acmb_secbuf_str(raw), "-----BEGIN ");
		const char *e = b != NULL ? strstr(b + 11, "-----") : NULL;
		char type[32];

		if (e == NULL || (size_t)(e - b - 11) >= sizeof(type)) {
			acmb_secbuf_free(raw);
			return acmb_error(err, ACMB_E_USAGE, "ACMB_TEST_KEYGEN_FILE: not PEM");
		}
		snprintf(type, sizeof(type), "%.*s", (int)(e - b - 11), b + 11);
		r = acmb_keyload_decode(
		    acmb_secbuf_ptr(raw), acmb_secbuf_len(raw), type, NULL, 0, out, &info, err);
	}
	acmb_secbuf_free(raw);
	if (r == ACMB_OK && acmb_rules_key_algorithm(*out, source, sizeof(source)) != alg) {
		EVP_PKEY_free(*out);
		*out = NULL;
		return acmb_error(err, ACMB_E_USAGE, "ACMB_TEST_KEYGEN_FILE: not a %s key",
		    acmb_rules_alg_name(alg));
	}
	return r;
}
#endif

int
acmb_csr_keygen(enum acmb_key_alg alg, EVP_PKEY **out, acmb_err *err)
{
	EVP_PKEY *k = NULL;

	*out = NULL;
#ifdef ACMB_TEST_HOOKS
	/* Test builds only: the custody harness must know the key it looks for,
	 * so ACMB_TEST_KEYGEN_FILE names a PEM key to "generate". */
	if (getenv("ACMB_TEST_KEYGEN_FILE") != NULL)
		return test_keygen_from_file(getenv("ACMB_TEST_KEYGEN_FILE"), alg, out, err);
#endif
	switch (alg) {
	case ACMB_ALG_RSA_2048:
		k = EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)2048);
		break;
	case ACMB_ALG_RSA_3072:
		k = EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)3072);
		break;
	case ACMB_ALG_RSA_4096:
		k = EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)4096);
		break;
	case ACMB_ALG_EC_PRIME256V1:
		k = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
		break;
	case ACMB_ALG_EC_SECP384R1:
		k = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-384");
		break;
	case ACMB_ALG_EC_SECP521R1:
		k = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-521");
		break;
	default:
		return acmb_error(err, ACMB_E_USAGE,
		    "key algorithm %s cannot be generated for "
		    "a certificate ACM imports",
		    acmb_rules_alg_name(alg) != NULL ? acmb_rules_alg_name(alg) : "(none)");
	}
	if (k == NULL)
		return acmb_error_ssl(
		    err, ACMB_E_INTERNAL, "cannot generate a %s key", acmb_rules_alg_name(alg));
	*out = k;
	return ACMB_OK;
}

/*
 * Written by hand: OpenSSL parses "/CN=a/O=b" only inside its apps, not in
 * the library, and the AWS CLI's spirit is the "CN=a,O=b" form. Each part is
 * handed to X509_NAME_add_entry_by_txt(), which knows the attribute names.
 */
int
acmb_csr_parse_subject(const char *text, X509_NAME **out, acmb_err *err)
{
	X509_NAME *name = NULL;
	char part[ACMB_CSR_SUBJECT_MAX + 1];
	const char *p = text, *value;
	char *eq;
	size_t n, len = strlen(text);
	int r = ACMB_E_INTERNAL;

	*out = NULL;
	if (len == 0 || len > ACMB_CSR_SUBJECT_MAX) {
		r = acmb_error(err, ACMB_E_USAGE,
		    "--subject must be 1 to %d bytes, like "
		    "\"CN=www.example.com,O=Example Ltd\"",
		    ACMB_CSR_SUBJECT_MAX);
		goto out;
	}
	if ((name = X509_NAME_new()) == NULL) {
		r = acmb_error(err, ACMB_E_NOMEM, "out of memory");
		goto out;
	}
	while (*p != '\0') {
		for (n = 0; *p != '\0' && *p != ','; p++) {
			if (*p == '\\' && p[1] != '\0')
				p++;
			part[n++] = *p;
		}
		part[n] = '\0';
		if (*p == ',')
			p++;
		while (isspace((unsigned char)part[0]))
			memmove(part, part + 1, n--);
		if ((eq = strchr(part, '=')) == NULL || eq == part || eq[1] == '\0') {
			r = acmb_error(err, ACMB_E_USAGE,
			    "--subject: '%s' is not TYPE=VALUE "
			    "(e.g. CN=www.example.com)",
			    part);
			goto out;
		}
		*eq = '\0';
		value = eq + 1;
		if (!X509_NAME_add_entry_by_txt(
		        name, part, MBSTRING_UTF8, (const unsigned char *)value, -1, -1, 0)) {
			r = acmb_error_ssl(err, ACMB_E_USAGE,
			    "--subject: '%s=%s' is not a valid "
			    "attribute (CN, O, OU, C, ST, L, ...)",
			    part, value);
			goto out;
		}
	}
	*out = name;
	name = NULL;
	r = ACMB_OK;
out:
	X509_NAME_free(name);
	return r;
}

/* A DNS name as certificates carry it: LDH labels, an optional leading
 * "*." wildcard, at most 253 characters. */
static int
dns_name_ok(const char *s)
{
	size_t i, len = strlen(s), label = 0;

	if (len == 0 || len > ACMB_CSR_DNS_NAME_MAX)
		return 0;
	if (strncmp(s, "*.", 2) == 0)
		s += 2;
	for (i = 0; s[i] != '\0'; i++) {
		if (s[i] == '.') {
			if (label == 0)
				return 0;
			label = 0;
		} else if (isalnum((unsigned char)s[i]) || s[i] == '-') {
			if (++label > 63)
				return 0;
		} else {
			return 0;
		}
	}
	return label > 0;
}

static int
add_general_name(GENERAL_NAMES *names, int type, const char *value, acmb_err *err)
{
	GENERAL_NAME *gn = NULL;
	ASN1_IA5STRING *ia5 = NULL;
	ASN1_OCTET_STRING *ip = NULL;
	int r = ACMB_E_INTERNAL;

	if (type == GEN_DNS) {
		if (!dns_name_ok(value)) {
			r = acmb_error(err, ACMB_E_USAGE,
			    "--dns-name '%s' is not a DNS name "
			    "(letters, digits, hyphens, dots; optional leading *.)",
			    value);
			goto out;
		}
		if ((ia5 = ASN1_IA5STRING_new()) == NULL ||
		    !ASN1_STRING_set(ia5, value, (int)strlen(value))) {
			r = acmb_error(err, ACMB_E_NOMEM, "out of memory");
			goto out;
		}
	} else if ((ip = a2i_IPADDRESS(value)) == NULL) {
		ERR_clear_error();
		r = acmb_error(err, ACMB_E_USAGE,
		    "--ip-address '%s' is not an IPv4 or IPv6 "
		    "address",
		    value);
		goto out;
	}
	if ((gn = GENERAL_NAME_new()) == NULL) {
		r = acmb_error(err, ACMB_E_NOMEM, "out of memory");
		goto out;
	}
	if (type == GEN_DNS) {
		GENERAL_NAME_set0_value(gn, GEN_DNS, ia5);
		ia5 = NULL;
	} else {
		GENERAL_NAME_set0_value(gn, GEN_IPADD, ip);
		ip = NULL;
	}
	if (!sk_GENERAL_NAME_push(names, gn)) {
		r = acmb_error(err, ACMB_E_NOMEM, "out of memory");
		goto out;
	}
	gn = NULL;
	r = ACMB_OK;
out:
	GENERAL_NAME_free(gn);
	ASN1_IA5STRING_free(ia5);
	ASN1_OCTET_STRING_free(ip);
	return r;
}

int
acmb_csr_build(EVP_PKEY *key, const X509_NAME *subject, const char *const *dns, size_t ndns,
    const char *const *ips, size_t nips, acmb_csr_signer signer, void *ctx, char **pem,
    acmb_err *err)
{
	X509_REQ *req = NULL;
	GENERAL_NAMES *names = NULL;
	STACK_OF(X509_EXTENSION) *exts = NULL;
	BIO *bio = NULL;
	BUF_MEM *mem = NULL;
	char *s = NULL;
	size_t i;
	int r = ACMB_E_INTERNAL;

	*pem = NULL;
	if (ndns > ACMB_CSR_NAMES_MAX || nips > ACMB_CSR_NAMES_MAX - ndns) {
		r = acmb_error(err, ACMB_E_USAGE,
		    "at most %d --dns-name and --ip-address in "
		    "all",
		    ACMB_CSR_NAMES_MAX);
		goto out;
	}
	if ((req = X509_REQ_new()) == NULL || (names = GENERAL_NAMES_new()) == NULL) {
		r = acmb_error(err, ACMB_E_NOMEM, "out of memory");
		goto out;
	}
	for (i = 0; i < ndns; i++)
		if ((r = add_general_name(names, GEN_DNS, dns[i], err)) != ACMB_OK)
			goto out;
	for (i = 0; i < nips; i++)
		if ((r = add_general_name(names, GEN_IPADD, ips[i], err)) != ACMB_OK)
			goto out;
	if (!X509_REQ_set_version(req, X509_REQ_VERSION_1) ||
	    !X509_REQ_set_subject_name(req, subject) || !X509_REQ_set_pubkey(req, key)) {
		r = acmb_error_ssl(err, ACMB_E_INTERNAL, "cannot fill the certificate request");
		goto out;
	}
	if (sk_GENERAL_NAME_num(names) > 0 &&
	    (X509V3_add1_i2d(&exts, NID_subject_alt_name, names, 0, X509V3_ADD_DEFAULT) != 1 ||
	        !X509_REQ_add_extensions(req, exts))) {
		r = acmb_error_ssl(err, ACMB_E_INTERNAL,
		    "cannot add the subjectAltName "
		    "extension");
		goto out;
	}
	if (signer != NULL) {
		if ((r = signer(ctx, req, err)) != ACMB_OK)
			goto out;
	} else if (X509_REQ_sign(req, key, EVP_sha256()) <= 0) {
		r = acmb_error_ssl(err, ACMB_E_INTERNAL, "cannot sign the certificate request");
		goto out;
	}
	if ((bio = BIO_new(BIO_s_mem())) == NULL || !PEM_write_bio_X509_REQ(bio, req) ||
	    BIO_get_mem_ptr(bio, &mem) <= 0 || (s = malloc(mem->length + 1)) == NULL) {
		r = acmb_error_ssl(err, ACMB_E_NOMEM, "cannot encode the certificate request");
		goto out;
	}
	memcpy(s, mem->data, mem->length);
	s[mem->length] = '\0';
	*pem = s;
	s = NULL;
	r = ACMB_OK;
out:
	free(s);
	BIO_free(bio);
	sk_X509_EXTENSION_pop_free(exts, X509_EXTENSION_free);
	GENERAL_NAMES_free(names);
	X509_REQ_free(req);
	return r;
}
