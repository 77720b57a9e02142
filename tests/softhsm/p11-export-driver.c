/*
 * Test driver for the PKCS#11 source until `acmbridge import` is wired to
 * it: loads a material through acmb_pkcs11_load() with the options the CLI
 * will pass, and reports what a test needs to assert on:
 *   key=<alg> matches-cert=yes|no chain=<n> secret-keys-after=<n>
 * then exits with acmbridge's exit code for the outcome. Key bytes are never
 * printed or written.
 */
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/x509.h>

#include "audit.h"
#include "init.h"
#include "pkcs11/p11-export.h"
#include "source-pkcs11.h"

static void
describe_key(EVP_PKEY *k, char *buf, size_t len)
{
	char group[48];

	if (EVP_PKEY_is_a(k, "RSA"))
		snprintf(buf, len, "RSA-%d", EVP_PKEY_get_bits(k));
	else if (EVP_PKEY_get_utf8_string_param(k, OSSL_PKEY_PARAM_GROUP_NAME, group,
	    sizeof(group), NULL) == 1)
		snprintf(buf, len, "EC-%s", group);
	else
		snprintf(buf, len, "other");
}

int
main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "certificate", required_argument, NULL, 'c' },
		{ "private-key", required_argument, NULL, 'k' },
		{ "certificate-chain", required_argument, NULL, 'C' },
		{ "module", required_argument, NULL, 'm' },
		{ "pin-file", required_argument, NULL, 'p' },
		{ "pin-env", required_argument, NULL, 'e' },
		{ "wrapping-key", required_argument, NULL, 'w' },
		{ "export-policy", required_argument, NULL, 'P' },
		{ "audit-log", required_argument, NULL, 'a' },
		{ "region", required_argument, NULL, 'r' },
		{ "account", required_argument, NULL, 'A' },
		{ "arn", required_argument, NULL, 'N' },
		{ NULL, 0, NULL, 0 },
	};
	struct acmb_pkcs11_spec spec;
	struct acmb_material *m = NULL;
	struct acmb_audit *audit = NULL;
	acmb_err err = { 0, "" };
	const char *arn = NULL;
	X509 *leaf;
	char alg[64] = "none";
	int opt, rc, matches = 0;

	if (acmb_init(NULL, &err) != ACMB_OK) {
		fprintf(stderr, "%s\n", err.msg);
		return 1;
	}
	memset(&spec, 0, sizeof(spec));
	spec.pin.no_prompt = 1;
	while ((opt = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (opt) {
		case 'c': spec.certificate = optarg; break;
		case 'k': spec.private_key = optarg; break;
		case 'C': spec.certificate_chain = optarg; break;
		case 'm': spec.module = optarg; break;
		case 'p': spec.pin.pin_file = optarg; break;
		case 'e': spec.pin.pin_env = optarg; break;
		case 'w': spec.wrapping_key = optarg; break;
		case 'P': spec.export_policy = optarg; break;
		case 'a': spec.audit_log = optarg; break;
		case 'r': spec.region = optarg; break;
		case 'A': spec.account = optarg; break;
		case 'N': arn = optarg; break;
		default: return 2;
		}
	}
	if ((rc = acmb_pkcs11_spec_prepare(&spec, &err)) != ACMB_OK)
		goto out;
	if (spec.pin_value_seen)
		fprintf(stderr, "warning: pin-value seen\n");
	if ((rc = acmb_audit_open(spec.audit_log, &audit, &err)) != ACMB_OK)
		goto out;
	if ((rc = acmb_pkcs11_load(&spec, &m, audit, &err)) != ACMB_OK)
		goto out;
	leaf = acmb_material_leaf(m);
	if (m->key != NULL) {
		describe_key(m->key, alg, sizeof(alg));
		matches = leaf != NULL && EVP_PKEY_eq(m->key, X509_get0_pubkey(leaf)) == 1;
	}
	printf("key=%s matches-cert=%s chain=%d\n", alg,
	    leaf == NULL ? "n/a" : matches ? "yes" : "no",
	    m->chain != NULL ? sk_X509_num(m->chain) : 0);
	acmb_audit_finish(audit, arn, NULL, NULL);
	rc = m->key == NULL || leaf == NULL || matches ? ACMB_OK : ACMB_E_RULE;
	if (rc != ACMB_OK)
		acmb_error(&err, rc, "the exported key does not match the certificate");
out:
#ifdef ACMB_TEST_HOOKS
	printf("secret-keys-after=%ld\n", acmb_p11_test_secret_keys_after_export);
#endif
	if (rc != ACMB_OK)
		fprintf(stderr, "acmbridge: %s\n", err.msg);
	acmb_material_free(m);
	acmb_audit_close(audit);
	acmb_pkcs11_spec_clear(&spec);
	acmb_shutdown();
	return acmb_exit_code(rc);
}
