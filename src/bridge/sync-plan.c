/*
 * sync's decisions (see sync-plan.h). The order of the checks is the order
 * an operator would ask the questions: which certificate in ACM is this
 * entry's, may we touch it, does the entry's service list fit, and then
 * whether the source moved on or a renewal is due.
 */
#include <string.h>
#include <strings.h>

#include "sync-plan.h"

#define DAY 86400

static int
has_domain(const struct acmb_sync_source *src, const char *d)
{
	size_t i;

	for (i = 0; d != NULL && i < src->ndomains; i++)
		if (strcasecmp(src->domains[i], d) == 0)
			return 1;
	return 0;
}

static const char *
adopted_arn(const struct acmb_manifest_entry *e, const char *region)
{
	size_t i;

	for (i = 0; i < e->nadopt; i++)
		if (strcmp(e->adopt[i].region, region) == 0)
			return e->adopt[i].arn;
	return NULL;
}

size_t
acmb_sync_candidates(const struct acmb_manifest_entry *e, size_t dest,
    const struct acmb_sync_source *src, const struct acmb_inventory *inv, size_t *idx, size_t max)
{
	const char *adopt = adopted_arn(e, e->destinations[dest].region);
	size_t i, j, n = 0;

	/* ACM holds the source's very certificate (same serial, from the
	 * search's answer): that is the decision, unchanged, and it needs no
	 * tag. This is what keeps a run over unchanged entries free of
	 * per-certificate calls. */
	if (src->known && inv->searched && adopt == NULL)
		for (i = 0; i < inv->n; i++)
			if (inv->certs[i].serial != NULL &&
			    strcmp(inv->certs[i].serial, src->serial) == 0 &&
			    (inv->certs[i].type == NULL ||
			        strcmp(inv->certs[i].type, "IMPORTED") == 0))
				return 0;
	for (i = 0; i < inv->n && n < max; i++) {
		const struct acmb_inventory_cert *c = &inv->certs[i];
		int want = 0;

		if (c->type != NULL && strcmp(c->type, "IMPORTED") != 0)
			continue;
		if ((adopt != NULL && strcmp(c->arn, adopt) == 0) ||
		    (src->known && c->serial != NULL && strcmp(c->serial, src->serial) == 0))
			want = 1;
		else
			/* The previous certificate of the entry shares a domain with
			 * the new one (and a ListCertificates answer has no serials,
			 * so there the domain is all that narrows it down). */
			want = has_domain(src, c->domain);
		for (j = 0; !want && j < c->nsans; j++)
			want = has_domain(src, c->sans[j]);
		/* A private-ca entry has no source certificate to compare: any
		 * imported certificate may be its own, so its name tag decides.
		 * Domains narrow that down when the entry names some. */
		if (!want && !src->known && e->source == ACMB_MANIFEST_PRIVATE_CA) {
			for (j = 0; j < e->private_ca.ndns && !want; j++)
				want = c->domain != NULL &&
				       strcasecmp(c->domain, e->private_ca.dns_names[j]) == 0;
			if (e->private_ca.ndns == 0)
				want = 1;
		}
		if (want)
			idx[n++] = i;
	}
	return n;
}

time_t
acmb_sync_renew_at(const struct acmb_manifest_renew *rb, time_t nb, time_t na)
{
	if (rb->percent > 0 && na > nb)
		return na - (time_t)((long long)(na - nb) * rb->percent / 100);
	return na - (time_t)rb->seconds;
}

static int
fill_destination(struct acmb_plan_item *it, const struct acmb_manifest_entry *e, size_t dest)
{
	const struct acmb_manifest_destination *d = &e->destinations[dest];

	acmb_plan_item_clear(it);
	snprintf(it->name, sizeof(it->name), "%s", e->name);
	snprintf(it->region, sizeof(it->region), "%s", d->region);
	if (d->profile != NULL)
		snprintf(it->profile, sizeof(it->profile), "%s", d->profile);
	return acmb_plan_item_set_role_arn(it, d->role_arn);
}

static const char *
short_serial(const char *s, char *buf, size_t size)
{
	/* Enough of a serial to tell two apart in a reason line. */
	if (s == NULL)
		return "?";
	if (strlen(s) <= 11)
		return s;
	snprintf(buf, size, "%.11s..", s);
	return buf;
}

static long
days_between(time_t from, time_t to)
{
	return (long)((to - from) / DAY);
}

/* The services the entry asks for, against its destinations and its key. */
static int
services_block(const struct acmb_manifest_entry *e, const struct acmb_sync_source *src,
    struct acmb_plan_item *it)
{
	static const struct {
		const char *name;
		enum acmb_service s;
		int needs_us_east_1;
	} svc[] = {
	    {"cloudfront", ACMB_SERVICE_CLOUDFRONT, 1},
	    {"apigateway-edge", ACMB_SERVICE_APIGW_EDGE, 1},
	    {"alb", ACMB_SERVICE_ALB, 0},
	    {"nlb", ACMB_SERVICE_NLB, 0},
	};
	struct acmb_service_result res[ACMB_SERVICE_COUNT];
	size_t i, k;

	if (src->known)
		acmb_services_judge(src->key_algorithm, res);
	for (i = 0; i < sizeof(svc) / sizeof(svc[0]); i++) {
		if (!(e->services & ACMB_MANIFEST_SERVICE(svc[i].s)))
			continue;
		if (svc[i].needs_us_east_1) {
			for (k = 0; k < e->ndestinations; k++)
				if (strcmp(e->destinations[k].region, "us-east-1") == 0)
					break;
			if (k == e->ndestinations) {
				acmb_plan_reason(it,
				    "%s needs the certificate in us-east-1, and no destination is "
				    "us-east-1",
				    svc[i].name);
				return 1;
			}
		}
		if (src->known && !res[svc[i].s].ok) {
			acmb_plan_reason(
			    it, "%s cannot use this key: %s", svc[i].name, res[svc[i].s].detail);
			return 1;
		}
	}
	return 0;
}

int
acmb_sync_decide(const struct acmb_manifest_entry *e, size_t dest,
    const struct acmb_sync_source *src, const struct acmb_inventory *inv, time_t now,
    struct acmb_plan_item *it)
{
	const struct acmb_inventory_cert *target = NULL, *by_serial = NULL;
	const char *adopt;
	char a[16], b[16];
	size_t i, named = 0;
	time_t renew_at;

	int rc;

	if (e == NULL || dest >= e->ndestinations || src == NULL || inv == NULL || it == NULL)
		return ACMB_E_INTERNAL;
	if ((rc = fill_destination(it, e, dest)) != ACMB_OK)
		return rc;
	if (src->known) {
		snprintf(it->sha256, sizeof(it->sha256), "%s", src->sha256);
		snprintf(it->serial, sizeof(it->serial), "%s", src->serial);
	}

	/* 1. Which certificate in ACM is this entry's. */
	adopt = adopted_arn(e, it->region);
	if (adopt != NULL) {
		if ((target = acmb_inventory_find_arn(inv, adopt)) == NULL) {
			it->action = ACMB_PLAN_BLOCKED;
			acmb_plan_reason(
			    it, "certificate-arn %s is not in %s's listing", adopt, it->region);
			return ACMB_OK;
		}
		if (target->tags_read && target->name_tag != NULL &&
		    strcmp(target->name_tag, e->name) != 0) {
			it->action = ACMB_PLAN_BLOCKED;
			if ((rc = acmb_plan_item_set_arn(it, target->arn)) != ACMB_OK)
				return rc;
			acmb_plan_reason(it, "certificate-arn is tagged acmbridge:name=%s, not %s",
			    target->name_tag, e->name);
			return ACMB_OK;
		}
	} else {
		for (i = 0; i < inv->n; i++) {
			const struct acmb_inventory_cert *c = &inv->certs[i];

			if (c->tags_read && c->name_tag != NULL &&
			    strcmp(c->name_tag, e->name) == 0) {
				if (named++ == 0) {
					target = c;
				} else {
					it->action = ACMB_PLAN_BLOCKED;
					if ((rc = acmb_plan_item_set_arn(it, target->arn)) !=
					    ACMB_OK)
						return rc;
					acmb_plan_reason(it,
					    "two certificates claim acmbridge:name=%s: %s and %s; "
					    "delete or "
					    "retag one",
					    e->name, target->arn, c->arn);
					return ACMB_OK;
				}
			}
			if (src->known && c->serial != NULL &&
			    strcmp(c->serial, src->serial) == 0 &&
			    (c->type == NULL || strcmp(c->type, "IMPORTED") == 0) &&
			    by_serial == NULL)
				by_serial = c;
		}
		if (target == NULL && by_serial != NULL &&
		    !(by_serial->tags_read && by_serial->name_tag != NULL)) {
			/* The source's own certificate: ours whatever its tags say.
			 * Imported before without a name (by `import`), it gets the
			 * name; whose tags were not read (no need), --refresh-tags
			 * compares them. */
			target = by_serial;
			if (by_serial->tags_read &&
			    (rc = acmb_plan_tag_change(it, '+', "acmbridge:name", e->name, NULL)) !=
			        ACMB_OK)
				return rc;
		}
	}

	/* 2. May we touch it. */
	if (target != NULL) {
		if ((rc = acmb_plan_item_set_arn(it, target->arn)) != ACMB_OK)
			return rc;
		it->not_after = target->not_after;
		if (target->managed_by != NULL && target->managed_by[0] != '\0') {
			it->action = ACMB_PLAN_BLOCKED;
			acmb_plan_reason(it,
			    "ACM marks it ManagedBy %s: acmbridge never touches it",
			    target->managed_by);
			return ACMB_OK;
		}
		if (target->key_origin != NULL && strcasecmp(target->key_origin, "ACME") == 0) {
			it->action = ACMB_PLAN_BLOCKED;
			acmb_plan_reason(it,
			    "its key pair comes from ACME (CertificateKeyPairOrigin): "
			    "acmbridge never touches it");
			return ACMB_OK;
		}
		if (target->type != NULL && strcmp(target->type, "IMPORTED") != 0) {
			it->action = ACMB_PLAN_BLOCKED;
			acmb_plan_reason(it,
			    "it is of type %s; only IMPORTED certificates can be reimported",
			    target->type);
			return ACMB_OK;
		}
	}

	/* 3. The entry's services. */
	if (services_block(e, src, it)) {
		it->action = ACMB_PLAN_BLOCKED;
		return ACMB_OK;
	}

	/* 4. What to do. */
	if (e->source == ACMB_MANIFEST_PRIVATE_CA) {
		if (target == NULL) {
			it->action = ACMB_PLAN_CREATE;
			it->imports = 1;
			acmb_plan_reason(it, "not in ACM yet: issue from Private CA, then import");
			return ACMB_OK;
		}
		renew_at =
		    acmb_sync_renew_at(&e->renew_before, target->not_before, target->not_after);
		it->renew_at = renew_at;
		if (now >= renew_at) {
			it->action = ACMB_PLAN_RENEW;
			it->imports = 1;
			if (now >= target->not_after)
				acmb_plan_reason(it,
				    "expired %ld d ago: issue a new certificate, reimport",
				    days_between(target->not_after, now));
			else
				acmb_plan_reason(it, "expires in %ld d, renewal due since %ld d",
				    days_between(now, target->not_after),
				    days_between(renew_at, now));
			return ACMB_OK;
		}
		it->action = ACMB_PLAN_UNCHANGED;
		acmb_plan_reason(it, "expires in %ld d; renewal due in %ld d",
		    days_between(now, target->not_after), days_between(now, renew_at));
		return ACMB_OK;
	}
	if (!src->known)
		return ACMB_E_INTERNAL;
	if (target == NULL) {
		it->action = ACMB_PLAN_CREATE;
		it->imports = 1;
		acmb_plan_reason(it, "not in ACM yet");
		return ACMB_OK;
	}
	renew_at = acmb_sync_renew_at(&e->renew_before, src->not_before, src->not_after);
	it->renew_at = renew_at;
	if (target->serial != NULL
	        ? strcmp(target->serial, src->serial) == 0
	        : (target->sha256_tag != NULL && strcmp(target->sha256_tag, src->sha256) == 0)) {
		it->action = ACMB_PLAN_UNCHANGED;
		if (now >= renew_at)
			acmb_plan_reason(it,
			    "expires in %ld d, inside renew-before: the source has not renewed it "
			    "yet",
			    days_between(now, src->not_after));
		else
			acmb_plan_reason(it, "expires in %ld d", days_between(now, src->not_after));
		return ACMB_OK;
	}
	if (target->not_after != 0 && src->not_after < target->not_after) {
		it->action = ACMB_PLAN_BLOCKED;
		acmb_plan_reason(it,
		    "the source's certificate ends before the one ACM holds (%ld d earlier): "
		    "refusing to go back",
		    days_between(src->not_after, target->not_after));
		return ACMB_OK;
	}
	it->action = ACMB_PLAN_REIMPORT;
	it->imports = 1;
	acmb_plan_reason(it, "serial %s -> %s", short_serial(target->serial, a, sizeof(a)),
	    short_serial(src->serial, b, sizeof(b)));
	return ACMB_OK;
}

int
acmb_sync_prune(const struct acmb_manifest *m, const struct acmb_inventory *inv,
    struct acmb_plan_item *items, size_t max, size_t *count)
{
	size_t i, n = 0;
	int rc;

	*count = 0;
	for (i = 0; i < inv->n && n < max; i++) {
		const struct acmb_inventory_cert *c = &inv->certs[i];
		struct acmb_plan_item *it;

		if (!c->tags_read || c->name_tag == NULL ||
		    acmb_manifest_find(m, c->name_tag) != NULL)
			continue;
		it = &items[n];
		acmb_plan_item_clear(it);
		snprintf(it->name, sizeof(it->name), "%s", c->name_tag);
		snprintf(it->region, sizeof(it->region), "%s", inv->region);
		/* items[0..n) are the caller's to clear whatever happens. */
		*count = ++n;
		if ((rc = acmb_plan_item_set_arn(it, c->arn)) != ACMB_OK)
			return rc;
		it->not_after = c->not_after;
		if (c->in_use != 0) {
			it->action = ACMB_PLAN_BLOCKED;
			acmb_plan_reason(it, "%s left the manifest but ACM says it is %s",
			    c->name_tag, c->in_use > 0 ? "in use" : "perhaps in use (unknown)");
		} else {
			it->action = ACMB_PLAN_PRUNE;
			acmb_plan_reason(it, "%s left the manifest and is not in use", c->name_tag);
		}
	}
	return ACMB_OK;
}

static uint64_t
fnv1a(uint64_t h, const char *s)
{
	/* FNV-1a, written out: a stable, dependency-free hash is all that
	 * sharding needs (not a security property). Each part ends with a 0
	 * byte so "ab"+"c" and "a"+"bc" differ. */
	for (; s != NULL && *s != '\0'; s++) {
		h ^= (unsigned char)*s;
		h *= 1099511628211ULL;
	}
	h ^= 0;
	h *= 1099511628211ULL;
	return h;
}

unsigned
acmb_sync_shard(const char *name, const struct acmb_manifest_destination *d, unsigned n)
{
	uint64_t h = 14695981039346656037ULL;

	if (n <= 1)
		return 0;
	h = fnv1a(h, name);
	h = fnv1a(h, d->region);
	h = fnv1a(h, d->profile);
	h = fnv1a(h, d->role_arn);
	return (unsigned)(h % n);
}
