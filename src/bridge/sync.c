/*
 * acmbridge sync (see sync.h): select, plan, apply.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "acm/acm-api.h"
#include "inventory.h"
#include "sync-keystore.h"
#include "sync-plan.h"
#include "sync-source.h"
#include "sync-run.h"
#include "sync.h"

static int
same_dest(const struct acmb_manifest_destination *a, const struct acmb_manifest_destination *b)
{
#define SAME(f)                                                                                    \
	((a->f == NULL && b->f == NULL) ||                                                         \
	    (a->f != NULL && b->f != NULL && strcmp(a->f, b->f) == 0))
	return SAME(region) && SAME(profile) && SAME(role_arn) && SAME(external_id);
#undef SAME
}

static int
listed(const char *const *names, size_t n, const char *s)
{
	size_t i;

	if (names == NULL || n == 0)
		return 1;
	for (i = 0; i < n; i++)
		if (strcmp(names[i], s) == 0)
			return 1;
	return 0;
}

int
acmb_sync_cancelled(const struct acmb_sync_run *r)
{
	return r->o->cancelled != NULL ? r->o->cancelled(r->o->cancel_arg) : 0;
}

void
acmb_sync_item_fail(struct acmb_sync_item *it, int rc, const char *fmt, ...)
{
	char buf[ACMB_ERRMSG_MAX];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	it->rc = rc;
	free(it->error);
	it->error = strdup(buf);
}

/* The pairs this run covers and their destinations, in manifest order. */
static int
select_pairs(struct acmb_sync_run *r, acmb_err *err)
{
	const struct acmb_manifest *m = r->o->manifest;
	size_t i, k, j, total = 0;

	for (i = 0; i < r->o->nonly; i++)
		if (acmb_manifest_find(m, r->o->only[i]) == NULL)
			return acmb_error(err, ACMB_E_USAGE,
			    "--only %s: no certificate of that name in the manifest",
			    r->o->only[i]);
	for (i = 0; i < acmb_manifest_count(m); i++)
		total += acmb_manifest_entry(m, i)->ndestinations;
	if (total == 0)
		return ACMB_OK;
	if ((r->pairs = calloc(total, sizeof(*r->pairs))) == NULL ||
	    (r->dests = calloc(total, sizeof(*r->dests))) == NULL)
		return acmb_error(err, ACMB_E_NOMEM, "out of memory");
	for (i = 0; i < acmb_manifest_count(m); i++) {
		const struct acmb_manifest_entry *e = acmb_manifest_entry(m, i);

		if (!listed(r->o->only, r->o->nonly, e->name))
			continue;
		for (k = 0; k < e->ndestinations; k++) {
			const struct acmb_manifest_destination *d = &e->destinations[k];

			if (!listed(r->o->regions, r->o->nregions, d->region))
				continue;
			if (r->o->nshards > 1 &&
			    acmb_sync_shard(e->name, d, r->o->nshards) != r->o->shard)
				continue;
			for (j = 0; j < r->ndests; j++)
				if (same_dest(r->dests[j].d, d))
					break;
			if (j == r->ndests) {
				r->dests[j].d = d;
				snprintf(r->dests[j].inv.region, sizeof(r->dests[j].inv.region),
				    "%s", d->region);
				r->ndests++;
			}
			r->pairs[r->npairs].entry = i;
			r->pairs[r->npairs].dest = k;
			r->pairs[r->npairs].ds = &r->dests[j];
			r->npairs++;
		}
	}
	return ACMB_OK;
}

/* Each destination's configuration and inventory, once. A destination that
 * cannot be listed fails its items, not the run. */
static void
load_destinations(struct acmb_sync_run *r)
{
	size_t i;

	for (i = 0; i < r->ndests && !acmb_sync_cancelled(r); i++) {
		struct acmb_sync_dest *ds = &r->dests[i];
		acmb_err e = {0};

		if ((ds->rc = r->o->config_for(r->o->config_arg, &acmb_aws_service_acm,
		         ds->d->region, ds->d, &ds->cfg, &e)) == ACMB_OK &&
		    (ds->rc = acmb_inventory_load(ds->cfg, 1, &ds->inv, &e)) == ACMB_OK) {
			r->res->listing_calls += ds->inv.listing_calls;
			continue;
		}
		r->res->listing_calls += ds->inv.listing_calls;
		snprintf(ds->error, sizeof(ds->error), "%s", e.msg);
	}
}

static void
count_plan(struct acmb_sync_result *res, const struct acmb_plan_item *p)
{
	res->planned[p->action]++;
	res->imports += (size_t)p->imports;
}

/* The tags an entry's certificates carry: the manifest's (defaults merged)
 * and acmbridge's name. */
size_t
acmb_sync_wanted_tags(const struct acmb_manifest_entry *e, struct acmb_acm_tag *out, size_t max)
{
	size_t i, n = 0;

	for (i = 0; i < e->ntags && n + 1 < max; i++) {
		out[n].key = e->tags[i].key;
		out[n].value = e->tags[i].value;
		n++;
	}
	out[n].key = ACMB_SYNC_NAME_TAG;
	out[n].value = e->name;
	return n + 1;
}

/* --refresh-tags: what ACM's tags lack against the manifest, as plan tag
 * changes (added or changed; tags the manifest does not name are left). */
static int
refresh_tags(const struct acmb_sync_dest *ds, const struct acmb_manifest_entry *e,
    struct acmb_plan_item *p, struct acmb_sync_result *res, acmb_err *err)
{
	struct acmb_acm_tag want[ACMB_PLAN_TAGS_MAX];
	struct acmb_acm_tag_list have;
	size_t i, k, n = acmb_sync_wanted_tags(e, want, ACMB_PLAN_TAGS_MAX);
	int r;

	memset(&have, 0, sizeof(have));
	res->tag_calls++;
	if ((r = acmb_acm_list_tags(ds->cfg, p->arn, &have, NULL, err)) != ACMB_OK)
		return r;
	for (i = 0; i < n; i++) {
		const char *old = NULL;
		int found = 0;

		for (k = 0; k < have.count; k++)
			if (strcmp(have.tags[k].key, want[i].key) == 0) {
				found = 1;
				old = have.tags[k].value != NULL ? have.tags[k].value : "";
			}
		if (found && strcmp(old, want[i].value) == 0)
			continue;
		/* The name tag an adoption adds is on the plan already. */
		if (!found && strcmp(want[i].key, ACMB_SYNC_NAME_TAG) == 0 && p->ntags > 0)
			continue;
		acmb_plan_tag_change(p, found ? '~' : '+', want[i].key, want[i].value, old);
	}
	acmb_acm_tag_list_clear(&have);
	return ACMB_OK;
}

static int
plan_entry(struct acmb_sync_run *r, size_t first, size_t last, acmb_err *err)
{
	const struct acmb_manifest_entry *e =
	    acmb_manifest_entry(r->o->manifest, r->pairs[first].entry);
	struct acmb_sync_peek peek;
	acmb_err perr = {0};
	size_t p, idx[256];
	int peek_rc;

	memset(&peek, 0, sizeof(peek));
	peek_rc = acmb_sync_peek(e, r->o->ctx, &peek, &perr);
	for (p = first; p < last; p++) {
		struct acmb_sync_item *it = &r->res->items[p];
		struct acmb_sync_dest *ds = r->pairs[p].ds;
		size_t n, k;

		if (ds->rc != ACMB_OK || ds->cfg == NULL) {
			acmb_plan_item_clear(&it->plan);
			snprintf(it->plan.name, sizeof(it->plan.name), "%s", e->name);
			snprintf(it->plan.region, sizeof(it->plan.region), "%s", ds->d->region);
			it->plan.action = ACMB_PLAN_BLOCKED;
			acmb_plan_reason(&it->plan, "the destination could not be listed");
			acmb_sync_item_fail(it, ds->rc != ACMB_OK ? ds->rc : ACMB_E_INTERRUPTED,
			    "%s", ds->error[0] ? ds->error : "interrupted before the listing");
			continue;
		}
		if (peek_rc != ACMB_OK) {
			acmb_plan_item_clear(&it->plan);
			snprintf(it->plan.name, sizeof(it->plan.name), "%s", e->name);
			snprintf(it->plan.region, sizeof(it->plan.region), "%s", ds->d->region);
			it->plan.action = ACMB_PLAN_BLOCKED;
			acmb_plan_reason(&it->plan, "the source cannot be read: %s", perr.msg);
			acmb_sync_item_fail(it, peek_rc, "%s", perr.msg);
			continue;
		}
		/* Tags only for the few certificates that may be this entry's. */
		n = acmb_sync_candidates(e, r->pairs[p].dest, &peek.src, &ds->inv, idx, 256);
		for (k = 0; k < n; k++) {
			int tr = ds->inv.certs[idx[k]].tags_read;

			if (acmb_inventory_read_tags(ds->cfg, &ds->inv, idx[k], err) != ACMB_OK) {
				acmb_sync_peek_clear(&peek);
				return err != NULL ? err->rc : ACMB_E_AWS;
			}
			if (!tr)
				r->res->tag_calls++;
		}
		if (acmb_sync_decide(e, r->pairs[p].dest, &peek.src, &ds->inv, r->o->now,
		        &it->plan) != ACMB_OK) {
			acmb_sync_peek_clear(&peek);
			return acmb_error(
			    err, ACMB_E_INTERNAL, "certificate %s: no decision", e->name);
		}
		acmb_sync_key_store_reason(e, &it->plan);
		if (r->o->refresh_tags && it->plan.action == ACMB_PLAN_UNCHANGED &&
		    refresh_tags(ds, e, &it->plan, r->res, err) != ACMB_OK) {
			acmb_sync_peek_clear(&peek);
			return err != NULL ? err->rc : ACMB_E_AWS;
		}
	}
	acmb_sync_peek_clear(&peek);
	return ACMB_OK;
}

static void
apply_prune(struct acmb_sync_item *it, const struct acmb_sync_dest *ds)
{
	struct acmb_acm_certificate c;
	acmb_err e = {0};

	/* InUse is read again right before the delete: the listing may be
	 * minutes old. */
	memset(&c, 0, sizeof(c));
	if (acmb_acm_describe_certificate(ds->cfg, it->plan.arn, &c, NULL, &e) != ACMB_OK) {
		acmb_sync_item_fail(it, e.rc, "%s", e.msg);
		return;
	}
	if (c.in_use_by.count > 0) {
		acmb_sync_item_fail(it, ACMB_E_AWS, "not deleted: in use by %s%s", c.in_use_by.v[0],
		    c.in_use_by.count > 1 ? " and others" : "");
		acmb_acm_certificate_clear(&c);
		return;
	}
	acmb_acm_certificate_clear(&c);
	if (acmb_acm_delete_certificate(ds->cfg, it->plan.arn, NULL, &e) != ACMB_OK) {
		acmb_sync_item_fail(it, e.rc, "%s", e.msg);
		return;
	}
	it->applied = 1;
}

static void
tally(struct acmb_sync_result *res)
{
	size_t i;

	res->applied = res->failed = res->not_done = 0;
	for (i = 0; i < res->n; i++) {
		const struct acmb_sync_item *it = &res->items[i];

		if (it->rc == ACMB_E_INTERRUPTED)
			res->not_done++;
		else if (it->rc != ACMB_OK)
			res->failed++;
		else if (it->applied)
			res->applied++;
	}
}

int
acmb_sync_run(const struct acmb_sync_opts *o, struct acmb_sync_result *res, acmb_err *err)
{
	struct acmb_sync_run r;
	size_t i, p, first;
	int rc = ACMB_E_INTERNAL, sig;

	memset(res, 0, sizeof(*res));
	memset(&r, 0, sizeof(r));
	r.o = o;
	r.res = res;
	if (o->prune && o->nonly > 0)
		return acmb_error(err, ACMB_E_USAGE,
		    "--prune with --only: a partial view of the manifest would prune the rest");
	if (o->nshards > 1 && o->shard >= o->nshards)
		return acmb_error(
		    err, ACMB_E_USAGE, "--shard %u/%u: I must be below N", o->shard, o->nshards);
	if ((rc = select_pairs(&r, err)) != ACMB_OK)
		goto out;
	load_destinations(&r);
	if (r.npairs > 0 && (res->items = calloc(r.npairs, sizeof(*res->items))) == NULL) {
		rc = acmb_error(err, ACMB_E_NOMEM, "out of memory");
		goto out;
	}
	res->n = r.npairs;
	/* Plan, one entry at a time (its pairs are consecutive). */
	for (first = 0; first < r.npairs; first = p) {
		for (p = first; p < r.npairs && r.pairs[p].entry == r.pairs[first].entry; p++)
			;
		if (acmb_sync_cancelled(&r) != 0)
			break;
		if ((rc = plan_entry(&r, first, p, err)) != ACMB_OK)
			goto out;
		for (i = first; i < p; i++) {
			count_plan(res, &res->items[i].plan);
			if (o->progress != NULL)
				o->progress(o->progress_arg, i + 1, r.npairs, &res->items[i], 0);
		}
	}
	if (o->prune && !acmb_sync_cancelled(&r)) {
		for (i = 0; i < r.ndests; i++) {
			struct acmb_sync_dest *ds = &r.dests[i];
			struct acmb_plan_item found[64];
			struct acmb_sync_item *grown;
			size_t k, n = 0;

			if (ds->rc != ACMB_OK || ds->cfg == NULL)
				continue;
			/* Which names left the manifest: every imported certificate's
			 * tags (a per-certificate call each, only with --prune). */
			for (k = 0; k < ds->inv.n; k++) {
				int tr = ds->inv.certs[k].tags_read;

				if ((rc = acmb_inventory_read_tags(ds->cfg, &ds->inv, k, err)) !=
				    ACMB_OK)
					goto out;
				if (!tr)
					res->tag_calls++;
			}
			memset(found, 0, sizeof(found));
			rc = acmb_sync_prune(o->manifest, &ds->inv, found, 64, &n);
			for (k = 0; k < n && rc == ACMB_OK; k++) {
				const struct acmb_manifest_destination d = {
				    .region = found[k].region};

				if (o->nshards > 1 &&
				    acmb_sync_shard(found[k].name, &d, o->nshards) != o->shard)
					continue;
				if ((grown = realloc(res->items, (res->n + 1) * sizeof(*grown))) ==
				    NULL) {
					rc = ACMB_E_NOMEM;
					break;
				}
				res->items = grown;
				memset(&res->items[res->n], 0, sizeof(res->items[0]));
				/* The copy moves what found[k] owns into the result. */
				res->items[res->n].plan = found[k];
				memset(&found[k], 0, sizeof(found[k]));
				count_plan(res, &res->items[res->n].plan);
				/* Apply finds the destination through the pair table. */
				res->n++;
			}
			for (k = 0; k < n; k++)
				acmb_plan_item_clear(&found[k]);
			if (rc != ACMB_OK) {
				rc = acmb_error(err, rc, "--prune: %s", acmb_strerror(rc));
				goto out;
			}
		}
	}
	res->listing_calls = 0;
	for (i = 0; i < r.ndests; i++)
		res->listing_calls += r.dests[i].inv.listing_calls;
	if ((sig = acmb_sync_cancelled(&r)) != 0) {
		res->interrupted = sig;
		for (i = 0; i < res->n; i++)
			if (res->items[i].rc == ACMB_OK && !res->items[i].applied &&
			    res->items[i].plan.region[0] == '\0')
				acmb_sync_item_fail(
				    &res->items[i], ACMB_E_INTERRUPTED, "not planned: interrupted");
	}
	if (o->dry_run || res->interrupted) {
		tally(res);
		rc = res->interrupted
		         ? acmb_error(err, ACMB_E_INTERRUPTED,
		               "interrupted by signal %d while planning; nothing was changed",
		               res->interrupted)
		         : ACMB_OK;
		goto out;
	}
	/* Apply: the destinations in parallel (sync-apply.c). */
	acmb_sync_apply(&r);
	for (i = r.npairs; i < res->n; i++) {
		struct acmb_sync_item *it = &res->items[i];
		size_t k;

		if (it->plan.action != ACMB_PLAN_PRUNE || it->rc != ACMB_OK)
			continue;
		if ((sig = acmb_sync_cancelled(&r)) != 0) {
			acmb_sync_item_fail(
			    it, ACMB_E_INTERRUPTED, "not done: interrupted by signal %d", sig);
			continue;
		}
		for (k = 0; k < r.ndests; k++)
			if (strcmp(r.dests[k].d->region, it->plan.region) == 0)
				break;
		if (k < r.ndests)
			apply_prune(it, &r.dests[k]);
		if (o->progress != NULL)
			o->progress(o->progress_arg, i + 1, res->n, it, 1);
	}
	tally(res);
	if ((sig = acmb_sync_cancelled(&r)) != 0) {
		res->interrupted = sig;
		rc = acmb_error(err, ACMB_E_INTERRUPTED,
		    "interrupted by signal %d: %zu items done, %zu not done (a rerun converges)",
		    sig, res->applied, res->not_done);
		goto out;
	}
	rc = ACMB_OK;
out:
	for (i = 0; i < r.ndests; i++)
		acmb_inventory_clear(&r.dests[i].inv);
	free(r.dests);
	free(r.pairs);
	return rc;
}

int
acmb_sync_exit_code(const struct acmb_sync_result *res, int dry_run)
{
	size_t i;
	int blocked = 0, pending = 0;

	for (i = 0; i < res->n; i++) {
		const struct acmb_sync_item *it = &res->items[i];

		if (it->rc != ACMB_OK && it->rc != ACMB_E_INTERRUPTED)
			return acmb_exit_code(it->rc);
		if (it->plan.action == ACMB_PLAN_BLOCKED)
			blocked = 1;
		else if (it->plan.action != ACMB_PLAN_UNCHANGED || it->plan.ntags > 0)
			pending = 1;
	}
	if (blocked)
		return ACMB_EXIT_SYNC_BLOCKED;
	return dry_run && pending ? ACMB_EXIT_SYNC_PENDING : ACMB_EXIT_OK;
}

void
acmb_sync_result_clear(struct acmb_sync_result *res)
{
	size_t i;

	if (res == NULL)
		return;
	for (i = 0; i < res->n; i++) {
		acmb_plan_item_clear(&res->items[i].plan);
		free(res->items[i].error);
		free(res->items[i].arn);
	}
	free(res->items);
	memset(res, 0, sizeof(*res));
}
