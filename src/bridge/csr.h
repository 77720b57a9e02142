/*
 * Keys and certificate signing requests for the issue flow, made with
 * OpenSSL's provider-era APIs. Private key parts live in OpenSSL's secure
 * heap (acmb_init() starts it; OpenSSL allocates RSA and EC private BIGNUMs
 * there), and EVP_PKEY_free() clears them.
 */
#ifndef ACMB_CSR_H
#define ACMB_CSR_H

#include <stddef.h>

#include <openssl/evp.h>
#include <openssl/x509.h>

#include "acm/rules.h"
#include "error.h"

#define ACMB_CSR_SUBJECT_MAX 1024 /* --subject, in bytes */
#define ACMB_CSR_DNS_NAME_MAX 253
#define ACMB_CSR_NAMES_MAX 100 /* SANs of one request */

/* Generates a key pair of alg (RSA 2048-4096, EC P-256/P-384/P-521) in
 * memory. On ACMB_OK *out is the key; caller frees with EVP_PKEY_free(). */
int acmb_csr_keygen(enum acmb_key_alg alg, EVP_PKEY **out, acmb_err *err);

/* Parses "CN=www.example.com,O=Example Ltd" (RFC 4514 order as written;
 * "\," escapes a comma) into a new X509_NAME. Unknown attribute types and
 * empty values are ACMB_E_USAGE naming the part. Caller frees with
 * X509_NAME_free(). */
int acmb_csr_parse_subject(const char *text, X509_NAME **out, acmb_err *err);

/* Signs a request whose public key, subject and extensions are set (a key
 * on a token, see issue-token.h). Returns ACMB_OK or an error in err. */
typedef int (*acmb_csr_signer)(void *ctx, X509_REQ *req, acmb_err *err);

/* Builds a PKCS#10 request for key with subject and subjectAltName DNS and IP
 * entries (either list may be empty). Without signer, key is the private
 * key and signs with SHA-256; with one, key is the public key and
 * signer(ctx, ...) signs. Names are checked (DNS syntax and length, IP
 * literal). On ACMB_OK *pem is the request in PEM, NUL-terminated, plain
 * heap (a CSR holds no secret); caller free()s it. */
int acmb_csr_build(EVP_PKEY *key, const X509_NAME *subject, const char *const *dns, size_t ndns,
    const char *const *ips, size_t nips, acmb_csr_signer signer, void *ctx, char **pem,
    acmb_err *err);

#endif
