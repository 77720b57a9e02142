/*
 * A token as a key store: a key pair generated inside the token (sensitive,
 * extractable), a certificate request signed there (C_Sign), and the issued
 * certificate and chain stored next to the key (C_CreateObject), so that
 * the token stays the system of record. The private key never leaves here;
 * its export is p11-export.h's, through the audited PKCS#11 source.
 */
#ifndef ACMB_P11_KEYSTORE_H
#define ACMB_P11_KEYSTORE_H

#include <stddef.h>

#include <openssl/evp.h>
#include <openssl/x509.h>

#include "error.h"
#include "p11-cache.h"
#include "p11-session.h"
#include "p11-uri.h"

/* What kind of key pair to make: exactly one of the two is non-zero. */
struct acmb_p11_keygen_params {
	int rsa_bits; /* 2048, 3072 or 4096 (public exponent 65537) */
	int ec_nid;   /* NID_X9_62_prime256v1, NID_secp384r1 or NID_secp521r1 */
};

struct acmb_p11_keystore;

/* Finds the one token uri matches (on the module at module_path, or the
 * URI's module-path, or p11-kit's registered modules), through cache (the
 * run's modules, sessions and logins; borrowed, must outlive *out): a
 * read-write session, logged in once for the run (the PIN as
 * acmb_p11_cache_login() takes it). The URI must name the key's label
 * (object=, 1 to ACMB_P11_LABEL_MAX bytes); id= is optional (a random
 * 16-byte CKA_ID is made for a new key). uri is borrowed and must outlive
 * *out; its pin-value is taken. Messages name the option --key-store.
 * Caller frees *out with acmb_p11_keystore_close(). */
int acmb_p11_keystore_open(struct acmb_p11_cache *cache, struct acmb_p11_uri *uri,
    const char *module_path, const struct acmb_p11_pin_spec *pin, struct acmb_p11_keystore **out,
    acmb_err *err);

/* Frees (the session and the login are the cache's). Accepts NULL. */
void acmb_p11_keystore_close(struct acmb_p11_keystore *ks);

/* Forgets the session but keeps what was learnt (token serial, label, id),
 * once the key store's work is done. Later calls other than the accessors
 * and _close() fail. Idempotent. */
void acmb_p11_keystore_release(struct acmb_p11_keystore *ks);

/* Generates a key pair (CKA_TOKEN, CKA_PRIVATE, CKA_SENSITIVE and
 * CKA_EXTRACTABLE true) with the URI's label and id. Refuses (ACMB_E_TOKEN)
 * when a private key with that label or id is there already. *pub is the
 * public key; caller frees it with EVP_PKEY_free(). */
int acmb_p11_keystore_generate(struct acmb_p11_keystore *ks,
    const struct acmb_p11_keygen_params *params, EVP_PKEY **pub, acmb_err *err);

/* Finds the one existing private key with the URI's label and its public
 * key object (same CKA_ID); *pub as above. ACMB_E_TOKEN when there is not
 * exactly one, or no public key to go with it. */
int acmb_p11_keystore_find(struct acmb_p11_keystore *ks, EVP_PKEY **pub, acmb_err *err);

/* Signs req (public key, subject and extensions set) inside the token with
 * the key generated or found: CKM_SHA256_RSA_PKCS, or CKM_ECDSA over a
 * SHA-256 digest with r||s turned into DER. Verifies the result with the
 * request's public key. */
int acmb_p11_keystore_sign_csr(struct acmb_p11_keystore *ks, X509_REQ *req, acmb_err *err);

/* Stores leaf (with the key's CKA_ID and label, category token user) and
 * chain (label "LABEL-chain", category authority) as CKO_CERTIFICATE token
 * objects; a certificate already stored under its label is not stored
 * twice. ACMB_E_TOKEN when the key already has a different leaf. */
int acmb_p11_keystore_store(
    struct acmb_p11_keystore *ks, X509 *leaf, STACK_OF(X509) *chain, acmb_err *err);

/* The number of private keys labelled with the URI's label, in *n. */
int acmb_p11_keystore_count(struct acmb_p11_keystore *ks, size_t *n, acmb_err *err);

/* Retires the pair _find() found: first destroys the objects (certificate,
 * public and private key) labelled retired_label whose CKA_ID is not the
 * pair's (an older retired pair), then relabels the pair's objects to
 * retired_label (C_SetAttributeValue, the private key last). Afterwards the
 * URI's label is free and the next _generate() makes a new id. A call after
 * a failure at any step finishes the same work. ACMB_E_USAGE when the URI
 * names id= (every key under it would share that id).
 * WARNING: the older retired pair is gone for good; the caller must know
 * that nothing still uses it. */
int acmb_p11_keystore_retire(
    struct acmb_p11_keystore *ks, const char *retired_label, acmb_err *err);

/* As _store(), but first destroys the leaf certificates stored for the key
 * (its CKA_ID) that are not leaf: a new certificate for a kept key. */
int acmb_p11_keystore_replace(
    struct acmb_p11_keystore *ks, X509 *leaf, STACK_OF(X509) *chain, acmb_err *err);

/* The token's serial and label, the key's label (NUL-terminated) and id
 * (*id_len bytes). Owned by ks, valid until _close(). */
const char *acmb_p11_keystore_token_serial(const struct acmb_p11_keystore *ks);
const char *acmb_p11_keystore_token_label(const struct acmb_p11_keystore *ks);
const char *acmb_p11_keystore_key_label(const struct acmb_p11_keystore *ks);
const unsigned char *acmb_p11_keystore_key_id(const struct acmb_p11_keystore *ks, size_t *id_len);

#endif
