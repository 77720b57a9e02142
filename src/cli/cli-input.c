/*
 * Shared input options of check and import.
 */
#include <stdio.h>
#include <string.h>

#include "cli-input.h"
#include "cli.h"

const char acmb_cli_input_help[] =
    "  --certificate SRC          the certificate (PEM or DER): PATH, fileb://PATH,\n"
    "                             file://PATH, or - for standard input\n"
    "  --private-key SRC          the private key (PKCS#1, PKCS#8 or SEC1; PEM or DER)\n"
    "  --certificate-chain SRC    the chain certificates (PEM)\n"
    "  --pkcs12 PATH              certificate, key and chain from one PKCS#12 bundle\n"
    "  --passphrase-file PATH     passphrase for an encrypted key or bundle\n"
    "                             (one trailing newline is ignored)\n"
    "  --passphrase-env VAR       passphrase from environment variable VAR (wiped and\n"
    "                             unset after reading); never on the command line\n";

static const char *const input_options[] = {
    "--certificate",
    "--private-key",
    "--certificate-chain",
    "--pkcs12",
    "--passphrase-file",
    "--passphrase-env",
};

int
acmb_cli_input_is_option(const char *opt)
{
	size_t i;

	for (i = 0; i < sizeof(input_options) / sizeof(input_options[0]); i++)
		if (strcmp(opt, input_options[i]) == 0)
			return 1;
	return 0;
}

int
acmb_cli_input_option(const char *opt, const char *arg, struct acmb_files_spec *spec)
{
	const char **slot = NULL;

	if (strcmp(opt, "--certificate") == 0)
		slot = &spec->certificate;
	else if (strcmp(opt, "--private-key") == 0)
		slot = &spec->private_key;
	else if (strcmp(opt, "--certificate-chain") == 0)
		slot = &spec->certificate_chain;
	else if (strcmp(opt, "--pkcs12") == 0)
		slot = &spec->pkcs12;
	else if (strcmp(opt, "--passphrase-file") == 0)
		slot = &spec->passphrase_file;
	else if (strcmp(opt, "--passphrase-env") == 0)
		slot = &spec->passphrase_env;
	if (slot == NULL)
		return 0;
	if (arg == NULL || arg[0] == '\0') {
		acmb_cli_usage_error("%s needs a value", opt);
		return -1;
	}
	if (*slot != NULL) {
		acmb_cli_usage_error("%s given twice", opt);
		return -1;
	}
	*slot = arg;
	return 1;
}

int
acmb_cli_split_option(int argc, char **argv, int *i, int (*takes_value)(const char *), char *optbuf,
    size_t optlen, const char **val)
{
	const char *a = argv[*i], *eq = strchr(a, '=');
	size_t n;

	*val = NULL;
	n = eq != NULL && strncmp(a, "--", 2) == 0 ? (size_t)(eq - a) : strlen(a);
	if (n >= optlen)
		n = optlen - 1;
	memcpy(optbuf, a, n);
	optbuf[n] = '\0';
	if (!takes_value(optbuf)) {
		if (eq != NULL && strncmp(a, "--", 2) == 0) {
			acmb_cli_usage_error("%s takes no value", optbuf);
			return -1;
		}
		return 0;
	}
	if (eq != NULL && strncmp(a, "--", 2) == 0) {
		*val = eq + 1;
		return 0;
	}
	if (*i + 1 >= argc) {
		acmb_cli_usage_error("%s needs a value", optbuf);
		return -1;
	}
	*val = argv[++*i];
	return 0;
}
