/* ACM's reimport rules: key type/size, Key Usage, EKU, domain names. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>
#include <openssl/evp.h>
#include <openssl/x509v3.h>

#include "init.h"
#include "acm/reimport.h"

static EVP_PKEY *rsa2048, *rsa3072, *p256, *p384;

/* A self-signed certificate with the given key, SANs, and optional KU/EKU
 * extension values (OpenSSL config syntax; NULL leaves the extension out). */
static X509 *
make_cert(EVP_PKEY *key, const char *sans, const char *ku, const char *eku)
{
	X509 *x = X509_new();
	X509_NAME *n = X509_NAME_new();
	X509V3_CTX ctx;
	X509_EXTENSION *ext;

	assert_non_null(x);
	X509_set_version(x, X509_VERSION_3);
	ASN1_INTEGER_set(X509_get_serialNumber(x), 7);
	char cn[64] = "svc";

	/* CN = the first DNS name, as ACM lists the CN among the domain names. */
	if (sans != NULL && strncmp(sans, "DNS:", 4) == 0)
		snprintf(cn, sizeof(cn), "%.*s", (int)strcspn(sans + 4, ","), sans + 4);
	X509_NAME_add_entry_by_txt(n, "CN", MBSTRING_ASC, (const unsigned char *)cn, -1, -1, 0);
	X509_set_subject_name(x, n);
	X509_set_issuer_name(x, n);
	X509_NAME_free(n);
	X509_gmtime_adj(X509_getm_notBefore(x), -3600);
	X509_gmtime_adj(X509_getm_notAfter(x), 86400);
	X509_set_pubkey(x, key);
	X509V3_set_ctx(&ctx, x, x, NULL, NULL, 0);
	if (sans != NULL) {
		ext = X509V3_EXT_conf_nid(NULL, &ctx, NID_subject_alt_name, sans);
		assert_non_null(ext);
		X509_add_ext(x, ext, -1);
		X509_EXTENSION_free(ext);
	}
	if (ku != NULL) {
		ext = X509V3_EXT_conf_nid(NULL, &ctx, NID_key_usage, ku);
		assert_non_null(ext);
		X509_add_ext(x, ext, -1);
		X509_EXTENSION_free(ext);
	}
	if (eku != NULL) {
		ext = X509V3_EXT_conf_nid(NULL, &ctx, NID_ext_key_usage, eku);
		assert_non_null(ext);
		X509_add_ext(x, ext, -1);
		X509_EXTENSION_free(ext);
	}
	assert_true(X509_sign(x, key, EVP_sha256()) > 0);
	return x;
}

static const struct acmb_reimport_finding *
find(const struct acmb_reimport_report *rep, const char *rule)
{
	int i;

	for (i = 0; i < rep->nfindings; i++)
		if (strcmp(rep->findings[i].rule, rule) == 0)
			return &rep->findings[i];
	fail_msg("rule %s not reported", rule);
	return NULL;
}

/* Judges a → b; returns the rc and leaves the report in *rep. */
static int
judge(X509 *a, X509 *b, struct acmb_reimport_report *rep, acmb_err *err)
{
	int rc = acmb_reimport_judge(a, b, rep, err);

	X509_free(a);
	X509_free(b);
	return rc;
}

static void
test_same_shape_passes(void **state)
{
	struct acmb_reimport_report rep;
	acmb_err err;

	(void)state;
	assert_int_equal(judge(make_cert(rsa2048, "DNS:a.example,DNS:b.example",
	                           "digitalSignature,keyEncipherment", "serverAuth,clientAuth"),
	                     make_cert(rsa2048, "DNS:b.example,DNS:c.example",
	                         "digitalSignature,keyEncipherment", "serverAuth,clientAuth"),
	                     &rep, &err),
	    ACMB_OK);
	assert_true(rep.ok);
	assert_int_equal(rep.nfindings, ACMB_REIMPORT_RULES);
}

static void
test_key_size_change_refused(void **state)
{
	struct acmb_reimport_report rep;
	acmb_err err;

	(void)state;
	assert_int_equal(judge(make_cert(rsa2048, "DNS:a.example", NULL, NULL),
	                     make_cert(rsa3072, "DNS:a.example", NULL, NULL), &rep, &err),
	    ACMB_E_RULE);
	assert_false(find(&rep, "reimport-key-type")->ok);
	assert_non_null(strstr(find(&rep, "reimport-key-type")->detail, "RSA 2048"));
	assert_non_null(strstr(err.msg, "reimport-key-type"));
	assert_true(find(&rep, "reimport-domain-names")->ok);
}

static void
test_key_family_and_curve_change_refused(void **state)
{
	struct acmb_reimport_report rep;
	acmb_err err;

	(void)state;
	assert_int_equal(judge(make_cert(rsa2048, "DNS:a.example", NULL, NULL),
	                     make_cert(p256, "DNS:a.example", NULL, NULL), &rep, &err),
	    ACMB_E_RULE);
	assert_false(find(&rep, "reimport-key-type")->ok);
	assert_int_equal(judge(make_cert(p256, "DNS:a.example", NULL, NULL),
	                     make_cert(p384, "DNS:a.example", NULL, NULL), &rep, &err),
	    ACMB_E_RULE);
	assert_non_null(strstr(find(&rep, "reimport-key-type")->detail, "prime256v1"));
}

static void
test_key_usage_removed_refused(void **state)
{
	struct acmb_reimport_report rep;
	acmb_err err;

	(void)state;
	assert_int_equal(
	    judge(make_cert(rsa2048, "DNS:a.example", "digitalSignature,keyEncipherment", NULL),
	        make_cert(rsa2048, "DNS:a.example", "digitalSignature", NULL), &rep, &err),
	    ACMB_E_RULE);
	assert_false(find(&rep, "reimport-key-usage")->ok);
	assert_non_null(strstr(find(&rep, "reimport-key-usage")->detail, "keyEncipherment"));
}

static void
test_ecdsa_may_drop_key_encipherment(void **state)
{
	struct acmb_reimport_report rep;
	acmb_err err;

	(void)state;
	assert_int_equal(
	    judge(make_cert(p256, "DNS:a.example", "digitalSignature,keyEncipherment", NULL),
	        make_cert(p256, "DNS:a.example", "digitalSignature", NULL), &rep, &err),
	    ACMB_OK);
	assert_true(find(&rep, "reimport-key-usage")->ok);
}

static void
test_key_usage_cannot_be_added(void **state)
{
	struct acmb_reimport_report rep;
	acmb_err err;

	(void)state;
	assert_int_equal(
	    judge(make_cert(rsa2048, "DNS:a.example", NULL, NULL),
	        make_cert(rsa2048, "DNS:a.example", "digitalSignature", NULL), &rep, &err),
	    ACMB_E_RULE);
	assert_false(find(&rep, "reimport-key-usage")->ok);
}

static void
test_eku_removed_refused_but_client_auth_may_go(void **state)
{
	struct acmb_reimport_report rep;
	acmb_err err;

	(void)state;
	assert_int_equal(judge(make_cert(rsa2048, "DNS:a.example", NULL, "serverAuth,clientAuth"),
	                     make_cert(rsa2048, "DNS:a.example", NULL, "serverAuth"), &rep, &err),
	    ACMB_OK);
	assert_int_equal(judge(make_cert(rsa2048, "DNS:a.example", NULL, "serverAuth,codeSigning"),
	                     make_cert(rsa2048, "DNS:a.example", NULL, "clientAuth"), &rep, &err),
	    ACMB_E_RULE);
	assert_false(find(&rep, "reimport-extended-key-usage")->ok);
	assert_non_null(strstr(
	    find(&rep, "reimport-extended-key-usage")->detail, "TLS Web Server Authentication"));
	assert_int_equal(judge(make_cert(rsa2048, "DNS:a.example", NULL, NULL),
	                     make_cert(rsa2048, "DNS:a.example", NULL, "serverAuth"), &rep, &err),
	    ACMB_E_RULE);
}

static void
test_all_domain_names_removed_refused(void **state)
{
	struct acmb_reimport_report rep;
	acmb_err err;

	(void)state;
	assert_int_equal(judge(make_cert(rsa2048, "DNS:a.example,DNS:b.example", NULL, NULL),
	                     make_cert(rsa2048, "DNS:c.example", NULL, NULL), &rep, &err),
	    ACMB_E_RULE);
	assert_false(find(&rep, "reimport-domain-names")->ok);
	assert_non_null(strstr(find(&rep, "reimport-domain-names")->detail, "a.example"));
	/* Case does not make a name new. */
	assert_int_equal(judge(make_cert(rsa2048, "DNS:A.Example", NULL, NULL),
	                     make_cert(rsa2048, "DNS:a.example", NULL, NULL), &rep, &err),
	    ACMB_OK);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_same_shape_passes),
	    cmocka_unit_test(test_key_size_change_refused),
	    cmocka_unit_test(test_key_family_and_curve_change_refused),
	    cmocka_unit_test(test_key_usage_removed_refused),
	    cmocka_unit_test(test_ecdsa_may_drop_key_encipherment),
	    cmocka_unit_test(test_key_usage_cannot_be_added),
	    cmocka_unit_test(test_eku_removed_refused_but_client_auth_may_go),
	    cmocka_unit_test(test_all_domain_names_removed_refused),
	};
	acmb_err err;
	int rc;

	if (acmb_init(NULL, &err) != ACMB_OK)
		return 1;
	rsa2048 = EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)2048);
	rsa3072 = EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)3072);
	p256 = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
	p384 = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-384");
	rc = cmocka_run_group_tests(tests, NULL, NULL);
	EVP_PKEY_free(rsa2048);
	EVP_PKEY_free(rsa3072);
	EVP_PKEY_free(p256);
	EVP_PKEY_free(p384);
	return rc;
}
