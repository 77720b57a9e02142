#include "json-text.h"

#include <stdlib.h>
#include <string.h>

/*
 * Length of the valid UTF-8 sequence at s (n bytes left), or 0 when the
 * bytes there are not one. Hand-written because no library at hand says
 * where a string stops being UTF-8: jansson only accepts or refuses a whole
 * string. The rules are jansson's (RFC 3629): no overlong forms, no
 * surrogates, nothing above U+10FFFF.
 */
static size_t
utf8_seq(const unsigned char *s, size_t n)
{
	unsigned long cp;
	size_t len, i;

	if (s[0] < 0x80)
		return 1;
	if (s[0] >= 0xC2 && s[0] <= 0xDF)
		len = 2;
	else if (s[0] >= 0xE0 && s[0] <= 0xEF)
		len = 3;
	else if (s[0] >= 0xF0 && s[0] <= 0xF4)
		len = 4;
	else
		return 0;
	if (len > n)
		return 0;
	cp = s[0] & (0x7F >> len);
	for (i = 1; i < len; i++) {
		if ((s[i] & 0xC0) != 0x80)
			return 0;
		cp = (cp << 6) | (s[i] & 0x3F);
	}
	if ((len == 3 && cp < 0x800) || (len == 4 && cp < 0x10000) || cp > 0x10FFFF ||
	    (cp >= 0xD800 && cp <= 0xDFFF))
		return 0;
	return len;
}

json_t *
acmb_json_text(const char *s)
{
	static const char hex[] = "0123456789ABCDEF";
	const unsigned char *p = (const unsigned char *)s;
	size_t n, i, o = 0, k;
	json_t *j;
	char *buf;

	if (s == NULL)
		return NULL;
	if ((j = json_string(s)) != NULL)
		return j;
	n = strlen(s);
	/* Four characters per escaped byte at most; checked before it is used. */
	if (n > ((size_t)-1 - 1) / 4 || (buf = malloc(4 * n + 1)) == NULL)
		return NULL;
	for (i = 0; i < n;) {
		if ((k = utf8_seq(p + i, n - i)) > 0) {
			memcpy(buf + o, p + i, k);
			o += k;
			i += k;
			continue;
		}
		buf[o++] = '\\';
		buf[o++] = 'x';
		buf[o++] = hex[p[i] >> 4];
		buf[o++] = hex[p[i] & 0xF];
		i++;
	}
	j = json_stringn(buf, o);
	free(buf);
	return j;
}
