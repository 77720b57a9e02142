/* ACM import rules, chain ordering, service lines, the check report and
 * --at parsing, on material built in-process with OpenSSL. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>
#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/param_build.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "acm/rules-chain.h"
#include "acm/rules.h"
#include "bridge/check.h"
#include "init.h"
#include "material.h"
#include "zalloc.h"
#include "test-util.h"

#define DAY 86400L

static EVP_PKEY *ca_key; /* one P-256 key signs most test CAs: fast */
static EVP_PKEY *leaf_key;
static EVP_PKEY *rsa_key;

static EVP_PKEY *
gen_key(const char *spec)
{
	EVP_PKEY *k = NULL;

	if (strncmp(spec, "rsa:", 4) == 0)
		k = EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)atoi(spec + 4));
	else if (strncmp(spec, "ec:", 3) == 0)
		k = EVP_PKEY_Q_keygen(NULL, NULL, "EC", spec + 3);
	else
		k = EVP_PKEY_Q_keygen(NULL, NULL, spec);
	assert_non_null(k);
	return k;
}

static X509_NAME *
cn(const char *s)
{
	X509_NAME *n = X509_NAME_new();

	assert_non_null(n);
	if (s[0] != '\0')
		assert_int_equal(X509_NAME_add_entry_by_txt(
		                     n, "CN", MBSTRING_UTF8, (const unsigned char *)s, -1, -1, 0),
		    1);
	return n;
}

/* A certificate for pub named subject, issued by issuer_name and signed
 * with signer; valid from now+from to now+to seconds; v3 unless v1. */
static X509 *
make_cert(const char *subject, const char *issuer_name, EVP_PKEY *pub, EVP_PKEY *signer, long from,
    long to, int v1, const char *ocsp)
{
	static long serial = 1;
	X509 *x = X509_new();
	X509_NAME *sn = cn(subject), *in = cn(issuer_name);
	X509V3_CTX ctx;
	X509_EXTENSION *ext;
	char aia[1200];

	assert_non_null(x);
	assert_int_equal(X509_set_version(x, v1 ? X509_VERSION_1 : X509_VERSION_3), 1);
	ASN1_INTEGER_set(X509_get_serialNumber(x), serial++);
	assert_non_null(X509_gmtime_adj(X509_getm_notBefore(x), from));
	assert_non_null(X509_gmtime_adj(X509_getm_notAfter(x), to));
	assert_int_equal(X509_set_subject_name(x, sn), 1);
	assert_int_equal(X509_set_issuer_name(x, in), 1);
	assert_int_equal(X509_set_pubkey(x, pub), 1);
	if (ocsp != NULL) {
		X509V3_set_ctx(&ctx, NULL, x, NULL, NULL, 0);
		snprintf(aia, sizeof(aia), "OCSP;URI:%s", ocsp);
		ext = X509V3_EXT_conf_nid(NULL, &ctx, NID_info_access, aia);
		assert_non_null(ext);
		assert_int_equal(X509_add_ext(x, ext, -1), 1);
		X509_EXTENSION_free(ext);
	}
	assert_true(X509_sign(x, signer, EVP_sha256()) > 0);
	X509_NAME_free(sn);
	X509_NAME_free(in);
	return x;
}

static struct acmb_material *
make_material(X509 *leaf, EVP_PKEY *key, STACK_OF(X509) *chain)
{
	struct acmb_material *m = acmb_material_new();

	assert_non_null(m);
	m->certs = sk_X509_new_null();
	assert_non_null(m->certs);
	assert_true(sk_X509_push(m->certs, leaf) > 0);
	m->info[ACMB_FIELD_CERT].present = 1;
	m->info[ACMB_FIELD_CERT].blocks = 1;
	snprintf(m->info[ACMB_FIELD_CERT].source, ACMB_SOURCE_MAX, "cert.pem");
	if (key != NULL) {
		assert_int_equal(EVP_PKEY_up_ref(key), 1);
		m->key = key;
		m->info[ACMB_FIELD_KEY].present = 1;
		snprintf(m->info[ACMB_FIELD_KEY].source, ACMB_SOURCE_MAX, "key.pem");
	}
	if (chain != NULL) {
		m->chain = chain;
		m->info[ACMB_FIELD_CHAIN].present = 1;
		snprintf(m->info[ACMB_FIELD_CHAIN].source, ACMB_SOURCE_MAX, "chain.pem");
	}
	return m;
}

static STACK_OF(X509) *
stack_of(int n, ...)
{
	STACK_OF(X509) *s = sk_X509_new_null();
	va_list ap;
	X509 *x;
	int i;

	assert_non_null(s);
	va_start(ap, n);
	for (i = 0; i < n; i++) {
		x = va_arg(ap, X509 *);
		assert_int_equal(X509_up_ref(x), 1);
		assert_true(sk_X509_push(s, x) > 0);
	}
	va_end(ap);
	return s;
}

/* Judges m now and returns whether rule passed; fails the test when the
 * rule was not reported at all. */
static int
rule_ok(struct acmb_material *m, time_t at, const char *rule, struct acmb_rules_report *rep)
{
	const struct acmb_rule_result *res;
	acmb_err err = {0};

	assert_int_equal(acmb_rules_judge(m, at, rep, &err), ACMB_OK);
	res = acmb_rules_find(rep, rule);
	if (res == NULL)
		fail_msg("rule %s not reported", rule);
	return res->ok;
}

struct hierarchy {
	X509 *root, *inter, *leaf;
};

static void
make_hierarchy(struct hierarchy *h, EVP_PKEY *lkey)
{
	h->root = make_cert("Test Root", "Test Root", ca_key, ca_key, -DAY, 365 * DAY, 0, NULL);
	h->inter =
	    make_cert("Test Intermediate", "Test Root", ca_key, ca_key, -DAY, 365 * DAY, 0, NULL);
	h->leaf = make_cert("www.example.com", "Test Intermediate", lkey, ca_key, -DAY, 90 * DAY, 0,
	    "http://ocsp.example.com");
}

static void
free_hierarchy(struct hierarchy *h)
{
	X509_free(h->root);
	X509_free(h->inter);
}

static void
test_key_algorithms(void **state)
{
	static const struct {
		const char *spec;
		enum acmb_key_alg alg;
		const char *name;
	} cases[] = {
	    {"rsa:1024", ACMB_ALG_RSA_1024, "RSA_1024"},
	    {"rsa:2048", ACMB_ALG_RSA_2048, "RSA_2048"},
	    {"rsa:1536", ACMB_ALG_UNSUPPORTED, "RSA 1536 bit"},
	    {"ec:P-256", ACMB_ALG_EC_PRIME256V1, "EC_prime256v1"},
	    {"ec:P-384", ACMB_ALG_EC_SECP384R1, "EC_secp384r1"},
	    {"ec:P-521", ACMB_ALG_EC_SECP521R1, "EC_secp521r1"},
	    {"ec:secp256k1", ACMB_ALG_UNSUPPORTED, "EC secp256k1"},
	    {"ED25519", ACMB_ALG_UNSUPPORTED, "ED25519"},
	    {"X25519", ACMB_ALG_UNSUPPORTED, "X25519"},
	};
	char name[64];
	EVP_PKEY *k;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		test_case("case %zu: %s", i, cases[i].spec);
		k = gen_key(cases[i].spec);
		assert_int_equal(acmb_rules_key_algorithm(k, name, sizeof(name)), cases[i].alg);
		assert_string_equal(name, cases[i].name);
		EVP_PKEY_free(k);
	}
	test_case_end();
	assert_int_equal(acmb_rules_key_algorithm(NULL, name, sizeof(name)), ACMB_ALG_NONE);
}

static void
test_services(void **state)
{
	struct acmb_service_result s[ACMB_SERVICE_COUNT];

	(void)state;
	acmb_services_judge(ACMB_ALG_RSA_4096, s);
	assert_string_equal(s[ACMB_SERVICE_NLB].service, "nlb");
	assert_true(s[ACMB_SERVICE_ALB].ok);
	assert_false(s[ACMB_SERVICE_NLB].ok);
	assert_true(s[ACMB_SERVICE_CLOUDFRONT].ok);
	acmb_services_judge(ACMB_ALG_EC_SECP384R1, s);
	assert_true(s[ACMB_SERVICE_NLB].ok);
	assert_false(s[ACMB_SERVICE_CLOUDFRONT].ok);
	assert_false(s[ACMB_SERVICE_APIGW_EDGE].ok);
	assert_non_null(strstr(s[ACMB_SERVICE_CLOUDFRONT].detail, "us-east-1"));
	acmb_services_judge(ACMB_ALG_UNSUPPORTED, s);
	assert_false(s[ACMB_SERVICE_ALB].ok);
}

static void
test_good_material_passes_every_rule(void **state)
{
	struct acmb_rules_report rep;
	struct hierarchy h;
	struct acmb_material *m;
	acmb_err err = {0};
	size_t i;

	(void)state;
	make_hierarchy(&h, leaf_key);
	m = make_material(h.leaf, leaf_key, stack_of(2, h.inter, h.root));
	assert_int_equal(acmb_rules_judge(m, time(NULL), &rep, &err), ACMB_OK);
	for (i = 0; i < rep.nresults; i++)
		if (!rep.results[i].ok)
			fail_msg("%s: %s", rep.results[i].rule, rep.results[i].detail);
	assert_true(rep.ok);
	assert_false(rep.chain_order_changed);
	assert_string_equal(rep.key_algorithm, "EC_prime256v1");
	assert_non_null(acmb_rules_find(&rep, "chain-complete"));
	assert_non_null(acmb_rules_find(&rep, "key-matches-certificate"));
	acmb_material_free(m);
	free_hierarchy(&h);
}

static void
test_validity_and_at(void **state)
{
	struct acmb_rules_report rep;
	struct acmb_material *m;
	X509 *x;

	(void)state;
	x = make_cert("soon.example.com", "soon.example.com", leaf_key, leaf_key, 10 * DAY,
	    40 * DAY, 0, NULL);
	m = make_material(x, leaf_key, NULL);
	assert_false(rule_ok(m, time(NULL), "certificate-validity", &rep));
	assert_non_null(
	    strstr(acmb_rules_find(&rep, "certificate-validity")->detail, "not yet valid"));
	assert_true(rule_ok(m, time(NULL) + 20 * DAY, "certificate-validity", &rep));
	assert_false(rule_ok(m, time(NULL) + 41 * DAY, "certificate-validity", &rep));
	assert_non_null(strstr(acmb_rules_find(&rep, "certificate-validity")->detail, "expired"));
	assert_false(rep.ok);
	acmb_material_free(m);
}

static void
test_v1_and_empty_issuer(void **state)
{
	struct acmb_rules_report rep;
	struct acmb_material *m;

	(void)state;
	m = make_material(
	    make_cert("v1.example.com", "v1.example.com", leaf_key, leaf_key, -DAY, DAY, 1, NULL),
	    leaf_key, NULL);
	assert_false(rule_ok(m, time(NULL), "certificate-x509-v3", &rep));
	acmb_material_free(m);
	m = make_material(
	    make_cert("", "", leaf_key, leaf_key, -DAY, DAY, 0, NULL), leaf_key, NULL);
	assert_false(rule_ok(m, time(NULL), "certificate-issuer", &rep));
	assert_true(rule_ok(m, time(NULL), "certificate-x509-v3", &rep));
	acmb_material_free(m);
}

/* An RSA key with the real n and e but a wrong d and no CRT parts: equal
 * public parts, so only the pairwise signature can catch it. */
static EVP_PKEY *
corrupt_rsa(EVP_PKEY *good)
{
	BIGNUM *n = NULL, *e = NULL, *d = NULL;
	OSSL_PARAM_BLD *bld = OSSL_PARAM_BLD_new();
	OSSL_PARAM *params;
	EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_new_from_name(NULL, "RSA", NULL);
	EVP_PKEY *bad = NULL;

	assert_int_equal(EVP_PKEY_get_bn_param(good, OSSL_PKEY_PARAM_RSA_N, &n), 1);
	assert_int_equal(EVP_PKEY_get_bn_param(good, OSSL_PKEY_PARAM_RSA_E, &e), 1);
	assert_int_equal(EVP_PKEY_get_bn_param(good, OSSL_PKEY_PARAM_RSA_D, &d), 1);
	assert_int_equal(BN_add_word(d, 2), 1);
	assert_int_equal(OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_N, n), 1);
	assert_int_equal(OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_E, e), 1);
	assert_int_equal(OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_D, d), 1);
	params = OSSL_PARAM_BLD_to_param(bld);
	assert_non_null(params);
	assert_int_equal(EVP_PKEY_fromdata_init(ctx), 1);
	assert_int_equal(EVP_PKEY_fromdata(ctx, &bad, EVP_PKEY_KEYPAIR, params), 1);
	OSSL_PARAM_free(params);
	OSSL_PARAM_BLD_free(bld);
	EVP_PKEY_CTX_free(ctx);
	BN_free(n);
	BN_free(e);
	BN_clear_free(d);
	return bad;
}

static void
test_key_matches(void **state)
{
	struct acmb_rules_report rep;
	struct acmb_material *m;
	EVP_PKEY *bad, *other;
	X509 *x;

	(void)state;
	x = make_cert("rsa.example.com", "rsa.example.com", rsa_key, rsa_key, -DAY, DAY, 0, NULL);
	/* Three materials below each take one reference. */
	assert_int_equal(X509_up_ref(x), 1);
	assert_int_equal(X509_up_ref(x), 1);
	bad = corrupt_rsa(rsa_key);
	assert_int_equal(EVP_PKEY_eq(bad, rsa_key), 1);
	m = make_material(x, bad, NULL);
	assert_false(rule_ok(m, time(NULL), "key-matches-certificate", &rep));
	assert_non_null(
	    strstr(acmb_rules_find(&rep, "key-matches-certificate")->detail, "corrupted"));
	acmb_material_free(m);
	EVP_PKEY_free(bad);

	other = gen_key("ec:P-256");
	m = make_material(x, other, NULL);
	assert_false(rule_ok(m, time(NULL), "key-matches-certificate", &rep));
	assert_non_null(strstr(
	    acmb_rules_find(&rep, "key-matches-certificate")->detail, "public parts differ"));
	acmb_material_free(m);
	EVP_PKEY_free(other);

	m = make_material(x, rsa_key, NULL);
	assert_true(rule_ok(m, time(NULL), "key-matches-certificate", &rep));
	assert_true(rule_ok(m, time(NULL), "key-size", &rep));
	assert_true(rep.ok);
	acmb_material_free(m);
}

static void
test_field_status_maps_to_rule(void **state)
{
	struct acmb_rules_report rep;
	struct acmb_material *m = acmb_material_new();
	acmb_err err = {0};
	const struct acmb_rule_result *res;

	(void)state;
	assert_non_null(m);
	m->info[ACMB_FIELD_CERT].present = 1;
	m->info[ACMB_FIELD_CERT].status = ACMB_E_TOO_BIG;
	snprintf(
	    m->info[ACMB_FIELD_CERT].message, ACMB_ERRMSG_MAX, "certificate: over the 1 MiB limit");
	m->info[ACMB_FIELD_KEY].present = 1;
	m->info[ACMB_FIELD_KEY].status = ACMB_E_RULE;
	snprintf(m->info[ACMB_FIELD_KEY].message, ACMB_ERRMSG_MAX, "private key is encrypted");
	assert_int_equal(acmb_rules_judge(m, time(NULL), &rep, &err), ACMB_OK);
	res = acmb_rules_find(&rep, "certificate-size");
	assert_non_null(res);
	assert_false(res->ok);
	assert_string_equal(res->detail, "certificate: over the 1 MiB limit");
	res = acmb_rules_find(&rep, "key-unencrypted");
	assert_non_null(res);
	assert_false(res->ok);
	assert_null(acmb_rules_find(&rep, "certificate-validity"));
	assert_false(rep.ok);
	acmb_material_free(m);
}

static void
test_chain_reorders_and_dedups(void **state)
{
	struct acmb_rules_report rep;
	struct hierarchy h;
	struct acmb_material *m;
	acmb_err err = {0};

	(void)state;
	make_hierarchy(&h, leaf_key);
	m = make_material(h.leaf, leaf_key, stack_of(5, h.root, h.leaf, h.inter, h.root, h.inter));
	assert_int_equal(acmb_rules_judge(m, time(NULL), &rep, &err), ACMB_OK);
	assert_true(rep.ok);
	assert_true(rep.chain_order_changed);
	assert_int_equal(sk_X509_num(m->chain), 2);
	assert_int_equal(X509_cmp(sk_X509_value(m->chain, 0), h.inter), 0);
	assert_int_equal(X509_cmp(sk_X509_value(m->chain, 1), h.root), 0);
	assert_non_null(strstr(acmb_rules_find(&rep, "chain-no-leaf")->detail, "dropped 1"));
	assert_non_null(
	    strstr(acmb_rules_find(&rep, "chain-order")->detail, "dropped 2 exact duplicate"));
	acmb_material_free(m);
	free_hierarchy(&h);
}

static void
test_chain_missing_intermediate(void **state)
{
	struct acmb_rules_report rep;
	struct hierarchy h;
	struct acmb_material *m;

	(void)state;
	make_hierarchy(&h, leaf_key);
	assert_int_equal(X509_up_ref(h.leaf), 1);
	m = make_material(h.leaf, leaf_key, stack_of(1, h.root));
	assert_false(rule_ok(m, time(NULL), "chain-issuer", &rep));
	assert_string_equal(acmb_rules_find(&rep, "chain-issuer")->detail,
	    "missing intermediate: no certificate in the chain has subject "
	    "'CN=Test Intermediate'");
	acmb_material_free(m);
	m = make_material(h.leaf, leaf_key, NULL);
	assert_false(rule_ok(m, time(NULL), "chain-required", &rep));
	acmb_material_free(m);
	free_hierarchy(&h);
}

static void
test_chain_loop(void **state)
{
	struct acmb_chain_result cr;
	STACK_OF(X509) *chain;
	X509 *a, *b, *leaf;
	acmb_err err = {0};

	(void)state;
	a = make_cert("Loop A", "Loop B", ca_key, ca_key, -DAY, DAY, 0, NULL);
	b = make_cert("Loop B", "Loop A", ca_key, ca_key, -DAY, DAY, 0, NULL);
	leaf = make_cert("loop.example.com", "Loop A", leaf_key, ca_key, -DAY, DAY, 0, NULL);
	chain = stack_of(2, b, a);
	assert_int_equal(acmb_chain_order(leaf, chain, &cr, &err), ACMB_OK);
	assert_true(cr.loop);
	assert_true(cr.issuer_found);
	assert_int_equal(cr.path_len, 2);
	assert_string_equal(cr.loop_subject, "CN=Loop B");
	sk_X509_pop_free(chain, X509_free);
	X509_free(a);
	X509_free(b);
	X509_free(leaf);
}

/* n CAs, CA i issued by CA i+1, all with one key; returned leaf-side first. */
static STACK_OF(X509) *
long_chain(int n, X509 **leaf)
{
	STACK_OF(X509) *s = sk_X509_new_null();
	char subj[64], iss[64];
	int i;

	assert_non_null(s);
	for (i = 1; i <= n; i++) {
		snprintf(subj, sizeof(subj), "Long CA %d", i);
		snprintf(iss, sizeof(iss), "Long CA %d", i < n ? i + 1 : i);
		assert_true(
		    sk_X509_push(s, make_cert(subj, iss, ca_key, ca_key, -DAY, DAY, 0, NULL)) > 0);
	}
	*leaf = make_cert("long.example.com", "Long CA 1", leaf_key, ca_key, -DAY, DAY, 0, NULL);
	return s;
}

static void
test_chain_500_reversed(void **state)
{
	struct acmb_chain_result cr;
	STACK_OF(X509) *chain, *rev;
	X509 *leaf;
	acmb_err err = {0};
	int i;

	(void)state;
	chain = long_chain(500, &leaf);
	rev = sk_X509_new_null();
	for (i = 499; i >= 0; i--)
		assert_true(sk_X509_push(rev, sk_X509_value(chain, i)) > 0);
	assert_int_equal(acmb_chain_order(leaf, rev, &cr, &err), ACMB_OK);
	assert_true(cr.reordered);
	assert_true(cr.ends_at_root);
	assert_int_equal(cr.path_len, 500);
	for (i = 0; i < 500; i++)
		assert_ptr_equal(sk_X509_value(rev, i), sk_X509_value(chain, i));
	sk_X509_free(rev);
	sk_X509_pop_free(chain, X509_free);
	X509_free(leaf);
}

static void
test_chain_too_long_is_bounded(void **state)
{
	struct acmb_chain_result cr;
	STACK_OF(X509) *chain;
	X509 *leaf, *c;
	acmb_err err = {0};
	int i;

	(void)state;
	chain = long_chain(ACMB_CHAIN_MAX_CERTS + 1, &leaf);
	assert_int_equal(acmb_chain_order(leaf, chain, &cr, &err), ACMB_OK);
	assert_true(cr.too_long);
	assert_int_equal(sk_X509_num(chain), ACMB_CHAIN_MAX_CERTS + 1);
	sk_X509_pop_free(chain, X509_free);
	X509_free(leaf);

	/* Many certificates with the leaf's issuer name, none of them its signer:
	 * the signature budget stops the search instead of n^2 checks. */
	chain = sk_X509_new_null();
	leaf = make_cert("victim.example.com", "Same Name", leaf_key, rsa_key, -DAY, DAY, 0, NULL);
	for (i = 0; i < 2000; i++) {
		c = make_cert("Same Name", "Same Name", ca_key, ca_key, -DAY, DAY + i, 0, NULL);
		assert_true(sk_X509_push(chain, c) > 0);
	}
	assert_int_equal(acmb_chain_order(leaf, chain, &cr, &err), ACMB_OK);
	assert_false(cr.issuer_found);
	assert_true(cr.issuer_name_only);
	sk_X509_pop_free(chain, X509_free);
	X509_free(leaf);
}

/* A memo shared across sets remembers CA links only: a leaf that the
 * remembered chain did not issue still fails. */
static void
test_chain_memo(void **state)
{
	struct acmb_rules_report rep;
	struct hierarchy h;
	struct acmb_material *m;
	acmb_chain_memo *memo = acmb_chain_memo_new();
	acmb_err err = {0};
	X509 *stranger;
	int i;

	(void)state;
	assert_non_null(memo);
	make_hierarchy(&h, leaf_key);
	for (i = 0; i < 3; i++) {
		test_case("judgement %d of the same chain", i + 1);
		assert_int_equal(X509_up_ref(h.leaf), 1);
		m = make_material(h.leaf, leaf_key, stack_of(2, h.inter, h.root));
		assert_int_equal(acmb_rules_judge_memo(m, time(NULL), memo, &rep, &err), ACMB_OK);
		assert_true(rep.ok);
		assert_true(acmb_rules_find(&rep, "chain-complete")->ok);
		acmb_material_free(m);
	}
	test_case_end();
	/* Same issuer name, signed by another key: the memo must not vouch for it. */
	stranger = make_cert(
	    "www.example.com", "Test Intermediate", leaf_key, rsa_key, -DAY, DAY, 0, NULL);
	m = make_material(stranger, leaf_key, stack_of(2, h.inter, h.root));
	assert_int_equal(acmb_rules_judge_memo(m, time(NULL), memo, &rep, &err), ACMB_OK);
	assert_false(acmb_rules_find(&rep, "chain-issuer")->ok);
	assert_false(rep.ok);
	acmb_material_free(m);
	X509_free(h.leaf);
	free_hierarchy(&h);
	acmb_chain_memo_free(memo);
}

static void
test_algorithm_match_and_ocsp(void **state)
{
	struct acmb_rules_report rep;
	struct acmb_material *m;
	X509 *rsa_ca, *leaf;
	char url[1100];

	(void)state;
	rsa_ca = make_cert("RSA CA", "RSA CA", rsa_key, rsa_key, -DAY, DAY, 0, NULL);
	leaf = make_cert("mixed.example.com", "RSA CA", leaf_key, rsa_key, -DAY, DAY, 0, NULL);
	m = make_material(leaf, leaf_key, stack_of(1, rsa_ca));
	assert_false(rule_ok(m, time(NULL), "algorithm-match", &rep));
	acmb_material_free(m);
	X509_free(rsa_ca);

	memset(url, 'a', sizeof(url));
	memcpy(url, "http://", 7);
	url[1000] = '\0';
	leaf = make_cert("o.example.com", "o.example.com", leaf_key, leaf_key, -DAY, DAY, 0, url);
	m = make_material(leaf, leaf_key, NULL);
	assert_true(rule_ok(m, time(NULL), "ocsp-url-length", &rep));
	acmb_material_free(m);
	url[1000] = 'a';
	url[1001] = '\0';
	leaf = make_cert("o.example.com", "o.example.com", leaf_key, leaf_key, -DAY, DAY, 0, url);
	m = make_material(leaf, leaf_key, NULL);
	assert_false(rule_ok(m, time(NULL), "ocsp-url-length", &rep));
	acmb_material_free(m);
}

static void
test_report_json(void **state)
{
	struct acmb_rules_report rep;
	struct hierarchy h;
	struct acmb_material *m;
	json_t *j;

	(void)state;
	make_hierarchy(&h, leaf_key);
	m = make_material(h.leaf, leaf_key, stack_of(2, h.root, h.inter));
	assert_true(rule_ok(m, time(NULL), "chain-order", &rep));
	j = acmb_check_report_json(&rep);
	assert_non_null(j);
	assert_true(json_is_true(json_object_get(j, "ok")));
	assert_true(json_is_true(json_object_get(j, "chain_order_changed")));
	assert_string_equal(
	    json_string_value(json_object_get(j, "key_algorithm")), "EC_prime256v1");
	assert_int_equal(json_array_size(json_object_get(j, "checks")), rep.nresults);
	assert_true(json_is_true(
	    json_object_get(json_object_get(json_object_get(j, "services"), "cloudfront"), "ok")));
	json_decref(j);
	acmb_material_free(m);
	free_hierarchy(&h);
}

static void
test_parse_time(void **state)
{
	acmb_err err = {0};
	time_t t;

	(void)state;
	assert_int_equal(acmb_check_parse_time("2027-01-31T00:00:00Z", &t, &err), ACMB_OK);
	assert_int_equal((long long)t, 1801353600LL);
	assert_int_equal(acmb_check_parse_time("2027-01-31", &t, &err), ACMB_OK);
	assert_int_equal((long long)t, 1801353600LL);
	assert_int_equal(acmb_check_parse_time("2027-01-31T02:00:00.250+02:00", &t, &err), ACMB_OK);
	assert_int_equal((long long)t, 1801353600LL);
	assert_int_equal(acmb_check_parse_time("2027-01-30t19:00:00-05:00", &t, &err), ACMB_OK);
	assert_int_equal((long long)t, 1801353600LL);
	assert_int_equal(acmb_check_parse_time("2028-02-29", &t, &err), ACMB_OK);
	assert_int_equal(acmb_check_parse_time("2027-02-29", &t, &err), ACMB_E_USAGE);
	assert_int_equal(acmb_check_parse_time("2027-13-01", &t, &err), ACMB_E_USAGE);
	assert_int_equal(acmb_check_parse_time("2027-01-31T00:00:00", &t, &err), ACMB_E_USAGE);
	assert_int_equal(acmb_check_parse_time("2027-01-31T25:00:00Z", &t, &err), ACMB_E_USAGE);
	assert_int_equal(acmb_check_parse_time("27-01-31", &t, &err), ACMB_E_USAGE);
	assert_int_equal(acmb_check_parse_time("2027-01-31Z junk", &t, &err), ACMB_E_USAGE);
	assert_int_equal(acmb_check_parse_time("", &t, &err), ACMB_E_USAGE);
	assert_non_null(strstr(err.msg, "--at"));
}

static int
setup(void **state)
{
	(void)state;
	ca_key = gen_key("ec:P-256");
	leaf_key = gen_key("ec:P-256");
	rsa_key = gen_key("rsa:2048");
	return 0;
}

static int
teardown(void **state)
{
	(void)state;
	EVP_PKEY_free(ca_key);
	EVP_PKEY_free(leaf_key);
	EVP_PKEY_free(rsa_key);
	return 0;
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    case_unit_test(test_key_algorithms),
	    cmocka_unit_test(test_services),
	    cmocka_unit_test(test_good_material_passes_every_rule),
	    cmocka_unit_test(test_validity_and_at),
	    cmocka_unit_test(test_v1_and_empty_issuer),
	    cmocka_unit_test(test_key_matches),
	    cmocka_unit_test(test_field_status_maps_to_rule),
	    cmocka_unit_test(test_chain_reorders_and_dedups),
	    cmocka_unit_test(test_chain_missing_intermediate),
	    cmocka_unit_test(test_chain_loop),
	    cmocka_unit_test(test_chain_500_reversed),
	    cmocka_unit_test(test_chain_too_long_is_bounded),
	    case_unit_test(test_chain_memo),
	    cmocka_unit_test(test_algorithm_match_and_ocsp),
	    cmocka_unit_test(test_report_json),
	    cmocka_unit_test(test_parse_time),
	};
	acmb_err err = {0};

	if (acmb_init(NULL, &err) != ACMB_OK) {
		fprintf(stderr, "acmb_init: %s\n", err.msg);
		return 1;
	}
	return cmocka_run_group_tests(tests, setup, teardown);
}
