/*
 * --output table, as awscli/table.py lays a result out: sections (one per
 * object or list, indented by nesting), sorted scalar keys as column
 * headers, columns scaled to the widest section, single-row sections turned
 * vertical when the table is wider than the terminal, East Asian wide and
 * ambiguous characters two columns wide. With colour, the bytes colorama
 * writes: every write the AWS CLI makes is followed by a reset, because the
 * AWS CLI initialises colorama with autoreset.
 */
#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "output-internal.h"

#define RESET "\x1b[0m"
#define ROW_STYLE "\x1b[1m\x1b[34m"    /* Style.BRIGHT + Fore.BLUE */
#define INDENT_STYLE "\x1b[2m\x1b[33m" /* Style.DIM + Fore.YELLOW */

struct cell {
	char *s;
	size_t len; /* bytes */
	long cols;  /* get_text_length */
};

struct row {
	struct cell *cells;
	size_t n;
};

struct section {
	struct cell title;
	struct cell *headers;
	size_t nheaders;
	struct row *rows;
	size_t nrows, caprows;
	int indent;
	long num_cols; /* -1 until the first header or row */
	long *widths;  /* _max_widths */
	size_t nwidths;
};

struct table {
	struct section **sections;
	size_t n, cap;
	struct section *cur;
	int failed;
	acmb_err *err;
};

static int table_fail(struct table *t, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static int
table_fail(struct table *t, const char *fmt, ...)
{
	char msg[200];
	va_list ap;

	if (!t->failed) {
		va_start(ap, fmt);
		vsnprintf(msg, sizeof(msg), fmt, ap);
		va_end(ap);
		acmb_error(t->err, ACMB_E_USAGE, "--output table: %s", msg);
	}
	t->failed = 1;
	return -1;
}

static int
cell_set(struct cell *c, const char *s, size_t len)
{
	if ((c->s = malloc(len + 1)) == NULL)
		return -1;
	memcpy(c->s, s, len);
	c->s[len] = '\0';
	c->len = len;
	c->cols = (long)acmb_output_text_columns(s, len);
	return 0;
}

/* str(v) into a cell. */
static int
cell_str(struct cell *c, const json_t *v)
{
	struct acmb_obuf b;
	int r;

	memset(&b, 0, sizeof(b));
	acmb_py_str(&b, v);
	if (b.failed) {
		acmb_obuf_free(&b);
		return -1;
	}
	r = cell_set(c, b.p != NULL ? b.p : "", b.len);
	acmb_obuf_free(&b);
	return r;
}

static void
cells_free(struct cell *c, size_t n)
{
	size_t i;

	for (i = 0; c != NULL && i < n; i++)
		free(c[i].s);
	free(c);
}

static void
section_free(struct section *s)
{
	size_t i;

	if (s == NULL)
		return;
	free(s->title.s);
	cells_free(s->headers, s->nheaders);
	for (i = 0; i < s->nrows; i++)
		cells_free(s->rows[i].cells, s->rows[i].n);
	free(s->rows);
	free(s->widths);
	free(s);
}

static struct section *
section_new(struct table *t, const char *title, size_t len, int indent)
{
	struct section *s, **ns;
	size_t ncap;

	if ((s = calloc(1, sizeof(*s))) == NULL ||
	    cell_set(&s->title, title != NULL ? title : "", len) != 0) {
		free(s);
		table_fail(t, "out of memory");
		return NULL;
	}
	/* table.py: a section of a nested list has the title None, which is
	 * not drawn but counts as str(None), 4 columns, in the widths. */
	if (title == NULL)
		s->title.cols = 4;
	s->indent = indent;
	s->num_cols = -1;
	if (t->n == t->cap) {
		ncap = t->cap == 0 ? 8 : t->cap * 2;
		if ((ns = realloc(t->sections, ncap * sizeof(struct section *))) == NULL) {
			section_free(s);
			table_fail(t, "out of memory");
			return NULL;
		}
		t->sections = ns;
		t->cap = ncap;
	}
	t->sections[t->n++] = s;
	t->cur = s;
	return s;
}

/* _update_max_widths */
static int
update_widths(struct table *t, struct section *s, const struct cell *row, size_t n)
{
	size_t i;

	if (s->nwidths == 0) {
		free(s->widths);
		if ((s->widths = calloc(n + 1, sizeof(*s->widths))) == NULL)
			return table_fail(t, "out of memory");
		for (i = 0; i < n; i++)
			s->widths[i] = row[i].cols;
		s->nwidths = n;
		return 0;
	}
	for (i = 0; i < n; i++) {
		if (i >= s->nwidths)
			return table_fail(t,
			    "a row of %ld columns under %ld column widths (the AWS CLI "
			    "fails on it too)",
			    (long)n, (long)s->nwidths);
		if (row[i].cols > s->widths[i])
			s->widths[i] = row[i].cols;
	}
	return 0;
}

/* add_row_header; takes headers (n cells). */
static int
add_header(struct table *t, struct cell *headers, size_t n)
{
	struct section *s = t->cur;

	if (s == NULL || update_widths(t, s, headers, n) != 0) {
		cells_free(headers, n);
		return s == NULL ? table_fail(t, "a header outside any section") : -1;
	}
	if (s->num_cols < 0)
		s->num_cols = (long)n;
	cells_free(s->headers, s->nheaders);
	s->headers = headers;
	s->nheaders = n;
	return 0;
}

/* add_row; takes cells (n of them). */
static int
add_row(struct table *t, struct section *s, struct cell *cells, size_t n)
{
	struct row *nr;
	size_t ncap;

	if (s == NULL) {
		cells_free(cells, n);
		return table_fail(t, "a row outside any section");
	}
	if (s->num_cols < 0)
		s->num_cols = (long)n;
	if ((long)n != s->num_cols) {
		cells_free(cells, n);
		return table_fail(t,
		    "a row should have %ld elements, this one has %ld (the AWS CLI fails on it "
		    "too)",
		    s->num_cols, (long)n);
	}
	if (s->nrows == s->caprows) {
		ncap = s->caprows == 0 ? 4 : s->caprows * 2;
		if ((nr = realloc(s->rows, ncap * sizeof(*nr))) == NULL) {
			cells_free(cells, n);
			return table_fail(t, "out of memory");
		}
		s->rows = nr;
		s->caprows = ncap;
	}
	s->rows[s->nrows].cells = cells;
	s->rows[s->nrows++].n = n;
	return update_widths(t, s, cells, n);
}

static int
is_scalar(const json_t *v)
{
	return !json_is_array(v) && !json_is_object(v);
}

/* Python's truth value: None, False, 0, 0.0, "", [] and {} are false. */
static int
py_truthy(const json_t *v)
{
	switch (json_typeof(v)) {
	case JSON_NULL:
	case JSON_FALSE:
		return 0;
	case JSON_INTEGER:
		return json_integer_value(v) != 0;
	case JSON_REAL:
		return json_real_value(v) != 0;
	case JSON_STRING:
		return json_string_length(v) > 0;
	case JSON_ARRAY:
		return json_array_size(v) > 0;
	case JSON_OBJECT:
		return json_object_size(v) > 0;
	default:
		return 1;
	}
}

/* A sorted, duplicate-free list of keys. */
struct keylist {
	const char **k;
	size_t *len;
	size_t n;
};

static void
keylist_free(struct keylist *l)
{
	free(l->k);
	free(l->len);
	memset(l, 0, sizeof(*l));
}

static int
key_cmp(const char *a, size_t la, const char *b, size_t lb)
{
	int c = memcmp(a, b, la < lb ? la : lb);

	return c != 0 ? c : (la < lb ? -1 : la > lb);
}

/* _group_scalar_keys(_from_list): the sorted keys whose values are
 * scalars (in any element), and the sorted others. */
static int
group_keys(struct table *t, const json_t *const *objs, size_t nobjs, struct keylist *scalars,
    struct keylist *more)
{
	const char **keys;
	size_t *lens, n, i, j, total = 0;
	struct keylist *dst;

	memset(scalars, 0, sizeof(*scalars));
	memset(more, 0, sizeof(*more));
	for (i = 0; i < nobjs; i++)
		total += json_object_size(objs[i]);
	if ((scalars->k = calloc(total + 1, sizeof(char *))) == NULL ||
	    (scalars->len = calloc(total + 1, sizeof(size_t))) == NULL ||
	    (more->k = calloc(total + 1, sizeof(char *))) == NULL ||
	    (more->len = calloc(total + 1, sizeof(size_t))) == NULL) {
		keylist_free(scalars);
		keylist_free(more);
		return table_fail(t, "out of memory");
	}
	for (i = 0; i < nobjs; i++) {
		if (acmb_output_sorted_keys(objs[i], &keys, &lens, &n) != 0) {
			keylist_free(scalars);
			keylist_free(more);
			return table_fail(t, "out of memory");
		}
		for (j = 0; j < n; j++) {
			dst =
			    is_scalar(json_object_getn(objs[i], keys[j], lens[j])) ? scalars : more;
			dst->k[dst->n] = keys[j];
			dst->len[dst->n++] = lens[j];
		}
		free(keys);
		free(lens);
	}
	/* sorted(set(...)): insertion sort, then drop repeats. */
	for (dst = scalars; dst != NULL; dst = dst == scalars ? more : NULL) {
		for (i = 1; i < dst->n; i++) {
			const char *k = dst->k[i];
			size_t l = dst->len[i];

			for (j = i; j > 0 && key_cmp(dst->k[j - 1], dst->len[j - 1], k, l) > 0;
			     j--) {
				dst->k[j] = dst->k[j - 1];
				dst->len[j] = dst->len[j - 1];
			}
			dst->k[j] = k;
			dst->len[j] = l;
		}
		for (i = 0, j = 0; i < dst->n; i++) {
			if (j > 0 &&
			    key_cmp(dst->k[j - 1], dst->len[j - 1], dst->k[i], dst->len[i]) == 0)
				continue;
			dst->k[j] = dst->k[i];
			dst->len[j++] = dst->len[i];
		}
		dst->n = j;
	}
	return 0;
}

static struct cell *
header_cells(struct table *t, const struct keylist *l)
{
	struct cell *c;
	size_t i;

	if ((c = calloc(l->n + 1, sizeof(*c))) == NULL) {
		table_fail(t, "out of memory");
		return NULL;
	}
	for (i = 0; i < l->n; i++) {
		if (cell_set(&c[i], l->k[i], l->len[i]) != 0) {
			cells_free(c, l->n);
			table_fail(t, "out of memory");
			return NULL;
		}
	}
	return c;
}

static int build(
    struct table *t, const char *title, size_t tlen, const json_t *cur, int indent, int depth);

/* _build_sub_table_from_list: one header row over all elements' scalar
 * keys; with nested values, a section per element. */
static int
build_from_list(
    struct table *t, const json_t *list, const char *title, size_t tlen, int indent, int depth)
{
	const json_t **objs;
	struct keylist sc, more;
	struct cell *hdr, *row;
	const json_t *el, *v;
	size_t i, j, n = json_array_size(list), nobj;
	int r = -1;

	if ((objs = calloc(n + 1, sizeof(const json_t *))) == NULL)
		return table_fail(t, "out of memory");
	/* table.py reads every element as an object; an empty list or string
	 * passes for one that has no keys, anything else makes it fail. */
	for (i = 0, nobj = 0; i < n; i++) {
		el = json_array_get(list, i);
		if (json_is_object(el)) {
			objs[nobj++] = el;
			continue;
		}
		if ((json_is_array(el) && json_array_size(el) == 0) ||
		    (json_is_string(el) && json_string_length(el) == 0))
			continue;
		free(objs);
		return table_fail(t,
		    "a list whose first element is an object holds other values too "
		    "(the AWS CLI fails on it too)");
	}
	if (group_keys(t, objs, nobj, &sc, &more) != 0) {
		free(objs);
		return -1;
	}
	if ((hdr = header_cells(t, &sc)) == NULL || add_header(t, hdr, sc.n) != 0)
		goto out;
	for (i = 0; i < n; i++) {
		el = json_array_get(list, i);
		if (!json_is_object(el) && sc.n > 0) {
			table_fail(t,
			    "a list whose first element is an object holds other values too "
			    "(the AWS CLI fails on it too)");
			goto out;
		}
		if (i > 0 && more.n > 0) {
			if (section_new(t, title, tlen, indent) == NULL ||
			    (hdr = header_cells(t, &sc)) == NULL || add_header(t, hdr, sc.n) != 0)
				goto out;
		}
		if ((row = calloc(sc.n + 1, sizeof(*row))) == NULL) {
			table_fail(t, "out of memory");
			goto out;
		}
		for (j = 0; j < sc.n; j++) {
			v = json_object_getn(el, sc.k[j], sc.len[j]);
			if ((v != NULL ? cell_str(&row[j], v) : cell_set(&row[j], "", 0)) != 0) {
				cells_free(row, sc.n);
				table_fail(t, "out of memory");
				goto out;
			}
		}
		if (add_row(t, t->cur, row, sc.n) != 0)
			goto out;
		for (j = 0; j < more.n && json_is_object(el); j++) {
			if ((v = json_object_getn(el, more.k[j], more.len[j])) != NULL &&
			    build(t, more.k[j], more.len[j], v, indent + 1, depth + 1) != 0)
				goto out;
		}
	}
	r = 0;
out:
	keylist_free(&sc);
	keylist_free(&more);
	free(objs);
	return r;
}

/* _build_sub_table_from_dict: one scalar key as a key/value row, several
 * as a header row and a value row; nested values in sections of their own. */
static int
build_from_dict(struct table *t, const json_t *obj, int indent, int depth)
{
	struct keylist sc, more;
	struct cell *hdr = NULL, *row = NULL;
	size_t j;
	int r = -1;

	if (group_keys(t, &obj, 1, &sc, &more) != 0)
		return -1;
	if (sc.n == 1) {
		if ((row = calloc(2, sizeof(*row))) == NULL ||
		    cell_set(&row[0], sc.k[0], sc.len[0]) != 0 ||
		    cell_str(&row[1], json_object_getn(obj, sc.k[0], sc.len[0])) != 0) {
			cells_free(row, 2);
			table_fail(t, "out of memory");
			goto out;
		}
		if (add_row(t, t->cur, row, 2) != 0)
			goto out;
	} else if (sc.n > 1) {
		if ((hdr = header_cells(t, &sc)) == NULL || add_header(t, hdr, sc.n) != 0)
			goto out;
		if ((row = calloc(sc.n + 1, sizeof(*row))) == NULL) {
			table_fail(t, "out of memory");
			goto out;
		}
		for (j = 0; j < sc.n; j++) {
			if (cell_str(&row[j], json_object_getn(obj, sc.k[j], sc.len[j])) != 0) {
				cells_free(row, sc.n);
				table_fail(t, "out of memory");
				goto out;
			}
		}
		if (add_row(t, t->cur, row, sc.n) != 0)
			goto out;
	}
	for (j = 0; j < more.n; j++)
		if (build(t, more.k[j], more.len[j], json_object_getn(obj, more.k[j], more.len[j]),
		        indent + 1, depth + 1) != 0)
			goto out;
	r = 0;
out:
	keylist_free(&sc);
	keylist_free(&more);
	return r;
}

/* _build_table; title NULL continues the current section. */
static int
build(struct table *t, const char *title, size_t tlen, const json_t *cur, int indent, int depth)
{
	struct cell *row;
	const char *k;
	json_t *item, *el;
	size_t i, j, n, klen;
	int all;

	if (depth > 1000)
		return table_fail(t, "the result nests deeper than %d levels", 1000);
	if (!py_truthy(cur))
		return 0;
	if (title != NULL && section_new(t, title, tlen, indent) == NULL)
		return -1;
	if (json_is_array(cur)) {
		if (json_is_object(json_array_get(cur, 0)))
			return build_from_list(t, cur, title, tlen, indent, depth);
		json_array_foreach((json_t *)cur, i, item)
		{
			if (is_scalar(item)) {
				if ((row = calloc(1, sizeof(*row))) == NULL ||
				    cell_str(&row[0], item) != 0) {
					cells_free(row, 1);
					return table_fail(t, "out of memory");
				}
				if (add_row(t, t->cur, row, 1) != 0)
					return -1;
				continue;
			}
			/* all(scalar(el) for el in item): an object's elements are
			 * its keys, which are strings. */
			all = 1;
			if (json_is_array(item))
				json_array_foreach(item, j, el) all &= is_scalar(el);
			if (!all) {
				if (build(t, NULL, 0, item, 0, depth + 1) != 0)
					return -1;
				continue;
			}
			n = json_is_array(item) ? json_array_size(item) : json_object_size(item);
			if ((row = calloc(n + 1, sizeof(*row))) == NULL)
				return table_fail(t, "out of memory");
			j = 0;
			if (json_is_array(item)) {
				json_array_foreach(
				    item, j, el) if (cell_str(&row[j], el) != 0) break;
			} else {
				json_object_keylen_foreach(item, k, klen, el)
				{
					(void)el;
					if (cell_set(&row[j], k, klen) != 0)
						break;
					j++;
				}
			}
			if (j != n) {
				cells_free(row, n);
				return table_fail(t, "out of memory");
			}
			if (add_row(t, t->cur, row, n) != 0)
				return -1;
		}
		return 0;
	}
	if (json_is_object(cur))
		return build_from_dict(t, cur, indent, depth);
	return 0;
}

/* ---- rendering ------------------------------------------------------- */

struct out {
	struct acmb_obuf b;
	int color;
};

/* One write() of the AWS CLI: with colour, colorama's autoreset follows. */
static void
w(struct out *o, const char *s, size_t n)
{
	acmb_obuf_put(&o->b, s, n);
	if (o->color)
		acmb_obuf_put(&o->b, RESET, sizeof(RESET) - 1);
}

/* IndentedStream.write */
static void
indented(struct out *o, int indent, const struct acmb_obuf *text)
{
	struct acmb_obuf edge;
	int i;

	memset(&edge, 0, sizeof(edge));
	for (i = 0; i < indent; i++) {
		if (o->color)
			acmb_obuf_puts(&edge, INDENT_STYLE "|" RESET);
		else
			acmb_obuf_put(&edge, "|", 1);
	}
	w(o, edge.p != NULL ? edge.p : "", edge.len);
	if (text->len > 0 && text->p[text->len - 1] == '\n') {
		w(o, text->p, text->len - 1);
		w(o, edge.p != NULL ? edge.p : "", edge.len);
		w(o, "\n", 1);
	} else {
		w(o, text->p != NULL ? text->p : "", text->len);
	}
	if (edge.failed)
		o->b.failed = 1;
	acmb_obuf_free(&edge);
}

static void
spaces(struct acmb_obuf *b, long n)
{
	static const char sp[] = "                                ";

	while (n > 0) {
		long chunk = n < (long)sizeof(sp) - 1 ? n : (long)sizeof(sp) - 1;

		acmb_obuf_put(b, sp, (size_t)chunk);
		n -= chunk;
	}
}

static void
dashes(struct acmb_obuf *b, long n)
{
	static const char d[] = "--------------------------------";

	while (n > 0) {
		long chunk = n < (long)sizeof(d) - 1 ? n : (long)sizeof(d) - 1;

		acmb_obuf_put(b, d, (size_t)chunk);
		n -= chunk;
	}
}

/* Python's floor division, for the one place a width may go negative. */
static long
floordiv(long a, long b)
{
	long q = a / b;

	return (a % b != 0 && (a < 0) != (b < 0)) ? q - 1 : q;
}

/* center_text */
static void
center(struct acmb_obuf *b, const char *text, size_t len, long cols, long length, const char *left,
    const char *right)
{
	long start = floordiv(length, 2) - floordiv(cols, 2) - 1;
	long so_far = (long)strlen(left) + start + cols;

	acmb_obuf_puts(b, left);
	spaces(b, start);
	acmb_obuf_put(b, text, len);
	spaces(b, length - (long)strlen(right) - so_far);
	acmb_obuf_puts(b, right);
}

/* align_left, the element (styled or not) at text, cols wide. */
static void
align_left(struct acmb_obuf *b, const char *text, size_t len, long cols, long length,
    const char *left, const char *right)
{
	long computed = cols + 2 + (long)strlen(left) + (long)strlen(right);
	long padding = length - computed >= 0 ? 2 : 0;

	acmb_obuf_puts(b, left);
	spaces(b, padding);
	acmb_obuf_put(b, text, len);
	spaces(b, length - ((long)strlen(left) + padding + cols) - (long)strlen(right));
	acmb_obuf_puts(b, right);
}

/* calculate_column_widths(padding=4, max_width): each width plus 4,
 * scaled to max_width with Python's round() (half to even), then evened
 * out one column at a time. Returns a new array, or NULL when out of
 * memory; *n is the number of columns (0: no array needed). */
static long *
column_widths(const struct section *s, long max_width, size_t *n)
{
	long *scaled, sum = 0, off;
	double factor;
	size_t i;

	*n = s->nwidths;
	if ((scaled = calloc(s->nwidths + 1, sizeof(*scaled))) == NULL)
		return NULL;
	if (s->nwidths == 0)
		return scaled;
	for (i = 0; i < s->nwidths; i++)
		sum += s->widths[i] + 4;
	factor = (double)max_width / (double)sum;
	for (i = 0, off = 0; i < s->nwidths; i++) {
		scaled[i] = (long)nearbyint(factor * (double)(s->widths[i] + 4));
		off += scaled[i];
	}
	off -= max_width;
	while (off != 0) {
		for (i = 0; i < s->nwidths && off != 0; i++) {
			size_t k = off < 0 ? s->nwidths - 1 - i : i;

			if (off > 0) {
				scaled[k]--;
				off--;
			} else {
				scaled[k]++;
				off++;
			}
		}
	}
	return scaled;
}

static long
total_width(const struct section *s)
{
	long total = 2 + 2L * s->indent, title = s->title.cols + 2 + 2L * s->indent;
	size_t i;

	for (i = 0; i < s->nwidths; i++)
		total += s->widths[i] + 4;
	return title > total ? title : total;
}

static long
max_width(const struct table *t)
{
	long m = 0, tw;
	size_t i;

	for (i = 0; i < t->n; i++)
		if ((tw = total_width(t->sections[i])) > m)
			m = tw;
	return m;
}

static void
line_break(struct out *o, int indent, const long *widths, size_t n)
{
	struct acmb_obuf b;
	size_t i;

	memset(&b, 0, sizeof(b));
	for (i = 0; i < n; i++) {
		if (i == 0) {
			acmb_obuf_put(&b, "+", 1);
			dashes(&b, widths[i] - 2);
		} else {
			dashes(&b, widths[i] - 1);
		}
		acmb_obuf_put(&b, "+", 1);
	}
	acmb_obuf_put(&b, "\n", 1);
	indented(o, indent, &b);
	if (b.failed)
		o->b.failed = 1;
	acmb_obuf_free(&b);
}

static int
render_section(struct out *o, const struct section *s, long width)
{
	struct acmb_obuf b;
	long *widths = NULL;
	size_t n, i, r;
	int rc = -1;

	memset(&b, 0, sizeof(b));
	width -= 2L * s->indent;
	if (s->title.len > 0) {
		center(&b, s->title.s, s->title.len, s->title.cols, width, "|", "|");
		acmb_obuf_put(&b, "\n", 1);
		indented(o, s->indent, &b);
		acmb_obuf_free(&b);
		if (s->nheaders == 0 && s->nrows == 0) {
			acmb_obuf_put(&b, "+", 1);
			dashes(&b, width - 2);
			acmb_obuf_put(&b, "+\n", 2);
			indented(o, s->indent, &b);
			acmb_obuf_free(&b);
		}
	}
	if ((widths = column_widths(s, width, &n)) == NULL)
		goto out;
	if (s->nheaders > 0) {
		for (i = 0; i < s->nheaders && i < n; i++)
			center(&b, s->headers[i].s, s->headers[i].len, s->headers[i].cols,
			    widths[i], i == 0 ? "|" : "", "|");
		line_break(o, s->indent, widths, n);
		acmb_obuf_put(&b, "\n", 1);
		indented(o, s->indent, &b);
		acmb_obuf_free(&b);
	}
	if (s->nrows > 0 && n > 0) {
		line_break(o, s->indent, widths, n);
		for (r = 0; r < s->nrows; r++) {
			for (i = 0; i < s->rows[r].n && i < n; i++) {
				const struct cell *c = &s->rows[r].cells[i];
				struct acmb_obuf styled;

				memset(&styled, 0, sizeof(styled));
				if (o->color)
					acmb_obuf_puts(&styled, ROW_STYLE);
				acmb_obuf_put(&styled, c->s, c->len);
				if (o->color)
					acmb_obuf_puts(&styled, RESET);
				align_left(&b, styled.p != NULL ? styled.p : "", styled.len,
				    c->cols, widths[i], i == 0 ? "|" : "", "|");
				if (styled.failed)
					b.failed = 1;
				acmb_obuf_free(&styled);
			}
			acmb_obuf_put(&b, "\n", 1);
			indented(o, s->indent, &b);
			acmb_obuf_free(&b);
		}
		line_break(o, s->indent, widths, n);
	}
	rc = b.failed ? -1 : 0;
out:
	acmb_obuf_free(&b);
	free(widths);
	return rc;
}

/* convert_to_vertical_table: a section of one row becomes a column of
 * header/value rows. */
static int
convert_vertical(struct table *t)
{
	struct section *s, *ns;
	struct cell *row;
	size_t i, j, keep_n = t->n;

	for (i = 0; i < keep_n; i++) {
		s = t->sections[i];
		if (s->nrows != 1 || s->nheaders == 0)
			continue;
		if ((ns = calloc(1, sizeof(*ns))) == NULL)
			return table_fail(t, "out of memory");
		ns->num_cols = -1;
		ns->indent = s->indent;
		ns->title = s->title;
		s->title.s = NULL;
		t->sections[i] = ns;
		for (j = 0; j < s->nheaders && j < s->rows[0].n; j++) {
			if ((row = calloc(2, sizeof(*row))) == NULL ||
			    cell_set(&row[0], s->headers[j].s, s->headers[j].len) != 0 ||
			    cell_set(&row[1], s->rows[0].cells[j].s, s->rows[0].cells[j].len) !=
			        0) {
				cells_free(row, 2);
				section_free(s);
				return table_fail(t, "out of memory");
			}
			if (add_row(t, ns, row, 2) != 0) {
				section_free(s);
				return -1;
			}
		}
		section_free(s);
	}
	return 0;
}

int
acmb_output_table(
    FILE *f, const json_t *result, const char *title, int color, int width, acmb_err *err)
{
	struct table t;
	struct out o;
	long mw;
	size_t i;
	int r = ACMB_OK;

	memset(&t, 0, sizeof(t));
	memset(&o, 0, sizeof(o));
	t.err = err;
	o.color = color;
	if (title == NULL)
		title = "";
	if (build(&t, title, strlen(title), result, 0, 0) != 0) {
		r = err != NULL ? err->rc : ACMB_E_USAGE;
		goto out;
	}
	if (t.n == 0)
		goto out; /* nothing to draw: the AWS CLI writes nothing */
	mw = max_width(&t);
	if (mw > width) {
		if (convert_vertical(&t) != 0) {
			r = err != NULL ? err->rc : ACMB_E_USAGE;
			goto out;
		}
		mw = max_width(&t);
	}
	{
		struct acmb_obuf line;

		memset(&line, 0, sizeof(line));
		dashes(&line, mw);
		acmb_obuf_put(&line, "\n", 1);
		w(&o, line.p, line.len);
		acmb_obuf_free(&line);
	}
	for (i = 0; i < t.n; i++)
		if (render_section(&o, t.sections[i], mw) != 0)
			o.b.failed = 1;
	if (o.b.failed) {
		r = acmb_error(err, ACMB_E_NOMEM, "out of memory writing the table");
		goto out;
	}
	if ((o.b.len > 0 && fwrite(o.b.p, 1, o.b.len, f) != o.b.len) || fflush(f) != 0)
		r = acmb_error(err, ACMB_E_IO, "cannot write the output");
out:
	for (i = 0; i < t.n; i++)
		section_free(t.sections[i]);
	free(t.sections);
	acmb_obuf_free(&o.b);
	return r;
}
