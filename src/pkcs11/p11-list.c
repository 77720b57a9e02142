#include "p11-list.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/objects.h>
#include <openssl/x509.h>

#include "p11-export.h"
#include "p11-pair.h"

/* Certificates of a token and the private key each pairs with. */
struct pairing {
	CK_OBJECT_HANDLE cert[ACMB_P11_LIST_OBJECTS_MAX];
	CK_OBJECT_HANDLE key[ACMB_P11_LIST_OBJECTS_MAX];
	size_t n;
	int done;
};

/* Algorithm of a key object: "RSA-2048", "EC-prime256v1". */
static void
key_algorithm(const struct acmb_p11_token *t, CK_SESSION_HANDLE s, const struct acmb_p11_object *o,
    char *buf, size_t len)
{
	unsigned char *v = NULL;
	const unsigned char *p;
	ASN1_OBJECT *oid = NULL;
	size_t n = 0, i = 0;

	snprintf(buf, len, "%s", acmb_p11_key_type_name(o->key_type));
	if (o->key_type == CKK_RSA &&
	    acmb_p11_attr_get(t, s, o->handle, CKA_MODULUS, &v, &n, NULL) == ACMB_OK) {
		while (i < n && v[i] == 0)
			i++;
		snprintf(buf, len, "RSA-%zu", (n - i) * 8);
	} else if (o->key_type == CKK_EC &&
	           acmb_p11_attr_get(t, s, o->handle, CKA_EC_PARAMS, &v, &n, NULL) == ACMB_OK) {
		p = v;
		if ((oid = d2i_ASN1_OBJECT(NULL, &p, (long)n)) != NULL &&
		    OBJ_obj2nid(oid) != NID_undef)
			snprintf(buf, len, "EC-%s", OBJ_nid2sn(OBJ_obj2nid(oid)));
	}
	ASN1_OBJECT_free(oid);
	free(v);
}

static void
cert_details(X509 *x, struct acmb_p11_listed_object *lo)
{
	EVP_PKEY *pub = X509_get0_pubkey(x);
	char group[48];
	struct tm tm;

	snprintf(lo->algorithm, sizeof(lo->algorithm), "unknown");
	if (pub != NULL && EVP_PKEY_is_a(pub, "RSA"))
		snprintf(lo->algorithm, sizeof(lo->algorithm), "RSA-%d", EVP_PKEY_get_bits(pub));
	else if (pub != NULL && EVP_PKEY_get_utf8_string_param(pub, OSSL_PKEY_PARAM_GROUP_NAME,
	                            group, sizeof(group), NULL) == 1)
		snprintf(lo->algorithm, sizeof(lo->algorithm), "EC-%s", group);
	if (ASN1_TIME_to_tm(X509_get0_notAfter(x), &tm) == 1)
		strftime(lo->not_after, sizeof(lo->not_after), "%Y-%m-%dT%H:%M:%SZ", &tm);
	else
		snprintf(lo->not_after, sizeof(lo->not_after), "unknown");
	X509_NAME_oneline(X509_get_subject_name(x), lo->subject, (int)sizeof(lo->subject));
}

/* The private key certificate h pairs with, as the PKCS#11 source pairs;
 * CK_INVALID_HANDLE when none does or the certificate cannot be read. */
static CK_OBJECT_HANDLE
cert_partner(const struct acmb_p11_token *t, CK_SESSION_HANDLE s, CK_OBJECT_HANDLE h, X509 *x)
{
	struct acmb_p11_object o;
	CK_OBJECT_HANDLE key = CK_INVALID_HANDLE;

	if (acmb_p11_object_describe(t, s, h, &o, NULL) != ACMB_OK ||
	    acmb_p11_pair_key(t, s, x, o.id, o.id_len, &key, NULL) != ACMB_OK)
		return CK_INVALID_HANDLE;
	return key;
}

/* Pairs every certificate of the token once, for the private keys' "does a
 * certificate pair with me" (which the URI's narrowing must not change). */
static int
pair_all(const struct acmb_p11_token *t, CK_SESSION_HANDLE s, struct pairing *pg, acmb_err *err)
{
	CK_OBJECT_CLASS cls = CKO_CERTIFICATE;
	CK_ATTRIBUTE tmpl[] = {{CKA_CLASS, &cls, sizeof(cls)}};
	CK_OBJECT_HANDLE h[ACMB_P11_LIST_OBJECTS_MAX];
	X509 *x = NULL;
	size_t n = 0, i;
	int r;

	if (pg->done)
		return ACMB_OK;
	if ((r = acmb_p11_find(t, s, tmpl, 1, h, ACMB_P11_LIST_OBJECTS_MAX, &n, err)) != ACMB_OK)
		return r;
	for (i = 0; i < n && i < ACMB_P11_LIST_OBJECTS_MAX; i++) {
		if (acmb_p11_cert_x509(t, s, h[i], &x, NULL) != ACMB_OK)
			continue;
		pg->cert[pg->n] = h[i];
		pg->key[pg->n++] = cert_partner(t, s, h[i], x);
		X509_free(x);
		x = NULL;
	}
	pg->done = 1;
	return ACMB_OK;
}

static int
key_is_paired(const struct pairing *pg, CK_OBJECT_HANDLE key)
{
	size_t i;

	for (i = 0; i < pg->n; i++)
		if (pg->key[i] == key)
			return 1;
	return 0;
}

static void
key_export(const struct acmb_p11_token *t, const struct acmb_p11_object *o,
    struct acmb_p11_listed_object *lo)
{
	enum acmb_p11_export_path path = ACMB_P11_EXPORT_REFUSED;
	acmb_err why = {0, ""};

	acmb_p11_export_plan(t, o, 0, &path, &why);
	if (path != ACMB_P11_EXPORT_REFUSED)
		snprintf(lo->export, sizeof(lo->export), "%s", acmb_p11_export_path_name(path));
	else if (o->wrap_with_trusted == 1 && o->extractable == 1 && o->never_extractable != 1)
		snprintf(lo->export, sizeof(lo->export), "needs --wrapping-key");
	else
		snprintf(lo->export, sizeof(lo->export), "refused");
}

/* Describes object h into lo. Returns 1 when it is listed, 0 when it is
 * skipped (a certificate that does not decode), or an error. */
static int
describe(const struct acmb_p11_token *t, CK_SESSION_HANDLE s, CK_OBJECT_HANDLE h,
    struct pairing *pg, struct acmb_p11_listed_object *lo, acmb_err *err)
{
	struct acmb_p11_object o;
	X509 *x = NULL;
	int r;

	memset(lo, 0, sizeof(*lo));
	if ((r = acmb_p11_object_describe(t, s, h, &o, err)) != ACMB_OK)
		return r;
	acmb_p11_id_hex(o.id, o.id_len, lo->id, sizeof(lo->id));
	snprintf(lo->label, sizeof(lo->label), "%s", o.label);
	lo->extractable = o.extractable;
	lo->sensitive = o.sensitive;
	lo->never_extractable = o.never_extractable;
	lo->wrap_with_trusted = o.wrap_with_trusted;
	snprintf(lo->export, sizeof(lo->export), "n/a");
	if (o.cls == CKO_CERTIFICATE) {
		if (acmb_p11_cert_x509(t, s, h, &x, NULL) != ACMB_OK)
			return 0;
		lo->kind = ACMB_P11_LISTED_CERTIFICATE;
		cert_details(x, lo);
		lo->ca = o.cert_category == 2;
		lo->paired = cert_partner(t, s, h, x) != CK_INVALID_HANDLE;
		X509_free(x);
		return 1;
	}
	key_algorithm(t, s, &o, lo->algorithm, sizeof(lo->algorithm));
	if (o.cls != CKO_PRIVATE_KEY) {
		lo->kind = ACMB_P11_LISTED_SECRET_KEY;
		return 1;
	}
	lo->kind = ACMB_P11_LISTED_PRIVATE_KEY;
	key_export(t, &o, lo);
	if ((r = pair_all(t, s, pg, err)) != ACMB_OK)
		return r;
	lo->paired = key_is_paired(pg, h);
	return 1;
}

static int
find_class(const struct acmb_p11_token *t, CK_SESSION_HANDLE s, struct acmb_p11_uri *uri,
    CK_OBJECT_CLASS cls, CK_OBJECT_HANDLE *h, size_t *n, acmb_err *err)
{
	CK_ATTRIBUTE tmpl[] = {{CKA_CLASS, &cls, sizeof(cls)}};

	if (uri != NULL)
		return acmb_p11_find_uri(t, s, uri, cls, h, ACMB_P11_LIST_OBJECTS_MAX, n, err);
	return acmb_p11_find(t, s, tmpl, 1, h, ACMB_P11_LIST_OBJECTS_MAX, n, err);
}

int
acmb_p11_list_token(const struct acmb_p11_token *t, struct acmb_p11_uri *uri,
    const struct acmb_p11_pin_spec *pin, int login, struct acmb_p11_listed_token *out,
    acmb_err *err)
{
	static const CK_OBJECT_CLASS classes[] = {CKO_CERTIFICATE, CKO_PRIVATE_KEY, CKO_SECRET_KEY};
	CK_OBJECT_HANDLE h[ACMB_P11_LIST_OBJECTS_MAX];
	CK_SESSION_HANDLE s = CK_INVALID_HANDLE;
	struct acmb_p11_listed_object *grown;
	struct pairing *pg = NULL;
	size_t c, i, n;
	int r = ACMB_E_INTERNAL;

	memset(out, 0, sizeof(*out));
	snprintf(out->label, sizeof(out->label), "%s", t->label);
	snprintf(out->serial, sizeof(out->serial), "%s", t->serial);
	snprintf(out->manufacturer, sizeof(out->manufacturer), "%s", t->manufacturer);
	snprintf(out->model, sizeof(out->model), "%s", t->model);
	out->slot = (unsigned long)t->slot;
	if ((out->module = strdup(t->module != NULL ? t->module : "")) == NULL ||
	    (pg = calloc(1, sizeof(*pg))) == NULL) {
		r = acmb_error(err, ACMB_E_NOMEM, "out of memory");
		goto out;
	}
	if ((r = acmb_p11_session_open(t, &s, err)) != ACMB_OK)
		goto out;
	if (login) {
		if ((r = acmb_p11_login(t, s, pin, uri, err)) != ACMB_OK)
			goto out;
		out->logged_in = 1;
	}
	for (c = 0; c < sizeof(classes) / sizeof(classes[0]); c++) {
		if ((r = find_class(t, s, uri, classes[c], h, &n, err)) != ACMB_OK)
			goto out;
		if (n > ACMB_P11_LIST_OBJECTS_MAX)
			n = ACMB_P11_LIST_OBJECTS_MAX;
		if (n > 0 && (grown = reallocarray(out->objects, out->nobjects + n,
		                  sizeof(*out->objects))) == NULL) {
			r = acmb_error(err, ACMB_E_NOMEM, "out of memory");
			goto out;
		}
		if (n > 0)
			out->objects = grown;
		for (i = 0; i < n; i++) {
			if ((r = describe(t, s, h[i], pg, &out->objects[out->nobjects], err)) < 0)
				goto out;
			if (r == 1)
				out->nobjects++;
		}
	}
	r = ACMB_OK;
out:
	free(pg);
	if (s != CK_INVALID_HANDLE)
		acmb_p11_session_close(t, s);
	return r;
}

void
acmb_p11_listed_token_clear(struct acmb_p11_listed_token *lt)
{
	if (lt == NULL)
		return;
	free(lt->module);
	free(lt->objects);
	memset(lt, 0, sizeof(*lt));
}
