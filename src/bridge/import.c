#include "import.h"

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

#include "secmem.h"
#include "x509-names.h"

static void __attribute__((format(printf, 2, 3)))
note(struct acmb_import_result *res, const char *fmt, ...)
{
	va_list ap;

	if (res->nnotes >= ACMB_IMPORT_NOTES_MAX)
		return;
	va_start(ap, fmt);
	vsnprintf(res->notes[res->nnotes++], ACMB_IMPORT_NOTE_LEN, fmt, ap);
	va_end(ap);
}

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

/* Does any of the leaf's names equal ACM's DomainName for a candidate? */
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

/*
 * ImportCertificate has no idempotency token. After a lost answer, find
 * whether the first attempt created the certificate: list every key type
 * (ACM's default listing shows only RSA_1024/RSA_2048, so RSA-4096 and EC
 * imports would be missed), keep imported certificates with one of the leaf's
 * names, and compare the certificate ACM returns by SHA-256. *arn_out is NULL
 * when nothing landed.
 */
static int
find_landed(
    const struct acmb_aws_config *cfg, X509 *leaf, const char *fp, char **arn_out, acmb_err *err)
{
	struct acmb_acm_summary_list list = {0};
	STACK_OF(OPENSSL_STRING) *names = NULL;
	STACK_OF(X509) *got = NULL;
	char *cert_pem = NULL, *chain_pem = NULL, other[65];
	size_t i;
	int r = ACMB_E_INTERNAL;

	*arn_out = NULL;
	if ((names = acmb_x509_domain_names(leaf)) == NULL) {
		r = acmb_error(err, ACMB_E_NOMEM, "out of memory");
		goto out;
	}
	if ((r = acmb_acm_list_certificates(cfg, &list, NULL, err)) != ACMB_OK)
		goto out;
	for (i = 0; i < list.count; i++) {
		if (list.items[i].type != NULL && strcmp(list.items[i].type, "IMPORTED") != 0)
			continue;
		if (!name_matches(names, list.items[i].domain_name))
			continue;
		free(cert_pem);
		free(chain_pem);
		cert_pem = chain_pem = NULL;
		if ((r = acmb_acm_get_certificate(
		         cfg, list.items[i].arn, &cert_pem, &chain_pem, NULL, err)) != ACMB_OK) {
			if (r == ACMB_E_AWS)
				continue; /* deleted meanwhile, or not ours to read */
			goto out;
		}
		sk_X509_pop_free(got, X509_free);
		if ((got = parse_pem_certs(cert_pem)) == NULL || sk_X509_num(got) < 1)
			continue;
		if (fingerprint(sk_X509_value(got, 0), other) == ACMB_OK &&
		    strcmp(other, fp) == 0) {
			if ((*arn_out = strdup(list.items[i].arn)) == NULL) {
				r = acmb_error(err, ACMB_E_NOMEM, "out of memory");
				goto out;
			}
			break;
		}
	}
	r = ACMB_OK;
out:
	free(cert_pem);
	free(chain_pem);
	sk_X509_pop_free(got, X509_free);
	acmb_x509_names_free(names);
	acmb_acm_summary_list_clear(&list);
	return r;
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
 */
static int
apply_tag_changes(const struct acmb_aws_config *cfg, const char *arn,
    const struct acmb_acm_tag *want, size_t nwant, int dry_run, struct acmb_import_result *res,
    acmb_err *err)
{
	struct acmb_acm_tag_list cur = {0};
	struct acmb_acm_tag add[ACMB_ACM_TAGS_MAX + 1], del[ACMB_ACM_TAGS_MAX + 1];
	size_t i, nadd = 0, ndel = 0;
	const char *old;
	int found, r = ACMB_E_INTERNAL;

	if (nwant == 0)
		return ACMB_OK;
	if ((r = acmb_acm_list_tags(cfg, arn, &cur, NULL, err)) != ACMB_OK)
		goto out;
	for (i = 0; i < nwant; i++) {
		old = tag_value(&cur, want[i].key, &found);
		if (found && same_value(old, want[i].value))
			continue;
		if (found) {
			del[ndel].key = want[i].key;
			del[ndel++].value = old;
			note(res, "%s tag %s: '%s' -> '%s'", dry_run ? "would change" : "changed",
			    want[i].key, old != NULL ? old : "",
			    want[i].value != NULL ? want[i].value : "");
			res->tags_changed++;
		} else {
			note(res, "%s tag %s='%s'", dry_run ? "would add" : "added", want[i].key,
			    want[i].value != NULL ? want[i].value : "");
			res->tags_added++;
		}
		add[nadd++] = want[i];
	}
	if (nadd == 0) {
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
	if (dry_run) {
		r = ACMB_OK;
		goto out;
	}
	if (ndel > 0 && (r = acmb_acm_remove_tags(cfg, arn, del, ndel, NULL, err)) != ACMB_OK)
		goto out;
	r = acmb_acm_add_tags(cfg, arn, add, nadd, NULL, err);
out:
	acmb_acm_tag_list_clear(&cur);
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

/*
 * Sends ImportCertificate until it is known to have landed: a lost answer
 * to a new import is followed by a search for the certificate before any
 * resend, so a retry never creates a duplicate. A reimport names its ARN, so
 * resending it is harmless.
 */
static int
send_import(const struct acmb_aws_config *cfg, const struct acmb_material *m, const char *cert_pem,
    const char *chain_pem, const acmb_secbuf *key_pem, const char *arn,
    const struct acmb_acm_tag *tags, size_t ntags, struct acmb_import_result *res, acmb_err *err)
{
	struct acmb_aws_call_info info;
	int max = acmb_aws_config_max_attempts(cfg), r = ACMB_E_INTERNAL;
	char *landed = NULL;

	for (;;) {
		res->import_attempts++;
		r = acmb_acm_import_certificate(cfg, cert_pem, chain_pem, key_pem, arn,
		    arn != NULL ? NULL : tags, arn != NULL ? 0 : ntags, &res->arn, &info, err);
		if (r == ACMB_OK || !info.response_lost)
			return r;
		note(res, "attempt %d: the answer to ImportCertificate was lost (%s)",
		    res->import_attempts, err->msg);
		if (arn == NULL) {
			if ((r = find_landed(cfg, acmb_material_leaf(m), res->fingerprint, &landed,
			         err)) != ACMB_OK)
				return r;
			if (landed != NULL) {
				res->arn = landed;
				res->recovered = 1;
				note(res, "the lost attempt had landed as %s; not sent again",
				    landed);
				return ACMB_OK;
			}
			note(res, "no certificate with SHA-256 %s in ACM; sending again",
			    res->fingerprint);
		}
		if (res->import_attempts >= max)
			return acmb_error(err, ACMB_E_NETWORK,
			    "ImportCertificate: the answer was "
			    "lost %d times (--max-attempts %d); ACM holds no certificate with "
			    "SHA-256 %s, so nothing was duplicated",
			    res->import_attempts, max, res->fingerprint);
	}
}

int
acmb_import(const struct acmb_aws_config *cfg, struct acmb_material *m,
    const struct acmb_import_opts *o, struct acmb_import_result *res, acmb_err *err)
{
	struct acmb_acm_tag tags[ACMB_ACM_TAGS_MAX + 1];
	acmb_secbuf *key_pem = NULL;
	X509 *leaf = acmb_material_leaf(m);
	char *cert_pem = NULL, *chain_pem = NULL;
	size_t cert_len, chain_len, ntags;
	double returned;
	int nchain = m->chain != NULL ? sk_X509_num(m->chain) : 0;
	int r = ACMB_E_INTERNAL;

	memset(res, 0, sizeof(*res));
	if (leaf == NULL || m->key == NULL) {
		r = acmb_error(err, ACMB_E_USAGE, "import needs a certificate and its private key");
		goto out;
	}
	if (fingerprint(leaf, res->fingerprint) != ACMB_OK) {
		r = acmb_error_ssl(err, ACMB_E_INTERNAL, "cannot fingerprint the certificate");
		goto out;
	}
	ntags = desired_tags(o, res->fingerprint, tags, res);
	if ((r = acmb_acm_tags_check(tags, ntags, err)) != ACMB_OK)
		goto out;
	if ((r = acmb_material_cert_pem(m, &cert_pem, &cert_len, err)) != ACMB_OK ||
	    (r = acmb_material_chain_pem(m, &chain_pem, &chain_len, err)) != ACMB_OK)
		goto out;

	if (o->certificate_arn != NULL) {
		res->reimport = 1;
		if ((r = judge_reimport(cfg, o->certificate_arn, leaf, res, err)) != ACMB_OK)
			goto out;
	}
	if (o->certificate_arn == NULL && !o->allow_duplicate) {
		if ((r = find_landed(cfg, leaf, res->fingerprint, &res->arn, err)) != ACMB_OK)
			goto out;
		if (res->arn != NULL) {
			res->already_present = 1;
			note(res,
			    "%s already holds this certificate (SHA-256 %s) as %s; not "
			    "imported again (--allow-duplicate imports a second copy)",
			    o->dry_run ? "plan: ACM" : "ACM", res->fingerprint, res->arn);
			if ((r = apply_tag_changes(
			         cfg, res->arn, tags, ntags, o->dry_run, res, err)) != ACMB_OK ||
			    o->dry_run)
				goto out;
			r = verify_after_import(cfg, res->arn, m, res, err);
			goto out;
		}
	}
	if (o->dry_run) {
		if (o->certificate_arn != NULL)
			note(res, "plan: reimport into %s, keeping the ARN", o->certificate_arn);
		else
			note(res, "plan: import as a new certificate (SHA-256 %s)",
			    res->fingerprint);
		note(res, "plan: chain of %d certificate%s, in the order checked", nchain,
		    nchain == 1 ? "" : "s");
		if (o->certificate_arn != NULL)
			r = apply_tag_changes(cfg, o->certificate_arn, tags, ntags, 1, res, err);
		else {
			note(res, "plan: %zu tag%s sent with the import", ntags,
			    ntags == 1 ? "" : "s");
			r = ACMB_OK;
		}
		goto out;
	}

	if ((r = acmb_material_key_pem(m, &key_pem, err)) != ACMB_OK)
		goto out;
	r = send_import(
	    cfg, m, cert_pem, chain_pem, key_pem, o->certificate_arn, tags, ntags, res, err);
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
	note(res, "%s %s (%d ImportCertificate request%s)",
	    o->certificate_arn != NULL ? "reimported into" : "imported as", res->arn,
	    res->import_attempts, res->import_attempts == 1 ? "" : "s");
	if (o->certificate_arn != NULL &&
	    (r = apply_tag_changes(cfg, res->arn, tags, ntags, 0, res, err)) != ACMB_OK)
		goto out;
	r = verify_after_import(cfg, res->arn, m, res, err);
out:
	acmb_secbuf_free(key_pem);
	if (!o->keep_key) {
		EVP_PKEY_free(m->key);
		m->key = NULL;
	}
	free(cert_pem);
	free(chain_pem);
	return r;
}

void
acmb_import_result_clear(struct acmb_import_result *res)
{
	if (res == NULL)
		return;
	free(res->arn);
	res->arn = NULL;
}
