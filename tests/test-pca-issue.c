/* The issue flow's offline pieces: --validity, the algorithm-match and
 * signing-algorithm choices, --subject, key generation in the secure heap,
 * and the CSR. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509v3.h>

#include "init.h"
#include "bridge/csr.h"
#include "bridge/issue.h"
#include "test-util.h"

static void
test_validity_forms(void **state)
{
	static const struct {
		const char *text;
		const char *type;
		long long value;
	} good[] = {
	    {"90d", "DAYS", 90},
	    {"12m", "MONTHS", 12},
	    {"1y", "YEARS", 1},
	    {"2027-06-30", "END_DATE", 20270630235959LL},
	    {"2027-06-30T12:00:00Z", "END_DATE", 20270630120000LL},
	    {"20270630120000", "END_DATE", 20270630120000LL},
	    {"@1790000000", "ABSOLUTE", 1790000000LL},
	};
	const char *type;
	long long value;
	acmb_err err = {0};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		test_case("form %zu: %s", i, good[i].text);
		assert_int_equal(
		    acmb_issue_parse_validity(good[i].text, &type, &value, &err), ACMB_OK);
		assert_string_equal(type, good[i].type);
		assert_true(value == good[i].value);
	}
	test_case_end();
}

static void
test_validity_refused(void **state)
{
	static const char *const bad[] = {"", "0d", "90x", "d", "-5d", "1.5y",
	    "1234567890123456789d", "2027-13-01", "2027-06-30T25:00:00Z", "2027-06-30T12:00", "@",
	    "@abc", "@0", "202706301200", "1y ", NULL};
	const char *type;
	long long value;
	acmb_err err = {0};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		test_case("form %zu: '%s'", i, bad[i] != NULL ? bad[i] : "(NULL)");
		assert_int_equal(
		    acmb_issue_parse_validity(bad[i], &type, &value, &err), ACMB_E_USAGE);
		assert_null(type);
		assert_non_null(strstr(err.msg, "--validity"));
	}
	test_case_end();
}

static void
test_key_algorithm_auto_takes_the_cas(void **state)
{
	static const struct {
		const char *ca;
		enum acmb_key_alg alg;
	} cases[] = {
	    {"RSA_2048", ACMB_ALG_RSA_2048},
	    {"RSA_4096", ACMB_ALG_RSA_4096},
	    {"EC_prime256v1", ACMB_ALG_EC_PRIME256V1},
	    {"EC_secp384r1", ACMB_ALG_EC_SECP384R1},
	};
	enum acmb_key_alg alg;
	acmb_err err = {0};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		test_case("case %zu: CA key %s", i, cases[i].ca);
		assert_int_equal(
		    acmb_issue_pick_key_algorithm(cases[i].ca, "auto", &alg, &err), ACMB_OK);
		assert_int_equal(alg, cases[i].alg);
		assert_int_equal(
		    acmb_issue_pick_key_algorithm(cases[i].ca, NULL, &alg, &err), ACMB_OK);
		assert_int_equal(alg, cases[i].alg);
	}
	test_case_end();
}

static void
test_key_algorithm_family_must_match(void **state)
{
	enum acmb_key_alg alg;
	acmb_err err = {0};

	(void)state;
	assert_int_equal(
	    acmb_issue_pick_key_algorithm("RSA_2048", "RSA_3072", &alg, &err), ACMB_OK);
	assert_int_equal(alg, ACMB_ALG_RSA_3072);
	assert_int_equal(
	    acmb_issue_pick_key_algorithm("EC_prime256v1", "EC_secp521r1", &alg, &err), ACMB_OK);
	assert_int_equal(alg, ACMB_ALG_EC_SECP521R1);
	assert_int_equal(
	    acmb_issue_pick_key_algorithm("RSA_2048", "EC_prime256v1", &alg, &err), ACMB_E_RULE);
	assert_int_equal(alg, ACMB_ALG_NONE);
	assert_non_null(strstr(err.msg, ACMB_ISSUE_RULE_ALG_MATCH));
	assert_int_equal(
	    acmb_issue_pick_key_algorithm("EC_secp384r1", "RSA_4096", &alg, &err), ACMB_E_RULE);
	assert_int_equal(
	    acmb_issue_pick_key_algorithm("RSA_2048", "RSA_1024", &alg, &err), ACMB_E_USAGE);
	assert_int_equal(
	    acmb_issue_pick_key_algorithm("RSA_2048", "ED25519", &alg, &err), ACMB_E_USAGE);
}

static void
test_signing_algorithm(void **state)
{
	const char *sig;
	acmb_err err = {0};

	(void)state;
	assert_int_equal(
	    acmb_issue_pick_signing_algorithm("RSA_4096", "SHA512WITHRSA", NULL, &sig, &err),
	    ACMB_OK);
	assert_string_equal(sig, "SHA512WITHRSA");
	assert_int_equal(
	    acmb_issue_pick_signing_algorithm("EC_secp384r1", "SHA384WITHECDSA", NULL, &sig, &err),
	    ACMB_OK);
	assert_string_equal(sig, "SHA384WITHECDSA");
	/* A CA that reports no (or a foreign) signing algorithm: SHA-256 of its family. */
	assert_int_equal(
	    acmb_issue_pick_signing_algorithm("EC_prime256v1", "", NULL, &sig, &err), ACMB_OK);
	assert_string_equal(sig, "SHA256WITHECDSA");
	assert_int_equal(
	    acmb_issue_pick_signing_algorithm("RSA_2048", "SHA256WITHECDSA", NULL, &sig, &err),
	    ACMB_OK);
	assert_string_equal(sig, "SHA256WITHRSA");
	assert_int_equal(acmb_issue_pick_signing_algorithm(
	                     "RSA_2048", "SHA256WITHRSA", "SHA384WITHRSA", &sig, &err),
	    ACMB_OK);
	assert_string_equal(sig, "SHA384WITHRSA");
	assert_int_equal(acmb_issue_pick_signing_algorithm(
	                     "RSA_2048", "SHA256WITHRSA", "SHA256WITHECDSA", &sig, &err),
	    ACMB_E_USAGE);
	assert_null(sig);
	assert_non_null(strstr(err.msg, "does not fit"));
	assert_int_equal(acmb_issue_pick_signing_algorithm(
	                     "EC_prime256v1", "SHA256WITHECDSA", "MD5WITHRSA", &sig, &err),
	    ACMB_E_USAGE);
}

static void
test_subject(void **state)
{
	X509_NAME *n = NULL;
	char buf[256];
	acmb_err err = {0};

	(void)state;
	assert_int_equal(
	    acmb_csr_parse_subject("CN=www.example.com, O=Example\\, Ltd,C=DE", &n, &err), ACMB_OK);
	X509_NAME_oneline(n, buf, sizeof(buf));
	assert_string_equal(buf, "/CN=www.example.com/O=Example, Ltd/C=DE");
	X509_NAME_free(n);
	assert_int_equal(acmb_csr_parse_subject("CN", &n, &err), ACMB_E_USAGE);
	assert_null(n);
	assert_int_equal(acmb_csr_parse_subject("XX=1", &n, &err), ACMB_E_USAGE);
	assert_int_equal(acmb_csr_parse_subject("CN=", &n, &err), ACMB_E_USAGE);
	assert_int_equal(acmb_csr_parse_subject("C=Germany", &n, &err), ACMB_E_USAGE);
	assert_int_equal(acmb_csr_parse_subject("", &n, &err), ACMB_E_USAGE);
}

static void
check_keygen(enum acmb_key_alg alg)
{
	EVP_PKEY *k = NULL;
	size_t before = CRYPTO_secure_used();
	char name[64];
	acmb_err err = {0};

	assert_int_equal(acmb_csr_keygen(alg, &k, &err), ACMB_OK);
	assert_int_equal(acmb_rules_key_algorithm(k, name, sizeof(name)), alg);
	/* The private parts went to the secure heap. */
	assert_true(CRYPTO_secure_used() > before);
	EVP_PKEY_free(k);
	assert_int_equal(CRYPTO_secure_used(), before);
}

static void
test_keygen_in_secure_heap(void **state)
{
	EVP_PKEY *warm = NULL;
	acmb_err err = {0};

	(void)state;
	assert_int_equal(CRYPTO_secure_malloc_initialized(), 1);
	/* The first key leaves a one-time allocation in the secure heap (OpenSSL
	 * keeps it for the process); measure from after that. */
	assert_int_equal(acmb_csr_keygen(ACMB_ALG_EC_PRIME256V1, &warm, &err), ACMB_OK);
	EVP_PKEY_free(warm);
	check_keygen(ACMB_ALG_RSA_2048);
	check_keygen(ACMB_ALG_EC_PRIME256V1);
	check_keygen(ACMB_ALG_EC_SECP384R1);
	check_keygen(ACMB_ALG_EC_SECP521R1);
}

static void
test_keygen_refuses_unsupported(void **state)
{
	EVP_PKEY *k = NULL;
	acmb_err err = {0};

	(void)state;
	assert_int_equal(acmb_csr_keygen(ACMB_ALG_RSA_1024, &k, &err), ACMB_E_USAGE);
	assert_null(k);
}

static void
test_csr(void **state)
{
	static const char *const dns[] = {"www.example.com", "*.api.example.com"};
	static const char *const ips[] = {"192.0.2.7", "2001:db8::1"};
	EVP_PKEY *k = NULL;
	X509_NAME *n = NULL;
	X509_REQ *req;
	BIO *bio;
	STACK_OF(X509_EXTENSION) *exts;
	GENERAL_NAMES *sans;
	char *pem = NULL;
	acmb_err err = {0};

	(void)state;
	assert_int_equal(acmb_csr_keygen(ACMB_ALG_EC_PRIME256V1, &k, &err), ACMB_OK);
	assert_int_equal(acmb_csr_parse_subject("CN=www.example.com", &n, &err), ACMB_OK);
	assert_int_equal(acmb_csr_build(k, n, dns, 2, ips, 2, NULL, NULL, &pem, &err), ACMB_OK);
	assert_non_null(strstr(pem, "-----BEGIN CERTIFICATE REQUEST-----"));
	assert_non_null(bio = BIO_new_mem_buf(pem, -1));
	assert_non_null(req = PEM_read_bio_X509_REQ(bio, NULL, NULL, NULL));
	assert_int_equal(X509_REQ_verify(req, k), 1);
	assert_non_null(exts = X509_REQ_get_extensions(req));
	assert_non_null(sans = X509V3_get_d2i(exts, NID_subject_alt_name, NULL, NULL));
	assert_int_equal(sk_GENERAL_NAME_num(sans), 4);
	GENERAL_NAMES_free(sans);
	sk_X509_EXTENSION_pop_free(exts, X509_EXTENSION_free);
	X509_REQ_free(req);
	BIO_free(bio);
	free(pem);
	pem = NULL;

	static const char *const bad_dns[] = {"www.exa mple.com"};
	static const char *const bad_ip[] = {"300.1.1.1"};
	static const char *const bad_dot[] = {"a..b"};
	assert_int_equal(
	    acmb_csr_build(k, n, bad_dns, 1, NULL, 0, NULL, NULL, &pem, &err), ACMB_E_USAGE);
	assert_non_null(strstr(err.msg, "--dns-name"));
	assert_int_equal(
	    acmb_csr_build(k, n, bad_dot, 1, NULL, 0, NULL, NULL, &pem, &err), ACMB_E_USAGE);
	assert_int_equal(
	    acmb_csr_build(k, n, NULL, 0, bad_ip, 1, NULL, NULL, &pem, &err), ACMB_E_USAGE);
	assert_non_null(strstr(err.msg, "--ip-address"));
	assert_null(pem);
	X509_NAME_free(n);
	EVP_PKEY_free(k);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    case_unit_test(test_validity_forms),
	    case_unit_test(test_validity_refused),
	    case_unit_test(test_key_algorithm_auto_takes_the_cas),
	    cmocka_unit_test(test_key_algorithm_family_must_match),
	    cmocka_unit_test(test_signing_algorithm),
	    cmocka_unit_test(test_subject),
	    cmocka_unit_test(test_keygen_in_secure_heap),
	    cmocka_unit_test(test_keygen_refuses_unsupported),
	    cmocka_unit_test(test_csr),
	};
	acmb_err err = {0};

	if (acmb_init(NULL, &err) != ACMB_OK) {
		fprintf(stderr, "acmb_init: %s\n", err.msg);
		return 1;
	}
	return cmocka_run_group_tests(tests, NULL, NULL);
}
