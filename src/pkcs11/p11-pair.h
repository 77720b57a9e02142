/*
 * Which private key on a token belongs to a certificate. One rule for every
 * caller, so that `import` (the PKCS#11 source) and `list` never disagree
 * about the same token.
 */
#ifndef ACMB_P11_PAIR_H
#define ACMB_P11_PAIR_H

#include <stddef.h>

#include <openssl/x509.h>
#include <p11-kit/pkcs11.h>

#include "error.h"
#include "p11-session.h"

/* Finds the private key of certificate leaf (whose token object has the
 * CKA_ID id, id_len bytes, 0 for none) on the token of session s: the one
 * private key with that CKA_ID; else the first private key whose CKA_MODULUS
 * or CKA_EC_POINT is the certificate's public key; else the first public key
 * object with that public key, whose CKA_ID then names exactly one private
 * key. Private keys are seen only in a logged-in session. Returns ACMB_OK
 * with *key set, or CK_INVALID_HANDLE when none pairs; ACMB_E_PARSE when
 * the certificate's public key cannot be read; token errors as
 * acmb_p11_find(). */
int acmb_p11_pair_key(const struct acmb_p11_token *t, CK_SESSION_HANDLE s, X509 *leaf,
    const unsigned char *id, size_t id_len, CK_OBJECT_HANDLE *key, acmb_err *err);

#endif
