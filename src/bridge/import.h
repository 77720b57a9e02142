/*
 * The import flow: a judged material goes into ACM as a new certificate or as
 * a reimport that keeps the ARN, without creating duplicates when a response
 * is lost, with tag changes applied the way ACM allows, and verified against
 * what ACM then shows. The key is wiped as soon as ImportCertificate returns.
 *
 * Two steps: acmb_import_make_plan() decides (one plan item: create,
 * reimport, unchanged or blocked, with the tag changes) from what ACM holds,
 * reading no key; acmb_import_apply_plan() carries the item out. A dry run
 * is the first step alone; acmb_import() is both.
 */
#ifndef ACMB_IMPORT_H
#define ACMB_IMPORT_H

#include <stddef.h>

#include "acm/acm-api.h"
#include "acm/reimport.h"
#include "acm/rules.h"
#include "error.h"
#include "inventory.h"
#include "material.h"
#include "plan.h"

struct acmb_ctx;

/* The tag every new import carries so that an import whose answer was lost
 * can be recognised; its value is the leaf's SHA-256 fingerprint (hex). */
#define ACMB_PROVENANCE_TAG "acmbridge:sha256"

struct acmb_import_opts {
	const char *certificate_arn;     /* reimport into this ARN, or NULL */
	const struct acmb_acm_tag *tags; /* --tags, borrowed */
	size_t ntags;
	int dry_run;           /* everything but the write calls */
	int no_provenance_tag; /* do not add ACMB_PROVENANCE_TAG */
	int allow_duplicate;   /* import even if ACM holds the same certificate */
	int keep_key;          /* leave m->key for another destination (sync): only the
	                        * PEM sent is wiped here; the caller frees the material */
	/* Where a new import's plan looks for copies already in ACM: inventory
	 * (borrowed; a listing of cfg's region the caller shares), else ctx's
	 * inventory of cfg's region (loaded by the first plan, shared by every
	 * later one of the run), else (both NULL) a lookup by serial for this
	 * certificate alone. */
	struct acmb_inventory *inventory;
	struct acmb_ctx *ctx;
	/* The key as PEM, encoded once by a caller that imports it into several
	 * destinations at the same time (sync), borrowed and read-only; m->key
	 * may then be NULL. NULL: the PEM is made from m->key and wiped here. */
	const acmb_secbuf *key_pem;
	/* A new import returns once ACM verified it, without the look that
	 * converges racing runs on one copy: the caller makes that look later,
	 * once for many imports, with acmb_import_converge_later(). */
	int defer_converge;
};

#define ACMB_IMPORT_NOTES_MAX 24
#define ACMB_IMPORT_NOTE_LEN 320

struct acmb_import_result {
	char *arn;             /* the certificate's ARN (NULL for a dry-run import) */
	int reimport;          /* 1 when the ARN was kept */
	int recovered;         /* a lost answer: the first attempt had landed */
	int already_present;   /* ACM held this certificate already; nothing sent */
	int converged;         /* another run's earlier copy kept, this run's deleted */
	int converge_deferred; /* defer_converge: acmb_import_converge_later() is due */
	int import_attempts;   /* ImportCertificate requests sent (throttled ones too) */
	int resent_unseen;     /* lost requests not seen in ACM before a resend */
	int tags_added, tags_changed;
	char fingerprint[65]; /* leaf SHA-256, hex */
	double wipe_seconds;  /* ImportCertificate returned → key wiped */
	struct acmb_reimport_report reimport_report;
	size_t nnotes; /* what happened or, with dry_run, the plan */
	char notes[ACMB_IMPORT_NOTES_MAX][ACMB_IMPORT_NOTE_LEN];
	struct acmb_plan_item *plan; /* what acmb_import() decided, or NULL; owned */
};

/* Imports m under cfg (resolved for ACM): acmb_import_make_plan(), then
 * (unless o->dry_run) acmb_import_apply_plan(); res->plan is the item. m
 * must have passed every ACM rule (acmb_rules_judge(); its chain is in the
 * corrected order). Takes the key out of m and wipes it right after
 * ImportCertificate returns, on every path (with dry_run: before it returns).
 * A new import of a certificate ACM already holds (same SHA-256) returns that
 * ARN instead, so that running the same import twice is safe.
 * Fills *res (clear with acmb_import_result_clear()). Returns ACMB_OK,
 * ACMB_E_RULE (reimport rules), ACMB_E_AWS/NETWORK/TLS, or ACMB_E_VERIFY when
 * ACM does not show what was sent. */
int acmb_import(const struct acmb_aws_config *cfg, struct acmb_material *m,
    const struct acmb_import_opts *o, struct acmb_import_result *res, acmb_err *err);

/*
 * The look a defer_converge import left out (see acmb_converge()), for own,
 * the ARN that import returned, of the certificate leaf: made after the
 * caller waited ACMB_IMPORT_SETTLE seconds past its last import into cfg's
 * region. When other runs imported leaf too, every run keeps the first copy
 * and this run's newer one is deleted; tags (the new import's) are then put
 * on the copy kept. *survivor is the ARN to use (caller free()s it); res
 * (cleared first) gets the notes. Errors as acmb_converge().
 */
int acmb_import_converge_later(const struct acmb_aws_config *cfg, X509 *leaf, const char *own,
    const struct acmb_acm_tag *tags, size_t ntags, char **survivor, struct acmb_import_result *res,
    acmb_err *err);

/* The plan step: decides from what ACM holds what importing m under o
 * would do, into *item (cleared first), reading no key and writing nothing.
 * A new import: the copies of m's leaf among o's inventory (see
 * struct acmb_import_opts) make it "unchanged" (their first ARN, tag changes
 * against its tags) unless o->allow_duplicate, else "create". A reimport:
 * ACM's reimport rules against what ACM holds under the ARN, then the tag
 * changes. Clears and fills *res (the fingerprint, a reimport's report,
 * notes: with o->dry_run the plan's wording as `import --dry-run` prints
 * it). Returns ACMB_OK, or the error that blocks it (ACMB_E_RULE for a
 * reimport rule, with item->action ACMB_PLAN_BLOCKED and the reason) or a
 * lookup's error. */
int acmb_import_make_plan(const struct acmb_aws_config *cfg, const struct acmb_material *m,
    const struct acmb_import_opts *o, struct acmb_plan_item *item, struct acmb_import_result *res,
    acmb_err *err);

/* The apply step: carries item out with m (whose leaf must be the item's
 * certificate, by SHA-256: ACMB_E_USAGE otherwise), continuing *res (from
 * acmb_import_make_plan(), or zeroed). A new import first takes the
 * same-host lock and looks again when the plan may be stale (a saved plan,
 * another import of this certificate under the lock since the listing,
 * o->allow_duplicate); then as acmb_import(). The key goes as in
 * acmb_import(). An item that is blocked is ACMB_E_RULE with its reason. */
int acmb_import_apply_plan(const struct acmb_aws_config *cfg, const struct acmb_plan_item *item,
    struct acmb_material *m, const struct acmb_import_opts *o, struct acmb_import_result *res,
    acmb_err *err);

/* Frees what *res owns. Accepts NULL. */
void acmb_import_result_clear(struct acmb_import_result *res);

/* Adds a line to res->notes (dropped once ACMB_IMPORT_NOTES_MAX are held;
 * truncated at ACMB_IMPORT_NOTE_LEN). For the import flow's own modules. */
void acmb_import_note(struct acmb_import_result *res, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

#endif
