#include "keyload.h"

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/asn1.h>
#include <openssl/bio.h>
#include <openssl/buffer.h>
#include <openssl/core_names.h>
#include <openssl/decoder.h>
#include <openssl/encoder.h>
#include <openssl/err.h>
#include <openssl/objects.h>
#include <openssl/pem.h>
#include <openssl/provider.h>
#include <openssl/x509.h>

#include "pem.h"

/* Room for the PKCS#8 PEM of the largest key we accept (16384-bit RSA is
 * about 13 KiB). */
#define KEYLOAD_PEM_MAX ((size_t)64 << 10)

/* Refuses to ask anyone: without a passphrase from the operator an encrypted
 * key must fail, never prompt on a terminal. */
static int
no_passphrase_cb(char *buf, int size, int rwflag, void *u)
{
	(void)buf;
	(void)size;
	(void)rwflag;
	(void)u;
	return -1;
}

static void
format_from_pem_type(const char *type, struct acmb_keyload_info *info)
{
	const char *f = "PKCS#8";

	if (strcmp(type, "RSA PRIVATE KEY") == 0)
		f = "PKCS#1";
	else if (strcmp(type, "EC PRIVATE KEY") == 0)
		f = "SEC1";
	else if (strcmp(type, "DSA PRIVATE KEY") == 0)
		f = "DSA";
	snprintf(info->format, sizeof(info->format), "%s", f);
}

/* Kept for the life of the process: keys decoded through it may still refer
 * to its algorithms. */
static OSSL_PROVIDER *legacy_provider;

int
acmb_keyload_legacy_provider(void)
{
	if (legacy_provider != NULL)
		return 0;
	/* retain_fallbacks=1: the default provider stays available. */
	legacy_provider = OSSL_PROVIDER_try_load(NULL, "legacy", 1);
	ERR_clear_error();
	return legacy_provider != NULL;
}

/*
 * Building a decoder context walks every decoder of every provider: about
 * 4 million instructions, more than all the rules of a check together. For
 * unencrypted keys one context per input type (and, for RSA and EC, per
 * structure and key type) is built on first use and kept until exit. A
 * cached context never holds a secret: no passphrase is set on
 * it (encrypted keys get a fresh context each time, freed with the
 * passphrase copy), and the key it builds is moved out of its slot at once.
 * The decoder writes the key through the slot's address, which is why the
 * slot lives beside the context. Not thread-safe, like the rest of the
 * loader's process state (the legacy provider).
 */
struct keyload_cached_dctx {
	const char *input_type;
	const char *structure; /* NULL: any */
	const char *keytype;   /* NULL: any */
	OSSL_DECODER_CTX *dctx;
	EVP_PKEY *slot;
};

/* The generic contexts, and narrow ones for the key types ACM takes: a
 * context told the structure and key type runs a few decoders instead of
 * every one, less than half the work per key. */
static struct keyload_cached_dctx keyload_dctx_cache[] = {
    {"DER", NULL, NULL, NULL, NULL},
    {"PEM", NULL, NULL, NULL, NULL},
    {"DER", "PrivateKeyInfo", "RSA", NULL, NULL},
    {"DER", "PrivateKeyInfo", "EC", NULL, NULL},
    {"DER", "type-specific", "RSA", NULL, NULL},
    {"DER", "type-specific", "EC", NULL, NULL},
};
static int keyload_cache_atexit;

static void
keyload_cache_free(void)
{
	size_t i;

	for (i = 0; i < sizeof(keyload_dctx_cache) / sizeof(keyload_dctx_cache[0]); i++) {
		OSSL_DECODER_CTX_free(keyload_dctx_cache[i].dctx);
		keyload_dctx_cache[i].dctx = NULL;
		EVP_PKEY_free(keyload_dctx_cache[i].slot);
		keyload_dctx_cache[i].slot = NULL;
	}
}

static int
same_or_both_null(const char *a, const char *b)
{
	return a == NULL || b == NULL ? a == b : strcmp(a, b) == 0;
}

/* Returns the process's decoder context for unencrypted keys of this input
 * type, structure and key type, and points *slot at where it puts the key;
 * NULL when there is none. */
static OSSL_DECODER_CTX *
keyload_cached_dctx(
    const char *input_type, const char *structure, const char *keytype, EVP_PKEY ***slot)
{
	struct keyload_cached_dctx *c = NULL;
	size_t i;

	for (i = 0; i < sizeof(keyload_dctx_cache) / sizeof(keyload_dctx_cache[0]); i++)
		if (strcmp(keyload_dctx_cache[i].input_type, input_type) == 0 &&
		    same_or_both_null(keyload_dctx_cache[i].structure, structure) &&
		    same_or_both_null(keyload_dctx_cache[i].keytype, keytype))
			c = &keyload_dctx_cache[i];
	if (c == NULL)
		return NULL;
	if (c->dctx == NULL) {
		if (!keyload_cache_atexit) {
			/* Registered after OpenSSL's own exit handler, so it
			 * runs before OpenSSL is torn down. */
			if (atexit(keyload_cache_free) != 0)
				return NULL;
			keyload_cache_atexit = 1;
		}
		c->dctx = OSSL_DECODER_CTX_new_for_pkey(
		    &c->slot, input_type, structure, keytype, EVP_PKEY_KEYPAIR, NULL, NULL);
		if (c->dctx == NULL || OSSL_DECODER_CTX_get_num_decoders(c->dctx) == 0 ||
		    !OSSL_DECODER_CTX_set_pem_password_cb(c->dctx, no_passphrase_cb, NULL)) {
			OSSL_DECODER_CTX_free(c->dctx);
			c->dctx = NULL;
			return NULL;
		}
	}
	EVP_PKEY_free(c->slot);
	c->slot = NULL;
	*slot = &c->slot;
	return c->dctx;
}

/*
 * Decodes an unencrypted DER key whose structure and type are known, with a
 * narrow cached context. All of der must be the key. Returns 1 with *key
 * set, or 0: the caller then takes the general path, which gives the same
 * keys and the errors users see.
 */
static int
try_decode_known(const unsigned char *der, size_t der_len, const char *structure,
    const char *keytype, EVP_PKEY **key)
{
	OSSL_DECODER_CTX *dctx;
	const unsigned char *p = der;
	size_t left = der_len;
	EVP_PKEY **slot = NULL;
	int ok = 0;

	if ((dctx = keyload_cached_dctx("DER", structure, keytype, &slot)) == NULL)
		goto out;
	if (OSSL_DECODER_from_data(dctx, &p, &left) && *slot != NULL && left == 0) {
		*key = *slot;
		*slot = NULL;
		ok = 1;
	}
	EVP_PKEY_free(*slot);
	*slot = NULL;
out:
	ERR_clear_error();
	return ok;
}

/* The key type a PKCS#8 PrivateKeyInfo names, when it is one with a narrow
 * context; NULL otherwise. */
static const char *
pkcs8_keytype(const PKCS8_PRIV_KEY_INFO *p8)
{
	const ASN1_OBJECT *alg = NULL;

	if (!PKCS8_pkey_get0(&alg, NULL, NULL, NULL, p8) || alg == NULL)
		return NULL;
	switch (OBJ_obj2nid(alg)) {
	case NID_rsaEncryption:
		return "RSA";
	case NID_X9_62_id_ecPublicKey:
		return "EC";
	default:
		return NULL;
	}
}

/* One decoding attempt. structure may be NULL (any). Returns 1 on success. */
static int
try_decode(const unsigned char *data, size_t len, const char *input_type, const char *structure,
    const char *pass, size_t passlen, EVP_PKEY **key)
{
	OSSL_DECODER_CTX *dctx = NULL, *cached = NULL;
	const unsigned char *p = data;
	size_t left = len;
	EVP_PKEY *k = NULL, **slot = &k;
	int ok = 0;

	if (pass == NULL && structure == NULL)
		cached = keyload_cached_dctx(input_type, NULL, NULL, &slot);
	if (cached == NULL) {
		slot = &k;
		dctx = OSSL_DECODER_CTX_new_for_pkey(
		    &k, input_type, structure, NULL, EVP_PKEY_KEYPAIR, NULL, NULL);
		if (dctx == NULL || OSSL_DECODER_CTX_get_num_decoders(dctx) == 0)
			goto out;
		if (pass != NULL) {
			if (!OSSL_DECODER_CTX_set_passphrase(
			        dctx, (const unsigned char *)pass, passlen))
				goto out;
		} else if (!OSSL_DECODER_CTX_set_pem_password_cb(dctx, no_passphrase_cb, NULL)) {
			goto out;
		}
	}
	/* All of the input must be the key: trailing bytes mean garbage. */
	if (!OSSL_DECODER_from_data(cached != NULL ? cached : dctx, &p, &left) || *slot == NULL ||
	    (strcmp(input_type, "DER") == 0 && left != 0))
		goto out;
	*key = *slot;
	*slot = NULL;
	ok = 1;
out:
	EVP_PKEY_free(*slot);
	*slot = NULL;
	OSSL_DECODER_CTX_free(dctx);
	return ok;
}

/* Keys encrypted before OpenSSL 3 (DES-CBC legacy PEM, PBES1 PKCS#8 with
 * MD5 or DES) need the legacy provider: it is loaded only when a decryption
 * has failed without it, and the attempt repeated once. */
static int
try_decrypt(const unsigned char *data, size_t len, const char *input_type, const char *structure,
    const char *pass, size_t passlen, EVP_PKEY **key)
{
	if (try_decode(data, len, input_type, structure, pass, passlen, key))
		return 1;
	ERR_clear_error();
	return acmb_keyload_legacy_provider() &&
	       try_decode(data, len, input_type, structure, pass, passlen, key);
}

/* DER carries no name: encryption and structure are found by parsing. */
static int
decode_der(const unsigned char *data, size_t len, const char *pass, size_t passlen, EVP_PKEY **key,
    struct acmb_keyload_info *info, acmb_err *err)
{
	const unsigned char *p = data;
	PKCS8_PRIV_KEY_INFO *p8 = NULL;
	X509_SIG *sig = NULL;
	const char *keytype = NULL;
	int is_pkcs8 = 0, r = ACMB_E_INTERNAL;

	/* An EncryptedPrivateKeyInfo is an X509_SIG-shaped SEQUENCE. */
	if ((sig = d2i_X509_SIG(NULL, &p, (long)len)) != NULL && p == data + len) {
		info->encrypted = 1;
		snprintf(info->format, sizeof(info->format), "PKCS#8");
		if (pass == NULL) {
			r = acmb_error(err, ACMB_E_RULE, "the key is encrypted (PKCS#8)");
			goto out;
		}
		if (!try_decrypt(data, len, "DER", "EncryptedPrivateKeyInfo", pass, passlen, key)) {
			r = acmb_error(err, ACMB_E_PASSPHRASE, "wrong passphrase");
			goto out;
		}
		r = ACMB_OK;
		goto out;
	}
	/* The decoders' structure hint is not strict for DER (a PKCS#1 key
	 * decodes under "PrivateKeyInfo"), so the format is told by parsing. */
	p = data;
	if ((p8 = d2i_PKCS8_PRIV_KEY_INFO(NULL, &p, (long)len)) != NULL && p == data + len)
		is_pkcs8 = 1;
	if (!(is_pkcs8 && (keytype = pkcs8_keytype(p8)) != NULL &&
	        try_decode_known(data, len, "PrivateKeyInfo", keytype, key)) &&
	    !try_decode(data, len, "DER", NULL, NULL, 0, key)) {
		r = acmb_error(err, ACMB_E_PARSE, "not a private key in PEM or DER form");
		goto out;
	}
	snprintf(info->format, sizeof(info->format), "%s",
	    is_pkcs8                     ? "PKCS#8"
	    : EVP_PKEY_is_a(*key, "RSA") ? "PKCS#1"
	    : EVP_PKEY_is_a(*key, "EC")  ? "SEC1"
	                                 : "type-specific");
	r = ACMB_OK;
out:
	PKCS8_PRIV_KEY_INFO_free(p8);
	X509_SIG_free(sig);
	ERR_clear_error();
	return r;
}

/* An unencrypted PEM key of a type ACM takes, from its decoded body, by a
 * narrow context. Returns 1 with *key set, 0 to take the general path. */
static int
pem_known_key(const char *pem_type, const unsigned char *der, size_t der_len, EVP_PKEY **key)
{
	PKCS8_PRIV_KEY_INFO *p8 = NULL;
	const unsigned char *p = der;
	const char *keytype;
	int ok = 0;

	if (strcmp(pem_type, "RSA PRIVATE KEY") == 0)
		return try_decode_known(der, der_len, "type-specific", "RSA", key);
	if (strcmp(pem_type, "EC PRIVATE KEY") == 0)
		return try_decode_known(der, der_len, "type-specific", "EC", key);
	if (strcmp(pem_type, "PRIVATE KEY") != 0 || der_len > LONG_MAX)
		return 0;
	if ((p8 = d2i_PKCS8_PRIV_KEY_INFO(NULL, &p, (long)der_len)) != NULL && p == der + der_len &&
	    (keytype = pkcs8_keytype(p8)) != NULL)
		ok = try_decode_known(der, der_len, "PrivateKeyInfo", keytype, key);
	PKCS8_PRIV_KEY_INFO_free(p8);
	ERR_clear_error();
	return ok;
}

static int
decode_pem(const unsigned char *data, size_t len, const char *pem_type, const char *pass,
    size_t passlen, EVP_PKEY **key, struct acmb_keyload_info *info, acmb_err *err)
{
	unsigned char *der = NULL;
	size_t der_len = 0;
	int legacy = 0, r;

	format_from_pem_type(pem_type, info);
	/* Decoding the body first tells a bad base64 body from a bad key. */
	if ((r = acmb_pem_decode((const char *)data, len, &der, &der_len, &legacy, err)) != ACMB_OK)
		goto out;
	if (legacy)
		info->encrypted = 2;
	else if (strcmp(pem_type, "ENCRYPTED PRIVATE KEY") == 0)
		info->encrypted = 1;
	if (info->encrypted && pass == NULL) {
		r = acmb_error(err, ACMB_E_RULE, "the key is encrypted (%s)",
		    legacy ? "legacy Proc-Type PEM" : "PKCS#8");
		goto out;
	}
	if (!info->encrypted && pem_known_key(pem_type, der, der_len, key)) {
		r = ACMB_OK;
		goto out;
	}
	/* The PEM text itself goes to the decoder: it reads Proc-Type and
	 * DEK-Info and decrypts legacy keys, which plain DER cannot express. */
	if (info->encrypted ? !try_decrypt(data, len, "PEM", NULL, pass, passlen, key)
	                    : !try_decode(data, len, "PEM", NULL, NULL, 0, key)) {
		if (info->encrypted)
			r = acmb_error(err, ACMB_E_PASSPHRASE, "wrong passphrase");
		else
			r = acmb_error_ssl(
			    err, ACMB_E_PARSE, "the %s block is not a valid private key", pem_type);
		goto out;
	}
	r = ACMB_OK;
out:
	acmb_pem_der_free(der, der_len);
	ERR_clear_error();
	return r;
}

int
acmb_keyload_decode(const unsigned char *data, size_t len, const char *pem_type, const char *pass,
    size_t passlen, EVP_PKEY **key, struct acmb_keyload_info *info, acmb_err *err)
{
	*key = NULL;
	memset(info, 0, sizeof(*info));
	if (len == 0 || len > LONG_MAX)
		return acmb_error(err, ACMB_E_PARSE, "empty or oversized key");
	if (pem_type != NULL)
		return decode_pem(data, len, pem_type, pass, passlen, key, info, err);
	return decode_der(data, len, pass, passlen, key, info, err);
}

int
acmb_keyload_pkcs8_pem(EVP_PKEY *key, acmb_secbuf **pem, acmb_err *err)
{
	OSSL_ENCODER_CTX *ectx = NULL;
	acmb_secbuf *b = NULL;
	BIO *bio = NULL;
	BUF_MEM *mem = NULL;
	int r = ACMB_E_INTERNAL;

	*pem = NULL;
	if (key == NULL)
		return acmb_error(err, ACMB_E_INTERNAL, "no private key to encode");
	/* A secmem BIO keeps the encoder's output in the secure heap; it is
	 * wiped when the BIO is freed. */
	if ((bio = BIO_new(BIO_s_secmem())) == NULL ||
	    (b = acmb_secbuf_new(KEYLOAD_PEM_MAX)) == NULL) {
		r = acmb_error(err, ACMB_E_NOMEM, "out of secure memory encoding the key");
		goto out;
	}
	ectx = OSSL_ENCODER_CTX_new_for_pkey(key, EVP_PKEY_KEYPAIR, "PEM", "PrivateKeyInfo", NULL);
	if (ectx == NULL || OSSL_ENCODER_CTX_get_num_encoders(ectx) == 0) {
		r = acmb_error_ssl(err, ACMB_E_INTERNAL, "no PKCS#8 encoder for this key");
		goto out;
	}
	if (!OSSL_ENCODER_to_bio(ectx, bio) || BIO_get_mem_ptr(bio, &mem) <= 0 || mem == NULL) {
		r = acmb_error_ssl(err, ACMB_E_INTERNAL, "cannot encode the key as PKCS#8");
		goto out;
	}
	if ((r = acmb_secbuf_put(b, mem->data, mem->length)) != ACMB_OK) {
		r = acmb_error(err, r, "encoded key does not fit in %zu bytes", KEYLOAD_PEM_MAX);
		goto out;
	}
	*pem = b;
	b = NULL;
	r = ACMB_OK;
out:
	OSSL_ENCODER_CTX_free(ectx);
	BIO_free(bio);
	acmb_secbuf_free(b);
	return r;
}

/* Length of a DER TLV whose contents are len bytes (definite length). */
static size_t
der_tlv_len(size_t len)
{
	size_t n = 2, rest;

	/* Long form past 127: one byte more per byte of the length. */
	if (len > 0x7f)
		for (rest = len; rest > 0; rest >>= 8)
			n++;
	return n + len;
}

/*
 * The PKCS#8 DER length of a named-curve EC key, computed by hand because
 * every OpenSSL path to it (OSSL_ENCODER, EVP_PKEY2PKCS8, i2d_*) builds an
 * encoder context, about 0.7 million instructions, a seventh of an EC check.
 * It needs public values only: the private scalar is always written padded
 * to the group order's byte length. The layout is what OpenSSL 3's
 * PrivateKeyInfo encoder writes: SEQUENCE { INTEGER 0, SEQUENCE { OID
 * id-ecPublicKey, OID curve }, OCTET STRING { ECPrivateKey SEQUENCE {
 * INTEGER 1, OCTET STRING scalar, [1] BIT STRING public point } } }, with
 * no [0] parameters inside. Returns 0 for any other key or setting
 * (explicit parameters, no public key in the encoding), which the caller
 * then measures by encoding.
 */
static size_t
pkcs8_der_len_named_ec(EVP_PKEY *key)
{
	char group[64], encoding[32];
	ASN1_OBJECT *oid = NULL;
	size_t glen = 0, elen = 0, publen = 0, oidlen, ec_priv, len = 0;
	int bits, include_public = 1, nid, n;

	if (!EVP_PKEY_is_a(key, "EC") ||
	    !EVP_PKEY_get_utf8_string_param(
	        key, OSSL_PKEY_PARAM_GROUP_NAME, group, sizeof(group), &glen) ||
	    !EVP_PKEY_get_utf8_string_param(
	        key, OSSL_PKEY_PARAM_EC_ENCODING, encoding, sizeof(encoding), &elen) ||
	    strcmp(encoding, OSSL_PKEY_EC_ENCODING_GROUP) != 0 ||
	    (EVP_PKEY_get_int_param(key, OSSL_PKEY_PARAM_EC_INCLUDE_PUBLIC, &include_public) &&
	        include_public == 0) ||
	    !EVP_PKEY_get_octet_string_param(key, OSSL_PKEY_PARAM_PUB_KEY, NULL, 0, &publen) ||
	    publen == 0 || publen > 1024 || (bits = EVP_PKEY_get_bits(key)) <= 0 || bits > 8192)
		goto out;
	if ((nid = OBJ_sn2nid(group)) == NID_undef)
		nid = OBJ_ln2nid(group);
	if (nid == NID_undef || (oid = OBJ_nid2obj(nid)) == NULL ||
	    (n = i2d_ASN1_OBJECT(oid, NULL)) <= 0)
		goto out;
	oidlen = (size_t)n;
	ec_priv = der_tlv_len(
	    3 + der_tlv_len((size_t)(bits + 7) / 8) + der_tlv_len(der_tlv_len(1 + publen)));
	/* id-ecPublicKey, 1.2.840.10045.2.1, is 9 bytes of DER. */
	len = der_tlv_len(3 + der_tlv_len(9 + oidlen) + der_tlv_len(ec_priv));
out:
	ASN1_OBJECT_free(oid);
	ERR_clear_error();
	return len;
}

/* PEM_write_bio's layout: the label lines, then base64 in lines of 64
 * characters, each line ended by a newline. */
static size_t
pkcs8_pem_len_from_der(size_t der_len)
{
	static const char begin[] = "-----BEGIN PRIVATE KEY-----\n";
	static const char end[] = "-----END PRIVATE KEY-----\n";
	size_t b64 = (der_len + 2) / 3 * 4;

	return sizeof(begin) - 1 + b64 + (b64 + 63) / 64 + sizeof(end) - 1;
}

int
acmb_keyload_pkcs8_pem_len(EVP_PKEY *key, size_t *len, acmb_err *err)
{
	acmb_secbuf *pem = NULL;
	size_t der_len;
	int r;

	*len = 0;
	if (key == NULL)
		return acmb_error(err, ACMB_E_INTERNAL, "no private key to encode");
	if ((der_len = pkcs8_der_len_named_ec(key)) != 0) {
		*len = pkcs8_pem_len_from_der(der_len);
		return ACMB_OK;
	}
	if ((r = acmb_keyload_pkcs8_pem(key, &pem, err)) != ACMB_OK)
		return r;
	*len = acmb_secbuf_len(pem);
	acmb_secbuf_free(pem);
	return ACMB_OK;
}
