/*
 * The import flow: a judged material goes into ACM as a new certificate or as
 * a reimport that keeps the ARN, without creating duplicates when a response
 * is lost, with tag changes applied the way ACM allows, and verified against
 * what ACM then shows. The key is wiped as soon as ImportCertificate returns.
 */
#ifndef ACMB_IMPORT_H
#define ACMB_IMPORT_H

#include <stddef.h>

#include "acm/acm-api.h"
#include "acm/reimport.h"
#include "acm/rules.h"
#include "error.h"
#include "material.h"

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
};

#define ACMB_IMPORT_NOTES_MAX 24
#define ACMB_IMPORT_NOTE_LEN 320

struct acmb_import_result {
	char *arn;           /* the certificate's ARN (NULL for a dry-run import) */
	int reimport;        /* 1 when the ARN was kept */
	int recovered;       /* a lost answer: the first attempt had landed */
	int already_present; /* ACM held this certificate already; nothing sent */
	int converged;       /* another run's earlier copy kept, this run's deleted */
	int import_attempts; /* ImportCertificate requests sent (throttled ones too) */
	int resent_unseen;   /* lost requests not seen in ACM before a resend */
	int tags_added, tags_changed;
	char fingerprint[65]; /* leaf SHA-256, hex */
	double wipe_seconds;  /* ImportCertificate returned → key wiped */
	struct acmb_reimport_report reimport_report;
	size_t nnotes; /* what happened or, with dry_run, the plan */
	char notes[ACMB_IMPORT_NOTES_MAX][ACMB_IMPORT_NOTE_LEN];
};

/* Imports m under cfg (resolved for ACM). m must have passed every ACM rule
 * (acmb_rules_judge(); its chain is in the corrected order). Takes the key
 * out of m and wipes it right after ImportCertificate returns, on every path.
 * A new import of a certificate ACM already holds (same SHA-256) returns that
 * ARN instead, so that running the same import twice is safe.
 * Fills *res (clear with acmb_import_result_clear()). Returns ACMB_OK,
 * ACMB_E_RULE (reimport rules), ACMB_E_AWS/NETWORK/TLS, or ACMB_E_VERIFY when
 * ACM does not show what was sent. */
int acmb_import(const struct acmb_aws_config *cfg, struct acmb_material *m,
    const struct acmb_import_opts *o, struct acmb_import_result *res, acmb_err *err);

/* Frees what *res owns. Accepts NULL. */
void acmb_import_result_clear(struct acmb_import_result *res);

/* Adds a line to res->notes (dropped once ACMB_IMPORT_NOTES_MAX are held;
 * truncated at ACMB_IMPORT_NOTE_LEN). For the import flow's own modules. */
void acmb_import_note(struct acmb_import_result *res, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

#endif
