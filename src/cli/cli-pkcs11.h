/*
 * Command-line options shared by every command that reads a token (check,
 * import, list): --module, --pin-file, --pin-env, --wrapping-key,
 * --export-policy, --audit-log. Add ACMB_CLI_PKCS11_LONGOPTS to the
 * command's getopt_long table and pass each option to
 * acmb_cli_pkcs11_option() before handling it yourself.
 */
#ifndef ACMB_CLI_PKCS11_H
#define ACMB_CLI_PKCS11_H

#include <getopt.h>

#include "bridge/source-pkcs11.h"

/* getopt_long values; outside the range of single-letter options. */
enum acmb_cli_pkcs11_opt {
	ACMB_OPT_P11_MODULE = 0x1100,
	ACMB_OPT_P11_PIN_FILE,
	ACMB_OPT_P11_PIN_ENV,
	ACMB_OPT_P11_WRAPPING_KEY,
	ACMB_OPT_P11_EXPORT_POLICY,
	ACMB_OPT_P11_AUDIT_LOG,
};

#define ACMB_CLI_PKCS11_LONGOPTS                                                                   \
	{"module", required_argument, NULL, ACMB_OPT_P11_MODULE},                                  \
	    {"pin-file", required_argument, NULL, ACMB_OPT_P11_PIN_FILE},                          \
	    {"pin-env", required_argument, NULL, ACMB_OPT_P11_PIN_ENV},                            \
	    {"wrapping-key", required_argument, NULL, ACMB_OPT_P11_WRAPPING_KEY},                  \
	    {"export-policy", required_argument, NULL, ACMB_OPT_P11_EXPORT_POLICY},                \
	{                                                                                          \
		"audit-log", required_argument, NULL, ACMB_OPT_P11_AUDIT_LOG                       \
	}

/* Stores one PKCS#11 option in spec (arg must outlive spec: an argv
 * string). Returns 1 when opt was one of ours, 0 when it is not, or
 * ACMB_EXIT_USAGE after printing why arg is unusable (repeated option). */
int acmb_cli_pkcs11_option(int opt, char *arg, struct acmb_pkcs11_spec *spec);

/* Call right after option parsing: parses the pkcs11: URIs so pin-value is
 * scrubbed from argv at once, and prints the warning that pin-value is
 * visible to other processes. Returns 0, or an exit code after printing
 * the error. Free with acmb_pkcs11_spec_clear(). */
int acmb_cli_pkcs11_prepare(struct acmb_pkcs11_spec *spec);

/* The options' --help text, one per line, indented two spaces. */
extern const char acmb_cli_pkcs11_help[];

#endif
