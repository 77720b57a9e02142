#include "p11-export.h"

#include <stdio.h>
#include <string.h>

#include <openssl/asn1.h>
#include <openssl/asn1t.h>
#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/decoder.h>
#include <openssl/ec.h>
#include <openssl/err.h>
#include <openssl/objects.h>
#include <openssl/param_build.h>
#include <openssl/rand.h>
#include <openssl/x509.h>

#include "p11-rv.h"
#include "secmem.h"

#define WRAP_KEY_LEN 32
/* A PKCS#8 RSA-16384 key is under 10 KiB; anything bigger is not a key. */
#define WRAPPED_MAX 16384 /* 16 KiB */
#define WRAPPED_GUESS 4096

#ifdef ACMB_TEST_HOOKS
long acmb_p11_test_secret_keys_after_export = -1;
int acmb_p11_test_ec_assembled = -1;
#endif

static const char *const cipher_names[] = {"AES-256-WRAP-PAD", "AES-256-WRAP", "AES-256-CBC"};
#define NCIPHERS (sizeof(cipher_names) / sizeof(cipher_names[0]))

/* Building an OpenSSL 3.0 decoder chain costs more than the decode: keep
 * one per key type, with the slot each writes its result into. Building a
 * curve costs as much as an EC decode: keep the last one used. */
struct acmb_p11_exporter {
	OSSL_DECODER_CTX *dec[2]; /* [0] RSA, [1] EC PrivateKeyInfo */
	EVP_PKEY *decoded[2];     /* always NULL between calls */
	EVP_CIPHER *cipher[NCIPHERS];
	EC_GROUP *ec_group;
	EVP_PKEY_CTX *ec_fromdata;
};

int
acmb_p11_exporter_new(struct acmb_p11_exporter **out, acmb_err *err)
{
	*out = OPENSSL_zalloc(sizeof(**out));
	if (*out == NULL)
		return acmb_error(err, ACMB_E_NOMEM, "out of memory");
	return ACMB_OK;
}

void
acmb_p11_exporter_free(struct acmb_p11_exporter *x)
{
	size_t i;

	if (x == NULL)
		return;
	for (i = 0; i < 2; i++) {
		OSSL_DECODER_CTX_free(x->dec[i]);
		EVP_PKEY_free(x->decoded[i]);
	}
	for (i = 0; i < NCIPHERS; i++)
		EVP_CIPHER_free(x->cipher[i]);
	EC_GROUP_free(x->ec_group);
	EVP_PKEY_CTX_free(x->ec_fromdata);
	OPENSSL_free(x);
}

static EVP_CIPHER *
exporter_cipher(struct acmb_p11_exporter *x, const char *name)
{
	size_t i;

	for (i = 0; i < NCIPHERS; i++) {
		if (strcmp(cipher_names[i], name) != 0)
			continue;
		if (x->cipher[i] == NULL)
			x->cipher[i] = EVP_CIPHER_fetch(NULL, name, NULL);
		return x->cipher[i];
	}
	return NULL;
}

const char *
acmb_p11_export_path_name(enum acmb_p11_export_path path)
{
	switch (path) {
	case ACMB_P11_EXPORT_WRAPPED:
		return "wrapped";
	case ACMB_P11_EXPORT_COMPONENTS:
		return "components";
	case ACMB_P11_EXPORT_TRUSTED:
		return "trusted-wrap";
	case ACMB_P11_EXPORT_REFUSED:
		break;
	}
	return "refused";
}

int
acmb_p11_export_plan(const struct acmb_p11_token *t, const struct acmb_p11_object *key,
    int have_trusted_key, enum acmb_p11_export_path *path, acmb_err *err)
{
	char name[200];

	*path = ACMB_P11_EXPORT_REFUSED;
	acmb_p11_object_name(key, name, sizeof(name));
	if (key->cls != CKO_PRIVATE_KEY)
		return acmb_error(err, ACMB_E_USAGE, "object %s on token '%s' is not a private key",
		    name, t->label);
	if (key->key_type != CKK_RSA && key->key_type != CKK_EC)
		return acmb_error(err, ACMB_E_EXPORT,
		    "key %s on token '%s' is a %s key; ACM "
		    "imports RSA and EC keys only",
		    name, t->label, acmb_p11_key_type_name(key->key_type));
	if (key->never_extractable == 1)
		return acmb_error(err, ACMB_E_EXPORT,
		    "export refused: key %s on token '%s' has "
		    "CKA_NEVER_EXTRACTABLE true; it was created unexportable",
		    name, t->label);
	if (key->extractable != 1)
		return acmb_error(err, ACMB_E_EXPORT,
		    "export refused: key %s on token '%s' has "
		    "CKA_EXTRACTABLE %s; it can never leave the token (keep it there, or issue "
		    "a new key and certificate)",
		    name, t->label, key->extractable == 0 ? "false" : "unreadable");
	if (key->wrap_with_trusted == 1) {
		if (!have_trusted_key)
			return acmb_error(err, ACMB_E_EXPORT,
			    "export refused: key %s on token "
			    "'%s' has CKA_WRAP_WITH_TRUSTED true, so only a wrapping key with "
			    "CKA_TRUSTED true (set by the security officer) may wrap it; name "
			    "one with --wrapping-key 'pkcs11:token=...;object=...;type=secret-key'",
			    name, t->label);
		*path = ACMB_P11_EXPORT_TRUSTED;
		return ACMB_OK;
	}
	*path = key->sensitive == 0 ? ACMB_P11_EXPORT_COMPONENTS : ACMB_P11_EXPORT_WRAPPED;
	return ACMB_OK;
}

int
acmb_p11_wrap_mechanism(
    const struct acmb_p11_token *t, CK_MECHANISM_TYPE *mech, const char **cipher, acmb_err *err)
{
	static const struct {
		CK_MECHANISM_TYPE mech;
		const char *cipher;
	} prefs[] = {
	    {CKM_AES_KEY_WRAP_PAD, "AES-256-WRAP-PAD"}, /* cipher_names[] */
	    {CKM_AES_KEY_WRAP, "AES-256-WRAP"},
	    {CKM_AES_CBC_PAD, "AES-256-CBC"},
	};
	CK_MECHANISM_INFO info;
	size_t i;

	for (i = 0; i < sizeof(prefs) / sizeof(prefs[0]); i++) {
		if (t->fn->C_GetMechanismInfo(t->slot, prefs[i].mech, &info) != CKR_OK)
			continue;
		if (!(info.flags & CKF_WRAP))
			continue;
		*mech = prefs[i].mech;
		*cipher = prefs[i].cipher;
		return ACMB_OK;
	}
	return acmb_error(err, ACMB_E_EXPORT,
	    "export refused: token '%s' offers none of "
	    "CKM_AES_KEY_WRAP_PAD, CKM_AES_KEY_WRAP, CKM_AES_CBC_PAD for wrapping (module %s)",
	    t->label, t->module);
}

/* The token's wrap mechanism in *mech, with a fresh IV in iv (16 bytes,
 * which must outlive mech) for CKM_AES_CBC_PAD; *cipher is OpenSSL's name
 * for the same. */
static int
wrap_mechanism_prepare(const struct acmb_p11_token *t, CK_MECHANISM *mech, unsigned char *iv,
    const char **cipher, acmb_err *err)
{
	int r;

	mech->pParameter = NULL;
	mech->ulParameterLen = 0;
	if ((r = acmb_p11_wrap_mechanism(t, &mech->mechanism, cipher, err)) != ACMB_OK)
		return r;
	if (mech->mechanism != CKM_AES_CBC_PAD)
		return ACMB_OK;
	if (RAND_bytes(iv, 16) != 1)
		return acmb_error_ssl(err, ACMB_E_INTERNAL, "cannot draw an IV");
	mech->pParameter = iv;
	mech->ulParameterLen = 16;
	return ACMB_OK;
}

static void destroy_object(
    const struct acmb_p11_token *t, CK_SESSION_HANDLE s, CK_OBJECT_HANDLE *h);

/* The answers of a token that will not take a secret key's value from
 * outside (a policy, or a FIPS mode that forbids plaintext key import), as
 * opposed to a token that failed. */
static int
creation_refused(CK_RV rv)
{
	switch (rv) {
	case CKR_ACTION_PROHIBITED:
	case CKR_ATTRIBUTE_READ_ONLY:
	case CKR_ATTRIBUTE_TYPE_INVALID:
	case CKR_ATTRIBUTE_VALUE_INVALID:
	case CKR_FUNCTION_NOT_SUPPORTED:
	case CKR_TEMPLATE_INCOMPLETE:
	case CKR_TEMPLATE_INCONSISTENT:
		return 1;
	default:
		return 0;
	}
}

/*
 * The fallback for such a token: the token generates the AES key itself
 * (CKM_AES_KEY_GEN, a session object allowed only to wrap) and gives its
 * value back once, into aes in the secure heap, so that OpenSSL can unwrap.
 * The value has to be readable for that (not sensitive, extractable): the
 * key lives for one C_WrapKey and is destroyed right after, as the placed
 * one is.
 */
static int
wrapping_key_generate(const struct acmb_p11_token *t, CK_SESSION_HANDLE s, unsigned char *aes,
    CK_OBJECT_HANDLE *h, acmb_err *err)
{
	CK_MECHANISM gen = {CKM_AES_KEY_GEN, NULL, 0};
	CK_ULONG len = WRAP_KEY_LEN;
	CK_BBOOL yes = CK_TRUE, no = CK_FALSE;
	CK_ATTRIBUTE tmpl[] = {
	    {CKA_TOKEN, &no, sizeof(no)},
	    {CKA_PRIVATE, &yes, sizeof(yes)},
	    {CKA_SENSITIVE, &no, sizeof(no)},
	    {CKA_EXTRACTABLE, &yes, sizeof(yes)},
	    {CKA_WRAP, &yes, sizeof(yes)},
	    {CKA_UNWRAP, &no, sizeof(no)},
	    {CKA_ENCRYPT, &no, sizeof(no)},
	    {CKA_DECRYPT, &no, sizeof(no)},
	    {CKA_SIGN, &no, sizeof(no)},
	    {CKA_VERIFY, &no, sizeof(no)},
	    {CKA_DERIVE, &no, sizeof(no)},
	    {CKA_VALUE_LEN, &len, sizeof(len)},
	};
	acmb_secbuf *v = NULL;
	CK_RV rv;
	int r = ACMB_E_INTERNAL;

	*h = CK_INVALID_HANDLE;
	rv = t->fn->C_GenerateKey(s, &gen, tmpl, sizeof(tmpl) / sizeof(tmpl[0]), h);
	if (rv != CKR_OK) {
		*h = CK_INVALID_HANDLE;
		return acmb_p11_error(err, rv, t->module,
		    "the token refuses a wrapping key from outside and cannot generate "
		    "one (CKM_AES_KEY_GEN)");
	}
	if ((r = acmb_p11_attr_get_secret(t, s, *h, CKA_VALUE, &v, err)) != ACMB_OK)
		goto out;
	if (acmb_secbuf_len(v) != WRAP_KEY_LEN) {
		r = acmb_error(err, ACMB_E_TOKEN,
		    "the token generated a %zu-byte AES key, not the %d bytes asked for",
		    acmb_secbuf_len(v), WRAP_KEY_LEN);
		goto out;
	}
	memcpy(aes, acmb_secbuf_ptr(v), WRAP_KEY_LEN);
	r = ACMB_OK;
out:
	acmb_secbuf_free(v);
	if (r != ACMB_OK)
		destroy_object(t, s, h);
	return r;
}

/*
 * Our wrapping key is made here, in the secure heap, and handed to the
 * token as a session object that is sensitive, unextractable and good only
 * for wrapping: so the token never holds a readable copy and no other
 * process or later session can use it (design.md, "wrapping key"). It has
 * no CKA_LABEL: it lives for one C_WrapKey in our own session, and a label
 * on a private object costs SoftHSM one more encryption per export.
 */
static int
wrapping_key_create(const struct acmb_p11_token *t, CK_SESSION_HANDLE s, unsigned char *aes,
    CK_OBJECT_HANDLE *h, acmb_err *err)
{
	CK_OBJECT_CLASS cls = CKO_SECRET_KEY;
	CK_KEY_TYPE kt = CKK_AES;
	CK_BBOOL yes = CK_TRUE, no = CK_FALSE;
	CK_ATTRIBUTE tmpl[] = {
	    {CKA_CLASS, &cls, sizeof(cls)},
	    {CKA_KEY_TYPE, &kt, sizeof(kt)},
	    {CKA_TOKEN, &no, sizeof(no)},
	    {CKA_PRIVATE, &yes, sizeof(yes)},
	    {CKA_SENSITIVE, &yes, sizeof(yes)},
	    {CKA_EXTRACTABLE, &no, sizeof(no)},
	    {CKA_WRAP, &yes, sizeof(yes)},
	    {CKA_UNWRAP, &no, sizeof(no)},
	    {CKA_ENCRYPT, &no, sizeof(no)},
	    {CKA_DECRYPT, &no, sizeof(no)},
	    {CKA_SIGN, &no, sizeof(no)},
	    {CKA_VERIFY, &no, sizeof(no)},
	    {CKA_DERIVE, &no, sizeof(no)},
	    {CKA_VALUE, aes, WRAP_KEY_LEN},
	};
	CK_RV rv;

	*h = CK_INVALID_HANDLE;
	if (RAND_priv_bytes(aes, WRAP_KEY_LEN) != 1)
		return acmb_error_ssl(err, ACMB_E_INTERNAL, "cannot draw a wrapping key");
	rv = t->fn->C_CreateObject(s, tmpl, sizeof(tmpl) / sizeof(tmpl[0]), h);
	if (rv == CKR_OK)
		return ACMB_OK;
	*h = CK_INVALID_HANDLE;
	if (!creation_refused(rv))
		return acmb_p11_error(
		    err, rv, t->module, "cannot place the one-off wrapping key in the token");
	return wrapping_key_generate(t, s, aes, h, err);
}

/*
 * Wraps key under wrapper with mech into a new secure buffer. One call into
 * a buffer that fits any RSA-4096 or EC PKCS#8 saves the size query (the
 * wrap is the token's most expensive step); bigger keys get the two calls.
 */
static int
wrap(const struct acmb_p11_token *t, CK_SESSION_HANDLE s, CK_MECHANISM *mech,
    CK_OBJECT_HANDLE wrapper, CK_OBJECT_HANDLE key, acmb_secbuf **out, acmb_err *err)
{
	acmb_secbuf *b = NULL;
	unsigned char *p;
	CK_ULONG len = WRAPPED_GUESS;
	CK_RV rv;
	int r = ACMB_E_INTERNAL;

	*out = NULL;
	for (;;) {
		acmb_secbuf_free(b);
		if ((b = acmb_secbuf_new(len)) == NULL ||
		    (p = acmb_secbuf_reserve(b, len)) == NULL) {
			r = acmb_error(err, ACMB_E_NOMEM, "secure heap exhausted wrapping a key");
			goto out;
		}
		rv = t->fn->C_WrapKey(s, mech, wrapper, key, p, &len);
		if (rv != CKR_BUFFER_TOO_SMALL || acmb_secbuf_max(b) != WRAPPED_GUESS)
			break;
		if (len <= WRAPPED_GUESS || len > WRAPPED_MAX) {
			r = acmb_error(err, ACMB_E_TOKEN,
			    "the token announced a wrapped key of "
			    "%lu bytes (module %s)",
			    (unsigned long)len, t->module);
			goto out;
		}
	}
	if (rv != CKR_OK) {
		r = acmb_p11_error(err, rv, t->module, "the token did not wrap the key");
		goto out;
	}
	if (len == 0 || len > acmb_secbuf_max(b)) {
		r = acmb_error(err, ACMB_E_TOKEN,
		    "the token gave a wrapped key of %lu bytes "
		    "(module %s)",
		    (unsigned long)len, t->module);
		goto out;
	}
	acmb_secbuf_commit(b, len);
	*out = b;
	b = NULL;
	r = ACMB_OK;
out:
	acmb_secbuf_free(b);
	return r;
}

/*
 * Unwraps with OpenSSL in place: AES key wrap and CBC both decrypt in place
 * and the plaintext is never longer than the wrapped bytes, and one secure
 * buffer instead of two saves a wipe and a stack scrub per export.
 */
static int
unwrap_in_place(struct acmb_p11_exporter *x, const char *cipher_name, const unsigned char *aes,
    const unsigned char *iv, acmb_secbuf *buf, acmb_err *err)
{
	EVP_CIPHER *cipher;
	EVP_CIPHER_CTX *ctx = NULL;
	unsigned char *p = acmb_secbuf_mutable(buf);
	size_t len = acmb_secbuf_len(buf);
	int n1 = 0, n2 = 0, r = ACMB_E_INTERNAL;

	if ((cipher = exporter_cipher(x, cipher_name)) == NULL ||
	    (ctx = EVP_CIPHER_CTX_new()) == NULL) {
		r = acmb_error_ssl(err, ACMB_E_INTERNAL, "OpenSSL has no %s cipher", cipher_name);
		goto out;
	}
	EVP_CIPHER_CTX_set_flags(ctx, EVP_CIPHER_CTX_FLAG_WRAP_ALLOW);
	if (EVP_DecryptInit_ex2(ctx, cipher, aes, iv, NULL) != 1 ||
	    EVP_DecryptUpdate(ctx, p, &n1, p, (int)len) != 1 || n1 < 0 || (size_t)n1 > len ||
	    EVP_DecryptFinal_ex(ctx, p + n1, &n2) != 1 || n2 < 0 || (size_t)n2 > len - (size_t)n1) {
		r = acmb_error_ssl(err, ACMB_E_TOKEN,
		    "the wrapped key from the token does not "
		    "unwrap with %s",
		    cipher_name);
		goto out;
	}
	acmb_secbuf_truncate(buf, (size_t)n1 + (size_t)n2);
	r = ACMB_OK;
out:
	EVP_CIPHER_CTX_free(ctx);
	return r;
}

/*
 * The unwrapped plaintext is a DER PrivateKeyInfo, but SoftHSM 2.6.1 pads it
 * with up to 7 zero bytes even under CKM_AES_KEY_WRAP_PAD: cut it to the
 * outer SEQUENCE's length, and accept only zero padding.
 */
static int
trim_to_der(acmb_secbuf *der, acmb_err *err)
{
	const unsigned char *start = acmb_secbuf_ptr(der), *p = start;
	size_t len = acmb_secbuf_len(der), total, i;
	long clen = 0;
	int tag = 0, xclass = 0, ret;

	ret = ASN1_get_object(&p, &clen, &tag, &xclass, (long)len);
	if ((ret & 0x80) || !(ret & V_ASN1_CONSTRUCTED) || tag != V_ASN1_SEQUENCE ||
	    xclass != V_ASN1_UNIVERSAL || clen < 0)
		return acmb_error(err, ACMB_E_TOKEN,
		    "the unwrapped key is not a DER "
		    "PrivateKeyInfo");
	total = (size_t)(p - start) + (size_t)clen;
	if (total > len || len - total > 7)
		return acmb_error(err, ACMB_E_TOKEN,
		    "the unwrapped key has %zu bytes after its "
		    "DER encoding",
		    len - total);
	for (i = total; i < len; i++)
		if (start[i] != 0)
			return acmb_error(err, ACMB_E_TOKEN,
			    "the unwrapped key has non-zero "
			    "bytes after its DER encoding");
	acmb_secbuf_truncate(der, total);
	return ACMB_OK;
}

static int
decode_pkcs8(struct acmb_p11_exporter *x, const acmb_secbuf *der, CK_KEY_TYPE kt, EVP_PKEY **out,
    acmb_err *err)
{
	const unsigned char *p = acmb_secbuf_ptr(der);
	size_t len = acmb_secbuf_len(der);
	int i = kt == CKK_RSA ? 0 : 1, r = ACMB_E_INTERNAL;

	*out = NULL;
	if (x->dec[i] == NULL)
		x->dec[i] = OSSL_DECODER_CTX_new_for_pkey(&x->decoded[i], "DER", "PrivateKeyInfo",
		    kt == CKK_RSA ? "RSA" : "EC", EVP_PKEY_KEYPAIR, NULL, NULL);
	if (x->dec[i] == NULL) {
		r = acmb_error_ssl(err, ACMB_E_INTERNAL, "no OpenSSL decoder for PKCS#8");
		goto out;
	}
	if (OSSL_DECODER_from_data(x->dec[i], &p, &len) != 1 || x->decoded[i] == NULL) {
		r = acmb_error_ssl(err, ACMB_E_TOKEN,
		    "the unwrapped key does not decode as a "
		    "%s PKCS#8 key",
		    acmb_p11_key_type_name(kt));
		goto out;
	}
	/* SoftHSM's EC PKCS#8 has no public key; ACM wants it in the PEM. */
	if (kt == CKK_EC &&
	    EVP_PKEY_set_int_param(x->decoded[i], OSSL_PKEY_PARAM_EC_INCLUDE_PUBLIC, 1) != 1) {
		r = acmb_error_ssl(err, ACMB_E_INTERNAL,
		    "cannot mark the EC key to carry its "
		    "public key");
		goto out;
	}
	*out = x->decoded[i];
	x->decoded[i] = NULL;
	r = ACMB_OK;
out:
	EVP_PKEY_free(x->decoded[i]);
	x->decoded[i] = NULL;
	return r;
}

/*
 * RFC 5915 ECPrivateKey, the inside of an EC PrivateKeyInfo. OpenSSL 3.0
 * parses it only through the deprecated d2i_ECPrivateKey() or through a
 * decoder that builds the curve anew and, as SoftHSM leaves the optional
 * public key out, recomputes the point for every key; OpenSSL's ASN.1
 * template decoder parses it here instead, so no DER is read by hand. The
 * free callback wipes the scalar's copy.
 */
typedef struct {
	int32_t version;
	ASN1_OCTET_STRING *private_key;
	ASN1_TYPE *parameters;
	ASN1_BIT_STRING *public_key;
} SEC1_EC_KEY;

static int
sec1_ec_key_cb(int op, ASN1_VALUE **pval, const ASN1_ITEM *it, void *exarg)
{
	SEC1_EC_KEY *k = (SEC1_EC_KEY *)*pval;

	(void)it;
	(void)exarg;
	if (op == ASN1_OP_FREE_PRE && k != NULL) {
		ASN1_STRING_clear_free(k->private_key);
		k->private_key = NULL;
	}
	return 1;
}

/* clang-format off */
ASN1_SEQUENCE_cb(SEC1_EC_KEY, sec1_ec_key_cb) = {
	ASN1_EMBED(SEC1_EC_KEY, version, INT32),
	ASN1_SIMPLE(SEC1_EC_KEY, private_key, ASN1_OCTET_STRING),
	ASN1_EXP_OPT(SEC1_EC_KEY, parameters, ASN1_ANY, 0),
	ASN1_EXP_OPT(SEC1_EC_KEY, public_key, ASN1_BIT_STRING, 1),
} static_ASN1_SEQUENCE_END_cb(SEC1_EC_KEY, SEC1_EC_KEY)
    /* clang-format on */

    /* The exporter's curve for nid, built on first use; NULL for a curve
     * OpenSSL does not know by name. Lives as long as x. */
    static const EC_GROUP
    * exporter_ec_group(struct acmb_p11_exporter * x, int nid)
{
	if (x->ec_group != NULL && EC_GROUP_get_curve_name(x->ec_group) == nid)
		return x->ec_group;
	EC_GROUP_free(x->ec_group);
	x->ec_group = EC_GROUP_new_by_curve_name_ex(NULL, NULL, nid);
	return x->ec_group;
}

/* priv times the generator, as an uncompressed point into buf. */
static int
ec_public_point(
    const EC_GROUP *group, const BIGNUM *priv, unsigned char *buf, size_t max, size_t *len)
{
	BN_CTX *bnctx = NULL;
	EC_POINT *point = NULL;
	int ok = 0;

	/* The scalar is secret: its temporaries go in the secure heap, and
	 * EC_POINT_mul() on the generator alone takes the constant-time path. */
	if ((bnctx = BN_CTX_secure_new()) == NULL || (point = EC_POINT_new(group)) == NULL ||
	    EC_POINT_mul(group, point, priv, NULL, NULL, bnctx) != 1 ||
	    (*len = EC_POINT_point2oct(
	         group, point, POINT_CONVERSION_UNCOMPRESSED, buf, max, bnctx)) == 0)
		goto out;
	ok = 1;
out:
	EC_POINT_free(point);
	BN_CTX_free(bnctx);
	return ok;
}

/*
 * An EC PrivateKeyInfo with a named curve, assembled with EVP_PKEY_fromdata
 * from its scalar and the point computed from it. The point is not taken
 * from the certificate or the token: the key's public half must be its own,
 * so that a key of another certificate still fails EVP_PKEY_eq ("public
 * parts differ") and no check moves to the rules. Returns ACMB_OK with *out
 * NULL for any other shape (explicit curve parameters, an unknown curve, a
 * scalar out of range): the generic decoder takes those and gives its own
 * verdict.
 */
static int
ec_from_pkcs8(struct acmb_p11_exporter *x, const acmb_secbuf *der, EVP_PKEY **out, acmb_err *err)
{
	const unsigned char *p = acmb_secbuf_ptr(der), *inner = NULL;
	PKCS8_PRIV_KEY_INFO *p8 = NULL;
	SEC1_EC_KEY *sec1 = NULL;
	const ASN1_OBJECT *alg_oid = NULL;
	const X509_ALGOR *alg = NULL;
	const void *curve = NULL;
	const EC_GROUP *group;
	const char *group_name;
	BIGNUM *priv = NULL;
	OSSL_PARAM_BLD *bld = NULL;
	OSSL_PARAM *params = NULL;
	EVP_PKEY *pkey = NULL;
	unsigned char point[1 + 2 * 66]; /* uncompressed P-521 */
	size_t point_len = 0;
	int inner_len = 0, curve_type = 0, nid, r = ACMB_E_INTERNAL;

	*out = NULL;
	if ((p8 = d2i_PKCS8_PRIV_KEY_INFO(NULL, &p, (long)acmb_secbuf_len(der))) == NULL ||
	    p != acmb_secbuf_ptr(der) + acmb_secbuf_len(der) ||
	    PKCS8_pkey_get0(&alg_oid, &inner, &inner_len, &alg, p8) != 1 ||
	    OBJ_obj2nid(alg_oid) != NID_X9_62_id_ecPublicKey)
		goto other_shape;
	X509_ALGOR_get0(NULL, &curve_type, &curve, alg);
	if (curve_type != V_ASN1_OBJECT || (nid = OBJ_obj2nid(curve)) == NID_undef ||
	    (group_name = OBJ_nid2sn(nid)) == NULL)
		goto other_shape;
	p = inner;
	if ((sec1 = (SEC1_EC_KEY *)ASN1_item_d2i(
	         NULL, &p, inner_len, ASN1_ITEM_rptr(SEC1_EC_KEY))) == NULL ||
	    p != inner + inner_len || sec1->version != 1 ||
	    (sec1->parameters != NULL && (sec1->parameters->type != V_ASN1_OBJECT ||
	                                     OBJ_obj2nid(sec1->parameters->value.object) != nid)))
		goto other_shape;
	if ((group = exporter_ec_group(x, nid)) == NULL)
		goto other_shape;
	if ((priv = BN_secure_new()) == NULL) {
		r = acmb_error_ssl(err, ACMB_E_NOMEM, "secure heap exhausted");
		goto out;
	}
	if (BN_bin2bn(ASN1_STRING_get0_data(sec1->private_key),
	        ASN1_STRING_length(sec1->private_key), priv) == NULL ||
	    BN_is_zero(priv) || BN_cmp(priv, EC_GROUP_get0_order(group)) >= 0 ||
	    !ec_public_point(group, priv, point, sizeof(point), &point_len))
		goto other_shape;
	/* priv is secure, so the builder puts the block in the secure heap and
	 * OSSL_PARAM_free() clear-frees it. */
	if ((bld = OSSL_PARAM_BLD_new()) == NULL ||
	    OSSL_PARAM_BLD_push_utf8_string(bld, OSSL_PKEY_PARAM_GROUP_NAME, group_name, 0) != 1 ||
	    OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_PRIV_KEY, priv) != 1 ||
	    OSSL_PARAM_BLD_push_octet_string(bld, OSSL_PKEY_PARAM_PUB_KEY, point, point_len) != 1 ||
	    /* ACM wants the public key in the PEM. */
	    OSSL_PARAM_BLD_push_int(bld, OSSL_PKEY_PARAM_EC_INCLUDE_PUBLIC, 1) != 1 ||
	    (params = OSSL_PARAM_BLD_to_param(bld)) == NULL ||
	    (x->ec_fromdata == NULL &&
	        (x->ec_fromdata = EVP_PKEY_CTX_new_from_name(NULL, "EC", NULL)) == NULL)) {
		r = acmb_error_ssl(err, ACMB_E_NOMEM, "cannot assemble the EC key");
		goto out;
	}
	if (EVP_PKEY_fromdata_init(x->ec_fromdata) != 1 ||
	    EVP_PKEY_fromdata(x->ec_fromdata, &pkey, EVP_PKEY_KEYPAIR, params) != 1 || pkey == NULL)
		goto other_shape;
	*out = pkey;
	pkey = NULL;
	r = ACMB_OK;
	goto out;
other_shape:
	/* Not an error of ours: the generic decoder judges this key. */
	ERR_clear_error();
	r = ACMB_OK;
out:
	EVP_PKEY_free(pkey);
	OSSL_PARAM_free(params);
	OSSL_PARAM_BLD_free(bld);
	BN_clear_free(priv);
	ASN1_item_free((ASN1_VALUE *)sec1, ASN1_ITEM_rptr(SEC1_EC_KEY));
	PKCS8_PRIV_KEY_INFO_free(p8);
	return r;
}

/* The unwrapped plaintext into a key: EC keys of a named curve assembled
 * from their scalar, anything else through OpenSSL's PKCS#8 decoder. */
static int
decode_unwrapped(
    struct acmb_p11_exporter *x, acmb_secbuf *der, CK_KEY_TYPE kt, EVP_PKEY **out, acmb_err *err)
{
	int r;

	*out = NULL;
	if ((r = trim_to_der(der, err)) != ACMB_OK)
		return r;
	if (kt == CKK_EC && (r = ec_from_pkcs8(x, der, out, err)) != ACMB_OK)
		return r;
#ifdef ACMB_TEST_HOOKS
	acmb_p11_test_ec_assembled = *out != NULL;
#endif
	if (*out != NULL)
		return ACMB_OK;
	return decode_pkcs8(x, der, kt, out, err);
}

#ifdef ACMB_TEST_HOOKS
int
acmb_p11_test_decode(struct acmb_p11_exporter *x, const unsigned char *der, size_t len,
    CK_KEY_TYPE kt, EVP_PKEY **out, acmb_err *err)
{
	acmb_secbuf *b = NULL;
	int r;

	*out = NULL;
	if ((b = acmb_secbuf_new(len)) == NULL)
		return acmb_error(err, ACMB_E_NOMEM, "out of memory");
	if ((r = acmb_secbuf_put(b, der, len)) == ACMB_OK)
		r = decode_unwrapped(x, b, kt, out, err);
	acmb_secbuf_free(b);
	return r;
}
#endif

static void
destroy_object(const struct acmb_p11_token *t, CK_SESSION_HANDLE s, CK_OBJECT_HANDLE *h)
{
	if (*h == CK_INVALID_HANDLE)
		return;
	/* A failure here is not reported over the export's own outcome: the
	 * object is a session object and goes with the session regardless. */
	t->fn->C_DestroyObject(s, *h);
	*h = CK_INVALID_HANDLE;
}

static int
export_wrapped(struct acmb_p11_exporter *x, const struct acmb_p11_token *t, CK_SESSION_HANDLE s,
    const struct acmb_p11_object *key, EVP_PKEY **out, acmb_err *err)
{
	CK_OBJECT_HANDLE wk = CK_INVALID_HANDLE;
	CK_MECHANISM mech = {0, NULL, 0};
	unsigned char *aes = NULL, iv[16];
	acmb_secbuf *der = NULL;
	const char *cipher = NULL;
	int r = ACMB_E_INTERNAL;

	*out = NULL;
	if ((r = wrap_mechanism_prepare(t, &mech, iv, &cipher, err)) != ACMB_OK)
		goto out;
	if ((aes = OPENSSL_secure_malloc(WRAP_KEY_LEN)) == NULL) {
		r = acmb_error(err, ACMB_E_NOMEM, "secure heap exhausted");
		goto out;
	}
	if ((r = wrapping_key_create(t, s, aes, &wk, err)) != ACMB_OK)
		goto out;
	r = wrap(t, s, &mech, wk, key->handle, &der, err);
	destroy_object(t, s, &wk);
	if (r != ACMB_OK)
		goto out;
	if ((r = unwrap_in_place(x, cipher, aes, mech.pParameter, der, err)) != ACMB_OK)
		goto out;
	OPENSSL_secure_clear_free(aes, WRAP_KEY_LEN);
	aes = NULL;
	if ((r = decode_unwrapped(x, der, key->key_type, out, err)) != ACMB_OK)
		goto out;
	r = ACMB_OK;
out:
	destroy_object(t, s, &wk);
	if (aes != NULL)
		OPENSSL_secure_clear_free(aes, WRAP_KEY_LEN);
	acmb_secbuf_free(der);
	return r;
}

/* Reads a component into a BIGNUM; secret ones into a secure BIGNUM. */
static int
component_bn(const struct acmb_p11_token *t, CK_SESSION_HANDLE s, CK_OBJECT_HANDLE h,
    CK_ATTRIBUTE_TYPE type, const char *name, BIGNUM **out, acmb_err *err)
{
	acmb_secbuf *v = NULL;
	BIGNUM *bn = NULL;
	int r = ACMB_E_INTERNAL;

	*out = NULL;
	if ((r = acmb_p11_attr_get_secret(t, s, h, type, &v, err)) != ACMB_OK) {
		if (err != NULL && r == ACMB_E_TOKEN) {
			char msg[ACMB_ERRMSG_MAX];

			snprintf(msg, sizeof(msg), "%s", err->msg);
			acmb_error(err, r, "reading %s: %s", name, msg);
		}
		goto out;
	}
	if ((bn = BN_secure_new()) == NULL ||
	    BN_bin2bn(acmb_secbuf_ptr(v), (int)acmb_secbuf_len(v), bn) == NULL) {
		r = acmb_error_ssl(err, ACMB_E_NOMEM, "cannot hold %s", name);
		goto out;
	}
	*out = bn;
	bn = NULL;
	r = ACMB_OK;
out:
	BN_clear_free(bn);
	acmb_secbuf_free(v);
	return r;
}

static int
rsa_params(const struct acmb_p11_token *t, CK_SESSION_HANDLE s, CK_OBJECT_HANDLE h,
    OSSL_PARAM_BLD *bld, BIGNUM **bns, acmb_err *err)
{
	static const struct {
		CK_ATTRIBUTE_TYPE type;
		const char *attr;
		const char *param;
	} comp[] = {
	    {CKA_MODULUS, "CKA_MODULUS", OSSL_PKEY_PARAM_RSA_N},
	    {CKA_PUBLIC_EXPONENT, "CKA_PUBLIC_EXPONENT", OSSL_PKEY_PARAM_RSA_E},
	    {CKA_PRIVATE_EXPONENT, "CKA_PRIVATE_EXPONENT", OSSL_PKEY_PARAM_RSA_D},
	    {CKA_PRIME_1, "CKA_PRIME_1", OSSL_PKEY_PARAM_RSA_FACTOR1},
	    {CKA_PRIME_2, "CKA_PRIME_2", OSSL_PKEY_PARAM_RSA_FACTOR2},
	    {CKA_EXPONENT_1, "CKA_EXPONENT_1", OSSL_PKEY_PARAM_RSA_EXPONENT1},
	    {CKA_EXPONENT_2, "CKA_EXPONENT_2", OSSL_PKEY_PARAM_RSA_EXPONENT2},
	    {CKA_COEFFICIENT, "CKA_COEFFICIENT", OSSL_PKEY_PARAM_RSA_COEFFICIENT1},
	};
	size_t i;
	int r;

	for (i = 0; i < sizeof(comp) / sizeof(comp[0]); i++) {
		if ((r = component_bn(t, s, h, comp[i].type, comp[i].attr, &bns[i], err)) !=
		    ACMB_OK)
			return r;
		if (OSSL_PARAM_BLD_push_BN(bld, comp[i].param, bns[i]) != 1)
			return acmb_error_ssl(err, ACMB_E_NOMEM, "cannot assemble the RSA key");
	}
	return ACMB_OK;
}

/* The EC point: from the certificate's key, else the public key object
 * sharing the private key's CKA_ID (CKA_EC_POINT, a DER OCTET STRING). */
static int
ec_point(const struct acmb_p11_token *t, CK_SESSION_HANDLE s, const struct acmb_p11_object *key,
    EVP_PKEY *pub, unsigned char *buf, size_t max, size_t *len, acmb_err *err)
{
	CK_OBJECT_CLASS cls = CKO_PUBLIC_KEY;
	CK_ATTRIBUTE tmpl[] = {
	    {CKA_CLASS, &cls, sizeof(cls)},
	    {CKA_ID, (void *)key->id, key->id_len},
	};
	CK_OBJECT_HANDLE h;
	ASN1_OCTET_STRING *os = NULL;
	unsigned char *der = NULL;
	const unsigned char *p;
	size_t n = 0, dlen;
	int r = ACMB_E_INTERNAL;

	*len = 0;
	if (pub != NULL) {
		if (EVP_PKEY_get_octet_string_param(pub, OSSL_PKEY_PARAM_PUB_KEY, buf, max, len) !=
		    1)
			return acmb_error_ssl(err, ACMB_E_PARSE,
			    "the certificate's EC public key "
			    "cannot be read");
		return ACMB_OK;
	}
	if (key->id_len == 0 || (r = acmb_p11_find(t, s, tmpl, 2, &h, 1, &n, err)) != ACMB_OK ||
	    n != 1) {
		r = r != ACMB_OK ? r
		                 : acmb_error(err, ACMB_E_TOKEN,
		                       "the EC key's public point "
		                       "is needed: give the certificate, or keep the public key "
		                       "object with the same "
		                       "CKA_ID on the token");
		goto out;
	}
	if ((r = acmb_p11_attr_get(t, s, h, CKA_EC_POINT, &der, &dlen, err)) != ACMB_OK)
		goto out;
	p = der;
	if ((os = d2i_ASN1_OCTET_STRING(NULL, &p, (long)dlen)) == NULL ||
	    (size_t)ASN1_STRING_length(os) > max) {
		r = acmb_error(err, ACMB_E_TOKEN,
		    "CKA_EC_POINT of the public key is not a DER "
		    "OCTET STRING");
		goto out;
	}
	memcpy(buf, ASN1_STRING_get0_data(os), (size_t)ASN1_STRING_length(os));
	*len = (size_t)ASN1_STRING_length(os);
	r = ACMB_OK;
out:
	ASN1_OCTET_STRING_free(os);
	free(der);
	return r;
}

static int
ec_params(const struct acmb_p11_token *t, CK_SESSION_HANDLE s, const struct acmb_p11_object *key,
    EVP_PKEY *pub, OSSL_PARAM_BLD *bld, BIGNUM **priv, unsigned char *point, size_t point_max,
    acmb_err *err)
{
	unsigned char *oid_der = NULL;
	const unsigned char *p;
	ASN1_OBJECT *oid = NULL;
	const char *group;
	size_t oid_len, point_len = 0;
	int r = ACMB_E_INTERNAL, nid;

	if ((r = acmb_p11_attr_get(t, s, key->handle, CKA_EC_PARAMS, &oid_der, &oid_len, err)) !=
	    ACMB_OK)
		goto out;
	p = oid_der;
	if ((oid = d2i_ASN1_OBJECT(NULL, &p, (long)oid_len)) == NULL ||
	    (nid = OBJ_obj2nid(oid)) == NID_undef || (group = OBJ_nid2sn(nid)) == NULL) {
		r = acmb_error(err, ACMB_E_EXPORT,
		    "export refused: the key's CKA_EC_PARAMS is not "
		    "a named curve OpenSSL knows");
		goto out;
	}
	if ((r = component_bn(t, s, key->handle, CKA_VALUE, "CKA_VALUE", priv, err)) != ACMB_OK ||
	    (r = ec_point(t, s, key, pub, point, point_max, &point_len, err)) != ACMB_OK)
		goto out;
	if (OSSL_PARAM_BLD_push_utf8_string(bld, OSSL_PKEY_PARAM_GROUP_NAME, group, 0) != 1 ||
	    OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_PRIV_KEY, *priv) != 1 ||
	    OSSL_PARAM_BLD_push_octet_string(bld, OSSL_PKEY_PARAM_PUB_KEY, point, point_len) != 1) {
		r = acmb_error_ssl(err, ACMB_E_NOMEM, "cannot assemble the EC key");
		goto out;
	}
	r = ACMB_OK;
out:
	ASN1_OBJECT_free(oid);
	free(oid_der);
	return r;
}

static int
export_components(const struct acmb_p11_token *t, CK_SESSION_HANDLE s,
    const struct acmb_p11_object *key, EVP_PKEY *pub, EVP_PKEY **out, acmb_err *err)
{
	OSSL_PARAM_BLD *bld = NULL;
	OSSL_PARAM *params = NULL;
	EVP_PKEY_CTX *ctx = NULL;
	EVP_PKEY *pkey = NULL;
	BIGNUM *bns[8] = {NULL};
	unsigned char point[256];
	size_t i;
	int r = ACMB_E_INTERNAL;

	*out = NULL;
	if ((bld = OSSL_PARAM_BLD_new()) == NULL) {
		r = acmb_error_ssl(err, ACMB_E_NOMEM, "out of memory");
		goto out;
	}
	if (key->key_type == CKK_RSA)
		r = rsa_params(t, s, key->handle, bld, bns, err);
	else
		r = ec_params(t, s, key, pub, bld, &bns[0], point, sizeof(point), err);
	if (r != ACMB_OK)
		goto out;
	/* The private BIGNUMs are secure, so the builder puts the block in the
	 * secure heap and OSSL_PARAM_free() clear-frees it (the rest goes
	 * through the wiping allocator). */
	if ((params = OSSL_PARAM_BLD_to_param(bld)) == NULL ||
	    (ctx = EVP_PKEY_CTX_new_from_name(
	         NULL, key->key_type == CKK_RSA ? "RSA" : "EC", NULL)) == NULL ||
	    EVP_PKEY_fromdata_init(ctx) != 1 ||
	    EVP_PKEY_fromdata(ctx, &pkey, EVP_PKEY_KEYPAIR, params) != 1 || pkey == NULL) {
		r = acmb_error_ssl(err, ACMB_E_TOKEN,
		    "the key components read from token '%s' do "
		    "not form a %s key",
		    t->label, acmb_p11_key_type_name(key->key_type));
		goto out;
	}
	*out = pkey;
	pkey = NULL;
	r = ACMB_OK;
out:
	EVP_PKEY_free(pkey);
	EVP_PKEY_CTX_free(ctx);
	OSSL_PARAM_free(params);
	OSSL_PARAM_BLD_free(bld);
	for (i = 0; i < sizeof(bns) / sizeof(bns[0]); i++)
		BN_clear_free(bns[i]);
	return r;
}

/*
 * A CKA_WRAP_WITH_TRUSTED key is wrapped under the operator's trusted key
 * and unwrapped again inside the token as a non-sensitive session copy whose
 * components we read: the trusted key's value never has to leave the token.
 */
static int
export_trusted(const struct acmb_p11_token *t, CK_SESSION_HANDLE s,
    const struct acmb_p11_object *key, CK_OBJECT_HANDLE trusted, EVP_PKEY *pub, EVP_PKEY **out,
    acmb_err *err)
{
	CK_OBJECT_CLASS cls = CKO_PRIVATE_KEY;
	CK_KEY_TYPE kt = key->key_type;
	CK_BBOOL yes = CK_TRUE, no = CK_FALSE;
	CK_ATTRIBUTE tmpl[] = {
	    {CKA_CLASS, &cls, sizeof(cls)},
	    {CKA_KEY_TYPE, &kt, sizeof(kt)},
	    {CKA_TOKEN, &no, sizeof(no)},
	    {CKA_PRIVATE, &yes, sizeof(yes)},
	    {CKA_SENSITIVE, &no, sizeof(no)},
	    {CKA_EXTRACTABLE, &yes, sizeof(yes)},
	    {CKA_SIGN, &no, sizeof(no)},
	    {CKA_DECRYPT, &no, sizeof(no)},
	};
	CK_MECHANISM mech = {0, NULL, 0};
	CK_OBJECT_HANDLE copy = CK_INVALID_HANDLE;
	struct acmb_p11_object cobj;
	acmb_secbuf *wrapped = NULL;
	const char *cipher;
	unsigned char iv[16];
	CK_RV rv;
	int r = ACMB_E_INTERNAL;

	*out = NULL;
	if ((r = wrap_mechanism_prepare(t, &mech, iv, &cipher, err)) != ACMB_OK)
		goto out;
	if ((r = wrap(t, s, &mech, trusted, key->handle, &wrapped, err)) != ACMB_OK)
		goto out;
	rv = t->fn->C_UnwrapKey(s, &mech, trusted, acmb_secbuf_mutable(wrapped),
	    acmb_secbuf_len(wrapped), tmpl, sizeof(tmpl) / sizeof(tmpl[0]), &copy);
	if (rv != CKR_OK) {
		copy = CK_INVALID_HANDLE;
		r = acmb_p11_error(err, rv, t->module,
		    "the trusted wrapping key (it needs "
		    "CKA_UNWRAP true) did not unwrap a session copy of the key");
		goto out;
	}
	cobj = *key;
	cobj.handle = copy;
	r = export_components(t, s, &cobj, pub, out, err);
out:
	destroy_object(t, s, &copy);
	acmb_secbuf_free(wrapped);
	return r;
}

#ifdef ACMB_TEST_HOOKS
static void
count_session_secret_keys(const struct acmb_p11_token *t, CK_SESSION_HANDLE s)
{
	CK_OBJECT_CLASS cls = CKO_SECRET_KEY;
	CK_BBOOL no = CK_FALSE;
	CK_ATTRIBUTE tmpl[] = {
	    {CKA_CLASS, &cls, sizeof(cls)},
	    {CKA_TOKEN, &no, sizeof(no)},
	};
	CK_OBJECT_HANDLE h[8];
	size_t n = 0;

	if (acmb_p11_find(t, s, tmpl, 2, h, 8, &n, NULL) != ACMB_OK)
		acmb_p11_test_secret_keys_after_export = -2;
	else
		acmb_p11_test_secret_keys_after_export = (long)n;
}
#endif

int
acmb_p11_export_key(struct acmb_p11_exporter *x, const struct acmb_p11_token *t,
    CK_SESSION_HANDLE s, const struct acmb_p11_object *key, enum acmb_p11_export_path path,
    CK_OBJECT_HANDLE trusted, EVP_PKEY *pub, EVP_PKEY **out, acmb_err *err)
{
	struct acmb_p11_exporter *own = NULL;
	int r = ACMB_E_INTERNAL;

	*out = NULL;
	if (x == NULL) {
		if ((r = acmb_p11_exporter_new(&own, err)) != ACMB_OK)
			return r;
		x = own;
	}
	switch (path) {
	case ACMB_P11_EXPORT_WRAPPED:
		r = export_wrapped(x, t, s, key, out, err);
		break;
	case ACMB_P11_EXPORT_COMPONENTS:
		r = export_components(t, s, key, pub, out, err);
		break;
	case ACMB_P11_EXPORT_TRUSTED:
		if (trusted == CK_INVALID_HANDLE)
			r = acmb_error(err, ACMB_E_EXPORT,
			    "export refused: no trusted wrapping "
			    "key given for a CKA_WRAP_WITH_TRUSTED key");
		else
			r = export_trusted(t, s, key, trusted, pub, out, err);
		break;
	case ACMB_P11_EXPORT_REFUSED:
		r = acmb_error(err, ACMB_E_EXPORT, "export refused");
		break;
	}
#ifdef ACMB_TEST_HOOKS
	count_session_secret_keys(t, s);
#endif
	acmb_p11_exporter_free(own);
	return r;
}
