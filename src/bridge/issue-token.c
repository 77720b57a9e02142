#include "issue-token.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/core_names.h>
#include <openssl/ec.h>
#include <openssl/objects.h>
#include <openssl/param_build.h>
#include <openssl/rand.h>
#include <p11-kit/uri.h>

#include "pkcs11/p11-module.h"
#include "pkcs11/p11-object.h"
#include "pkcs11/p11-rv.h"
#include "pkcs11/p11-uri.h"
#include "source-pkcs11.h"

#define NEW_ID_LEN 16
#define URI_TEXT_MAX 1024
#define SIG_MAX 1024 /* an RSA-4096 signature or an r||s of P-521 */

struct acmb_issue_token {
	const struct acmb_token_spec *spec;
	struct acmb_p11_modules *mods;
	struct acmb_p11_uri *uri;
	struct acmb_p11_token tok;
	CK_SESSION_HANDLE s;
	char label[ACMB_P11_LABEL_MAX + 1];
	unsigned char id[ACMB_P11_ID_MAX];
	size_t id_len;
	CK_OBJECT_HANDLE priv;
	enum acmb_key_alg alg;
};

const char *
acmb_issue_token_uri(const struct acmb_issue_token *t)
{
	return t->uri != NULL ? acmb_p11_uri_text(t->uri) : "";
}

static void
close_session(struct acmb_issue_token *t)
{
	if (t->s != CK_INVALID_HANDLE) {
		t->tok.fn->C_Logout(t->s);
		acmb_p11_session_close(&t->tok, t->s);
	}
	t->s = CK_INVALID_HANDLE;
	acmb_p11_modules_close(t->mods);
	t->mods = NULL;
}

void
acmb_issue_token_close(struct acmb_issue_token *t)
{
	if (t == NULL)
		return;
	close_session(t);
	acmb_p11_uri_free(t->uri);
	free(t);
}

int
acmb_issue_token_open(
    char *uri, const struct acmb_token_spec *spec, struct acmb_issue_token **out, acmb_err *err)
{
	struct acmb_issue_token *t = NULL;
	struct acmb_p11_token toks[ACMB_P11_TOKENS_MAX];
	CK_ATTRIBUTE *a;
	const char *path;
	size_t n = 0;
	CK_RV rv;
	int r = ACMB_E_INTERNAL;

	*out = NULL;
	if ((t = calloc(1, sizeof(*t))) == NULL) {
		r = acmb_error(err, ACMB_E_NOMEM, "out of memory");
		goto out;
	}
	t->spec = spec;
	t->s = CK_INVALID_HANDLE;
	t->priv = CK_INVALID_HANDLE;
	if ((r = acmb_p11_uri_parse(uri, &t->uri, NULL, err)) != ACMB_OK)
		goto out;
	a = p11_kit_uri_get_attribute(acmb_p11_uri_kit(t->uri), CKA_LABEL);
	if (a == NULL || a->ulValueLen == 0 || a->ulValueLen > ACMB_P11_LABEL_MAX) {
		r = acmb_error(err, ACMB_E_USAGE,
		    "--key-store %s: name the key with object=LABEL "
		    "(1 to %d bytes)",
		    acmb_p11_uri_text(t->uri), ACMB_P11_LABEL_MAX);
		goto out;
	}
	memcpy(t->label, a->pValue, a->ulValueLen);
	t->label[a->ulValueLen] = '\0';
	a = p11_kit_uri_get_attribute(acmb_p11_uri_kit(t->uri), CKA_ID);
	if (a != NULL && (a->ulValueLen == 0 || a->ulValueLen > ACMB_P11_ID_MAX)) {
		r = acmb_error(
		    err, ACMB_E_USAGE, "--key-store: id= must be 1 to %d bytes", ACMB_P11_ID_MAX);
		goto out;
	}
	if (a != NULL) {
		memcpy(t->id, a->pValue, a->ulValueLen);
		t->id_len = a->ulValueLen;
	}
	path = spec->module != NULL ? spec->module
	                            : p11_kit_uri_get_module_path(acmb_p11_uri_kit(t->uri));
	if ((r = acmb_p11_modules_open(path, &t->mods, err)) != ACMB_OK ||
	    (r = acmb_p11_tokens_find(t->mods, t->uri, toks, ACMB_P11_TOKENS_MAX, &n, err)) !=
	        ACMB_OK)
		goto out;
	if (n != 1) {
		r = acmb_error(err, ACMB_E_TOKEN,
		    "--key-store %s matches %zu tokens; it must name "
		    "exactly one (token=LABEL or serial=...)",
		    acmb_p11_uri_text(t->uri), n);
		goto out;
	}
	t->tok = toks[0];
	/* Read-write: the key pair and the certificates are token objects. */
	if ((rv = t->tok.fn->C_OpenSession(
	         t->tok.slot, CKF_SERIAL_SESSION | CKF_RW_SESSION, NULL, NULL, &t->s)) != CKR_OK) {
		t->s = CK_INVALID_HANDLE;
		r = acmb_p11_error(err, rv, t->tok.module, "cannot open a read-write session");
		goto out;
	}
	if ((r = acmb_p11_login(&t->tok, t->s, &spec->pin, t->uri, err)) != ACMB_OK)
		goto out;
	*out = t;
	t = NULL;
	r = ACMB_OK;
out:
	acmb_issue_token_close(t);
	return r;
}

/* Objects of class cls with the key's label, or with its id when it has one. */
static int
count_named(struct acmb_issue_token *t, CK_OBJECT_CLASS cls, CK_ATTRIBUTE_TYPE by,
    CK_OBJECT_HANDLE *h, size_t *n, acmb_err *err)
{
	CK_ATTRIBUTE tmpl[2] = {{CKA_CLASS, &cls, sizeof(cls)}, {by, NULL, 0}};

	if (by == CKA_LABEL) {
		tmpl[1].pValue = t->label;
		tmpl[1].ulValueLen = strlen(t->label);
	} else {
		tmpl[1].pValue = t->id;
		tmpl[1].ulValueLen = t->id_len;
	}
	return acmb_p11_find(&t->tok, t->s, tmpl, 2, h, 1, n, err);
}

/* The public key of the token's public key object as an EVP_PKEY. */
static int
public_key(struct acmb_issue_token *t, CK_OBJECT_HANDLE pubh, EVP_PKEY **out, acmb_err *err)
{
	OSSL_PARAM_BLD *bld = NULL;
	OSSL_PARAM *params = NULL;
	EVP_PKEY_CTX *ctx = NULL;
	BIGNUM *nbn = NULL, *ebn = NULL;
	ASN1_OCTET_STRING *point = NULL;
	unsigned char *v1 = NULL, *v2 = NULL;
	const unsigned char *p;
	size_t l1 = 0, l2 = 0;
	int rsa = t->alg <= ACMB_ALG_RSA_4096, r = ACMB_E_INTERNAL;
	const char *group = t->alg == ACMB_ALG_EC_PRIME256V1  ? "prime256v1"
	                    : t->alg == ACMB_ALG_EC_SECP384R1 ? "secp384r1"
	                                                      : "secp521r1";

	*out = NULL;
	if ((bld = OSSL_PARAM_BLD_new()) == NULL)
		goto nomem;
	if (rsa) {
		if ((r = acmb_p11_attr_get(&t->tok, t->s, pubh, CKA_MODULUS, &v1, &l1, err)) !=
		        ACMB_OK ||
		    (r = acmb_p11_attr_get(
		         &t->tok, t->s, pubh, CKA_PUBLIC_EXPONENT, &v2, &l2, err)) != ACMB_OK)
			goto out;
		if ((nbn = BN_bin2bn(v1, (int)l1, NULL)) == NULL ||
		    (ebn = BN_bin2bn(v2, (int)l2, NULL)) == NULL ||
		    !OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_N, nbn) ||
		    !OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_E, ebn))
			goto nomem;
	} else {
		if ((r = acmb_p11_attr_get(&t->tok, t->s, pubh, CKA_EC_POINT, &v1, &l1, err)) !=
		    ACMB_OK)
			goto out;
		/* PKCS#11 wraps the point in a DER OCTET STRING. */
		p = v1;
		if ((point = d2i_ASN1_OCTET_STRING(NULL, &p, (long)l1)) == NULL) {
			r = acmb_error_ssl(
			    err, ACMB_E_TOKEN, "the token's CKA_EC_POINT is not DER");
			goto out;
		}
		if (!OSSL_PARAM_BLD_push_utf8_string(bld, OSSL_PKEY_PARAM_GROUP_NAME, group, 0) ||
		    !OSSL_PARAM_BLD_push_octet_string(bld, OSSL_PKEY_PARAM_PUB_KEY,
		        ASN1_STRING_get0_data(point), (size_t)ASN1_STRING_length(point)))
			goto nomem;
	}
	if ((params = OSSL_PARAM_BLD_to_param(bld)) == NULL ||
	    (ctx = EVP_PKEY_CTX_new_from_name(NULL, rsa ? "RSA" : "EC", NULL)) == NULL ||
	    EVP_PKEY_fromdata_init(ctx) <= 0 ||
	    EVP_PKEY_fromdata(ctx, out, EVP_PKEY_PUBLIC_KEY, params) <= 0) {
		r = acmb_error_ssl(err, ACMB_E_TOKEN,
		    "cannot read the public key made on token "
		    "'%s'",
		    t->tok.label);
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

static CK_OBJECT_HANDLE
find_by_id(struct acmb_issue_token *t, CK_OBJECT_CLASS cls)
{
	CK_OBJECT_HANDLE h = CK_INVALID_HANDLE;
	size_t n = 0;

	if (count_named(t, cls, CKA_ID, &h, &n, NULL) != ACMB_OK || n != 1)
		return CK_INVALID_HANDLE;
	return h;
}

int
acmb_issue_token_generate(
    struct acmb_issue_token *t, enum acmb_key_alg alg, EVP_PKEY **pub, acmb_err *err)
{
	CK_BBOOL yes = CK_TRUE;
	CK_ULONG bits = alg == ACMB_ALG_RSA_2048 ? 2048 : alg == ACMB_ALG_RSA_3072 ? 3072 : 4096;
	CK_BYTE exponent[] = {1, 0, 1};
	CK_MECHANISM mech = {CKM_RSA_PKCS_KEY_PAIR_GEN, NULL, 0};
	CK_OBJECT_HANDLE h, pubh = CK_INVALID_HANDLE, privh = CK_INVALID_HANDLE;
	unsigned char params[16], *pp = params;
	ASN1_OBJECT *curve = NULL;
	size_t n = 0;
	int plen = 0, r = ACMB_E_INTERNAL;
	CK_RV rv;

	*pub = NULL;
	t->alg = alg;
	if ((r = count_named(t, CKO_PRIVATE_KEY, CKA_LABEL, &h, &n, err)) != ACMB_OK)
		goto out;
	if (n == 0 && t->id_len > 0 &&
	    (r = count_named(t, CKO_PRIVATE_KEY, CKA_ID, &h, &n, err)) != ACMB_OK)
		goto out;
	if (n > 0) {
		r = acmb_error(err, ACMB_E_TOKEN,
		    "token '%s' already holds a private key named "
		    "by %s; a new key needs a new object= label (or --resume to finish the "
		    "issue of that key)",
		    t->tok.label, acmb_issue_token_uri(t));
		goto out;
	}
	if (t->id_len == 0) {
		if (RAND_bytes(t->id, NEW_ID_LEN) != 1) {
			r = acmb_error_ssl(err, ACMB_E_INTERNAL, "no random bytes for CKA_ID");
			goto out;
		}
		t->id_len = NEW_ID_LEN;
	}
	if (alg >= ACMB_ALG_EC_PRIME256V1) {
		mech.mechanism = CKM_EC_KEY_PAIR_GEN;
		curve = OBJ_nid2obj(alg == ACMB_ALG_EC_PRIME256V1  ? NID_X9_62_prime256v1
		                    : alg == ACMB_ALG_EC_SECP384R1 ? NID_secp384r1
		                                                   : NID_secp521r1);
		if (curve == NULL || (plen = i2d_ASN1_OBJECT(curve, NULL)) <= 0 ||
		    (size_t)plen > sizeof(params) || i2d_ASN1_OBJECT(curve, &pp) != plen) {
			r = acmb_error_ssl(err, ACMB_E_INTERNAL, "cannot encode the curve");
			goto out;
		}
	}
	{
		CK_ATTRIBUTE pub_rsa[] = {
		    {CKA_TOKEN, &yes, sizeof(yes)},
		    {CKA_VERIFY, &yes, sizeof(yes)},
		    {CKA_LABEL, t->label, strlen(t->label)},
		    {CKA_ID, t->id, t->id_len},
		    {CKA_MODULUS_BITS, &bits, sizeof(bits)},
		    {CKA_PUBLIC_EXPONENT, exponent, sizeof(exponent)},
		};
		CK_ATTRIBUTE pub_ec[] = {
		    {CKA_TOKEN, &yes, sizeof(yes)},
		    {CKA_VERIFY, &yes, sizeof(yes)},
		    {CKA_LABEL, t->label, strlen(t->label)},
		    {CKA_ID, t->id, t->id_len},
		    {CKA_EC_PARAMS, params, (CK_ULONG)plen},
		};
		/* Sensitive so that it never leaves in clear; extractable so that
		 * the controlled export can wrap it for ACM. */
		CK_ATTRIBUTE priv[] = {
		    {CKA_TOKEN, &yes, sizeof(yes)},
		    {CKA_PRIVATE, &yes, sizeof(yes)},
		    {CKA_SIGN, &yes, sizeof(yes)},
		    {CKA_SENSITIVE, &yes, sizeof(yes)},
		    {CKA_EXTRACTABLE, &yes, sizeof(yes)},
		    {CKA_LABEL, t->label, strlen(t->label)},
		    {CKA_ID, t->id, t->id_len},
		};
		int ec = mech.mechanism == CKM_EC_KEY_PAIR_GEN;

		rv = t->tok.fn->C_GenerateKeyPair(
		    t->s, &mech, ec ? pub_ec : pub_rsa, ec ? 5 : 6, priv, 7, &pubh, &privh);
	}
	if (rv != CKR_OK) {
		r = acmb_p11_error(err, rv, t->tok.module,
		    "cannot generate the key pair on "
		    "the token");
		goto out;
	}
	t->priv = privh;
	if ((r = public_key(t, pubh, pub, err)) != ACMB_OK)
		goto out;
	r = ACMB_OK;
out:
	return r;
}

int
acmb_issue_token_find(struct acmb_issue_token *t, EVP_PKEY **pub, acmb_err *err)
{
	struct acmb_p11_object o;
	CK_OBJECT_HANDLE h = CK_INVALID_HANDLE, pubh;
	size_t n = 0;
	int r;

	*pub = NULL;
	if ((r = count_named(t, CKO_PRIVATE_KEY, CKA_LABEL, &h, &n, err)) != ACMB_OK)
		return r;
	if (n != 1)
		return acmb_error(err, ACMB_E_TOKEN,
		    "token '%s' holds %zu private keys labelled "
		    "'%s'; --resume needs the one the first run made",
		    t->tok.label, n, t->label);
	if ((r = acmb_p11_object_describe(&t->tok, t->s, h, &o, err)) != ACMB_OK)
		return r;
	memcpy(t->id, o.id, o.id_len);
	t->id_len = o.id_len;
	t->priv = h;
	if ((pubh = find_by_id(t, CKO_PUBLIC_KEY)) == CK_INVALID_HANDLE)
		return acmb_error(err, ACMB_E_TOKEN,
		    "token '%s' has no public key with the id "
		    "of key '%s'",
		    t->tok.label, t->label);
	t->alg = o.key_type == CKK_RSA ? ACMB_ALG_RSA_2048 : ACMB_ALG_EC_PRIME256V1;
	if (o.key_type == CKK_EC) {
		/* The curve decides the group name public_key() uses. */
		unsigned char *v = NULL;
		const unsigned char *p;
		size_t l = 0;
		ASN1_OBJECT *obj = NULL;

		if ((r = acmb_p11_attr_get(&t->tok, t->s, pubh, CKA_EC_PARAMS, &v, &l, err)) !=
		    ACMB_OK)
			return r;
		p = v;
		obj = d2i_ASN1_OBJECT(NULL, &p, (long)l);
		t->alg = obj == NULL                                ? ACMB_ALG_NONE
		         : OBJ_obj2nid(obj) == NID_secp384r1        ? ACMB_ALG_EC_SECP384R1
		         : OBJ_obj2nid(obj) == NID_secp521r1        ? ACMB_ALG_EC_SECP521R1
		         : OBJ_obj2nid(obj) == NID_X9_62_prime256v1 ? ACMB_ALG_EC_PRIME256V1
		                                                    : ACMB_ALG_NONE;
		ASN1_OBJECT_free(obj);
		free(v);
		if (t->alg == ACMB_ALG_NONE)
			return acmb_error(err, ACMB_E_TOKEN,
			    "key '%s' is on a curve ACM does not "
			    "take",
			    t->label);
	}
	return public_key(t, pubh, pub, err);
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
acmb_issue_token_sign_csr(struct acmb_issue_token *t, X509_REQ *req, acmb_err *err)
{
	int rsa = t->alg <= ACMB_ALG_RSA_4096;
	CK_MECHANISM mech = {rsa ? CKM_SHA256_RSA_PKCS : CKM_ECDSA, NULL, 0};
	unsigned char *tbs = NULL, md[32], sig[SIG_MAX], *der = NULL;
	const unsigned char *input;
	CK_ULONG siglen = sizeof(sig), inlen;
	X509_ALGOR *algo = NULL;
	ASN1_BIT_STRING *bits = NULL;
	int tbslen, derlen = 0, r = ACMB_E_INTERNAL;
	unsigned int mdlen = 0;
	CK_RV rv;

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
	if ((rv = t->tok.fn->C_SignInit(t->s, &mech, t->priv)) != CKR_OK ||
	    (rv = t->tok.fn->C_Sign(t->s, (CK_BYTE_PTR)input, inlen, sig, &siglen)) != CKR_OK) {
		r = acmb_p11_error(err, rv, t->tok.module, "cannot sign the CSR on the token");
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
		    t->tok.label);
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
store_cert(struct acmb_issue_token *t, X509 *x, const char *label, int leaf, acmb_err *err)
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

		if ((r = acmb_p11_find(&t->tok, t->s, find, 3, &h, 1, &n, err)) != ACMB_OK)
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
		    {CKA_ID, t->id, t->id_len}, /* leaf only: pairs it with the key */
		};

		rv = t->tok.fn->C_CreateObject(t->s, tmpl, leaf ? 11 : 10, &h);
	}
	if (rv != CKR_OK) {
		r = acmb_p11_error(err, rv, t->tok.module,
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
acmb_issue_token_store(struct acmb_issue_token *t, X509 *leaf, STACK_OF(X509) *chain, acmb_err *err)
{
	char chain_label[ACMB_P11_LABEL_MAX + 16];
	CK_OBJECT_HANDLE h;
	size_t n = 0;
	int i, r;

	/* One leaf per key: a second, different one would make the pairing
	 * by CKA_ID ambiguous for every later reader. */
	if ((r = count_named(t, CKO_CERTIFICATE, CKA_ID, &h, &n, err)) != ACMB_OK)
		return r;
	if (n > 0) {
		X509 *old = NULL;
		int same;

		if ((r = acmb_p11_cert_x509(&t->tok, t->s, h, &old, err)) != ACMB_OK)
			return r;
		same = X509_cmp(old, leaf) == 0;
		X509_free(old);
		if (!same)
			return acmb_error(err, ACMB_E_TOKEN,
			    "token '%s' already holds another "
			    "certificate for key '%s'",
			    t->tok.label, t->label);
	}
	if ((r = store_cert(t, leaf, t->label, 1, err)) != ACMB_OK)
		return r;
	snprintf(chain_label, sizeof(chain_label), "%s-chain", t->label);
	for (i = 0; i < sk_X509_num(chain); i++)
		if ((r = store_cert(t, sk_X509_value(chain, i), chain_label, 0, err)) != ACMB_OK)
			return r;
	return ACMB_OK;
}

/* Appends s to buf percent-encoded as RFC 7512 wants path values. */
static void
uri_append(char *buf, size_t len, const unsigned char *s, size_t n)
{
	static const char hex[] = "0123456789abcdef";
	size_t pos = strlen(buf), i;

	for (i = 0; i < n && pos + 4 < len; i++) {
		if ((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= 'A' && s[i] <= 'Z') ||
		    (s[i] >= '0' && s[i] <= '9') || s[i] == '-' || s[i] == '.' || s[i] == '_') {
			buf[pos++] = (char)s[i];
		} else {
			buf[pos++] = '%';
			buf[pos++] = hex[s[i] >> 4];
			buf[pos++] = hex[s[i] & 0xf];
		}
	}
	buf[pos] = '\0';
}

int
acmb_issue_token_load(struct acmb_issue_token *t, const char *region, struct acmb_material **out,
    struct acmb_audit **audit, acmb_err *err)
{
	struct acmb_pkcs11_spec ps;
	char cert_uri[URI_TEXT_MAX], chain_uri[URI_TEXT_MAX], chain_label[ACMB_P11_LABEL_MAX + 16];
	int r = ACMB_E_INTERNAL;

	*out = NULL;
	*audit = NULL;
	/* The PKCS#11 source opens the token itself; ours must be gone first. */
	close_session(t);
	snprintf(cert_uri, sizeof(cert_uri), "pkcs11:serial=");
	uri_append(cert_uri, sizeof(cert_uri), (const unsigned char *)t->tok.serial,
	    strlen(t->tok.serial));
	memcpy(chain_uri, cert_uri, sizeof(chain_uri));
	strncat(cert_uri, ";id=", sizeof(cert_uri) - strlen(cert_uri) - 1);
	uri_append(cert_uri, sizeof(cert_uri), t->id, t->id_len);
	strncat(cert_uri, ";type=cert", sizeof(cert_uri) - strlen(cert_uri) - 1);
	snprintf(chain_label, sizeof(chain_label), "%s-chain", t->label);
	strncat(chain_uri, ";object=", sizeof(chain_uri) - strlen(chain_uri) - 1);
	uri_append(
	    chain_uri, sizeof(chain_uri), (const unsigned char *)chain_label, strlen(chain_label));
	strncat(chain_uri, ";type=cert", sizeof(chain_uri) - strlen(chain_uri) - 1);
	memset(&ps, 0, sizeof(ps));
	ps.certificate = cert_uri;
	ps.certificate_chain = chain_uri;
	ps.token = *t->spec;
	ps.token.wrapping_key = NULL;
	ps.region = region;
	if ((r = acmb_audit_open(t->spec->audit_log, audit, err)) != ACMB_OK)
		goto out;
	r = acmb_pkcs11_load(&ps, out, *audit, err);
out:
	acmb_pkcs11_spec_clear(&ps);
	return r;
}
