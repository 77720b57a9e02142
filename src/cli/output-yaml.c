/*
 * --output yaml and yaml-stream, as the AWS CLI writes them: ruamel.yaml's
 * safe dumper (block style, keys sorted, YAML 1.2 implicit types) over its
 * C emitter, which is libyaml's: so libyaml's emitter here, fed the events
 * ruamel.yaml's representer and serializer would feed it. What ruamel.yaml
 * decides before the emitter is written out below: which tag a value
 * carries, whether its text would read back as another type (then it is
 * quoted), the key order, and the anchors (&id001) and aliases (*id001) it
 * writes for a list or object that appears more than once in the result.
 */
#include <regex.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <yaml.h>

#include "output-internal.h"
#include "pyjson.h"

#define TAG_STR "tag:yaml.org,2002:str"
#define TAG_INT "tag:yaml.org,2002:int"
#define TAG_FLOAT "tag:yaml.org,2002:float"
#define TAG_BOOL "tag:yaml.org,2002:bool"
#define TAG_NULL "tag:yaml.org,2002:null"
#define TAG_SEQ "tag:yaml.org,2002:seq"
#define TAG_MAP "tag:yaml.org,2002:map"

/*
 * ruamel.yaml's implicit resolvers for YAML 1.2 (resolver.py), in its
 * order, as POSIX extended expressions (the Python ones use (?:...) and
 * verbose mode). A plain scalar that one of these matches reads back as its
 * tag, so a string that matches must be quoted.
 */
static const struct {
	const char *tag;
	const char *re;
} resolvers[] = {
    {TAG_BOOL, "^(true|True|TRUE|false|False|FALSE)$"},
    {TAG_FLOAT, "^([-+]?[0-9][0-9_]*\\.[0-9_]*([eE][-+]?[0-9]+)?"
                "|[-+]?[0-9][0-9_]*[eE][-+]?[0-9]+"
                "|[-+]?\\.[0-9_]+([eE][-+][0-9]+)?"
                "|[-+]?\\.(inf|Inf|INF)"
                "|\\.(nan|NaN|NAN))$"},
    {TAG_INT, "^([-+]?0b[0-1_]+|[-+]?0o?[0-7_]+|[-+]?[0-9_]+|[-+]?0x[0-9a-fA-F_]+)$"},
    {"tag:yaml.org,2002:merge", "^<<$"},
    {TAG_NULL, "^(~|null|Null|NULL|)$"},
    {"tag:yaml.org,2002:timestamp",
        "^([0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9]"
        "|[0-9][0-9][0-9][0-9]-[0-9][0-9]?-[0-9][0-9]?([Tt]|[ \t]+)[0-9][0-9]?"
        ":[0-9][0-9]:[0-9][0-9](\\.[0-9]*)?([ \t]*(Z|[-+][0-9][0-9]?(:[0-9][0-9])?))?)$"},
    {"tag:yaml.org,2002:value", "^=$"},
    {"tag:yaml.org,2002:yaml", "^(!|&|\\*)$"},
};
#define NRESOLVERS (sizeof(resolvers) / sizeof(resolvers[0]))

/* Containers seen, for anchors: an open-addressing set of pointers. */
struct seen {
	const json_t **ptr;
	int *anchor; /* 0: once so far, -1: emitted without anchor, n: idNNN */
	unsigned char *emitted;
	size_t cap, count;
	int next_id;
};

struct yctx {
	yaml_emitter_t em;
	regex_t re[NRESOLVERS];
	int nre;
	struct seen seen;
	struct acmb_obuf out;
	int failed;
	acmb_err *err;
};

static size_t
seen_slot(const struct seen *s, const json_t *p)
{
	size_t h = ((uintptr_t)p >> 4) * 0x9e3779b97f4a7c15ULL;
	size_t i = h & (s->cap - 1);

	while (s->ptr[i] != NULL && s->ptr[i] != p)
		i = (i + 1) & (s->cap - 1);
	return i;
}

static int
seen_grow(struct seen *s)
{
	struct seen n;
	size_t i, k;

	memset(&n, 0, sizeof(n));
	n.cap = s->cap == 0 ? 64 : s->cap * 2;
	n.next_id = s->next_id;
	n.count = s->count;
	if ((n.ptr = calloc(n.cap, sizeof(const json_t *))) == NULL ||
	    (n.anchor = calloc(n.cap, sizeof(*n.anchor))) == NULL ||
	    (n.emitted = calloc(n.cap, 1)) == NULL) {
		free(n.ptr);
		free(n.anchor);
		return -1;
	}
	for (i = 0; i < s->cap; i++) {
		if (s->ptr[i] == NULL)
			continue;
		k = seen_slot(&n, s->ptr[i]);
		n.ptr[k] = s->ptr[i];
		n.anchor[k] = s->anchor[i];
		n.emitted[k] = s->emitted[i];
	}
	free(s->ptr);
	free(s->anchor);
	free(s->emitted);
	*s = n;
	return 0;
}

/* Serializer.anchor_node: the second time a container is met it gets the
 * next anchor; its children are walked only the first time. */
static int
anchor_walk(struct yctx *y, const json_t *v, int depth)
{
	const char **keys = NULL;
	size_t *lens = NULL, n, i, k;
	int r = 0;

	if (!json_is_array(v) && !json_is_object(v))
		return 0;
	if (depth > ACMB_PYJSON_DEPTH_MAX)
		return -1;
	if ((y->seen.count + 1) * 2 > y->seen.cap && seen_grow(&y->seen) != 0)
		return -1;
	k = seen_slot(&y->seen, v);
	if (y->seen.ptr[k] != NULL) {
		if (y->seen.anchor[k] == 0)
			y->seen.anchor[k] = ++y->seen.next_id;
		return 0;
	}
	y->seen.ptr[k] = v;
	y->seen.count++;
	if (json_is_array(v)) {
		for (i = 0; i < json_array_size(v) && r == 0; i++)
			r = anchor_walk(y, json_array_get(v, i), depth + 1);
		return r;
	}
	if (acmb_output_sorted_keys(v, &keys, &lens, &n) != 0)
		return -1;
	for (i = 0; i < n && r == 0; i++)
		r = anchor_walk(y, json_object_getn(v, keys[i], lens[i]), depth + 1);
	free(keys);
	free(lens);
	return r;
}

/* The tag a plain scalar with this text reads back as. */
static const char *
resolve(struct yctx *y, const char *s, size_t n)
{
	char *copy;
	size_t len = n;
	int i, pass;

	/* No resolver matches a NUL; regexec would stop at it. */
	if (memchr(s, '\0', n) != NULL)
		return TAG_STR;
	if ((copy = malloc(n + 1)) == NULL) {
		y->failed = 1;
		return TAG_STR;
	}
	memcpy(copy, s, n);
	copy[n] = '\0';
	/* Python's $ also matches before a final newline. */
	for (pass = 0; pass < 2; pass++) {
		for (i = 0; i < y->nre; i++) {
			if (regexec(&y->re[i], copy, 0, NULL, 0) == 0) {
				free(copy);
				return resolvers[i].tag;
			}
		}
		if (len == 0 || copy[len - 1] != '\n')
			break;
		copy[--len] = '\0';
	}
	free(copy);
	return TAG_STR;
}

static int
emit(struct yctx *y, yaml_event_t *ev, int initialized)
{
	if (!initialized) {
		y->failed = 1;
		return -1;
	}
	if (!yaml_emitter_emit(&y->em, ev)) {
		if (!y->failed)
			acmb_error(y->err, ACMB_E_INTERNAL, "--output yaml: %s",
			    y->em.problem != NULL ? y->em.problem : "the YAML emitter failed");
		y->failed = 1;
		return -1;
	}
	return 0;
}

static int
emit_scalar(struct yctx *y, const char *tag, const char *s, size_t n)
{
	yaml_event_t ev;
	int plain = strcmp(resolve(y, s, n), tag) == 0;

	return emit(y, &ev,
	    yaml_scalar_event_initialize(&ev, NULL, (yaml_char_t *)tag, (yaml_char_t *)s, (int)n,
	        plain, strcmp(tag, TAG_STR) == 0, YAML_PLAIN_SCALAR_STYLE));
}

static int
emit_value(struct yctx *y, const json_t *v, int depth)
{
	char buf[ACMB_PYJSON_REPR_MAX], anchor[16], *a = NULL;
	const char **keys = NULL;
	yaml_event_t ev;
	size_t *lens = NULL, n, i, k, len;
	int r = 0;

	if (depth > ACMB_PYJSON_DEPTH_MAX) {
		y->failed = 1;
		return -1;
	}
	switch (json_typeof(v)) {
	case JSON_STRING:
		if (json_string_length(v) > INT32_MAX) {
			y->failed = 1;
			return -1;
		}
		return emit_scalar(y, TAG_STR, json_string_value(v), json_string_length(v));
	case JSON_INTEGER:
		acmb_pyjson_str(v, buf, &len);
		return emit_scalar(y, TAG_INT, buf, len);
	case JSON_REAL:
		/* repr(data).lower() */
		acmb_pyjson_repr_double(json_real_value(v), buf);
		for (i = 0; buf[i] != '\0'; i++)
			if (buf[i] >= 'A' && buf[i] <= 'Z')
				buf[i] = (char)(buf[i] - 'A' + 'a');
		return emit_scalar(y, TAG_FLOAT, buf, strlen(buf));
	case JSON_TRUE:
		return emit_scalar(y, TAG_BOOL, "true", 4);
	case JSON_FALSE:
		return emit_scalar(y, TAG_BOOL, "false", 5);
	case JSON_NULL:
		return emit_scalar(y, TAG_NULL, "null", 4);
	default:
		break;
	}
	k = seen_slot(&y->seen, v);
	if (y->seen.ptr[k] == v && y->seen.anchor[k] > 0) {
		snprintf(anchor, sizeof(anchor), "id%03d", y->seen.anchor[k]);
		if (y->seen.emitted[k])
			return emit(
			    y, &ev, yaml_alias_event_initialize(&ev, (yaml_char_t *)anchor));
		y->seen.emitted[k] = 1;
		a = anchor;
	}
	if (json_is_array(v)) {
		if (emit(y, &ev,
		        yaml_sequence_start_event_initialize(&ev, (yaml_char_t *)a,
		            (yaml_char_t *)TAG_SEQ, 1, YAML_BLOCK_SEQUENCE_STYLE)) != 0)
			return -1;
		for (i = 0; i < json_array_size(v) && r == 0; i++)
			r = emit_value(y, json_array_get(v, i), depth + 1);
		return r != 0 ? r : emit(y, &ev, yaml_sequence_end_event_initialize(&ev));
	}
	if (acmb_output_sorted_keys(v, &keys, &lens, &n) != 0) {
		y->failed = 1;
		return -1;
	}
	if (emit(y, &ev,
	        yaml_mapping_start_event_initialize(&ev, (yaml_char_t *)a, (yaml_char_t *)TAG_MAP,
	            1, YAML_BLOCK_MAPPING_STYLE)) != 0)
		r = -1;
	for (i = 0; i < n && r == 0; i++) {
		if ((r = emit_scalar(y, TAG_STR, keys[i], lens[i])) == 0)
			r = emit_value(y, json_object_getn(v, keys[i], lens[i]), depth + 1);
	}
	free(keys);
	free(lens);
	return r != 0 ? r : emit(y, &ev, yaml_mapping_end_event_initialize(&ev));
}

static int
write_handler(void *data, unsigned char *buffer, size_t size)
{
	struct acmb_obuf *b = data;

	acmb_obuf_put(b, (const char *)buffer, size);
	return !b->failed;
}

static int
is_json_scalar(const json_t *v)
{
	return !json_is_array(v) && !json_is_object(v);
}

int
acmb_output_yaml(FILE *f, const json_t *result, int stream, acmb_err *err)
{
	static const struct acmb_pyjson_style one_line = {-1, 0};
	struct yctx y;
	yaml_event_t ev;
	json_t *wrap = NULL;
	const json_t *doc = result;
	size_t i;
	int r = ACMB_E_INTERNAL;

	/* formatter.py: an empty object is no output at all. */
	if (json_is_object(result) && json_object_size(result) == 0)
		return ACMB_OK;
	/* YAMLDumper: a lone scalar is written as JSON, not as a YAML
	 * document that would end in "...". */
	if (!stream && is_json_scalar(result)) {
		if (acmb_pyjson_dumpf(f, result, &one_line) != ACMB_PYJSON_OK ||
		    fputc('\n', f) == EOF || fflush(f) != 0)
			return acmb_error(err, ACMB_E_IO, "cannot write the output");
		return ACMB_OK;
	}
	/* yaml-stream: each response as a list of one. */
	if (stream) {
		if ((wrap = json_array()) == NULL ||
		    json_array_append(wrap, (json_t *)result) != 0) {
			json_decref(wrap);
			return acmb_error(err, ACMB_E_NOMEM, "out of memory");
		}
		doc = wrap;
	}
	memset(&y, 0, sizeof(y));
	y.err = err;
	for (i = 0; i < NRESOLVERS; i++, y.nre++)
		if (regcomp(&y.re[i], resolvers[i].re, REG_EXTENDED | REG_NOSUB) != 0)
			break;
	if (y.nre != (int)NRESOLVERS) {
		r = acmb_error(err, ACMB_E_INTERNAL, "--output yaml: a resolver does not compile");
		goto out;
	}
	if (anchor_walk(&y, doc, 0) != 0) {
		r = acmb_error(err, ACMB_E_USAGE, "--output yaml: the result nests too deep");
		goto out;
	}
	if (!yaml_emitter_initialize(&y.em)) {
		r = acmb_error(err, ACMB_E_NOMEM, "out of memory");
		goto out;
	}
	yaml_emitter_set_output(&y.em, write_handler, &y.out);
	yaml_emitter_set_unicode(&y.em, 1);
	if (emit(&y, &ev, yaml_stream_start_event_initialize(&ev, YAML_UTF8_ENCODING)) == 0 &&
	    emit(&y, &ev, yaml_document_start_event_initialize(&ev, NULL, NULL, NULL, 1)) == 0 &&
	    emit_value(&y, doc, 0) == 0 &&
	    emit(&y, &ev, yaml_document_end_event_initialize(&ev, 1)) == 0 &&
	    emit(&y, &ev, yaml_stream_end_event_initialize(&ev)) == 0)
		yaml_emitter_flush(&y.em);
	yaml_emitter_delete(&y.em);
	if (y.failed || y.out.failed) {
		if (err == NULL || err->rc == ACMB_OK)
			acmb_error(err, ACMB_E_NOMEM, "--output yaml: out of memory or too deep");
		r = err != NULL ? err->rc : ACMB_E_NOMEM;
		goto out;
	}
	if ((y.out.len > 0 && fwrite(y.out.p, 1, y.out.len, f) != y.out.len) || fflush(f) != 0) {
		r = acmb_error(err, ACMB_E_IO, "cannot write the output");
		goto out;
	}
	r = ACMB_OK;
out:
	for (i = 0; i < (size_t)y.nre; i++)
		regfree(&y.re[i]);
	free(y.seen.ptr);
	free(y.seen.anchor);
	free(y.seen.emitted);
	acmb_obuf_free(&y.out);
	json_decref(wrap);
	return r;
}
