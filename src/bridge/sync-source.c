/*
 * sync's sources (see sync-source.h): the files and PKCS#11 sources of
 * `import`, fed from a manifest entry instead of options.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/evp.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "check.h"
#include "source-files.h"
#include "source.h"
#include "sync-source.h"

void
acmb_sync_peek_clear(struct acmb_sync_peek *p)
{
	size_t i;

	if (p == NULL)
		return;
	for (i = 0; i < p->ndomains; i++)
		free(p->domains[i]);
	free(p->domains);
	memset(p, 0, sizeof(*p));
}

static int
add_domain(struct acmb_sync_peek *p, const char *d, size_t len)
{
	char **grown;
	size_t i;

	for (i = 0; i < p->ndomains; i++)
		if (strlen(p->domains[i]) == len && strncmp(p->domains[i], d, len) == 0)
			return 0;
	/* An array of pointers: the pointer size is meant. */
	/* NOLINTNEXTLINE(bugprone-sizeof-expression) */
	if ((grown = realloc(p->domains, (p->ndomains + 1) * sizeof(*grown))) == NULL)
		return -1;
	p->domains = grown;
	if ((p->domains[p->ndomains] = strndup(d, len)) == NULL)
		return -1;
	p->ndomains++;
	return 0;
}

int
acmb_sync_peek_material(const struct acmb_material *m, struct acmb_sync_peek *out, acmb_err *err)
{
	X509 *leaf = acmb_material_leaf(m);
	GENERAL_NAMES *sans = NULL;
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int mdlen = 0, i;
	const ASN1_INTEGER *serial;
	BIGNUM *bn = NULL;
	char *hex = NULL, cn[256];
	int r = ACMB_E_INTERNAL, n;

	acmb_sync_peek_clear(out);
	if (leaf == NULL)
		return acmb_error(err, ACMB_E_PARSE, "no certificate to read");
	if (!X509_digest(leaf, EVP_sha256(), md, &mdlen) || mdlen != 32) {
		r = acmb_error_ssl(err, ACMB_E_INTERNAL, "SHA-256 of the certificate");
		goto out;
	}
	for (i = 0; i < mdlen; i++)
		snprintf(out->src.sha256 + 2 * (size_t)i, 3, "%02x", md[i]);
	serial = X509_get0_serialNumber(leaf);
	if ((bn = ASN1_INTEGER_to_BN(serial, NULL)) == NULL || (hex = BN_bn2hex(bn)) == NULL ||
	    acmb_inventory_serial_norm(hex, out->src.serial, sizeof(out->src.serial)) != 0) {
		r = acmb_error(err, ACMB_E_PARSE, "the certificate's serial number cannot be read");
		goto out;
	}
	{
		struct tm tm;

		if (ASN1_TIME_to_tm(X509_get0_notBefore(leaf), &tm) != 1) {
			r = acmb_error(
			    err, ACMB_E_PARSE, "the certificate's NotBefore cannot be read");
			goto out;
		}
		out->src.not_before = timegm(&tm);
		if (ASN1_TIME_to_tm(X509_get0_notAfter(leaf), &tm) != 1) {
			r = acmb_error(
			    err, ACMB_E_PARSE, "the certificate's NotAfter cannot be read");
			goto out;
		}
		out->src.not_after = timegm(&tm);
	}
	out->src.key_algorithm = acmb_rules_key_algorithm(X509_get0_pubkey(leaf), NULL, 0);
	n = X509_NAME_get_text_by_NID(X509_get_subject_name(leaf), NID_commonName, cn, sizeof(cn));
	if (n > 0 && add_domain(out, cn, (size_t)n) != 0)
		goto nomem;
	if ((sans = X509_get_ext_d2i(leaf, NID_subject_alt_name, NULL, NULL)) != NULL) {
		int k;

		for (k = 0; k < sk_GENERAL_NAME_num(sans); k++) {
			const GENERAL_NAME *g = sk_GENERAL_NAME_value(sans, k);

			if (g->type == GEN_DNS &&
			    add_domain(out, (const char *)ASN1_STRING_get0_data(g->d.dNSName),
			        (size_t)ASN1_STRING_length(g->d.dNSName)) != 0)
				goto nomem;
		}
	}
	out->src.known = 1;
	out->src.domains = (const char *const *)out->domains;
	out->src.ndomains = out->ndomains;
	r = ACMB_OK;
	goto out;
nomem:
	r = acmb_error(err, ACMB_E_NOMEM, "out of memory");
out:
	GENERAL_NAMES_free(sans);
	OPENSSL_free(hex);
	BN_free(bn);
	if (r != ACMB_OK)
		acmb_sync_peek_clear(out);
	return r;
}

/* The files spec of a files, pkcs12 or dir entry. keys: 0 to read the
 * certificate alone (peek). */
static void
files_spec(const struct acmb_manifest_entry *e, int keys, char *crt, char *key, size_t size,
    struct acmb_files_spec *s)
{
	memset(s, 0, sizeof(*s));
	switch (e->source) {
	case ACMB_MANIFEST_FILES:
		s->certificate = e->files.certificate;
		if (keys) {
			s->private_key = e->files.private_key;
			s->certificate_chain = e->files.certificate_chain;
			s->passphrase_file = e->files.passphrase_file;
		}
		break;
	case ACMB_MANIFEST_PKCS12:
		s->pkcs12 = e->pkcs12.path;
		s->passphrase_file = e->pkcs12.passphrase_file;
		break;
	case ACMB_MANIFEST_DIR:
		snprintf(crt, size, "%s/tls.crt", e->dir);
		snprintf(key, size, "%s/tls.key", e->dir);
		s->certificate = crt;
		if (keys)
			s->private_key = key;
		break;
	default:
		break;
	}
}

/* cert-manager writes tls.crt as the leaf followed by its intermediates;
 * ACM wants the leaf alone as the certificate and the rest as the chain.
 * ca.crt (the issuing CA as cert-manager knows it) joins the chain only
 * when it issued the chain's last certificate (or the leaf): it is not
 * always a part of this chain (a CA bundle for clients, say). */
static int
dir_chain(const struct acmb_manifest_entry *e, struct acmb_material *m, acmb_err *err)
{
	struct acmb_files_spec s;
	struct acmb_material *ca = NULL;
	char path[4096];
	X509 *last;
	int k, r = ACMB_E_INTERNAL;

	if (m->certs == NULL || sk_X509_num(m->certs) < 1)
		return ACMB_OK;
	if (m->chain == NULL && (m->chain = sk_X509_new_null()) == NULL)
		return acmb_error(err, ACMB_E_NOMEM, "out of memory");
	while (sk_X509_num(m->certs) > 1) {
		X509 *x = sk_X509_delete(m->certs, 1);

		if (!sk_X509_push(m->chain, x)) {
			X509_free(x);
			return acmb_error(err, ACMB_E_NOMEM, "out of memory");
		}
	}
	m->info[ACMB_FIELD_CERT].blocks = 1;
	m->info[ACMB_FIELD_CHAIN].present = sk_X509_num(m->chain) > 0;
	m->info[ACMB_FIELD_CHAIN].blocks = (size_t)sk_X509_num(m->chain);
	snprintf(m->info[ACMB_FIELD_CHAIN].source, sizeof(m->info[0].source), "%s/tls.crt", e->dir);
	snprintf(path, sizeof(path), "%s/ca.crt", e->dir);
	if (access(path, R_OK) != 0)
		return ACMB_OK;
	memset(&s, 0, sizeof(s));
	s.certificate = path;
	if ((r = acmb_files_load(&s, &ca, err)) != ACMB_OK)
		goto out;
	last = sk_X509_num(m->chain) > 0 ? sk_X509_value(m->chain, sk_X509_num(m->chain) - 1)
	                                 : sk_X509_value(m->certs, 0);
	for (k = 0; ca->certs != NULL && k < sk_X509_num(ca->certs); k++) {
		X509 *x = sk_X509_value(ca->certs, k);

		if (X509_check_issued(x, last) != X509_V_OK || X509_cmp(x, last) == 0)
			continue;
		if (!X509_up_ref(x) || !sk_X509_push(m->chain, x)) {
			r = acmb_error(err, ACMB_E_NOMEM, "out of memory");
			goto out;
		}
		m->info[ACMB_FIELD_CHAIN].present = 1;
		m->info[ACMB_FIELD_CHAIN].blocks++;
		break;
	}
	r = ACMB_OK;
out:
	acmb_material_free(ca);
	return r;
}

/* A pkcs11 entry's source spec. The URI parser edits its text in place (it
 * takes pin-value out of it): it gets copies in uris[0..2] (the caller
 * frees them), never the manifest's strings. */
static int
p11_spec(const struct acmb_manifest_entry *e, const char *region, const char *account,
    struct acmb_ctx *ctx, char *uris[3], struct acmb_pkcs11_spec *spec, acmb_err *err)
{
	if ((uris[0] = strdup(e->pkcs11.certificate)) == NULL ||
	    (e->pkcs11.private_key != NULL && (uris[1] = strdup(e->pkcs11.private_key)) == NULL) ||
	    (e->pkcs11.wrapping_key != NULL && (uris[2] = strdup(e->pkcs11.wrapping_key)) == NULL))
		return acmb_error(err, ACMB_E_NOMEM, "out of memory");
	spec->certificate = uris[0];
	spec->private_key = uris[1];
	spec->token.wrapping_key = uris[2];
	spec->token.module = e->pkcs11.module;
	spec->token.pin.pin_file = e->pkcs11.pin_file;
	spec->token.pin.pin_env = e->pkcs11.pin_env;
	spec->region = region;
	spec->account = account;
	spec->ctx = ctx;
	return ACMB_OK;
}

/* A pkcs11 entry's certificate and chain, read from the token with the key
 * left there (no export, no audit record): enough to plan. */
static int
peek_pkcs11(const struct acmb_manifest_entry *e, struct acmb_ctx *ctx, struct acmb_sync_peek *out,
    acmb_err *err)
{
	struct acmb_pkcs11_spec spec;
	struct acmb_material *m = NULL;
	char *uris[3] = {NULL, NULL, NULL};
	int r;

	memset(&spec, 0, sizeof(spec));
	if ((r = p11_spec(e, NULL, NULL, ctx, uris, &spec, err)) != ACMB_OK)
		goto out;
	spec.certificate_only = 1;
	if ((r = acmb_pkcs11_load(&spec, &m, NULL, err)) != ACMB_OK) {
		char msg[ACMB_ERRMSG_MAX];

		snprintf(msg, sizeof(msg), "%s", err != NULL ? err->msg : "");
		r = acmb_error(err, r, "certificate %s: %s", e->name, msg);
		goto out;
	}
	r = acmb_sync_peek_material(m, out, err);
out:
	acmb_material_free(m);
	acmb_pkcs11_spec_clear(&spec);
	free(uris[0]);
	free(uris[1]);
	free(uris[2]);
	return r;
}

int
acmb_sync_peek(const struct acmb_manifest_entry *e, struct acmb_ctx *ctx,
    struct acmb_sync_peek *out, acmb_err *err)
{
	struct acmb_files_spec s;
	struct acmb_material *m = NULL;
	char crt[4096], key[4096];
	int r;

	acmb_sync_peek_clear(out);
	if (e->source == ACMB_MANIFEST_PRIVATE_CA)
		return ACMB_OK;
	if (e->source == ACMB_MANIFEST_PKCS11)
		return peek_pkcs11(e, ctx, out, err);
	files_spec(e, 0, crt, key, sizeof(crt), &s);
	if ((r = acmb_files_load(&s, &m, err)) != ACMB_OK)
		goto out;
	if (m->info[ACMB_FIELD_CERT].status != ACMB_OK) {
		r = acmb_error(err, ACMB_E_PARSE, "certificate %s: %s", e->name,
		    m->info[ACMB_FIELD_CERT].message);
		goto out;
	}
	r = acmb_sync_peek_material(m, out, err);
out:
	/* A PKCS#12 bundle's key was decoded to reach the certificate: wiped
	 * here, with the material. */
	acmb_material_free(m);
	return r;
}

int
acmb_sync_load(const struct acmb_manifest_entry *e, const char *region, const char *account,
    time_t at, struct acmb_ctx *ctx, struct acmb_material **m, struct acmb_rules_report **rep,
    struct acmb_audit **audit, acmb_err *err)
{
	struct acmb_source_spec spec;
	char crt[4096], key[4096], *uris[3] = {NULL, NULL, NULL};
	int r = ACMB_E_INTERNAL;

	*m = NULL;
	*rep = NULL;
	*audit = NULL;
	memset(&spec, 0, sizeof(spec));
	switch (e->source) {
	case ACMB_MANIFEST_FILES:
	case ACMB_MANIFEST_PKCS12:
	case ACMB_MANIFEST_DIR:
		files_spec(e, 1, crt, key, sizeof(crt), &spec.files);
		spec.files.strict_permissions = e->strict_permissions;
		break;
	case ACMB_MANIFEST_PKCS11:
		/* The certificate and key both come from the token (the files
		 * source's fields stay empty, as import leaves them). */
		if ((r = p11_spec(e, region, account, ctx, uris, &spec.p11, err)) != ACMB_OK)
			goto out;
		break;
	case ACMB_MANIFEST_PRIVATE_CA:
		return acmb_error(err, ACMB_E_INTERNAL,
		    "certificate %s: a private-ca entry is issued, "
		    "not loaded",
		    e->name);
	}
	if ((r = acmb_check_source(&spec, at, m, rep, audit, err)) != ACMB_OK)
		goto out;
	if (e->source == ACMB_MANIFEST_DIR) {
		if ((r = dir_chain(e, *m, err)) != ACMB_OK)
			goto out;
		/* The chain changed: judge again with it. */
		if ((r = acmb_rules_judge(*m, at, *rep, err)) != ACMB_OK)
			goto out;
	}
	r = ACMB_OK;
out:
	if (r != ACMB_OK) {
		acmb_material_free(*m);
		*m = NULL;
		free(*rep);
		*rep = NULL;
	}
	acmb_pkcs11_spec_clear(&spec.p11);
	free(uris[0]);
	free(uris[1]);
	free(uris[2]);
	return r;
}
