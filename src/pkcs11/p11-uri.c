#include "p11-uri.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <openssl/crypto.h>

#include "secmem.h"

struct acmb_p11_uri {
	P11KitUri *kit;
	char *text;      /* without pin-value */
	char *pin_value; /* secure heap, or NULL */
};

int
acmb_p11_uri_is(const char *s)
{
	return s != NULL && strncasecmp(s, "pkcs11:", 7) == 0;
}

void
acmb_p11_uri_free(struct acmb_p11_uri *uri)
{
	if (uri == NULL)
		return;
	if (uri->kit != NULL)
		p11_kit_uri_free(uri->kit);
	free(uri->text);
	acmb_secstr_free(uri->pin_value);
	free(uri);
}

static int
hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/*
 * Percent-decodes a pin-value by hand: p11-kit's own decoder would leave the
 * PIN in ordinary heap memory, which is what we are avoiding.
 */
static int
decode_pin(const char *s, size_t n, char **out, acmb_err *err)
{
	char *pin = NULL;
	size_t i, o = 0;
	int hi, lo, r = ACMB_E_INTERNAL;

	*out = NULL;
	if (n > (size_t)3 * ACMB_P11_PIN_MAX) {
		r = acmb_error(err, ACMB_E_USAGE, "pin-value in the pkcs11: URI is too long");
		goto out;
	}
	if ((pin = OPENSSL_secure_zalloc(n + 1)) == NULL) {
		r = acmb_error(err, ACMB_E_NOMEM, "secure heap exhausted reading a PIN");
		goto out;
	}
	for (i = 0; i < n; i++) {
		if (s[i] != '%') {
			pin[o++] = s[i];
			continue;
		}
		if (i + 2 >= n) {
			r = acmb_error(err, ACMB_E_USAGE,
			    "pin-value in the pkcs11: URI has a "
			    "truncated %%-escape");
			goto out;
		}
		if ((hi = hexval(s[i + 1])) < 0 || (lo = hexval(s[i + 2])) < 0) {
			r = acmb_error(err, ACMB_E_USAGE,
			    "pin-value in the pkcs11: URI has a bad "
			    "%%-escape");
			goto out;
		}
		pin[o++] = (char)(hi * 16 + lo);
		i += 2;
	}
	if (o == 0 || memchr(pin, '\0', o) != NULL) {
		r = acmb_error(err, ACMB_E_USAGE,
		    "pin-value in the pkcs11: URI is empty or "
		    "contains a NUL byte");
		goto out;
	}
	*out = pin;
	pin = NULL;
	r = ACMB_OK;
out:
	if (pin != NULL)
		OPENSSL_secure_clear_free(pin, n + 1);
	return r;
}

/*
 * Removes every pin-value=... query attribute from text in place and wipes
 * the freed tail; refuses one among the path attributes. The query is split by hand because the
 * point is to keep the value away from p11-kit; the rest of the URI is left to p11-kit.
 */
static int
strip_pin_value(char *text, char **pin, int *found, acmb_err *err)
{
	char *q, *p, *w, *seg_end;
	size_t len, seglen;
	int r;

	*pin = NULL;
	*found = 0;
	len = strlen(text);
	/* p11-kit skips whitespace inside a URI, so "pin-val\nue=" would reach it
	 * as pin-value (found by fuzz-p11-uri): a URI has none, refuse it. */
	for (p = text; *p != '\0'; p++) {
		if ((unsigned char)*p <= 0x20 || (unsigned char)*p == 0x7f) {
			acmb_wipe(text, len);
			return acmb_error(err, ACMB_E_USAGE,
			    "the pkcs11: URI contains whitespace "
			    "or a control character; percent-encode it (%%20)");
		}
	}
	/* p11-kit also takes pin-value as a path attribute (found by
	 * fuzz-p11-uri); refuse it there rather than let p11-kit hold it. */
	q = strchr(text, '?');
	for (p = strchr(text, ':') != NULL ? strchr(text, ':') + 1 : text;
	     p != NULL && *p != '\0' && (q == NULL || p < q);
	     p = strchr(p, ';') != NULL ? strchr(p, ';') + 1 : NULL) {
		if (strncasecmp(p, "pin-value=", 10) == 0) {
			acmb_wipe(text, len);
			return acmb_error(err, ACMB_E_USAGE,
			    "pin-value is a query attribute "
			    "(pkcs11:...?pin-value=...), not a path attribute; better still, give "
			    "the PIN with --pin-file, --pin-env or pin-source=");
		}
	}
	if (q == NULL) {
		if (strcasestr(text, "pin-value") != NULL) {
			acmb_wipe(text, len);
			return acmb_error(err, ACMB_E_USAGE,
			    "the pkcs11: URI has pin-value "
			    "outside a query attribute of its own (pkcs11:...?pin-value=...); "
			    "better still, give the PIN with --pin-file, --pin-env or pin-source=");
		}
		return ACMB_OK;
	}
	w = q + 1;
	p = q + 1;
	while (*p != '\0') {
		seg_end = strchr(p, '&');
		seglen = seg_end != NULL ? (size_t)(seg_end - p) : strlen(p);
		if (seglen >= 10 && strncasecmp(p, "pin-value=", 10) == 0) {
			if (*found) {
				acmb_secstr_free(*pin);
				*pin = NULL;
				acmb_wipe(text, len);
				return acmb_error(
				    err, ACMB_E_USAGE, "the pkcs11: URI has pin-value twice");
			}
			*found = 1;
			if ((r = decode_pin(p + 10, seglen - 10, pin, err)) != ACMB_OK) {
				acmb_wipe(text, len);
				return r;
			}
		} else {
			if (w != q + 1)
				*w++ = '&';
			memmove(w, p, seglen);
			w += seglen;
		}
		p += seglen;
		if (*p == '&')
			p++;
	}
	if (w == q + 1)
		w = q; /* nothing left in the query: drop the '?' too */
	acmb_wipe(w, (size_t)(text + len - w));
	/* p11-kit finds pin-value in places a plain reading of RFC 7512 does
	 * not (after '&' in the path, found by fuzz-p11-uri): whatever is left
	 * that spells it is refused rather than second-guessed. */
	if (strcasestr(text, "pin-value") != NULL) {
		acmb_secstr_free(*pin);
		*pin = NULL;
		acmb_wipe(text, len);
		return acmb_error(err, ACMB_E_USAGE,
		    "the pkcs11: URI has pin-value outside "
		    "a query attribute of its own (pkcs11:...?pin-value=...); better still, "
		    "give the PIN with --pin-file, --pin-env or pin-source=");
	}
	return ACMB_OK;
}

int
acmb_p11_uri_parse(char *text, struct acmb_p11_uri **out, int *had_pin_value, acmb_err *err)
{
	struct acmb_p11_uri *u = NULL;
	int r = ACMB_E_INTERNAL, found = 0, prc;

	*out = NULL;
	if (had_pin_value != NULL)
		*had_pin_value = 0;
	if (strnlen(text, ACMB_P11_URI_MAX + 1) > ACMB_P11_URI_MAX) {
		/* A configuration mistake (exit 2), not material (exit 3). */
		r = acmb_error(
		    err, ACMB_E_USAGE, "pkcs11: URI longer than %d bytes", ACMB_P11_URI_MAX);
		goto out;
	}
	if ((u = calloc(1, sizeof(*u))) == NULL) {
		r = acmb_error(err, ACMB_E_NOMEM, "out of memory parsing a pkcs11: URI");
		goto out;
	}
	if ((r = strip_pin_value(text, &u->pin_value, &found, err)) != ACMB_OK)
		goto out;
	if (had_pin_value != NULL)
		*had_pin_value = found;
	if ((u->text = strdup(text)) == NULL || (u->kit = p11_kit_uri_new()) == NULL) {
		r = acmb_error(err, ACMB_E_NOMEM, "out of memory parsing a pkcs11: URI");
		goto out;
	}
	if ((prc = p11_kit_uri_parse(text, P11_KIT_URI_FOR_ANY, u->kit)) != P11_KIT_URI_OK) {
		r = acmb_error(err, ACMB_E_USAGE, "invalid pkcs11: URI '%s': %s", u->text,
		    p11_kit_uri_message(prc));
		goto out;
	}
	/* Backstop: p11-kit must never hold a PIN; wipe its copy if it does. */
	if (p11_kit_uri_get_pin_value(u->kit) != NULL) {
		char *leaked = (char *)p11_kit_uri_get_pin_value(u->kit);

		acmb_wipe(leaked, strlen(leaked));
		p11_kit_uri_set_pin_value(u->kit, NULL);
		acmb_wipe(text, strlen(text));
		r = acmb_error(err, ACMB_E_USAGE,
		    "the pkcs11: URI carries a PIN in a form "
		    "acmbridge does not take; give it with --pin-file, --pin-env or pin-source=");
		goto out;
	}
	if (p11_kit_uri_any_unrecognized(u->kit)) {
		r = acmb_error(err, ACMB_E_USAGE,
		    "pkcs11: URI '%s' has attributes that are not "
		    "understood; refusing it rather than matching objects it did not mean "
		    "(RFC 7512 path attributes: token, manufacturer, serial, model, slot-id, "
		    "object, id, type; query: module-name, module-path, pin-source)",
		    u->text);
		goto out;
	}
	*out = u;
	u = NULL;
	r = ACMB_OK;
out:
	acmb_p11_uri_free(u);
	return r;
}

P11KitUri *
acmb_p11_uri_kit(const struct acmb_p11_uri *uri)
{
	return uri->kit;
}

const char *
acmb_p11_uri_text(const struct acmb_p11_uri *uri)
{
	return uri->text;
}

/* Copies a blank-padded PKCS#11 label (unset: all zero) without its padding. */
static void
unpad(const unsigned char *v, size_t n, char *out, size_t len)
{
	while (n > 0 && (v[n - 1] == ' ' || v[n - 1] == '\0'))
		n--;
	if (len == 0)
		return;
	if (n >= len)
		n = len - 1;
	if (n > 0)
		memcpy(out, v, n);
	out[n] = '\0';
}

void
acmb_p11_uri_labels(
    const struct acmb_p11_uri *uri, char *token, size_t tlen, char *object, size_t olen)
{
	CK_TOKEN_INFO *ti = p11_kit_uri_get_token_info(uri->kit);
	CK_ATTRIBUTE *a = p11_kit_uri_get_attribute(uri->kit, CKA_LABEL);

	unpad(ti != NULL ? ti->label : NULL, ti != NULL ? sizeof(ti->label) : 0, token, tlen);
	unpad(a != NULL ? a->pValue : NULL, a != NULL ? a->ulValueLen : 0, object, olen);
}

int
acmb_p11_uri_has_id(const struct acmb_p11_uri *uri)
{
	return p11_kit_uri_get_attribute(uri->kit, CKA_ID) != NULL;
}

int
acmb_p11_uri_has_pin(const struct acmb_p11_uri *uri)
{
	return uri != NULL &&
	       (uri->pin_value != NULL || p11_kit_uri_get_pin_source(uri->kit) != NULL);
}

char *
acmb_p11_uri_take_pin(struct acmb_p11_uri *uri)
{
	char *p = uri->pin_value;

	uri->pin_value = NULL;
	return p;
}
