/* The sync manifest (src/bridge/manifest.c): what a good manifest gives, and
 * for each kind of mistake the FILE:LINE:COLUMN and the words an operator
 * reads. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "bridge/manifest.h"
#include "init.h"

static char dir[] = "/tmp/acmb-test-manifest-XXXXXX";

static void
touch(const char *name)
{
	char path[512];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	f = fopen(path, "w");
	assert_non_null(f);
	fputs("x\n", f);
	fclose(f);
}

static int
setup(void **state)
{
	char path[512];

	(void)state;
	if (mkdtemp(dir) == NULL)
		return -1;
	touch("web.pem");
	touch("web.key");
	touch("chain.pem");
	touch("bundle.p12");
	touch("pass.txt");
	snprintf(path, sizeof(path), "%s/secret", dir);
	mkdir(path, 0700);
	touch("secret/tls.crt");
	touch("secret/tls.key");
	return 0;
}

static int
teardown(void **state)
{
	char cmd[600];

	(void)state;
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	return system(cmd) == 0 ? 0 : -1;
}

static int
parse(const char *text, struct acmb_manifest **m, acmb_err *err)
{
	return acmb_manifest_parse(text, strlen(text), "fleet.yaml", dir, 1, m, err);
}

static const char good[] = "version: 1\n"
                           "defaults:\n"
                           "  destinations:\n"
                           "    - region: eu-west-1\n"
                           "    - {region: us-east-1, profile: prod}\n"
                           "  renew-before: 30d\n"
                           "  tags: {team: edge, env: prod}\n"
                           "certificates:\n"
                           "  - name: www\n"
                           "    files:\n"
                           "      certificate: web.pem\n"
                           "      private-key: web.key\n"
                           "      certificate-chain: chain.pem\n"
                           "    tags: {env: stage}\n"
                           "    services: [cloudfront, alb]\n"
                           "    certificate-arn:\n"
                           "      eu-west-1: arn:aws:acm:eu-west-1:111122223333:certificate/abc\n"
                           "  - name: api\n"
                           "    pkcs12: {path: bundle.p12, passphrase-file: pass.txt}\n"
                           "    renew-before: 33%\n"
                           "    destinations: [{region: ap-south-1, role-arn: "
                           "'arn:aws:iam::444455556666:role/acm', external-id: x1}]\n"
                           "  - name: k8s-ingress\n"
                           "    dir: secret\n"
                           "  - name: hsm\n"
                           "    pkcs11:\n"
                           "      certificate: 'pkcs11:token=edge;object=www;type=cert'\n"
                           "      pin-env: HSM_PIN\n"
                           "  - name: internal\n"
                           "    private-ca:\n"
                           "      certificate-authority-arn: "
                           "arn:aws:acm-pca:eu-west-1:111122223333:certificate-authority/0f\n"
                           "      dns-names: [a.internal, b.internal]\n"
                           "      validity: 90d\n"
                           "      key-store: 'pkcs11:token=vault;object=internal'\n"
                           "      pin-env: VAULT_PIN\n"
                           "      rotate-key: false\n";

static void
test_good_manifest(void **state)
{
	struct acmb_manifest *m = NULL;
	const struct acmb_manifest_entry *e;
	acmb_err err = {0};
	char want[600];

	(void)state;
	assert_int_equal(parse(good, &m, &err), ACMB_OK);
	assert_int_equal(acmb_manifest_count(m), 5);

	e = acmb_manifest_find(m, "www");
	assert_non_null(e);
	assert_int_equal(e->source, ACMB_MANIFEST_FILES);
	snprintf(want, sizeof(want), "%s/web.pem", dir);
	assert_string_equal(e->files.certificate, want);
	assert_int_equal(e->ndestinations, 2);
	assert_string_equal(e->destinations[1].profile, "prod");
	assert_int_equal(e->renew_before.seconds, 30 * 86400);
	assert_int_equal(e->ntags, 2); /* team from defaults, env overridden */
	assert_string_equal(e->tags[0].key, "team");
	assert_string_equal(e->tags[1].value, "stage");
	assert_int_equal(e->services, ACMB_MANIFEST_SERVICE(ACMB_SERVICE_CLOUDFRONT) |
	                                  ACMB_MANIFEST_SERVICE(ACMB_SERVICE_ALB));
	assert_int_equal(e->nadopt, 1);
	assert_string_equal(e->adopt[0].region, "eu-west-1");
	assert_int_equal(e->line, 9);

	e = acmb_manifest_find(m, "api");
	assert_int_equal(e->source, ACMB_MANIFEST_PKCS12);
	assert_int_equal(e->renew_before.percent, 33);
	assert_int_equal(e->ndestinations, 1);
	assert_string_equal(e->destinations[0].external_id, "x1");

	assert_int_equal(acmb_manifest_find(m, "k8s-ingress")->source, ACMB_MANIFEST_DIR);
	assert_string_equal(acmb_manifest_find(m, "hsm")->pkcs11.pin_env, "HSM_PIN");
	e = acmb_manifest_find(m, "internal");
	assert_int_equal(e->source, ACMB_MANIFEST_PRIVATE_CA);
	assert_int_equal(e->private_ca.ndns, 2);
	assert_int_equal(e->private_ca.rotate_key, 0);
	assert_string_equal(e->private_ca.key_store, "pkcs11:token=vault;object=internal");
	assert_string_equal(e->private_ca.pin_env, "VAULT_PIN");
	assert_null(e->private_ca.module);
	assert_null(acmb_manifest_find(m, "nope"));
	acmb_manifest_free(m);
}

/* JSON is YAML too: the same manifest written as JSON. */
static void
test_json_manifest(void **state)
{
	static const char json[] =
	    "{\"version\": 1,\n"
	    " \"certificates\": [\n"
	    "  {\"name\": \"www\", \"files\": {\"certificate\": \"web.pem\", \"private-key\": "
	    "\"web.key\"},\n"
	    "   \"destinations\": [{\"region\": \"eu-west-1\"}]}]}\n";
	struct acmb_manifest *m = NULL;
	acmb_err err = {0};

	(void)state;
	assert_int_equal(parse(json, &m, &err), ACMB_OK);
	assert_int_equal(acmb_manifest_count(m), 1);
	/* Default renew-before: a third of the lifetime. */
	assert_int_equal(acmb_manifest_entry(m, 0)->renew_before.percent, 33);
	acmb_manifest_free(m);
}

static const struct bad_case {
	const char *what;
	const char *text;
	const char *message; /* a substring of err.msg, with the position */
} bad_cases[] = {
    {"unknown key", "version: 1\ncertificates:\n  - name: a\n    file: {}\n",
        "fleet.yaml:4:5: certificates[0]: unknown key 'file'"},
    {"duplicate name",
        "version: 1\ndefaults: {destinations: [{region: eu-west-1}]}\ncertificates:\n"
        "  - {name: a, dir: secret}\n  - {name: b, dir: secret}\n  - {name: a, dir: secret}\n",
        "fleet.yaml:6:5: certificate a: the name is used twice (first at line 4)"},
    {"two sources",
        "version: 1\ncertificates:\n  - name: a\n    dir: secret\n"
        "    pkcs12: {path: bundle.p12}\n",
        "fleet.yaml:5:13: certificate a: two sources (dir and pkcs12)"},
    {"no source", "version: 1\ncertificates:\n  - name: a\n",
        "fleet.yaml:3:5: certificate a: no source"},
    {"bad duration",
        "version: 1\ncertificates:\n  - name: a\n    dir: secret\n    renew-before: 30 days\n",
        "fleet.yaml:5:19: certificate a: renew-before '30 days' is not a duration"},
    {"share over 99", "version: 1\ndefaults: {renew-before: 120%}\ncertificates: []\n",
        "fleet.yaml:2:26: defaults: renew-before '120%'"},
    {"missing file",
        "version: 1\ndefaults: {destinations: [{region: eu-west-1}]}\ncertificates:\n"
        "  - name: a\n    files: {certificate: nothere.pem, private-key: web.key}\n",
        "fleet.yaml:5:26: certificate a: certificate '"},
    {"dir without tls.key",
        "version: 1\ndefaults: {destinations: [{region: eu-west-1}]}\ncertificates:\n"
        "  - {name: a, dir: .}\n",
        "has no readable tls.crt"},
    {"version", "version: 2\ncertificates: []\n", "fleet.yaml:1:10: manifest: version 2"},
    {"no version", "certificates: []\n", "manifest: version is missing"},
    {"not YAML", "version: 1\ncertificates: [\n", "not valid YAML or JSON"},
    {"alias", "version: 1\ndefaults: &d {renew-before: 30d}\ncertificates: *d\n",
        "fleet.yaml:3:15: YAML aliases"},
    {"aws: tag, any case", "version: 1\ndefaults: {tags: {AWS:x: y}}\ncertificates: []\n",
        "fleet.yaml:2:19: defaults: tag key 'AWS:x': the aws: prefix is reserved"},
    {"acmbridge: tag", "version: 1\ndefaults: {tags: {acmbridge:name: y}}\ncertificates: []\n",
        "the acmbridge: prefix is acmbridge's own"},
    {"bad region", "version: 1\ndefaults: {destinations: [{region: Europe}]}\ncertificates: []\n",
        "fleet.yaml:2:36: defaults: 'Europe' is not an AWS region name"},
    {"no destinations", "version: 1\ncertificates:\n  - {name: a, dir: secret}\n",
        "certificate a: no destinations"},
    {"unknown service", "version: 1\ndefaults: {services: [elb]}\ncertificates: []\n",
        "unknown service 'elb'"},
    {"pin in URI",
        "version: 1\ncertificates:\n  - name: a\n    pkcs11: {certificate: "
        "'pkcs11:object=a?pin-value=1234'}\n",
        "pin-value: a PIN does not belong in a manifest"},
    {"pin-file and pin-env",
        "version: 1\ncertificates:\n  - name: a\n    pkcs11: {certificate: 'pkcs11:object=a', "
        "pin-file: pass.txt, pin-env: P}\n",
        "pin-file or pin-env, not both"},
    {"bad name", "version: 1\ncertificates:\n  - {name: 'a b', dir: secret}\n",
        "name 'a b': 1 to 128 letters"},
    {"external-id without role",
        "version: 1\ndefaults: {destinations: [{region: eu-west-1, external-id: x}]}\n"
        "certificates: []\n",
        "external-id goes with role-arn"},
    {"adopt outside destinations",
        "version: 1\ndefaults: {destinations: [{region: eu-west-1}]}\ncertificates:\n"
        "  - name: a\n    dir: secret\n    certificate-arn: {us-east-1: "
        "'arn:aws:acm:us-east-1:1:certificate/x'}\n",
        "certificate-arn for us-east-1, which is not a destination"},
    {"private-ca validity",
        "version: 1\ncertificates:\n  - name: a\n    private-ca: {certificate-authority-arn: "
        "'arn:aws:acm-pca:eu-west-1:1:certificate-authority/x', subject: CN=a, validity: "
        "soon}\n",
        "fleet.yaml:4:125: certificate a: validity 'soon' is not one of"},
    {"private-ca key algorithm",
        "version: 1\ncertificates:\n  - name: a\n    private-ca: {certificate-authority-arn: "
        "'arn:aws:acm-pca:eu-west-1:1:certificate-authority/x', subject: CN=a, key-algorithm: "
        "DSA}\n",
        "key-algorithm 'DSA' is not one of"},
    {"rotate-key not boolean",
        "version: 1\ncertificates:\n  - name: a\n    private-ca: {certificate-authority-arn: "
        "'arn:aws:acm-pca:eu-west-1:1:certificate-authority/x', subject: CN=a, rotate-key: "
        "yes}\n",
        "rotate-key must be true or false"},
    {"rotate-key false in memory",
        "version: 1\ncertificates:\n  - name: a\n    private-ca:\n      certificate-authority-arn: "
        "'arn:aws:acm-pca:eu-west-1:1:certificate-authority/x'\n      subject: CN=a\n"
        "      rotate-key: false\n",
        "fleet.yaml:7:19: certificate a: rotate-key: false needs key-store: pkcs11:... (a key "
        "made in memory is wiped after its import"},
    {"rotate-key false, key-store memory",
        "version: 1\ncertificates:\n  - name: a\n    private-ca: {certificate-authority-arn: "
        "'arn:aws:acm-pca:eu-west-1:1:certificate-authority/x', subject: CN=a, key-store: "
        "memory, rotate-key: false}\n",
        "rotate-key: false needs key-store: pkcs11:"},
    {"module without a token key store",
        "version: 1\ncertificates:\n  - name: a\n    private-ca: {certificate-authority-arn: "
        "'arn:aws:acm-pca:eu-west-1:1:certificate-authority/x', subject: CN=a, pin-env: P}\n",
        "module, pin-file and pin-env go with key-store: pkcs11:"},
    {"key store without a label",
        "version: 1\ncertificates:\n  - name: a\n    private-ca: {certificate-authority-arn: "
        "'arn:aws:acm-pca:eu-west-1:1:certificate-authority/x', subject: CN=a, key-store: "
        "'pkcs11:token=t;id=%01'}\n",
        "key-store must name the key's label with object=LABEL"},
    {"key store id with rotation",
        "version: 1\ncertificates:\n  - name: a\n    private-ca: {certificate-authority-arn: "
        "'arn:aws:acm-pca:eu-west-1:1:certificate-authority/x', subject: CN=a, key-store: "
        "'pkcs11:token=t;object=a;id=%01'}\n",
        "key-store names id=, but rotate-key: true makes each new key with a new id"},
    {"key store URI p11-kit does not understand",
        "version: 1\ncertificates:\n  - name: a\n    private-ca: {certificate-authority-arn: "
        "'arn:aws:acm-pca:eu-west-1:1:certificate-authority/x', subject: CN=a, key-store: "
        "'pkcs11:token=t;object=a;bogus=1'}\n",
        "certificate a: key-store: pkcs11: URI 'pkcs11:token=t;object=a;bogus=1' has attributes "
        "that are not understood"},
    {"key store pin twice",
        "version: 1\ncertificates:\n  - name: a\n    private-ca: {certificate-authority-arn: "
        "'arn:aws:acm-pca:eu-west-1:1:certificate-authority/x', subject: CN=a, key-store: "
        "'pkcs11:token=t;object=a', pin-env: P, pin-file: pass.txt}\n",
        "pin-file or pin-env, not both"},
    {"duplicate key", "version: 1\nversion: 1\ncertificates: []\n",
        "fleet.yaml:2:1: manifest: 'version' given twice (first at line 1)"},
    {"list for a value", "version: [1]\ncertificates: []\n",
        "fleet.yaml:1:10: version must be a value, not a list"},
    {"too deep", "version: 1\ncertificates: [[[[[[[[[[[[[[[[[[[[]]]]]]]]]]]]]]]]]]]]\n",
        "nested more than 16 levels deep"},
    {"empty", "", "empty manifest"},
};

static void
test_every_mistake(void **state)
{
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(bad_cases) / sizeof(bad_cases[0]); i++) {
		struct acmb_manifest *m = NULL;
		acmb_err err = {0};
		int rc = parse(bad_cases[i].text, &m, &err);

		if (rc != ACMB_E_USAGE || m != NULL ||
		    strstr(err.msg, bad_cases[i].message) == NULL)
			fail_msg("case %zu (%s): rc %d, message \"%s\"; wanted \"%s\"", i,
			    bad_cases[i].what, rc, err.msg, bad_cases[i].message);
	}
}

/* A role ARN of IAM's 2048 characters is kept whole; one more is refused by
 * name (a sync plan carries it: nothing may be cut). */
static void
test_role_arn_length(void **state)
{
	static const char head[] = "version: 1\ndefaults: {destinations: [{region: eu-west-1, "
	                           "role-arn: 'arn:aws:iam::123456789012:role/";
	static const char tail[] = "'}]}\ncertificates: []\n";
	size_t path = 2048 - strlen("arn:aws:iam::123456789012:role/");
	char text[sizeof(head) + 2049 + sizeof(tail)];
	struct acmb_manifest *m = NULL;
	acmb_err err = {0};

	(void)state;
	snprintf(text, sizeof(text), "%s%0*d%s", head, (int)path, 0, tail);
	assert_int_equal(parse(text, &m, &err), ACMB_OK);
	acmb_manifest_free(m);
	m = NULL;
	snprintf(text, sizeof(text), "%s%0*d%s", head, (int)path + 1, 0, tail);
	assert_int_equal(parse(text, &m, &err), ACMB_E_USAGE);
	assert_null(m);
	assert_non_null(strstr(err.msg, "role-arn is longer than 2048 characters"));
}

static void
test_load_from_file(void **state)
{
	char path[512];
	struct acmb_manifest *m = NULL;
	acmb_err err = {0};
	FILE *f;

	(void)state;
	snprintf(path, sizeof(path), "%s/acmbridge.yaml", dir);
	f = fopen(path, "w");
	assert_non_null(f);
	fputs(good, f);
	fclose(f);
	assert_int_equal(acmb_manifest_load(path, &m, &err), ACMB_OK);
	assert_int_equal(acmb_manifest_count(m), 5);
	acmb_manifest_free(m);

	assert_int_equal(acmb_manifest_load("/nonexistent/x.yaml", &m, &err), ACMB_E_USAGE);
	assert_non_null(strstr(err.msg, "manifest /nonexistent/x.yaml: No such file"));
	assert_int_equal(acmb_manifest_load(dir, &m, &err), ACMB_E_USAGE);
	assert_non_null(strstr(err.msg, "not a regular file"));
	/* Oversized: refused by its size, unread. */
	f = fopen(path, "w");
	assert_non_null(f);
	assert_int_equal(ftruncate(fileno(f), ACMB_MANIFEST_MAX + 1), 0);
	fclose(f);
	assert_int_equal(acmb_manifest_load(path, &m, &err), ACMB_E_USAGE);
	assert_non_null(strstr(err.msg, "a manifest is at most"));
	assert_null(m);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_good_manifest),
	    cmocka_unit_test(test_json_manifest),
	    cmocka_unit_test(test_every_mistake),
	    cmocka_unit_test(test_role_arn_length),
	    cmocka_unit_test(test_load_from_file),
	};
	acmb_err err = {0};

	if (acmb_init(NULL, &err) != ACMB_OK)
		return 1;
	return cmocka_run_group_tests(tests, setup, teardown);
}
