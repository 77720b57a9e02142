/*
 * The export audit log: one JSON line when an export is attempted, written
 * and fsynced BEFORE the key leaves the token, and one JSON line with the
 * outcome (ARN or error) after the import, both carrying the same attempt
 * id. If the first line cannot be made durable the export does not happen.
 * Never key bytes, PINs or other secrets.
 */
#ifndef ACMB_AUDIT_H
#define ACMB_AUDIT_H

#include "error.h"

struct acmb_audit;

/* What is recorded about one attempt. NULL fields are written as null.
 * Strings are copied into the record; none may hold a secret. */
struct acmb_audit_attempt {
	const char *token_label;
	const char *token_serial;
	const char *object_id; /* hex */
	const char *object_label;
	const char *key_algorithm; /* "RSA-2048", "EC-P-256" */
	const char *path;          /* "wrapped", "components", "trusted-wrap", "refused" */
	const char *cert_sha256;   /* hex fingerprint of the leaf certificate */
	const char *policy;        /* policy file path, or "default: any extractable key" */
	const char *destination;   /* "region/account", a certificate ARN, or NULL */
};

/* Opens the audit log: where is a file path, "syslog", or NULL for the
 * default $XDG_STATE_HOME/acmbridge/audit.log (else
 * ~/.local/state/acmbridge/audit.log; directories made 0700, file 0600).
 * Caller frees *out with acmb_audit_close(). */
int acmb_audit_open(const char *where, struct acmb_audit **out, acmb_err *err);

/* Writes and fsyncs the "begin" line of a new attempt. A non-OK return
 * means nothing durable was written: the caller MUST NOT export the key.
 * WARNING: a second begin before acmb_audit_finish() is refused. */
int acmb_audit_begin(struct acmb_audit *a, const struct acmb_audit_attempt *att, acmb_err *err);

/* Writes the "outcome" line of the open attempt: arn when the import
 * succeeded, failure (its message) when anything failed, both NULL when
 * the key was exported but not imported (check). No-op without an open
 * attempt. */
int acmb_audit_finish(
    struct acmb_audit *a, const char *arn, const acmb_err *failure, acmb_err *err);

/* The open attempt's id (16 hex digits), or NULL. Owned by a. */
const char *acmb_audit_attempt_id(const struct acmb_audit *a);

/* Where records go ("syslog" or the file path). Owned by a. */
const char *acmb_audit_where(const struct acmb_audit *a);

/* Another holder of a (a context hands the run's one log to each flow):
 * each acmb_audit_ref() needs its own acmb_audit_close(). Returns a. */
struct acmb_audit *acmb_audit_ref(struct acmb_audit *a);

/* Records an open attempt as abandoned, then drops one holder; the last
 * one closes the log. Accepts NULL. */
void acmb_audit_close(struct acmb_audit *a);

#endif
