/*
 * --output: the json and text formats and the dispatch; the table and YAML
 * formats are output-table.c and output-yaml.c. The rules are the AWS CLI's
 * (awscli/formatter.py, awscli/text.py): its facts, written anew in C, so
 * that a script switching from `aws` to acmbridge reads the same bytes.
 * Everything is built in memory and written at the end: a result that
 * cannot be laid out writes nothing.
 */
#include "output-format.h"

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/ioctl.h>

#include "output-internal.h"
#include "pyjson.h"

static const char *const format_names[] = {
    [ACMB_OUTPUT_JSON] = "json",
    [ACMB_OUTPUT_TEXT] = "text",
    [ACMB_OUTPUT_TABLE] = "table",
    [ACMB_OUTPUT_YAML] = "yaml",
    [ACMB_OUTPUT_YAML_STREAM] = "yaml-stream",
};

int
acmb_output_format_parse(const char *name, enum acmb_output_format *fmt)
{
	size_t i;

	for (i = 0; i < sizeof(format_names) / sizeof(format_names[0]); i++) {
		if (strcmp(name, format_names[i]) == 0) {
			*fmt = (enum acmb_output_format)i;
			return 0;
		}
	}
	return -1;
}

const char *
acmb_output_format_name(enum acmb_output_format fmt)
{
	return (size_t)fmt < sizeof(format_names) / sizeof(format_names[0]) ? format_names[fmt]
	                                                                    : "?";
}

int
acmb_output_color_parse(const char *name, enum acmb_output_color *color)
{
	if (strcmp(name, "on") == 0)
		*color = ACMB_COLOR_ON;
	else if (strcmp(name, "off") == 0)
		*color = ACMB_COLOR_OFF;
	else if (strcmp(name, "auto") == 0)
		*color = ACMB_COLOR_AUTO;
	else
		return -1;
	return 0;
}

/* ---- shared pieces --------------------------------------------------- */

void
acmb_obuf_put(struct acmb_obuf *b, const char *s, size_t n)
{
	size_t ncap;
	char *np;

	if (b->failed || n == 0)
		return;
	if (n > SIZE_MAX / 2 - b->len) {
		b->failed = 1;
		return;
	}
	if (b->len + n + 1 > b->cap) {
		for (ncap = b->cap == 0 ? 256 : b->cap; ncap < b->len + n + 1; ncap *= 2)
			;
		if ((np = realloc(b->p, ncap)) == NULL) {
			b->failed = 1;
			return;
		}
		b->p = np;
		b->cap = ncap;
	}
	memcpy(b->p + b->len, s, n);
	b->len += n;
	b->p[b->len] = '\0';
}

void
acmb_obuf_puts(struct acmb_obuf *b, const char *s)
{
	acmb_obuf_put(b, s, strlen(s));
}

void
acmb_obuf_free(struct acmb_obuf *b)
{
	free(b->p);
	memset(b, 0, sizeof(*b));
}

size_t
acmb_utf8_next(const char *str, size_t n, uint32_t *cp)
{
	const unsigned char *s = (const unsigned char *)str;
	size_t len, i;

	if (s[0] < 0x80) {
		*cp = s[0];
		return 1;
	}
	len = s[0] >= 0xf0 ? 4 : s[0] >= 0xe0 ? 3 : 2;
	if (len > n) {
		*cp = 0xfffd;
		return n;
	}
	*cp = s[0] & (0x3f >> (len - 1));
	for (i = 1; i < len; i++)
		*cp = (*cp << 6) | (s[i] & 0x3f);
	return len;
}

size_t
acmb_output_text_columns(const char *s, size_t n)
{
	size_t i = 0, cols = 0;
	uint32_t cp;

	while (i < n) {
		i += acmb_utf8_next(s + i, n - i, &cp);
		cols += (size_t)acmb_output_char_columns(cp);
	}
	return cols;
}

struct keyref {
	const char *k;
	size_t len;
};

static int
keyref_cmp(const void *a, const void *b)
{
	const struct keyref *x = a, *y = b;
	int c = memcmp(x->k, y->k, x->len < y->len ? x->len : y->len);

	return c != 0 ? c : (x->len < y->len ? -1 : x->len > y->len);
}

int
acmb_output_sorted_keys(const json_t *v, const char ***keys, size_t **lens, size_t *n)
{
	struct keyref *refs;
	const char *k;
	json_t *item;
	size_t i = 0, klen, count = json_object_size(v);

	*keys = NULL;
	*lens = NULL;
	*n = 0;
	if ((refs = calloc(count + 1, sizeof(*refs))) == NULL ||
	    (*keys = calloc(count + 1, sizeof(**keys))) == NULL ||
	    (*lens = calloc(count + 1, sizeof(**lens))) == NULL) {
		free(refs);
		free(*keys);
		*keys = NULL;
		return -1;
	}
	json_object_keylen_foreach((json_t *)v, k, klen, item)
	{
		(void)item;
		refs[i].k = k;
		refs[i++].len = klen;
	}
	qsort(refs, count, sizeof(*refs), keyref_cmp);
	for (i = 0; i < count; i++) {
		(*keys)[i] = refs[i].k;
		(*lens)[i] = refs[i].len;
	}
	*n = count;
	free(refs);
	return 0;
}

/* repr() of a string: single quotes unless it holds ' and no ", escapes
 * for the quote, \\, \t, \n, \r, and \xNN, \uNNNN, \UNNNNNNNN for what
 * str.isprintable() rejects. */
static void
py_repr_string(struct acmb_obuf *b, const char *s, size_t n)
{
	char q = memchr(s, '\'', n) != NULL && memchr(s, '"', n) == NULL ? '"' : '\'';
	char esc[16];
	size_t i = 0, len;
	uint32_t cp;

	acmb_obuf_put(b, &q, 1);
	while (i < n) {
		len = acmb_utf8_next(s + i, n - i, &cp);
		if (cp == (uint32_t)q || cp == '\\') {
			esc[0] = '\\';
			esc[1] = (char)cp;
			acmb_obuf_put(b, esc, 2);
		} else if (cp == '\t') {
			acmb_obuf_put(b, "\\t", 2);
		} else if (cp == '\n') {
			acmb_obuf_put(b, "\\n", 2);
		} else if (cp == '\r') {
			acmb_obuf_put(b, "\\r", 2);
		} else if (acmb_output_char_printable(cp)) {
			acmb_obuf_put(b, s + i, len);
		} else {
			if (cp <= 0xff)
				snprintf(esc, sizeof(esc), "\\x%02" PRIx32, cp);
			else if (cp <= 0xffff)
				snprintf(esc, sizeof(esc), "\\u%04" PRIx32, cp);
			else
				snprintf(esc, sizeof(esc), "\\U%08" PRIx32, cp);
			acmb_obuf_puts(b, esc);
		}
		i += len;
	}
	acmb_obuf_put(b, &q, 1);
}

static void
py_repr(struct acmb_obuf *b, const json_t *v, int depth)
{
	char buf[ACMB_PYJSON_REPR_MAX];
	const char *k, *s;
	json_t *item;
	size_t i, klen, len;

	if (depth > ACMB_PYJSON_DEPTH_MAX) {
		b->failed = 1;
		return;
	}
	if (json_is_string(v)) {
		py_repr_string(b, json_string_value(v), json_string_length(v));
	} else if (json_is_array(v)) {
		acmb_obuf_put(b, "[", 1);
		json_array_foreach((json_t *)v, i, item)
		{
			if (i > 0)
				acmb_obuf_put(b, ", ", 2);
			py_repr(b, item, depth + 1);
		}
		acmb_obuf_put(b, "]", 1);
	} else if (json_is_object(v)) {
		acmb_obuf_put(b, "{", 1);
		i = 0;
		json_object_keylen_foreach((json_t *)v, k, klen, item)
		{
			if (i++ > 0)
				acmb_obuf_put(b, ", ", 2);
			py_repr_string(b, k, klen);
			acmb_obuf_put(b, ": ", 2);
			py_repr(b, item, depth + 1);
		}
		acmb_obuf_put(b, "}", 1);
	} else if ((s = acmb_pyjson_str(v, buf, &len)) != NULL) {
		acmb_obuf_put(b, s, len);
	}
}

void
acmb_py_str(struct acmb_obuf *b, const json_t *v)
{
	char buf[ACMB_PYJSON_REPR_MAX];
	const char *s;
	size_t len;

	if ((s = acmb_pyjson_str(v, buf, &len)) != NULL)
		acmb_obuf_put(b, s, len);
	else
		py_repr(b, v, 0);
}

/* ---- text (awscli/text.py) ------------------------------------------- */

struct text {
	struct acmb_obuf out;
	acmb_err *err;
	int failed;
};

static int
is_container(const json_t *v)
{
	return json_is_array(v) || json_is_object(v);
}

/* identifier.upper(), as Python upper-cases (ß gives SS). */
static void
put_upper(struct acmb_obuf *b, const char *s, size_t n)
{
	uint32_t cp, up[3];
	unsigned char enc[4];
	size_t i = 0;
	int k, m;

	while (i < n) {
		size_t len = acmb_utf8_next(s + i, n - i, &cp);

		m = acmb_output_char_upper(cp, up);
		for (k = 0; k < m; k++) {
			cp = up[k];
			if (cp < 0x80) {
				enc[0] = (unsigned char)cp;
				acmb_obuf_put(b, (char *)enc, 1);
			} else if (cp < 0x800) {
				enc[0] = (unsigned char)(0xc0 | (cp >> 6));
				enc[1] = (unsigned char)(0x80 | (cp & 0x3f));
				acmb_obuf_put(b, (char *)enc, 2);
			} else if (cp < 0x10000) {
				enc[0] = (unsigned char)(0xe0 | (cp >> 12));
				enc[1] = (unsigned char)(0x80 | ((cp >> 6) & 0x3f));
				enc[2] = (unsigned char)(0x80 | (cp & 0x3f));
				acmb_obuf_put(b, (char *)enc, 3);
			} else {
				enc[0] = (unsigned char)(0xf0 | (cp >> 18));
				enc[1] = (unsigned char)(0x80 | ((cp >> 12) & 0x3f));
				enc[2] = (unsigned char)(0x80 | ((cp >> 6) & 0x3f));
				enc[3] = (unsigned char)(0x80 | (cp & 0x3f));
				acmb_obuf_put(b, (char *)enc, 4);
			}
		}
		i += len;
	}
}

/* The sorted keys of a list of objects whose values are scalars in at
 * least one of them (_all_scalar_keys). */
struct keyset {
	const char **k;
	size_t *len;
	size_t n;
};

static int text_value(struct text *t, const json_t *v, const char *ident, size_t identlen,
    const struct keyset *scalar_keys, int depth);

static int
text_fail(struct text *t, const char *msg)
{
	if (!t->failed)
		acmb_error(t->err, ACMB_E_USAGE, "--output text: %s", msg);
	t->failed = 1;
	return -1;
}

static int
all_scalar_keys(struct text *t, const json_t *list, struct keyset *ks)
{
	struct keyref *refs = NULL;
	const char *k;
	json_t *el, *item;
	size_t i, klen, total = 0, n = 0, j;

	memset(ks, 0, sizeof(*ks));
	json_array_foreach((json_t *)list, i, el)
	{
		if (!json_is_object(el))
			return text_fail(t, "a list mixes objects with other values (the AWS CLI "
			                    "fails on it too)");
		total += json_object_size(el);
	}
	if ((refs = calloc(total + 1, sizeof(*refs))) == NULL ||
	    (ks->k = calloc(total + 1, sizeof(*ks->k))) == NULL ||
	    (ks->len = calloc(total + 1, sizeof(*ks->len))) == NULL) {
		free(refs);
		free(ks->k);
		ks->k = NULL;
		return text_fail(t, "out of memory");
	}
	json_array_foreach((json_t *)list, i, el)
	{
		json_object_keylen_foreach(el, k, klen, item)
		{
			if (is_container(item))
				continue;
			refs[n].k = k;
			refs[n++].len = klen;
		}
	}
	qsort(refs, n, sizeof(*refs), keyref_cmp);
	for (i = 0, j = 0; i < n; i++) {
		if (j > 0 && keyref_cmp(&refs[i], &refs[i - 1]) == 0)
			continue;
		ks->k[j] = refs[i].k;
		ks->len[j++] = refs[i].len;
	}
	ks->n = j;
	free(refs);
	return 0;
}

static int
in_keyset(const struct keyset *ks, const char *k, size_t len)
{
	size_t i;

	for (i = 0; i < ks->n; i++)
		if (ks->len[i] == len && memcmp(ks->k[i], k, len) == 0)
			return 1;
	return 0;
}

/* _format_scalar_list */
static void
text_scalar_list(struct text *t, const json_t **items, size_t n, const char *ident, size_t identlen)
{
	size_t i;

	for (i = 0; i < n; i++) {
		if (ident != NULL) {
			put_upper(&t->out, ident, identlen);
			acmb_obuf_put(&t->out, "\t", 1);
			acmb_py_str(&t->out, items[i]);
			acmb_obuf_put(&t->out, "\n", 1);
		} else {
			if (i > 0)
				acmb_obuf_put(&t->out, "\t", 1);
			acmb_py_str(&t->out, items[i]);
		}
	}
	if (ident == NULL)
		acmb_obuf_put(&t->out, "\n", 1);
}

static int
text_list(struct text *t, const json_t *v, const char *ident, size_t identlen, int depth)
{
	const json_t **scalars = NULL;
	struct keyset ks;
	json_t *el;
	size_t i, n = json_array_size(v), ns = 0;
	int any_dict = 0, any_list = 0, r = 0;

	if (n == 0)
		return 0;
	json_array_foreach((json_t *)v, i, el)
	{
		any_dict |= json_is_object(el);
		any_list |= json_is_array(el);
	}
	if (any_dict) {
		if (all_scalar_keys(t, v, &ks) != 0)
			return -1;
		json_array_foreach((json_t *)v, i, el)
		{
			if ((r = text_value(t, el, ident, identlen, &ks, depth + 1)) != 0)
				break;
		}
		free(ks.k);
		free(ks.len);
		return r;
	}
	if ((scalars = calloc(n, sizeof(const json_t *))) == NULL)
		return text_fail(t, "out of memory");
	json_array_foreach((json_t *)v, i, el)
	{
		if (!any_list || !is_container(el))
			scalars[ns++] = el;
	}
	if (ns > 0)
		text_scalar_list(t, scalars, ns, ident, identlen);
	free(scalars);
	if (!any_list)
		return 0;
	json_array_foreach((json_t *)v, i, el)
	{
		if (is_container(el) &&
		    (r = text_value(t, el, ident, identlen, NULL, depth + 1)) != 0)
			return r;
	}
	return 0;
}

/* _format_dict: the scalars on one line (identifier first), then each
 * non-scalar under its key. */
static int
text_dict(struct text *t, const json_t *v, const char *ident, size_t identlen,
    const struct keyset *scalar_keys, int depth)
{
	const char **keys = NULL;
	size_t *lens = NULL, n = 0, i, written = 0;
	json_t *item;
	int r = 0;

	if (acmb_output_sorted_keys(v, &keys, &lens, &n) != 0)
		return text_fail(t, "out of memory");
	if (scalar_keys != NULL) {
		for (i = 0; i < scalar_keys->n; i++) {
			if (written++ == 0 && ident != NULL) {
				put_upper(&t->out, ident, identlen);
				acmb_obuf_put(&t->out, "\t", 1);
			} else if (written > 1) {
				acmb_obuf_put(&t->out, "\t", 1);
			}
			item = json_object_getn(v, scalar_keys->k[i], scalar_keys->len[i]);
			if (item != NULL)
				acmb_py_str(&t->out, item);
		}
	} else {
		for (i = 0; i < n; i++) {
			item = json_object_getn(v, keys[i], lens[i]);
			if (is_container(item))
				continue;
			if (written++ == 0 && ident != NULL) {
				put_upper(&t->out, ident, identlen);
				acmb_obuf_put(&t->out, "\t", 1);
			} else if (written > 1) {
				acmb_obuf_put(&t->out, "\t", 1);
			}
			acmb_py_str(&t->out, item);
		}
	}
	if (written > 0)
		acmb_obuf_put(&t->out, "\n", 1);
	for (i = 0; i < n && r == 0; i++) {
		item = json_object_getn(v, keys[i], lens[i]);
		if (scalar_keys != NULL ? in_keyset(scalar_keys, keys[i], lens[i])
		                        : !is_container(item))
			continue;
		r = text_value(t, item, keys[i], lens[i], NULL, depth + 1);
	}
	free(keys);
	free(lens);
	return r;
}

static int
text_value(struct text *t, const json_t *v, const char *ident, size_t identlen,
    const struct keyset *scalar_keys, int depth)
{
	if (depth > ACMB_PYJSON_DEPTH_MAX)
		return text_fail(t, "the result nests too deep");
	if (json_is_object(v))
		return text_dict(t, v, ident, identlen, scalar_keys, depth);
	if (json_is_array(v))
		return text_list(t, v, ident, identlen, depth);
	acmb_py_str(&t->out, v);
	acmb_obuf_put(&t->out, "\n", 1);
	return 0;
}

/* ---- the entry point ------------------------------------------------- */

static int
write_all(FILE *f, const char *p, size_t n, acmb_err *err)
{
	if ((n > 0 && fwrite(p, 1, n, f) != n) || fflush(f) != 0)
		return acmb_error(err, ACMB_E_IO, "cannot write the output");
	return ACMB_OK;
}

/* The terminal's width, as table.py's determine_terminal_width: the
 * TIOCGWINSZ of the output, else 80. */
static int
terminal_width(FILE *f)
{
	struct winsize ws;

	if (ioctl(fileno(f), TIOCGWINSZ, &ws) == 0 && ws.ws_col > 0)
		return ws.ws_col;
	return 80;
}

int
acmb_output_render(FILE *f, const json_t *result, const char *title, enum acmb_output_format fmt,
    enum acmb_output_color color, acmb_err *err)
{
	static const struct acmb_pyjson_style aws_json = {4, 0};
	struct text t;
	int r, on;

	switch (fmt) {
	case ACMB_OUTPUT_JSON:
		/* formatter.py: nothing at all for an empty object. */
		if (json_is_object(result) && json_object_size(result) == 0)
			return ACMB_OK;
		if ((r = acmb_pyjson_dumpf(f, result, &aws_json)) != ACMB_PYJSON_OK)
			return acmb_error(err, r == ACMB_PYJSON_IO ? ACMB_E_IO : ACMB_E_USAGE,
			    r == ACMB_PYJSON_IO ? "cannot write the output"
			                        : "--output json: the result nests too deep");
		return write_all(f, "\n", 1, err);
	case ACMB_OUTPUT_TEXT:
		memset(&t, 0, sizeof(t));
		t.err = err;
		if (text_value(&t, result, NULL, 0, NULL, 0) != 0) {
			acmb_obuf_free(&t.out);
			return err != NULL ? err->rc : ACMB_E_USAGE;
		}
		if (t.out.failed) {
			acmb_obuf_free(&t.out);
			return acmb_error(err, ACMB_E_NOMEM, "out of memory writing the output");
		}
		r = write_all(f, t.out.p, t.out.len, err);
		acmb_obuf_free(&t.out);
		return r;
	case ACMB_OUTPUT_TABLE:
		on = color == ACMB_COLOR_ON ||
		     (color == ACMB_COLOR_AUTO && isatty(fileno(f)) && getenv("NO_COLOR") == NULL);
		return acmb_output_table(f, result, title, on, terminal_width(f), err);
	case ACMB_OUTPUT_YAML:
	case ACMB_OUTPUT_YAML_STREAM:
		return acmb_output_yaml(f, result, fmt == ACMB_OUTPUT_YAML_STREAM, err);
	}
	return acmb_error(err, ACMB_E_INTERNAL, "unknown output format");
}
