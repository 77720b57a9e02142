/* import's --cli-input-json in the library (src/bridge/import-input.c): the
 * document's keys and types checked as the AWS CLI checks them (an unknown
 * key or a non-string CertificateArn refused), options winning over the
 * document, and the material decoded from PEM text or base64. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include "bridge/import-input.h"
#include "init.h"
#include "zalloc.h"

static char cert_pem[4096], key_pem[4096];

/* A self-signed EC certificate and its key, as PEM text. */
static int
setup(void **state)
{
	EVP_PKEY *k = EVP_EC_gen("P-256");
	X509 *x = X509_new();
	BIO *b = BIO_new(BIO_s_mem());
	int n, ok;

	(void)state;
	ok = k != NULL && x != NULL && b != NULL && X509_set_version(x, 2) &&
	     ASN1_INTEGER_set(X509_get_serialNumber(x), 7) &&
	     X509_gmtime_adj(X509_getm_notBefore(x), 0) &&
	     X509_gmtime_adj(X509_getm_notAfter(x), 86400) && X509_set_pubkey(x, k) &&
	     X509_NAME_add_entry_by_txt(X509_get_subject_name(x), "CN", MBSTRING_ASC,
	         (const unsigned char *)"input.example", -1, -1, 0) &&
	     X509_set_issuer_name(x, X509_get_subject_name(x)) && X509_sign(x, k, EVP_sha256()) &&
	     PEM_write_bio_X509(b, x) && (n = BIO_read(b, cert_pem, sizeof(cert_pem) - 1)) > 0 &&
	     PEM_write_bio_PrivateKey(b, k, NULL, NULL, 0, NULL, NULL) &&
	     BIO_read(b, key_pem, sizeof(key_pem) - 1) > 0;
	EVP_PKEY_free(k);
	X509_free(x);
	BIO_free(b);
	return ok ? 0 : -1;
}

static void
test_unknown_keys_and_types_refused(void **state)
{
	static const struct {
		const char *doc;
		const char *msg;
	} cases[] = {
	    {"{\"CertificateArm\": \"arn:x\"}",
	        "--cli-input-json: unknown parameter \"CertificateArm\": ImportCertificate takes "
	        "CertificateArn, Certificate, PrivateKey, CertificateChain and Tags"},
	    {"{\"CertificateArn\": 5}", "--cli-input-json: CertificateArn must be a string, not an "
	                                "integer"},
	    {"{\"CertificateArn\": [\"a\"]}",
	        "--cli-input-json: CertificateArn must be a string, not "
	        "a list"},
	    {"{\"Certificate\": true}", "--cli-input-json: Certificate must be a string, not a "
	                                "boolean"},
	    {"{\"Tags\": {\"Key\": \"a\"}}",
	        "--cli-input-json: Tags must be a list, not an object"},
	    {"[1]", "--cli-input-json: not a JSON object (wrong type"},
	    {"{\"PrivateKey\": \"x\"}", "--cli-input-json: a PrivateKey on the command line"},
	};
	json_t *doc = NULL;
	acmb_err err;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		memset(&err, 0, sizeof(err));
		assert_int_equal(acmb_import_input_load(cases[i].doc, &doc, &err), ACMB_E_USAGE);
		assert_null(doc);
		if (strncmp(err.msg, cases[i].msg, strlen(cases[i].msg)) != 0)
			fail_msg("%s: '%s'", cases[i].doc, err.msg);
	}
}

static void
test_apply(void **state)
{
	struct acmb_source_spec src = {0};
	struct acmb_tag_set tags = {0};
	struct acmb_material *m = NULL;
	const char *arn = NULL;
	json_t *doc = NULL, *obj;
	acmb_err err = {0, ""};
	char path[] = "/tmp/acmb-test-import-input-XXXXXX", arg[64], *text = NULL;
	unsigned char b64[8192];
	FILE *f;
	int fd, n;

	(void)state;
	/* Inline, with nulls for what is absent: ARN and tags, no material. */
	assert_int_equal(
	    acmb_import_input_load("{\"CertificateArn\": \"arn:doc\", \"Certificate\": "
	                           "null, \"Tags\": [{\"Key\": \"a\", \"Value\": \"1\"}]}",
	        &doc, &err),
	    ACMB_OK);
	assert_int_equal(acmb_import_input_apply(doc, &src, &arn, &tags, &m, &err), ACMB_OK);
	assert_string_equal(arn, "arn:doc");
	assert_int_equal(tags.ntags, 1);
	assert_null(m);
	/* An option wins over the document. */
	arn = "arn:option";
	assert_int_equal(acmb_import_input_apply(doc, &src, &arn, &tags, &m, &err), ACMB_OK);
	assert_string_equal(arn, "arn:option");
	assert_int_equal(tags.ntags, 1);
	acmb_tag_set_clear(&tags);
	json_decref(doc);
	doc = NULL;

	/* From a file: the certificate as PEM text, the key as base64 of it. */
	n = EVP_EncodeBlock(b64, (const unsigned char *)key_pem, (int)strlen(key_pem));
	assert_true(n > 0);
	obj = json_pack("{s:s, s:s#}", "Certificate", cert_pem, "PrivateKey", b64, (size_t)n);
	assert_non_null(obj);
	text = json_dumps(obj, 0);
	json_decref(obj);
	assert_non_null(text);
	fd = mkstemp(path);
	assert_true(fd >= 0);
	f = fdopen(fd, "w");
	assert_non_null(f);
	fputs(text, f);
	fclose(f);
	acmb_zfree(text); /* jansson allocates through the wiping allocator */
	snprintf(arg, sizeof(arg), "file://%s", path);
	arn = NULL;
	assert_int_equal(acmb_import_input_load(arg, &doc, &err), ACMB_OK);
	assert_int_equal(acmb_import_input_apply(doc, &src, &arn, &tags, &m, &err), ACMB_OK);
	assert_null(arn);
	assert_non_null(m);
	assert_non_null(m->key);
	assert_int_equal(sk_X509_num(m->certs), 1);
	assert_int_equal(X509_check_private_key(acmb_material_leaf(m), m->key), 1);
	assert_string_equal(m->info[ACMB_FIELD_KEY].source, "--cli-input-json PrivateKey");
	acmb_material_free(m);
	m = NULL;
	/* Not both: the document's material and a file option. */
	src.files.certificate = "leaf.pem";
	assert_int_equal(acmb_import_input_apply(doc, &src, &arn, &tags, &m, &err), ACMB_E_USAGE);
	assert_null(m);
	assert_non_null(strstr(err.msg, "either in --cli-input-json or as options, not both"));
	json_decref(doc);
	unlink(path);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_unknown_keys_and_types_refused),
	    cmocka_unit_test(test_apply),
	};
	acmb_err err = {0};
	int rc;

	if (acmb_init(NULL, &err) != ACMB_OK)
		return 1;
	rc = cmocka_run_group_tests(tests, setup, NULL);
	acmb_shutdown();
	return rc;
}
