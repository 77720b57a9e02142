/*
 * PKCS#12 bundles: certificate, private key and CA certificates in one
 * passphrase-protected file, decoded from the secure heap.
 */
#ifndef ACMB_PKCS12_H
#define ACMB_PKCS12_H

#include <stddef.h>

#include <openssl/evp.h>
#include <openssl/x509.h>

#include "error.h"

/* Decodes a DER PKCS#12 bundle with pass (NUL-terminated, may be NULL for an
 * unprotected bundle). On ACMB_OK: *key, the *leaf certificate matching it,
 * and *chain, the other certificates ordered leaf's issuer first (possibly
 * empty, never NULL). Returns ACMB_E_PASSPHRASE when the passphrase is
 * missing or wrong, ACMB_E_PARSE when data is not a usable bundle. Legacy
 * (RC2/3DES) bundles load OpenSSL's legacy provider once, for the process.
 * Caller frees *key, *leaf and *chain (sk_X509_pop_free). */
int acmb_pkcs12_parse(const unsigned char *data, size_t len, const char *pass, EVP_PKEY **key,
    X509 **leaf, STACK_OF(X509) **chain, acmb_err *err);

#endif
