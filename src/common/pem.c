#include "pem.h"

#include <limits.h>
#include <stdio.h>
#include <string.h>

#include <openssl/bio.h>
#include <openssl/crypto.h>
#include <openssl/pem.h>

#define PEM_DASHES "-----"
#define PEM_BEGIN "-----BEGIN "
#define PEM_END "-----END "

struct pem_line {
	const char *p; /* start of the line */
	size_t len;    /* without the line end and trailing blanks */
	size_t next;   /* offset of the following line */
};

/* Splits off the line starting at off, noting CRLF and trailing blanks. */
static void
next_line(const char *d, size_t n, size_t off, struct pem_line *l, unsigned *flags)
{
	const char *nl;
	size_t end;

	l->p = d + off;
	nl = memchr(d + off, '\n', n - off);
	end = nl != NULL ? (size_t)(nl - d) : n;
	l->next = nl != NULL ? end + 1 : n;
	if (end > off && d[end - 1] == '\r' && nl != NULL) {
		*flags |= ACMB_PEM_CRLF;
		end--;
	}
	if (end > off && (d[end - 1] == ' ' || d[end - 1] == '\t' || d[end - 1] == '\r')) {
		*flags |= ACMB_PEM_TRAILING_WS;
		while (end > off && (d[end - 1] == ' ' || d[end - 1] == '\t' || d[end - 1] == '\r'))
			end--;
	}
	l->len = end - off;
}

/* Matches "<prefix>TYPE-----" and copies TYPE out. Returns 1 on a match,
 * 0 when the line is not such a boundary, -1 when the type is malformed. */
static int
boundary(const struct pem_line *l, const char *prefix, char type[ACMB_PEM_TYPE_MAX + 1])
{
	size_t plen = strlen(prefix), dlen = strlen(PEM_DASHES), tlen, i;

	if (l->len < plen || memcmp(l->p, prefix, plen) != 0)
		return 0;
	if (l->len < plen + dlen || memcmp(l->p + l->len - dlen, PEM_DASHES, dlen) != 0)
		return -1;
	tlen = l->len - plen - dlen;
	if (tlen == 0 || tlen > ACMB_PEM_TYPE_MAX)
		return -1;
	for (i = 0; i < tlen; i++) {
		char c = l->p[plen + i];

		if (!((c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == ' ' || c == '#' ||
		        c == '.'))
			return -1;
	}
	memcpy(type, l->p + plen, tlen);
	type[tlen] = '\0';
	return 1;
}

static int
blank(const struct pem_line *l)
{
	size_t i;

	for (i = 0; i < l->len; i++)
		if (l->p[i] != ' ' && l->p[i] != '\t')
			return 0;
	return 1;
}

int
acmb_pem_scan(const char *data, size_t len, acmb_pem_block_cb cb, void *ctx, unsigned *flags,
    size_t *nblocks, acmb_err *err)
{
	char type[ACMB_PEM_TYPE_MAX + 1], endtype[ACMB_PEM_TYPE_MAX + 1];
	struct pem_line l;
	size_t off = 0, lineno = 0, begin_off = 0, begin_line = 0;
	int in_block = 0, b, r;

	*nblocks = 0;
	type[0] = '\0';
	while (off < len) {
		next_line(data, len, off, &l, flags);
		lineno++;
		if (!in_block) {
			if ((b = boundary(&l, PEM_BEGIN, type)) < 0)
				return acmb_error(
				    err, ACMB_E_PARSE, "malformed BEGIN line at line %zu", lineno);
			if (b == 1) {
				in_block = 1;
				begin_off = off;
				begin_line = lineno;
			} else if (!blank(&l)) {
				*flags |= ACMB_PEM_TEXT_AROUND;
			}
		} else {
			if (boundary(&l, PEM_BEGIN, endtype) != 0)
				return acmb_error(err, ACMB_E_PARSE,
				    "the %s block at line %zu has no END line before line %zu",
				    type, begin_line, lineno);
			if ((b = boundary(&l, PEM_END, endtype)) < 0 ||
			    (b == 1 && strcmp(type, endtype) != 0))
				return acmb_error(err, ACMB_E_PARSE,
				    "the %s block at line %zu ends with a mismatched END line "
				    "at line %zu",
				    type, begin_line, lineno);
			if (b == 1) {
				in_block = 0;
				(*nblocks)++;
				if (cb != NULL && (r = cb(ctx, type, data + begin_off,
				                       l.next - begin_off, begin_line)) != ACMB_OK)
					return r;
			}
		}
		off = l.next;
	}
	if (in_block)
		return acmb_error(err, ACMB_E_PARSE,
		    "the %s block at line %zu has no END line (truncated?)", type, begin_line);
	return ACMB_OK;
}

int
acmb_pem_is_private_key(const char *type)
{
	size_t n = strlen(type), k = strlen("PRIVATE KEY");

	return n >= k && strcmp(type + n - k, "PRIVATE KEY") == 0;
}

void
acmb_pem_der_free(unsigned char *der, size_t len)
{
	if (der != NULL)
		OPENSSL_secure_clear_free(der, len);
}

int
acmb_pem_decode(const char *text, size_t len, unsigned char **der, size_t *der_len, int *encrypted,
    acmb_err *err)
{
	BIO *bio = NULL;
	char *name = NULL, *header = NULL;
	unsigned char *data = NULL;
	long dlen = 0;
	int r = ACMB_E_INTERNAL;

	*der = NULL;
	*der_len = 0;
	*encrypted = 0;
	if (len > INT_MAX)
		return acmb_error(err, ACMB_E_PARSE, "PEM block too large");
	/* Read-only view of the caller's (secure) buffer: no copy is made. */
	if ((bio = BIO_new_mem_buf(text, (int)len)) == NULL) {
		r = acmb_error(err, ACMB_E_NOMEM, "out of memory");
		goto out;
	}
	/* SECURE: the body may be a private key. EAY_COMPATIBLE: tolerate the
	 * CRLF and blanks the scan has already reported. */
	if (!PEM_read_bio_ex(
	        bio, &name, &header, &data, &dlen, PEM_FLAG_SECURE | PEM_FLAG_EAY_COMPATIBLE) ||
	    dlen <= 0) {
		r = acmb_error_ssl(err, ACMB_E_PARSE, "bad base64 body or headers");
		goto out;
	}
	*encrypted = header != NULL && strstr(header, "ENCRYPTED") != NULL;
	*der = data;
	*der_len = (size_t)dlen;
	data = NULL;
	r = ACMB_OK;
out:
	if (data != NULL)
		OPENSSL_secure_clear_free(data, (size_t)dlen);
	if (name != NULL)
		OPENSSL_secure_clear_free(name, strlen(name));
	if (header != NULL)
		OPENSSL_secure_clear_free(header, strlen(header));
	BIO_free(bio);
	return r;
}
