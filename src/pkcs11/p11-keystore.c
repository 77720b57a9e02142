#include "p11-keystore.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/core_names.h>
#include <openssl/ec.h>
#include <openssl/objects.h>
#include <openssl/param_build.h>
#include <openssl/rand.h>

#include "p11-cache.h"
#include "p11-module.h"
#include "p11-object.h"
#include "p11-rv.h"

#define NEW_ID_LEN 16
#define SIG_MAX 1024 /* an RSA-4096 signature or an r||s of P-521 */

struct acmb_p11_keystore {
	struct acmb_p11_uri *uri; /* borrowed */
	struct acmb_p11_token tok;
	CK_SESSION_HANDLE s; /* the cache's */
	char label[ACMB_P11_LABEL_MAX + 1];
	unsigned char id[ACMB_P11_ID_MAX];
	size_t id_len;
	CK_OBJECT_HANDLE priv;
	int id_from_uri; /* the URI names the id: every key under it has that id */
	int rsa;         /* the key pair's kind, once generated or found */
	int ec_nid;      /* its curve, for EC keys */
};

const char *
acmb_p11_keystore_token_serial(const struct acmb_p11_keystore *ks)
{
	return ks->tok.serial;
}

const char *
acmb_p11_keystore_token_label(const struct acmb_p11_keystore *ks)
{
	return ks->tok.label;
}

const char *
acmb_p11_keystore_key_label(const struct acmb_p11_keystore *ks)
{
	return ks->label;
}

const unsigned char *
acmb_p11_keystore_key_id(const struct acmb_p11_keystore *ks, size_t *id_len)
{
	*id_len = ks->id_len;
	return ks->id;
}

void
acmb_p11_keystore_release(struct acmb_p11_keystore *ks)
{
	if (ks == NULL)
		return;
	ks->s = CK_INVALID_HANDLE;
	ks->priv = CK_INVALID_HANDLE;
}

void
acmb_p11_keystore_close(struct acmb_p11_keystore *ks)
{
	if (ks == NULL)
		return;
	acmb_p11_keystore_release(ks);
	free(ks);
}

static int
require_session(const struct acmb_p11_keystore *ks, acmb_err *err)
{
	if (ks->s == CK_INVALID_HANDLE)
		return acmb_error(err, ACMB_E_INTERNAL,
		    "the session on token '%s' was already released", ks->tok.label);
	return ACMB_OK;
}

int
acmb_p11_keystore_open(struct acmb_p11_cache *cache, struct acmb_p11_uri *uri,
    const char *module_path, const struct acmb_p11_pin_spec *pin, struct acmb_p11_keystore **out,
    acmb_err *err)
{
	struct acmb_p11_keystore *ks = NULL;
	struct acmb_p11_token toks[ACMB_P11_TOKENS_MAX];
	struct acmb_p11_modules *mods = NULL;
	CK_ATTRIBUTE *a;
	const char *path;
	size_t n = 0;
	int r = ACMB_E_INTERNAL;

	*out = NULL;
	if ((ks = calloc(1, sizeof(*ks))) == NULL) {
		r = acmb_error(err, ACMB_E_NOMEM, "out of memory");
		goto out;
	}
	ks->uri = uri;
	ks->s = CK_INVALID_HANDLE;
	ks->priv = CK_INVALID_HANDLE;
	a = p11_kit_uri_get_attribute(acmb_p11_uri_kit(uri), CKA_LABEL);
	if (a == NULL || a->ulValueLen == 0 || a->ulValueLen > ACMB_P11_LABEL_MAX) {
		r = acmb_error(err, ACMB_E_USAGE,
		    "--key-store %s: name the key with object=LABEL "
		    "(1 to %d bytes)",
		    acmb_p11_uri_text(uri), ACMB_P11_LABEL_MAX);
		goto out;
	}
	memcpy(ks->label, a->pValue, a->ulValueLen);
	ks->label[a->ulValueLen] = '\0';
	a = p11_kit_uri_get_attribute(acmb_p11_uri_kit(uri), CKA_ID);
	if (a != NULL && (a->ulValueLen == 0 || a->ulValueLen > ACMB_P11_ID_MAX)) {
		r = acmb_error(
		    err, ACMB_E_USAGE, "--key-store: id= must be 1 to %d bytes", ACMB_P11_ID_MAX);
		goto out;
	}
	if (a != NULL) {
		memcpy(ks->id, a->pValue, a->ulValueLen);
		ks->id_len = a->ulValueLen;
		ks->id_from_uri = 1;
	}
	path =
	    module_path != NULL ? module_path : p11_kit_uri_get_module_path(acmb_p11_uri_kit(uri));
	if ((r = acmb_p11_cache_modules(cache, path, &mods, err)) != ACMB_OK ||
	    (r = acmb_p11_tokens_find(mods, uri, toks, ACMB_P11_TOKENS_MAX, &n, err)) != ACMB_OK)
		goto out;
	if (n != 1) {
		r = acmb_error(err, ACMB_E_TOKEN,
		    "--key-store %s matches %zu tokens; it must name "
		    "exactly one (token=LABEL or serial=...)",
		    acmb_p11_uri_text(uri), n);
		goto out;
	}
	ks->tok = toks[0];
	/* Read-write: the key pair and the certificates are token objects. */
	if ((r = acmb_p11_cache_session(cache, &ks->tok, 1, &ks->s, err)) != ACMB_OK ||
	    (r = acmb_p11_cache_login(cache, &ks->tok, ks->s, pin, uri, err)) != ACMB_OK)
		goto out;
	*out = ks;
	ks = NULL;
	r = ACMB_OK;
out:
	acmb_p11_keystore_close(ks);
	return r;
}

/* Objects of class cls with the key's label, or with its id. */
static int
count_named(struct acmb_p11_keystore *ks, CK_OBJECT_CLASS cls, CK_ATTRIBUTE_TYPE by,
    CK_OBJECT_HANDLE *h, size_t *n, acmb_err *err)
{
	CK_ATTRIBUTE tmpl[2] = {{CKA_CLASS, &cls, sizeof(cls)}, {by, NULL, 0}};

	if (by == CKA_LABEL) {
		tmpl[1].pValue = ks->label;
		tmpl[1].ulValueLen = strlen(ks->label);
	} else {
		tmpl[1].pValue = ks->id;
		tmpl[1].ulValueLen = ks->id_len;
	}
	return acmb_p11_find(&ks->tok, ks->s, tmpl, 2, h, 1, n, err);
}

/* The public key of the token's public key object as an EVP_PKEY. */
static int
public_key(struct acmb_p11_keystore *ks, CK_OBJECT_HANDLE pubh, EVP_PKEY **out, acmb_err *err)
{
	OSSL_PARAM_BLD *bld = NULL;
	OSSL_PARAM *params = NULL;
	EVP_PKEY_CTX *ctx = NULL;
	BIGNUM *nbn = NULL, *ebn = NULL;
	ASN1_OCTET_STRING *point = NULL;
	unsigned char *v1 = NULL, *v2 = NULL;
	const unsigned char *p;
	size_t l1 = 0, l2 = 0;
	int r = ACMB_E_INTERNAL;

	*out = NULL;
	if ((bld = OSSL_PARAM_BLD_new()) == NULL)
		goto nomem;
	if (ks->rsa) {
		if ((r = acmb_p11_attr_get(&ks->tok, ks->s, pubh, CKA_MODULUS, &v1, &l1, err)) !=
		        ACMB_OK ||
		    (r = acmb_p11_attr_get(
		         &ks->tok, ks->s, pubh, CKA_PUBLIC_EXPONENT, &v2, &l2, err)) != ACMB_OK)
			goto out;
		if ((nbn = BN_bin2bn(v1, (int)l1, NULL)) == NULL ||
		    (ebn = BN_bin2bn(v2, (int)l2, NULL)) == NULL ||
		    !OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_N, nbn) ||
		    !OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_E, ebn))
			goto nomem;
	} else {
		if ((r = acmb_p11_attr_get(&ks->tok, ks->s, pubh, CKA_EC_POINT, &v1, &l1, err)) !=
		    ACMB_OK)
			goto out;
		/* PKCS#11 wraps the point in a DER OCTET STRING. */
		p = v1;
		if ((point = d2i_ASN1_OCTET_STRING(NULL, &p, (long)l1)) == NULL) {
			r = acmb_error_ssl(
			    err, ACMB_E_TOKEN, "the token's CKA_EC_POINT is not DER");
			goto out;
		}
		if (!OSSL_PARAM_BLD_push_utf8_string(
		        bld, OSSL_PKEY_PARAM_GROUP_NAME, OBJ_nid2sn(ks->ec_nid), 0) ||
		    !OSSL_PARAM_BLD_push_octet_string(bld, OSSL_PKEY_PARAM_PUB_KEY,
		        ASN1_STRING_get0_data(point), (size_t)ASN1_STRING_length(point)))
			goto nomem;
	}
	if ((params = OSSL_PARAM_BLD_to_param(bld)) == NULL ||
	    (ctx = EVP_PKEY_CTX_new_from_name(NULL, ks->rsa ? "RSA" : "EC", NULL)) == NULL ||
	    EVP_PKEY_fromdata_init(ctx) <= 0 ||
	    EVP_PKEY_fromdata(ctx, out, EVP_PKEY_PUBLIC_KEY, params) <= 0) {
		r = acmb_error_ssl(err, ACMB_E_TOKEN,
		    "cannot read the public key made on token "
		    "'%s'",
		    ks->tok.label);
		goto out;
	}
	r = ACMB_OK;
	goto out;
nomem:
	r = acmb_error(err, ACMB_E_NOMEM, "out of memory");
out:
	free(v1);
	free(v2);
	BN_free(nbn);
	BN_free(ebn);
	ASN1_OCTET_STRING_free(point);
	OSSL_PARAM_free(params);
	OSSL_PARAM_BLD_free(bld);
	EVP_PKEY_CTX_free(ctx);
	return r;
}

static int
known_curve(int nid)
{
	return nid == NID_X9_62_prime256v1 || nid == NID_secp384r1 || nid == NID_secp521r1;
}

int
acmb_p11_keystore_generate(struct acmb_p11_keystore *ks,
    const struct acmb_p11_keygen_params *params, EVP_PKEY **pub, acmb_err *err)
{
	CK_BBOOL yes = CK_TRUE;
	CK_ULONG bits = (CK_ULONG)params->rsa_bits;
	CK_BYTE exponent[] = {1, 0, 1};
	CK_MECHANISM mech = {CKM_RSA_PKCS_KEY_PAIR_GEN, NULL, 0};
	CK_OBJECT_HANDLE h, pubh = CK_INVALID_HANDLE, privh = CK_INVALID_HANDLE;
	unsigned char ecparams[16], *pp = ecparams;
	ASN1_OBJECT *curve = NULL;
	size_t n = 0;
	int plen = 0, ec = params->ec_nid != 0, r = ACMB_E_INTERNAL;
	CK_RV rv;

	*pub = NULL;
	if ((r = require_session(ks, err)) != ACMB_OK)
		goto out;
	if (ec == (params->rsa_bits != 0) || (ec && !known_curve(params->ec_nid)) ||
	    (!ec && params->rsa_bits != 2048 && params->rsa_bits != 3072 &&
	        params->rsa_bits != 4096)) {
		r = acmb_error(err, ACMB_E_INTERNAL, "no key pair kind given to generate");
		goto out;
	}
	ks->rsa = !ec;
	ks->ec_nid = params->ec_nid;
	if ((r = count_named(ks, CKO_PRIVATE_KEY, CKA_LABEL, &h, &n, err)) != ACMB_OK)
		goto out;
	if (n == 0 && ks->id_len > 0 &&
	    (r = count_named(ks, CKO_PRIVATE_KEY, CKA_ID, &h, &n, err)) != ACMB_OK)
		goto out;
	if (n > 0) {
		r = acmb_error(err, ACMB_E_TOKEN,
		    "token '%s' already holds a private key named "
		    "by %s; a new key needs a new object= label (or --resume to finish the "
		    "issue of that key)",
		    ks->tok.label, acmb_p11_uri_text(ks->uri));
		goto out;
	}
	if (ks->id_len == 0) {
		if (RAND_bytes(ks->id, NEW_ID_LEN) != 1) {
			r = acmb_error_ssl(err, ACMB_E_INTERNAL, "no random bytes for CKA_ID");
			goto out;
		}
		ks->id_len = NEW_ID_LEN;
	}
	if (ec) {
		mech.mechanism = CKM_EC_KEY_PAIR_GEN;
		curve = OBJ_nid2obj(params->ec_nid);
		if (curve == NULL || (plen = i2d_ASN1_OBJECT(curve, NULL)) <= 0 ||
		    (size_t)plen > sizeof(ecparams) || i2d_ASN1_OBJECT(curve, &pp) != plen) {
			r = acmb_error_ssl(err, ACMB_E_INTERNAL, "cannot encode the curve");
			goto out;
		}
	}
	{
		CK_ATTRIBUTE pub_rsa[] = {
		    {CKA_TOKEN, &yes, sizeof(yes)},
		    {CKA_VERIFY, &yes, sizeof(yes)},
		    {CKA_LABEL, ks->label, strlen(ks->label)},
		    {CKA_ID, ks->id, ks->id_len},
		    {CKA_MODULUS_BITS, &bits, sizeof(bits)},
		    {CKA_PUBLIC_EXPONENT, exponent, sizeof(exponent)},
		};
		CK_ATTRIBUTE pub_ec[] = {
		    {CKA_TOKEN, &yes, sizeof(yes)},
		    {CKA_VERIFY, &yes, sizeof(yes)},
		    {CKA_LABEL, ks->label, strlen(ks->label)},
		    {CKA_ID, ks->id, ks->id_len},
		    {CKA_EC_PARAMS, ecparams, (CK_ULONG)plen},
		};
		/* Sensitive so that it never leaves in clear; extractable so that
		 * the controlled export can wrap it for ACM. */
		CK_ATTRIBUTE priv[] = {
		    {CKA_TOKEN, &yes, sizeof(yes)},
		    {CKA_PRIVATE, &yes, sizeof(yes)},
		    {CKA_SIGN, &yes, sizeof(yes)},
		    {CKA_SENSITIVE, &yes, sizeof(yes)},
		    {CKA_EXTRACTABLE, &yes, sizeof(yes)},
		    {CKA_LABEL, ks->label, strlen(ks->label)},
		    {CKA_ID, ks->id, ks->id_len},
		};

		rv = ks->tok.fn->C_GenerateKeyPair(
		    ks->s, &mech, ec ? pub_ec : pub_rsa, ec ? 5 : 6, priv, 7, &pubh, &privh);
	}
	if (rv != CKR_OK) {
		r = acmb_p11_error(err, rv, ks->tok.module,
		    "cannot generate the key pair on "
		    "the token");
		goto out;
	}
	ks->priv = privh;
	r = public_key(ks, pubh, pub, err);
out:
	return r;
}

/* The curve of an EC key's CKA_EC_PARAMS (a named curve's OID), or NID_undef. */
static int
curve_of(struct acmb_p11_keystore *ks, CK_OBJECT_HANDLE pubh, int *nid, acmb_err *err)
{
	unsigned char *v = NULL;
	const unsigned char *p;
	size_t l = 0;
	ASN1_OBJECT *obj = NULL;
	int r;

	*nid = NID_undef;
	if ((r = acmb_p11_attr_get(&ks->tok, ks->s, pubh, CKA_EC_PARAMS, &v, &l, err)) != ACMB_OK)
		return r;
	p = v;
	if ((obj = d2i_ASN1_OBJECT(NULL, &p, (long)l)) != NULL)
		*nid = OBJ_obj2nid(obj);
	ASN1_OBJECT_free(obj);
	free(v);
	return ACMB_OK;
}

int
acmb_p11_keystore_find(struct acmb_p11_keystore *ks, EVP_PKEY **pub, acmb_err *err)
{
	struct acmb_p11_object o;
	CK_OBJECT_HANDLE h = CK_INVALID_HANDLE, pubh = CK_INVALID_HANDLE;
	size_t n = 0;
	int r;

	*pub = NULL;
	if ((r = require_session(ks, err)) != ACMB_OK)
		return r;
	if ((r = count_named(ks, CKO_PRIVATE_KEY, CKA_LABEL, &h, &n, err)) != ACMB_OK)
		return r;
	if (n != 1)
		return acmb_error(err, ACMB_E_TOKEN,
		    "token '%s' holds %zu private keys labelled "
		    "'%s'; --resume needs the one the first run made",
		    ks->tok.label, n, ks->label);
	if ((r = acmb_p11_object_describe(&ks->tok, ks->s, h, &o, err)) != ACMB_OK)
		return r;
	memcpy(ks->id, o.id, o.id_len);
	ks->id_len = o.id_len;
	ks->priv = h;
	if (count_named(ks, CKO_PUBLIC_KEY, CKA_ID, &pubh, &n, NULL) != ACMB_OK || n != 1)
		return acmb_error(err, ACMB_E_TOKEN,
		    "token '%s' has no public key with the id "
		    "of key '%s'",
		    ks->tok.label, ks->label);
	ks->rsa = o.key_type == CKK_RSA;
	ks->ec_nid = NID_undef;
	if (o.key_type == CKK_EC) {
		if ((r = curve_of(ks, pubh, &ks->ec_nid, err)) != ACMB_OK)
			return r;
		if (!known_curve(ks->ec_nid))
			return acmb_error(err, ACMB_E_TOKEN,
			    "key '%s' is on a curve ACM does not "
			    "take",
			    ks->label);
	}
	return public_key(ks, pubh, pub, err);
}

/* Raw r||s (PKCS#11 CKM_ECDSA) to the DER ECDSA-Sig-Value X.509 carries. */
static int
ecdsa_der(const unsigned char *rs, size_t n, unsigned char **der, int *derlen)
{
	ECDSA_SIG *sig = NULL;
	BIGNUM *br = NULL, *bs = NULL;
	int ok = 0;

	*der = NULL;
	if (n == 0 || n % 2 != 0 || (sig = ECDSA_SIG_new()) == NULL ||
	    (br = BN_bin2bn(rs, (int)(n / 2), NULL)) == NULL ||
	    (bs = BN_bin2bn(rs + n / 2, (int)(n / 2), NULL)) == NULL ||
	    !ECDSA_SIG_set0(sig, br, bs))
		goto out;
	br = bs = NULL;
	ok = (*derlen = i2d_ECDSA_SIG(sig, der)) > 0;
out:
	BN_free(br);
	BN_free(bs);
	ECDSA_SIG_free(sig);
	return ok;
}

int
acmb_p11_keystore_sign_csr(struct acmb_p11_keystore *ks, X509_REQ *req, acmb_err *err)
{
	int rsa = ks->rsa;
	CK_MECHANISM mech = {rsa ? CKM_SHA256_RSA_PKCS : CKM_ECDSA, NULL, 0};
	unsigned char *tbs = NULL, md[32], sig[SIG_MAX], *der = NULL;
	const unsigned char *input;
	CK_ULONG siglen = sizeof(sig), inlen;
	X509_ALGOR *algo = NULL;
	ASN1_BIT_STRING *bits = NULL;
	int tbslen, derlen = 0, r = ACMB_E_INTERNAL;
	unsigned int mdlen = 0;
	CK_RV rv;

	if ((r = require_session(ks, err)) != ACMB_OK)
		goto out;
	if (ks->priv == CK_INVALID_HANDLE) {
		r = acmb_error(err, ACMB_E_INTERNAL, "no key pair was generated or found to sign");
		goto out;
	}
	if ((algo = X509_ALGOR_new()) == NULL ||
	    !X509_ALGOR_set0(algo,
	        OBJ_nid2obj(rsa ? NID_sha256WithRSAEncryption : NID_ecdsa_with_SHA256),
	        rsa ? V_ASN1_NULL : V_ASN1_UNDEF, NULL) ||
	    !X509_REQ_set1_signature_algo(req, algo) ||
	    (tbslen = i2d_re_X509_REQ_tbs(req, &tbs)) <= 0) {
		r = acmb_error_ssl(err, ACMB_E_INTERNAL, "cannot encode the request to sign");
		goto out;
	}
	input = tbs;
	inlen = (CK_ULONG)tbslen;
	if (!rsa) {
		if (!EVP_Digest(tbs, (size_t)tbslen, md, &mdlen, EVP_sha256(), NULL)) {
			r = acmb_error_ssl(err, ACMB_E_INTERNAL, "cannot hash the request");
			goto out;
		}
		input = md;
		inlen = mdlen;
	}
	if ((rv = ks->tok.fn->C_SignInit(ks->s, &mech, ks->priv)) != CKR_OK ||
	    (rv = ks->tok.fn->C_Sign(ks->s, (CK_BYTE_PTR)input, inlen, sig, &siglen)) != CKR_OK) {
		r = acmb_p11_error(err, rv, ks->tok.module, "cannot sign the CSR on the token");
		goto out;
	}
	if (!rsa && !ecdsa_der(sig, siglen, &der, &derlen)) {
		r = acmb_error_ssl(err, ACMB_E_TOKEN, "the token's ECDSA signature is not r||s");
		goto out;
	}
	if ((bits = ASN1_BIT_STRING_new()) == NULL ||
	    !ASN1_BIT_STRING_set(bits, rsa ? sig : der, rsa ? (int)siglen : derlen)) {
		r = acmb_error(err, ACMB_E_NOMEM, "out of memory");
		goto out;
	}
	/* Every bit is used: without this flag the encoder would trim trailing
	 * zero bits off the signature, as it does for named-bit lists. */
	bits->flags &= ~(ASN1_STRING_FLAG_BITS_LEFT | 0x07L);
	bits->flags |= ASN1_STRING_FLAG_BITS_LEFT;
	X509_REQ_set0_signature(req, bits);
	bits = NULL;
	if (X509_REQ_verify(req, X509_REQ_get0_pubkey(req)) != 1) {
		r = acmb_error_ssl(err, ACMB_E_TOKEN,
		    "the CSR signed on token '%s' does not "
		    "verify with its public key",
		    ks->tok.label);
		goto out;
	}
	r = ACMB_OK;
out:
	OPENSSL_free(tbs);
	OPENSSL_free(der);
	ASN1_BIT_STRING_free(bits);
	X509_ALGOR_free(algo);
	return r;
}

/* Stores one certificate unless the token holds it already under label
 * (a CA certificate may sit under the chain labels of several keys). */
static int
store_cert(struct acmb_p11_keystore *ks, X509 *x, const char *label, int leaf, acmb_err *err)
{
	CK_OBJECT_CLASS cls = CKO_CERTIFICATE;
	CK_CERTIFICATE_TYPE type = CKC_X_509;
	CK_ULONG category = leaf ? 1 : 2; /* token user / authority */
	CK_BBOOL yes = CK_TRUE, no = CK_FALSE;
	unsigned char *der = NULL, *subj = NULL, *iss = NULL, *ser = NULL;
	int dlen, slen, ilen, serlen, r = ACMB_E_INTERNAL;
	CK_OBJECT_HANDLE h;
	size_t n = 0;
	CK_RV rv;

	if ((dlen = i2d_X509(x, &der)) <= 0 ||
	    (slen = i2d_X509_NAME(X509_get_subject_name(x), &subj)) <= 0 ||
	    (ilen = i2d_X509_NAME(X509_get_issuer_name(x), &iss)) <= 0 ||
	    (serlen = i2d_ASN1_INTEGER(X509_get_serialNumber(x), &ser)) <= 0) {
		r = acmb_error_ssl(err, ACMB_E_INTERNAL, "cannot encode a certificate");
		goto out;
	}
	{
		CK_ATTRIBUTE find[] = {{CKA_CLASS, &cls, sizeof(cls)},
		    {CKA_VALUE, der, (CK_ULONG)dlen}, {CKA_LABEL, (void *)label, strlen(label)}};

		if ((r = acmb_p11_find(&ks->tok, ks->s, find, 3, &h, 1, &n, err)) != ACMB_OK)
			goto out;
	}
	if (n > 0) {
		r = ACMB_OK;
		goto out;
	}
	{
		CK_ATTRIBUTE tmpl[] = {
		    {CKA_CLASS, &cls, sizeof(cls)}, {CKA_CERTIFICATE_TYPE, &type, sizeof(type)},
		    {CKA_TOKEN, &yes, sizeof(yes)}, {CKA_PRIVATE, &no, sizeof(no)},
		    {CKA_CERTIFICATE_CATEGORY, &category, sizeof(category)},
		    {CKA_LABEL, (void *)label, strlen(label)}, {CKA_SUBJECT, subj, (CK_ULONG)slen},
		    {CKA_ISSUER, iss, (CK_ULONG)ilen}, {CKA_SERIAL_NUMBER, ser, (CK_ULONG)serlen},
		    {CKA_VALUE, der, (CK_ULONG)dlen},
		    {CKA_ID, ks->id, ks->id_len}, /* leaf only: pairs it with the key */
		};

		rv = ks->tok.fn->C_CreateObject(ks->s, tmpl, leaf ? 11 : 10, &h);
	}
	if (rv != CKR_OK) {
		r = acmb_p11_error(err, rv, ks->tok.module,
		    "cannot store the certificate on the "
		    "token");
		goto out;
	}
	r = ACMB_OK;
out:
	OPENSSL_free(der);
	OPENSSL_free(subj);
	OPENSSL_free(iss);
	OPENSSL_free(ser);
	return r;
}

int
acmb_p11_keystore_store(
    struct acmb_p11_keystore *ks, X509 *leaf, STACK_OF(X509) *chain, acmb_err *err)
{
	char chain_label[ACMB_P11_LABEL_MAX + 16];
	CK_OBJECT_HANDLE h;
	size_t n = 0;
	int i, r;

	if ((r = require_session(ks, err)) != ACMB_OK)
		return r;
	/* One leaf per key: a second, different one would make the pairing
	 * by CKA_ID ambiguous for every later reader. */
	if ((r = count_named(ks, CKO_CERTIFICATE, CKA_ID, &h, &n, err)) != ACMB_OK)
		return r;
	if (n > 0) {
		X509 *old = NULL;
		int same;

		if ((r = acmb_p11_cert_x509(&ks->tok, ks->s, h, &old, err)) != ACMB_OK)
			return r;
		same = X509_cmp(old, leaf) == 0;
		X509_free(old);
		if (!same)
			return acmb_error(err, ACMB_E_TOKEN,
			    "token '%s' already holds another "
			    "certificate for key '%s'",
			    ks->tok.label, ks->label);
	}
	if ((r = store_cert(ks, leaf, ks->label, 1, err)) != ACMB_OK)
		return r;
	snprintf(chain_label, sizeof(chain_label), "%s-chain", ks->label);
	for (i = 0; i < sk_X509_num(chain); i++)
		if ((r = store_cert(ks, sk_X509_value(chain, i), chain_label, 0, err)) != ACMB_OK)
			return r;
	return ACMB_OK;
}

int
acmb_p11_keystore_count(struct acmb_p11_keystore *ks, size_t *n, acmb_err *err)
{
	CK_OBJECT_HANDLE h;
	int r;

	*n = 0;
	if ((r = require_session(ks, err)) != ACMB_OK)
		return r;
	return count_named(ks, CKO_PRIVATE_KEY, CKA_LABEL, &h, n, err);
}

#define RETIRE_OBJECTS_MAX 16 /* a pair, its certificate, leftovers of a failed run */

/* 1 when object h carries exactly the id (id_len bytes). */
static int
has_id(struct acmb_p11_keystore *ks, CK_OBJECT_HANDLE h, const unsigned char *id, size_t id_len)
{
	unsigned char *v = NULL;
	size_t l = 0;
	int same;

	if (acmb_p11_attr_get(&ks->tok, ks->s, h, CKA_ID, &v, &l, NULL) != ACMB_OK)
		return 0;
	same = l == id_len && memcmp(v, id, l) == 0;
	free(v);
	return same;
}

/* The objects of class cls labelled label, up to RETIRE_OBJECTS_MAX. */
static int
find_labelled(struct acmb_p11_keystore *ks, CK_OBJECT_CLASS cls, const char *label,
    CK_OBJECT_HANDLE *h, size_t *n, acmb_err *err)
{
	CK_ATTRIBUTE tmpl[2] = {
	    {CKA_CLASS, &cls, sizeof(cls)}, {CKA_LABEL, (void *)label, strlen(label)}};
	int r;

	if ((r = acmb_p11_find(&ks->tok, ks->s, tmpl, 2, h, RETIRE_OBJECTS_MAX, n, err)) != ACMB_OK)
		return r;
	if (*n > RETIRE_OBJECTS_MAX)
		return acmb_error(err, ACMB_E_TOKEN,
		    "token '%s' holds %zu objects labelled '%s'; acmbridge leaves so many alone",
		    ks->tok.label, *n, label);
	return ACMB_OK;
}

int
acmb_p11_keystore_retire(struct acmb_p11_keystore *ks, const char *retired_label, acmb_err *err)
{
	/* Certificates and public keys first, the private key last: until it
	 * moves, the pair is still found under the live label, and a rerun
	 * finishes the move. */
	static const CK_OBJECT_CLASS order[] = {CKO_CERTIFICATE, CKO_PUBLIC_KEY, CKO_PRIVATE_KEY};
	CK_OBJECT_HANDLE h[RETIRE_OBJECTS_MAX];
	char what[3 * ACMB_P11_LABEL_MAX + 128];
	size_t i, k, n;
	int r;
	CK_RV rv;

	if ((r = require_session(ks, err)) != ACMB_OK)
		return r;
	if (ks->priv == CK_INVALID_HANDLE || ks->id_len == 0)
		return acmb_error(err, ACMB_E_INTERNAL, "no key pair was found to retire");
	if (ks->id_from_uri)
		return acmb_error(err, ACMB_E_USAGE,
		    "key store %s names id=: a new key under it would need the id the old one "
		    "keeps; leave id= out so that each key gets a new one",
		    acmb_p11_uri_text(ks->uri));
	if (strlen(retired_label) == 0 || strlen(retired_label) > ACMB_P11_LABEL_MAX ||
	    strcmp(retired_label, ks->label) == 0)
		return acmb_error(
		    err, ACMB_E_USAGE, "'%s' cannot name a retired key pair", retired_label);
	/* 1. An older retired pair (another id) goes: the certificate ACM holds
	 * is this pair's, checked by the caller. */
	for (k = 0; k < sizeof(order) / sizeof(order[0]); k++) {
		if ((r = find_labelled(ks, order[k], retired_label, h, &n, err)) != ACMB_OK)
			return r;
		for (i = 0; i < n; i++) {
			if (has_id(ks, h[i], ks->id, ks->id_len))
				continue;
			if ((rv = ks->tok.fn->C_DestroyObject(ks->s, h[i])) != CKR_OK) {
				snprintf(what, sizeof(what),
				    "cannot destroy the older retired pair '%s' on token '%s'",
				    retired_label, ks->tok.label);
				return acmb_p11_error(err, rv, ks->tok.module, what);
			}
		}
	}
	/* 2. This pair's objects take the retired label. */
	for (k = 0; k < sizeof(order) / sizeof(order[0]); k++) {
		if ((r = find_labelled(ks, order[k], ks->label, h, &n, err)) != ACMB_OK)
			return r;
		for (i = 0; i < n; i++) {
			CK_ATTRIBUTE set = {
			    CKA_LABEL, (void *)retired_label, strlen(retired_label)};

			if (!has_id(ks, h[i], ks->id, ks->id_len))
				continue;
			if ((rv = ks->tok.fn->C_SetAttributeValue(ks->s, h[i], &set, 1)) !=
			    CKR_OK) {
				snprintf(what, sizeof(what),
				    "cannot relabel key pair '%s' to '%s' on token '%s'", ks->label,
				    retired_label, ks->tok.label);
				return acmb_p11_error(err, rv, ks->tok.module, what);
			}
		}
	}
	/* The label is free; the next key gets a new id. */
	ks->priv = CK_INVALID_HANDLE;
	memset(ks->id, 0, sizeof(ks->id));
	ks->id_len = 0;
	return ACMB_OK;
}

int
acmb_p11_keystore_replace(
    struct acmb_p11_keystore *ks, X509 *leaf, STACK_OF(X509) *chain, acmb_err *err)
{
	CK_OBJECT_HANDLE h[RETIRE_OBJECTS_MAX];
	char what[2 * ACMB_P11_LABEL_MAX + 128];
	size_t i, n = 0;
	int r;
	CK_RV rv;

	if ((r = require_session(ks, err)) != ACMB_OK)
		return r;
	if (ks->id_len == 0)
		return acmb_error(err, ACMB_E_INTERNAL, "no key pair to store a certificate for");
	if ((r = acmb_p11_find_class(&ks->tok, ks->s, CKO_CERTIFICATE, ks->id, ks->id_len, h,
	         RETIRE_OBJECTS_MAX, &n, err)) != ACMB_OK)
		return r;
	if (n > RETIRE_OBJECTS_MAX)
		n = RETIRE_OBJECTS_MAX;
	for (i = 0; i < n; i++) {
		X509 *old = NULL;
		int same;

		if ((r = acmb_p11_cert_x509(&ks->tok, ks->s, h[i], &old, err)) != ACMB_OK)
			return r;
		same = X509_cmp(old, leaf) == 0;
		X509_free(old);
		if (same)
			continue;
		if ((rv = ks->tok.fn->C_DestroyObject(ks->s, h[i])) != CKR_OK) {
			snprintf(what, sizeof(what),
			    "cannot remove the earlier certificate of key '%s' on token '%s'",
			    ks->label, ks->tok.label);
			return acmb_p11_error(err, rv, ks->tok.module, what);
		}
	}
	return acmb_p11_keystore_store(ks, leaf, chain, err);
}
