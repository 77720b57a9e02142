#include "yaml-input.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/wait.h>

#include <yaml.h>

#include "secmem.h"

/* Deepest nesting taken: a skeleton is three levels deep. */
#define YAML_INPUT_DEPTH_MAX 64

#define TAG_PREFIX "tag:yaml.org,2002:"

struct frame {
	json_t *c;
	char *key; /* a mapping's key waiting for its value */
	size_t keylen;
};

struct conv {
	struct frame st[YAML_INPUT_DEPTH_MAX];
	int depth;
	json_t *root;
	int docs;
	char msg[512];
};

static int
conv_fail(struct conv *v, const yaml_mark_t *m, const char *what)
{
	if (v->msg[0] == '\0')
		snprintf(v->msg, sizeof(v->msg), "line %zu, column %zu: %s", m->line + 1,
		    m->column + 1, what);
	return -1;
}

static int
all_digits(const char *s, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (s[i] < '0' || s[i] > '9')
			return 0;
	return n > 0;
}

/* YAML 1.2 core schema, as the AWS CLI's loader reads an untagged plain
 * scalar: null, a boolean, an integer or a float; NULL for a string. */
static json_t *
plain_value(const char *s, size_t n, int *is_string)
{
	char buf[64], *end;
	long long x;
	size_t i = 0;
	int dot = 0, exp = 0, digits = 0;

	*is_string = 0;
	if (n == 0 || (n == 1 && s[0] == '~') ||
	    (n == 4 && (memcmp(s, "null", 4) == 0 || memcmp(s, "Null", 4) == 0 ||
	                   memcmp(s, "NULL", 4) == 0)))
		return json_null();
	if (n == 4 &&
	    (memcmp(s, "true", 4) == 0 || memcmp(s, "True", 4) == 0 || memcmp(s, "TRUE", 4) == 0))
		return json_true();
	if (n == 5 && (memcmp(s, "false", 5) == 0 || memcmp(s, "False", 5) == 0 ||
	                  memcmp(s, "FALSE", 5) == 0))
		return json_false();
	if (n < sizeof(buf)) {
		if (s[0] == '-' || s[0] == '+')
			i = 1;
		if (all_digits(s + i, n - i)) {
			memcpy(buf, s, n);
			buf[n] = '\0';
			errno = 0;
			x = strtoll(buf, &end, 10);
			if (errno == 0 && *end == '\0')
				return json_integer(x);
		}
		for (; i < n; i++) {
			if (s[i] >= '0' && s[i] <= '9')
				digits++;
			else if (s[i] == '.' && !dot && !exp)
				dot = 1;
			else if ((s[i] == 'e' || s[i] == 'E') && !exp && digits > 0 && i + 1 < n) {
				exp = 1;
				if (s[i + 1] == '+' || s[i + 1] == '-')
					i++;
			} else
				break;
		}
		if (i == n && digits > 0 && (dot || exp)) {
			memcpy(buf, s, n);
			buf[n] = '\0';
			return json_real(strtod(buf, NULL));
		}
	}
	*is_string = 1;
	return NULL;
}

static json_t *
scalar_value(struct conv *v, yaml_event_t *ev)
{
	const char *s = (const char *)ev->data.scalar.value;
	const char *tag = (const char *)ev->data.scalar.tag;
	size_t n = ev->data.scalar.length, i, k;
	json_t *r;
	char *b64;
	int is_string = 1;

	if (tag != NULL && strcmp(tag, TAG_PREFIX "binary") == 0) {
		/* base64 text, folded over lines as YAML allows: blanks out. */
		if ((b64 = malloc(n + 1)) == NULL)
			return NULL;
		for (i = 0, k = 0; i < n; i++)
			if (s[i] != ' ' && s[i] != '\n' && s[i] != '\r' && s[i] != '\t')
				b64[k++] = s[i];
		r = json_stringn(b64, k);
		memset(b64, 0, n + 1);
		free(b64);
		return r;
	}
	if (tag == NULL && ev->data.scalar.plain_implicit &&
	    ev->data.scalar.style == YAML_PLAIN_SCALAR_STYLE) {
		if ((r = plain_value(s, n, &is_string)) != NULL || !is_string)
			return r;
	}
	(void)v;
	return json_stringn(s, n);
}

/* Adds value (consumed) to the container on top, or makes it the root. */
static int
add_value(struct conv *v, const yaml_mark_t *m, json_t *value)
{
	struct frame *f;
	int r;

	if (value == NULL)
		return conv_fail(v, m, "not UTF-8 text, or out of memory");
	if (v->depth == 0) {
		v->root = value;
		return 0;
	}
	f = &v->st[v->depth - 1];
	if (json_is_array(f->c))
		r = json_array_append_new(f->c, value);
	else {
		r = json_object_setn_new(f->c, f->key, f->keylen, value);
		free(f->key);
		f->key = NULL;
	}
	return r == 0 ? 0 : conv_fail(v, m, "out of memory");
}

static int
on_scalar(struct conv *v, yaml_event_t *ev)
{
	struct frame *f = v->depth > 0 ? &v->st[v->depth - 1] : NULL;
	json_t *val;

	if (ev->data.scalar.anchor != NULL)
		return conv_fail(v, &ev->start_mark, "anchors (&) are not taken");
	if (f != NULL && json_is_object(f->c) && f->key == NULL) {
		/* A key: a string, whatever it looks like. */
		if ((f->key = malloc(ev->data.scalar.length + 1)) == NULL)
			return conv_fail(v, &ev->start_mark, "out of memory");
		memcpy(f->key, ev->data.scalar.value, ev->data.scalar.length);
		f->key[ev->data.scalar.length] = '\0';
		f->keylen = ev->data.scalar.length;
		return 0;
	}
	val = scalar_value(v, ev);
	return add_value(v, &ev->start_mark, val);
}

static int
on_start(struct conv *v, yaml_event_t *ev, int mapping)
{
	const yaml_char_t *anchor =
	    mapping ? ev->data.mapping_start.anchor : ev->data.sequence_start.anchor;
	struct frame *f = v->depth > 0 ? &v->st[v->depth - 1] : NULL;
	json_t *c;

	if (anchor != NULL)
		return conv_fail(v, &ev->start_mark, "anchors (&) are not taken");
	if (f != NULL && json_is_object(f->c) && f->key == NULL)
		return conv_fail(v, &ev->start_mark, "a key must be a string");
	if (v->depth == YAML_INPUT_DEPTH_MAX)
		return conv_fail(v, &ev->start_mark, "nested too deeply");
	if ((c = mapping ? json_object() : json_array()) == NULL ||
	    add_value(v, &ev->start_mark, json_incref(c)) != 0) {
		json_decref(c);
		return conv_fail(v, &ev->start_mark, "out of memory");
	}
	v->st[v->depth].c = c;
	v->st[v->depth].key = NULL;
	v->depth++;
	return 0;
}

static void
on_end(struct conv *v)
{
	if (v->depth == 0)
		return;
	v->depth--;
	free(v->st[v->depth].key);
	json_decref(v->st[v->depth].c);
}

int
acmb_yaml_input_convert(const char *text, size_t len, int fd)
{
	yaml_parser_t p;
	yaml_event_t ev;
	struct conv v;
	json_t *answer;
	int done = 0, r = 0;

	memset(&v, 0, sizeof(v));
	if (!yaml_parser_initialize(&p))
		return 2;
	yaml_parser_set_input_string(&p, (const unsigned char *)text, len);
	while (!done && r == 0) {
		if (!yaml_parser_parse(&p, &ev)) {
			r = conv_fail(&v, &p.problem_mark,
			    p.problem != NULL ? p.problem : "not a YAML document");
			break;
		}
		switch (ev.type) {
		case YAML_DOCUMENT_START_EVENT:
			if (++v.docs > 1)
				r = conv_fail(&v, &ev.start_mark, "one document only");
			break;
		case YAML_MAPPING_START_EVENT:
			r = on_start(&v, &ev, 1);
			break;
		case YAML_SEQUENCE_START_EVENT:
			r = on_start(&v, &ev, 0);
			break;
		case YAML_MAPPING_END_EVENT:
		case YAML_SEQUENCE_END_EVENT:
			on_end(&v);
			break;
		case YAML_SCALAR_EVENT:
			r = on_scalar(&v, &ev);
			/* The scalar may be the key: wipe libyaml's copy now. */
			acmb_wipe(ev.data.scalar.value, ev.data.scalar.length);
			break;
		case YAML_ALIAS_EVENT:
			r = conv_fail(&v, &ev.start_mark, "aliases (*) are not taken");
			break;
		case YAML_STREAM_END_EVENT:
			done = 1;
			break;
		default:
			break;
		}
		yaml_event_delete(&ev);
	}
	/* What the reader still holds of the text. */
	if (p.buffer.start != NULL)
		acmb_wipe(p.buffer.start, (size_t)(p.buffer.end - p.buffer.start));
	if (p.raw_buffer.start != NULL)
		acmb_wipe(p.raw_buffer.start, (size_t)(p.raw_buffer.end - p.raw_buffer.start));
	yaml_parser_delete(&p);
	while (v.depth > 0)
		on_end(&v);
	if (r == 0)
		answer = json_pack("{s:O}", "ok", v.root != NULL ? v.root : json_null());
	else
		answer = json_pack("{s:s}", "error", v.msg);
	json_decref(v.root);
	r = answer != NULL && json_dumpfd(answer, fd, JSON_COMPACT | JSON_ENCODE_ANY) == 0 ? 0 : 2;
	json_decref(answer);
	return r;
}

int
acmb_yaml_input_to_json(const char *text, size_t len, const char *what, json_t **out, acmb_err *err)
{
	acmb_secbuf *buf = NULL;
	json_error_t jerr;
	json_t *answer = NULL, *v;
	unsigned char *dst;
	size_t max = 2 * len + 4096;
	ssize_t n;
	pid_t pid = -1;
	int fds[2] = {-1, -1}, status = 0, r = ACMB_E_INTERNAL;

	*out = NULL;
	if (len > (ACMB_SECURE_HEAP_SIZE - 4096) / 4) {
		r = acmb_error(err, ACMB_E_TOO_BIG, "%s: the document is larger than %zu bytes",
		    what, (ACMB_SECURE_HEAP_SIZE - 4096) / 4);
		goto out;
	}
	if ((buf = acmb_secbuf_new(max)) == NULL) {
		r = acmb_error(err, ACMB_E_NOMEM, "out of memory");
		goto out;
	}
	if (pipe2(fds, O_CLOEXEC) != 0 || (pid = fork()) < 0) {
		r = acmb_error(err, ACMB_E_INTERNAL, "%s: cannot start the YAML reader: %s", what,
		    strerror(errno));
		goto out;
	}
	if (pid == 0) {
		close(fds[0]);
		_exit(acmb_yaml_input_convert(text, len, fds[1]));
	}
	close(fds[1]);
	fds[1] = -1;
	for (;;) {
		if (acmb_secbuf_len(buf) == max) {
			r = acmb_error(
			    err, ACMB_E_TOO_BIG, "%s: the document grows too large as JSON", what);
			goto out;
		}
		if ((dst = acmb_secbuf_reserve(buf, max - acmb_secbuf_len(buf))) == NULL) {
			r = acmb_error(err, ACMB_E_NOMEM, "out of memory");
			goto out;
		}
		n = read(fds[0], dst, max - acmb_secbuf_len(buf));
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			r = acmb_error(err, ACMB_E_IO, "%s: %s", what, strerror(errno));
			goto out;
		}
		if (n == 0)
			break;
		acmb_secbuf_commit(buf, (size_t)n);
	}
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	pid = -1;
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0 ||
	    (answer = json_loadb(acmb_secbuf_str(buf), acmb_secbuf_len(buf),
	         JSON_DECODE_ANY | JSON_ALLOW_NUL, &jerr)) == NULL) {
		r = acmb_error(err, ACMB_E_INTERNAL, "%s: the YAML reader failed", what);
		goto out;
	}
	if ((v = json_object_get(answer, "ok")) == NULL) {
		r = acmb_error(err, ACMB_E_PARSE, "%s: not YAML: %s", what,
		    json_string_value(json_object_get(answer, "error")) != NULL
		        ? json_string_value(json_object_get(answer, "error"))
		        : "unknown error");
		goto out;
	}
	*out = json_incref(v);
	r = ACMB_OK;
out:
	if (fds[0] >= 0)
		close(fds[0]);
	if (fds[1] >= 0)
		close(fds[1]);
	if (pid > 0) {
		kill(pid, SIGKILL);
		while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
			;
	}
	json_decref(answer);
	acmb_secbuf_free(buf);
	return r;
}
