/*
 * The PKCS#11 source: certificate, chain and private key from pkcs11: URIs
 * (RFC 7512). The key leaves the token only under the export rules of
 * pkcs11/p11-export.h and the export policy, and only after the audit
 * log holds a durable "begin" record; it reaches the caller as the
 * material's EVP_PKEY and nothing else.
 */
#ifndef ACMB_SOURCE_PKCS11_H
#define ACMB_SOURCE_PKCS11_H

#include <openssl/x509.h>

#include "audit.h"
#include "error.h"
#include "material.h"
#include "pkcs11/p11-session.h"
#include "token-spec.h"

struct acmb_p11_uri;
struct acmb_ctx;

/* What the operator asked for. The URI strings usually point into argv:
 * acmb_pkcs11_spec_prepare() rewrites them in place to remove pin-value. */
struct acmb_pkcs11_spec {
	char *certificate;       /* --certificate: pkcs11: URI (anything else is ignored here) */
	char *private_key;       /* --private-key: pkcs11: URI, or NULL to pair from the cert */
	char *certificate_chain; /* --certificate-chain: pkcs11: URI, or NULL for the token's CAs */
	struct acmb_token_spec token; /* module, PIN, wrapping key, policy, audit log */
	const char *region;           /* destination, for the policy and the audit record */
	const char *account;
	X509 *certificate_hint; /* the leaf when --certificate is a file (borrowed, or
	                         * NULL): audit fingerprint and EC public point */
	struct acmb_ctx *ctx;   /* the run's tokens, policies and audit log (borrowed),
	                         * or NULL: the call makes its own */
	int certificate_only;   /* read the certificate and chain only: no key is
	                         * looked up, paired or exported, so no audit
	                         * record and no export policy (sync's planning) */
	/* Filled by acmb_pkcs11_spec_prepare(); freed by acmb_pkcs11_spec_clear(). */
	struct acmb_p11_uri *parsed[4];
	int prepared;
	int pin_value_seen; /* a URI carried pin-value: the CLI warns */
};

/* Returns 1 when the certificate, key or chain field is a pkcs11: URI. */
int acmb_pkcs11_spec_wanted(const struct acmb_pkcs11_spec *spec);

/* Parses the URIs now, so that pin-value leaves argv as early as possible;
 * sets spec->pin_value_seen. Idempotent. acmb_pkcs11_load() calls it too.
 * Free what it keeps with acmb_pkcs11_spec_clear(). */
int acmb_pkcs11_spec_prepare(struct acmb_pkcs11_spec *spec, acmb_err *err);

/* Frees the parsed URIs (wiping any pin-value they hold). */
void acmb_pkcs11_spec_clear(struct acmb_pkcs11_spec *spec);

/* Fills a new material from the token(s): the certificate named by
 * spec->certificate; the key named by spec->private_key or paired with the
 * certificate (same id, else same public key); the chain from
 * spec->certificate_chain or every other certificate on the token (unordered:
 * ordering is the rules' job). Fields that are not URIs are left empty for
 * the files source. Before the key leaves the token, a "begin" record is
 * written to audit (required when a key is exported; refusals are recorded
 * too); on success the attempt stays open for the caller's
 * acmb_audit_finish(arn|error). Returns ACMB_E_TOKEN / ACMB_E_EXPORT (exit 4)
 * for token failures and refusals. Caller frees *out with acmb_material_free(). */
int acmb_pkcs11_load(struct acmb_pkcs11_spec *spec, struct acmb_material **out,
    struct acmb_audit *audit, acmb_err *err);

#endif
