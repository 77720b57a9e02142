/*
 * Test fixture: puts keys and certificates on a SoftHSM token with the exact
 * attributes a test needs (softhsm2-util and pkcs11-tool always make keys
 * sensitive, and the former unextractable), through the module's own
 * C_CreateObject / C_GenerateKeyPair. PINs come from FIXTURE_PIN and
 * FIXTURE_SO_PIN (test tokens only).
 *
 *   p11-fixture MODULE TOKEN import-key KEY.pem IDHEX LABEL sensitive|plain|nonext|trusted
 *   p11-fixture MODULE TOKEN import-cert CERT.pem IDHEX LABEL CATEGORY
 *   p11-fixture MODULE TOKEN gen-ec-nonext IDHEX LABEL
 *   p11-fixture MODULE TOKEN trusted-wrap-key IDHEX LABEL
 *   p11-fixture MODULE TOKEN delete-cert LABEL   (every certificate with LABEL)
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/objects.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/x509.h>
#include <p11-kit/p11-kit.h>

#include "init.h"

#define MAXA 32

static CK_FUNCTION_LIST *fn;
/* Template buffers live until exit; freed there (keeps the sanitizers quiet). */
static void *owned[128], *ossl_owned[128];
static size_t nowned, nossl_owned;

static void *
keep(void *p)
{
	if (nowned < 128)
		owned[nowned++] = p;
	return p;
}

static void *
keep_ossl(void *p)
{
	if (nossl_owned < 128)
		ossl_owned[nossl_owned++] = p;
	return p;
}

static void
release_all(void)
{
	while (nowned > 0)
		free(owned[--nowned]);
	while (nossl_owned > 0)
		OPENSSL_free(ossl_owned[--nossl_owned]);
}
static CK_BBOOL yes = CK_TRUE, no = CK_FALSE;

static void __attribute__((noreturn)) die(const char *what, CK_RV rv)
{
	fprintf(stderr, "p11-fixture: %s: 0x%lx\n", what, (unsigned long)rv);
	exit(1);
}

struct tmpl {
	CK_ATTRIBUTE a[MAXA];
	CK_ULONG n;
};

static void
add(struct tmpl *t, CK_ATTRIBUTE_TYPE type, const void *v, CK_ULONG len)
{
	if (t->n == MAXA)
		die("template full", 0);
	t->a[t->n].type = type;
	t->a[t->n].pValue = (void *)v;
	t->a[t->n++].ulValueLen = len;
}

static void
add_bn(struct tmpl *t, CK_ATTRIBUTE_TYPE type, EVP_PKEY *k, const char *param)
{
	BIGNUM *bn = NULL;
	unsigned char *buf;
	int n;

	if (EVP_PKEY_get_bn_param(k, param, &bn) != 1)
		die(param, 0);
	n = BN_num_bytes(bn);
	buf = keep(malloc((size_t)n));
	BN_bn2bin(bn, buf);
	add(t, type, buf, (CK_ULONG)n);
	BN_free(bn);
}

static unsigned char *
hex_id(const char *hex, CK_ULONG *len)
{
	size_t n = strlen(hex) / 2, i;
	unsigned char *id = keep(malloc(n + 1));
	unsigned int v;

	for (i = 0; i < n; i++) {
		if (sscanf(hex + 2 * i, "%2x", &v) != 1)
			die("bad id", 0);
		id[i] = (unsigned char)v;
	}
	*len = n;
	return id;
}

static CK_SESSION_HANDLE
open_token(const char *module, const char *label, CK_USER_TYPE user)
{
	CK_SLOT_ID slots[64];
	CK_ULONG n = 64, i;
	CK_TOKEN_INFO ti;
	CK_SESSION_HANDLE s;
	const char *pin = getenv(user == CKU_SO ? "FIXTURE_SO_PIN" : "FIXTURE_PIN");
	char lab[33];
	CK_RV rv;

	if ((fn = p11_kit_module_load(module, 0)) == NULL)
		die("load module", 0);
	if ((rv = p11_kit_module_initialize(fn)) != CKR_OK)
		die("initialize", rv);
	if ((rv = fn->C_GetSlotList(CK_TRUE, slots, &n)) != CKR_OK)
		die("slot list", rv);
	for (i = 0; i < n; i++) {
		if (fn->C_GetTokenInfo(slots[i], &ti) != CKR_OK)
			continue;
		memcpy(lab, ti.label, 32);
		lab[32] = '\0';
		for (int j = 31; j >= 0 && lab[j] == ' '; j--)
			lab[j] = '\0';
		if (strcmp(lab, label) != 0)
			continue;
		if ((rv = fn->C_OpenSession(
		         slots[i], CKF_SERIAL_SESSION | CKF_RW_SESSION, NULL, NULL, &s)) != CKR_OK)
			die("open session", rv);
		if (pin == NULL)
			die("FIXTURE_PIN / FIXTURE_SO_PIN not set", 0);
		if ((rv = fn->C_Login(s, user, (CK_UTF8CHAR_PTR)pin, strlen(pin))) != CKR_OK)
			die("login", rv);
		return s;
	}
	die("no such token", 0);
	return 0;
}

static EVP_PKEY *
read_key(const char *path)
{
	FILE *f = fopen(path, "r");
	EVP_PKEY *k;

	if (f == NULL)
		die(path, 0);
	k = PEM_read_PrivateKey(f, NULL, NULL, NULL);
	fclose(f);
	if (k == NULL)
		die("read key", 0);
	return k;
}

static void
import_key(
    CK_SESSION_HANDLE s, const char *path, const char *idhex, const char *label, const char *mode)
{
	CK_OBJECT_CLASS priv = CKO_PRIVATE_KEY, pubc = CKO_PUBLIC_KEY;
	CK_KEY_TYPE kt;
	struct tmpl t = {.n = 0}, p = {.n = 0};
	EVP_PKEY *k = read_key(path);
	CK_ULONG idlen;
	unsigned char *id = hex_id(idhex, &idlen), *params = NULL, pt[200], *ptder = NULL;
	unsigned char privbuf[80];
	char group[64];
	ASN1_OBJECT *oid;
	ASN1_OCTET_STRING *os;
	size_t ptlen;
	int plen, ptderlen, fsize;
	BIGNUM *d = NULL;
	CK_OBJECT_HANDLE h;
	CK_RV rv;
	int sensitive = strcmp(mode, "plain") != 0;
	int extractable = strcmp(mode, "nonext") != 0;
	int trusted = strcmp(mode, "trusted") == 0;

	kt = EVP_PKEY_is_a(k, "RSA") ? CKK_RSA : CKK_EC;
	add(&t, CKA_CLASS, &priv, sizeof(priv));
	add(&t, CKA_KEY_TYPE, &kt, sizeof(kt));
	add(&t, CKA_TOKEN, &yes, sizeof(yes));
	add(&t, CKA_PRIVATE, &yes, sizeof(yes));
	add(&t, CKA_SIGN, &yes, sizeof(yes));
	add(&t, CKA_SENSITIVE, sensitive ? &yes : &no, sizeof(yes));
	add(&t, CKA_EXTRACTABLE, extractable ? &yes : &no, sizeof(yes));
	if (trusted)
		add(&t, CKA_WRAP_WITH_TRUSTED, &yes, sizeof(yes));
	add(&t, CKA_ID, id, idlen);
	add(&t, CKA_LABEL, label, strlen(label));
	add(&p, CKA_CLASS, &pubc, sizeof(pubc));
	add(&p, CKA_KEY_TYPE, &kt, sizeof(kt));
	add(&p, CKA_TOKEN, &yes, sizeof(yes));
	add(&p, CKA_PRIVATE, &no, sizeof(no));
	add(&p, CKA_VERIFY, &yes, sizeof(yes));
	add(&p, CKA_ID, id, idlen);
	add(&p, CKA_LABEL, label, strlen(label));
	if (kt == CKK_RSA) {
		add_bn(&t, CKA_MODULUS, k, OSSL_PKEY_PARAM_RSA_N);
		add_bn(&t, CKA_PUBLIC_EXPONENT, k, OSSL_PKEY_PARAM_RSA_E);
		add_bn(&t, CKA_PRIVATE_EXPONENT, k, OSSL_PKEY_PARAM_RSA_D);
		add_bn(&t, CKA_PRIME_1, k, OSSL_PKEY_PARAM_RSA_FACTOR1);
		add_bn(&t, CKA_PRIME_2, k, OSSL_PKEY_PARAM_RSA_FACTOR2);
		add_bn(&t, CKA_EXPONENT_1, k, OSSL_PKEY_PARAM_RSA_EXPONENT1);
		add_bn(&t, CKA_EXPONENT_2, k, OSSL_PKEY_PARAM_RSA_EXPONENT2);
		add_bn(&t, CKA_COEFFICIENT, k, OSSL_PKEY_PARAM_RSA_COEFFICIENT1);
		add_bn(&p, CKA_MODULUS, k, OSSL_PKEY_PARAM_RSA_N);
		add_bn(&p, CKA_PUBLIC_EXPONENT, k, OSSL_PKEY_PARAM_RSA_E);
	} else {
		EVP_PKEY_get_utf8_string_param(
		    k, OSSL_PKEY_PARAM_GROUP_NAME, group, sizeof(group), NULL);
		oid = OBJ_txt2obj(group, 0);
		plen = i2d_ASN1_OBJECT(oid, &params);
		keep_ossl(params);
		ASN1_OBJECT_free(oid);
		add(&t, CKA_EC_PARAMS, params, (CK_ULONG)plen);
		add(&p, CKA_EC_PARAMS, params, (CK_ULONG)plen);
		EVP_PKEY_get_bn_param(k, OSSL_PKEY_PARAM_PRIV_KEY, &d);
		fsize = (EVP_PKEY_get_bits(k) + 7) / 8;
		BN_bn2binpad(d, privbuf, fsize);
		BN_free(d);
		add(&t, CKA_VALUE, privbuf, (CK_ULONG)fsize);
		EVP_PKEY_get_octet_string_param(k, OSSL_PKEY_PARAM_PUB_KEY, pt, sizeof(pt), &ptlen);
		os = ASN1_OCTET_STRING_new();
		ASN1_OCTET_STRING_set(os, pt, (int)ptlen);
		ptderlen = i2d_ASN1_OCTET_STRING(os, &ptder);
		keep_ossl(ptder);
		ASN1_OCTET_STRING_free(os);
		add(&p, CKA_EC_POINT, ptder, (CK_ULONG)ptderlen);
	}
	if ((rv = fn->C_CreateObject(s, t.a, t.n, &h)) != CKR_OK)
		die("create private key", rv);
	if ((rv = fn->C_CreateObject(s, p.a, p.n, &h)) != CKR_OK)
		die("create public key", rv);
	EVP_PKEY_free(k);
}

static void
import_cert(CK_SESSION_HANDLE s, const char *path, const char *idhex, const char *label,
    const char *category)
{
	CK_OBJECT_CLASS cls = CKO_CERTIFICATE;
	CK_CERTIFICATE_TYPE ct = CKC_X_509;
	CK_ULONG cat = strtoul(category, NULL, 10), idlen;
	struct tmpl t = {.n = 0};
	unsigned char *der = NULL, *subj = NULL, *iss = NULL, *ser = NULL;
	unsigned char *id = hex_id(idhex, &idlen);
	FILE *f = fopen(path, "r");
	X509 *x;
	CK_OBJECT_HANDLE h;
	CK_RV rv;
	int dl, sl, il, nl;

	if (f == NULL || (x = PEM_read_X509(f, NULL, NULL, NULL)) == NULL)
		die("read cert", 0);
	fclose(f);
	dl = i2d_X509(x, &der);
	sl = i2d_X509_NAME(X509_get_subject_name(x), &subj);
	il = i2d_X509_NAME(X509_get_issuer_name(x), &iss);
	nl = i2d_ASN1_INTEGER(X509_get_serialNumber(x), &ser);
	keep_ossl(der);
	keep_ossl(subj);
	keep_ossl(iss);
	keep_ossl(ser);
	add(&t, CKA_CLASS, &cls, sizeof(cls));
	add(&t, CKA_CERTIFICATE_TYPE, &ct, sizeof(ct));
	add(&t, CKA_TOKEN, &yes, sizeof(yes));
	add(&t, CKA_PRIVATE, &no, sizeof(no));
	add(&t, CKA_LABEL, label, strlen(label));
	if (idlen > 0)
		add(&t, CKA_ID, id, idlen);
	add(&t, CKA_SUBJECT, subj, (CK_ULONG)sl);
	add(&t, CKA_ISSUER, iss, (CK_ULONG)il);
	add(&t, CKA_SERIAL_NUMBER, ser, (CK_ULONG)nl);
	add(&t, CKA_VALUE, der, (CK_ULONG)dl);
	add(&t, CKA_CERTIFICATE_CATEGORY, &cat, sizeof(cat));
	if ((rv = fn->C_CreateObject(s, t.a, t.n, &h)) != CKR_OK)
		die("create certificate", rv);
	X509_free(x);
}

static void
gen_ec_nonext(CK_SESSION_HANDLE s, const char *idhex, const char *label)
{
	CK_MECHANISM mech = {CKM_EC_KEY_PAIR_GEN, NULL, 0};
	unsigned char p256[] = {0x06, 0x08, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x03, 0x01, 0x07};
	CK_ULONG idlen;
	unsigned char *id = hex_id(idhex, &idlen);
	CK_ATTRIBUTE pub[] = {
	    {CKA_TOKEN, &yes, sizeof(yes)},
	    {CKA_EC_PARAMS, p256, sizeof(p256)},
	    {CKA_ID, id, idlen},
	    {CKA_LABEL, (void *)label, strlen(label)},
	};
	CK_ATTRIBUTE priv[] = {
	    {CKA_TOKEN, &yes, sizeof(yes)},
	    {CKA_PRIVATE, &yes, sizeof(yes)},
	    {CKA_SENSITIVE, &yes, sizeof(yes)},
	    {CKA_EXTRACTABLE, &no, sizeof(no)},
	    {CKA_SIGN, &yes, sizeof(yes)},
	    {CKA_ID, id, idlen},
	    {CKA_LABEL, (void *)label, strlen(label)},
	};
	CK_OBJECT_HANDLE hp, hk;
	CK_RV rv;

	if ((rv = fn->C_GenerateKeyPair(s, &mech, pub, 4, priv, 7, &hp, &hk)) != CKR_OK)
		die("generate", rv);
}

static void
trusted_wrap_key(CK_SESSION_HANDLE s, const char *idhex, const char *label)
{
	CK_OBJECT_CLASS cls = CKO_SECRET_KEY;
	CK_KEY_TYPE kt = CKK_AES;
	unsigned char value[32];
	CK_ULONG idlen;
	unsigned char *id = hex_id(idhex, &idlen);
	CK_ATTRIBUTE t[] = {
	    {CKA_CLASS, &cls, sizeof(cls)},
	    {CKA_KEY_TYPE, &kt, sizeof(kt)},
	    {CKA_TOKEN, &yes, sizeof(yes)},
	    {CKA_PRIVATE, &no, sizeof(no)},
	    {CKA_SENSITIVE, &yes, sizeof(yes)},
	    {CKA_EXTRACTABLE, &no, sizeof(no)},
	    {CKA_TRUSTED, &yes, sizeof(yes)},
	    {CKA_WRAP, &yes, sizeof(yes)},
	    {CKA_UNWRAP, &yes, sizeof(yes)},
	    {CKA_ID, id, idlen},
	    {CKA_LABEL, (void *)label, strlen(label)},
	    {CKA_VALUE, value, sizeof(value)},
	};
	CK_OBJECT_HANDLE h;
	CK_RV rv;

	RAND_bytes(value, sizeof(value));
	if ((rv = fn->C_CreateObject(s, t, sizeof(t) / sizeof(t[0]), &h)) != CKR_OK)
		die("create trusted key", rv);
}

/* A renewal on the token: the old certificate object goes. */
static void
delete_cert(CK_SESSION_HANDLE s, const char *label)
{
	CK_OBJECT_CLASS cls = CKO_CERTIFICATE;
	CK_ATTRIBUTE t[] = {
	    {CKA_CLASS, &cls, sizeof(cls)},
	    {CKA_LABEL, (void *)label, strlen(label)},
	};
	CK_OBJECT_HANDLE h[16];
	CK_ULONG n = 0, i;
	CK_RV rv;

	if ((rv = fn->C_FindObjectsInit(s, t, sizeof(t) / sizeof(t[0]))) != CKR_OK ||
	    (rv = fn->C_FindObjects(s, h, sizeof(h) / sizeof(h[0]), &n)) != CKR_OK ||
	    (rv = fn->C_FindObjectsFinal(s)) != CKR_OK)
		die("find certificates", rv);
	if (n == 0)
		die("no certificate with that label", 0);
	for (i = 0; i < n; i++)
		if ((rv = fn->C_DestroyObject(s, h[i])) != CKR_OK)
			die("destroy certificate", rv);
}

int
main(int argc, char **argv)
{
	CK_SESSION_HANDLE s;
	acmb_err err = {0, ""};

	if (acmb_init(NULL, &err) != ACMB_OK)
		die(err.msg, 0);
	if (argc < 4)
		die("usage: see the top of p11-fixture.c", 0);
	s = open_token(
	    argv[1], argv[2], strcmp(argv[3], "trusted-wrap-key") == 0 ? CKU_SO : CKU_USER);
	if (strcmp(argv[3], "import-key") == 0 && argc == 8)
		import_key(s, argv[4], argv[5], argv[6], argv[7]);
	else if (strcmp(argv[3], "import-cert") == 0 && argc == 8)
		import_cert(s, argv[4], argv[5], argv[6], argv[7]);
	else if (strcmp(argv[3], "gen-ec-nonext") == 0 && argc == 6)
		gen_ec_nonext(s, argv[4], argv[5]);
	else if (strcmp(argv[3], "trusted-wrap-key") == 0 && argc == 6)
		trusted_wrap_key(s, argv[4], argv[5]);
	else if (strcmp(argv[3], "delete-cert") == 0 && argc == 5)
		delete_cert(s, argv[4]);
	else
		die("usage: see the top of p11-fixture.c", 0);
	fn->C_Logout(s);
	fn->C_CloseSession(s);
	p11_kit_module_finalize(fn);
	p11_kit_module_release(fn);
	release_all();
	acmb_shutdown();
	return 0;
}
