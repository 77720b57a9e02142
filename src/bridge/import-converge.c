#include "import-converge.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <openssl/bn.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>

#include "import.h"
#include "x509-names.h"

#define POLL_FIRST 1.0 /* seconds before the second look; doubled after each */
#define POLL_MAX 8.0

void
acmb_copies_clear(struct acmb_copies *c)
{
	size_t i;

	if (c == NULL)
		return;
	for (i = 0; c->v != NULL && i < c->count; i++)
		free(c->v[i].arn);
	free(c->v);
	memset(c, 0, sizeof(*c));
}

int
acmb_copies_has(const struct acmb_copies *c, const char *arn)
{
	size_t i;

	for (i = 0; arn != NULL && i < c->count; i++)
		if (strcmp(c->v[i].arn, arn) == 0)
			return 1;
	return 0;
}

static int
copies_add(struct acmb_copies *c, const char *arn, double imported_at, int in_use)
{
	struct acmb_copy *grown;

	if (acmb_copies_has(c, arn))
		return ACMB_OK;
	if ((grown = realloc(c->v, (c->count + 1) * sizeof(*grown))) == NULL)
		return ACMB_E_NOMEM;
	c->v = grown;
	if ((c->v[c->count].arn = strdup(arn)) == NULL)
		return ACMB_E_NOMEM;
	c->v[c->count].imported_at = imported_at;
	c->v[c->count].in_use = in_use;
	c->count++;
	return ACMB_OK;
}

/* The order every racer agrees on: earliest ImportedAt, then ARN. */
static int
copy_order(const void *a, const void *b)
{
	const struct acmb_copy *x = a, *y = b;

	if (x->imported_at != y->imported_at)
		return x->imported_at < y->imported_at ? -1 : 1;
	return strcmp(x->arn, y->arn);
}

static double
monotonic_seconds(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Sleeps on the run's clock unless the run is cancelled (its context's
 * flag, which the configuration carries). */
static void
sleep_seconds(const struct acmb_copy_finder *f, double s)
{
	if (s > 0)
		acmb_aws_sleep(f->cfg, s);
}

/* "12:34:56.789 UTC" for an epoch time (ImportedAt or the wall clock). */
static const char *
utc_time(double t, char *buf, size_t len)
{
	time_t whole = (time_t)t;
	struct tm tm;

	if (t <= 0 || gmtime_r(&whole, &tm) == NULL) {
		snprintf(buf, len, "an unknown time");
		return buf;
	}
	snprintf(buf, len, "%02d:%02d:%02d.%03d UTC", tm.tm_hour, tm.tm_min, tm.tm_sec,
	    (int)((t - (double)whole) * 1000.0));
	return buf;
}

/* A test build's override of a wait (seconds), else def. */
static double
wait_setting(const char *name, double def)
{
#ifdef ACMB_TEST_HOOKS
	const char *v = getenv(name);
	char *end;
	double d;

	if (v != NULL && v[0] != '\0') {
		d = strtod(v, &end);
		if (*end == '\0' && d >= 0 && d <= 3600)
			return d;
	}
#else
	(void)name;
#endif
	return def;
}

double
acmb_import_settle_seconds(void)
{
	return wait_setting("ACMB_TEST_CONVERGE_SETTLE", ACMB_IMPORT_SETTLE);
}

/* The leaf's serial as ACM shows it: lowercase hex octets joined by ':',
 * without DER's leading zero octet. */
static int
acm_serial(X509 *leaf, char *out, size_t len)
{
	BIGNUM *bn = ASN1_INTEGER_to_BN(X509_get0_serialNumber(leaf), NULL);
	unsigned char bin[64];
	size_t o = 0;
	int n, i;

	out[0] = '\0';
	if (bn == NULL)
		return ACMB_E_NOMEM;
	n = BN_num_bytes(bn);
	if (n == 0)
		snprintf(out, len, "00");
	else if ((size_t)n <= sizeof(bin) && BN_bn2bin(bn, bin) == n)
		for (i = 0; i < n && o + 4 < len; i++)
			o += (size_t)snprintf(out + o, len - o, "%s%02x", i > 0 ? ":" : "", bin[i]);
	BN_free(bn);
	return ACMB_OK;
}

int
acmb_copy_finder_init(struct acmb_copy_finder *f, const struct acmb_aws_config *cfg, X509 *leaf,
    const char *fingerprint, acmb_err *err)
{
	memset(f, 0, sizeof(*f));
	f->cfg = cfg;
	f->leaf = leaf;
	snprintf(f->fingerprint, sizeof(f->fingerprint), "%s", fingerprint);
	if (acm_serial(leaf, f->serial, sizeof(f->serial)) != ACMB_OK)
		return acmb_error(err, ACMB_E_NOMEM, "out of memory");
	f->landing_wait = wait_setting("ACMB_TEST_LANDING_WAIT", ACMB_IMPORT_LANDING_WAIT);
	f->settle = acmb_import_settle_seconds();
	/* SearchCertificates takes 2 to 20 octets; others go by the listing. */
	if (strlen(f->serial) < 5 || strlen(f->serial) > ACMB_ACM_SEARCH_SERIAL_MAX) {
		f->search_off = 1;
		snprintf(f->search_off_why, sizeof(f->search_off_why),
		    "the serial %s is not 2 to 20 octets, which SearchCertificates needs",
		    f->serial);
	}
	return ACMB_OK;
}

/* Is the certificate ACM holds under arn this very leaf (by SHA-256)? *same
 * is 0 when it is not, or when it cannot be read (deleted meanwhile). */
static int
same_leaf(const struct acmb_copy_finder *f, const char *arn, int *same, acmb_err *err)
{
	struct acmb_aws_call_info info;
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int n = 0, i;
	char *cert_pem = NULL, *chain_pem = NULL, hex[65];
	BIO *b = NULL;
	X509 *x = NULL;
	int r = ACMB_E_INTERNAL;

	*same = 0;
	if ((r = acmb_acm_get_certificate(f->cfg, arn, &cert_pem, &chain_pem, &info, err)) !=
	    ACMB_OK) {
		/* Deleted meanwhile (another run converging), or not ours to read. */
		if (r == ACMB_E_AWS)
			r = ACMB_OK;
		goto out;
	}
	if ((b = BIO_new_mem_buf(cert_pem, -1)) == NULL) {
		r = acmb_error(err, ACMB_E_NOMEM, "out of memory");
		goto out;
	}
	if ((x = PEM_read_bio_X509(b, NULL, NULL, NULL)) == NULL) {
		ERR_clear_error();
		r = ACMB_OK;
		goto out;
	}
	if (!X509_digest(x, EVP_sha256(), md, &n) || n != 32) {
		r = acmb_error_ssl(err, ACMB_E_INTERNAL, "cannot fingerprint a certificate");
		goto out;
	}
	for (i = 0; i < n; i++)
		snprintf(hex + (size_t)2 * i, 3, "%02x", md[i]);
	*same = strcmp(hex, f->fingerprint) == 0;
	r = ACMB_OK;
out:
	X509_free(x);
	BIO_free(b);
	free(cert_pem);
	free(chain_pem);
	return r;
}

/* ImportedAt and InUse from DescribeCertificate, when a summary lacked them. */
static int
describe_copy(const struct acmb_copy_finder *f, const char *arn, double *imported_at, int *in_use,
    acmb_err *err)
{
	struct acmb_acm_certificate d = {0};
	int r;

	if ((r = acmb_acm_describe_certificate(f->cfg, arn, &d, NULL, err)) != ACMB_OK)
		return r;
	if (*imported_at <= 0)
		*imported_at = d.imported_at_exact;
	if (*in_use < 0)
		*in_use = d.in_use_by.count > 0;
	acmb_acm_certificate_clear(&d);
	return ACMB_OK;
}

static int
add_if_same(struct acmb_copy_finder *f, const char *arn, double imported_at, int in_use,
    struct acmb_copies *out, acmb_err *err)
{
	int same = 0, r;

	if (acmb_copies_has(out, arn))
		return ACMB_OK;
	if ((r = same_leaf(f, arn, &same, err)) != ACMB_OK || !same)
		return r;
	if (imported_at <= 0 || in_use < 0) {
		r = describe_copy(f, arn, &imported_at, &in_use, err);
		if (r == ACMB_E_AWS)
			return ACMB_OK; /* deleted between the two calls */
		if (r != ACMB_OK)
			return r;
	}
	if (copies_add(out, arn, imported_at, in_use) != ACMB_OK)
		return acmb_error(err, ACMB_E_NOMEM, "out of memory");
	return ACMB_OK;
}

/* Serials compared as numbers: "00:8f" and "8f" are one serial. */
static int
same_serial(const char *a, const char *b)
{
	while (*a == '0' || *a == ':')
		a++;
	while (*b == '0' || *b == ':')
		b++;
	return strcasecmp(a, b) == 0;
}

static int
find_by_search(struct acmb_copy_finder *f, struct acmb_copies *out, acmb_err *err)
{
	struct acmb_acm_search_hits hits = {0};
	struct acmb_aws_call_info info;
	size_t i;
	int r;

	memset(&info, 0, sizeof(info));
	r = acmb_acm_search_by_serial(f->cfg, f->serial, &hits, &info, err);
	if (r == ACMB_E_AWS &&
	    (strcmp(info.error_code, "UnknownOperationException") == 0 ||
	        strcmp(info.error_code, "UnrecognizedOperationException") == 0 ||
	        strcmp(info.error_code, "InvalidAction") == 0 ||
	        strcmp(info.error_code, "NotImplemented") == 0 ||
	        strstr(info.error_code, "AccessDenied") != NULL || info.http_status == 501)) {
		/* An endpoint without the operation (older, or an emulator), or an
		 * IAM policy written before it: the listing finds the same. */
		f->search_off = 1;
		snprintf(f->search_off_why, sizeof(f->search_off_why),
		    "SearchCertificates answered %s", info.error_code);
		return ACMB_OK;
	}
	if (r != ACMB_OK)
		goto out;
	for (i = 0; i < hits.count; i++) {
		if (hits.items[i].type != NULL && strcmp(hits.items[i].type, "IMPORTED") != 0)
			continue;
		if (hits.items[i].serial != NULL && !same_serial(hits.items[i].serial, f->serial))
			continue;
		if ((r = add_if_same(f, hits.items[i].arn, hits.items[i].imported_at,
		         hits.items[i].in_use, out, err)) != ACMB_OK)
			goto out;
	}
	r = ACMB_OK;
out:
	acmb_acm_search_hits_clear(&hits);
	return r;
}

/* Does one of the leaf's names equal ACM's DomainName for a candidate? */
static int
name_matches(STACK_OF(OPENSSL_STRING) *names, const char *domain)
{
	int i;

	if (sk_OPENSSL_STRING_num(names) == 0)
		return 1;
	for (i = 0; domain != NULL && i < sk_OPENSSL_STRING_num(names); i++)
		if (strcasecmp(sk_OPENSSL_STRING_value(names, i), domain) == 0)
			return 1;
	return 0;
}

/* ListCertificates over every key type (ACM's default listing shows only
 * RSA_1024 and RSA_2048), IMPORTED ones with one of the leaf's names. */
static int
find_by_listing(struct acmb_copy_finder *f, struct acmb_copies *out, acmb_err *err)
{
	struct acmb_acm_summary_list list = {0};
	STACK_OF(OPENSSL_STRING) *names = NULL;
	size_t i;
	int r = ACMB_E_INTERNAL;

	if ((names = acmb_x509_domain_names(f->leaf)) == NULL) {
		r = acmb_error(err, ACMB_E_NOMEM, "out of memory");
		goto out;
	}
	if ((r = acmb_acm_list_certificates(f->cfg, &list, NULL, err)) != ACMB_OK)
		goto out;
	for (i = 0; i < list.count; i++) {
		if (list.items[i].type != NULL && strcmp(list.items[i].type, "IMPORTED") != 0)
			continue;
		if (!name_matches(names, list.items[i].domain_name))
			continue;
		if ((r = add_if_same(f, list.items[i].arn, list.items[i].imported_at,
		         list.items[i].in_use, out, err)) != ACMB_OK)
			goto out;
	}
	r = ACMB_OK;
out:
	acmb_x509_names_free(names);
	acmb_acm_summary_list_clear(&list);
	return r;
}

int
acmb_copies_find(struct acmb_copy_finder *f, const char *own, struct acmb_copies *out,
    struct acmb_import_result *res, acmb_err *err)
{
	struct acmb_copies c = {0};
	int r = ACMB_E_INTERNAL;

	memset(out, 0, sizeof(*out));
	if (!f->search_off && (r = find_by_search(f, &c, err)) != ACMB_OK)
		goto out;
	if (f->search_off && !f->search_off_noted) {
		acmb_import_note(
		    res, "%s; looking through ListCertificates instead", f->search_off_why);
		f->search_off_noted = 1;
	}
	if (f->search_off || (own != NULL && !acmb_copies_has(&c, own))) {
		if ((r = find_by_listing(f, &c, err)) != ACMB_OK)
			goto out;
	}
	if (c.count > 1)
		qsort(c.v, c.count, sizeof(*c.v), copy_order);
	*out = c;
	memset(&c, 0, sizeof(c));
	r = ACMB_OK;
out:
	acmb_copies_clear(&c);
	return r;
}

int
acmb_copies_from_inventory(struct acmb_copy_finder *f, const struct acmb_inventory *inv,
    struct acmb_copies *out, struct acmb_import_result *res, acmb_err *err)
{
	struct acmb_copies c = {0};
	STACK_OF(OPENSSL_STRING) *names = NULL;
	const struct acmb_inventory_cert *ic;
	size_t i;
	int r = ACMB_E_INTERNAL;

	memset(out, 0, sizeof(*out));
	if (!inv->searched) {
		/* The endpoint has no SearchCertificates for us: the convergence
		 * after an import goes by the listing too, without asking again. */
		if (!f->search_off)
			snprintf(f->search_off_why, sizeof(f->search_off_why), "%s",
			    inv->search_off_why[0] != '\0' ? inv->search_off_why
			                                   : "SearchCertificates is unavailable");
		f->search_off = 1;
		if (!f->search_off_noted)
			acmb_import_note(
			    res, "%s; looking through ListCertificates instead", f->search_off_why);
		f->search_off_noted = 1;
		if ((names = acmb_x509_domain_names(f->leaf)) == NULL) {
			r = acmb_error(err, ACMB_E_NOMEM, "out of memory");
			goto out;
		}
	}
	for (i = 0; i < inv->n; i++) {
		ic = &inv->certs[i];
		if (ic->type != NULL && strcmp(ic->type, "IMPORTED") != 0)
			continue;
		if (inv->searched ? ic->serial != NULL && !same_serial(ic->serial, f->serial)
		                  : !name_matches(names, ic->domain))
			continue;
		if ((r = add_if_same(f, ic->arn, ic->imported_at_exact, ic->in_use, &c, err)) !=
		    ACMB_OK)
			goto out;
	}
	if (c.count > 1)
		qsort(c.v, c.count, sizeof(*c.v), copy_order);
	*out = c;
	memset(&c, 0, sizeof(c));
	r = ACMB_OK;
out:
	acmb_x509_names_free(names);
	acmb_copies_clear(&c);
	return r;
}

/* what: while doing what, and what that leaves behind. */
static int
interrupted(const struct acmb_copy_finder *f, const char *what, const char *arn, acmb_err *err)
{
	if (!acmb_aws_cancelled(f->cfg))
		return ACMB_OK;
	return acmb_error(err, ACMB_E_INTERRUPTED, "interrupted by signal %d while %s%s",
	    acmb_aws_cancelled(f->cfg), what, arn != NULL ? arn : "");
}

int
acmb_wait_for_landing(struct acmb_copy_finder *f, const struct acmb_copies *before, int *landed,
    char **own, double *looked, struct acmb_import_result *res, acmb_err *err)
{
	struct acmb_copies now = {0};
	double start = monotonic_seconds(), step = POLL_FIRST, left;
	const char *fresh = NULL;
	size_t i, nfresh;
	int r = ACMB_E_INTERNAL;

	*landed = 0;
	*own = NULL;
	*looked = 0;
	for (;;) {
		acmb_copies_clear(&now);
		if ((r = acmb_copies_find(f, NULL, &now, res, err)) != ACMB_OK)
			goto out;
		for (i = 0, nfresh = 0; i < now.count; i++) {
			if (!acmb_copies_has(before, now.v[i].arn)) {
				fresh = now.v[i].arn;
				nfresh++;
			}
		}
		*looked = monotonic_seconds() - start;
		if (nfresh > 0) {
			*landed = 1;
			if (nfresh == 1 && (*own = strdup(fresh)) == NULL) {
				r = acmb_error(err, ACMB_E_NOMEM, "out of memory");
				goto out;
			}
			r = ACMB_OK;
			goto out;
		}
		left = f->landing_wait - *looked;
		if (left <= 0)
			break;
		sleep_seconds(f, step < left ? step : left);
		if ((r = interrupted(f,
		         "looking for the import whose answer was lost; if it "
		         "landed, a rerun of this import finds it and sends nothing",
		         NULL, err)) != ACMB_OK)
			goto out;
		step = step * 2 > POLL_MAX ? POLL_MAX : step * 2;
	}
	r = ACMB_OK;
out:
	acmb_copies_clear(&now);
	return r;
}

/* Until ACM's search (or listing) shows own, at most f->landing_wait
 * seconds: an import is visible to the other racers once it shows there. */
static int
wait_visible(struct acmb_copy_finder *f, const char *own, struct acmb_copies *view,
    struct acmb_import_result *res, acmb_err *err)
{
	double start = monotonic_seconds(), step = POLL_FIRST, left;
	int r;

	for (;;) {
		acmb_copies_clear(view);
		if ((r = acmb_copies_find(f, own, view, res, err)) != ACMB_OK)
			return r;
		if (acmb_copies_has(view, own))
			return ACMB_OK;
		left = f->landing_wait - (monotonic_seconds() - start);
		if (left <= 0)
			break;
		sleep_seconds(f, step < left ? step : left);
		if ((r = interrupted(f,
		         "waiting for ACM to show the new certificate (not compared "
		         "with other runs' copies; a rerun names any other): ",
		         own, err)) != ACMB_OK)
			return r;
		step = step * 2 > POLL_MAX ? POLL_MAX : step * 2;
	}
	acmb_import_note(res,
	    "ACM did not show %s in its search or listing after %.0f s; deciding on what it "
	    "showed",
	    own, f->landing_wait);
	return ACMB_OK;
}

/* Adds own to view when ACM's search does not show it yet (and it still
 * exists: DescribeCertificate is consistent where the search may lag). */
static int
include_own(struct acmb_copy_finder *f, const char *own, struct acmb_copies *view, acmb_err *err)
{
	double imported_at = 0;
	int in_use = -1, r;

	if (acmb_copies_has(view, own))
		return ACMB_OK;
	if ((r = describe_copy(f, own, &imported_at, &in_use, err)) == ACMB_E_AWS)
		return ACMB_OK; /* gone: another run deleted it (then it was not ours) */
	if (r != ACMB_OK)
		return r;
	if (copies_add(view, own, imported_at, in_use) != ACMB_OK)
		return acmb_error(err, ACMB_E_NOMEM, "out of memory");
	if (view->count > 1)
		qsort(view->v, view->count, sizeof(*view->v), copy_order);
	return ACMB_OK;
}

static const struct acmb_copy *
copy_of(const struct acmb_copies *c, const char *arn)
{
	size_t i;

	for (i = 0; i < c->count; i++)
		if (strcmp(c->v[i].arn, arn) == 0)
			return &c->v[i];
	return NULL;
}

/* The first in-use resource of arn, into buf ("" when none or unknown). */
static int
in_use_by(struct acmb_copy_finder *f, const char *arn, char *buf, size_t len, acmb_err *err)
{
	struct acmb_acm_certificate d = {0};
	int r;

	buf[0] = '\0';
	if ((r = acmb_acm_describe_certificate(f->cfg, arn, &d, NULL, err)) != ACMB_OK)
		return r;
	if (d.in_use_by.count > 0)
		snprintf(
		    buf, len, "%s%s", d.in_use_by.v[0], d.in_use_by.count > 1 ? " and more" : "");
	acmb_acm_certificate_clear(&d);
	return ACMB_OK;
}

/* Deletes this run's newer copy, unless it is in use. */
static int
delete_own(struct acmb_copy_finder *f, const struct acmb_copy *keep, const struct acmb_copy *mine,
    struct acmb_import_result *res, acmb_err *err)
{
	struct acmb_aws_call_info info;
	char user[300], t1[40], t2[40];
	int r;

	utc_time(keep->imported_at, t1, sizeof(t1));
	utc_time(mine->imported_at, t2, sizeof(t2));
	if ((r = in_use_by(f, mine->arn, user, sizeof(user), err)) != ACMB_OK)
		return r;
	memset(&info, 0, sizeof(info));
	if (user[0] == '\0' &&
	    (r = acmb_acm_delete_certificate(f->cfg, mine->arn, &info, err)) == ACMB_OK) {
		acmb_import_note(res,
		    "deleted this run's copy %s (imported at %s): every run keeps %s, "
		    "imported earlier (%s)",
		    mine->arn, t2, keep->arn, t1);
		return ACMB_OK;
	}
	if (user[0] == '\0' && r == ACMB_E_AWS &&
	    strcmp(info.error_code, "ResourceNotFoundException") == 0) {
		acmb_import_note(res, "this run's copy %s is gone already; %s is the one to use",
		    mine->arn, keep->arn);
		return ACMB_OK;
	}
	if (user[0] != '\0' ||
	    (r == ACMB_E_AWS && strcmp(info.error_code, "ResourceInUseException") == 0)) {
		return acmb_error(err, ACMB_E_AWS,
		    "ACM holds this certificate twice: %s (imported at %s, the one every run "
		    "keeps) and %s (this run's, imported at %s), which is already in use%s%s, "
		    "so it was not deleted. Move its users to %s, then delete %s "
		    "(aws acm delete-certificate)",
		    keep->arn, t1, mine->arn, t2, user[0] != '\0' ? " by " : "", user, keep->arn,
		    mine->arn);
	}
	if (r == ACMB_E_AWS && strstr(info.error_code, "AccessDenied") != NULL) {
		return acmb_error(err, ACMB_E_AWS,
		    "DeleteCertificate of this run's newer copy was denied (%s): ACM now holds "
		    "this certificate twice, as %s (imported at %s, the one to use) and %s "
		    "(this run's, imported at %s). Grant acm:DeleteCertificate to the caller "
		    "(docs/aws.md), or delete %s once nothing uses it",
		    info.error_code, keep->arn, t1, mine->arn, t2, mine->arn);
	}
	acmb_import_note(res,
	    "ACM holds this certificate twice: %s (the one to use) and this run's newer "
	    "copy %s, which could not be deleted",
	    keep->arn, mine->arn);
	return r;
}

int
acmb_converge(struct acmb_copy_finder *f, const char *own, char **survivor,
    struct acmb_import_result *res, acmb_err *err)
{
	struct acmb_copies view = {0};
	const struct acmb_copy *keep, *mine;
	char t1[40];
	size_t i;
	int r = ACMB_E_INTERNAL;

	*survivor = NULL;
	if (own != NULL) {
		if ((r = wait_visible(f, own, &view, res, err)) != ACMB_OK)
			goto out;
		if (f->settle > 0) {
			sleep_seconds(f, f->settle);
			if ((r = interrupted(f,
			         "waiting for ACM to show other copies (not compared "
			         "with them; a rerun names any other): ",
			         own, err)) != ACMB_OK)
				goto out;
			acmb_copies_clear(&view);
			if ((r = acmb_copies_find(f, own, &view, res, err)) != ACMB_OK)
				goto out;
		}
		if ((r = include_own(f, own, &view, err)) != ACMB_OK)
			goto out;
	} else if ((r = acmb_copies_find(f, NULL, &view, res, err)) != ACMB_OK) {
		goto out;
	}
	if (view.count == 0) {
		r = acmb_error(err, ACMB_E_VERIFY,
		    "after import, ACM shows no certificate with SHA-256 %s", f->fingerprint);
		goto out;
	}
	keep = &view.v[0];
	if ((*survivor = strdup(keep->arn)) == NULL) {
		r = acmb_error(err, ACMB_E_NOMEM, "out of memory");
		goto out;
	}
	utc_time(keep->imported_at, t1, sizeof(t1));
	if (own != NULL && strcmp(keep->arn, own) == 0) {
		if (view.count > 1)
			acmb_import_note(res,
			    "kept this run's copy %s (imported at %s): the first of %zu copies "
			    "of this certificate in ACM; the runs that made the others delete "
			    "their own",
			    own, t1, view.count);
		r = ACMB_OK;
		goto out;
	}
	if (own == NULL) {
		acmb_import_note(res,
		    "the lost import landed, but ACM shows %zu copies of this certificate made "
		    "at the same time, so this run cannot tell which is its own: using the "
		    "first, %s (imported at %s)",
		    view.count, keep->arn, t1);
		for (i = 1; i < view.count; i++)
			acmb_import_note(
			    res, "also in ACM: %s (a newer copy; left alone)", view.v[i].arn);
		r = ACMB_OK;
		goto out;
	}
	if ((mine = copy_of(&view, own)) == NULL) {
		acmb_import_note(res, "%s is gone already; every run keeps %s (imported at %s)",
		    own, keep->arn, t1);
		r = ACMB_OK;
		goto out;
	}
	r = delete_own(f, keep, mine, res, err);
out:
	acmb_copies_clear(&view);
	return r;
}
