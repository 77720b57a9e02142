/* Key decoding: every format a key arrives in (PKCS#1, PKCS#8, SEC1; PEM and
 * DER; encrypted PKCS#8 and legacy Proc-Type PEM), passphrase handling, and
 * the unencrypted PKCS#8 PEM that leaves through the secure heap. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <openssl/bio.h>
#include <openssl/buffer.h>
#include <openssl/crypto.h>
#include <openssl/encoder.h>
#include <openssl/evp.h>
#include <openssl/provider.h>

#include "init.h"
#include "keyload.h"
#include "secmem.h"
#include "test-util.h"

static EVP_PKEY *rsa_key, *ec_key;
static const char pass[] = "correct horse";

static int
setup(void **state)
{
	(void)state;
	rsa_key = EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)2048);
	ec_key = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-384");
	return rsa_key != NULL && ec_key != NULL ? 0 : -1;
}

static int
teardown(void **state)
{
	(void)state;
	EVP_PKEY_free(rsa_key);
	EVP_PKEY_free(ec_key);
	return 0;
}

struct encoded {
	unsigned char *data;
	size_t len;
};

/* Encodes key as output ("PEM"/"DER") in structure, encrypted with
 * AES-256-CBC under pass when cipher is 1. */
static struct encoded
encode(EVP_PKEY *key, const char *output, const char *structure, int cipher)
{
	OSSL_ENCODER_CTX *ectx;
	struct encoded e = {NULL, 0};

	ectx = OSSL_ENCODER_CTX_new_for_pkey(key, EVP_PKEY_KEYPAIR, output, structure, NULL);
	assert_non_null(ectx);
	assert_true(OSSL_ENCODER_CTX_get_num_encoders(ectx) > 0);
	if (cipher) {
		assert_true(OSSL_ENCODER_CTX_set_cipher(ectx, "AES-256-CBC", NULL));
		assert_true(OSSL_ENCODER_CTX_set_passphrase(
		    ectx, (const unsigned char *)pass, strlen(pass)));
	}
	assert_true(OSSL_ENCODER_to_data(ectx, &e.data, &e.len));
	OSSL_ENCODER_CTX_free(ectx);
	return e;
}

static void
encoded_free(struct encoded *e)
{
	OPENSSL_clear_free(e->data, e->len);
}

/* The type on the PEM's BEGIN line. The encoder's output is not a C string
 * (no NUL after its e->len bytes): every search is bounded by e->len. A
 * strstr() here was issue 15's SIGSEGV: AddressSanitizer's strstr measures
 * the whole haystack with strlen() first, which ran past the buffer into
 * whatever followed it, and off the end of a mapping about once in a
 * hundred runs (tests/CMakeLists.txt now sets strict_string_checks=1, which
 * reports any such read every time). */
static const char *
pem_type_of(const struct encoded *e, char *buf, size_t size)
{
	static const char begin[] = "-----BEGIN ";
	const char *p = (const char *)e->data + strlen(begin);
	const char *end;

	assert_true(e->len > strlen(begin));
	assert_memory_equal(e->data, begin, strlen(begin));
	end = memmem(p, e->len - strlen(begin), "-----", 5);
	assert_non_null(end);
	assert_true((size_t)(end - p) < size);
	memcpy(buf, p, (size_t)(end - p));
	buf[end - p] = '\0';
	return buf;
}

struct format_case {
	EVP_PKEY **key;
	const char *output;
	const char *structure;
	int cipher;
	const char *pem_type; /* expected type for PEM */
	const char *format;   /* expected key_format */
	int encrypted;        /* expected keyload_info.encrypted */
};

/* Reads a command's standard output whole. */
static struct encoded
command_output(const char *cmd)
{
	struct encoded e = {NULL, 0};
	FILE *f = popen(cmd, "r");
	size_t n;

	assert_non_null(f);
	e.data = OPENSSL_zalloc(64 << 10);
	assert_non_null(e.data);
	while ((n = fread(e.data + e.len, 1, (64 << 10) - 1 - e.len, f)) > 0)
		e.len += n;
	assert_int_equal(pclose(f), 0);
	assert_true(e.len > 0);
	return e;
}

static void
test_pre_openssl3_encryption_loads_legacy_provider(void **state)
{
	static const char *const cmds[] = {
	    "openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 2>/dev/null | "
	    "openssl pkcs8 -topk8 -v1 PBE-MD5-DES -passout 'pass:correct horse' "
	    "-provider legacy -provider default",
	    "openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:1024 2>/dev/null | "
	    "openssl rsa -traditional -des -passout 'pass:correct horse' "
	    "-provider legacy -provider default 2>/dev/null",
	};
	static const char *const types[] = {"ENCRYPTED PRIVATE KEY", "RSA PRIVATE KEY"};
	struct acmb_keyload_info info;
	acmb_err err = {0};
	EVP_PKEY *k = NULL;
	size_t i;

	(void)state;
	for (i = 0; i < 2; i++) {
		struct encoded e;

		test_case("case %zu: %s from the openssl command", i, types[i]);
		e = command_output(cmds[i]);
		/* Until such a key needs it, the legacy provider stays out. */
		assert_int_equal(OSSL_PROVIDER_available(NULL, "legacy"), (int)i);
		if (acmb_keyload_decode(
		        e.data, e.len, types[i], pass, strlen(pass), &k, &info, &err) != ACMB_OK)
			fail_msg("%s: %s", types[i], err.msg);
		assert_int_equal(info.encrypted, i == 0 ? 1 : 2);
		assert_int_equal(OSSL_PROVIDER_available(NULL, "legacy"), 1);
		EVP_PKEY_free(k);
		k = NULL;
		encoded_free(&e);
	}
	test_case_end();
	assert_int_equal(acmb_keyload_legacy_provider(), 0);
}

static void
test_every_format(void **state)
{
	static const struct format_case cases[] = {
	    {&rsa_key, "PEM", "PrivateKeyInfo", 0, "PRIVATE KEY", "PKCS#8", 0},
	    {&rsa_key, "PEM", "type-specific", 0, "RSA PRIVATE KEY", "PKCS#1", 0},
	    {&ec_key, "PEM", "PrivateKeyInfo", 0, "PRIVATE KEY", "PKCS#8", 0},
	    {&ec_key, "PEM", "type-specific", 0, "EC PRIVATE KEY", "SEC1", 0},
	    {&rsa_key, "PEM", "EncryptedPrivateKeyInfo", 1, "ENCRYPTED PRIVATE KEY", "PKCS#8", 1},
	    {&ec_key, "PEM", "EncryptedPrivateKeyInfo", 1, "ENCRYPTED PRIVATE KEY", "PKCS#8", 1},
	    {&rsa_key, "PEM", "type-specific", 1, "RSA PRIVATE KEY", "PKCS#1", 2},
	    {&ec_key, "PEM", "type-specific", 1, "EC PRIVATE KEY", "SEC1", 2},
	    {&rsa_key, "DER", "PrivateKeyInfo", 0, NULL, "PKCS#8", 0},
	    {&rsa_key, "DER", "type-specific", 0, NULL, "PKCS#1", 0},
	    {&ec_key, "DER", "PrivateKeyInfo", 0, NULL, "PKCS#8", 0},
	    {&ec_key, "DER", "type-specific", 0, NULL, "SEC1", 0},
	    {&ec_key, "DER", "EncryptedPrivateKeyInfo", 1, NULL, "PKCS#8", 1},
	};
	struct acmb_keyload_info info;
	char type[64];
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const struct format_case *c = &cases[i];
		struct encoded e;
		const char *t = NULL;
		acmb_err err = {0};
		EVP_PKEY *k = NULL;
		int r;

		test_case("case %zu: %s %s %s%s", i, EVP_PKEY_get0_type_name(*c->key), c->output,
		    c->structure, c->cipher ? " AES-256-CBC" : "");
		e = encode(*c->key, c->output, c->structure, c->cipher);
		if (c->pem_type != NULL) {
			t = pem_type_of(&e, type, sizeof(type));
			assert_string_equal(t, c->pem_type);
		}
		r = acmb_keyload_decode(e.data, e.len, t, c->cipher ? pass : NULL,
		    c->cipher ? strlen(pass) : 0, &k, &info, &err);
		if (r != ACMB_OK)
			fail_msg("case %zu: %s", i, err.msg);
		if (strcmp(info.format, c->format) != 0)
			fail_msg("case %zu: format %s, expected %s", i, info.format, c->format);
		assert_int_equal(info.encrypted, c->encrypted);
		assert_int_equal(EVP_PKEY_eq(k, *c->key), 1);
		EVP_PKEY_free(k);
		if (c->cipher) {
			test_case("case %zu: %s %s %s AES-256-CBC, no or a wrong passphrase", i,
			    EVP_PKEY_get0_type_name(*c->key), c->output, c->structure);
			/* Missing passphrase: a rule status, not a prompt. */
			r = acmb_keyload_decode(e.data, e.len, t, NULL, 0, &k, &info, &err);
			assert_int_equal(r, ACMB_E_RULE);
			assert_non_null(strstr(err.msg, "encrypted"));
			assert_null(k);
			r = acmb_keyload_decode(e.data, e.len, t, "wrong", 5, &k, &info, &err);
			assert_int_equal(r, ACMB_E_PASSPHRASE);
			assert_string_equal(err.msg, "wrong passphrase");
			assert_null(k);
		}
		encoded_free(&e);
	}
	test_case_end();
}

static void
test_not_a_private_key(void **state)
{
	static const char pub[] = "-----BEGIN PRIVATE KEY-----\naGVsbG8gd29ybGQ=\n"
	                          "-----END PRIVATE KEY-----\n";
	static const char bad64[] = "-----BEGIN PRIVATE KEY-----\naGVsb!G8gd29ybGQ=\n"
	                            "-----END PRIVATE KEY-----\n";
	static const unsigned char der[] = {0x30, 0x03, 0x02, 0x01, 0x00};
	struct acmb_keyload_info info;
	acmb_err err = {0};
	EVP_PKEY *k = NULL;

	(void)state;
	assert_int_equal(acmb_keyload_decode((const unsigned char *)pub, strlen(pub), "PRIVATE KEY",
	                     NULL, 0, &k, &info, &err),
	    ACMB_E_PARSE);
	assert_non_null(strstr(err.msg, "not a valid private key"));
	assert_int_equal(acmb_keyload_decode((const unsigned char *)bad64, strlen(bad64),
	                     "PRIVATE KEY", NULL, 0, &k, &info, &err),
	    ACMB_E_PARSE);
	assert_non_null(strstr(err.msg, "bad base64"));
	assert_int_equal(
	    acmb_keyload_decode(der, sizeof(der), NULL, NULL, 0, &k, &info, &err), ACMB_E_PARSE);
	assert_int_equal(acmb_keyload_decode(der, 0, NULL, NULL, 0, &k, &info, &err), ACMB_E_PARSE);
	assert_null(k);
}

static void
test_public_key_refused(void **state)
{
	OSSL_ENCODER_CTX *ectx;
	struct acmb_keyload_info info;
	unsigned char *der = NULL;
	size_t len = 0;
	acmb_err err = {0};
	EVP_PKEY *k = NULL;

	(void)state;
	ectx = OSSL_ENCODER_CTX_new_for_pkey(
	    ec_key, EVP_PKEY_PUBLIC_KEY, "DER", "SubjectPublicKeyInfo", NULL);
	assert_non_null(ectx);
	assert_true(OSSL_ENCODER_to_data(ectx, &der, &len));
	OSSL_ENCODER_CTX_free(ectx);
	assert_int_equal(
	    acmb_keyload_decode(der, len, NULL, NULL, 0, &k, &info, &err), ACMB_E_PARSE);
	assert_null(k);
	OPENSSL_free(der);
}

static void
test_trailing_bytes_after_der_refused(void **state)
{
	struct encoded e = encode(ec_key, "DER", "PrivateKeyInfo", 0);
	struct acmb_keyload_info info;
	unsigned char *longer = malloc(e.len + 4);
	acmb_err err = {0};
	EVP_PKEY *k = NULL;

	(void)state;
	assert_non_null(longer);
	memcpy(longer, e.data, e.len);
	memset(longer + e.len, 0, 4);
	assert_int_equal(
	    acmb_keyload_decode(longer, e.len + 4, NULL, NULL, 0, &k, &info, &err), ACMB_E_PARSE);
	assert_null(k);
	free(longer);
	encoded_free(&e);
}

static void
test_pkcs8_pem_from_secure_heap(void **state)
{
	EVP_PKEY *keys[2], *back = NULL;
	struct acmb_keyload_info info;
	acmb_secbuf *pem = NULL;
	acmb_err err = {0};
	size_t i;

	(void)state;
	keys[0] = rsa_key;
	keys[1] = ec_key;
	for (i = 0; i < 2; i++) {
		test_case("key %zu: %s", i, EVP_PKEY_get0_type_name(keys[i]));
		assert_int_equal(acmb_keyload_pkcs8_pem(keys[i], &pem, &err), ACMB_OK);
		assert_true(CRYPTO_secure_allocated(acmb_secbuf_ptr(pem)));
		assert_int_equal(
		    strncmp(acmb_secbuf_str(pem), "-----BEGIN PRIVATE KEY-----\n", 28), 0);
		assert_non_null(strstr(acmb_secbuf_str(pem), "-----END PRIVATE KEY-----\n"));
		assert_int_equal(acmb_keyload_decode(acmb_secbuf_ptr(pem), acmb_secbuf_len(pem),
		                     "PRIVATE KEY", NULL, 0, &back, &info, &err),
		    ACMB_OK);
		assert_int_equal(EVP_PKEY_eq(back, keys[i]), 1);
		EVP_PKEY_free(back);
		back = NULL;
		acmb_secbuf_free(pem);
		pem = NULL;
	}
	test_case_end();
	assert_int_equal(acmb_keyload_pkcs8_pem(NULL, &pem, &err), ACMB_E_INTERNAL);
	assert_null(pem);
}

/* The key-size rule measures the PEM "as sent" without encoding EC keys:
 * the computed length must equal what the encoder writes, for every curve
 * ACM takes and others, compressed points and keys without a public part. */
static void
test_pkcs8_pem_len_matches_encoder(void **state)
{
	static const char *const curves[] = {
	    "P-256", "P-384", "P-521", "secp256k1", "brainpoolP256r1", "prime192v1"};
	static const char *const forms[] = {"uncompressed", "compressed"};
	EVP_PKEY *k;
	acmb_secbuf *pem = NULL;
	acmb_err err = {0};
	size_t i, j, len;
	int inc;

	(void)state;
	for (i = 0; i < sizeof(curves) / sizeof(curves[0]); i++) {
		for (j = 0; j < 2; j++) {
			for (inc = 0; inc <= 1; inc++) {
				test_case(
				    "%s, %s point, include-public %d", curves[i], forms[j], inc);
				assert_non_null(k = EVP_PKEY_Q_keygen(NULL, NULL, "EC", curves[i]));
				assert_true(
				    EVP_PKEY_set_utf8_string_param(k, "point-format", forms[j]));
				assert_true(EVP_PKEY_set_int_param(k, "include-public", inc));
				assert_int_equal(acmb_keyload_pkcs8_pem(k, &pem, &err), ACMB_OK);
				assert_int_equal(
				    acmb_keyload_pkcs8_pem_len(k, &len, &err), ACMB_OK);
				assert_int_equal(len, acmb_secbuf_len(pem));
				acmb_secbuf_free(pem);
				pem = NULL;
				EVP_PKEY_free(k);
			}
		}
	}
	test_case_end();
	assert_int_equal(acmb_keyload_pkcs8_pem_len(rsa_key, &len, &err), ACMB_OK);
	assert_int_equal(acmb_keyload_pkcs8_pem(rsa_key, &pem, &err), ACMB_OK);
	assert_int_equal(len, acmb_secbuf_len(pem));
	acmb_secbuf_free(pem);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    /* First: it needs the legacy provider not loaded yet. */
	    case_unit_test(test_pre_openssl3_encryption_loads_legacy_provider),
	    case_unit_test(test_every_format),
	    cmocka_unit_test(test_not_a_private_key),
	    cmocka_unit_test(test_public_key_refused),
	    cmocka_unit_test(test_trailing_bytes_after_der_refused),
	    case_unit_test(test_pkcs8_pem_from_secure_heap),
	    case_unit_test(test_pkcs8_pem_len_matches_encoder),
	};
	acmb_err err = {0};

	if (acmb_init(NULL, &err) != ACMB_OK) {
		fprintf(stderr, "acmb_init: %s\n", err.msg);
		return 1;
	}
	return cmocka_run_group_tests(tests, setup, teardown);
}
