/*
 * The AWS shared config and credentials files (INI), read only as far as
 * the AWS CLI's own reader needs. The files can hold secret keys, so they
 * are read into the secure heap and values are handed out as pointers
 * into it.
 */
#ifndef ACMB_AWS_INI_H
#define ACMB_AWS_INI_H

#include <stddef.h>

#include "error.h"
#include "secmem.h"

#define ACMB_AWS_INI_MAX_FILE ((size_t)1 << 20) /* 1 MiB */
#define ACMB_AWS_INI_MAX_LINE 4096

/* Reads path into a new secure buffer. A missing file is not an error:
 * *text is then NULL. Files over ACMB_AWS_INI_MAX_FILE are refused
 * (ACMB_E_TOO_BIG), as are lines over ACMB_AWS_INI_MAX_LINE (ACMB_E_PARSE).
 * Caller frees *text with acmb_secbuf_free(). */
int acmb_aws_ini_load(const char *path, acmb_secbuf **text, acmb_err *err);

/* Section naming: the config file says "[profile NAME]" (and "[default]"),
 * the credentials file says "[NAME]". */
enum acmb_aws_ini_style {
	ACMB_AWS_INI_CONFIG = 0,
	ACMB_AWS_INI_CREDENTIALS = 1,
};

/* Returns 1 when profile has a section in text (NULL text: 0). */
int acmb_aws_ini_has_profile(
    const acmb_secbuf *text, enum acmb_aws_ini_style style, const char *profile);

/* Finds key (case-insensitive, as the CLI's reader) in profile's section.
 * Returns 1 and points val and vlen at the trimmed value inside text (not NUL
 * terminated; lives as long as text), or 0 when absent. */
int acmb_aws_ini_get(const acmb_secbuf *text, enum acmb_aws_ini_style style, const char *profile,
    const char *key, const char **val, size_t *vlen);

#endif
