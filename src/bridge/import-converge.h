/*
 * Finding every copy of a certificate in ACM, waiting for a write whose
 * answer was lost to land, and converging racing imports on one copy.
 *
 * A copy is an IMPORTED certificate whose leaf has the same SHA-256 (found
 * by SearchCertificates on the serial where the endpoint has it, else by
 * ListCertificates over every key type, and compared by GetCertificate).
 * Copies are ordered by ImportedAt, ties broken by ARN: every run that
 * imports the same certificate at the same time, on any host, keeps the
 * first of that order and deletes its own newer copy (docs/aws.md).
 */
#ifndef ACMB_IMPORT_CONVERGE_H
#define ACMB_IMPORT_CONVERGE_H

#include <stddef.h>

#include <openssl/x509.h>

#include "acm/acm-api.h"
#include "error.h"
#include "inventory.h"

struct acmb_import_result;

/* Seconds spent looking for a write whose answer was lost before it is
 * sent again, and for a new copy to show in ACM's search or listing. */
#define ACMB_IMPORT_LANDING_WAIT 30.0
/* Seconds between seeing this run's copy and the look that decides, for
 * copies that ACM's search shows a little out of import order. */
#define ACMB_IMPORT_SETTLE 2.0

struct acmb_copy {
	char *arn;
	double imported_at; /* epoch seconds, with ACM's fraction */
	int in_use;         /* 1 or 0; -1 when ACM did not say */
};

/* The settling time a run waits: ACMB_IMPORT_SETTLE, or a test build's
 * ACMB_TEST_CONVERGE_SETTLE. */
double acmb_import_settle_seconds(void);

/* Copies in (imported_at, arn) order; v[0] is the one every run keeps. */
struct acmb_copies {
	struct acmb_copy *v;
	size_t count;
};

/* Frees the copies; the struct itself is the caller's. Accepts NULL. */
void acmb_copies_clear(struct acmb_copies *c);

/* 1 when arn is among c. */
int acmb_copies_has(const struct acmb_copies *c, const char *arn);

/* What the lookups of one run share. Fill with acmb_copy_finder_init(); no
 * cleanup needed (cfg and leaf are borrowed and must outlive it). */
struct acmb_copy_finder {
	const struct acmb_aws_config *cfg;
	X509 *leaf;
	char fingerprint[65];
	char serial[ACMB_ACM_SEARCH_SERIAL_MAX + 8]; /* as ACM shows it: "0a:1b:..." */
	int search_off;                              /* SearchCertificates unusable */
	int search_off_noted;                        /* ... and a note says why */
	char search_off_why[200];
	double landing_wait; /* ACMB_IMPORT_LANDING_WAIT unless a test build says */
	double settle;       /* ACMB_IMPORT_SETTLE unless a test build says */
};

/* Sets f up for leaf (fingerprint: its SHA-256, hex). */
int acmb_copy_finder_init(struct acmb_copy_finder *f, const struct acmb_aws_config *cfg, X509 *leaf,
    const char *fingerprint, acmb_err *err);

/* Every copy ACM shows now, into *out (cleared first; caller clears it).
 * When own (an ARN, or NULL) is not among SearchCertificates' results, the
 * listing is read too: ACM's search may lag behind, or spell the serial
 * otherwise. The first fallback to the listing adds a note to res. */
int acmb_copies_find(struct acmb_copy_finder *f, const char *own, struct acmb_copies *out,
    struct acmb_import_result *res, acmb_err *err);

/* The copies among inv (the run's inventory of f->cfg's region), into *out
 * (cleared first; caller clears it): IMPORTED certificates with the leaf's
 * serial (a listing without serials: with one of its names) whose
 * certificate GetCertificate shows to be this very leaf. Nothing is listed
 * again; when inv came from ListCertificates, f notes that once, as
 * acmb_copies_find() does, and later lookups of f go by the listing. */
int acmb_copies_from_inventory(struct acmb_copy_finder *f, const struct acmb_inventory *inv,
    struct acmb_copies *out, struct acmb_import_result *res, acmb_err *err);

/*
 * After ImportCertificate's answer was lost at lost_at (wall clock): looks
 * for copies that were not in before, with backoff, for f->landing_wait
 * seconds. *landed is 1 when one or more appeared (*own is then a copy of
 * its ARN when exactly one did, else NULL; caller free()s it), 0 when none
 * was seen in time (*looked is how long was looked).
 */
int acmb_wait_for_landing(struct acmb_copy_finder *f, const struct acmb_copies *before, int *landed,
    char **own, double *looked, struct acmb_import_result *res, acmb_err *err);

/*
 * Converges on one copy after a new import. own is this run's copy (NULL
 * when a lost answer left it unknown). Waits until ACM shows own, settles,
 * then keeps the first copy in (ImportedAt, ARN) order: this run's newer
 * copy is deleted unless it is in use. On ACMB_OK *survivor is the ARN to
 * use (caller free()s it). An in-use copy or a denied DeleteCertificate is
 * ACMB_E_AWS naming both ARNs (*survivor is still set).
 */
int acmb_converge(struct acmb_copy_finder *f, const char *own, char **survivor,
    struct acmb_import_result *res, acmb_err *err);

#endif
