/*
 * Written by hand rather than with libxml2 (which Debian has): libxml2
 * copies every text node into its own heap, whose allocator can only be
 * replaced process-wide (xmlMemSetup), a global a host program of
 * libacmbridge would trip over; its parser also has far more than these
 * answers need (DTDs, entities, namespaces). STS answers are a few KiB of
 * fixed shape, so one bounded pass per looked-up element reads them where
 * they are, in the secure heap, and decodes only the wanted text, into the
 * secure heap.
 */
#include "aws-xml.h"

#include <string.h>

struct xml_path {
	const char *part[ACMB_AWS_XML_MAX_PATH];
	size_t len[ACMB_AWS_XML_MAX_PATH];
	size_t n;
};

struct xml_scan {
	const char *p;
	const char *end;
	const char *name[ACMB_AWS_XML_MAX_DEPTH]; /* open elements */
	size_t name_len[ACMB_AWS_XML_MAX_DEPTH];
	size_t depth;
	int matching;      /* the open elements are exactly the path */
	int found;         /* the path's element was seen (first one only) */
	int done;          /* its text is complete */
	int root_closed;   /* the document element ended */
	acmb_secbuf *text; /* the found element's text */
};

static int
split_path(const char *path, struct xml_path *xp)
{
	const char *p = path, *slash;

	xp->n = 0;
	while (*p != '\0') {
		if (xp->n == ACMB_AWS_XML_MAX_PATH)
			return -1;
		slash = strchr(p, '/');
		xp->part[xp->n] = p;
		xp->len[xp->n] = slash != NULL ? (size_t)(slash - p) : strlen(p);
		xp->n++;
		if (slash == NULL)
			break;
		p = slash + 1;
	}
	return xp->n > 0 ? 0 : -1;
}

static int
is_space(char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

static int
name_char(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
	       c == '_' || c == '-' || c == '.' || c == ':' || (unsigned char)c >= 0x80;
}

/* The local part of a qualified name. */
static void
local_name(const char **n, size_t *len)
{
	const char *colon = memchr(*n, ':', *len);

	if (colon != NULL) {
		*len -= (size_t)(colon + 1 - *n);
		*n = colon + 1;
	}
}

static int
path_matches(const struct xml_scan *s, const struct xml_path *xp)
{
	const char *n;
	size_t i, len;

	if (s->depth != xp->n)
		return 0;
	for (i = 0; i < s->depth; i++) {
		n = s->name[i];
		len = s->name_len[i];
		local_name(&n, &len);
		if (len != xp->len[i] || memcmp(n, xp->part[i], len) != 0)
			return 0;
	}
	return 1;
}

static const char *
find(const char *p, const char *end, const char *what)
{
	size_t n = strlen(what);

	for (; (size_t)(end - p) >= n; p++)
		if (memcmp(p, what, n) == 0)
			return p;
	return NULL;
}

/* Appends code point cp as UTF-8. */
static int
put_utf8(acmb_secbuf *b, unsigned long cp)
{
	unsigned char u[4];
	size_t n;

	if (cp == 0 || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
		return ACMB_E_PARSE;
	if (cp < 0x80) {
		u[0] = (unsigned char)cp;
		n = 1;
	} else if (cp < 0x800) {
		u[0] = (unsigned char)(0xc0 | (cp >> 6));
		u[1] = (unsigned char)(0x80 | (cp & 0x3f));
		n = 2;
	} else if (cp < 0x10000) {
		u[0] = (unsigned char)(0xe0 | (cp >> 12));
		u[1] = (unsigned char)(0x80 | ((cp >> 6) & 0x3f));
		u[2] = (unsigned char)(0x80 | (cp & 0x3f));
		n = 3;
	} else {
		u[0] = (unsigned char)(0xf0 | (cp >> 18));
		u[1] = (unsigned char)(0x80 | ((cp >> 12) & 0x3f));
		u[2] = (unsigned char)(0x80 | ((cp >> 6) & 0x3f));
		u[3] = (unsigned char)(0x80 | (cp & 0x3f));
		n = 4;
	}
	return acmb_secbuf_put(b, u, n);
}

/* Character data up to the next '<'; decoded into s->text when it is the
 * wanted element's. */
static int
scan_text(struct xml_scan *s)
{
	static const struct {
		const char *name;
		char c;
	} named[] = {{"amp;", '&'}, {"lt;", '<'}, {"gt;", '>'}, {"quot;", '"'}, {"apos;", '\''}};
	const char *semi;
	unsigned long cp;
	size_t i;
	int keep = s->matching && !s->done, r;

	while (s->p < s->end && *s->p != '<') {
		if (s->depth == 0 && !is_space(*s->p))
			return ACMB_E_PARSE; /* text outside the document element */
		if (*s->p != '&') {
			if (keep && acmb_secbuf_put(s->text, s->p, 1) != ACMB_OK)
				return ACMB_E_NOMEM;
			s->p++;
			continue;
		}
		if ((semi = memchr(s->p, ';', (size_t)(s->end - s->p))) == NULL || semi - s->p > 10)
			return ACMB_E_PARSE;
		if (s->p[1] == '#') {
			cp = 0;
			if (s->p[2] == 'x') {
				for (i = 3; s->p + i < semi; i++) {
					char c = s->p[i];
					if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') ||
					        (c >= 'A' && c <= 'F')))
						return ACMB_E_PARSE;
					cp = cp * 16 + (unsigned long)(c <= '9'
					                                   ? c - '0'
					                                   : (c | 0x20) - 'a' + 10);
				}
				if (i == 3)
					return ACMB_E_PARSE;
			} else {
				for (i = 2; s->p + i < semi; i++) {
					if (s->p[i] < '0' || s->p[i] > '9')
						return ACMB_E_PARSE;
					cp = cp * 10 + (unsigned long)(s->p[i] - '0');
				}
				if (i == 2)
					return ACMB_E_PARSE;
			}
			if (keep && (r = put_utf8(s->text, cp)) != ACMB_OK)
				return r == ACMB_E_PARSE ? r : ACMB_E_NOMEM;
			if (!keep && (cp == 0 || cp > 0x10ffff))
				return ACMB_E_PARSE;
		} else {
			for (i = 0; i < sizeof(named) / sizeof(named[0]); i++)
				if ((size_t)(semi + 1 - (s->p + 1)) == strlen(named[i].name) &&
				    memcmp(s->p + 1, named[i].name, strlen(named[i].name)) == 0)
					break;
			if (i == sizeof(named) / sizeof(named[0]))
				return ACMB_E_PARSE; /* no other entity exists here */
			if (keep && acmb_secbuf_put(s->text, &named[i].c, 1) != ACMB_OK)
				return ACMB_E_NOMEM;
		}
		s->p = semi + 1;
	}
	return ACMB_OK;
}

static int
scan_tag(struct xml_scan *s, const struct xml_path *xp)
{
	const char *name, *q;
	size_t n;
	char quote;

	s->p++; /* '<' */
	if (s->p < s->end && *s->p == '?') {
		if ((q = find(s->p, s->end, "?>")) == NULL)
			return ACMB_E_PARSE;
		s->p = q + 2;
		return ACMB_OK;
	}
	if (s->end - s->p >= 3 && memcmp(s->p, "!--", 3) == 0) {
		if ((q = find(s->p + 3, s->end, "-->")) == NULL)
			return ACMB_E_PARSE;
		s->p = q + 3;
		return ACMB_OK;
	}
	if (s->end - s->p >= 8 && memcmp(s->p, "![CDATA[", 8) == 0) {
		if (s->depth == 0 || (q = find(s->p + 8, s->end, "]]>")) == NULL)
			return ACMB_E_PARSE;
		if (s->matching && !s->done &&
		    acmb_secbuf_put(s->text, s->p + 8, (size_t)(q - (s->p + 8))) != ACMB_OK)
			return ACMB_E_NOMEM;
		s->p = q + 3;
		return ACMB_OK;
	}
	if (s->p < s->end && *s->p == '!')
		return ACMB_E_PARSE; /* DOCTYPE and declarations: never in AWS answers */
	if (s->p < s->end && *s->p == '/') {
		name = ++s->p;
		while (s->p < s->end && name_char(*s->p))
			s->p++;
		n = (size_t)(s->p - name);
		while (s->p < s->end && is_space(*s->p))
			s->p++;
		if (s->p >= s->end || *s->p != '>' || s->depth == 0 ||
		    n != s->name_len[s->depth - 1] || memcmp(name, s->name[s->depth - 1], n) != 0)
			return ACMB_E_PARSE;
		s->p++;
		if (s->matching)
			s->done = 1;
		s->depth--;
		s->matching = 0;
		if (s->depth == 0)
			s->root_closed = 1;
		return ACMB_OK;
	}
	if (s->root_closed)
		return ACMB_E_PARSE; /* a second document element */
	name = s->p;
	while (s->p < s->end && name_char(*s->p))
		s->p++;
	if ((n = (size_t)(s->p - name)) == 0)
		return ACMB_E_PARSE;
	/* Attributes (xmlns): skipped, quotes respected. */
	for (quote = 0; s->p < s->end; s->p++) {
		if (quote != 0) {
			if (*s->p == quote)
				quote = 0;
		} else if (*s->p == '"' || *s->p == '\'') {
			quote = *s->p;
		} else if (*s->p == '>' || *s->p == '<') {
			break;
		}
	}
	if (s->p >= s->end || *s->p != '>')
		return ACMB_E_PARSE;
	if (s->p[-1] == '/') { /* <empty/> */
		s->p++;
		if (s->depth + 1 == xp->n && !s->found) {
			s->name[s->depth] = name;
			s->name_len[s->depth] = n;
			s->depth++;
			if (path_matches(s, xp))
				s->found = s->done = 1;
			s->depth--;
		}
		if (s->depth == 0)
			s->root_closed = 1;
		return ACMB_OK;
	}
	s->p++;
	if (s->depth == ACMB_AWS_XML_MAX_DEPTH)
		return ACMB_E_PARSE;
	s->matching = 0;
	s->name[s->depth] = name;
	s->name_len[s->depth] = n;
	s->depth++;
	if (!s->found && path_matches(s, xp))
		s->found = s->matching = 1;
	return ACMB_OK;
}

int
acmb_aws_xml_text(const char *doc, size_t len, const char *path, acmb_secbuf **text, acmb_err *err)
{
	struct xml_scan s;
	struct xml_path xp;
	int r = ACMB_E_INTERNAL;

	*text = NULL;
	memset(&s, 0, sizeof(s));
	if (split_path(path, &xp) != 0)
		return acmb_error(err, ACMB_E_INTERNAL, "bad XML path");
	if ((s.text = acmb_secbuf_new(len + 1)) == NULL)
		return acmb_error(err, ACMB_E_NOMEM, "out of secure memory");
	s.p = doc;
	s.end = doc + len;
	while (s.p < s.end) {
		r = *s.p == '<' ? scan_tag(&s, &xp) : scan_text(&s);
		if (r != ACMB_OK)
			break;
	}
	if (r == ACMB_OK && (s.depth != 0 || !s.root_closed))
		r = ACMB_E_PARSE;
	if (r != ACMB_OK) {
		r = r == ACMB_E_NOMEM ? acmb_error(err, r, "out of secure memory")
		                      : acmb_error(err, ACMB_E_PARSE,
		                            "the answer is not well-formed XML (near byte %zu)",
		                            (size_t)(s.p - doc));
		acmb_secbuf_free(s.text);
		return r;
	}
	if (!s.found) {
		acmb_secbuf_free(s.text);
		return ACMB_OK;
	}
	/* NUL-terminated even when empty. */
	if (acmb_secbuf_put(s.text, "", 0) != ACMB_OK) {
		acmb_secbuf_free(s.text);
		return acmb_error(err, ACMB_E_NOMEM, "out of secure memory");
	}
	*text = s.text;
	return ACMB_OK;
}
