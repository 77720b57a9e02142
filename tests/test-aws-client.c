/*
 * The AWS client against the local ACM endpoint (tests/endpoint/) over real
 * HTTP(S): every ACM operation, each credential source, error mapping,
 * retries and the "not idempotent" rule, counted in the endpoint's request
 * log. tests/aws/test-aws.sh starts the servers and runs this twice:
 * ACMB_TEST_MODE=plain (HTTP) and ACMB_TEST_MODE=tls (HTTPS, test CA).
 * Run alone (no ACMB_ENDPOINT_URL), it says so and exits 0.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>
#include <curl/curl.h>
#include <jansson.h>
#include <openssl/bio.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "acm/acm-api.h"
#include "acm/aws-config.h"
#include "acm/aws-curl.h"
#include "acm/aws-http.h"
#include "acm/aws-limit.h"
#include "bridge/context.h"
#include "init.h"

static const char *endpoint_url;
static const char *endpoint_ca;
static int tls_mode;
static char tmpdir[256];

/* --- helpers: environment, configuration, control API --- */

static const char *
need_env(const char *name)
{
	const char *v = getenv(name);

	if (v == NULL || *v == '\0')
		fail_msg("%s is not set (run through tests/aws/test-aws.sh)", name);
	return v;
}

enum keyset { KEYS_STATIC, KEYS_STS, KEYS_STS_NO_TOKEN, KEYS_WRONG_SECRET, KEYS_NONE };

static void
use_keys(enum keyset k)
{
	unsetenv("AWS_ACCESS_KEY_ID");
	unsetenv("AWS_SECRET_ACCESS_KEY");
	unsetenv("AWS_SESSION_TOKEN");
	switch (k) {
	case KEYS_STATIC:
		setenv("AWS_ACCESS_KEY_ID", need_env("ACMB_TEST_ACCESS_KEY_ID"), 1);
		setenv("AWS_SECRET_ACCESS_KEY", need_env("ACMB_TEST_SECRET_ACCESS_KEY"), 1);
		break;
	case KEYS_STS:
		setenv("AWS_SESSION_TOKEN", need_env("ACMB_TEST_STS_SESSION_TOKEN"), 1);
		/* FALLTHROUGH */
	case KEYS_STS_NO_TOKEN:
		setenv("AWS_ACCESS_KEY_ID", need_env("ACMB_TEST_STS_ACCESS_KEY_ID"), 1);
		setenv("AWS_SECRET_ACCESS_KEY", need_env("ACMB_TEST_STS_SECRET_ACCESS_KEY"), 1);
		break;
	case KEYS_WRONG_SECRET:
		setenv("AWS_ACCESS_KEY_ID", need_env("ACMB_TEST_ACCESS_KEY_ID"), 1);
		setenv("AWS_SECRET_ACCESS_KEY", "not/the/right/secret/at/all/000000000000", 1);
		break;
	case KEYS_NONE:
		break;
	}
}

static void
base_options(struct acmb_aws_options *o)
{
	acmb_aws_options_init(o);
	o->endpoint_url = endpoint_url;
	o->region = "us-east-1";
	if (tls_mode)
		o->ca_bundle = endpoint_ca;
}

static struct acmb_aws_config *
config_with(const struct acmb_aws_options *o, enum keyset k)
{
	struct acmb_aws_config *c = NULL;
	acmb_err err = {0};

	use_keys(k);
	if (acmb_aws_config_resolve(o, &acmb_aws_service_acm, &c, &err) != ACMB_OK)
		fail_msg("resolve: %s", err.msg);
	return c;
}

static struct acmb_aws_config *
config_default(void)
{
	struct acmb_aws_options o;

	base_options(&o);
	return config_with(&o, KEYS_STATIC);
}

static size_t
collect(char *p, size_t size, size_t nmemb, void *user)
{
	acmb_secbuf *b = user;

	return acmb_secbuf_put(b, p, size * nmemb) == ACMB_OK ? size * nmemb : 0;
}

/* One unsigned call to the endpoint's control API; returns its JSON. */
static json_t *
control(const char *method, const char *path, const char *body)
{
	acmb_secbuf *b = acmb_secbuf_new(8 << 20);
	char url[512];
	CURL *h = acmb_curl_easy_init();
	json_error_t jerr;
	json_t *j;

	assert_non_null(b);
	assert_non_null(h);
	snprintf(url, sizeof(url), "%s%s", endpoint_url, path);
	acmb_curl_easy_setopt(h, CURLOPT_URL, url);
	acmb_curl_easy_setopt(h, CURLOPT_CUSTOMREQUEST, method);
	acmb_curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, collect);
	acmb_curl_easy_setopt(h, CURLOPT_WRITEDATA, b);
	if (tls_mode)
		acmb_curl_easy_setopt(h, CURLOPT_CAINFO, endpoint_ca);
	/* The control API wants a Content-Length on every POST. */
	if (body != NULL || strcmp(method, "POST") == 0)
		acmb_curl_easy_setopt(h, CURLOPT_POSTFIELDS, body != NULL ? body : "");
	assert_int_equal(acmb_curl_easy_perform(h), CURLE_OK);
	acmb_curl_easy_cleanup(h);
	j = json_loadb(acmb_secbuf_str(b), acmb_secbuf_len(b), 0, &jerr);
	acmb_secbuf_free(b);
	assert_non_null(j);
	return j;
}

static void
fault(const char *rule)
{
	json_decref(control("POST", "/__control/faults", rule));
}

static int
reset_endpoint(void **state)
{
	(void)state;
	json_decref(control("DELETE", "/__control/faults", NULL));
	json_decref(control("POST", "/__control/reset", NULL));
	return 0;
}

/* Requests the endpoint logged for op (NULL: all), now. */
static size_t
logged_now(const char *op)
{
	json_t *j = control("GET", "/__control/requests", NULL), *a, *e, *o;
	size_t i, n = 0;

	a = json_object_get(j, "requests");
	json_array_foreach(a, i, e)
	{
		o = json_object_get(e, "operation");
		if (op == NULL || (json_is_string(o) && strcmp(json_string_value(o), op) == 0))
			n++;
	}
	json_decref(j);
	return n;
}

/*
 * The endpoint appends to its log after it has answered, so a count taken
 * right after our call can miss the last request: wait (bounded) until the
 * log is quiet, i.e. two reads 50 ms apart agree, then report the count.
 */
static size_t
logged(const char *op)
{
	struct timespec ts = {0, 50 * 1000 * 1000};
	size_t before = logged_now(NULL), now;
	int i;

	for (i = 0; i < 40; i++) {
		nanosleep(&ts, NULL);
		if ((now = logged_now(NULL)) == before)
			break;
		before = now;
	}
	return logged_now(op);
}

/* Waits (bounded) for at least n requests of op to be logged, e.g. an
 * answer the endpoint delays, then counts as logged() does. */
static size_t
logged_at_least(const char *op, size_t n)
{
	struct timespec ts = {0, 50 * 1000 * 1000};
	int i;

	for (i = 0; i < 200 && logged_now(op) < n; i++)
		nanosleep(&ts, NULL);
	return logged(op);
}

/* The last logged request of op (caller json_decref()s the returned root,
 * *entry points into it). */
static json_t *
last_logged(const char *op, json_t **entry)
{
	json_t *j, *a, *e, *o;
	size_t i;

	(void)logged(NULL);
	j = control("GET", "/__control/requests", NULL);
	*entry = NULL;
	a = json_object_get(j, "requests");
	json_array_foreach(a, i, e)
	{
		o = json_object_get(e, "operation");
		if (json_is_string(o) && strcmp(json_string_value(o), op) == 0)
			*entry = e;
	}
	assert_non_null(*entry);
	return j;
}

static size_t
stored_certificates(void)
{
	json_t *j = control("GET", "/__control/certificates", NULL);
	size_t n = json_array_size(json_object_get(j, "certificates"));

	json_decref(j);
	return n;
}

/* --- test material, made with OpenSSL at test time --- */

struct material {
	char *cert_pem;
	acmb_secbuf *key_pem;
};

static void
add_ext(X509 *x, int nid, const char *value)
{
	X509V3_CTX ctx;
	X509_EXTENSION *ex;

	X509V3_set_ctx(&ctx, x, x, NULL, NULL, 0);
	ex = X509V3_EXT_conf_nid(NULL, &ctx, nid, value);
	assert_non_null(ex);
	assert_int_equal(X509_add_ext(x, ex, -1), 1);
	X509_EXTENSION_free(ex);
}

static char *
bio_string(BIO *b)
{
	char *p, *s;
	long n = BIO_get_mem_data(b, &p);

	s = malloc((size_t)n + 1);
	assert_non_null(s);
	memcpy(s, p, (size_t)n);
	s[n] = '\0';
	return s;
}

/* A self-signed EC P-256 leaf for cn; with other_key, the key sent is a
 * different one than the certificate's. */
static void
make_material(const char *cn, int other_key, struct material *m)
{
	EVP_PKEY *k = EVP_EC_gen("P-256"), *k2 = NULL;
	X509 *x = X509_new();
	X509_NAME *name;
	BIGNUM *bn = BN_new();
	BIO *b;
	char *p, san[300];
	long n;

	assert_non_null(k);
	assert_non_null(x);
	assert_int_equal(X509_set_version(x, 2), 1);
	assert_int_equal(BN_rand(bn, 64, 0, 0), 1);
	assert_non_null(BN_to_ASN1_INTEGER(bn, X509_get_serialNumber(x)));
	BN_free(bn);
	X509_gmtime_adj(X509_getm_notBefore(x), -3600);
	X509_gmtime_adj(X509_getm_notAfter(x), 30L * 86400);
	assert_int_equal(X509_set_pubkey(x, k), 1);
	name = X509_get_subject_name(x);
	X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC, (const unsigned char *)cn, -1, -1, 0);
	X509_set_issuer_name(x, name);
	snprintf(san, sizeof(san), "DNS:%s,DNS:www.%s", cn, cn);
	add_ext(x, NID_subject_alt_name, san);
	add_ext(x, NID_key_usage, "critical,digitalSignature");
	add_ext(x, NID_ext_key_usage, "serverAuth");
	assert_true(X509_sign(x, k, EVP_sha256()) > 0);

	b = BIO_new(BIO_s_mem());
	assert_int_equal(PEM_write_bio_X509(b, x), 1);
	m->cert_pem = bio_string(b);
	BIO_free(b);

	if (other_key)
		assert_non_null(k2 = EVP_EC_gen("P-256"));
	b = BIO_new(BIO_s_secmem());
	assert_int_equal(
	    PEM_write_bio_PrivateKey(b, k2 != NULL ? k2 : k, NULL, NULL, 0, NULL, NULL), 1);
	n = BIO_get_mem_data(b, &p);
	m->key_pem = acmb_secbuf_new(16384);
	assert_int_equal(acmb_secbuf_put(m->key_pem, p, (size_t)n), ACMB_OK);
	BIO_free(b);
	X509_free(x);
	EVP_PKEY_free(k);
	EVP_PKEY_free(k2);
}

static void
material_clear(struct material *m)
{
	free(m->cert_pem);
	acmb_secbuf_free(m->key_pem);
	memset(m, 0, sizeof(*m));
}

static char *
import_new(struct acmb_aws_config *c, const char *cn)
{
	struct material m;
	struct acmb_aws_call_info info;
	acmb_err err = {0};
	char *arn = NULL;

	make_material(cn, 0, &m);
	if (acmb_acm_import_certificate(
	        c, m.cert_pem, NULL, m.key_pem, NULL, NULL, 0, &arn, &info, &err) != ACMB_OK)
		fail_msg("import: %s", err.msg);
	material_clear(&m);
	return arn;
}

/* --- the operations --- */

static void
test_lifecycle(void **state)
{
	struct acmb_aws_config *c = config_default();
	struct acmb_acm_tag tags[2] = {{"team", "pki"}, {"flag", NULL}};
	struct acmb_acm_tag drop[1] = {{"team", NULL}};
	struct acmb_acm_tag_list tl = {0};
	struct acmb_acm_certificate d;
	struct acmb_acm_summary_list l = {0};
	struct acmb_aws_call_info info;
	struct material m;
	acmb_err err = {0};
	char *arn = NULL, *cert = NULL, *chain = NULL;
	size_t i, seen = 0;

	(void)state;
	make_material("life.example.com", 0, &m);
	assert_int_equal(acmb_acm_import_certificate(
	                     c, m.cert_pem, NULL, m.key_pem, NULL, tags, 2, &arn, &info, &err),
	    ACMB_OK);
	assert_non_null(arn);
	assert_int_equal(strncmp(arn, "arn:aws:acm:us-east-1:", 22), 0);
	assert_int_equal(info.attempts, 1);
	assert_int_equal(info.response_lost, 0);
	assert_true(info.request_id[0] != '\0');

	assert_int_equal(acmb_acm_describe_certificate(c, arn, &d, NULL, &err), ACMB_OK);
	assert_string_equal(d.arn, arn);
	assert_string_equal(d.type, "IMPORTED");
	assert_string_equal(d.status, "ISSUED");
	assert_string_equal(d.domain_name, "life.example.com");
	assert_string_equal(d.key_algorithm, "EC-prime256v1");
	assert_non_null(d.serial);
	assert_non_null(strchr(d.serial, ':'));
	assert_true(d.not_after > d.not_before && d.not_before > 0);
	assert_true(d.imported_at > 0);
	assert_int_equal(d.domain_names.count, 2);
	assert_string_equal(d.domain_names.v[1], "www.life.example.com");
	assert_int_equal(d.extended_key_usages.count, 1);
	assert_string_equal(d.extended_key_usages.v[0], "TLS_WEB_SERVER_AUTHENTICATION");
	assert_true(d.key_usages.count >= 1);
	assert_int_equal(d.in_use_by.count, 0);
	acmb_acm_certificate_clear(&d);

	assert_int_equal(acmb_acm_get_certificate(c, arn, &cert, &chain, NULL, &err), ACMB_OK);
	assert_string_equal(cert, m.cert_pem);
	free(cert);
	free(chain);

	/* EC certificates are listed: ACM hides them without Includes.keyTypes. */
	assert_int_equal(acmb_acm_list_certificates(c, &l, NULL, &err), ACMB_OK);
	for (i = 0; i < l.count; i++)
		if (strcmp(l.items[i].arn, arn) == 0) {
			seen++;
			assert_string_equal(l.items[i].domain_name, "life.example.com");
			assert_non_null(strstr(l.items[i].key_algorithm, "prime256v1"));
		}
	assert_int_equal(seen, 1);
	acmb_acm_summary_list_clear(&l);

	assert_int_equal(acmb_acm_list_tags(c, arn, &tl, NULL, &err), ACMB_OK);
	assert_int_equal(tl.count, 2);
	acmb_acm_tag_list_clear(&tl);
	assert_int_equal(acmb_acm_remove_tags(c, arn, drop, 1, NULL, &err), ACMB_OK);
	tags[0].key = "owner";
	tags[0].value = "ops";
	assert_int_equal(acmb_acm_add_tags(c, arn, tags, 1, NULL, &err), ACMB_OK);
	assert_int_equal(acmb_acm_list_tags(c, arn, &tl, NULL, &err), ACMB_OK);
	assert_int_equal(tl.count, 2);
	for (i = 0; i < tl.count; i++) {
		assert_string_not_equal(tl.tags[i].key, "team");
		if (strcmp(tl.tags[i].key, "owner") == 0)
			assert_string_equal(tl.tags[i].value, "ops");
		else
			assert_null(tl.tags[i].value);
	}
	acmb_acm_tag_list_clear(&tl);

	assert_int_equal(acmb_acm_delete_certificate(c, arn, &info, &err), ACMB_OK);
	assert_int_equal(acmb_acm_describe_certificate(c, arn, &d, &info, &err), ACMB_E_AWS);
	assert_string_equal(info.error_code, "ResourceNotFoundException");
	assert_non_null(strstr(err.msg, "DescribeCertificate: ResourceNotFoundException"));
	assert_int_equal(acmb_exit_code(err.rc), ACMB_EXIT_AWS);
	free(arn);
	material_clear(&m);
	acmb_aws_config_free(c);
}

static void
test_reimport_keeps_arn(void **state)
{
	struct acmb_aws_config *c = config_default();
	struct acmb_acm_tag tag = {"k", "v"};
	struct acmb_aws_call_info info;
	struct material m;
	acmb_err err = {0};
	char *arn = import_new(c, "re.example.com"), *arn2 = NULL;

	(void)state;
	make_material("re.example.com", 0, &m);
	assert_int_equal(acmb_acm_import_certificate(
	                     c, m.cert_pem, NULL, m.key_pem, arn, NULL, 0, &arn2, &info, &err),
	    ACMB_OK);
	assert_string_equal(arn2, arn);
	assert_int_equal(stored_certificates(), 1);
	free(arn2);
	arn2 = NULL;
	/* Tags on a reimport are refused before anything is sent. */
	assert_int_equal(acmb_acm_import_certificate(
	                     c, m.cert_pem, NULL, m.key_pem, arn, &tag, 1, &arn2, &info, &err),
	    ACMB_E_USAGE);
	assert_non_null(strstr(err.msg, "tags on a reimport"));
	assert_int_equal(logged_at_least("ImportCertificate", 2), 2);
	free(arn);
	material_clear(&m);
	acmb_aws_config_free(c);
}

static void
test_body_is_what_aws_expects(void **state)
{
	struct acmb_aws_config *c = config_default();
	struct acmb_aws_call_info info;
	struct material m;
	acmb_err err = {0};
	char *arn = NULL;
	json_t *root, *e, *s;

	(void)state;
	/* The endpoint validates against botocore's model and checks the key
	 * matches the certificate: a key that does not is ACM's
	 * ValidationException, not ours. */
	make_material("mismatch.example.com", 1, &m);
	assert_int_equal(acmb_acm_import_certificate(
	                     c, m.cert_pem, NULL, m.key_pem, NULL, NULL, 0, &arn, &info, &err),
	    ACMB_E_AWS);
	assert_string_equal(info.error_code, "ValidationException");
	assert_int_equal(info.attempts, 1);
	assert_non_null(strstr(err.msg, "ImportCertificate: ValidationException"));
	assert_null(arn);
	/* SigV4 covered the target and host, as AWS demands. */
	root = last_logged("ImportCertificate", &e);
	s = json_object_get(e, "signed");
	assert_true(json_is_true(json_object_get(s, "x-amz-target")));
	assert_true(json_is_true(json_object_get(s, "host")));
	assert_true(json_is_true(json_object_get(s, "x-amz-date")));
	assert_string_equal(json_string_value(json_object_get(e, "auth")), "ok");
	json_decref(root);
	material_clear(&m);
	acmb_aws_config_free(c);
}

static void
test_validation_error_from_model(void **state)
{
	struct acmb_aws_config *c = config_default();
	struct acmb_acm_certificate d;
	struct acmb_aws_call_info info;
	acmb_err err = {0};

	(void)state;
	assert_int_equal(
	    acmb_acm_describe_certificate(c, "not-an-arn", &d, &info, &err), ACMB_E_AWS);
	assert_string_equal(info.error_code, "ValidationException");
	assert_non_null(strstr(err.msg, "certificateArn"));
	acmb_aws_config_free(c);
}

static void
test_tags_checked_locally(void **state)
{
	struct acmb_aws_config *c = config_default();
	struct acmb_acm_tag tags[51];
	char longkey[300];
	acmb_err err = {0};
	size_t i;

	(void)state;
	for (i = 0; i < 51; i++) {
		tags[i].key = "k";
		tags[i].value = "v";
	}
	assert_int_equal(acmb_acm_add_tags(c, "arn:aws:acm:us-east-1:123456789012:certificate/x",
	                     tags, 51, NULL, &err),
	    ACMB_E_USAGE);
	assert_non_null(strstr(err.msg, "at most 50"));
	memset(longkey, 'a', 129);
	longkey[129] = '\0';
	tags[0].key = longkey;
	assert_int_equal(acmb_acm_tags_check(tags, 1, &err), ACMB_E_USAGE);
	assert_non_null(strstr(err.msg, "1 to 128"));
	/* Limits count characters: 128 two-byte UTF-8 characters are fine. */
	for (i = 0; i < 128; i++) {
		longkey[2 * i] = (char)0xc3;
		longkey[2 * i + 1] = (char)0xa9;
	}
	longkey[256] = '\0';
	assert_int_equal(acmb_acm_tags_check(tags, 1, &err), ACMB_OK);
	longkey[100] = (char)0xff;
	assert_int_equal(acmb_acm_tags_check(tags, 1, &err), ACMB_E_USAGE);
	assert_non_null(strstr(err.msg, "UTF-8"));
	tags[0].key = "aws:reserved";
	assert_int_equal(acmb_acm_tags_check(tags, 1, &err), ACMB_E_USAGE);
	/* Nothing reached the service. */
	assert_int_equal(logged(NULL), 0);
	acmb_aws_config_free(c);
}

static void
test_large_body_signed(void **state)
{
	struct acmb_aws_config *c = config_default();
	struct acmb_aws_call_info info;
	struct material m;
	acmb_err err = {0};
	char *arn = NULL, *chain;
	size_t i, n, copies;
	int r;

	(void)state;
	/* Over 1 MiB, curl adds "Expect: 100-continue" after signing: the
	 * request must still verify (the service then judges the content). */
	make_material("big.example.com", 0, &m);
	n = strlen(m.cert_pem);
	copies = ((size_t)1200 << 10) / n + 1;
	chain = malloc(n * copies + 1);
	assert_non_null(chain);
	for (i = 0; i < copies; i++)
		memcpy(chain + i * n, m.cert_pem, n);
	chain[n * copies] = '\0';
	r = acmb_acm_import_certificate(
	    c, m.cert_pem, chain, m.key_pem, NULL, NULL, 0, &arn, &info, &err);
	if (r != ACMB_OK && strcmp(info.error_code, "ValidationException") != 0)
		fail_msg("1.2 MiB import: %s", err.msg);
	assert_int_equal(info.attempts, 1);
	free(arn);
	free(chain);
	material_clear(&m);
	acmb_aws_config_free(c);
}

/* --- credentials on the wire --- */

static void
test_session_token_signed(void **state)
{
	struct acmb_aws_options o;
	struct acmb_aws_config *c;
	struct acmb_acm_summary_list l = {0};
	struct acmb_aws_call_info info;
	acmb_err err = {0};
	json_t *root, *e;

	(void)state;
	base_options(&o);
	c = config_with(&o, KEYS_STS);
	assert_int_equal(acmb_acm_list_certificates(c, &l, &info, &err), ACMB_OK);
	acmb_acm_summary_list_clear(&l);
	root = last_logged("ListCertificates", &e);
	assert_string_equal(
	    json_string_value(json_object_get(e, "access_key_id")), "ASIAACMBRIDGETEST02");
	assert_true(
	    json_is_true(json_object_get(json_object_get(e, "signed"), "x-amz-security-token")));
	json_decref(root);
	acmb_aws_config_free(c);

	/* The temporary key without its token is refused, as by AWS. */
	c = config_with(&o, KEYS_STS_NO_TOKEN);
	assert_int_equal(acmb_acm_list_certificates(c, &l, &info, &err), ACMB_E_AWS);
	assert_string_equal(info.error_code, "UnrecognizedClientException");
	assert_non_null(strstr(err.msg, "session token"));
	assert_int_equal(info.attempts, 1);
	acmb_aws_config_free(c);
}

static void
test_wrong_secret(void **state)
{
	struct acmb_aws_options o;
	struct acmb_aws_config *c;
	struct acmb_acm_summary_list l = {0};
	struct acmb_aws_call_info info;
	acmb_err err = {0};

	(void)state;
	base_options(&o);
	c = config_with(&o, KEYS_WRONG_SECRET);
	assert_int_equal(acmb_acm_list_certificates(c, &l, &info, &err), ACMB_E_AWS);
	assert_string_equal(info.error_code, "InvalidSignatureException");
	assert_non_null(strstr(err.msg, "secret access key"));
	assert_int_equal(acmb_exit_code(err.rc), ACMB_EXIT_AWS);
	acmb_aws_config_free(c);
}

static void
write_text(const char *path, const char *text, int mode)
{
	FILE *f = fopen(path, "w");

	assert_non_null(f);
	fputs(text, f);
	fclose(f);
	chmod(path, (mode_t)mode);
}

/* Resolves with only the given source available and makes a real call. */
static void
call_with_source(const struct acmb_aws_options *o, const char *source_word)
{
	struct acmb_aws_config *c = config_with(o, KEYS_NONE);
	struct acmb_acm_summary_list l = {0};
	acmb_err err = {0};
	json_t *root, *e;

	assert_non_null(strstr(acmb_aws_config_credential_source(c), source_word));
	assert_string_equal(acmb_aws_config_access_key_id(c), "ASIAACMBRIDGETEST02");
	if (acmb_acm_list_certificates(c, &l, NULL, &err) != ACMB_OK)
		fail_msg("ListCertificates with %s: %s", source_word, err.msg);
	acmb_acm_summary_list_clear(&l);
	root = last_logged("ListCertificates", &e);
	assert_string_equal(json_string_value(json_object_get(e, "auth")), "ok");
	json_decref(root);
	acmb_aws_config_free(c);
}

static void
test_profile_sources(void **state)
{
	struct acmb_aws_options o;
	char cred[300], conf[300], script[300], text[1200];

	(void)state;
	snprintf(cred, sizeof(cred), "%s/credentials", tmpdir);
	snprintf(conf, sizeof(conf), "%s/config", tmpdir);
	snprintf(script, sizeof(script), "%s/creds.sh", tmpdir);
	setenv("AWS_SHARED_CREDENTIALS_FILE", cred, 1);
	setenv("AWS_CONFIG_FILE", conf, 1);
	snprintf(text, sizeof(text),
	    "[sts]\naws_access_key_id = %s\naws_secret_access_key = %s\n"
	    "aws_session_token = %s\n",
	    need_env("ACMB_TEST_STS_ACCESS_KEY_ID"), need_env("ACMB_TEST_STS_SECRET_ACCESS_KEY"),
	    need_env("ACMB_TEST_STS_SESSION_TOKEN"));
	write_text(cred, text, 0600);
	snprintf(text, sizeof(text),
	    "#!/bin/sh\nprintf '{\"Version\": 1, \"AccessKeyId\": "
	    "\"%%s\", \"SecretAccessKey\": \"%%s\", \"SessionToken\": \"%%s\"}' "
	    "\"$ACMB_TEST_STS_ACCESS_KEY_ID\" \"$ACMB_TEST_STS_SECRET_ACCESS_KEY\" "
	    "\"$ACMB_TEST_STS_SESSION_TOKEN\"\n");
	write_text(script, text, 0700);
	snprintf(text, sizeof(text),
	    "[profile proc]\nregion = us-east-1\ncredential_process = %s\n"
	    "[profile viaenv]\naws_access_key_id = %s\naws_secret_access_key = %s\n"
	    "aws_session_token = %s\n",
	    script, need_env("ACMB_TEST_STS_ACCESS_KEY_ID"),
	    need_env("ACMB_TEST_STS_SECRET_ACCESS_KEY"), need_env("ACMB_TEST_STS_SESSION_TOKEN"));
	write_text(conf, text, 0600);

	base_options(&o);
	o.profile = "sts"; /* credentials file */
	call_with_source(&o, cred);
	o.profile = "proc";
	call_with_source(&o, "credential_process");
	o.profile = NULL; /* config file, chosen by AWS_PROFILE */
	setenv("AWS_PROFILE", "viaenv", 1);
	call_with_source(&o, conf);
	unsetenv("AWS_PROFILE");
}

static void
test_container_source(void **state)
{
	const char *url = getenv("ACMB_TEST_CONTAINER_URL");
	const char *token = getenv("ACMB_TEST_CONTAINER_TOKEN");
	struct acmb_aws_options o;
	struct acmb_aws_config *c = NULL;
	char full[512], tokfile[300];
	acmb_err err = {0};

	(void)state;
	if (url == NULL)
		skip();
	assert_non_null(token);
	snprintf(full, sizeof(full), "%s/v2/credentials/test", url);
	setenv("AWS_CONTAINER_CREDENTIALS_FULL_URI", full, 1);
	base_options(&o);
	/* Wrong token: the endpoint's 401 is a clear configuration error. */
	setenv("AWS_CONTAINER_AUTHORIZATION_TOKEN", "wrong-token", 1);
	use_keys(KEYS_NONE);
	assert_int_equal(
	    acmb_aws_config_resolve(&o, &acmb_aws_service_acm, &c, &err), ACMB_E_CONFIG);
	assert_non_null(strstr(err.msg, "HTTP 401"));
	setenv("AWS_CONTAINER_AUTHORIZATION_TOKEN", token, 1);
	call_with_source(&o, "container");
	/* The token file wins over the variable. */
	snprintf(tokfile, sizeof(tokfile), "%s/token", tmpdir);
	write_text(tokfile, token, 0600);
	setenv("AWS_CONTAINER_AUTHORIZATION_TOKEN", "wrong-token", 1);
	setenv("AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE", tokfile, 1);
	call_with_source(&o, "container");
	unsetenv("AWS_CONTAINER_AUTHORIZATION_TOKEN");
	unsetenv("AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE");
	unsetenv("AWS_CONTAINER_CREDENTIALS_FULL_URI");
}

static void
test_imds_source(void **state)
{
	const char *url = getenv("ACMB_TEST_IMDS_URL");
	struct acmb_aws_options o;

	(void)state;
	if (url == NULL)
		skip();
	setenv("AWS_EC2_METADATA_SERVICE_ENDPOINT", url, 1);
	unsetenv("AWS_EC2_METADATA_DISABLED");
	base_options(&o);
	call_with_source(&o, "instance metadata (role acmbridge-test-role)");
	setenv("AWS_EC2_METADATA_DISABLED", "true", 1);
	unsetenv("AWS_EC2_METADATA_SERVICE_ENDPOINT");
}

static void
test_access_denied_mapping(void **state)
{
	const char *url = getenv("ACMB_TEST_DENIED_URL");
	struct acmb_aws_options o;
	struct acmb_aws_config *c;
	struct acmb_aws_call_info info;
	struct material m;
	acmb_err err = {0};
	char *arn = NULL;

	(void)state;
	if (url == NULL)
		skip();
	base_options(&o);
	o.endpoint_url = url;
	o.ca_bundle = NULL;
	c = config_with(&o, KEYS_STATIC);
	make_material("denied.example.com", 0, &m);
	assert_int_equal(acmb_acm_import_certificate(
	                     c, m.cert_pem, NULL, m.key_pem, NULL, NULL, 0, &arn, &info, &err),
	    ACMB_E_AWS);
	assert_string_equal(info.error_code, "AccessDeniedException");
	assert_string_equal(info.request_id, "req-denied-0001");
	assert_int_equal(info.attempts, 1);
	assert_non_null(strstr(err.msg, "ImportCertificate: AccessDeniedException: User: "
	                                "arn:aws:iam::123456789012:user/ci is not authorized"));
	assert_non_null(strstr(err.msg, "grant acm:ImportCertificate"));
	material_clear(&m);
	acmb_aws_config_free(c);
}

/* --- retries and the not-idempotent rule --- */

/* --- the context's rate limits, on the wire --- */

#define CLOCK_T0 1790000000

/* A context on a test clock (waits take no time) with the endpoint's
 * options and the static keys; *cfg is its ACM configuration. */
static struct acmb_ctx *
limited_ctx(const struct acmb_aws_config **cfg)
{
	struct acmb_aws_options o;
	struct acmb_ctx *ctx = NULL;
	acmb_err err = {0};

	setenv("ACMB_TEST_CLOCK", "1790000000", 1);
	if (acmb_ctx_new(&ctx, &err) != ACMB_OK)
		fail_msg("context: %s", err.msg);
	unsetenv("ACMB_TEST_CLOCK");
	base_options(&o);
	use_keys(KEYS_STATIC);
	if (acmb_ctx_set_aws_options(ctx, &o, &err) != ACMB_OK ||
	    acmb_aws_config_for(ctx, &acmb_aws_service_acm, NULL, cfg, &err) != ACMB_OK)
		fail_msg("context configuration: %s", err.msg);
	return ctx;
}

/* Every ACM call takes a token first: three listings at ListCertificates'
 * 1/s go out over two seconds of the context's clock. */
static void
test_rate_limited_calls(void **state)
{
	const struct acmb_aws_config *c = NULL;
	struct acmb_ctx *ctx;
	struct acmb_acm_summary_list l = {0};
	struct acmb_aws_call_info info;
	acmb_err err = {0};
	unsigned long taken;
	double waited;
	int i;

	(void)state;
#ifndef ACMB_TEST_HOOKS
	skip();
#endif
	ctx = limited_ctx(&c);
	for (i = 0; i < 3; i++) {
		assert_int_equal(acmb_acm_list_certificates(c, &l, &info, &err), ACMB_OK);
		acmb_acm_summary_list_clear(&l);
	}
	acmb_aws_limits_stats(acmb_ctx_limits(ctx), &taken, &waited);
	assert_int_equal(taken, 3);
	assert_true(waited > 2.0 - 1e-9 && waited < 2.0 + 1e-9);
	assert_int_equal((long long)acmb_ctx_now(ctx), CLOCK_T0 + 2LL);
	assert_int_equal(logged_at_least("ListCertificates", 3), 3);
	acmb_ctx_free(ctx);
}

/* ThrottlingException halves the rate and empties the bucket before the
 * retry; the answer that gets through gives a tenth back. */
static void
test_rate_limit_adapts(void **state)
{
	const struct acmb_aws_config *c = NULL;
	struct acmb_ctx *ctx;
	struct acmb_acm_summary_list l = {0};
	struct acmb_aws_call_info info;
	acmb_err err = {0};
	unsigned long taken;
	double waited, rate;

	(void)state;
#ifndef ACMB_TEST_HOOKS
	skip();
#endif
	ctx = limited_ctx(&c);
	fault("{\"operation\": \"ListCertificates\", \"fault\": \"throttle\", \"times\": 2}");
	assert_int_equal(acmb_acm_list_certificates(c, &l, &info, &err), ACMB_OK);
	assert_int_equal(info.attempts, 3);
	acmb_acm_summary_list_clear(&l);
	acmb_aws_limits_stats(acmb_ctx_limits(ctx), &taken, &waited);
	assert_int_equal(taken, 3);
	/* 1/s -> 0.5/s (2 s for the next token) -> 0.25/s (4 s) -> +0.1 */
	assert_true(waited > 6.0 - 1e-9 && waited < 6.0 + 1e-9);
	rate = acmb_aws_limits_rate(acmb_ctx_limits(ctx), acmb_aws_config_access_key_id(c),
	    "us-east-1", "acm", "ListCertificates");
	assert_true(rate > 0.35 - 1e-9 && rate < 0.35 + 1e-9);
	acmb_ctx_free(ctx);
}

/* One call against a chosen fault: what the caller sees (rc, code, status,
 * attempts, a lost answer, the message) and how many requests went out. */
enum fault_op { OP_LIST, OP_IMPORT };

static const struct fault_case {
	const char *name;
	const char *fault;      /* the endpoint's fault rule(s), JSON */
	enum fault_op op;       /* ListCertificates (idempotent) or ImportCertificate */
	int max_attempts;       /* --max-attempts, 0: the default (3) */
	int rc;                 /* what the call returns */
	const char *error_code; /* info.error_code; "" after an answer */
	int attempts;           /* info.attempts */
	long http_status;       /* info.http_status, 0: not checked */
	int response_lost;      /* info.response_lost */
	size_t logged;          /* requests of op the endpoint logged, 0: not checked */
	const char *msg;        /* in err.msg, or NULL */
} fault_cases[] = {
    {"throttled twice, then answered",
        "{\"operation\": \"ListCertificates\", \"fault\": \"throttle\", \"times\": 2}", OP_LIST, 0,
        ACMB_OK, "", 3, 200, 0, 3, NULL},
    {"throttled past the budget",
        "{\"operation\": \"ListCertificates\", \"fault\": \"throttle\", \"times\": 10}", OP_LIST, 0,
        ACMB_E_AWS, "ThrottlingException", 3, 400, 0, 3, "gave up"},
    {"--max-attempts sets the budget",
        "{\"operation\": \"ListCertificates\", \"fault\": \"throttle\", \"times\": 10}", OP_LIST, 5,
        ACMB_E_AWS, "ThrottlingException", 5, 400, 0, 5, "gave up"},
    {"LimitExceededException is a quota, never retried",
        "{\"operation\": \"ImportCertificate\", \"fault\": \"limit\", \"times\": 5}", OP_IMPORT, 0,
        ACMB_E_AWS, "LimitExceededException", 1, 0, 0, 1, "quota"},
    {"500 then 503 on a read: retried, then answered",
        "[{\"operation\": \"ListCertificates\", \"fault\": \"500\", \"times\": 1},"
        " {\"operation\": \"ListCertificates\", \"fault\": \"503\", \"times\": 1}]",
        OP_LIST, 0, ACMB_OK, "", 3, 200, 0, 3, NULL},
    {"500 on every attempt of a read",
        "{\"operation\": \"ListCertificates\", \"fault\": \"500\", \"times\": 3}", OP_LIST, 0,
        ACMB_E_AWS, "InternalFailure", 3, 500, 0, 3, NULL},
    /* A load balancer's HTML 502 has no AWS code: the status names it. */
    {"HTML 502 named by its status",
        "{\"operation\": \"ListCertificates\", \"fault\": \"502\", \"times\": 3}", OP_LIST, 0,
        ACMB_E_AWS, "HTTP502", 3, 502, 0, 0, NULL},
    /* A dropped connection on a read is simply retried. */
    {"connection dropped on a read: retried",
        "{\"operation\": \"ListCertificates\", \"fault\": \"drop-before\", \"times\": 1}", OP_LIST,
        0, ACMB_OK, "", 2, 0, 0, 0, NULL},
};

static void
test_fault_cases(void **state)
{
	const struct fault_case *fc;
	struct acmb_aws_options o;
	struct acmb_aws_config *c;
	struct acmb_acm_summary_list l = {0};
	struct acmb_aws_call_info info;
	struct material m;
	acmb_err err;
	char *arn = NULL;
	size_t i;
	int r;

	(void)state;
	make_material("fault.example.com", 0, &m);
	for (i = 0; i < sizeof(fault_cases) / sizeof(fault_cases[0]); i++) {
		fc = &fault_cases[i];
		reset_endpoint(NULL);
		memset(&err, 0, sizeof(err));
		base_options(&o);
		o.max_attempts = fc->max_attempts;
		c = config_with(&o, KEYS_STATIC);
		fault(fc->fault);
		if (fc->op == OP_LIST)
			r = acmb_acm_list_certificates(c, &l, &info, &err);
		else
			r = acmb_acm_import_certificate(
			    c, m.cert_pem, NULL, m.key_pem, NULL, NULL, 0, &arn, &info, &err);
		acmb_acm_summary_list_clear(&l);
		free(arn);
		arn = NULL;
		if (r != fc->rc || strcmp(info.error_code, fc->error_code) != 0 ||
		    info.attempts != fc->attempts ||
		    (fc->http_status != 0 && info.http_status != fc->http_status) ||
		    info.response_lost != fc->response_lost ||
		    (fc->msg != NULL && strstr(err.msg, fc->msg) == NULL))
			fail_msg("%s: rc %d code '%s' attempts %d status %ld lost %d: %s", fc->name,
			    r, info.error_code, info.attempts, info.http_status, info.response_lost,
			    err.msg);
		if (fc->logged != 0 &&
		    logged_at_least(fc->op == OP_LIST ? "ListCertificates" : "ImportCertificate",
		        fc->logged) != fc->logged)
			fail_msg("%s: the endpoint did not log %zu requests", fc->name, fc->logged);
		acmb_aws_config_free(c);
	}
	material_clear(&m);
}

static void
expect_import_lost(struct acmb_aws_config *c, const char *rule, size_t stored_after)
{
	struct acmb_aws_call_info info;
	struct material m;
	acmb_err err = {0};
	char *arn = NULL;
	size_t n;

	json_decref(control("POST", "/__control/reset", NULL));
	fault(rule);
	make_material("lost.example.com", 0, &m);
	assert_int_equal(acmb_acm_import_certificate(
	                     c, m.cert_pem, NULL, m.key_pem, NULL, NULL, 0, &arn, &info, &err),
	    ACMB_E_NETWORK);
	assert_null(arn);
	assert_int_equal(info.response_lost, 1);
	assert_int_equal(info.attempts, 1);
	assert_int_equal(acmb_exit_code(err.rc), ACMB_EXIT_NETWORK);
	assert_non_null(strstr(err.msg, "may have been applied"));
	assert_int_equal(logged_at_least("ImportCertificate", 1), 1);
	if ((n = stored_certificates()) != stored_after)
		fail_msg("%s: %zu certificates stored, expected %zu", rule, n, stored_after);
	material_clear(&m);
	json_decref(control("DELETE", "/__control/faults", NULL));
}

static void
test_import_never_resent_blindly(void **state)
{
	struct acmb_aws_options o;
	struct acmb_aws_config *c = config_default();
	struct acmb_aws_call_info info;
	struct material m;
	acmb_err err = {0};
	char *arn = NULL;

	(void)state;
	/* Applied, then the connection dropped: exactly one certificate. */
	expect_import_lost(
	    c, "{\"operation\": \"ImportCertificate\", \"fault\": \"drop-after\"}", 1);
	expect_import_lost(c, "{\"operation\": \"ImportCertificate\", \"fault\": \"500\"}", 0);
	expect_import_lost(c, "{\"operation\": \"ImportCertificate\", \"fault\": \"503\"}", 0);
	expect_import_lost(
	    c, "{\"operation\": \"ImportCertificate\", \"fault\": \"request-timeout\"}", 0);
	expect_import_lost(
	    c, "{\"operation\": \"ImportCertificate\", \"fault\": \"malformed\"}", 1);
	acmb_aws_config_free(c);

	/* A read timeout after sending is a lost answer too. */
	base_options(&o);
	o.read_timeout = 1;
	c = config_with(&o, KEYS_STATIC);
	expect_import_lost(
	    c, "{\"operation\": \"ImportCertificate\", \"fault\": \"slow\", \"delay\": 3}", 1);

	/* Throttling means "not done": resending is safe and happens. */
	json_decref(control("POST", "/__control/reset", NULL));
	fault("{\"operation\": \"ImportCertificate\", \"fault\": \"throttle\", \"times\": 1}");
	make_material("throttled.example.com", 0, &m);
	assert_int_equal(acmb_acm_import_certificate(
	                     c, m.cert_pem, NULL, m.key_pem, NULL, NULL, 0, &arn, &info, &err),
	    ACMB_OK);
	assert_int_equal(info.attempts, 2);
	assert_int_equal(stored_certificates(), 1);
	free(arn);
	material_clear(&m);
	acmb_aws_config_free(c);
}

static void
test_unreachable(void **state)
{
	struct acmb_aws_options o;
	struct acmb_aws_config *c;
	struct acmb_acm_summary_list l = {0};
	struct acmb_aws_call_info info;
	acmb_err err = {0};

	(void)state;
	base_options(&o);
	o.endpoint_url = "http://127.0.0.1:1";
	c = config_with(&o, KEYS_STATIC);
	assert_int_equal(acmb_acm_list_certificates(c, &l, &info, &err), ACMB_E_NETWORK);
	assert_int_equal(info.attempts, 3);
	assert_int_equal(info.http_status, 0);
	assert_non_null(strstr(err.msg, "cannot reach http://127.0.0.1:1"));
	assert_int_equal(acmb_exit_code(err.rc), ACMB_EXIT_NETWORK);
	acmb_aws_config_free(c);
}

/* --- --debug never shows a secret --- */

static char debug_log[65536];

static void
debug_sink(void *ctx, const char *line)
{
	size_t n = strlen(debug_log);

	(void)ctx;
	snprintf(debug_log + n, sizeof(debug_log) - n, "%s\n", line);
}

static void
test_debug_redacts(void **state)
{
	struct acmb_aws_options o;
	struct acmb_aws_config *c;
	struct acmb_aws_call_info info;
	struct material m;
	acmb_err err = {0};
	char *arn = NULL, *pem_line;

	(void)state;
	base_options(&o);
	c = config_with(&o, KEYS_STS);
	acmb_aws_config_set_debug(c, debug_sink, NULL);
	debug_log[0] = '\0';
	make_material("debug.example.com", 0, &m);
	assert_int_equal(acmb_acm_import_certificate(
	                     c, m.cert_pem, NULL, m.key_pem, NULL, NULL, 0, &arn, &info, &err),
	    ACMB_OK);
	assert_non_null(strstr(debug_log, "ImportCertificate: POST "));
	assert_non_null(strstr(debug_log, "> Authorization: <redacted>"));
	assert_non_null(strstr(debug_log, "> X-Amz-Security-Token: <redacted>"));
	assert_non_null(strstr(debug_log, "> X-Amz-Target: CertificateManager.ImportCertificate"));
	assert_non_null(strstr(debug_log, info.request_id));
	assert_non_null(strstr(debug_log, "HTTP 200"));
	assert_null(strstr(debug_log, "Signature="));
	assert_null(strstr(debug_log, need_env("ACMB_TEST_STS_SESSION_TOKEN")));
	assert_null(strstr(debug_log, need_env("ACMB_TEST_STS_SECRET_ACCESS_KEY")));
	assert_null(strstr(debug_log, "PRIVATE KEY"));
	/* No body either: not even the certificate. */
	pem_line = strchr(m.cert_pem, '\n') + 1;
	assert_null(strstr(debug_log, "BEGIN CERTIFICATE"));
	assert_int_equal(
	    strstr(debug_log, "MII") == NULL || strstr(debug_log, pem_line) == NULL, 1);
	free(arn);
	material_clear(&m);
	acmb_aws_config_free(c);
}

/* --- TLS --- */

static void
test_tls_verification(void **state)
{
	struct acmb_aws_options o;
	struct acmb_aws_config *c;
	struct acmb_acm_summary_list l = {0};
	struct acmb_aws_call_info info;
	acmb_err err = {0};

	(void)state;
	if (!tls_mode)
		skip();
	base_options(&o);
	c = config_with(&o, KEYS_STATIC);
	assert_int_equal(acmb_acm_list_certificates(c, &l, &info, &err), ACMB_OK);
	acmb_acm_summary_list_clear(&l);
	acmb_aws_config_free(c);

	/* The system CAs do not know the test CA. */
	o.ca_bundle = NULL;
	c = config_with(&o, KEYS_STATIC);
	assert_int_equal(acmb_acm_list_certificates(c, &l, &info, &err), ACMB_E_TLS);
	assert_non_null(strstr(err.msg, "could not be verified"));
	assert_non_null(strstr(err.msg, "--ca-bundle"));
	assert_int_equal(info.attempts, 1);
	assert_int_equal(acmb_exit_code(err.rc), ACMB_EXIT_NETWORK);
	acmb_aws_config_free(c);

	/* A bundle with an unrelated CA fails the same way. */
	o.ca_bundle = "/etc/ssl/certs/ca-certificates.crt";
	if (access(o.ca_bundle, R_OK) == 0) {
		c = config_with(&o, KEYS_STATIC);
		assert_int_equal(acmb_acm_list_certificates(c, &l, &info, &err), ACMB_E_TLS);
		acmb_aws_config_free(c);
	}

	o.ca_bundle = NULL;
	o.no_verify_ssl = 1;
	c = config_with(&o, KEYS_STATIC);
	assert_int_equal(acmb_acm_list_certificates(c, &l, &info, &err), ACMB_OK);
	acmb_acm_summary_list_clear(&l);
	acmb_aws_config_free(c);
}

static void
test_pagination(void **state)
{
	struct acmb_aws_config *c = config_default();
	struct acmb_acm_summary_list l = {0};
	struct acmb_aws_call_info info;
	acmb_err err = {0};
	char *arns[3];
	size_t i;

	(void)state;
	arns[0] = import_new(c, "p1.example.com");
	arns[1] = import_new(c, "p2.example.com");
	arns[2] = import_new(c, "p3.example.com");
#ifdef ACMB_TEST_HOOKS
	setenv("ACMB_TEST_LIST_PAGE_SIZE", "2", 1);
#endif
	assert_int_equal(acmb_acm_list_certificates(c, &l, &info, &err), ACMB_OK);
	assert_int_equal(l.count, 3);
#ifdef ACMB_TEST_HOOKS
	unsetenv("ACMB_TEST_LIST_PAGE_SIZE");
	assert_int_equal(logged_at_least("ListCertificates", 2), 2);
#endif
	for (i = 0; i < 3; i++)
		free(arns[i]);
	acmb_acm_summary_list_clear(&l);
	acmb_aws_config_free(c);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup(test_lifecycle, reset_endpoint),
	    cmocka_unit_test_setup(test_reimport_keeps_arn, reset_endpoint),
	    cmocka_unit_test_setup(test_body_is_what_aws_expects, reset_endpoint),
	    cmocka_unit_test_setup(test_validation_error_from_model, reset_endpoint),
	    cmocka_unit_test_setup(test_tags_checked_locally, reset_endpoint),
	    cmocka_unit_test_setup(test_pagination, reset_endpoint),
	    cmocka_unit_test_setup(test_large_body_signed, reset_endpoint),
	    cmocka_unit_test_setup(test_session_token_signed, reset_endpoint),
	    cmocka_unit_test_setup(test_wrong_secret, reset_endpoint),
	    cmocka_unit_test_setup(test_profile_sources, reset_endpoint),
	    cmocka_unit_test_setup(test_container_source, reset_endpoint),
	    cmocka_unit_test_setup(test_imds_source, reset_endpoint),
	    cmocka_unit_test_setup(test_access_denied_mapping, reset_endpoint),
	    cmocka_unit_test_setup(test_fault_cases, reset_endpoint),
	    cmocka_unit_test_setup(test_rate_limited_calls, reset_endpoint),
	    cmocka_unit_test_setup(test_rate_limit_adapts, reset_endpoint),
	    cmocka_unit_test_setup(test_import_never_resent_blindly, reset_endpoint),
	    cmocka_unit_test_setup(test_unreachable, reset_endpoint),
	    cmocka_unit_test_setup(test_debug_redacts, reset_endpoint),
	    cmocka_unit_test_setup(test_tls_verification, reset_endpoint),
	};
	acmb_err err = {0};
	char cmd[300];
	const char *mode;
	int rc;

	if (acmb_init(NULL, &err) != ACMB_OK) {
		fprintf(stderr, "acmb_init: %s\n", err.msg);
		return 1;
	}
	endpoint_url = getenv("ACMB_ENDPOINT_URL");
	if (endpoint_url == NULL || *endpoint_url == '\0') {
		/* ctest also runs every test-*.c alone; the real run, with the
		 * servers, is the ctest entry aws-test-aws. */
		printf("test-aws-client: skipped: no ACMB_ENDPOINT_URL (run by "
		       "tests/aws/test-aws.sh)\n");
		acmb_shutdown();
		return 0;
	}
	endpoint_ca = getenv("ACMB_ENDPOINT_CA");
	mode = getenv("ACMB_TEST_MODE");
	tls_mode = mode != NULL && strcmp(mode, "tls") == 0;
	if (tls_mode && (endpoint_ca == NULL || *endpoint_ca == '\0')) {
		fprintf(stderr, "ACMB_TEST_MODE=tls needs ACMB_ENDPOINT_CA\n");
		return 1;
	}
	snprintf(tmpdir, sizeof(tmpdir), "%s/acmb-aws-client-XXXXXX",
	    getenv("TMPDIR") != NULL ? getenv("TMPDIR") : "/tmp");
	if (mkdtemp(tmpdir) == NULL)
		return 1;
	setenv("AWS_EC2_METADATA_DISABLED", "true", 1);
#ifdef ACMB_TEST_HOOKS
	setenv("ACMB_TEST_NO_BACKOFF", "1", 1);
#endif
	rc = cmocka_run_group_tests_name(
	    tls_mode ? "aws-client-tls" : "aws-client-plain", tests, NULL, NULL);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmpdir);
	if (system(cmd) != 0 && rc == 0)
		rc = 1;
	acmb_shutdown();
	return rc;
}
