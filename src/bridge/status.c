/*
 * Status rows: the inventories flattened, joined to the manifest, sorted by
 * days left (see status.h).
 */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "status.h"

#define DAY 86400

static long
days_left(time_t now, time_t na)
{
	/* Floor division: a certificate that ended an hour ago has -1 days. */
	long long d = (long long)na - (long long)now;

	return (long)(d >= 0 ? d / DAY : -((-d + DAY - 1) / DAY));
}

static int
by_days(const void *a, const void *b)
{
	const struct acmb_status_row *x = a, *y = b;
	int c;

	if (x->days_left != y->days_left)
		return x->days_left < y->days_left ? -1 : 1;
	if ((c = strcmp(x->region, y->region)) != 0)
		return c;
	return strcmp(x->cert->arn, y->cert->arn);
}

/* The entry whose source names the certificate's domain, for adoption. */
static const struct acmb_manifest_entry *
entry_for_domain(const struct acmb_manifest *m, const struct acmb_sync_source *sources,
    const struct acmb_inventory_cert *c)
{
	size_t i, j;

	/* The certificate's domain and its SANs against each entry's names. */
	for (j = 0; j <= c->nsans; j++) {
		const char *d = j == 0 ? c->domain : c->sans[j - 1];
		size_t k;

		if (d == NULL)
			continue;
		for (i = 0; i < acmb_manifest_count(m); i++) {
			const struct acmb_manifest_entry *e = acmb_manifest_entry(m, i);

			for (k = 0; sources != NULL && k < sources[i].ndomains; k++)
				if (strcasecmp(sources[i].domains[k], d) == 0)
					return e;
			for (k = 0; e->source == ACMB_MANIFEST_PRIVATE_CA && k < e->private_ca.ndns;
			     k++)
				if (strcasecmp(e->private_ca.dns_names[k], d) == 0)
					return e;
		}
	}
	return NULL;
}

static size_t
entry_index(const struct acmb_manifest *m, const struct acmb_manifest_entry *e)
{
	size_t i;

	for (i = 0; i < acmb_manifest_count(m); i++)
		if (acmb_manifest_entry(m, i) == e)
			return i;
	return 0;
}

static void
plan_row(struct acmb_status_row *r, const struct acmb_manifest *m,
    const struct acmb_sync_source *sources, const struct acmb_inventory *inv, time_t now)
{
	const struct acmb_manifest_entry *e = acmb_manifest_find(m, r->name);
	struct acmb_sync_source none = {0};
	struct acmb_plan_item it = {0};
	size_t d;

	if (e == NULL) {
		r->has_plan = 1;
		r->next_action = ACMB_PLAN_PRUNE;
		snprintf(r->reason, sizeof(r->reason),
		    "%s is not in the manifest: sync --prune would delete it%s", r->name,
		    r->cert->in_use > 0 ? ", but it is in use" : "");
		return;
	}
	for (d = 0; d < e->ndestinations; d++)
		if (strcmp(e->destinations[d].region, r->region) == 0)
			break;
	if (d == e->ndestinations)
		return; /* tagged with the name, in a region the entry no longer lists */
	if (acmb_sync_decide(e, d, sources != NULL ? &sources[entry_index(m, e)] : &none, inv, now,
	        &it) == ACMB_OK) {
		r->has_plan = 1;
		r->next_action = it.action;
		r->renew_at = it.renew_at;
		snprintf(r->reason, sizeof(r->reason), "%s", it.reason);
	}
	acmb_plan_item_clear(&it);
}

int
acmb_status_rows(struct acmb_inventory *const *invs, size_t ninv, const struct acmb_manifest *m,
    const struct acmb_sync_source *sources, time_t now, struct acmb_status_row **rows,
    size_t *nrows, struct acmb_status_summary *sum, acmb_err *err)
{
	struct acmb_status_row *out = NULL;
	size_t i, k, n = 0, total = 0;

	*rows = NULL;
	*nrows = 0;
	memset(sum, 0, sizeof(*sum));
	for (i = 0; i < ninv; i++)
		total += invs[i]->n;
	if (total == 0)
		return ACMB_OK;
	if ((out = calloc(total, sizeof(*out))) == NULL)
		return acmb_error(err, ACMB_E_NOMEM, "out of memory");
	for (i = 0; i < ninv; i++) {
		const struct acmb_inventory *inv = invs[i];

		for (k = 0; k < inv->n; k++) {
			const struct acmb_inventory_cert *c = &inv->certs[k];
			struct acmb_status_row *r = &out[n++];
			int imported = c->type != NULL && strcmp(c->type, "IMPORTED") == 0;

			r->cert = c;
			r->region = inv->region;
			r->name = c->tags_read ? c->name_tag : NULL;
			r->days_left = days_left(now, c->not_after);
			sum->certificates++;
			if (r->name != NULL)
				sum->managed++;
			else
				sum->unmanaged++;
			if (c->not_after != 0 && c->not_after <= now)
				sum->expired++;
			else if (c->not_after != 0 && r->days_left < 30)
				sum->expiring_30d++;
			if (c->in_use > 0)
				sum->in_use++;
			if (imported) {
				sum->imported++;
				if (c->imported_at != 0 && now - c->imported_at < 365L * DAY)
					sum->imports_last_365d++;
			}
			if (m == NULL)
				continue;
			if (r->name != NULL) {
				plan_row(r, m, sources, inv, now);
			} else if (imported &&
			           (c->managed_by == NULL || c->managed_by[0] == '\0')) {
				const struct acmb_manifest_entry *e =
				    entry_for_domain(m, sources, c);

				if (e != NULL) {
					r->adoptable = 1;
					r->adopt_name = e->name;
					sum->adoptable++;
				}
			}
		}
	}
	if (n > 1)
		qsort(out, n, sizeof(*out), by_days);
	*rows = out;
	*nrows = n;
	return ACMB_OK;
}
