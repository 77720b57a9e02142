/*
 * custody-import: a stand-in for `acmbridge import` that the custody tests
 * run until the real command exists, so that the AWS path (the files
 * source, the key PEM, the JSON body, SigV4 over libcurl, ImportCertificate)
 * is scanned now. It is built only from library calls, in the order an
 * import makes them, and measures how long the wipe takes after
 * ImportCertificate returns (printed on stderr as "custody: wipe took N us").
 *
 * usage: custody-import --certificate SRC --private-key SRC
 *            [--certificate-chain SRC] [--pkcs12 PATH]
 *            [--passphrase-file PATH] [--passphrase-env VAR]
 *            [--endpoint-url URL] [--ca-bundle PATH] [--region R]
 *            [--certificate-arn ARN] [--debug]
 * Exit codes are acmbridge's; SIGINT/SIGTERM give 128 + the signal.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "acm/acm-api.h"
#include "acm/aws-config.h"
#include "bridge/source-files.h"
#include "init.h"
#include "material.h"
#include "secmem.h"

static void
debug_line(void *ctx, const char *line)
{
	(void)ctx;
	fprintf(stderr, "debug: %s\n", line);
}

static long
micros_since(const struct timespec *t0)
{
	struct timespec t1;

	clock_gettime(CLOCK_MONOTONIC, &t1);
	return (t1.tv_sec - t0->tv_sec) * 1000000L + (t1.tv_nsec - t0->tv_nsec) / 1000L;
}

static int
exit_code(int rc)
{
	int sig = acmb_interrupted();

	return sig != 0 ? 128 + sig : acmb_exit_code(rc);
}

int
main(int argc, char **argv)
{
	struct acmb_files_spec spec;
	struct acmb_aws_options opts;
	struct acmb_aws_config *cfg = NULL;
	struct acmb_material *m = NULL;
	struct acmb_aws_call_info info;
	struct timespec returned;
	acmb_secbuf *key_pem = NULL;
	char *cert_pem = NULL, *chain_pem = NULL, *arn = NULL;
	const char *reimport_arn = NULL;
	acmb_err err = {0};
	size_t len;
	int i, r = ACMB_E_INTERNAL, debug = 0, imported = 0;

	if (acmb_init(NULL, &err) != ACMB_OK) {
		fprintf(stderr, "custody-import: %s\n", err.msg);
		return 1;
	}
	memset(&spec, 0, sizeof(spec));
	memset(&info, 0, sizeof(info));
	acmb_aws_options_init(&opts);
	for (i = 1; i < argc; i++) {
		const char *o = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;

		if (strcmp(o, "--debug") == 0) {
			debug = opts.debug = 1;
			continue;
		}
		if (v == NULL) {
			fprintf(stderr, "custody-import: %s needs a value\n", o);
			r = ACMB_E_USAGE;
			goto out;
		}
		i++;
		if (strcmp(o, "--certificate") == 0)
			spec.certificate = v;
		else if (strcmp(o, "--private-key") == 0)
			spec.private_key = v;
		else if (strcmp(o, "--certificate-chain") == 0)
			spec.certificate_chain = v;
		else if (strcmp(o, "--pkcs12") == 0)
			spec.pkcs12 = v;
		else if (strcmp(o, "--passphrase-file") == 0)
			spec.passphrase_file = v;
		else if (strcmp(o, "--passphrase-env") == 0)
			spec.passphrase_env = v;
		else if (strcmp(o, "--endpoint-url") == 0)
			opts.endpoint_url = v;
		else if (strcmp(o, "--ca-bundle") == 0)
			opts.ca_bundle = v;
		else if (strcmp(o, "--region") == 0)
			opts.region = v;
		else if (strcmp(o, "--certificate-arn") == 0)
			reimport_arn = v;
		else {
			fprintf(stderr, "custody-import: unknown option %s\n", o);
			r = ACMB_E_USAGE;
			goto out;
		}
	}
	if ((r = acmb_aws_config_resolve(&opts, &acmb_aws_service_acm, &cfg, &err)) != ACMB_OK)
		goto fail;
	if (debug)
		acmb_aws_config_set_debug(cfg, debug_line, NULL);
	if ((r = acmb_files_load(&spec, &m, &err)) != ACMB_OK)
		goto fail;
	if ((r = acmb_material_cert_pem(m, &cert_pem, &len, &err)) != ACMB_OK ||
	    (r = acmb_material_chain_pem(m, &chain_pem, &len, &err)) != ACMB_OK ||
	    (r = acmb_material_key_pem(m, &key_pem, &err)) != ACMB_OK)
		goto fail;
	r = acmb_acm_import_certificate(
	    cfg, cert_pem, chain_pem, key_pem, reimport_arn, NULL, 0, &arn, &info, &err);
	clock_gettime(CLOCK_MONOTONIC, &returned);
	imported = 1;
	/* The wipe an import owes right after the call: key PEM, key, config
	 * (credentials), and the residue in registers and dead stack. */
	acmb_secbuf_free(key_pem);
	key_pem = NULL;
	acmb_material_free(m);
	m = NULL;
	acmb_aws_config_free(cfg);
	cfg = NULL;
	acmb_wipe_residue();
	fprintf(stderr, "custody: wipe took %ld us after ImportCertificate returned\n",
	    micros_since(&returned));
	if (r != ACMB_OK)
		goto fail;
	printf("%s\n", arn);
	fflush(stdout);
	goto out;
fail:
	fprintf(stderr, "custody-import: %s%s\n", err.msg,
	    imported && info.response_lost ? " (the import may have happened)" : "");
out:
	free(arn);
	free(cert_pem);
	free(chain_pem);
	acmb_secbuf_free(key_pem);
	acmb_material_free(m);
	acmb_aws_config_free(cfg);
	acmb_shutdown();
	return exit_code(r);
}
