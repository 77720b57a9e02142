/* The wrap path's decode step (acmb_p11_export_key after the unwrap): every
 * key must come out as OpenSSL's own PKCS#8 decoder would give it, the EC
 * keys of a named curve through the faster scalar assembly, and always with
 * a public half computed from the private one. Keys are made at test time. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/decoder.h>
#include <openssl/encoder.h>
#include <openssl/evp.h>

#include "init.h"
#include "pkcs11/p11-export.h"
#include "test-util.h"

#ifdef ACMB_TEST_HOOKS

#define DER_MAX 4096

struct der {
	unsigned char b[DER_MAX];
	size_t len;
};

/* A PrivateKeyInfo of k, with or without the public key inside, as a
 * token's C_WrapKey would hold it. */
static void
pkcs8_der(EVP_PKEY *k, int with_public, const char *ec_encoding, struct der *out)
{
	EVP_PKEY *copy = EVP_PKEY_dup(k);
	OSSL_ENCODER_CTX *ctx;
	unsigned char *p = out->b;
	size_t left = sizeof(out->b);

	assert_non_null(copy);
	if (EVP_PKEY_is_a(copy, "EC")) {
		assert_int_equal(
		    EVP_PKEY_set_int_param(copy, OSSL_PKEY_PARAM_EC_INCLUDE_PUBLIC, with_public),
		    1);
		if (ec_encoding != NULL)
			assert_int_equal(EVP_PKEY_set_utf8_string_param(
			                     copy, OSSL_PKEY_PARAM_EC_ENCODING, ec_encoding),
			    1);
	}
	ctx = OSSL_ENCODER_CTX_new_for_pkey(copy, EVP_PKEY_KEYPAIR, "DER", "PrivateKeyInfo", NULL);
	assert_non_null(ctx);
	assert_int_equal(OSSL_ENCODER_to_data(ctx, &p, &left), 1);
	out->len = sizeof(out->b) - left;
	OSSL_ENCODER_CTX_free(ctx);
	EVP_PKEY_free(copy);
}

/* k's PrivateKeyInfo as it leaves us for ACM. */
static void
encode_plain(EVP_PKEY *k, struct der *out)
{
	OSSL_ENCODER_CTX *ctx =
	    OSSL_ENCODER_CTX_new_for_pkey(k, EVP_PKEY_KEYPAIR, "DER", "PrivateKeyInfo", NULL);
	unsigned char *p = out->b;
	size_t left = sizeof(out->b);

	assert_non_null(ctx);
	assert_int_equal(OSSL_ENCODER_to_data(ctx, &p, &left), 1);
	out->len = sizeof(out->b) - left;
	OSSL_ENCODER_CTX_free(ctx);
}

/* What OpenSSL's own PKCS#8 decoder makes of der; NULL if it refuses. */
static EVP_PKEY *
reference_decode(const struct der *d, const char *type)
{
	EVP_PKEY *k = NULL;
	OSSL_DECODER_CTX *ctx = OSSL_DECODER_CTX_new_for_pkey(
	    &k, "DER", "PrivateKeyInfo", type, EVP_PKEY_KEYPAIR, NULL, NULL);
	const unsigned char *p = d->b;
	size_t len = d->len;

	assert_non_null(ctx);
	if (OSSL_DECODER_from_data(ctx, &p, &len) != 1) {
		EVP_PKEY_free(k);
		k = NULL;
	}
	OSSL_DECODER_CTX_free(ctx);
	return k;
}

static void
assert_same_private(EVP_PKEY *a, EVP_PKEY *b, const char *param)
{
	BIGNUM *x = NULL, *y = NULL;

	assert_int_equal(EVP_PKEY_get_bn_param(a, param, &x), 1);
	assert_int_equal(EVP_PKEY_get_bn_param(b, param, &y), 1);
	assert_int_equal(BN_cmp(x, y), 0);
	BN_clear_free(x);
	BN_clear_free(y);
}

/* Decodes d through x and checks the key is k's, public half included. */
static void
assert_decodes_to(
    struct acmb_p11_exporter *x, const struct der *d, CK_KEY_TYPE kt, EVP_PKEY *k, int assembled)
{
	acmb_err err = {0, ""};
	EVP_PKEY *got = NULL;
	unsigned char point[1 + 2 * 66];
	size_t point_len = 0;
	struct der out;

	assert_int_equal(acmb_p11_test_decode(x, d->b, d->len, kt, &got, &err), ACMB_OK);
	assert_int_equal(acmb_p11_test_ec_assembled, assembled);
	assert_int_equal(EVP_PKEY_eq(got, k), 1);
	if (kt == CKK_EC) {
		assert_same_private(got, k, OSSL_PKEY_PARAM_PRIV_KEY);
		/* ACM wants the public key inside the PKCS#8 we send. */
		assert_int_equal(EVP_PKEY_get_octet_string_param(
		                     k, OSSL_PKEY_PARAM_PUB_KEY, point, sizeof(point), &point_len),
		    1);
		encode_plain(got, &out);
		assert_non_null(memmem(out.b, out.len, point, point_len));
	} else {
		assert_same_private(got, k, OSSL_PKEY_PARAM_RSA_D);
	}
	EVP_PKEY_free(got);
}

/* Every curve ACM takes, in an order that makes the exporter switch curves,
 * without the public key (SoftHSM's form) and with it. */
static void
test_ec_named_curves(void **state)
{
	static const char *const curves[] = {"P-256", "P-384", "P-256", "P-521"};
	struct acmb_p11_exporter *x = NULL;
	acmb_err err = {0, ""};
	struct der d;
	size_t i;

	(void)state;
	assert_int_equal(acmb_p11_exporter_new(&x, &err), ACMB_OK);
	for (i = 0; i < sizeof(curves) / sizeof(curves[0]); i++) {
		EVP_PKEY *k;

		test_case("case %zu: %s", i, curves[i]);
		k = EVP_PKEY_Q_keygen(NULL, NULL, "EC", curves[i]);
		assert_non_null(k);
		pkcs8_der(k, 0, NULL, &d);
		assert_decodes_to(x, &d, CKK_EC, k, 1);
		pkcs8_der(k, 1, NULL, &d);
		assert_decodes_to(x, &d, CKK_EC, k, 1);
		EVP_PKEY_free(k);
	}
	test_case_end();
	acmb_p11_exporter_free(x);
}

/* SoftHSM pads the unwrapped key with zeros: cut; any other byte: refused. */
static void
test_ec_padding(void **state)
{
	struct acmb_p11_exporter *x = NULL;
	EVP_PKEY *k = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256"), *got = NULL;
	acmb_err err = {0, ""};
	struct der d;

	(void)state;
	assert_non_null(k);
	assert_int_equal(acmb_p11_exporter_new(&x, &err), ACMB_OK);
	pkcs8_der(k, 0, NULL, &d);
	memset(d.b + d.len, 0, 7);
	d.len += 7;
	assert_decodes_to(x, &d, CKK_EC, k, 1);
	d.b[d.len - 1] = 1;
	assert_int_equal(acmb_p11_test_decode(x, d.b, d.len, CKK_EC, &got, &err), ACMB_E_TOKEN);
	assert_null(got);
	assert_non_null(strstr(err.msg, "non-zero bytes after its DER encoding"));
	acmb_p11_exporter_free(x);
	EVP_PKEY_free(k);
}

/* A public key inside the PKCS#8 that is not the private key's own (a
 * damaged or forged token object) is not believed: the key's public half is
 * computed, so it still fails EVP_PKEY_eq against the other key's
 * certificate. OpenSSL's decoder would take the stored point as it is. */
static void
test_ec_stored_point_not_trusted(void **state)
{
	struct acmb_p11_exporter *x = NULL;
	EVP_PKEY *k = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
	EVP_PKEY *other = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
	EVP_PKEY *got = NULL, *ref;
	acmb_err err = {0, ""};
	struct der d, od;

	(void)state;
	assert_non_null(k);
	assert_non_null(other);
	assert_int_equal(acmb_p11_exporter_new(&x, &err), ACMB_OK);
	pkcs8_der(k, 1, NULL, &d);
	pkcs8_der(other, 1, NULL, &od);
	/* The point is the last 65 bytes of both encodings. */
	assert_int_equal(d.len, od.len);
	assert_memory_not_equal(d.b + d.len - 65, od.b + od.len - 65, 65);
	memcpy(d.b + d.len - 65, od.b + od.len - 65, 65);
	ref = reference_decode(&d, "EC");
	assert_non_null(ref);
	assert_int_equal(EVP_PKEY_eq(ref, other), 1);
	assert_int_equal(acmb_p11_test_decode(x, d.b, d.len, CKK_EC, &got, &err), ACMB_OK);
	assert_int_equal(acmb_p11_test_ec_assembled, 1);
	assert_int_equal(EVP_PKEY_eq(got, k), 1);
	assert_int_not_equal(EVP_PKEY_eq(got, other), 1);
	EVP_PKEY_free(got);
	EVP_PKEY_free(ref);
	acmb_p11_exporter_free(x);
	EVP_PKEY_free(k);
	EVP_PKEY_free(other);
}

/* Shapes the assembly leaves to OpenSSL's decoder, with the decoder's
 * verdict: explicit curve parameters, and a scalar not below the order. */
static void
test_ec_other_shapes(void **state)
{
	struct acmb_p11_exporter *x = NULL;
	EVP_PKEY *k = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256"), *got = NULL, *ref;
	BIGNUM *priv = NULL;
	unsigned char scalar[32], *at;
	acmb_err err = {0, ""};
	struct der d;
	int r;

	(void)state;
	assert_non_null(k);
	assert_int_equal(acmb_p11_exporter_new(&x, &err), ACMB_OK);
	pkcs8_der(k, 0, "explicit", &d);
	assert_decodes_to(x, &d, CKK_EC, k, 0);

	/* The scalar replaced by 2^256 - 1, above the P-256 order. */
	pkcs8_der(k, 0, NULL, &d);
	assert_int_equal(EVP_PKEY_get_bn_param(k, OSSL_PKEY_PARAM_PRIV_KEY, &priv), 1);
	assert_int_equal(BN_bn2binpad(priv, scalar, sizeof(scalar)), (int)sizeof(scalar));
	at = memmem(d.b, d.len, scalar, sizeof(scalar));
	assert_non_null(at);
	memset(at, 0xff, sizeof(scalar));
	ref = reference_decode(&d, "EC");
	r = acmb_p11_test_decode(x, d.b, d.len, CKK_EC, &got, &err);
	assert_int_equal(acmb_p11_test_ec_assembled, 0);
	if (ref == NULL) {
		assert_int_equal(r, ACMB_E_TOKEN);
		assert_non_null(strstr(err.msg, "does not decode as a EC PKCS#8 key"));
	} else {
		assert_int_equal(r, ACMB_OK);
		assert_int_equal(EVP_PKEY_eq(got, ref), 1);
	}
	EVP_PKEY_free(got);
	EVP_PKEY_free(ref);
	BN_clear_free(priv);
	acmb_p11_exporter_free(x);
	EVP_PKEY_free(k);
}

/* Not a PrivateKeyInfo at all, or an RSA key where an EC one was expected. */
static void
test_refusals(void **state)
{
	struct acmb_p11_exporter *x = NULL;
	EVP_PKEY *rsa = EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)2048), *got = NULL;
	acmb_err err = {0, ""};
	struct der d;

	(void)state;
	assert_non_null(rsa);
	assert_int_equal(acmb_p11_exporter_new(&x, &err), ACMB_OK);
	memset(d.b, 0x41, 64);
	d.len = 64;
	assert_int_equal(acmb_p11_test_decode(x, d.b, d.len, CKK_EC, &got, &err), ACMB_E_TOKEN);
	assert_non_null(strstr(err.msg, "is not a DER PrivateKeyInfo"));
	pkcs8_der(rsa, 1, NULL, &d);
	assert_int_equal(acmb_p11_test_decode(x, d.b, d.len, CKK_EC, &got, &err), ACMB_E_TOKEN);
	assert_int_equal(acmb_p11_test_ec_assembled, 0);
	assert_non_null(strstr(err.msg, "does not decode as a EC PKCS#8 key"));
	assert_null(got);
	assert_decodes_to(x, &d, CKK_RSA, rsa, 0);
	acmb_p11_exporter_free(x);
	EVP_PKEY_free(rsa);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    case_unit_test(test_ec_named_curves),
	    cmocka_unit_test(test_ec_padding),
	    cmocka_unit_test(test_ec_stored_point_not_trusted),
	    cmocka_unit_test(test_ec_other_shapes),
	    cmocka_unit_test(test_refusals),
	};
	acmb_err err = {0, ""};

	if (acmb_init(NULL, &err) != ACMB_OK) {
		fprintf(stderr, "acmb_init: %s\n", err.msg);
		return 1;
	}
	return cmocka_run_group_tests(tests, NULL, NULL);
}

#else

static void
test_needs_hooks(void **state)
{
	(void)state;
	skip();
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_needs_hooks),
	};
	acmb_err err = {0, ""};

	if (acmb_init(NULL, &err) != ACMB_OK)
		return 1;
	return cmocka_run_group_tests(tests, NULL, NULL);
}

#endif
