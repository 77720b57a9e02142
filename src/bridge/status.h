/*
 * Fleet visibility (acmbridge status): one row per certificate ACM holds in
 * the regions asked for, from the same per-destination inventory sync uses,
 * with — when a manifest is given — what the next sync would do and when
 * the renewal falls due. Rendered as a text table, JSON, Prometheus
 * textfile metrics or one self-contained HTML page (status-render.h).
 */
#ifndef ACMB_STATUS_H
#define ACMB_STATUS_H

#include <stddef.h>
#include <time.h>

#include "inventory.h"
#include "manifest.h"
#include "plan.h"
#include "sync-plan.h"

struct acmb_status_row {
	const struct acmb_inventory_cert *cert; /* borrowed from the inventory */
	const char *region;                     /* borrowed */
	const char *name;                       /* acmbridge:name, or NULL: unmanaged */
	long days_left;                         /* whole days to NotAfter (negative: expired) */
	int adoptable;          /* unmanaged IMPORTED certificate matching an entry's names */
	const char *adopt_name; /* that entry, or NULL */
	int has_plan;           /* the fields below are set (a manifest was given) */
	enum acmb_plan_action next_action;
	time_t renew_at;
	char reason[ACMB_PLAN_REASON_MAX];
};

struct acmb_status_summary {
	size_t certificates, managed, unmanaged, expired, expiring_30d, in_use, adoptable;
	size_t imports_last_365d; /* certificates imported in the last 365 days (quota: 5,000) */
	size_t imported;          /* IMPORTED certificates held (quota: 2,500) */
};

/* Builds the rows of the inventories (tags read where known), sorted by
 * days left, at time now. With m, sources[i] is entry i's certificate as the
 * source holds it now (known = 0 for private-ca entries); managed rows then
 * carry the next action and renewal date exactly as sync decides them, and
 * unmanaged IMPORTED certificates whose domain is one of an entry's names
 * are adoptable. *rows is a new array (caller frees it with free(); it
 * borrows from the inventories and m, so it lives no longer than they do).
 * Returns ACMB_OK or ACMB_E_NOMEM. */
int acmb_status_rows(struct acmb_inventory *const *invs, size_t ninv, const struct acmb_manifest *m,
    const struct acmb_sync_source *sources, time_t now, struct acmb_status_row **rows,
    size_t *nrows, struct acmb_status_summary *sum, acmb_err *err);

#endif
