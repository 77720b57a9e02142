/*
 * Test driver for the PKCS#11 source until `acmbridge import` is wired to
 * it: loads a material through acmb_pkcs11_load() with the options the CLI
 * will pass, and reports what a test needs to assert on:
 *   key=<alg> matches-cert=yes|no chain=<n> secret-keys-after=<n>
 * then exits with acmbridge's exit code for the outcome. With --import
 * --endpoint-url URL the material is judged by the ACM rules and imported
 * through the library's import flow (into the local ACM endpoint in tests),
 * and the ARN goes to the audit outcome and stdout (arn=). Key bytes are
 * never printed, and written only with --write-key PATH: the custody tests
 * use it to learn, after a run, a key that was generated inside a token
 * (a new file, mode 0600, in the test's own temporary directory).
 */
#include <fcntl.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include "acm/aws-config.h"
#include "acm/rules.h"
#include "audit.h"
#include "import.h"
#include "init.h"
#include "pkcs11/p11-export.h"
#include "source-pkcs11.h"

/* Writes the key (PKCS#8 PEM) and the certificate to new files: test use
 * only, see the top of this file. */
static int
write_key_and_cert(EVP_PKEY *key, X509 *leaf, const char *key_path, const char *cert_path)
{
	FILE *f;
	int fd, ok;

	if ((fd = open(key_path, O_WRONLY | O_CREAT | O_EXCL, 0600)) < 0 ||
	    (f = fdopen(fd, "w")) == NULL)
		return 0;
	ok = PEM_write_PrivateKey(f, key, NULL, NULL, 0, NULL, NULL) == 1;
	ok = fclose(f) == 0 && ok;
	if (!ok || cert_path == NULL || leaf == NULL)
		return ok;
	if ((f = fopen(cert_path, "w")) == NULL)
		return 0;
	ok = PEM_write_X509(f, leaf) == 1;
	return fclose(f) == 0 && ok;
}

static void
describe_key(EVP_PKEY *k, char *buf, size_t len)
{
	char group[48];

	if (EVP_PKEY_is_a(k, "RSA"))
		snprintf(buf, len, "RSA-%d", EVP_PKEY_get_bits(k));
	else if (EVP_PKEY_get_utf8_string_param(
	             k, OSSL_PKEY_PARAM_GROUP_NAME, group, sizeof(group), NULL) == 1)
		snprintf(buf, len, "EC-%s", group);
	else
		snprintf(buf, len, "other");
}

int
main(int argc, char **argv)
{
	static const struct option opts[] = {
	    {"certificate", required_argument, NULL, 'c'},
	    {"private-key", required_argument, NULL, 'k'},
	    {"certificate-chain", required_argument, NULL, 'C'},
	    {"module", required_argument, NULL, 'm'},
	    {"pin-file", required_argument, NULL, 'p'},
	    {"pin-env", required_argument, NULL, 'e'},
	    {"wrapping-key", required_argument, NULL, 'w'},
	    {"export-policy", required_argument, NULL, 'P'},
	    {"audit-log", required_argument, NULL, 'a'},
	    {"region", required_argument, NULL, 'r'},
	    {"account", required_argument, NULL, 'A'},
	    {"arn", required_argument, NULL, 'N'},
	    {"import", no_argument, NULL, 'I'},
	    {"certificate-file", required_argument, NULL, 'F'},
	    {"endpoint-url", required_argument, NULL, 'U'},
	    {"write-key", required_argument, NULL, 'W'},
	    {"write-cert", required_argument, NULL, 'X'},
	    {NULL, 0, NULL, 0},
	};
	struct acmb_pkcs11_spec spec;
	struct acmb_material *m = NULL;
	struct acmb_audit *audit = NULL;
	acmb_err err = {0, ""};
	const char *arn = NULL, *endpoint = NULL, *write_key = NULL, *write_cert = NULL;
	struct acmb_rules_report *rep = NULL;
	struct acmb_aws_options aws;
	struct acmb_aws_config *cfg = NULL;
	struct acmb_import_opts io;
	struct acmb_import_result res;
	int do_import = 0;
	FILE *hintf = NULL;
	X509 *leaf;
	char alg[64] = "none";
	int opt, rc, matches = 0;

	if (acmb_init(NULL, &err) != ACMB_OK) {
		fprintf(stderr, "%s\n", err.msg);
		return 1;
	}
	memset(&spec, 0, sizeof(spec));
	memset(&io, 0, sizeof(io));
	memset(&res, 0, sizeof(res));
	spec.token.pin.no_prompt = 1;
	while ((opt = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (opt) {
		case 'c':
			spec.certificate = optarg;
			break;
		case 'k':
			spec.private_key = optarg;
			break;
		case 'C':
			spec.certificate_chain = optarg;
			break;
		case 'm':
			spec.token.module = optarg;
			break;
		case 'p':
			spec.token.pin.pin_file = optarg;
			break;
		case 'e':
			spec.token.pin.pin_env = optarg;
			break;
		case 'w':
			spec.token.wrapping_key = optarg;
			break;
		case 'P':
			spec.token.export_policy = optarg;
			break;
		case 'a':
			spec.token.audit_log = optarg;
			break;
		case 'r':
			spec.region = optarg;
			break;
		case 'A':
			spec.account = optarg;
			break;
		case 'N':
			arn = optarg;
			break;
		case 'F':
			if ((hintf = fopen(optarg, "r")) == NULL)
				return 2;
			spec.certificate_hint = PEM_read_X509(hintf, NULL, NULL, NULL);
			fclose(hintf);
			if (spec.certificate_hint == NULL)
				return 2;
			break;
		case 'I':
			do_import = 1;
			break;
		case 'U':
			endpoint = optarg;
			break;
		case 'W':
			write_key = optarg;
			break;
		case 'X':
			write_cert = optarg;
			break;
		default:
			return 2;
		}
	}
	if ((rc = acmb_pkcs11_spec_prepare(&spec, &err)) != ACMB_OK)
		goto out;
	if (spec.pin_value_seen)
		fprintf(stderr, "warning: pin-value seen\n");
	if ((rc = acmb_audit_open(spec.token.audit_log, &audit, &err)) != ACMB_OK)
		goto out;
	if ((rc = acmb_pkcs11_load(&spec, &m, audit, &err)) != ACMB_OK)
		goto out;
	leaf = acmb_material_leaf(m) != NULL ? acmb_material_leaf(m) : spec.certificate_hint;
	if (m->key != NULL) {
		describe_key(m->key, alg, sizeof(alg));
		matches = leaf != NULL && EVP_PKEY_eq(m->key, X509_get0_pubkey(leaf)) == 1;
	}
	printf("key=%s matches-cert=%s chain=%d\n", alg,
	    leaf == NULL ? "n/a"
	    : matches    ? "yes"
	                 : "no",
	    m->chain != NULL ? sk_X509_num(m->chain) : 0);
	rc = m->key == NULL || leaf == NULL || matches ? ACMB_OK : ACMB_E_RULE;
	if (rc == ACMB_OK && write_key != NULL &&
	    (m->key == NULL || !write_key_and_cert(m->key, leaf, write_key, write_cert))) {
		rc = acmb_error(&err, ACMB_E_IO, "cannot write the key to %s", write_key);
		goto out;
	}
	if (rc != ACMB_OK) {
		acmb_error(&err, rc, "the exported key does not match the certificate");
		acmb_audit_finish(audit, NULL, &err, NULL);
		goto out;
	}
	if (do_import) {
		if ((rep = calloc(1, sizeof(*rep))) == NULL ||
		    (rc = acmb_rules_judge(m, time(NULL), rep, &err)) != ACMB_OK) {
			rc = rep == NULL ? acmb_error(&err, ACMB_E_NOMEM, "out of memory") : rc;
			acmb_audit_finish(audit, NULL, &err, NULL);
			goto out;
		}
		if (!rep->ok) {
			size_t i;

			for (i = 0; i < rep->nresults; i++)
				if (!rep->results[i].ok)
					fprintf(stderr, "rule %s: %s\n", rep->results[i].rule,
					    rep->results[i].detail);
			rc = acmb_error(&err, ACMB_E_RULE, "the material breaks an ACM rule");
			acmb_audit_finish(audit, NULL, &err, NULL);
			goto out;
		}
		acmb_aws_options_init(&aws);
		aws.endpoint_url = endpoint;
		if ((rc = acmb_aws_config_resolve(&aws, &acmb_aws_service_acm, &cfg, &err)) !=
		        ACMB_OK ||
		    (rc = acmb_import(cfg, m, &io, &res, &err)) != ACMB_OK) {
			acmb_audit_finish(audit, NULL, &err, NULL);
			goto out;
		}
		arn = res.arn;
		printf("arn=%s\n", arn);
	}
	acmb_audit_finish(audit, arn, NULL, NULL);
out:
#ifdef ACMB_TEST_HOOKS
	printf("secret-keys-after=%ld\n", acmb_p11_test_secret_keys_after_export);
#endif
	if (rc != ACMB_OK)
		fprintf(stderr, "acmbridge: %s\n", err.msg);
	acmb_import_result_clear(&res);
	acmb_aws_config_free(cfg);
	free(rep);
	acmb_material_free(m);
	X509_free(spec.certificate_hint);
	acmb_audit_close(audit);
	acmb_pkcs11_spec_clear(&spec);
	acmb_shutdown();
	return acmb_exit_code(rc);
}
