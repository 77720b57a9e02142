/*
 * Written by hand: no INI parser is in our package set, and the AWS CLI's
 * reader is Python's RawConfigParser with its own rules, which a generic
 * INI library would not follow. What it does, and so what this does:
 * - lines end at "\n", "\r\n" or "\r"; the file must be UTF-8;
 * - a line whose first non-blank character is '#' or ';' is a comment, even
 *   inside a continued value; there are no inline comments;
 * - a line indented deeper than the line that started the current key
 *   continues that key's value (joined with '\n', empty lines kept inside,
 *   trailing ones dropped), even when it looks like a key or a section;
 *   a key line right after a section header is a key at any indentation;
 * - "[HEADER]" is a section: everything between the first '[' and the last
 *   ']' of the stripped line, not trimmed; [DEFAULT] gives its keys to every
 *   section;
 * - "key = value" or "key : value" (first '=' or ':'), keys compared in
 *   lower case, both sides stripped;
 * - a key before any section, a line that is none of these, an empty key, a
 *   section or a key twice (in one file) are errors for the whole file, as
 *   is a value that starts on the next line (nested, "s3 =") with a line
 *   that has no '='.
 * Then botocore maps config-file sections to profiles: "[default]", and
 * "[profileX A]" split as a shell would (shlex) into exactly two words; the
 * last section naming a profile wins. "[sso-session NAME]" likewise.
 */
#include "aws-ini.h"

#include <errno.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>

#include "secmem.h"

#define NONE SIZE_MAX

enum section_kind {
	SECTION_OTHER = 0,
	SECTION_DEFAULTS, /* [DEFAULT]: inherited by every section */
	SECTION_PROFILE,  /* config file: [default], [profile NAME] */
	SECTION_SSO_SESSION,
};

struct ini_section {
	size_t header; /* offset in store, NUL-terminated */
	size_t header_len;
	size_t name; /* parsed name (profile, sso-session) or NONE */
	size_t name_len;
	enum section_kind kind;
	size_t line;
};

struct ini_entry {
	size_t section;
	size_t key; /* lower case, NUL-terminated */
	size_t key_len;
	size_t val; /* NUL-terminated once the value is complete */
	size_t val_len;
	size_t line;
};

struct acmb_aws_ini {
	acmb_secbuf *store;
	struct ini_section *sections;
	size_t nsections, capsections;
	struct ini_entry *entries;
	size_t nentries, capentries;
	size_t defaults; /* index of [DEFAULT], or NONE */
};

/* The first error found, by line, so that the message names the line the
 * CLI's reader would stop at or near. */
struct parse_error {
	size_t line;
	char msg[ACMB_ERRMSG_MAX - 128];
};

void
acmb_aws_ini_free(acmb_aws_ini *ini)
{
	if (ini == NULL)
		return;
	acmb_secbuf_free(ini->store);
	free(ini->sections);
	free(ini->entries);
	free(ini);
}

static void note_error(struct parse_error *pe, size_t line, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void
note_error(struct parse_error *pe, size_t line, const char *fmt, ...)
{
	va_list ap;

	if (pe->line != 0 && pe->line <= line)
		return;
	pe->line = line;
	va_start(ap, fmt);
	vsnprintf(pe->msg, sizeof(pe->msg), fmt, ap);
	va_end(ap);
}

/* Byte length of the whitespace character at p (as Python's str.strip and
 * \s see it: ASCII blanks, \x1c-\x1f and the Unicode spaces), or 0. */
static size_t
space_len(const unsigned char *p, const unsigned char *end)
{
	size_t n = (size_t)(end - p);

	if (n == 0)
		return 0;
	if (*p == ' ' || (*p >= '\t' && *p <= '\r') || (*p >= 0x1c && *p <= 0x1f))
		return 1;
	if (n >= 2 && p[0] == 0xc2 && (p[1] == 0x85 || p[1] == 0xa0))
		return 2;
	if (n >= 3 && p[0] == 0xe1 && p[1] == 0x9a && p[2] == 0x80)
		return 3; /* U+1680 */
	if (n >= 3 && p[0] == 0xe2 && p[1] == 0x80 &&
	    ((p[2] >= 0x80 && p[2] <= 0x8a) || p[2] == 0xa8 || p[2] == 0xa9 || p[2] == 0xaf))
		return 3; /* U+2000-200A, U+2028, U+2029, U+202F */
	if (n >= 3 && p[0] == 0xe2 && p[1] == 0x81 && p[2] == 0x9f)
		return 3; /* U+205F */
	if (n >= 3 && p[0] == 0xe3 && p[1] == 0x80 && p[2] == 0x80)
		return 3; /* U+3000 */
	return 0;
}

/* Strips leading whitespace; *indent counts the characters removed. */
static void
strip_left(const unsigned char **p, const unsigned char *end, size_t *indent)
{
	size_t n;

	while ((n = space_len(*p, end)) > 0) {
		*p += n;
		if (indent != NULL)
			(*indent)++;
	}
}

static const unsigned char *
strip_right(const unsigned char *p, const unsigned char *end)
{
	size_t n;

	/* Whitespace characters are 1 to 3 bytes: try each length backwards. */
	for (;;) {
		for (n = 1; n <= 3 && n <= (size_t)(end - p); n++)
			if (space_len(end - n, end) == n)
				break;
		if (n > 3 || n > (size_t)(end - p))
			return end;
		end -= n;
	}
}

/* Python's strict UTF-8 decoder: no overlong forms, surrogates or code
 * points past U+10FFFF. Returns the offset of the first bad byte or NONE. */
static size_t
utf8_invalid_at(const unsigned char *s, size_t len)
{
	size_t i = 0, n, k;
	unsigned long cp;

	while (i < len) {
		if (s[i] < 0x80) {
			i++;
			continue;
		}
		if (s[i] >= 0xc2 && s[i] <= 0xdf) {
			n = 1;
			cp = s[i] & 0x1f;
		} else if (s[i] >= 0xe0 && s[i] <= 0xef) {
			n = 2;
			cp = s[i] & 0x0f;
		} else if (s[i] >= 0xf0 && s[i] <= 0xf4) {
			n = 3;
			cp = s[i] & 0x07;
		} else {
			return i;
		}
		if (len - i <= n)
			return i;
		for (k = 1; k <= n; k++) {
			if ((s[i + k] & 0xc0) != 0x80)
				return i;
			cp = (cp << 6) | (s[i + k] & 0x3f);
		}
		if ((n == 2 && cp < 0x800) || (n == 3 && cp < 0x10000) || cp > 0x10ffff ||
		    (cp >= 0xd800 && cp <= 0xdfff))
			return i;
		i += n + 1;
	}
	return NONE;
}

static int
store_put(acmb_aws_ini *ini, const void *p, size_t n, size_t *off)
{
	if (off != NULL)
		*off = acmb_secbuf_len(ini->store);
	return acmb_secbuf_put(ini->store, p, n);
}

static const char *
store_str(const acmb_aws_ini *ini, size_t off)
{
	return acmb_secbuf_str(ini->store) + off;
}

/* shlex.split(s) of Python in POSIX mode, whitespace-split: words
 * separated by blanks, '...' literal, "..." with \" and \\ escapes, \x
 * outside quotes. Writes the words to the store; returns how many there
 * were (capped at 3) and the second one's offset and length, or -1 when the
 * quoting is unbalanced (botocore then ignores the section). */
static int
shlex_second_word(acmb_aws_ini *ini, const char *s, size_t len, size_t *off, size_t *wlen)
{
	size_t i = 0, start = 0;
	int words = 0, in_word = 0;
	char quote = 0, c;

	*off = NONE;
	*wlen = 0;
	while (i < len) {
		c = s[i];
		if (quote == '\'') {
			if (c == '\'')
				quote = 0;
			else if (words == 1 && acmb_secbuf_put(ini->store, &c, 1) != ACMB_OK)
				return -2;
			i++;
			continue;
		}
		if (quote == '"') {
			if (c == '"') {
				quote = 0;
				i++;
				continue;
			}
			if (c == '\\' && i + 1 < len && (s[i + 1] == '"' || s[i + 1] == '\\'))
				c = s[++i];
			if (words == 1 && acmb_secbuf_put(ini->store, &c, 1) != ACMB_OK)
				return -2;
			i++;
			continue;
		}
		if (c == ' ' || c == '\t' || c == '\r' || c == '\n') {
			if (in_word && ++words == 2)
				*wlen = acmb_secbuf_len(ini->store) - start;
			in_word = 0;
			i++;
			continue;
		}
		if (!in_word) {
			in_word = 1;
			if (words == 1)
				start = acmb_secbuf_len(ini->store);
		}
		if (c == '\'' || c == '"') {
			quote = c;
			i++;
			continue;
		}
		if (c == '\\') {
			if (++i >= len)
				return -1; /* "No escaped character" */
			c = s[i];
		}
		if (words == 1 && acmb_secbuf_put(ini->store, &c, 1) != ACMB_OK)
			return -2;
		i++;
	}
	if (quote != 0)
		return -1; /* "No closing quotation" */
	if (in_word && ++words == 2)
		*wlen = acmb_secbuf_len(ini->store) - start;
	if (words >= 2) {
		*off = start;
		if (acmb_secbuf_put(ini->store, "", 1) != ACMB_OK)
			return -2;
	}
	return words > 3 ? 3 : words;
}

static int
add_section(acmb_aws_ini *ini, const unsigned char *h, size_t hn, size_t line, size_t *index)
{
	struct ini_section *s, *ns;
	size_t cap, name, name_len;
	int words;

	/* All [DEFAULT] sections are one, as in RawConfigParser. */
	if (hn == 7 && memcmp(h, "DEFAULT", 7) == 0 && ini->defaults != NONE) {
		*index = ini->defaults;
		return ACMB_OK;
	}
	if (ini->nsections == ini->capsections) {
		cap = ini->capsections == 0 ? 16 : ini->capsections * 2;
		if ((ns = reallocarray(ini->sections, cap, sizeof(*ns))) == NULL)
			return ACMB_E_NOMEM;
		ini->sections = ns;
		ini->capsections = cap;
	}
	s = &ini->sections[ini->nsections];
	memset(s, 0, sizeof(*s));
	s->line = line;
	s->name = NONE;
	if (store_put(ini, h, hn, &s->header) != ACMB_OK || store_put(ini, "", 1, NULL) != ACMB_OK)
		return ACMB_E_NOMEM;
	s->header_len = hn;
	if (hn == 7 && memcmp(h, "DEFAULT", 7) == 0) {
		s->kind = SECTION_DEFAULTS;
		ini->defaults = ini->nsections;
	} else if (hn >= 7 && memcmp(h, "profile", 7) == 0) {
		words = shlex_second_word(ini, (const char *)h, hn, &name, &name_len);
		if (words == -2)
			return ACMB_E_NOMEM;
		if (words == 2) {
			s->kind = SECTION_PROFILE;
			s->name = name;
			s->name_len = name_len;
		}
	} else if (hn >= 11 && memcmp(h, "sso-session", 11) == 0) {
		words = shlex_second_word(ini, (const char *)h, hn, &name, &name_len);
		if (words == -2)
			return ACMB_E_NOMEM;
		if (words == 2) {
			s->kind = SECTION_SSO_SESSION;
			s->name = name;
			s->name_len = name_len;
		}
	} else if (hn == 7 && memcmp(h, "default", 7) == 0) {
		s->kind = SECTION_PROFILE;
		s->name = s->header;
		s->name_len = hn;
	}
	*index = ini->nsections++;
	return ACMB_OK;
}

static int
add_entry(acmb_aws_ini *ini, size_t section, const unsigned char *k, size_t kn,
    const unsigned char *v, size_t vn, size_t line, size_t *index)
{
	struct ini_entry *e, *ne;
	size_t cap, i;
	char c;

	if (ini->nentries == ini->capentries) {
		cap = ini->capentries == 0 ? 32 : ini->capentries * 2;
		if ((ne = reallocarray(ini->entries, cap, sizeof(*ne))) == NULL)
			return ACMB_E_NOMEM;
		ini->entries = ne;
		ini->capentries = cap;
	}
	e = &ini->entries[ini->nentries];
	memset(e, 0, sizeof(*e));
	e->section = section;
	e->line = line;
	e->key = acmb_secbuf_len(ini->store);
	for (i = 0; i < kn; i++) {
		c = (char)(k[i] >= 'A' && k[i] <= 'Z' ? k[i] - 'A' + 'a' : k[i]);
		if (acmb_secbuf_put(ini->store, &c, 1) != ACMB_OK)
			return ACMB_E_NOMEM;
	}
	e->key_len = kn;
	if (store_put(ini, "", 1, NULL) != ACMB_OK || store_put(ini, v, vn, &e->val) != ACMB_OK)
		return ACMB_E_NOMEM;
	e->val_len = vn;
	*index = ini->nentries++;
	return ACMB_OK;
}

/* The value of the current key is complete: terminate it. */
static int
close_value(acmb_aws_ini *ini, size_t *open)
{
	if (*open == NONE)
		return ACMB_OK;
	*open = NONE;
	return store_put(ini, "", 1, NULL);
}

static int
append_continuation(
    acmb_aws_ini *ini, size_t entry, size_t empty_lines, const unsigned char *v, size_t vn)
{
	struct ini_entry *e = &ini->entries[entry];
	size_t i;

	for (i = 0; i <= empty_lines; i++)
		if (acmb_secbuf_put(ini->store, "\n", 1) != ACMB_OK)
			return ACMB_E_NOMEM;
	if (acmb_secbuf_put(ini->store, v, vn) != ACMB_OK)
		return ACMB_E_NOMEM;
	e->val_len = acmb_secbuf_len(ini->store) - e->val;
	return ACMB_OK;
}

/* One line, already stripped (p..end) with its indentation counted. */
struct line_state {
	size_t section; /* current section or NONE */
	size_t entry;   /* current key (continuations go to it) or NONE */
	size_t open;    /* entry whose value is not terminated yet, or NONE */
	size_t indent_level;
	size_t empty_lines; /* empty lines since the current key's last line */
};

static int
parse_line(acmb_aws_ini *ini, struct line_state *st, const unsigned char *p,
    const unsigned char *end, size_t indent, int comment, size_t line, struct parse_error *pe)
{
	const unsigned char *q, *k, *kend, *v;
	size_t index;
	int r;

	if (p == end) {
		/* An empty line belongs to a value being continued; a comment
		 * line is not even that. */
		if (!comment && st->entry != NONE)
			st->empty_lines++;
		return ACMB_OK;
	}
	if (st->section != NONE && st->entry != NONE && indent > st->indent_level) {
		r = append_continuation(ini, st->entry, st->empty_lines, p, (size_t)(end - p));
		st->empty_lines = 0;
		return r;
	}
	if ((r = close_value(ini, &st->open)) != ACMB_OK)
		return r;
	st->indent_level = indent;
	st->empty_lines = 0;
	if (*p == '[') {
		for (q = end - 1; q > p + 1 && *q != ']'; q--)
			;
		if (q > p + 1) {
			st->entry = NONE;
			return add_section(ini, p + 1, (size_t)(q - p - 1), line, &st->section);
		}
	}
	if (st->section == NONE) {
		note_error(pe, line, "line %zu comes before any [section]%s", line,
		    line == 1 && end - p >= 3 && memcmp(p, "\xef\xbb\xbf", 3) == 0
		        ? " (the file starts with a UTF-8 byte-order mark)"
		        : "");
		return ACMB_E_PARSE;
	}
	for (q = p; q < end && *q != '=' && *q != ':'; q++)
		;
	kend = strip_right(p, q);
	if (q == end || kend == p) {
		/* Collected and reported at the end, as RawConfigParser does;
		 * the line itself is never quoted: it may hold a secret. */
		note_error(pe, line,
		    q == end ? "line %zu is neither a [section], a key = value line nor a comment"
		             : "line %zu has an empty key name",
		    line);
		st->entry = NONE;
		return ACMB_OK;
	}
	k = p;
	v = q + 1;
	strip_left(&v, end, NULL);
	if ((r = add_entry(ini, st->section, k, (size_t)(kend - k), v, (size_t)(end - v), line,
	         &index)) != ACMB_OK)
		return r;
	st->entry = index;
	st->open = index;
	return ACMB_OK;
}

static int
cmp_sections(const void *a, const void *b, void *arg)
{
	const acmb_aws_ini *ini = arg;
	const struct ini_section *x = &ini->sections[*(const size_t *)a];
	const struct ini_section *y = &ini->sections[*(const size_t *)b];
	size_t n = x->header_len < y->header_len ? x->header_len : y->header_len;
	int c = memcmp(store_str(ini, x->header), store_str(ini, y->header), n);

	if (c != 0)
		return c;
	if (x->header_len != y->header_len)
		return x->header_len < y->header_len ? -1 : 1;
	return x->line < y->line ? -1 : (x->line > y->line);
}

static int
cmp_entries(const void *a, const void *b, void *arg)
{
	const acmb_aws_ini *ini = arg;
	const struct ini_entry *x = &ini->entries[*(const size_t *)a];
	const struct ini_entry *y = &ini->entries[*(const size_t *)b];
	size_t n;
	int c;

	if (x->section != y->section)
		return x->section < y->section ? -1 : 1;
	n = x->key_len < y->key_len ? x->key_len : y->key_len;
	if ((c = memcmp(store_str(ini, x->key), store_str(ini, y->key), n)) != 0)
		return c;
	if (x->key_len != y->key_len)
		return x->key_len < y->key_len ? -1 : 1;
	return x->line < y->line ? -1 : (x->line > y->line);
}

/* Sections twice and keys twice in a section, found by sorting (a hostile
 * 1 MiB file has ~10^5 of each: no quadratic scan). */
static int
find_duplicates(acmb_aws_ini *ini, struct parse_error *pe)
{
	size_t *idx = NULL, i, n = ini->nsections > ini->nentries ? ini->nsections : ini->nentries;
	const struct ini_section *s, *t;
	const struct ini_entry *e, *f;

	if (n == 0)
		return ACMB_OK;
	if ((idx = calloc(n, sizeof(*idx))) == NULL)
		return ACMB_E_NOMEM;
	for (i = 0; i < ini->nsections; i++)
		idx[i] = i;
	qsort_r(idx, ini->nsections, sizeof(*idx), cmp_sections, ini);
	for (i = 1; i < ini->nsections; i++) {
		s = &ini->sections[idx[i - 1]];
		t = &ini->sections[idx[i]];
		if (s->header_len == t->header_len &&
		    memcmp(store_str(ini, s->header), store_str(ini, t->header), s->header_len) ==
		        0)
			note_error(pe, t->line,
			    "section [%.*s] appears twice (lines %zu and %zu); the AWS CLI refuses "
			    "duplicate sections",
			    (int)(t->header_len > 200 ? 200 : t->header_len),
			    store_str(ini, t->header), s->line, t->line);
	}
	for (i = 0; i < ini->nentries; i++)
		idx[i] = i;
	qsort_r(idx, ini->nentries, sizeof(*idx), cmp_entries, ini);
	for (i = 1; i < ini->nentries; i++) {
		e = &ini->entries[idx[i - 1]];
		f = &ini->entries[idx[i]];
		if (e->section == f->section && e->key_len == f->key_len &&
		    memcmp(store_str(ini, e->key), store_str(ini, f->key), e->key_len) == 0)
			note_error(pe, f->line,
			    "key %.*s appears twice in section [%.*s] (lines %zu and %zu)",
			    (int)(f->key_len > 200 ? 200 : f->key_len), store_str(ini, f->key),
			    (int)(ini->sections[f->section].header_len > 200
			              ? 200
			              : ini->sections[f->section].header_len),
			    store_str(ini, ini->sections[f->section].header), e->line, f->line);
	}
	free(idx);
	return ACMB_OK;
}

/* botocore reads a value that starts on the next line ("s3 =" and indented
 * lines) as nested "key = value" lines and refuses the file if one has no
 * '='. */
static void
check_nested(const acmb_aws_ini *ini, struct parse_error *pe)
{
	const struct ini_entry *e;
	const char *v, *nl, *line;
	size_t i;

	for (i = 0; i < ini->nentries; i++) {
		e = &ini->entries[i];
		v = store_str(ini, e->val);
		if (e->val_len == 0 || v[0] != '\n')
			continue;
		for (line = v + 1; line < v + e->val_len; line = nl + 1) {
			if ((nl = memchr(line, '\n', (size_t)(v + e->val_len - line))) == NULL)
				nl = v + e->val_len;
			if (nl > line && memchr(line, '=', (size_t)(nl - line)) == NULL) {
				note_error(pe, e->line,
				    "the nested value of %s (line %zu) has a line without '='",
				    store_str(ini, e->key), e->line);
				break;
			}
		}
	}
}

int
acmb_aws_ini_parse(
    const char *text, size_t len, const char *what, acmb_aws_ini **out, acmb_err *err)
{
	const unsigned char *s = (const unsigned char *)text, *end = s + len, *p, *eol, *next;
	const unsigned char *a, *b;
	struct line_state st = {NONE, NONE, NONE, 0, 0};
	struct parse_error pe;
	acmb_aws_ini *ini = NULL;
	size_t line = 0, indent, bad;
	int r = ACMB_E_INTERNAL, comment;

	*out = NULL;
	memset(&pe, 0, sizeof(pe));
	if (len > ACMB_AWS_INI_MAX_FILE)
		return acmb_error(err, ACMB_E_CONFIG, "AWS file %s is larger than %zu bytes", what,
		    ACMB_AWS_INI_MAX_FILE);
	if ((bad = utf8_invalid_at(s, len)) != NONE)
		return acmb_error(err, ACMB_E_CONFIG,
		    "AWS file %s is not UTF-8 text (byte %zu); the AWS CLI cannot read it either",
		    what, bad);
	/* Keys, values and section names are copied once into the store:
	 * never more than the text plus a terminator per line and a parsed
	 * name per section (no longer than its header). */
	if ((ini = calloc(1, sizeof(*ini))) == NULL ||
	    (ini->store = acmb_secbuf_new(3 * len + 64)) == NULL) {
		r = acmb_error(err, ACMB_E_NOMEM, "out of secure memory reading %s", what);
		goto out;
	}
	ini->defaults = NONE;
	for (p = s; p < end; p = next) {
		line++;
		for (eol = p; eol < end && *eol != '\n' && *eol != '\r'; eol++)
			;
		next = eol;
		if (next < end && *next == '\r')
			next++;
		if (next < end && *next == '\n' && (next == eol || *eol == '\r'))
			next++;
		indent = 0;
		a = p;
		strip_left(&a, eol, &indent);
		b = strip_right(a, eol);
		comment = a < b && (*a == '#' || *a == ';');
		if (comment)
			a = b;
		if ((r = parse_line(ini, &st, a, b, indent, comment, line, &pe)) != ACMB_OK) {
			if (r != ACMB_E_PARSE)
				r = acmb_error(err, r, "out of secure memory reading %s", what);
			else
				r = acmb_error(err, ACMB_E_CONFIG, "AWS file %s: %s", what, pe.msg);
			goto out;
		}
	}
	if (close_value(ini, &st.open) != ACMB_OK || find_duplicates(ini, &pe) != ACMB_OK) {
		r = acmb_error(err, ACMB_E_NOMEM, "out of memory reading %s", what);
		goto out;
	}
	check_nested(ini, &pe);
	if (pe.line != 0) {
		r = acmb_error(err, ACMB_E_CONFIG, "AWS file %s: %s", what, pe.msg);
		goto out;
	}
	*out = ini;
	ini = NULL;
	r = ACMB_OK;
out:
	acmb_aws_ini_free(ini);
	return r;
}

int
acmb_aws_ini_load(const char *path, acmb_aws_ini **ini, acmb_err *err)
{
	acmb_secbuf *b = NULL;
	FILE *f = NULL;
	struct stat st;
	unsigned char *dst;
	size_t n;
	int r = ACMB_E_INTERNAL;

	*ini = NULL;
	if ((f = fopen(path, "r")) == NULL) {
		if (errno == ENOENT)
			return ACMB_OK;
		return acmb_error(
		    err, ACMB_E_CONFIG, "cannot read AWS file %s: %s", path, strerror(errno));
	}
	/* The file may hold secret keys: no stdio buffer copies of it. */
	setvbuf(f, NULL, _IONBF, 0);
	if (fstat(fileno(f), &st) != 0 || !S_ISREG(st.st_mode)) {
		r = acmb_error(err, ACMB_E_CONFIG, "AWS file %s is not a regular file", path);
		goto out;
	}
	/* A configuration error (exit 2), whatever the file holds. */
	if ((size_t)st.st_size > ACMB_AWS_INI_MAX_FILE) {
		r = acmb_error(err, ACMB_E_CONFIG, "AWS file %s is larger than %zu bytes", path,
		    ACMB_AWS_INI_MAX_FILE);
		goto out;
	}
	if ((b = acmb_secbuf_new(ACMB_AWS_INI_MAX_FILE)) == NULL) {
		r = acmb_error(err, ACMB_E_NOMEM, "out of secure memory reading %s", path);
		goto out;
	}
	for (;;) {
		if ((dst = acmb_secbuf_reserve(b, 4096)) == NULL) {
			if (acmb_secbuf_len(b) >= ACMB_AWS_INI_MAX_FILE)
				r = acmb_error(err, ACMB_E_CONFIG,
				    "AWS file %s is larger than %zu bytes", path,
				    ACMB_AWS_INI_MAX_FILE);
			else
				r = acmb_error(
				    err, ACMB_E_NOMEM, "out of secure memory reading %s", path);
			goto out;
		}
		n = fread(dst, 1, 4096, f);
		acmb_secbuf_commit(b, n);
		if (n < 4096)
			break;
	}
	if (ferror(f)) {
		r = acmb_error(err, ACMB_E_CONFIG, "cannot read AWS file %s", path);
		goto out;
	}
	r = acmb_aws_ini_parse(acmb_secbuf_str(b), acmb_secbuf_len(b), path, ini, err);
out:
	acmb_secbuf_free(b);
	if (f != NULL)
		fclose(f);
	return r;
}

/* The section that answers for name in style, or NONE. */
static size_t
find_section(const acmb_aws_ini *ini, enum acmb_aws_ini_style style, const char *name)
{
	const struct ini_section *s;
	size_t i, n = strlen(name), found = NONE;

	for (i = 0; i < ini->nsections; i++) {
		s = &ini->sections[i];
		if (style == ACMB_AWS_INI_CREDENTIALS) {
			if (s->kind != SECTION_DEFAULTS && s->header_len == n &&
			    memcmp(store_str(ini, s->header), name, n) == 0)
				return i;
			continue;
		}
		if (s->kind !=
		    (style == ACMB_AWS_INI_CONFIG ? SECTION_PROFILE : SECTION_SSO_SESSION))
			continue;
		if (s->name_len == n && memcmp(store_str(ini, s->name), name, n) == 0)
			found = i; /* the last one wins, as in botocore's map */
	}
	return found;
}

int
acmb_aws_ini_has_profile(const acmb_aws_ini *ini, enum acmb_aws_ini_style style, const char *name)
{
	return ini != NULL && name != NULL && find_section(ini, style, name) != NONE;
}

static int
find_key(const acmb_aws_ini *ini, size_t section, const char *key, size_t kn, const char **val,
    size_t *vlen)
{
	const struct ini_entry *e;
	size_t i;

	for (i = 0; i < ini->nentries; i++) {
		e = &ini->entries[i];
		if (e->section == section && e->key_len == kn &&
		    strncasecmp(store_str(ini, e->key), key, kn) == 0) {
			*val = store_str(ini, e->val);
			*vlen = e->val_len;
			return 1;
		}
	}
	return 0;
}

int
acmb_aws_ini_get(const acmb_aws_ini *ini, enum acmb_aws_ini_style style, const char *name,
    const char *key, const char **val, size_t *vlen)
{
	size_t section;

	*val = NULL;
	*vlen = 0;
	if (ini == NULL || name == NULL || key == NULL ||
	    (section = find_section(ini, style, name)) == NONE)
		return 0;
	if (find_key(ini, section, key, strlen(key), val, vlen))
		return 1;
	return ini->defaults != NONE && find_key(ini, ini->defaults, key, strlen(key), val, vlen);
}
