/*
 * sync's decisions: for one manifest entry and one of its destinations,
 * what ACM holds (the destination's inventory) against what the source has
 * now, into one plan item with its reason in words. Pure: no I/O, the clock
 * is an argument, so every action is tested with a fixed time.
 */
#ifndef ACMB_SYNC_PLAN_H
#define ACMB_SYNC_PLAN_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "acm/rules.h"
#include "inventory.h"
#include "manifest.h"
#include "plan.h"

/* The certificate the source holds now (not its key). For a private-ca
 * entry there is none: the certificate in ACM is the only copy (known = 0). */
struct acmb_sync_source {
	int known;
	char sha256[65];
	char serial[ACMB_PLAN_SERIAL_MAX]; /* acmb_inventory_serial_norm() form */
	time_t not_before, not_after;
	enum acmb_key_alg key_algorithm;
	const char *const *domains; /* CN and SANs, borrowed */
	size_t ndomains;
};

/* Indices into inv of the certificates whose tags the decision for (e, src)
 * needs: same serial, the adopted ARN, or a domain of the source. At most
 * max; returns how many. The caller reads their tags
 * (acmb_inventory_set_tags()) before acmb_sync_decide(), and only for those
 * not read yet. */
size_t acmb_sync_candidates(const struct acmb_manifest_entry *e, size_t dest,
    const struct acmb_sync_source *src, const struct acmb_inventory *inv, size_t *idx, size_t max);

/* When a certificate valid from nb to na falls due under rb. */
time_t acmb_sync_renew_at(const struct acmb_manifest_renew *rb, time_t nb, time_t na);

/* Decides the item for entry e in its destination dest. Fills *it, which
 * is cleared first (zeroed or a valid item; the caller clears it after use).
 * A blocked item is a decision, not an error: returns ACMB_OK unless an
 * argument is wrong (ACMB_E_INTERNAL), memory runs out (ACMB_E_NOMEM) or an
 * ARN is longer than AWS allows (ACMB_E_TOO_BIG). */
int acmb_sync_decide(const struct acmb_manifest_entry *e, size_t dest,
    const struct acmb_sync_source *src, const struct acmb_inventory *inv, time_t now,
    struct acmb_plan_item *it);

/* The prune items of one destination: every certificate whose
 * acmbridge:name tag (tags must have been read) names no manifest entry.
 * In use → blocked naming the use. Writes at most max items (each zeroed or
 * valid before: they are cleared first) and their number to *count; the
 * caller clears items[0..*count), also when it fails (ACMB_E_NOMEM,
 * ACMB_E_TOO_BIG for an ARN past ACMB_PLAN_ARN_MAX). */
int acmb_sync_prune(const struct acmb_manifest *m, const struct acmb_inventory *inv,
    struct acmb_plan_item *items, size_t max, size_t *count);

/* Which of n shards (0..n-1) the pair (entry, destination) belongs to: a
 * stable hash (FNV-1a 64) of name, region, profile and role, so N runs
 * with --shard I/N cover every pair exactly once, whatever the order. */
unsigned acmb_sync_shard(const char *name, const struct acmb_manifest_destination *d, unsigned n);

#endif
