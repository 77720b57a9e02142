#include "base64-text.h"

#include <limits.h>
#include <string.h>

#include <openssl/evp.h>

static int
is_b64(unsigned char c)
{
	return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
	       c == '+' || c == '/';
}

static int
is_blank(unsigned char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

int
acmb_base64_text_decode(acmb_secbuf **buf, acmb_err *err)
{
	const unsigned char *s = acmb_secbuf_ptr(*buf);
	size_t n = acmb_secbuf_len(*buf), i, k = 0, pad = 0;
	acmb_secbuf *text = NULL, *bin = NULL;
	unsigned char *t, *dst;
	int len, r = 0;

	for (i = 0; i < n; i++) {
		if (is_blank(s[i]))
			continue;
		if (s[i] == '=') {
			pad++;
		} else if (!is_b64(s[i]) || pad > 0) {
			return 0;
		}
		k++;
	}
	if (k == 0 || k % 4 != 0 || pad > 2 || k > (size_t)INT_MAX)
		return 0;
	/* One-shot EVP_DecodeBlock over the text without blanks: an
	 * EVP_ENCODE_CTX would keep key bytes in a context nobody cleanses. */
	if ((text = acmb_secbuf_new(k)) == NULL || (t = acmb_secbuf_reserve(text, k)) == NULL ||
	    (bin = acmb_secbuf_new(k)) == NULL || (dst = acmb_secbuf_reserve(bin, k)) == NULL) {
		r = acmb_error(err, ACMB_E_NOMEM, "out of memory");
		goto out;
	}
	for (i = 0, k = 0; i < n; i++)
		if (!is_blank(s[i]))
			t[k++] = s[i];
	acmb_secbuf_commit(text, k);
	if ((len = EVP_DecodeBlock(dst, t, (int)k)) < 0 || (size_t)len < pad)
		goto out; /* not base64 after all: left alone */
	/* EVP_DecodeBlock counts the bytes the '=' padding stands for. */
	acmb_secbuf_commit(bin, (size_t)len - pad);
	acmb_secbuf_free(*buf);
	*buf = bin;
	bin = NULL;
	r = 1;
out:
	acmb_secbuf_free(text);
	acmb_secbuf_free(bin);
	return r;
}
