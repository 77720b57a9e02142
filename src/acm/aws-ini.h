/*
 * The AWS shared config and credentials files (INI), parsed as the AWS CLI
 * parses them (botocore: Python's RawConfigParser, then its profile map).
 * The files can hold secret keys, so the file and every parsed key and
 * value live in the secure heap; values are handed out as pointers into it.
 */
#ifndef ACMB_AWS_INI_H
#define ACMB_AWS_INI_H

#include <stddef.h>

#include "error.h"

#define ACMB_AWS_INI_MAX_FILE ((size_t)1 << 20) /* 1 MiB */

typedef struct acmb_aws_ini acmb_aws_ini;

/* Reads and parses path. A missing file is not an error: *ini is then NULL.
 * Files over ACMB_AWS_INI_MAX_FILE, unreadable files and files the AWS CLI
 * would refuse (no section header before the first key, a line that is
 * neither a section, a key nor a comment, a section or a key twice, bytes
 * that are not UTF-8, a nested value line without '=') are ACMB_E_CONFIG
 * errors naming the file and line. Caller frees *ini with acmb_aws_ini_free(). */
int acmb_aws_ini_load(const char *path, acmb_aws_ini **ini, acmb_err *err);

/* Parses len bytes of text (what is used in messages: what). Same rules
 * and ownership as acmb_aws_ini_load(); text is not kept. */
int acmb_aws_ini_parse(
    const char *text, size_t len, const char *what, acmb_aws_ini **ini, acmb_err *err);

/* Wipes and frees. Accepts NULL. */
void acmb_aws_ini_free(acmb_aws_ini *ini);

/* How a section is named:
 * - CONFIG: the config file's profiles, "[profile NAME]" (NAME may be
 *   quoted) and "[default]"; the last section naming a profile wins.
 * - CREDENTIALS: the credentials file's "[NAME]", exactly as written.
 * - SSO_SESSION: the config file's "[sso-session NAME]". */
enum acmb_aws_ini_style {
	ACMB_AWS_INI_CONFIG = 0,
	ACMB_AWS_INI_CREDENTIALS = 1,
	ACMB_AWS_INI_SSO_SESSION = 2,
};

/* Returns 1 when name has a section of that style in ini (NULL ini: 0). */
int acmb_aws_ini_has_profile(
    const acmb_aws_ini *ini, enum acmb_aws_ini_style style, const char *name);

/* Finds key (case-insensitive, as the CLI's reader) in name's section, or in
 * the file's [DEFAULT] section, which every section inherits. Returns 1 and
 * points *val (NUL-terminated, in the secure heap, living as long as ini)
 * and *vlen at the value, or 0 when absent. A value continued on indented
 * lines holds them joined with '\n'. */
int acmb_aws_ini_get(const acmb_aws_ini *ini, enum acmb_aws_ini_style style, const char *name,
    const char *key, const char **val, size_t *vlen);

#endif
