/*
 * The source options every command that reads material shares: the file
 * options (cli-input.h) and the token options (cli-pkcs11.h), with each of
 * --certificate, --private-key and --certificate-chain going to the PKCS#11
 * source when it is a pkcs11: URI and to the files source otherwise.
 */
#ifndef ACMB_CLI_SOURCE_H
#define ACMB_CLI_SOURCE_H

#include "bridge/source.h"

/* Help lines for the token options (the file options: acmb_cli_input_help). */
extern const char acmb_cli_source_p11_help[];

/* Returns 1 when opt is a source option that takes a value. */
int acmb_cli_source_takes_value(const char *opt);

/* Records opt's value val (an argv string, kept by reference) in s.
 * Returns 1 when opt was a source option, 0 when not, -1 after printing
 * why val is unusable. */
int acmb_cli_source_option(const char *opt, char *val, struct acmb_source_spec *s);

/* Call right after parsing: scrubs pin-value from argv when there are
 * pkcs11: URIs. Returns 0, or an exit code after printing the error. */
int acmb_cli_source_prepare(struct acmb_source_spec *s);

#endif
