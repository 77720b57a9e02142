/* PEM scanning and field decoding from memory: the hygiene flags, block
 * counting and order, what is refused and how it is reported. Material is
 * made in-process with OpenSSL. */
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
#include <openssl/encoder.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "bridge/source-files.h"
#include "init.h"
#include "material.h"
#include "pem.h"
#include "test-util.h"

/* A P-256 key's EC PARAMETERS block (the named curve's OID), as
 * `openssl ecparam -genkey` writes it before the key. */
static const char ec_params[] =
    "-----BEGIN EC PARAMETERS-----\nBggqhkjOPQMBBw==\n-----END EC PARAMETERS-----\n";

static EVP_PKEY *ec_key;

static int
setup(void **state)
{
	(void)state;
	ec_key = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
	return ec_key != NULL ? 0 : -1;
}

static int
teardown(void **state)
{
	(void)state;
	EVP_PKEY_free(ec_key);
	return 0;
}

static char *
bio_string(BIO *bio)
{
	BUF_MEM *mem = NULL;
	char *s;

	assert_true(BIO_get_mem_ptr(bio, &mem) > 0);
	s = malloc(mem->length + 1);
	assert_non_null(s);
	memcpy(s, mem->data, mem->length);
	s[mem->length] = '\0';
	BIO_free(bio);
	return s;
}

/* A self-signed certificate for cn with nsans DNS names, as PEM. */
static char *
make_cert_pem(const char *cn, int nsans)
{
	X509 *x = X509_new();
	X509_NAME *name;
	GENERAL_NAMES *gens = NULL;
	BIO *bio = BIO_new(BIO_s_mem());
	char dns[64];
	int i;

	assert_non_null(x);
	assert_non_null(bio);
	assert_true(X509_set_version(x, 2));
	assert_true(ASN1_INTEGER_set(X509_get_serialNumber(x), 1));
	assert_non_null(X509_gmtime_adj(X509_getm_notBefore(x), 0));
	assert_non_null(X509_gmtime_adj(X509_getm_notAfter(x), 86400));
	name = X509_get_subject_name(x);
	assert_true(X509_NAME_add_entry_by_txt(
	    name, "CN", MBSTRING_ASC, (const unsigned char *)cn, -1, -1, 0));
	assert_true(X509_set_issuer_name(x, name));
	assert_true(X509_set_pubkey(x, ec_key));
	if (nsans > 0) {
		gens = sk_GENERAL_NAME_new_null();
		assert_non_null(gens);
		for (i = 0; i < nsans; i++) {
			GENERAL_NAME *g = GENERAL_NAME_new();
			ASN1_IA5STRING *s = ASN1_IA5STRING_new();

			snprintf(dns, sizeof(dns), "host%d.example.com", i);
			assert_true(ASN1_STRING_set(s, dns, -1));
			GENERAL_NAME_set0_value(g, GEN_DNS, s);
			assert_true(sk_GENERAL_NAME_push(gens, g));
		}
		assert_true(X509_add1_ext_i2d(x, NID_subject_alt_name, gens, 0, 0));
		GENERAL_NAMES_free(gens);
	}
	assert_true(X509_sign(x, ec_key, EVP_sha256()) > 0);
	assert_true(PEM_write_bio_X509(bio, x));
	X509_free(x);
	return bio_string(bio);
}

/* The key encoded as structure ("PrivateKeyInfo", "type-specific") PEM. */
static char *
make_key_pem(const char *structure)
{
	OSSL_ENCODER_CTX *ectx;
	BIO *bio = BIO_new(BIO_s_mem());

	ectx = OSSL_ENCODER_CTX_new_for_pkey(ec_key, EVP_PKEY_KEYPAIR, "PEM", structure, NULL);
	assert_non_null(ectx);
	assert_true(OSSL_ENCODER_to_bio(ectx, bio));
	OSSL_ENCODER_CTX_free(ectx);
	return bio_string(bio);
}

/* Joins up to 8 strings into one malloc'd string. */
static char *
join(const char *a, ...)
{
	const char *parts[8];
	size_t n = 0, i, len = 0;
	va_list ap;
	char *s;

	va_start(ap, a);
	for (parts[n] = a; n < 7 && parts[n] != NULL; parts[n] = va_arg(ap, const char *))
		len += strlen(parts[n++]);
	va_end(ap);
	s = malloc(len + 1);
	assert_non_null(s);
	s[0] = '\0';
	for (i = 0; i < n; i++)
		strcat(s, parts[i]);
	return s;
}

/* Replaces every "\n" of s by "\r\n" or by "  \n". */
static char *
relined(const char *s, const char *line_end)
{
	size_t n = 0, i, k = 0, el = strlen(line_end);
	char *out;

	for (i = 0; s[i] != '\0'; i++)
		n += s[i] == '\n' ? el : 1;
	out = malloc(n + 1);
	assert_non_null(out);
	for (i = 0; s[i] != '\0'; i++) {
		if (s[i] == '\n') {
			memcpy(out + k, line_end, el);
			k += el;
		} else {
			out[k++] = s[i];
		}
	}
	out[k] = '\0';
	return out;
}

static struct acmb_material *
decode(enum acmb_field f, const char *text)
{
	struct acmb_material *m = acmb_material_new();
	acmb_err err = {0};

	assert_non_null(m);
	snprintf(m->info[f].source, sizeof(m->info[f].source), "input.pem");
	if (acmb_files_decode_field(
	        m, f, (const unsigned char *)text, strlen(text), NULL, 0, &err) != ACMB_OK)
		fail_msg("decode_field: %s", err.msg);
	assert_true(m->info[f].present);
	assert_int_equal(m->info[f].raw_len, strlen(text));
	return m;
}

struct seen {
	size_t n;
	char types[4][ACMB_PEM_TYPE_MAX + 1];
	size_t lines[4];
};

static int
remember(void *ctx, const char *type, const char *text, size_t len, size_t line)
{
	struct seen *s = ctx;

	assert_int_equal(strncmp(text, "-----BEGIN ", 11), 0);
	assert_true(len > 0 && text[len - 1] == '\n');
	if (s->n < 4) {
		snprintf(s->types[s->n], sizeof(s->types[0]), "%s", type);
		s->lines[s->n] = line;
	}
	s->n++;
	return ACMB_OK;
}

static void
test_scan_blocks_and_lines(void **state)
{
	char *cert = make_cert_pem("one", 0), *key = make_key_pem("type-specific");
	char *text = join("\n", cert, "\n", ec_params, key, (const char *)NULL);
	struct seen s = {0};
	acmb_err err = {0};
	unsigned flags = 0;
	size_t n = 0, cert_lines = 0, i;

	(void)state;
	for (i = 0; cert[i] != '\0'; i++)
		cert_lines += cert[i] == '\n';
	assert_int_equal(
	    acmb_pem_scan(text, strlen(text), remember, &s, &flags, &n, &err), ACMB_OK);
	assert_int_equal(n, 3);
	assert_int_equal(s.n, 3);
	assert_string_equal(s.types[0], "CERTIFICATE");
	assert_string_equal(s.types[1], "EC PARAMETERS");
	assert_string_equal(s.types[2], "EC PRIVATE KEY");
	assert_int_equal(s.lines[0], 2);
	assert_int_equal(s.lines[1], 2 + cert_lines + 1);
	/* Blank lines between blocks are not "text around". */
	assert_int_equal(flags, 0);
	free(cert);
	free(key);
	free(text);
}

static void
expect_scan_error(const char *text, const char *needle)
{
	acmb_err err = {0};
	unsigned flags = 0;
	size_t n = 0;

	assert_int_equal(
	    acmb_pem_scan(text, strlen(text), NULL, NULL, &flags, &n, &err), ACMB_E_PARSE);
	if (strstr(err.msg, needle) == NULL)
		fail_msg("'%s' lacks '%s'", err.msg, needle);
}

static void
test_scan_errors(void **state)
{
	(void)state;
	expect_scan_error("-----BEGIN CERTIFICATE-----\nAAAA\n", "no END line (truncated?)");
	expect_scan_error("-----BEGIN CERTIFICATE-----\nAAAA\n-----END PRIVATE KEY-----\n",
	    "mismatched END line at line 3");
	expect_scan_error("-----BEGIN CERTIFICATE-----\nAAAA\n-----BEGIN CERTIFICATE-----\n"
	                  "AAAA\n-----END CERTIFICATE-----\n",
	    "no END line before line 3");
	expect_scan_error("junk\n-----BEGIN CERTIFICATE\n", "malformed BEGIN line at line 2");
	expect_scan_error("-----BEGIN cert\x01-----\n", "malformed BEGIN line at line 1");
}

static void
test_private_key_types(void **state)
{
	(void)state;
	assert_true(acmb_pem_is_private_key("PRIVATE KEY"));
	assert_true(acmb_pem_is_private_key("ENCRYPTED PRIVATE KEY"));
	assert_true(acmb_pem_is_private_key("RSA PRIVATE KEY"));
	assert_true(acmb_pem_is_private_key("OPENSSH PRIVATE KEY"));
	assert_false(acmb_pem_is_private_key("PUBLIC KEY"));
	assert_false(acmb_pem_is_private_key("CERTIFICATE"));
	assert_false(acmb_pem_is_private_key("KEY"));
}

static void
test_crlf_and_trailing_blanks_normalised(void **state)
{
	char *cert = make_cert_pem("crlf", 0), *crlf = relined(cert, "\r\n");
	char *blanks = relined(cert, " \t\n"), *out = NULL;
	struct acmb_material *m;
	acmb_err err = {0};
	size_t len;

	(void)state;
	m = decode(ACMB_FIELD_CERT, crlf);
	assert_int_equal(m->info[ACMB_FIELD_CERT].status, ACMB_OK);
	assert_int_equal(m->info[ACMB_FIELD_CERT].flags, ACMB_IN_CRLF);
	/* What will be sent has LF line ends only: the original text. */
	assert_int_equal(acmb_material_cert_pem(m, &out, &len, &err), ACMB_OK);
	assert_string_equal(out, cert);
	free(out);
	acmb_material_free(m);

	m = decode(ACMB_FIELD_CERT, blanks);
	assert_int_equal(m->info[ACMB_FIELD_CERT].status, ACMB_OK);
	assert_int_equal(m->info[ACMB_FIELD_CERT].flags, ACMB_IN_TRAILING_WS);
	assert_int_equal(acmb_material_cert_pem(m, &out, &len, &err), ACMB_OK);
	assert_string_equal(out, cert);
	free(out);
	acmb_material_free(m);
	free(cert);
	free(crlf);
	free(blanks);
}

static void
test_text_around_dropped(void **state)
{
	char *cert = make_cert_pem("around", 0), *out = NULL;
	char *text = join("Bag Attributes\n    friendlyName: web\nsubject=/CN=around\n", cert,
	    "-- pasted from a ticket\n", (const char *)NULL);
	struct acmb_material *m;
	acmb_err err = {0};
	size_t len;

	(void)state;
	m = decode(ACMB_FIELD_CERT, text);
	assert_int_equal(m->info[ACMB_FIELD_CERT].status, ACMB_OK);
	assert_int_equal(m->info[ACMB_FIELD_CERT].flags, ACMB_IN_TEXT_AROUND);
	assert_int_equal(m->info[ACMB_FIELD_CERT].blocks, 1);
	assert_int_equal(acmb_material_cert_pem(m, &out, &len, &err), ACMB_OK);
	assert_string_equal(out, cert);
	free(out);
	acmb_material_free(m);
	free(cert);
	free(text);
}

static void
test_ec_parameters_in_key_field(void **state)
{
	char *key = make_key_pem("type-specific"), *text = join(ec_params, key, (const char *)NULL);
	struct acmb_material *m;

	(void)state;
	assert_non_null(strstr(key, "BEGIN EC PRIVATE KEY"));
	m = decode(ACMB_FIELD_KEY, text);
	assert_int_equal(m->info[ACMB_FIELD_KEY].status, ACMB_OK);
	assert_int_equal(m->info[ACMB_FIELD_KEY].flags, ACMB_IN_EC_PARAMS | ACMB_IN_REENCODED);
	assert_string_equal(m->info[ACMB_FIELD_KEY].key_format, "SEC1");
	assert_int_equal(m->info[ACMB_FIELD_KEY].blocks, 1);
	assert_int_equal(EVP_PKEY_eq(m->key, ec_key), 1);
	acmb_material_free(m);
	free(key);
	free(text);
}

static void
test_key_field_with_certificate_and_two_keys(void **state)
{
	char *key = make_key_pem("PrivateKeyInfo"), *cert = make_cert_pem("k", 0);
	char *with_cert = join(key, cert, (const char *)NULL),
	     *two = join(key, key, (const char *)NULL);
	struct acmb_material *m;

	(void)state;
	/* A combined key + certificate file: the key is used, the rest noted. */
	m = decode(ACMB_FIELD_KEY, with_cert);
	assert_int_equal(m->info[ACMB_FIELD_KEY].status, ACMB_OK);
	assert_int_equal(m->info[ACMB_FIELD_KEY].flags, ACMB_IN_OTHER_BLOCKS);
	assert_string_equal(m->info[ACMB_FIELD_KEY].key_format, "PKCS#8");
	assert_non_null(m->key);
	acmb_material_free(m);

	m = decode(ACMB_FIELD_KEY, two);
	assert_int_equal(m->info[ACMB_FIELD_KEY].status, ACMB_E_PARSE);
	assert_int_equal(m->info[ACMB_FIELD_KEY].blocks, 2);
	assert_string_equal(m->info[ACMB_FIELD_KEY].message,
	    "private key: input.pem: holds 2 private keys; give exactly one");
	assert_null(m->key);
	acmb_material_free(m);
	free(key);
	free(cert);
	free(with_cert);
	free(two);
}

static void
test_openssh_key_explained(void **state)
{
	struct acmb_material *m;

	(void)state;
	m = decode(ACMB_FIELD_KEY, "-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaA==\n"
	                           "-----END OPENSSH PRIVATE KEY-----\n");
	assert_int_equal(m->info[ACMB_FIELD_KEY].status, ACMB_E_PARSE);
	assert_non_null(strstr(m->info[ACMB_FIELD_KEY].message, "ssh-keygen"));
	acmb_material_free(m);
}

static void
test_private_key_in_chain_not_echoed(void **state)
{
	char *key = make_key_pem("PrivateKeyInfo"), *a = make_cert_pem("a", 0);
	char *text = join(a, key, (const char *)NULL), *body;
	struct acmb_material *m;

	(void)state;
	m = decode(ACMB_FIELD_CHAIN, text);
	assert_int_equal(m->info[ACMB_FIELD_CHAIN].status, ACMB_E_PARSE);
	assert_true(m->info[ACMB_FIELD_CHAIN].flags & ACMB_IN_OTHER_BLOCKS);
	assert_non_null(strstr(m->info[ACMB_FIELD_CHAIN].message, "private key block (line"));
	assert_non_null(strstr(m->info[ACMB_FIELD_CHAIN].message, "certificate chain: "));
	/* No line of the key's body appears in the message. */
	body = strchr(key, '\n') + 1;
	body[16] = '\0';
	assert_null(strstr(m->info[ACMB_FIELD_CHAIN].message, body));
	assert_null(m->chain);
	acmb_material_free(m);
	free(key);
	free(a);
	free(text);
}

static void
test_chain_order_kept(void **state)
{
	char *a = make_cert_pem("first", 0), *b = make_cert_pem("second", 0);
	char *c = make_cert_pem("third", 0), *text = join(a, b, c, (const char *)NULL), *out = NULL;
	struct acmb_material *m;
	acmb_err err = {0};
	size_t len;
	char cn[32];
	int i;

	(void)state;
	m = decode(ACMB_FIELD_CHAIN, text);
	assert_int_equal(m->info[ACMB_FIELD_CHAIN].status, ACMB_OK);
	assert_int_equal(m->info[ACMB_FIELD_CHAIN].blocks, 3);
	assert_int_equal(sk_X509_num(m->chain), 3);
	for (i = 0; i < 3; i++) {
		X509_NAME_get_text_by_NID(X509_get_subject_name(sk_X509_value(m->chain, i)),
		    NID_commonName, cn, sizeof(cn));
		assert_string_equal(cn, i == 0 ? "first" : i == 1 ? "second" : "third");
	}
	assert_int_equal(acmb_material_chain_pem(m, &out, &len, &err), ACMB_OK);
	assert_string_equal(out, text);
	free(out);
	acmb_material_free(m);
	free(a);
	free(b);
	free(c);
	free(text);
}

static void
test_empty_chain_pem_is_empty_string(void **state)
{
	struct acmb_material *m = acmb_material_new();
	acmb_err err = {0};
	char *out = NULL;
	size_t len = 99;

	(void)state;
	assert_int_equal(acmb_material_chain_pem(m, &out, &len, &err), ACMB_OK);
	assert_string_equal(out, "");
	assert_int_equal(len, 0);
	free(out);
	assert_int_equal(acmb_material_cert_pem(m, &out, &len, &err), ACMB_E_RULE);
	assert_null(out);
	assert_null(acmb_material_leaf(m));
	acmb_material_free(m);
	acmb_material_free(NULL);
}

static void
test_thousands_of_sans(void **state)
{
	char *cert = make_cert_pem("many", 5000), *out = NULL;
	struct acmb_material *m;
	GENERAL_NAMES *gens;
	acmb_err err = {0};
	size_t len;

	(void)state;
	assert_true(strlen(cert) > 100000);
	m = decode(ACMB_FIELD_CERT, cert);
	assert_int_equal(m->info[ACMB_FIELD_CERT].status, ACMB_OK);
	gens = X509_get_ext_d2i(acmb_material_leaf(m), NID_subject_alt_name, NULL, NULL);
	assert_non_null(gens);
	assert_int_equal(sk_GENERAL_NAME_num(gens), 5000);
	GENERAL_NAMES_free(gens);
	assert_int_equal(acmb_material_cert_pem(m, &out, &len, &err), ACMB_OK);
	assert_string_equal(out, cert);
	free(out);
	acmb_material_free(m);
	free(cert);
}

static void
test_decoding_again_replaces_the_field(void **state)
{
	char *cert = make_cert_pem("again", 0), *crlf = relined(cert, "\r\n");
	struct acmb_material *m = decode(ACMB_FIELD_CERT, crlf);
	acmb_err err = {0};

	(void)state;
	assert_int_equal(m->info[ACMB_FIELD_CERT].flags, ACMB_IN_CRLF);
	assert_int_equal(sk_X509_num(m->certs), 1);
	assert_int_equal(acmb_files_decode_field(
	                     m, ACMB_FIELD_CERT, (const unsigned char *)"x", 1, NULL, 0, &err),
	    ACMB_OK);
	assert_int_equal(m->info[ACMB_FIELD_CERT].status, ACMB_E_PARSE);
	assert_int_equal(m->info[ACMB_FIELD_CERT].flags, 0);
	assert_int_equal(m->info[ACMB_FIELD_CERT].blocks, 0);
	assert_null(m->certs);
	assert_int_equal(acmb_files_decode_field(m, ACMB_FIELD_CERT, (const unsigned char *)cert,
	                     strlen(cert), NULL, 0, &err),
	    ACMB_OK);
	assert_int_equal(m->info[ACMB_FIELD_CERT].status, ACMB_OK);
	assert_int_equal(m->info[ACMB_FIELD_CERT].message[0], '\0');
	assert_int_equal(m->info[ACMB_FIELD_CERT].flags, 0);
	assert_int_equal(sk_X509_num(m->certs), 1);
	acmb_material_free(m);
	free(cert);
	free(crlf);
}

static void
test_der_garbage_and_empty(void **state)
{
	static const unsigned char der_junk[] = {0x30, 0x82, 0xff, 0xff, 0x01};
	struct acmb_material *m = acmb_material_new();
	acmb_err err = {0};
	enum acmb_field f;

	(void)state;
	for (f = 0; f < ACMB_FIELD_COUNT; f++) {
		test_case("field %d", (int)f);
		assert_int_equal(
		    acmb_files_decode_field(m, f, der_junk, sizeof(der_junk), NULL, 0, &err),
		    ACMB_OK);
		assert_int_equal(m->info[f].status, ACMB_E_PARSE);
		assert_non_null(strstr(m->info[f].message, "no PEM block found"));
		assert_int_equal(m->info[f].flags, ACMB_IN_DER);
		assert_int_equal(
		    acmb_files_decode_field(m, f, der_junk, 0, NULL, 0, &err), ACMB_OK);
		assert_int_equal(m->info[f].status, ACMB_E_PARSE);
		assert_non_null(strstr(m->info[f].message, "is empty"));
	}
	test_case_end();
	assert_null(m->certs);
	assert_null(m->chain);
	assert_null(m->key);
	acmb_material_free(m);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_scan_blocks_and_lines),
	    cmocka_unit_test(test_scan_errors),
	    cmocka_unit_test(test_private_key_types),
	    cmocka_unit_test(test_crlf_and_trailing_blanks_normalised),
	    cmocka_unit_test(test_text_around_dropped),
	    cmocka_unit_test(test_ec_parameters_in_key_field),
	    cmocka_unit_test(test_key_field_with_certificate_and_two_keys),
	    cmocka_unit_test(test_openssh_key_explained),
	    cmocka_unit_test(test_private_key_in_chain_not_echoed),
	    cmocka_unit_test(test_chain_order_kept),
	    cmocka_unit_test(test_empty_chain_pem_is_empty_string),
	    cmocka_unit_test(test_thousands_of_sans),
	    cmocka_unit_test(test_decoding_again_replaces_the_field),
	    case_unit_test(test_der_garbage_and_empty),
	};
	acmb_err err = {0};

	if (acmb_init(NULL, &err) != ACMB_OK) {
		fprintf(stderr, "acmb_init: %s\n", err.msg);
		return 1;
	}
	return cmocka_run_group_tests(tests, setup, teardown);
}
