/*
 * Inside one sync run (sync.c plans it, sync-apply.c applies it): the
 * destinations with their inventories, the (entry, destination) pairs, and
 * the helpers both halves use. Not part of the library's interface.
 */
#ifndef ACMB_SYNC_RUN_H
#define ACMB_SYNC_RUN_H

#include <stddef.h>

#include "acm/acm-api.h"
#include "inventory.h"
#include "sync.h"

#define ACMB_SYNC_NAME_TAG "acmbridge:name"

struct acmb_sync_dest {
	const struct acmb_manifest_destination *d; /* first of its kind in the manifest */
	const struct acmb_aws_config *cfg;
	struct acmb_inventory inv;
	int rc; /* why the destination cannot be used, or ACMB_OK */
	char error[ACMB_ERRMSG_MAX];
	/* ACM's certificate quotas (2,500 imported, 5,000 imports a year) are
	 * reached there: nothing more is sent to it this run. */
	char quota_hit_by[256]; /* the entry whose import met it, or "" */
	/* Apply: the worker thread that makes every call to it (its
	 * configuration is used by that thread alone), and when it made its
	 * last new import (monotonic seconds; 0: none). */
	size_t worker;
	double last_import;
};

struct acmb_sync_pair {
	size_t entry; /* manifest index */
	size_t dest;  /* index into the entry's destinations */
	struct acmb_sync_dest *ds;
};

struct acmb_sync_run {
	const struct acmb_sync_opts *o;
	struct acmb_sync_result *res;
	struct acmb_sync_dest *dests;
	size_t ndests;
	struct acmb_sync_pair *pairs;
	size_t npairs;
};

/* The signal number once the run must stop, else 0. */
int acmb_sync_cancelled(const struct acmb_sync_run *r);

/* Marks it failed with rc and the message. */
void acmb_sync_item_fail(struct acmb_sync_item *it, int rc, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* The tags an entry's certificates carry: the manifest's (defaults merged)
 * and acmbridge's name; out holds max. Returns how many. */
size_t acmb_sync_wanted_tags(
    const struct acmb_manifest_entry *e, struct acmb_acm_tag *out, size_t max);

/* Applies the planned items of pairs (sync-apply.c): the destinations in
 * parallel, at most o->max_parallel of them and as many keys at a time.
 * Items are updated in place; prune items are not touched. */
void acmb_sync_apply(struct acmb_sync_run *r);

#endif
