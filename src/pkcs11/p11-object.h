/*
 * Objects on a token: search by template or by URI, attribute reading in
 * two calls (size, then value) with fixed maxima, and a summary of what an
 * object is and whether it may leave the token.
 */
#ifndef ACMB_P11_OBJECT_H
#define ACMB_P11_OBJECT_H

#include <stddef.h>

#include <openssl/x509.h>
#include <p11-kit/pkcs11.h>

#include "error.h"
#include "p11-session.h"
#include "p11-uri.h"
#include "secmem.h"

#define ACMB_P11_ATTR_MAX 65536   /* largest attribute read (a certificate): 64 KiB */
#define ACMB_P11_OBJECTS_MAX 1024 /* most objects one search returns */
#define ACMB_P11_ID_MAX 128
#define ACMB_P11_LABEL_MAX 128

struct acmb_p11_object {
	CK_OBJECT_HANDLE handle;
	CK_OBJECT_CLASS cls;
	CK_KEY_TYPE key_type;   /* keys only */
	CK_ULONG cert_category; /* certificates: 0 unknown, 1 token user, 2 CA, 3 other */
	char label[ACMB_P11_LABEL_MAX + 1];
	unsigned char id[ACMB_P11_ID_MAX];
	size_t id_len;
	/* Key flags: 1 true, 0 false, -1 the token does not say. */
	int sensitive, extractable, never_extractable, always_sensitive, wrap_with_trusted;
};

/* Reads attribute type of object o into a new heap buffer (public
 * attributes only). Returns ACMB_E_TOKEN for a missing, unreadable, empty or
 * over-long attribute. Caller frees *val with free(). */
int acmb_p11_attr_get(const struct acmb_p11_token *t, CK_SESSION_HANDLE s, CK_OBJECT_HANDLE o,
    CK_ATTRIBUTE_TYPE type, unsigned char **val, size_t *len, acmb_err *err);

/* As acmb_p11_attr_get() for key components, into the secure heap; a
 * sensitive attribute gives ACMB_E_EXPORT. Caller frees with
 * acmb_secbuf_free(). */
int acmb_p11_attr_get_secret(const struct acmb_p11_token *t, CK_SESSION_HANDLE s,
    CK_OBJECT_HANDLE o, CK_ATTRIBUTE_TYPE type, acmb_secbuf **val, acmb_err *err);

/* Finds up to max objects matching tmpl; *count is the number found, which
 * may exceed max (only max handles are stored). */
int acmb_p11_find(const struct acmb_p11_token *t, CK_SESSION_HANDLE s, CK_ATTRIBUTE *tmpl,
    CK_ULONG ntmpl, CK_OBJECT_HANDLE *out, size_t max, size_t *count, acmb_err *err);

/* Finds up to max objects of class cls (CKO_*), only those with id when
 * id_len > 0; *count as for acmb_p11_find(). For callers outside src/pkcs11
 * that must not build attribute templates themselves. */
int acmb_p11_find_class(const struct acmb_p11_token *t, CK_SESSION_HANDLE s, CK_OBJECT_CLASS cls,
    const unsigned char *id, size_t id_len, CK_OBJECT_HANDLE *out, size_t max, size_t *count,
    acmb_err *err);

/* Finds objects of class cls matching the URI's object attributes (id,
 * object label, type). A URI with a different type= matches nothing. */
int acmb_p11_find_uri(const struct acmb_p11_token *t, CK_SESSION_HANDLE s,
    const struct acmb_p11_uri *uri, CK_OBJECT_CLASS cls, CK_OBJECT_HANDLE *out, size_t max,
    size_t *count, acmb_err *err);

/* Fills *o with the class, key type, label, id and export flags of h. */
int acmb_p11_object_describe(const struct acmb_p11_token *t, CK_SESSION_HANDLE s,
    CK_OBJECT_HANDLE h, struct acmb_p11_object *o, acmb_err *err);

/* Decodes the CKA_VALUE of certificate object h. Caller frees with X509_free(). */
int acmb_p11_cert_x509(const struct acmb_p11_token *t, CK_SESSION_HANDLE s, CK_OBJECT_HANDLE h,
    X509 **out, acmb_err *err);

/* Writes an object for messages, e.g. "id=01a2 label='web'", into buf. */
void acmb_p11_object_name(const struct acmb_p11_object *o, char *buf, size_t len);

/* Hex of an id into buf ("" for none). */
void acmb_p11_id_hex(const unsigned char *id, size_t n, char *buf, size_t len);

/* "RSA", "EC", ... for a CKK_ value. Static string. */
const char *acmb_p11_key_type_name(CK_KEY_TYPE kt);

#endif
