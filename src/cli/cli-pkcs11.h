/*
 * What every command that reads a token does with the token options of
 * cli-options.c's token group: their --help lines, and the pin-value
 * scrubbing and warning right after parsing.
 */
#ifndef ACMB_CLI_PKCS11_H
#define ACMB_CLI_PKCS11_H

#include <stdio.h>

#include "bridge/source-pkcs11.h"

/* Prints the token group's lines for command cmd (an ACMB_CLI_* bit). */
void acmb_cli_pkcs11_help(FILE *f, unsigned cmd);

/* Call right after option parsing when spec names pkcs11: URIs: parses
 * them so pin-value is scrubbed from argv at once, and prints the warning
 * that pin-value is visible to other processes. Returns 0, or an exit code
 * after printing the error. Free with acmb_pkcs11_spec_clear(). */
int acmb_cli_pkcs11_prepare(struct acmb_pkcs11_spec *spec);

/* The warning for a pkcs11: URI that carried a pin-value. */
void acmb_cli_pkcs11_pin_value_warning(void);

#endif
