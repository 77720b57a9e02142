/*
 * acmbridge sync, the apply half (sync-run.h): the destinations in parallel,
 * each entry's key loaded once for all its destinations.
 *
 * One worker thread per destination (at most --max-parallel; destinations
 * that share a configuration share a worker) walks the run's items in plan
 * order and carries out those of its destinations, at that destination's
 * quota (the rate limits of the AWS layer). The run's own thread loads the
 * keys, entry after entry, at most --max-parallel of them at a time: a key
 * is read from its source, judged by every ACM rule, written once as the PEM
 * ImportCertificate sends (locked memory) and its parsed form wiped; the PEM
 * is wiped when the last of the entry's destinations has imported it.
 *
 * New imports skip the per-import look that converges racing runs on one
 * copy (import-converge.h): each destination waits ACMB_IMPORT_SETTLE once
 * after its last import, lists again once, and converges only the
 * certificates ACM shows more than once (or not yet).
 *
 * What threads share is guarded here (the lock: loads, progress, audit) or
 * in the layer that owns it (the rate limiter, the test clock, credential
 * refresh). Private CA entries and token sources go through the context's
 * tokens and caches, which are not shared between threads: they run one at
 * a time, under ctx_lock.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/x509.h>

#include "acm/aws-arn.h"
#include "acm/aws-http.h"
#include "audit.h"
#include "import-converge.h"
#include "import.h"
#include "issue.h"
#include "material.h"
#include "secmem.h"
#include "sync-keystore.h"
#include "sync-run.h"
#include "sync-source.h"

/* Load states. */
#define LOAD_NONE 0    /* the entry imports nothing: no key */
#define LOAD_WAITING 1 /* not loaded yet */
#define LOAD_READY 2
#define LOAD_FAILED 3

/* One entry's key, shared by the workers of its destinations. */
struct load {
	size_t first, last; /* its pairs */
	int state;
	size_t refs;              /* imports still to make with it */
	struct acmb_material *m;  /* certificate and chain; the key is wiped at once */
	acmb_secbuf *key_pem;     /* what ImportCertificate sends */
	struct acmb_audit *audit; /* the export's record (token sources), or NULL */
	int rc;                   /* LOAD_FAILED: why */
	char error[ACMB_ERRMSG_MAX];
};

struct apply {
	struct acmb_sync_run *r;
	pthread_mutex_t lock;     /* loads, live_keys, done, audit, progress */
	pthread_cond_t changed;   /* a load's state or live_keys changed */
	pthread_mutex_t ctx_lock; /* the context's tokens and caches */
	struct load *loads;
	size_t nloads;
	size_t live_keys, max_keys;
	/* Loads holding an audit record (token exports): the context's audit
	 * log has one attempt open at a time, so the next key is loaded once
	 * the attempt before it is finished or abandoned. */
	size_t audits_live;
	size_t done;   /* items finished, for the progress line */
	int go;        /* workers wait for 1 (work) or -1 (leave: no thread may run) */
	X509 **leaves; /* per pair: the leaf of a new import still to converge */
};

struct worker {
	struct apply *a;
	size_t id;
	pthread_t thread;
	int started;
};

static double
mono_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Waits on the condition for at most 100 ms: a signal does not wake a
 * condition wait, so the cancel flag is looked at between waits. */
static void
wait_changed(struct apply *a)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	ts.tv_nsec += 100000000L;
	if (ts.tv_nsec >= 1000000000L) {
		ts.tv_sec++;
		ts.tv_nsec -= 1000000000L;
	}
	(void)pthread_cond_timedwait(&a->changed, &a->lock, &ts);
}

static void
progress(struct apply *a, const struct acmb_sync_item *it)
{
	const struct acmb_sync_opts *o = a->r->o;

	pthread_mutex_lock(&a->lock);
	a->done++;
	if (o->progress != NULL)
		o->progress(o->progress_arg, a->done, a->r->npairs, it, 1);
	pthread_mutex_unlock(&a->lock);
}

static void
interrupted(struct acmb_sync_item *it, int sig)
{
	acmb_sync_item_fail(it, ACMB_E_INTERRUPTED, "not done: interrupted by signal %d", sig);
}

/* 1 when the item is an import that needs its entry's key. */
static int
needs_key(const struct acmb_sync_run *r, size_t p)
{
	const struct acmb_manifest_entry *e =
	    acmb_manifest_entry(r->o->manifest, r->pairs[p].entry);
	const struct acmb_sync_item *it = &r->res->items[p];

	return e->source != ACMB_MANIFEST_PRIVATE_CA && it->rc == ACMB_OK &&
	       (it->plan.action == ACMB_PLAN_CREATE || it->plan.action == ACMB_PLAN_REIMPORT);
}

/* ---- quotas ------------------------------------------------------------ */

/* 1 when err is ACM's LimitExceededException, a quota and not a rate:
 * retrying cannot help, and neither can the next item in that destination.
 * acmb_err carries the AWS code only in its text (aws-http.c writes
 * "OPERATION: CODE: message"), so the code is looked for there. */
static int
quota_reached(const acmb_err *err)
{
	return err->rc == ACMB_E_AWS && strstr(err->msg, ": LimitExceededException:") != NULL;
}

/* An import or issue into ds failed with err: a quota stops ds. */
static void
note_quota(struct acmb_sync_dest *ds, const struct acmb_manifest_entry *e, const acmb_err *err)
{
	if (ds->quota_hit_by[0] == '\0' && quota_reached(err))
		snprintf(ds->quota_hit_by, sizeof(ds->quota_hit_by), "%s", e->name);
}

/* Fails it without a request when ds is stopped by a quota; returns 1 then. */
static int
quota_stopped(const struct acmb_sync_dest *ds, struct acmb_sync_item *it)
{
	if (ds->quota_hit_by[0] == '\0')
		return 0;
	acmb_sync_item_fail(it, ACMB_E_AWS,
	    "not sent: ACM's certificate quota is reached in %s (LimitExceededException "
	    "importing %s), so nothing more goes there this run; delete unused "
	    "certificates or request a quota increase, then run sync again",
	    ds->d->region, ds->quota_hit_by);
	return 1;
}

/* ---- the keys (the run's own thread) ------------------------------------ */

static void
load_fail(struct load *l, const acmb_err *err)
{
	l->rc = err->rc != ACMB_OK ? err->rc : ACMB_E_INTERNAL;
	snprintf(l->error, sizeof(l->error), "%s", err->msg);
}

/* Reads entry l's key for its first import, judges it and writes the PEM;
 * the parsed key is wiped before this returns. Called without the lock. */
static void
load_key(struct apply *a, struct load *l)
{
	struct acmb_sync_run *r = a->r;
	const struct acmb_manifest_entry *e =
	    acmb_manifest_entry(r->o->manifest, r->pairs[l->first].entry);
	struct acmb_rules_report *rep = NULL;
	struct acmb_audit *audit = NULL;
	struct acmb_material *m = NULL;
	char account[32] = "";
	const char *region = NULL;
	acmb_err err = {0};
	size_t p, k;
	int rc;

	for (p = l->first; p < l->last; p++)
		if (needs_key(r, p)) {
			region = r->pairs[p].ds->d->region;
			acmb_arn_field(
			    r->res->items[p].plan.arn, ACMB_ARN_ACCOUNT, account, sizeof(account));
			break;
		}
	/* Token sources share the context's sessions. */
	pthread_mutex_lock(&a->ctx_lock);
	rc = acmb_sync_load(
	    e, region, account[0] ? account : NULL, r->o->now, r->o->ctx, &m, &rep, &audit, &err);
	pthread_mutex_unlock(&a->ctx_lock);
	if (rc != ACMB_OK) {
		m = NULL;
		load_fail(l, &err);
		goto out;
	}
	if (!rep->ok) {
		const char *broken = "?";

		for (k = 0; k < rep->nresults; k++)
			if (!rep->results[k].ok) {
				broken = rep->results[k].rule;
				break;
			}
		acmb_error(&err, ACMB_E_RULE,
		    "the material breaks ACM's import rules (first: %s); nothing was sent "
		    "(acmbridge check shows every rule)",
		    broken);
		load_fail(l, &err);
		goto out;
	}
	if (acmb_material_key_pem(m, &l->key_pem, &err) != ACMB_OK) {
		load_fail(l, &err);
		goto out;
	}
	/* From here the PEM is the key's one copy. */
	EVP_PKEY_free(m->key);
	m->key = NULL;
	l->m = m;
	m = NULL;
	l->audit = audit;
	audit = NULL;
out:
	acmb_material_free(m);
	free(rep);
	if (audit != NULL) {
		/* The context's one audit log: written under its lock. */
		pthread_mutex_lock(&a->ctx_lock);
		acmb_audit_close(audit);
		pthread_mutex_unlock(&a->ctx_lock);
	}
}

/* Drops one use of l's key (the lock held): the last one wipes it. */
static void
load_release(struct apply *a, struct load *l)
{
	if (l->refs == 0 || --l->refs > 0)
		return;
	acmb_secbuf_free(l->key_pem);
	l->key_pem = NULL;
	acmb_material_free(l->m);
	l->m = NULL;
	if (l->audit != NULL) {
		pthread_mutex_lock(&a->ctx_lock);
		acmb_audit_close(l->audit);
		pthread_mutex_unlock(&a->ctx_lock);
		l->audit = NULL;
		a->audits_live--;
	}
	a->live_keys--;
	pthread_cond_broadcast(&a->changed);
}

/* Loads l (a key slot taken: live_keys counts it) and tells the workers. */
static void
load_one(struct apply *a, struct load *l)
{
	size_t p, n = 0;

	load_key(a, l);
	pthread_mutex_lock(&a->lock);
	for (p = l->first; p < l->last; p++)
		n += (size_t)needs_key(a->r, p);
	if (l->key_pem != NULL) {
		l->refs = n + 1;
		l->state = LOAD_READY;
		a->audits_live += l->audit != NULL;
		/* The loader's own use, dropped here: with no import left to
		 * make (n == 0, not expected) the key goes at once. */
		load_release(a, l);
	} else {
		l->state = LOAD_FAILED;
		a->live_keys--;
	}
	pthread_cond_broadcast(&a->changed);
	pthread_mutex_unlock(&a->lock);
}

/* The run's thread: every entry's key in plan order, at most max_keys at a
 * time; once the run is cancelled the rest fail as not done. */
static void
load_all(struct apply *a)
{
	size_t i;
	int sig = 0;

	for (i = 0; i < a->nloads; i++) {
		struct load *l = &a->loads[i];

		if (l->state == LOAD_NONE)
			continue;
		pthread_mutex_lock(&a->lock);
		while ((a->live_keys >= a->max_keys || a->audits_live > 0) &&
		       (sig = acmb_sync_cancelled(a->r)) == 0)
			wait_changed(a);
		if (sig == 0)
			sig = acmb_sync_cancelled(a->r);
		if (sig != 0) {
			for (; i < a->nloads; i++)
				if (a->loads[i].state == LOAD_WAITING) {
					a->loads[i].state = LOAD_FAILED;
					a->loads[i].rc = ACMB_E_INTERRUPTED;
					snprintf(a->loads[i].error, sizeof(a->loads[i].error),
					    "not done: interrupted by signal %d", sig);
				}
			pthread_cond_broadcast(&a->changed);
			pthread_mutex_unlock(&a->lock);
			return;
		}
		a->live_keys++;
		pthread_mutex_unlock(&a->lock);
		load_one(a, l);
	}
}

/* ---- one item (a worker thread) ----------------------------------------- */

static void
apply_tags(struct acmb_sync_item *it, const struct acmb_sync_dest *ds)
{
	struct acmb_acm_tag add[ACMB_PLAN_TAGS_MAX];
	size_t i, n = 0;
	acmb_err e = {0};

	for (i = 0; i < it->plan.ntags; i++)
		if (it->plan.tags[i].op != '-') {
			add[n].key = it->plan.tags[i].key;
			add[n].value = it->plan.tags[i].value;
			n++;
		}
	/* AddTagsToCertificate overwrites a changed value in place. */
	if (n > 0 && acmb_acm_add_tags(ds->cfg, it->plan.arn, add, n, NULL, &e) != ACMB_OK) {
		acmb_sync_item_fail(it, e.rc, "%s", e.msg);
		return;
	}
	it->applied = 1;
	it->arn = it->plan.arn != NULL ? strdup(it->plan.arn) : NULL;
}

static void
apply_issue(struct apply *a, const struct acmb_manifest_entry *e, struct acmb_sync_item *it,
    struct acmb_sync_dest *ds)
{
	struct acmb_sync_run *r = a->r;
	struct acmb_acm_tag tags[ACMB_PLAN_TAGS_MAX];
	struct acmb_issue_opts io;
	struct acmb_issue_result ir;
	struct acmb_sync_key_store ks;
	const struct acmb_aws_config *pca = NULL;
	char region[64] = "";
	acmb_err err = {0};
	size_t n;

	/* IssueCertificate goes to the CA's region, whatever the destination. */
	(void)acmb_arn_field(e->private_ca.ca_arn, ACMB_ARN_REGION, region, sizeof(region));
	if (r->o->config_for(r->o->config_arg, &acmb_aws_service_acm_pca, region, ds->d, &pca,
	        &err) != ACMB_OK) {
		acmb_sync_item_fail(it, err.rc, "%s", err.msg);
		return;
	}
	n = acmb_sync_wanted_tags(e, tags, ACMB_PLAN_TAGS_MAX);
	memset(&io, 0, sizeof(io));
	memset(&ir, 0, sizeof(ir));
	io.ca_arn = e->private_ca.ca_arn;
	io.subject = e->private_ca.subject;
	io.dns_names = e->private_ca.dns_names;
	io.ndns = e->private_ca.ndns;
	io.key_algorithm = e->private_ca.key_algorithm;
	io.validity = e->private_ca.validity != NULL ? e->private_ca.validity : "90d";
	io.template_arn = e->private_ca.template_arn;
	io.api_passthrough = (json_t *)e->private_ca.api_passthrough;
	io.wait_timeout = ACMB_ISSUE_DEFAULT_WAIT;
	io.import.certificate_arn = it->plan.action == ACMB_PLAN_RENEW ? it->plan.arn : NULL;
	io.import.tags = tags;
	io.import.ntags = n;
	io.ctx = r->o->ctx;
	if (acmb_sync_key_store_opts(e, &ks, &io, &err) != ACMB_OK ||
	    acmb_issue(pca, ds->cfg, &io, &ir, &err) != ACMB_OK) {
		acmb_sync_item_fail(it, err.rc, "%s", err.msg);
		note_quota(ds, e, &err);
	} else {
		it->applied = 1;
		if (ir.import.arn != NULL)
			it->arn = strdup(ir.import.arn);
	}
	acmb_sync_key_store_clear(&ks);
	acmb_issue_result_clear(&ir);
}

/* Waits (the lock held) until l is loaded; returns its state. */
static int
wait_loaded(struct apply *a, struct load *l)
{
	while (l->state == LOAD_WAITING)
		wait_changed(a);
	return l->state;
}

static void
apply_import(struct apply *a, struct load *l, size_t p)
{
	struct acmb_sync_run *r = a->r;
	const struct acmb_manifest_entry *e =
	    acmb_manifest_entry(r->o->manifest, r->pairs[p].entry);
	struct acmb_sync_item *it = &r->res->items[p];
	struct acmb_sync_dest *ds = r->pairs[p].ds;
	struct acmb_acm_tag tags[ACMB_PLAN_TAGS_MAX];
	struct acmb_import_result *ir = NULL;
	struct acmb_import_opts io;
	acmb_err err = {0};
	int sig;

	pthread_mutex_lock(&a->lock);
	if (wait_loaded(a, l) != LOAD_READY) {
		acmb_sync_item_fail(it, l->rc, "%s", l->error);
		pthread_mutex_unlock(&a->lock);
		return;
	}
	pthread_mutex_unlock(&a->lock);
	if ((sig = acmb_sync_cancelled(r)) != 0) {
		interrupted(it, sig);
		goto out;
	}
	if (quota_stopped(ds, it))
		goto out;
	/* The result holds 24 notes of 320 bytes: not on a thread's stack. */
	if ((ir = calloc(1, sizeof(*ir))) == NULL) {
		acmb_sync_item_fail(it, ACMB_E_NOMEM, "out of memory");
		goto out;
	}
	memset(&io, 0, sizeof(io));
	io.certificate_arn = it->plan.action == ACMB_PLAN_REIMPORT ? it->plan.arn : NULL;
	io.tags = tags;
	io.ntags = acmb_sync_wanted_tags(e, tags, ACMB_PLAN_TAGS_MAX);
	io.keep_key = 1;
	io.key_pem = l->key_pem;
	/* The plan was made from this inventory: no look before the import. */
	io.inventory = &ds->inv;
	io.defer_converge = 1;
	if (acmb_import(ds->cfg, l->m, &io, ir, &err) != ACMB_OK) {
		if (err.rc == ACMB_E_INTERRUPTED && ir->import_attempts > 0 &&
		    strstr(err.msg, "may have been applied") == NULL)
			/* Stopped after the import went out (verifying it, say):
			 * the message must not read as if nothing was sent. */
			acmb_sync_item_fail(it, err.rc,
			    "%s; ImportCertificate had been sent%s%s: the certificate may be "
			    "in ACM, and a rerun finds it instead of importing it again",
			    err.msg, ir->arn != NULL ? " and answered " : "",
			    ir->arn != NULL ? ir->arn : "");
		else
			acmb_sync_item_fail(it, err.rc, "%s", err.msg);
		note_quota(ds, e, &err);
	} else {
		it->applied = 1;
		it->arn = ir->arn != NULL ? strdup(ir->arn) : NULL;
		if (ir->converge_deferred && it->arn != NULL) {
			a->leaves[p] = acmb_material_leaf(l->m);
			X509_up_ref(a->leaves[p]);
		}
	}
	if (ir->import_attempts > 0 && it->plan.action == ACMB_PLAN_CREATE)
		ds->last_import = mono_now();
	if (l->audit != NULL) {
		pthread_mutex_lock(&a->ctx_lock);
		acmb_audit_finish(l->audit, ir->arn, it->applied ? NULL : &err, NULL);
		pthread_mutex_unlock(&a->ctx_lock);
	}
	acmb_import_result_clear(ir);
out:
	free(ir);
	pthread_mutex_lock(&a->lock);
	load_release(a, l);
	pthread_mutex_unlock(&a->lock);
}

static void
apply_item(struct apply *a, struct load *l, size_t p)
{
	struct acmb_sync_run *r = a->r;
	const struct acmb_manifest_entry *e =
	    acmb_manifest_entry(r->o->manifest, r->pairs[p].entry);
	struct acmb_sync_item *it = &r->res->items[p];
	struct acmb_sync_dest *ds = r->pairs[p].ds;
	int sig;

	if (needs_key(r, p)) {
		apply_import(a, l, p);
		return;
	}
	if (it->rc != ACMB_OK || it->applied)
		return;
	switch (it->plan.action) {
	case ACMB_PLAN_UNCHANGED:
		if (it->plan.ntags == 0) {
			it->applied = 1;
			it->arn = it->plan.arn != NULL ? strdup(it->plan.arn) : NULL;
		} else if ((sig = acmb_sync_cancelled(r)) != 0) {
			interrupted(it, sig);
		} else {
			apply_tags(it, ds);
		}
		break;
	case ACMB_PLAN_CREATE:
	case ACMB_PLAN_RENEW:
		if (e->source != ACMB_MANIFEST_PRIVATE_CA)
			break;
		if ((sig = acmb_sync_cancelled(r)) != 0) {
			interrupted(it, sig);
		} else if (!quota_stopped(ds, it)) {
			pthread_mutex_lock(&a->ctx_lock);
			apply_issue(a, e, it, ds);
			pthread_mutex_unlock(&a->ctx_lock);
		}
		break;
	default:
		break;
	}
}

static void *
work(void *arg)
{
	struct worker *w = arg;
	struct apply *a = w->a;
	size_t i, p;
	int go;

	pthread_mutex_lock(&a->lock);
	while ((go = a->go) == 0)
		pthread_cond_wait(&a->changed, &a->lock);
	pthread_mutex_unlock(&a->lock);
	if (go < 0)
		return NULL;
	for (i = 0; i < a->nloads; i++)
		for (p = a->loads[i].first; p < a->loads[i].last; p++) {
			if (a->r->pairs[p].ds->worker != w->id)
				continue;
			apply_item(a, &a->loads[i], p);
			progress(a, &a->r->res->items[p]);
		}
	return NULL;
}

/* ---- converging the new imports ----------------------------------------- */

/* How many of inv's certificates carry serial (any spelling). */
static size_t
serial_count(const struct acmb_inventory *inv, const char *serial)
{
	char want[256], have[256];
	size_t i, n = 0;

	if (acmb_inventory_serial_norm(serial, want, sizeof(want)) != 0)
		return 0;
	for (i = 0; i < inv->n; i++)
		if (inv->certs[i].serial != NULL &&
		    acmb_inventory_serial_norm(inv->certs[i].serial, have, sizeof(have)) == 0 &&
		    strcmp(want, have) == 0)
			n++;
	return n;
}

/* After ds's last new import: wait the settling time once, list once, and
 * converge the certificates that ACM does not show exactly once (as this
 * run's copy). */
static void
converge_dest(struct apply *a, struct acmb_sync_dest *ds)
{
	struct acmb_sync_run *r = a->r;
	struct acmb_inventory inv;
	struct acmb_import_result *ir = NULL;
	acmb_err err = {0};
	double left;
	size_t p, n = 0;
	int listed = 0;

	memset(&inv, 0, sizeof(inv));
	for (p = 0; p < r->npairs; p++)
		n += (size_t)(r->pairs[p].ds == ds && a->leaves[p] != NULL);
	if (n == 0)
		return;
	/* The settling time the per-import look waits, once. */
	left = ds->last_import + acmb_import_settle_seconds() - mono_now();
	if (left > 0)
		acmb_aws_sleep(ds->cfg, left);
	if (acmb_sync_cancelled(r) != 0)
		goto out;
	if (acmb_inventory_load(ds->cfg, 1, &inv, &err) == ACMB_OK) {
		listed = inv.searched;
		r->res->listing_calls += inv.listing_calls;
	}
	if ((ir = calloc(1, sizeof(*ir))) == NULL)
		goto out;
	for (p = 0; p < r->npairs; p++) {
		struct acmb_sync_item *it = &r->res->items[p];
		const struct acmb_manifest_entry *e;
		struct acmb_acm_tag tags[ACMB_PLAN_TAGS_MAX];
		char *survivor = NULL;

		if (r->pairs[p].ds != ds || a->leaves[p] == NULL)
			continue;
		/* The common case: ACM shows this run's copy and no other. */
		if (listed && serial_count(&inv, it->plan.serial) == 1 &&
		    acmb_inventory_find_arn(&inv, it->arn) != NULL)
			continue;
		if (acmb_sync_cancelled(r) != 0)
			break;
		e = acmb_manifest_entry(r->o->manifest, r->pairs[p].entry);
		memset(&err, 0, sizeof(err));
		if (acmb_import_converge_later(ds->cfg, a->leaves[p], it->arn, tags,
		        acmb_sync_wanted_tags(e, tags, ACMB_PLAN_TAGS_MAX), &survivor, ir,
		        &err) != ACMB_OK) {
			acmb_sync_item_fail(it, err.rc, "%s", err.msg);
		} else if (strcmp(survivor, it->arn) != 0) {
			free(it->arn);
			it->arn = survivor;
			survivor = NULL;
		}
		free(survivor);
		acmb_import_result_clear(ir);
	}
out:
	free(ir);
	acmb_inventory_clear(&inv);
}

/* Without threads (one could not be started): entry after entry, each key
 * loaded, imported into every destination and wiped before the next. */
static void
apply_serially(struct apply *a)
{
	size_t i, p;
	int sig;

	for (i = 0; i < a->nloads; i++) {
		struct load *l = &a->loads[i];

		if (l->state == LOAD_WAITING) {
			if ((sig = acmb_sync_cancelled(a->r)) != 0) {
				l->state = LOAD_FAILED;
				l->rc = ACMB_E_INTERRUPTED;
				snprintf(l->error, sizeof(l->error),
				    "not done: interrupted by signal %d", sig);
			} else {
				pthread_mutex_lock(&a->lock);
				a->live_keys++;
				pthread_mutex_unlock(&a->lock);
				load_one(a, l);
			}
		}
		for (p = l->first; p < l->last; p++) {
			apply_item(a, l, p);
			progress(a, &a->r->res->items[p]);
		}
	}
}

/* Which worker serves each destination: one per configuration, at most
 * max of them. Returns how many workers. */
static size_t
assign_workers(struct acmb_sync_run *r, size_t max)
{
	size_t i, k, n = 0;

	for (i = 0; i < r->ndests; i++) {
		struct acmb_sync_dest *ds = &r->dests[i];

		for (k = 0; k < i; k++)
			if (ds->cfg != NULL && r->dests[k].cfg == ds->cfg)
				break;
		if (k < i) {
			ds->worker = r->dests[k].worker;
		} else {
			ds->worker = n % max;
			n++;
		}
	}
	return n < max ? n : max;
}

void
acmb_sync_apply(struct acmb_sync_run *r)
{
	struct apply a;
	struct worker *w = NULL;
	size_t i, p, nw, max;
	int threads = 1;

	memset(&a, 0, sizeof(a));
	a.r = r;
	if (r->npairs == 0)
		return;
	max = r->o->max_parallel > 0 ? r->o->max_parallel : r->ndests;
	if (max == 0)
		max = 1;
	a.max_keys = max;
	if (pthread_mutex_init(&a.lock, NULL) != 0)
		return;
	pthread_mutex_init(&a.ctx_lock, NULL);
	pthread_cond_init(&a.changed, NULL);
	if ((a.loads = calloc(r->npairs, sizeof(*a.loads))) == NULL ||
	    (a.leaves = calloc(r->npairs, sizeof(X509 *))) == NULL) {
		for (p = 0; p < r->npairs; p++)
			if (r->res->items[p].rc == ACMB_OK && !r->res->items[p].applied)
				acmb_sync_item_fail(
				    &r->res->items[p], ACMB_E_NOMEM, "out of memory");
		goto out;
	}
	/* One load per entry (its pairs are consecutive). */
	for (p = 0; p < r->npairs; p = a.loads[a.nloads++].last) {
		struct load *l = &a.loads[a.nloads];

		l->first = p;
		for (l->last = p;
		     l->last < r->npairs && r->pairs[l->last].entry == r->pairs[p].entry; l->last++)
			if (needs_key(r, l->last))
				l->state = LOAD_WAITING;
	}
	nw = assign_workers(r, max);
	/* libcurl is opened before the threads start, not by the first of them. */
	if (nw < 2 || acmb_aws_transport_require(NULL) != ACMB_OK ||
	    (w = calloc(nw, sizeof(*w))) == NULL)
		threads = 0;
	for (i = 0; threads && i < nw; i++) {
		w[i].a = &a;
		w[i].id = i;
		if (pthread_create(&w[i].thread, NULL, work, &w[i]) != 0)
			threads = 0;
		else
			w[i].started = 1;
	}
	pthread_mutex_lock(&a.lock);
	a.go = threads ? 1 : -1;
	pthread_cond_broadcast(&a.changed);
	pthread_mutex_unlock(&a.lock);
	if (threads)
		load_all(&a);
	for (i = 0; w != NULL && i < nw; i++)
		if (w[i].started)
			pthread_join(w[i].thread, NULL);
	if (!threads)
		apply_serially(&a);
	for (i = 0; i < r->ndests; i++)
		if (r->dests[i].cfg != NULL)
			converge_dest(&a, &r->dests[i]);
out:
	for (p = 0; a.leaves != NULL && p < r->npairs; p++)
		X509_free(a.leaves[p]);
	free(a.leaves);
	free(a.loads);
	free(w);
	pthread_cond_destroy(&a.changed);
	pthread_mutex_destroy(&a.ctx_lock);
	pthread_mutex_destroy(&a.lock);
}
