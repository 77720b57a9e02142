/*
 * Controlled key export. A key leaves the token only when its attributes
 * allow it, and only as an EVP_PKEY whose bytes lived in the secure heap:
 *   - sensitive, extractable: wrapped by the token under a one-off AES-256
 *     session key that we made (design.md says why), unwrapped by OpenSSL;
 *   - not sensitive: its components are read and assembled by OpenSSL;
 *   - CKA_WRAP_WITH_TRUSTED: only through a trusted wrapping key named by
 *     the operator (--wrapping-key), copied on the token to a session key;
 *   - CKA_EXTRACTABLE false or CKA_NEVER_EXTRACTABLE true: never.
 */
#ifndef ACMB_P11_EXPORT_H
#define ACMB_P11_EXPORT_H

#include <openssl/evp.h>
#include <p11-kit/pkcs11.h>

#include "error.h"
#include "p11-object.h"
#include "p11-session.h"

enum acmb_p11_export_path {
	ACMB_P11_EXPORT_REFUSED = 0,
	ACMB_P11_EXPORT_WRAPPED,    /* C_WrapKey under our session AES key */
	ACMB_P11_EXPORT_COMPONENTS, /* non-sensitive key, attributes read */
	ACMB_P11_EXPORT_TRUSTED,    /* C_WrapKey under the operator's trusted key */
};

/* Decides how key may leave the token. Returns ACMB_OK with *path set, or
 * ACMB_E_EXPORT with a message naming the attribute that forbids it (and, for
 * CKA_WRAP_WITH_TRUSTED without have_trusted_key, how to name one). */
int acmb_p11_export_plan(const struct acmb_p11_token *t, const struct acmb_p11_object *key,
    int have_trusted_key, enum acmb_p11_export_path *path, acmb_err *err);

/* "wrapped", "components", "trusted-wrap" or "refused". Static string. */
const char *acmb_p11_export_path_name(enum acmb_p11_export_path path);

/* Reusable state for many exports in one process (OpenSSL decoder chains,
 * ciphers, the last EC curve; never key material). Optional: pass NULL for
 * one export. Free with acmb_p11_exporter_free(), which accepts NULL. */
struct acmb_p11_exporter;
int acmb_p11_exporter_new(struct acmb_p11_exporter **out, acmb_err *err);
void acmb_p11_exporter_free(struct acmb_p11_exporter *x);

/* Exports key along path (from acmb_p11_export_plan) into a new EVP_PKEY.
 * x may be NULL. pub is the certificate's public key (EC components need
 * the point; NULL makes us look for the public key object with the same
 * CKA_ID); trusted is the trusted wrapping key for ACMB_P11_EXPORT_TRUSTED.
 * Every object we create on the token is destroyed before return, on every
 * path. Caller frees *out with EVP_PKEY_free(). */
int acmb_p11_export_key(struct acmb_p11_exporter *x, const struct acmb_p11_token *t,
    CK_SESSION_HANDLE s, const struct acmb_p11_object *key, enum acmb_p11_export_path path,
    CK_OBJECT_HANDLE trusted, EVP_PKEY *pub, EVP_PKEY **out, acmb_err *err);

/* The OpenSSL name of the wrapping mechanism the token offers, best first
 * (CKM_AES_KEY_WRAP_PAD, CKM_AES_KEY_WRAP, CKM_AES_CBC_PAD); for bench/. */
int acmb_p11_wrap_mechanism(
    const struct acmb_p11_token *t, CK_MECHANISM_TYPE *mech, const char **cipher, acmb_err *err);

#ifdef ACMB_TEST_HOOKS
/* Session secret-key objects still visible on the token right after the
 * last export returned (our wrapping key must never be among them). */
extern long acmb_p11_test_secret_keys_after_export;

/* The wrap path's last step alone: der (an unwrapped PrivateKeyInfo as a
 * token gives it, zero padding included) into a new EVP_PKEY through x (not
 * NULL). Caller frees *out with EVP_PKEY_free(). */
int acmb_p11_test_decode(struct acmb_p11_exporter *x, const unsigned char *der, size_t len,
    CK_KEY_TYPE kt, EVP_PKEY **out, acmb_err *err);

/* After the last decode: 1 when the EC key was assembled from its scalar,
 * 0 when OpenSSL's PKCS#8 decoder took it. */
extern int acmb_p11_test_ec_assembled;
#endif

#endif
