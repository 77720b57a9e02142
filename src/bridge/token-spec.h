/*
 * The token options every command that opens a token shares: --module,
 * --pin-file, --pin-env, --wrapping-key, --export-policy, --audit-log. One
 * type for the PKCS#11 source (source-pkcs11.h), issue's token key store
 * (issue-token.h) and list (token-list.h), filled by the CLI's one option
 * table.
 */
#ifndef ACMB_TOKEN_SPEC_H
#define ACMB_TOKEN_SPEC_H

#include "pkcs11/p11-session.h"

/* Strings are borrowed (usually argv) and must outlive every use of the
 * spec; wrapping_key is rewritten in place when it carries a pin-value. */
struct acmb_token_spec {
	const char *module;           /* --module PATH, or NULL for p11-kit's registered modules */
	struct acmb_p11_pin_spec pin; /* --pin-file, --pin-env */
	char *wrapping_key;           /* --wrapping-key pkcs11: URI of a CKA_TRUSTED key, or NULL */
	const char *export_policy;    /* --export-policy PATH, or NULL for the default */
	const char *audit_log;        /* --audit-log PATH|syslog, or NULL (see audit.h) */
};

#endif
