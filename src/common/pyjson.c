#include "pyjson.h"

#include <inttypes.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/* Where the writer puts its bytes: a stream, or a bounded string. */
struct sink {
	FILE *f;
	char *p;
	size_t len, cap, max;
	int rc;
};

static void
put(struct sink *k, const char *s, size_t n)
{
	size_t ncap;
	char *np;

	if (k->rc != ACMB_PYJSON_OK || n == 0)
		return;
	if (k->f != NULL) {
		if (fwrite(s, 1, n, k->f) != n)
			k->rc = ACMB_PYJSON_IO;
		return;
	}
	if (n > k->max - k->len) {
		k->rc = ACMB_PYJSON_TOO_BIG;
		return;
	}
	if (k->len + n + 1 > k->cap) {
		ncap = k->cap == 0 ? 256 : k->cap;
		while (ncap < k->len + n + 1)
			ncap = ncap > SIZE_MAX / 2 ? SIZE_MAX : ncap * 2;
		if ((np = realloc(k->p, ncap)) == NULL) {
			k->rc = ACMB_PYJSON_NOMEM;
			return;
		}
		k->p = np;
		k->cap = ncap;
	}
	memcpy(k->p + k->len, s, n);
	k->len += n;
	k->p[k->len] = '\0';
}

static void
puts_(struct sink *k, const char *s)
{
	put(k, s, strlen(s));
}

/*
 * Python's float repr: the shortest of %.1e .. %.17e that reads back as d
 * (what David Gay's algorithm that Python uses yields), then laid out as
 * float_repr_style 'short' does: positional for exponents -4..15, else
 * d.ddde+XX with at least two exponent digits.
 */
void
acmb_pyjson_repr_double(double d, char *buf)
{
	char tmp[48], digits[24] = {0};
	int prec, exp10, nd = 0, i, pos = 0;
	const char *p;

	if (isnan(d)) {
		snprintf(buf, ACMB_PYJSON_REPR_MAX, "NaN");
		return;
	}
	if (isinf(d)) {
		snprintf(buf, ACMB_PYJSON_REPR_MAX, d > 0 ? "Infinity" : "-Infinity");
		return;
	}
	for (prec = 0; prec < 17; prec++) {
		snprintf(tmp, sizeof(tmp), "%.*e", prec, d);
		if (strtod(tmp, NULL) == d)
			break;
	}
	/* tmp is [-]D[.DDD]e[+-]XX */
	p = tmp;
	if (*p == '-') {
		buf[pos++] = '-';
		p++;
	}
	for (; *p != 'e'; p++)
		if (*p != '.')
			digits[nd++] = *p;
	exp10 = atoi(p + 1);
	if (nd == 0)
		digits[nd++] = '0';
	/* Trailing zeros are not significant (0.0 keeps its one digit). */
	while (nd > 1 && digits[nd - 1] == '0')
		nd--;
	if (exp10 < -4 || exp10 >= 16) {
		buf[pos++] = digits[0];
		if (nd > 1) {
			buf[pos++] = '.';
			for (i = 1; i < nd; i++)
				buf[pos++] = digits[i];
		}
		snprintf(buf + pos, (size_t)(ACMB_PYJSON_REPR_MAX - pos), "e%c%02d",
		    exp10 < 0 ? '-' : '+', exp10 < 0 ? -exp10 : exp10);
		return;
	}
	if (exp10 < 0) {
		buf[pos++] = '0';
		buf[pos++] = '.';
		for (i = -1; i > exp10; i--)
			buf[pos++] = '0';
		for (i = 0; i < nd; i++)
			buf[pos++] = digits[i];
	} else {
		for (i = 0; i <= exp10; i++)
			buf[pos++] = i < nd ? digits[i] : '0';
		buf[pos++] = '.';
		if (nd > exp10 + 1)
			for (i = exp10 + 1; i < nd; i++)
				buf[pos++] = digits[i];
		else
			buf[pos++] = '0';
	}
	buf[pos] = '\0';
}

const char *
acmb_pyjson_str(const json_t *v, char *buf, size_t *len)
{
	switch (json_typeof(v)) {
	case JSON_STRING:
		*len = json_string_length(v);
		return json_string_value(v);
	case JSON_INTEGER:
		snprintf(buf, ACMB_PYJSON_REPR_MAX, "%" JSON_INTEGER_FORMAT, json_integer_value(v));
		break;
	case JSON_REAL:
		acmb_pyjson_repr_double(json_real_value(v), buf);
		break;
	case JSON_TRUE:
		snprintf(buf, ACMB_PYJSON_REPR_MAX, "True");
		break;
	case JSON_FALSE:
		snprintf(buf, ACMB_PYJSON_REPR_MAX, "False");
		break;
	case JSON_NULL:
		snprintf(buf, ACMB_PYJSON_REPR_MAX, "None");
		break;
	default:
		return NULL;
	}
	*len = strlen(buf);
	return buf;
}

/* One UTF-8 sequence at s (jansson holds valid UTF-8 only); returns its
 * length and the code point in *cp. */
static size_t
utf8_decode(const unsigned char *s, size_t n, uint32_t *cp)
{
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

static void
put_u(struct sink *k, uint32_t u)
{
	char e[16];

	snprintf(e, sizeof(e), "\\u%04" PRIx32, u);
	put(k, e, 6);
}

/* A JSON string as json.encoder writes it: \" \\ \b \f \n \r \t, \u00XX
 * for the other controls, lowercase hex; with ensure_ascii everything
 * outside ' '..'~' as \uXXXX. */
static void
put_string(struct sink *k, const char *str, size_t n, int ensure_ascii)
{
	const unsigned char *s = (const unsigned char *)str;
	size_t i = 0, run, len;
	uint32_t cp;

	put(k, "\"", 1);
	while (i < n) {
		/* Copy a run of bytes that need no escape in one write. */
		for (run = i; run < n && s[run] >= 0x20 && s[run] != '"' && s[run] != '\\' &&
		              !(ensure_ascii && s[run] >= 0x7f);
		     run++)
			;
		put(k, str + i, run - i);
		if ((i = run) >= n)
			break;
		switch (s[i]) {
		case '"':
			put(k, "\\\"", 2);
			break;
		case '\\':
			put(k, "\\\\", 2);
			break;
		case '\b':
			put(k, "\\b", 2);
			break;
		case '\f':
			put(k, "\\f", 2);
			break;
		case '\n':
			put(k, "\\n", 2);
			break;
		case '\r':
			put(k, "\\r", 2);
			break;
		case '\t':
			put(k, "\\t", 2);
			break;
		default:
			if (s[i] < 0x80) {
				put_u(k, s[i]);
				break;
			}
			len = utf8_decode(s + i, n - i, &cp);
			if (cp >= 0x10000) {
				cp -= 0x10000;
				put_u(k, 0xd800 | (cp >> 10));
				put_u(k, 0xdc00 | (cp & 0x3ff));
			} else {
				put_u(k, cp);
			}
			i += len;
			continue;
		}
		i++;
	}
	put(k, "\"", 1);
}

static void
newline_indent(struct sink *k, const struct acmb_pyjson_style *s, int level)
{
	static const char spaces[] = "                                ";
	size_t n;

	put(k, "\n", 1);
	/* Overflow-safe: level is bounded by ACMB_PYJSON_DEPTH_MAX. */
	for (n = (size_t)s->indent * (size_t)level; n > 0 && k->rc == ACMB_PYJSON_OK;) {
		size_t chunk = n < sizeof(spaces) - 1 ? n : sizeof(spaces) - 1;

		put(k, spaces, chunk);
		n -= chunk;
	}
}

static void
dump(struct sink *k, const json_t *v, const struct acmb_pyjson_style *s, int level)
{
	char buf[ACMB_PYJSON_REPR_MAX];
	const char *key;
	json_t *item;
	size_t i, n, klen;
	int first = 1;

	if (k->rc != ACMB_PYJSON_OK)
		return;
	if (level >= ACMB_PYJSON_DEPTH_MAX) {
		k->rc = ACMB_PYJSON_TOO_DEEP;
		return;
	}
	switch (json_typeof(v)) {
	case JSON_OBJECT:
		if (json_object_size(v) == 0) {
			put(k, "{}", 2);
			return;
		}
		put(k, "{", 1);
		/* jansson 2.14 iterates in insertion order, as Python's dict. */
		json_object_keylen_foreach((json_t *)v, key, klen, item)
		{
			if (!first)
				put(k, ",", 1);
			first = 0;
			if (s->indent >= 0)
				newline_indent(k, s, level + 1);
			put_string(k, key, klen, s->ensure_ascii);
			puts_(k, s->indent >= 0 ? ": " : ":");
			dump(k, item, s, level + 1);
		}
		if (s->indent >= 0)
			newline_indent(k, s, level);
		put(k, "}", 1);
		return;
	case JSON_ARRAY:
		if ((n = json_array_size(v)) == 0) {
			put(k, "[]", 2);
			return;
		}
		put(k, "[", 1);
		for (i = 0; i < n; i++) {
			if (i > 0)
				put(k, ",", 1);
			if (s->indent >= 0)
				newline_indent(k, s, level + 1);
			dump(k, json_array_get(v, i), s, level + 1);
		}
		if (s->indent >= 0)
			newline_indent(k, s, level);
		put(k, "]", 1);
		return;
	case JSON_STRING:
		put_string(k, json_string_value(v), json_string_length(v), s->ensure_ascii);
		return;
	case JSON_INTEGER:
		snprintf(buf, sizeof(buf), "%" JSON_INTEGER_FORMAT, json_integer_value(v));
		puts_(k, buf);
		return;
	case JSON_REAL:
		acmb_pyjson_repr_double(json_real_value(v), buf);
		puts_(k, buf);
		return;
	case JSON_TRUE:
		puts_(k, "true");
		return;
	case JSON_FALSE:
		puts_(k, "false");
		return;
	default:
		puts_(k, "null");
		return;
	}
}

int
acmb_pyjson_dumpf(FILE *f, const json_t *v, const struct acmb_pyjson_style *s)
{
	struct sink k;

	memset(&k, 0, sizeof(k));
	k.f = f;
	dump(&k, v, s, 0);
	return k.rc;
}

int
acmb_pyjson_dumps(
    const json_t *v, const struct acmb_pyjson_style *s, size_t max, char **out, size_t *outlen)
{
	struct sink k;

	*out = NULL;
	*outlen = 0;
	memset(&k, 0, sizeof(k));
	k.max = max;
	dump(&k, v, s, 0);
	if (k.rc == ACMB_PYJSON_OK && k.p == NULL && (k.p = calloc(1, 1)) == NULL)
		k.rc = ACMB_PYJSON_NOMEM;
	if (k.rc != ACMB_PYJSON_OK) {
		free(k.p);
		return k.rc;
	}
	*out = k.p;
	*outlen = k.len;
	return ACMB_PYJSON_OK;
}
