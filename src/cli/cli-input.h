/*
 * The input options `check` and `import` share: where the certificate, key
 * and chain come from, and where a passphrase comes from (never argv).
 */
#ifndef ACMB_CLI_INPUT_H
#define ACMB_CLI_INPUT_H

#include "bridge/source-files.h"

/* Help text for the shared input options, one option per line. */
extern const char acmb_cli_input_help[];

/* Returns 1 when opt (e.g. "--certificate") is a shared input option that
 * takes a value, 0 otherwise. */
int acmb_cli_input_is_option(const char *opt);

/* Records opt's value arg in spec (arg is borrowed: it must outlive spec).
 * Returns 1 when opt was an input option and was recorded, 0 when opt is not
 * an input option, -1 on a usage error (message printed to stderr). */
int acmb_cli_input_option(const char *opt, const char *arg, struct acmb_files_spec *spec);

/* Splits argv[*i] into option and value, accepting "--opt VALUE" and
 * "--opt=VALUE" for the options takes_value() says take one. Copies the
 * option name into optbuf (optlen bytes) and points *val at the value (NULL
 * for flags; it points into argv), advancing *i past a separate value.
 * Returns 0, or -1 when a value is missing or unexpected (message printed). */
int acmb_cli_split_option(int argc, char **argv, int *i, int (*takes_value)(const char *),
    char *optbuf, size_t optlen, const char **val);

#endif
