#include "p11-object.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "p11-rv.h"

static int
attr_size(const struct acmb_p11_token *t, CK_SESSION_HANDLE s, CK_OBJECT_HANDLE o,
    CK_ATTRIBUTE_TYPE type, CK_ULONG *len, acmb_err *err)
{
	CK_ATTRIBUTE a = {type, NULL, 0};
	CK_RV rv;
	char what[96];

	*len = 0;
	rv = t->fn->C_GetAttributeValue(s, o, &a, 1);
	snprintf(what, sizeof(what), "cannot read attribute 0x%lx", (unsigned long)type);
	if (rv != CKR_OK)
		return acmb_p11_error(err, rv, t->module, what);
	if (a.ulValueLen == CK_UNAVAILABLE_INFORMATION || a.ulValueLen == 0)
		return acmb_error(
		    err, ACMB_E_TOKEN, "%s: the token gives no value (module %s)", what, t->module);
	if (a.ulValueLen > ACMB_P11_ATTR_MAX)
		return acmb_error(err, ACMB_E_TOKEN,
		    "%s: %lu bytes is over the %d-byte maximum "
		    "(module %s)",
		    what, (unsigned long)a.ulValueLen, ACMB_P11_ATTR_MAX, t->module);
	*len = a.ulValueLen;
	return ACMB_OK;
}

int
acmb_p11_attr_get(const struct acmb_p11_token *t, CK_SESSION_HANDLE s, CK_OBJECT_HANDLE o,
    CK_ATTRIBUTE_TYPE type, unsigned char **val, size_t *len, acmb_err *err)
{
	CK_ATTRIBUTE a = {type, NULL, 0};
	unsigned char *buf = NULL;
	CK_ULONG n;
	CK_RV rv;
	int r = ACMB_E_INTERNAL;

	*val = NULL;
	*len = 0;
	if ((r = attr_size(t, s, o, type, &n, err)) != ACMB_OK)
		goto out;
	if ((buf = malloc(n)) == NULL) {
		r = acmb_error(err, ACMB_E_NOMEM, "out of memory reading an attribute");
		goto out;
	}
	a.pValue = buf;
	a.ulValueLen = n;
	if ((rv = t->fn->C_GetAttributeValue(s, o, &a, 1)) != CKR_OK) {
		r = acmb_p11_error(err, rv, t->module, "cannot read an attribute value");
		goto out;
	}
	if (a.ulValueLen == 0 || a.ulValueLen > n) {
		r = acmb_error(err, ACMB_E_TOKEN,
		    "the token changed an attribute's length "
		    "between two reads (module %s)",
		    t->module);
		goto out;
	}
	*val = buf;
	*len = a.ulValueLen;
	buf = NULL;
	r = ACMB_OK;
out:
	free(buf);
	return r;
}

int
acmb_p11_attr_get_secret(const struct acmb_p11_token *t, CK_SESSION_HANDLE s, CK_OBJECT_HANDLE o,
    CK_ATTRIBUTE_TYPE type, acmb_secbuf **val, acmb_err *err)
{
	CK_ATTRIBUTE a = {type, NULL, 0};
	acmb_secbuf *b = NULL;
	CK_ULONG n;
	CK_RV rv;
	int r = ACMB_E_INTERNAL;

	*val = NULL;
	if ((r = attr_size(t, s, o, type, &n, err)) != ACMB_OK)
		goto out;
	if ((b = acmb_secbuf_new(n)) == NULL || (a.pValue = acmb_secbuf_reserve(b, n)) == NULL) {
		r = acmb_error(err, ACMB_E_NOMEM, "secure heap exhausted reading a key component");
		goto out;
	}
	a.ulValueLen = n;
	if ((rv = t->fn->C_GetAttributeValue(s, o, &a, 1)) != CKR_OK) {
		r = acmb_p11_error(err, rv, t->module, "cannot read a key component");
		goto out;
	}
	if (a.ulValueLen == 0 || a.ulValueLen > n) {
		r = acmb_error(err, ACMB_E_TOKEN,
		    "the token changed a key component's length "
		    "between two reads (module %s)",
		    t->module);
		goto out;
	}
	acmb_secbuf_commit(b, a.ulValueLen);
	*val = b;
	b = NULL;
	r = ACMB_OK;
out:
	acmb_secbuf_free(b);
	return r;
}

/* Reads a single fixed-size attribute; *present 0 when the token has none. */
static int
attr_fixed(const struct acmb_p11_token *t, CK_SESSION_HANDLE s, CK_OBJECT_HANDLE o,
    CK_ATTRIBUTE_TYPE type, void *val, CK_ULONG len, int *present, acmb_err *err)
{
	CK_ATTRIBUTE a = {type, val, len};
	CK_RV rv;

	*present = 0;
	rv = t->fn->C_GetAttributeValue(s, o, &a, 1);
	if (rv == CKR_ATTRIBUTE_TYPE_INVALID || rv == CKR_ATTRIBUTE_SENSITIVE)
		return ACMB_OK;
	if (rv != CKR_OK)
		return acmb_p11_error(err, rv, t->module, "cannot read an object's attributes");
	*present = a.ulValueLen == len;
	return ACMB_OK;
}

static int
attr_flag(const struct acmb_p11_token *t, CK_SESSION_HANDLE s, CK_OBJECT_HANDLE o,
    CK_ATTRIBUTE_TYPE type, int *flag, acmb_err *err)
{
	CK_BBOOL b = CK_FALSE;
	int present, r;

	*flag = -1;
	if ((r = attr_fixed(t, s, o, type, &b, sizeof(b), &present, err)) != ACMB_OK)
		return r;
	if (present)
		*flag = b == CK_TRUE;
	return ACMB_OK;
}

int
acmb_p11_find(const struct acmb_p11_token *t, CK_SESSION_HANDLE s, CK_ATTRIBUTE *tmpl,
    CK_ULONG ntmpl, CK_OBJECT_HANDLE *out, size_t max, size_t *count, acmb_err *err)
{
	CK_OBJECT_HANDLE h[32];
	CK_ULONG got, i;
	CK_RV rv;
	int r = ACMB_E_INTERNAL, active = 0;

	*count = 0;
	if ((rv = t->fn->C_FindObjectsInit(s, tmpl, ntmpl)) != CKR_OK) {
		r = acmb_p11_error(err, rv, t->module, "cannot search the token");
		goto out;
	}
	active = 1;
	for (;;) {
		if ((rv = t->fn->C_FindObjects(s, h, 32, &got)) != CKR_OK) {
			r = acmb_p11_error(err, rv, t->module, "cannot search the token");
			goto out;
		}
		if (got == 0 || got > 32)
			break;
		for (i = 0; i < got; i++) {
			if (*count < max)
				out[*count] = h[i];
			(*count)++;
		}
		if (*count > ACMB_P11_OBJECTS_MAX)
			break;
	}
	r = ACMB_OK;
out:
	if (active)
		t->fn->C_FindObjectsFinal(s);
	return r;
}

int
acmb_p11_find_class(const struct acmb_p11_token *t, CK_SESSION_HANDLE s, CK_OBJECT_CLASS cls,
    const unsigned char *id, size_t id_len, CK_OBJECT_HANDLE *out, size_t max, size_t *count,
    acmb_err *err)
{
	CK_ATTRIBUTE tmpl[] = {
	    {CKA_CLASS, &cls, sizeof(cls)},
	    {CKA_ID, (void *)id, id_len},
	};

	return acmb_p11_find(t, s, tmpl, id_len > 0 ? 2 : 1, out, max, count, err);
}

int
acmb_p11_find_uri(const struct acmb_p11_token *t, CK_SESSION_HANDLE s,
    const struct acmb_p11_uri *uri, CK_OBJECT_CLASS cls, CK_OBJECT_HANDLE *out, size_t max,
    size_t *count, acmb_err *err)
{
	P11KitUri *kit = acmb_p11_uri_kit(uri);
	CK_ATTRIBUTE tmpl[4], *a;
	CK_ULONG n = 0;
	CK_OBJECT_CLASS klass = cls;

	*count = 0;
	if ((a = p11_kit_uri_get_attribute(kit, CKA_CLASS)) != NULL) {
		if (a->ulValueLen != sizeof(CK_OBJECT_CLASS) ||
		    *(CK_OBJECT_CLASS *)a->pValue != cls)
			return ACMB_OK;
	}
	tmpl[n].type = CKA_CLASS;
	tmpl[n].pValue = &klass;
	tmpl[n++].ulValueLen = sizeof(klass);
	if ((a = p11_kit_uri_get_attribute(kit, CKA_ID)) != NULL)
		tmpl[n++] = *a;
	if ((a = p11_kit_uri_get_attribute(kit, CKA_LABEL)) != NULL)
		tmpl[n++] = *a;
	return acmb_p11_find(t, s, tmpl, n, out, max, count, err);
}

int
acmb_p11_object_describe(const struct acmb_p11_token *t, CK_SESSION_HANDLE s, CK_OBJECT_HANDLE h,
    struct acmb_p11_object *o, acmb_err *err)
{
	CK_ATTRIBUTE a;
	CK_RV rv;
	int present, r;

	memset(o, 0, sizeof(*o));
	o->handle = h;
	o->sensitive = o->extractable = o->never_extractable = -1;
	o->always_sensitive = o->wrap_with_trusted = -1;
	if ((r = attr_fixed(t, s, h, CKA_CLASS, &o->cls, sizeof(o->cls), &present, err)) != ACMB_OK)
		return r;
	if (!present)
		return acmb_error(
		    err, ACMB_E_TOKEN, "an object has no class (module %s)", t->module);
	a.type = CKA_LABEL;
	a.pValue = o->label;
	a.ulValueLen = ACMB_P11_LABEL_MAX;
	rv = t->fn->C_GetAttributeValue(s, h, &a, 1);
	if (rv == CKR_OK && a.ulValueLen <= ACMB_P11_LABEL_MAX)
		o->label[a.ulValueLen] = '\0';
	else
		o->label[0] = '\0';
	a.type = CKA_ID;
	a.pValue = o->id;
	a.ulValueLen = sizeof(o->id);
	rv = t->fn->C_GetAttributeValue(s, h, &a, 1);
	o->id_len = rv == CKR_OK && a.ulValueLen <= sizeof(o->id) ? a.ulValueLen : 0;
	if (rv == CKR_DEVICE_REMOVED || rv == CKR_TOKEN_NOT_PRESENT || rv == CKR_DEVICE_ERROR ||
	    rv == CKR_SESSION_HANDLE_INVALID)
		return acmb_p11_error(err, rv, t->module, "cannot read an object's attributes");
	if (o->cls == CKO_CERTIFICATE)
		return attr_fixed(t, s, h, CKA_CERTIFICATE_CATEGORY, &o->cert_category,
		    sizeof(o->cert_category), &present, err);
	if (o->cls != CKO_PRIVATE_KEY && o->cls != CKO_PUBLIC_KEY && o->cls != CKO_SECRET_KEY)
		return ACMB_OK;
	if ((r = attr_fixed(t, s, h, CKA_KEY_TYPE, &o->key_type, sizeof(o->key_type), &present,
	         err)) != ACMB_OK)
		return r;
	if (o->cls == CKO_PUBLIC_KEY)
		return ACMB_OK;
	if ((r = attr_flag(t, s, h, CKA_SENSITIVE, &o->sensitive, err)) != ACMB_OK ||
	    (r = attr_flag(t, s, h, CKA_EXTRACTABLE, &o->extractable, err)) != ACMB_OK ||
	    (r = attr_flag(t, s, h, CKA_NEVER_EXTRACTABLE, &o->never_extractable, err)) !=
	        ACMB_OK ||
	    (r = attr_flag(t, s, h, CKA_ALWAYS_SENSITIVE, &o->always_sensitive, err)) != ACMB_OK ||
	    (r = attr_flag(t, s, h, CKA_WRAP_WITH_TRUSTED, &o->wrap_with_trusted, err)) != ACMB_OK)
		return r;
	return ACMB_OK;
}

int
acmb_p11_cert_x509(const struct acmb_p11_token *t, CK_SESSION_HANDLE s, CK_OBJECT_HANDLE h,
    X509 **out, acmb_err *err)
{
	unsigned char *der = NULL;
	const unsigned char *p;
	size_t len;
	X509 *x = NULL;
	int r = ACMB_E_INTERNAL;

	*out = NULL;
	if ((r = acmb_p11_attr_get(t, s, h, CKA_VALUE, &der, &len, err)) != ACMB_OK)
		goto out;
	p = der;
	if ((x = d2i_X509(NULL, &p, (long)len)) == NULL || p != der + len) {
		r = acmb_error_ssl(err, ACMB_E_PARSE,
		    "a certificate object on token '%s' is not "
		    "one DER X.509 certificate",
		    t->label);
		goto out;
	}
	*out = x;
	x = NULL;
	r = ACMB_OK;
out:
	X509_free(x);
	free(der);
	return r;
}

void
acmb_p11_id_hex(const unsigned char *id, size_t n, char *buf, size_t len)
{
	size_t i;

	if (len == 0)
		return;
	buf[0] = '\0';
	for (i = 0; i < n && 2 * i + 2 < len; i++)
		snprintf(buf + 2 * i, 3, "%02x", id[i]);
}

void
acmb_p11_object_name(const struct acmb_p11_object *o, char *buf, size_t len)
{
	char hex[2 * 32 + 1];

	acmb_p11_id_hex(o->id, o->id_len < 32 ? o->id_len : 32, hex, sizeof(hex));
	snprintf(buf, len, "id=%s label='%s'", hex[0] != '\0' ? hex : "(none)", o->label);
}

const char *
acmb_p11_key_type_name(CK_KEY_TYPE kt)
{
	switch (kt) {
	case CKK_RSA:
		return "RSA";
	case CKK_EC:
		return "EC";
	case CKK_DSA:
		return "DSA";
	case CKK_AES:
		return "AES";
	case CKK_EC_EDWARDS:
		return "EdDSA";
	}
	return "other";
}
