/*
 * The export policy (--export-policy PATH): a small JSON file that narrows
 * which keys may leave which tokens for which ACM destinations. Without a
 * file, any extractable key may be exported, and the audit record says so.
 *
 *   { "token_serials": ["6d1c2f..."],
 *     "object_ids": ["01a2"], "object_labels": ["web-2026"],
 *     "destinations": [{"region": "eu-west-1", "account": "123456789012"}] }
 *
 * Every list given must match (ids and labels together: either may);
 * a list left out does not restrict. Unknown fields are refused.
 */
#ifndef ACMB_EXPORT_POLICY_H
#define ACMB_EXPORT_POLICY_H

#include <stddef.h>

#include "error.h"

#define ACMB_EXPORT_POLICY_MAX 65536 /* largest policy file read: 64 KiB */
#define ACMB_EXPORT_POLICY_DEFAULT "default: any extractable key"

struct acmb_export_policy;

/* Reads and validates the policy file. ACMB_E_USAGE names the field that
 * is wrong. Caller frees *out with acmb_export_policy_free(). */
int acmb_export_policy_load(const char *path, struct acmb_export_policy **out, acmb_err *err);

/* Frees the policy. Accepts NULL. */
void acmb_export_policy_free(struct acmb_export_policy *p);

/* ACMB_OK when the policy (NULL: the default) allows exporting the object
 * (id, id_len, label) from the token with serial to region/account (either
 * may be NULL when not known yet: a policy with destinations then refuses).
 * Otherwise ACMB_E_EXPORT naming the policy field that refuses. */
int acmb_export_policy_check(const struct acmb_export_policy *p, const char *token_serial,
    const unsigned char *id, size_t id_len, const char *label, const char *region,
    const char *account, acmb_err *err);

/* The file path, or ACMB_EXPORT_POLICY_DEFAULT for NULL; for the audit log.
 * Owned by p. */
const char *acmb_export_policy_name(const struct acmb_export_policy *p);

#endif
