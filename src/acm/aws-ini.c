/*
 * Written by hand: no INI parser is in our package set, and we need only
 * the subset the AWS CLI reads (Python's RawConfigParser): "[section]"
 * headers, "key = value" or "key: value" lines, '#'/';' comment lines, and
 * indented continuation lines (nested settings such as "s3 =") that no
 * credential or region lookup uses. No inline comments, as in the CLI.
 */
#include "aws-ini.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>

int
acmb_aws_ini_load(const char *path, acmb_secbuf **text, acmb_err *err)
{
	acmb_secbuf *b = NULL;
	FILE *f = NULL;
	struct stat st;
	unsigned char *dst;
	size_t n, line = 0, i;
	int r = ACMB_E_INTERNAL;

	*text = NULL;
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
	if ((size_t)st.st_size > ACMB_AWS_INI_MAX_FILE) {
		r = acmb_error(err, ACMB_E_TOO_BIG, "AWS file %s is larger than %zu bytes", path,
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
				r = acmb_error(err, ACMB_E_TOO_BIG,
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
	/* Bound lines once here so the lookups need no length checks. */
	for (i = 0, n = 0; i < acmb_secbuf_len(b); i++) {
		if (acmb_secbuf_ptr(b)[i] == '\n') {
			line++;
			n = 0;
		} else if (++n > ACMB_AWS_INI_MAX_LINE) {
			r = acmb_error(err, ACMB_E_PARSE,
			    "AWS file %s: line %zu is longer than %d characters", path, line + 1,
			    ACMB_AWS_INI_MAX_LINE);
			goto out;
		}
	}
	*text = b;
	b = NULL;
	r = ACMB_OK;
out:
	acmb_secbuf_free(b);
	if (f != NULL)
		fclose(f);
	return r;
}

static int
is_blank(char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\f' || c == '\v';
}

static void
trim(const char **p, size_t *n)
{
	while (*n > 0 && is_blank(**p)) {
		(*p)++;
		(*n)--;
	}
	while (*n > 0 && is_blank((*p)[*n - 1]))
		(*n)--;
}

static int
span_is(const char *p, size_t n, const char *s)
{
	return strlen(s) == n && memcmp(p, s, n) == 0;
}

/* Does the section header (inside the brackets) name profile? */
static int
header_names_profile(const char *h, size_t hn, enum acmb_aws_ini_style style, const char *profile)
{
	trim(&h, &hn);
	if (style == ACMB_AWS_INI_CREDENTIALS)
		return span_is(h, hn, profile);
	if (span_is(h, hn, "default"))
		return strcmp(profile, "default") == 0;
	if (hn > 7 && memcmp(h, "profile", 7) == 0 && is_blank(h[7])) {
		h += 7;
		hn -= 7;
		trim(&h, &hn);
		return span_is(h, hn, profile);
	}
	return 0;
}

/*
 * Walks text line by line. With key == NULL, returns 1 as soon as profile's
 * section is seen; otherwise returns 1 with the value of key in it. The
 * first matching section wins.
 */
static int
ini_walk(const acmb_secbuf *text, enum acmb_aws_ini_style style, const char *profile,
    const char *key, const char **val, size_t *vlen)
{
	const char *p, *end, *nl, *line, *sep, *k, *v;
	size_t n, kn, vn;
	int in_section = 0, seen = 0;

	if (text == NULL || profile == NULL)
		return 0;
	p = acmb_secbuf_str(text);
	end = p + acmb_secbuf_len(text);
	for (; p < end; p = nl + 1) {
		if ((nl = memchr(p, '\n', (size_t)(end - p))) == NULL)
			nl = end;
		line = p;
		n = (size_t)(nl - p);
		if (n > 0 && is_blank(line[0]) && in_section)
			continue; /* continuation of a nested setting */
		trim(&line, &n);
		if (n == 0 || line[0] == '#' || line[0] == ';')
			continue;
		if (line[0] == '[') {
			if (line[n - 1] != ']') {
				in_section = 0;
				continue;
			}
			if (seen && in_section)
				return 0; /* our section ended without key */
			in_section = header_names_profile(line + 1, n - 2, style, profile);
			if (in_section && key == NULL)
				return 1;
			seen |= in_section;
			continue;
		}
		if (!in_section || key == NULL)
			continue;
		sep = NULL;
		for (k = line; k < line + n; k++) {
			if (*k == '=' || *k == ':') {
				sep = k;
				break;
			}
		}
		if (sep == NULL)
			continue;
		k = line;
		kn = (size_t)(sep - line);
		trim(&k, &kn);
		if (kn != strlen(key) || strncasecmp(k, key, kn) != 0)
			continue;
		v = sep + 1;
		vn = (size_t)(line + n - v);
		trim(&v, &vn);
		*val = v;
		*vlen = vn;
		return 1;
	}
	return 0;
}

int
acmb_aws_ini_has_profile(
    const acmb_secbuf *text, enum acmb_aws_ini_style style, const char *profile)
{
	return ini_walk(text, style, profile, NULL, NULL, NULL);
}

int
acmb_aws_ini_get(const acmb_secbuf *text, enum acmb_aws_ini_style style, const char *profile,
    const char *key, const char **val, size_t *vlen)
{
	*val = NULL;
	*vlen = 0;
	return ini_walk(text, style, profile, key, val, vlen);
}
