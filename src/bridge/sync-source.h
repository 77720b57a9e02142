/*
 * sync's sources: a manifest entry's certificate as the source holds it now
 * (peek: no key is read, so a plan and a dry run never touch one), and the
 * whole material for the apply step (load: the key read once per entry,
 * judged by every ACM rule, wiped by the caller after the entry's last
 * destination).
 */
#ifndef ACMB_SYNC_SOURCE_H
#define ACMB_SYNC_SOURCE_H

#include "acm/rules.h"
#include "audit.h"
#include "manifest.h"
#include "material.h"
#include "sync-plan.h"

/* The source's certificate: the fields decisions need, and the domains
 * (CN and DNS SANs) they borrow from here. */
struct acmb_sync_peek {
	struct acmb_sync_source src; /* src.domains points into domains below */
	char **domains;
	size_t ndomains;
};

struct acmb_ctx;

/* Reads entry e's certificate (not its key) into *out (cleared first;
 * clear with acmb_sync_peek_clear()). A private-ca entry has none:
 * out->src.known = 0. A PKCS#12 bundle is decrypted to reach its
 * certificate; its key is wiped before this returns. A pkcs11 entry's
 * certificate (and chain) are read from the token through ctx's sessions
 * (NULL: a session of its own); its key is not touched, so nothing is
 * exported or audited. Errors name the entry and the file: ACMB_E_USAGE
 * (missing or unreadable), ACMB_E_PARSE (no certificate in it),
 * ACMB_E_PASSPHRASE, ACMB_E_TOKEN. */
int acmb_sync_peek(const struct acmb_manifest_entry *e, struct acmb_ctx *ctx,
    struct acmb_sync_peek *out, acmb_err *err);

void acmb_sync_peek_clear(struct acmb_sync_peek *p);

/* Fills *out from the material's leaf (certificate fields only). */
int acmb_sync_peek_material(
    const struct acmb_material *m, struct acmb_sync_peek *out, acmb_err *err);

struct acmb_ctx;

/* Loads entry e's whole material (certificate, chain, key) for region and
 * account (the export policy and the audit record name the destination of
 * a token export) and judges every ACM rule at time at. *rep is the verdict
 * (free()); a failing rule is not an error here: see (*rep)->ok. *audit is
 * the open export record of a pkcs11 entry, or NULL. For a dir entry
 * (kubernetes.io/tls), tls.crt's certificates after the first are the chain,
 * followed by ca.crt when it issued the last of them. A pkcs11 entry's token
 * is opened in ctx's token cache (one login per token for the run; NULL:
 * this call's own). The caller frees *m with acmb_material_free() (the key is
 * wiped there). */
int acmb_sync_load(const struct acmb_manifest_entry *e, const char *region, const char *account,
    time_t at, struct acmb_ctx *ctx, struct acmb_material **m, struct acmb_rules_report **rep,
    struct acmb_audit **audit, acmb_err *err);

#endif
