/*
 * Private key decoding and decryption with OSSL_DECODER: PKCS#1, PKCS#8 and
 * SEC1, encrypted PKCS#8 and legacy Proc-Type encrypted PEM, PEM or DER.
 * Decrypted key bytes exist only inside OpenSSL (secure heap or the wiping
 * allocator); what leaves is an EVP_PKEY or unencrypted PKCS#8 PEM in a secbuf.
 */
#ifndef ACMB_KEYLOAD_H
#define ACMB_KEYLOAD_H

#include <stddef.h>

#include <openssl/evp.h>

#include "error.h"
#include "secmem.h"

/* The format a key arrived in, for info[].key_format and flags. */
struct acmb_keyload_info {
	char format[16]; /* "PKCS#1", "PKCS#8", "SEC1", or the key type */
	int encrypted;   /* 1: encrypted PKCS#8, 2: legacy Proc-Type PEM */
};

/* Decodes one private key. pem_type is the PEM block's type with data its
 * whole block text, or NULL with data DER. pass (passlen bytes, may be NULL)
 * is used only when the key is encrypted. Returns ACMB_OK with *key set;
 * ACMB_E_RULE when the key is encrypted and pass is NULL; ACMB_E_PASSPHRASE
 * when decryption failed (wrong passphrase); ACMB_E_PARSE when it is not a
 * private key. err's message names no field: the caller prefixes one.
 * Caller frees *key with EVP_PKEY_free(). */
int acmb_keyload_decode(const unsigned char *data, size_t len, const char *pem_type,
    const char *pass, size_t passlen, EVP_PKEY **key, struct acmb_keyload_info *info,
    acmb_err *err);

/* Loads OpenSSL's legacy provider (RC2, DES, MD5-based PBE) into the
 * default library context, once for the process, keeping the default
 * provider. Returns 1 when this call loaded it, 0 when it was loaded before
 * or cannot be loaded. */
int acmb_keyload_legacy_provider(void);

/* Encodes key as unencrypted PKCS#8 PEM ("BEGIN PRIVATE KEY") into a new
 * secure buffer, through secure memory only. Caller frees *pem with
 * acmb_secbuf_free(). */
int acmb_keyload_pkcs8_pem(EVP_PKEY *key, acmb_secbuf **pem, acmb_err *err);

/* Sets *len to the exact length of what acmb_keyload_pkcs8_pem() writes for
 * key. Named-curve EC keys are measured from public values without
 * encoding; other keys are encoded once into the secure heap and measured.
 * Returns ACMB_OK, or acmb_keyload_pkcs8_pem()'s error. */
int acmb_keyload_pkcs8_pem_len(EVP_PKEY *key, size_t *len, acmb_err *err);

#endif
