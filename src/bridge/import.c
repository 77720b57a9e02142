#include "import.h"
#include "acm/aws-limit.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <openssl/bn.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include "context.h"
#include "import-converge.h"
#include "import-lock.h"
#include "secmem.h"

void
acmb_import_note(struct acmb_import_result *res, const char *fmt, ...)
{
	va_list ap;

	if (res->nnotes >= ACMB_IMPORT_NOTES_MAX)
		return;
	va_start(ap, fmt);
	vsnprintf(res->notes[res->nnotes++], ACMB_IMPORT_NOTE_LEN, fmt, ap);
	va_end(ap);
}

#define note acmb_import_note

static double
now_seconds(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int
fingerprint(X509 *x, char hex[65])
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int n = 0;
	size_t i;

	if (!X509_digest(x, EVP_sha256(), md, &n) || n != 32)
		return ACMB_E_INTERNAL;
	for (i = 0; i < n; i++)
		snprintf(hex + 2 * i, 3, "%02x", md[i]);
	return ACMB_OK;
}

/* A serial as bare lowercase hex without leading zeros, so that ACM's
 * "0a:1b:..." and OpenSSL's forms compare equal. */
static void
serial_normalise(const char *in, char *out, size_t len)
{
	size_t o = 0;
	int leading = 1;

	for (; *in != '\0' && o + 1 < len; in++) {
		if (*in == ':' || (leading && *in == '0'))
			continue;
		leading = 0;
		out[o++] = (char)(*in >= 'A' && *in <= 'F' ? *in - 'A' + 'a' : *in);
	}
	out[o] = '\0';
}

static int
leaf_serial(X509 *x, char *out, size_t len)
{
	BIGNUM *bn = ASN1_INTEGER_to_BN(X509_get0_serialNumber(x), NULL);
	char *hex = bn != NULL ? BN_bn2hex(bn) : NULL;

	BN_free(bn);
	if (hex == NULL)
		return ACMB_E_NOMEM;
	serial_normalise(hex, out, len);
	OPENSSL_free(hex);
	return ACMB_OK;
}

static time_t
asn1_time(const ASN1_TIME *t)
{
	struct tm tm;

	if (!ASN1_TIME_to_tm(t, &tm))
		return (time_t)-1;
	return timegm(&tm);
}

/* Parses every certificate in pem (NULL or "" gives an empty stack). */
static STACK_OF(X509) *
parse_pem_certs(const char *pem)
{
	STACK_OF(X509) *sk = sk_X509_new_null();
	BIO *b = NULL;
	X509 *x;

	if (sk == NULL || pem == NULL || *pem == '\0')
		return sk;
	if ((b = BIO_new_mem_buf(pem, -1)) == NULL)
		goto fail;
	while ((x = PEM_read_bio_X509(b, NULL, NULL, NULL)) != NULL) {
		if (!sk_X509_push(sk, x)) {
			X509_free(x);
			goto fail;
		}
	}
	ERR_clear_error();
	BIO_free(b);
	return sk;
fail:
	BIO_free(b);
	sk_X509_pop_free(sk, X509_free);
	return NULL;
}

/* The tags a new import carries, or a reimport ends with: --tags plus the
 * provenance tag. tags[] must hold ACMB_ACM_TAGS_MAX + 1. */
static size_t
desired_tags(const struct acmb_import_opts *o, const char *fp, struct acmb_acm_tag *tags,
    struct acmb_import_result *res)
{
	size_t i, n = 0;
	int user_has_it = 0;

	for (i = 0; i < o->ntags && n < ACMB_ACM_TAGS_MAX; i++) {
		tags[n++] = o->tags[i];
		if (strcmp(o->tags[i].key, ACMB_PROVENANCE_TAG) == 0)
			user_has_it = 1;
	}
	if (o->no_provenance_tag || user_has_it)
		return n;
	if (n >= ACMB_ACM_TAGS_MAX) {
		note(res, "no room for the %s tag (ACM allows %d tags)", ACMB_PROVENANCE_TAG,
		    ACMB_ACM_TAGS_MAX);
		return n;
	}
	tags[n].key = ACMB_PROVENANCE_TAG;
	tags[n].value = fp;
	return n + 1;
}

static const char *
tag_value(const struct acmb_acm_tag_list *l, const char *key, int *found)
{
	size_t i;

	*found = 0;
	for (i = 0; i < l->count; i++) {
		if (strcmp(l->tags[i].key, key) == 0) {
			*found = 1;
			return l->tags[i].value;
		}
	}
	return NULL;
}

static int
same_value(const char *a, const char *b)
{
	return strcmp(a != NULL ? a : "", b != NULL ? b : "") == 0;
}

/*
 * ACM refuses tags on a reimport, so tag changes follow it: new keys are
 * added, and a key whose value differs is removed with its old value and
 * added with the new one. Tags the operator did not name are left alone.
 * The plan step: the changes against the tags arn carries now, into item
 * (with dry_run, noted as the plan says them).
 */
static int
plan_tag_changes(const struct acmb_aws_config *cfg, const char *arn,
    const struct acmb_acm_tag *want, size_t nwant, int dry_run, struct acmb_plan_item *item,
    struct acmb_import_result *res, acmb_err *err)
{
	struct acmb_acm_tag_list cur = {0};
	size_t i, nadd = 0, ndel = 0;
	const char *old;
	int found, r = ACMB_E_INTERNAL;

	item->ntags = 0;
	item->tags_wanted = (int)nwant;
	if (nwant == 0)
		return ACMB_OK;
	if ((r = acmb_acm_list_tags(cfg, arn, &cur, NULL, err)) != ACMB_OK)
		goto out;
	for (i = 0; i < nwant; i++) {
		old = tag_value(&cur, want[i].key, &found);
		if (found && same_value(old, want[i].value))
			continue;
		if ((r = acmb_plan_tag_change(item, found ? '~' : '+', want[i].key, want[i].value,
		         found ? old : NULL)) != ACMB_OK) {
			r = acmb_error(err, r, "more tag changes than a plan holds");
			goto out;
		}
		if (found) {
			ndel++;
			if (dry_run) {
				note(res, "would change tag %s: '%s' -> '%s'", want[i].key,
				    old != NULL ? old : "",
				    want[i].value != NULL ? want[i].value : "");
				res->tags_changed++;
			}
		} else if (dry_run) {
			note(res, "would add tag %s='%s'", want[i].key,
			    want[i].value != NULL ? want[i].value : "");
			res->tags_added++;
		}
		nadd++;
	}
	if (nadd == 0) {
		if (dry_run)
			note(res, "tags already as asked; none changed");
		r = ACMB_OK;
		goto out;
	}
	if (cur.count - ndel + nadd > ACMB_ACM_TAGS_MAX) {
		r = acmb_error(err, ACMB_E_USAGE,
		    "the certificate would carry %zu tags; ACM "
		    "allows %d",
		    cur.count - ndel + nadd, ACMB_ACM_TAGS_MAX);
		goto out;
	}
	r = ACMB_OK;
out:
	acmb_acm_tag_list_clear(&cur);
	return r;
}

/* The apply step of plan_tag_changes(): what item says, on arn. */
static int
apply_item_tags(const struct acmb_aws_config *cfg, const char *arn,
    const struct acmb_plan_item *item, struct acmb_import_result *res, acmb_err *err)
{
	struct acmb_acm_tag add[ACMB_PLAN_TAGS_MAX], del[ACMB_PLAN_TAGS_MAX];
	const struct acmb_plan_tag_change *t;
	size_t i, nadd = 0, ndel = 0;
	int r;

	for (i = 0; i < item->ntags; i++) {
		t = &item->tags[i];
		if (t->op == '~') {
			del[ndel].key = t->key;
			del[ndel++].value = t->no_old_value ? NULL : t->old_value;
			note(res, "changed tag %s: '%s' -> '%s'", t->key, t->old_value, t->value);
			res->tags_changed++;
		} else if (t->op == '+') {
			note(res, "added tag %s='%s'", t->key, t->value);
			res->tags_added++;
		} else {
			continue; /* an import never removes a tag the operator did not name */
		}
		add[nadd].key = t->key;
		add[nadd++].value = t->no_value ? NULL : t->value;
	}
	if (nadd == 0) {
		if (item->tags_wanted > 0)
			note(res, "tags already as asked; none changed");
		return ACMB_OK;
	}
	if (ndel > 0 && (r = acmb_acm_remove_tags(cfg, arn, del, ndel, NULL, err)) != ACMB_OK)
		return r;
	return acmb_acm_add_tags(cfg, arn, add, nadd, NULL, err);
}

/* Both steps at once, against the tags arn carries now (after an import
 * whose outcome the plan could not know). */
static int
apply_tag_changes(const struct acmb_aws_config *cfg, const char *arn,
    const struct acmb_acm_tag *want, size_t nwant, struct acmb_import_result *res, acmb_err *err)
{
	struct acmb_plan_item *now = calloc(1, sizeof(*now));
	int r;

	if (now == NULL)
		return acmb_error(err, ACMB_E_NOMEM, "out of memory");
	if ((r = plan_tag_changes(cfg, arn, want, nwant, 0, now, res, err)) == ACMB_OK)
		r = apply_item_tags(cfg, arn, now, res, err);
	free(now);
	return r;
}

/* ACM must show the serial, NotAfter and chain that were sent. */
static int
verify_after_import(const struct acmb_aws_config *cfg, const char *arn,
    const struct acmb_material *m, struct acmb_import_result *res, acmb_err *err)
{
	struct acmb_acm_certificate d = {0};
	STACK_OF(X509) *got_cert = NULL, *got_chain = NULL;
	X509 *leaf = acmb_material_leaf(m);
	char *cert_pem = NULL, *chain_pem = NULL, want[128], have[128];
	int i, nchain = m->chain != NULL ? sk_X509_num(m->chain) : 0;
	int r = ACMB_E_INTERNAL;

	if ((r = acmb_acm_describe_certificate(cfg, arn, &d, NULL, err)) != ACMB_OK)
		goto out;
	if ((r = leaf_serial(leaf, want, sizeof(want))) != ACMB_OK)
		goto out;
	serial_normalise(d.serial != NULL ? d.serial : "", have, sizeof(have));
	if (strcmp(want, have) != 0) {
		r = acmb_error(err, ACMB_E_VERIFY,
		    "after import, ACM shows serial '%s' for %s; "
		    "the certificate sent has serial '%s'",
		    d.serial != NULL ? d.serial : "", arn, want);
		goto out;
	}
	if (d.not_after != asn1_time(X509_get0_notAfter(leaf))) {
		r = acmb_error(err, ACMB_E_VERIFY,
		    "after import, ACM shows NotAfter %lld for "
		    "%s; the certificate sent has %lld",
		    (long long)d.not_after, arn, (long long)asn1_time(X509_get0_notAfter(leaf)));
		goto out;
	}
	if ((r = acmb_acm_get_certificate(cfg, arn, &cert_pem, &chain_pem, NULL, err)) != ACMB_OK)
		goto out;
	if ((got_cert = parse_pem_certs(cert_pem)) == NULL ||
	    (got_chain = parse_pem_certs(chain_pem)) == NULL) {
		r = acmb_error(err, ACMB_E_NOMEM, "out of memory");
		goto out;
	}
	if (sk_X509_num(got_cert) != 1 || X509_cmp(sk_X509_value(got_cert, 0), leaf) != 0) {
		r = acmb_error(err, ACMB_E_VERIFY,
		    "after import, GetCertificate for %s returns "
		    "a certificate other than the one sent",
		    arn);
		goto out;
	}
	if (sk_X509_num(got_chain) != nchain) {
		r = acmb_error(err, ACMB_E_VERIFY,
		    "after import, ACM holds a chain of %d "
		    "certificates for %s; %d were sent",
		    sk_X509_num(got_chain), arn, nchain);
		goto out;
	}
	for (i = 0; i < nchain; i++) {
		if (X509_cmp(sk_X509_value(got_chain, i), sk_X509_value(m->chain, i)) != 0) {
			r = acmb_error(err, ACMB_E_VERIFY,
			    "after import, chain certificate %d "
			    "that ACM holds for %s differs from the one sent",
			    i + 1, arn);
			goto out;
		}
	}
	note(res,
	    "verified: ACM shows serial %s, the NotAfter and the %d-certificate chain "
	    "that were sent",
	    d.serial, nchain);
	r = ACMB_OK;
out:
	free(cert_pem);
	free(chain_pem);
	sk_X509_pop_free(got_cert, X509_free);
	sk_X509_pop_free(got_chain, X509_free);
	acmb_acm_certificate_clear(&d);
	return r;
}

/* What ACM holds under arn must be an imported certificate that the new one
 * may replace under ACM's reimport rules. */
static int
judge_reimport(const struct acmb_aws_config *cfg, const char *arn, X509 *leaf,
    struct acmb_import_result *res, acmb_err *err)
{
	struct acmb_acm_certificate d = {0};
	STACK_OF(X509) *cur = NULL;
	char *cert_pem = NULL, *chain_pem = NULL;
	int r = ACMB_E_INTERNAL;

	if ((r = acmb_acm_describe_certificate(cfg, arn, &d, NULL, err)) != ACMB_OK)
		goto out;
	if (d.type == NULL || strcmp(d.type, "IMPORTED") != 0) {
		r = acmb_error(err, ACMB_E_RULE,
		    "reimport-type: %s is a %s certificate; ACM "
		    "reimports only IMPORTED certificates (omit --certificate-arn to import a new "
		    "one)",
		    arn, d.type != NULL ? d.type : "(unknown type)");
		goto out;
	}
	if ((r = acmb_acm_get_certificate(cfg, arn, &cert_pem, &chain_pem, NULL, err)) != ACMB_OK)
		goto out;
	if ((cur = parse_pem_certs(cert_pem)) == NULL || sk_X509_num(cur) < 1) {
		r = acmb_error(
		    err, ACMB_E_AWS, "GetCertificate for %s returned no certificate", arn);
		goto out;
	}
	if ((r = acmb_reimport_judge(sk_X509_value(cur, 0), leaf, &res->reimport_report, err)) !=
	    ACMB_OK)
		goto out;
	note(res, "reimport rules pass against what ACM holds (serial %s, %s)",
	    d.serial != NULL ? d.serial : "?", d.key_algorithm != NULL ? d.key_algorithm : "?");
out:
	free(cert_pem);
	free(chain_pem);
	sk_X509_pop_free(cur, X509_free);
	acmb_acm_certificate_clear(&d);
	return r;
}

/* "12:34:56 UTC" for the wall clock now. */
static const char *
utc_now(char *buf, size_t len)
{
	time_t t = time(NULL);
	struct tm tm;

	if (gmtime_r(&t, &tm) == NULL)
		snprintf(buf, len, "an unknown time");
	else
		snprintf(buf, len, "%02d:%02d:%02d UTC", tm.tm_hour, tm.tm_min, tm.tm_sec);
	return buf;
}

/* What a run that gives up after lost answers can truthfully say: how many
 * requests may still land, and what a rerun then does. */
static int
lost_for_good(int sent, int max, double looked, const char *since, struct acmb_import_result *res,
    acmb_err *err)
{
	char until[32];

	utc_now(until, sizeof(until));
	if (sent == 1)
		return acmb_error(err, ACMB_E_NETWORK,
		    "ImportCertificate: the answer was lost (--max-attempts %d) and the "
		    "certificate (SHA-256 %s) was not visible in ACM after %.0f s of looking "
		    "(%s to %s); it may still land. If it lands later, a rerun of this import "
		    "finds it and sends nothing, so ACM ends with one certificate",
		    max, res->fingerprint, looked, since, until);
	return acmb_error(err, ACMB_E_NETWORK,
	    "ImportCertificate: %d requests were sent and every answer was lost "
	    "(--max-attempts %d); the certificate (SHA-256 %s) was not visible in ACM "
	    "after %.0f s of looking after each (last: %s to %s). They may still land: "
	    "if more than one does, a rerun of this import keeps the earliest and names "
	    "the others, which it does not delete",
	    sent, max, res->fingerprint, looked, since, until);
}

/*
 * Sends ImportCertificate until it is known to have landed. A reimport names
 * its ARN, so resending it is harmless. A new import has no idempotency
 * token: after a lost answer (timeout, dropped connection, 5xx, unreadable
 * answer) ACM is watched for the certificate for f->landing_wait seconds
 * before anything is sent again, so a slow import that lands late is found
 * instead of duplicated. *own is this run's ARN (NULL when a lost answer
 * landed among new copies of other runs, so that which is ours is unknown).
 */
static int
send_import(struct acmb_copy_finder *f, const struct acmb_copies *before, const char *cert_pem,
    const char *chain_pem, const acmb_secbuf *key_pem, const char *arn,
    const struct acmb_acm_tag *tags, size_t ntags, char **own, struct acmb_import_result *res,
    acmb_err *err)
{
	struct acmb_aws_call_info info;
	int max = acmb_aws_config_max_attempts(f->cfg), landed, r = ACMB_E_INTERNAL;
	char sent_at[32], lost_at[32];
	double looked;

	*own = NULL;
	for (;;) {
		utc_now(sent_at, sizeof(sent_at));
		r = acmb_acm_import_certificate(f->cfg, cert_pem, chain_pem, key_pem, arn,
		    arn != NULL ? NULL : tags, arn != NULL ? 0 : ntags, own, &info, err);
		/* Every request sent counts, throttled ones too. */
		res->import_attempts += info.attempts;
		if (r == ACMB_OK || !info.response_lost)
			return r;
		utc_now(lost_at, sizeof(lost_at));
		note(res, "ImportCertificate request %d, sent at %s: the answer was lost (%.220s)",
		    res->import_attempts, sent_at, err->msg);
		if (arn == NULL) {
			if ((r = acmb_wait_for_landing(
			         f, before, &landed, own, &looked, res, err)) != ACMB_OK)
				return r;
			if (landed) {
				res->recovered = 1;
				note(res,
				    "the lost import had landed: ACM showed it after %.0f s of "
				    "looking; not sent again",
				    looked);
				return ACMB_OK;
			}
			if (res->import_attempts >= max)
				return lost_for_good(
				    res->import_attempts, max, looked, lost_at, res, err);
			note(res,
			    "not visible in ACM after %.0f s of looking; sending again "
			    "(request %d of at most %d)",
			    looked, res->import_attempts + 1, max);
			res->resent_unseen++;
		} else if (res->import_attempts >= max) {
			return acmb_error(err, ACMB_E_NETWORK,
			    "ImportCertificate into %s: the answer was lost %d times "
			    "(--max-attempts %d); a rerun of this import is safe (a reimport "
			    "keeps the ARN)",
			    arn, res->import_attempts, max);
		}
	}
}

/* The first of several copies found before importing is the one to use;
 * the others are named, not deleted: this run made none of them. */
static void
note_copies(const struct acmb_copies *c, struct acmb_import_result *res)
{
	size_t i;

	if (c->count < 2)
		return;
	note(res,
	    "ACM holds %zu copies of this certificate; using the first imported, %s; the "
	    "others were made by other runs and are left alone:",
	    c->count, c->v[0].arn);
	for (i = 1; i < c->count; i++)
		note(res, "  also %s%s", c->v[i].arn, c->v[i].in_use > 0 ? " (in use)" : "");
}

static double
wall_seconds(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Where a new import's plan finds the copies ACM holds already: the run's
 * inventory (one listing for every certificate of the run), or a lookup by
 * serial for this one. item->listed_at says when the listing began. */
static int
find_copies_for_plan(const struct acmb_aws_config *cfg, const struct acmb_import_opts *o,
    struct acmb_copy_finder *f, struct acmb_copies *before, struct acmb_plan_item *item,
    struct acmb_import_result *res, acmb_err *err)
{
	struct acmb_inventory *inv = o->inventory;
	int r;

	if (inv == NULL && o->ctx != NULL &&
	    (r = acmb_ctx_inventory(o->ctx, cfg, &inv, err)) != ACMB_OK)
		return r;
	if (inv == NULL) {
		item->listed_at = wall_seconds();
		return acmb_copies_find(f, NULL, before, res, err);
	}
	item->listed_at = inv->loaded_at;
	return acmb_copies_from_inventory(f, inv, before, res, err);
}

int
acmb_import_make_plan(const struct acmb_aws_config *cfg, const struct acmb_material *m,
    const struct acmb_import_opts *o, struct acmb_plan_item *item, struct acmb_import_result *res,
    acmb_err *err)
{
	struct acmb_acm_tag tags[ACMB_ACM_TAGS_MAX + 1];
	struct acmb_copy_finder finder;
	struct acmb_copies before = {0};
	X509 *leaf = acmb_material_leaf(m);
	size_t i, ntags;
	int nchain = m->chain != NULL ? sk_X509_num(m->chain) : 0;
	int is_new = o->certificate_arn == NULL, r = ACMB_E_INTERNAL;

	memset(item, 0, sizeof(*item));
	memset(res, 0, sizeof(*res));
	item->action = ACMB_PLAN_BLOCKED;
	snprintf(item->region, sizeof(item->region), "%s", acmb_aws_config_region(cfg));
	if (leaf == NULL || (m->key == NULL && o->key_pem == NULL)) {
		r = acmb_error(err, ACMB_E_USAGE, "import needs a certificate and its private key");
		goto out;
	}
	if (fingerprint(leaf, res->fingerprint) != ACMB_OK) {
		r = acmb_error_ssl(err, ACMB_E_INTERNAL, "cannot fingerprint the certificate");
		goto out;
	}
	snprintf(item->sha256, sizeof(item->sha256), "%s", res->fingerprint);
	ntags = desired_tags(o, res->fingerprint, tags, res);
	if ((r = acmb_acm_tags_check(tags, ntags, err)) != ACMB_OK)
		goto out;
	if ((r = acmb_copy_finder_init(&finder, cfg, leaf, res->fingerprint, err)) != ACMB_OK)
		goto out;
	snprintf(item->serial, sizeof(item->serial), "%s", finder.serial);

	if (!is_new) {
		res->reimport = 1;
		snprintf(item->arn, sizeof(item->arn), "%s", o->certificate_arn);
		if ((r = judge_reimport(cfg, o->certificate_arn, leaf, res, err)) != ACMB_OK) {
			acmb_plan_reason(item, "%s", err->msg);
			goto out;
		}
		item->action = ACMB_PLAN_REIMPORT;
		item->imports = 1;
		acmb_plan_reason(item, "reimport into %s, keeping the ARN", o->certificate_arn);
		if (o->dry_run) {
			note(res, "plan: reimport into %s, keeping the ARN", o->certificate_arn);
			note(res, "plan: chain of %d certificate%s, in the order checked", nchain,
			    nchain == 1 ? "" : "s");
		}
		r = plan_tag_changes(
		    cfg, o->certificate_arn, tags, ntags, o->dry_run, item, res, err);
		goto out;
	}
	/* What ACM holds already: the answer for a rerun. */
	if (!o->allow_duplicate &&
	    (r = find_copies_for_plan(cfg, o, &finder, &before, item, res, err)) != ACMB_OK)
		goto out;
	if (!o->allow_duplicate && before.count > 0) {
		res->already_present = 1;
		item->action = ACMB_PLAN_UNCHANGED;
		snprintf(item->arn, sizeof(item->arn), "%s", before.v[0].arn);
		if ((res->arn = strdup(before.v[0].arn)) == NULL) {
			r = acmb_error(err, ACMB_E_NOMEM, "out of memory");
			goto out;
		}
		acmb_plan_reason(item, "ACM holds this certificate already");
		note(res,
		    "%s already holds this certificate (SHA-256 %s) as %s; not "
		    "imported again (--allow-duplicate imports a second copy)",
		    o->dry_run ? "plan: ACM" : "ACM", res->fingerprint, res->arn);
		note_copies(&before, res);
		r = plan_tag_changes(cfg, res->arn, tags, ntags, o->dry_run, item, res, err);
		goto out;
	}
	item->action = ACMB_PLAN_CREATE;
	item->imports = 1;
	item->tags_wanted = (int)ntags;
	acmb_plan_reason(item, "import as a new certificate");
	for (i = 0; i < ntags; i++) {
		if ((r = acmb_plan_tag_change(item, '+', tags[i].key, tags[i].value, NULL)) !=
		    ACMB_OK) {
			r = acmb_error(err, r, "more tags than a plan holds");
			goto out;
		}
	}
	if (o->dry_run) {
		note(res, "plan: import as a new certificate (SHA-256 %s)", res->fingerprint);
		note(res, "plan: chain of %d certificate%s, in the order checked", nchain,
		    nchain == 1 ? "" : "s");
		note(res, "plan: %zu tag%s sent with the import", ntags, ntags == 1 ? "" : "s");
	}
	r = ACMB_OK;
out:
	acmb_copies_clear(&before);
	return r;
}

/* A new import, under the same-host lock: must the plan's lookup be done
 * again? When the plan may be stale: read back from a saved plan, or made
 * from a listing that began before (or within a second of: file times may
 * run on a coarser clock) another import of this certificate under the lock,
 * whose certificate the listing may miss. --allow-duplicate needs the
 * copies as the baseline a lost answer is judged against. */
static int
plan_is_stale(const struct acmb_plan_item *item, const struct acmb_import_lock *lock,
    const struct acmb_import_opts *o)
{
	double last = acmb_import_lock_last_import(lock);

	return item->listed_at <= 0 || o->allow_duplicate ||
	       (last > 0 && last + 1.0 >= item->listed_at);
}

/* The tags a new import sends: the plan's. tags[] holds ACMB_PLAN_TAGS_MAX. */
static size_t
create_tags(const struct acmb_plan_item *item, struct acmb_acm_tag *tags)
{
	size_t i, n = 0;

	for (i = 0; i < item->ntags; i++) {
		if (item->tags[i].op != '+')
			continue;
		tags[n].key = item->tags[i].key;
		tags[n++].value = item->tags[i].no_value ? NULL : item->tags[i].value;
	}
	return n;
}

int
acmb_import_apply_plan(const struct acmb_aws_config *cfg, const struct acmb_plan_item *item,
    struct acmb_material *m, const struct acmb_import_opts *o, struct acmb_import_result *res,
    acmb_err *err)
{
	struct acmb_acm_tag tags[ACMB_PLAN_TAGS_MAX];
	struct acmb_copy_finder finder;
	struct acmb_copies before = {0};
	struct acmb_import_lock *lock = NULL;
	acmb_secbuf *key_pem = NULL;
	X509 *leaf = acmb_material_leaf(m);
	char *cert_pem = NULL, *chain_pem = NULL, *own = NULL, *survivor = NULL, why[400];
	char fp[65];
	const char *arn = NULL;
	size_t cert_len, chain_len, ntags = 0;
	double returned, waited;
	int is_new = item->action == ACMB_PLAN_CREATE, r = ACMB_E_INTERNAL;

	if (leaf == NULL || (m->key == NULL && o->key_pem == NULL)) {
		r = acmb_error(err, ACMB_E_USAGE, "import needs a certificate and its private key");
		goto out;
	}
	if (fingerprint(leaf, fp) != ACMB_OK) {
		r = acmb_error_ssl(err, ACMB_E_INTERNAL, "cannot fingerprint the certificate");
		goto out;
	}
	if (strcmp(fp, item->sha256) != 0) {
		r = acmb_error(err, ACMB_E_USAGE,
		    "the plan is for the certificate with SHA-256 %s; the one given has %s",
		    item->sha256[0] != '\0' ? item->sha256 : "(none)", fp);
		goto out;
	}
	snprintf(res->fingerprint, sizeof(res->fingerprint), "%s", fp);
	switch (item->action) {
	case ACMB_PLAN_CREATE:
		break;
	case ACMB_PLAN_UNCHANGED:
	case ACMB_PLAN_REIMPORT:
		if (item->arn[0] == '\0') {
			r = acmb_error(err, ACMB_E_USAGE, "the plan item names no CertificateArn");
			goto out;
		}
		arn = item->arn;
		break;
	case ACMB_PLAN_BLOCKED:
		r = acmb_error(err, ACMB_E_RULE, "the plan blocks this import: %s",
		    item->reason[0] != '\0' ? item->reason : "(no reason given)");
		goto out;
	default:
		r = acmb_error(err, ACMB_E_USAGE, "a plan item to %s is not an import",
		    acmb_plan_action_name(item->action));
		goto out;
	}
	if ((r = acmb_material_cert_pem(m, &cert_pem, &cert_len, err)) != ACMB_OK ||
	    (r = acmb_material_chain_pem(m, &chain_pem, &chain_len, err)) != ACMB_OK)
		goto out;
	if ((r = acmb_copy_finder_init(&finder, cfg, leaf, fp, err)) != ACMB_OK)
		goto out;

	if (item->action == ACMB_PLAN_UNCHANGED) {
		res->already_present = 1;
		if (res->arn == NULL && (res->arn = strdup(arn)) == NULL) {
			r = acmb_error(err, ACMB_E_NOMEM, "out of memory");
			goto out;
		}
		if ((r = apply_item_tags(cfg, res->arn, item, res, err)) != ACMB_OK)
			goto out;
		r = verify_after_import(cfg, res->arn, m, res, err);
		goto out;
	}
	if (is_new) {
		ntags = create_tags(item, tags);
		/* On this host, runs importing this certificate take turns from
		 * here on: the second one finds the first one's certificate. */
		if ((r = acmb_import_lock_acquire(acmb_aws_config_endpoint(cfg),
		         acmb_aws_config_region(cfg), fp, ACMB_IMPORT_LOCK_WAIT_SECONDS,
		         acmb_aws_config_hooks(cfg) != NULL ? acmb_aws_config_hooks(cfg)->cancel
		                                            : NULL,
		         &lock, &waited, why, sizeof(why), err)) != ACMB_OK)
			goto out;
		if (lock == NULL)
			note(res,
			    "no same-host lock (%s); the check after the import still keeps "
			    "one certificate",
			    why);
		else if (waited >= 0.1)
			note(res,
			    "waited %.1f s for another acmbridge on this host importing the same "
			    "certificate",
			    waited);
		/* The baseline a lost answer is judged against, and the answer
		 * for a run that lost the race on this host. */
		if (plan_is_stale(item, lock, o) &&
		    (r = acmb_copies_find(&finder, NULL, &before, res, err)) != ACMB_OK)
			goto out;
		if (!o->allow_duplicate && before.count > 0) {
			res->already_present = 1;
			if ((res->arn = strdup(before.v[0].arn)) == NULL) {
				r = acmb_error(err, ACMB_E_NOMEM, "out of memory");
				goto out;
			}
			note(res,
			    "ACM already holds this certificate (SHA-256 %s) as %s; not "
			    "imported again (--allow-duplicate imports a second copy)",
			    fp, res->arn);
			note_copies(&before, res);
			if ((r = apply_tag_changes(cfg, res->arn, tags, ntags, res, err)) !=
			    ACMB_OK)
				goto out;
			r = verify_after_import(cfg, res->arn, m, res, err);
			goto out;
		}
	} else {
		res->reimport = 1;
	}

	if (o->key_pem == NULL && (r = acmb_material_key_pem(m, &key_pem, err)) != ACMB_OK)
		goto out;
	r = send_import(&finder, &before, cert_pem, chain_pem,
	    o->key_pem != NULL ? o->key_pem : key_pem, arn, tags, ntags, &own, res, err);
	/* The key's last use: wipe it now, whatever the answer was. */
	returned = now_seconds();
	acmb_secbuf_free(key_pem);
	key_pem = NULL;
	if (!o->keep_key) {
		EVP_PKEY_free(m->key);
		m->key = NULL;
	}
	res->wipe_seconds = now_seconds() - returned;
	if (r != ACMB_OK)
		goto out;
	if (own != NULL)
		note(res, "%s %s (%d ImportCertificate request%s)",
		    is_new ? "imported as" : "reimported into", own, res->import_attempts,
		    res->import_attempts == 1 ? "" : "s");
	if (!is_new) {
		res->arn = own;
		own = NULL;
		if ((r = apply_item_tags(cfg, res->arn, item, res, err)) != ACMB_OK)
			goto out;
	} else if (o->defer_converge && own != NULL && !o->allow_duplicate) {
		/* The caller converges later, once for all its imports. */
		res->arn = own;
		own = NULL;
		res->converge_deferred = 1;
	} else if (o->allow_duplicate) {
		if (own == NULL) {
			r = acmb_error(err, ACMB_E_NETWORK,
			    "ImportCertificate's answer was lost and ACM shows several new copies "
			    "of this certificate; this run cannot tell which is its own "
			    "(--allow-duplicate)");
			goto out;
		}
		res->arn = own;
		own = NULL;
	} else {
		/* Other runs (other hosts, or no lock) may have imported it too:
		 * every run keeps the same first copy and deletes its own newer one. */
		r = acmb_converge(&finder, own, &survivor, res, err);
		res->arn = survivor;
		survivor = NULL;
		if (r != ACMB_OK)
			goto out;
		if (own != NULL && strcmp(own, res->arn) != 0)
			res->converged = 1;
		if ((own == NULL || res->converged) &&
		    (r = apply_tag_changes(cfg, res->arn, tags, ntags, res, err)) != ACMB_OK)
			goto out;
	}
	if (res->resent_unseen > 0)
		note(res,
		    "%d earlier ImportCertificate request%s never showed in ACM; if %s lands "
		    "later, ACM holds a second copy: a rerun of this import names it",
		    res->resent_unseen, res->resent_unseen == 1 ? "" : "s",
		    res->resent_unseen == 1 ? "it" : "one");
	r = verify_after_import(cfg, res->arn, m, res, err);
out:
	/* Sent under the lock: a run whose listing is older looks again. */
	if (is_new && res->import_attempts > 0)
		acmb_import_lock_mark_import(lock);
	acmb_import_lock_release(lock);
	acmb_copies_clear(&before);
	acmb_secbuf_free(key_pem);
	if (!o->keep_key) {
		EVP_PKEY_free(m->key);
		m->key = NULL;
	}
	free(own);
	free(survivor);
	free(cert_pem);
	free(chain_pem);
	return r;
}

int
acmb_import(const struct acmb_aws_config *cfg, struct acmb_material *m,
    const struct acmb_import_opts *o, struct acmb_import_result *res, acmb_err *err)
{
	struct acmb_plan_item *item = calloc(1, sizeof(*item));
	int r;

	if (item == NULL) {
		memset(res, 0, sizeof(*res));
		r = acmb_error(err, ACMB_E_NOMEM, "out of memory");
		goto out;
	}
	r = acmb_import_make_plan(cfg, m, o, item, res, err);
	res->plan = item;
	if (r == ACMB_OK && !o->dry_run)
		r = acmb_import_apply_plan(cfg, item, m, o, res, err);
out:
	/* A dry run ends here, and a blocked plan: the key goes now too. */
	if (!o->keep_key) {
		EVP_PKEY_free(m->key);
		m->key = NULL;
	}
	return r;
}

int
acmb_import_converge_later(const struct acmb_aws_config *cfg, X509 *leaf, const char *own,
    const struct acmb_acm_tag *tags, size_t ntags, char **survivor, struct acmb_import_result *res,
    acmb_err *err)
{
	struct acmb_acm_tag all[ACMB_ACM_TAGS_MAX + 1];
	struct acmb_import_opts o;
	struct acmb_copy_finder finder;
	size_t nall;
	int r;

	*survivor = NULL;
	memset(res, 0, sizeof(*res));
	memset(&o, 0, sizeof(o));
	o.tags = tags;
	o.ntags = ntags;
	if (fingerprint(leaf, res->fingerprint) != ACMB_OK)
		return acmb_error_ssl(err, ACMB_E_INTERNAL, "cannot fingerprint the certificate");
	if ((r = acmb_copy_finder_init(&finder, cfg, leaf, res->fingerprint, err)) != ACMB_OK)
		return r;
	/* The caller has waited the settling time once for all its imports. */
	finder.settle = 0;
	if ((r = acmb_converge(&finder, own, survivor, res, err)) != ACMB_OK)
		return r;
	if (strcmp(*survivor, own) == 0)
		return ACMB_OK;
	res->converged = 1;
	/* The tags the import sent, on the copy every run keeps. */
	nall = desired_tags(&o, res->fingerprint, all, res);
	return apply_tag_changes(cfg, *survivor, all, nall, res, err);
}

void
acmb_import_result_clear(struct acmb_import_result *res)
{
	if (res == NULL)
		return;
	free(res->arn);
	res->arn = NULL;
	free(res->plan);
	res->plan = NULL;
}
