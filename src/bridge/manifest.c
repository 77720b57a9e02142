/*
 * The sync manifest: libyaml's event parser builds a small tree that keeps
 * every node's line and column (libyaml's document API would expand aliases
 * for us; we refuse them instead, so a few bytes cannot become gigabytes),
 * then one pass checks it against the format and fills the entries.
 * Everything lives in one arena freed with the manifest.
 */
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include <yaml.h>

#include "issue.h"
#include "manifest.h"
#include "pkcs11/p11-uri.h"

/* ---- arena ------------------------------------------------------------ */

struct arena_block {
	struct arena_block *next;
	size_t used, size;
	max_align_t data[];
};

struct arena {
	struct arena_block *head;
};

static void *
arena_alloc(struct arena *a, size_t n)
{
	struct arena_block *b = a->head;
	void *p;

	n = (n + sizeof(max_align_t) - 1) / sizeof(max_align_t) * sizeof(max_align_t);
	if (n == 0)
		n = sizeof(max_align_t);
	if (b == NULL || b->size - b->used < n) {
		size_t size = n > 16384 ? n : 16384;

		if ((b = calloc(1, sizeof(*b) + size)) == NULL)
			return NULL;
		b->size = size;
		b->next = a->head;
		a->head = b;
	}
	p = (char *)b->data + b->used;
	b->used += n;
	return p;
}

static char *
arena_strndup(struct arena *a, const char *s, size_t n)
{
	char *p = arena_alloc(a, n + 1);

	if (p != NULL) {
		memcpy(p, s, n);
		p[n] = '\0';
	}
	return p;
}

static void
arena_free(struct arena *a)
{
	struct arena_block *b, *next;

	for (b = a->head; b != NULL; b = next) {
		next = b->next;
		free(b);
	}
	a->head = NULL;
}

/* ---- the tree --------------------------------------------------------- */

enum ynode_type { Y_SCALAR, Y_SEQ, Y_MAP };

struct ynode {
	enum ynode_type type;
	unsigned line, col;
	const char *s; /* scalar text */
	size_t slen;
	int plain;           /* an unquoted scalar (true/false/numbers mean something) */
	struct ynode **kids; /* SEQ: items; MAP: key, value, key, value ... */
	size_t n, cap;
};

struct acmb_manifest {
	struct arena arena;
	struct acmb_manifest_entry *entries;
	size_t n;
	json_t **passthrough; /* owned json objects */
	size_t npassthrough;
};

struct parse {
	struct acmb_manifest *m;
	const char *display;
	const char *base_dir;
	int check_files;
	acmb_err *err;
};

static int __attribute__((format(printf, 3, 4)))
bad(struct parse *p, const struct ynode *at, const char *fmt, ...)
{
	char what[ACMB_ERRMSG_MAX];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(what, sizeof(what), fmt, ap);
	va_end(ap);
	if (at == NULL)
		return acmb_error(p->err, ACMB_E_USAGE, "%s: %s", p->display, what);
	return acmb_error(
	    p->err, ACMB_E_USAGE, "%s:%u:%u: %s", p->display, at->line, at->col, what);
}

static int
kid_add(struct arena *a, struct ynode *parent, struct ynode *kid)
{
	if (parent->n == parent->cap) {
		size_t cap = parent->cap ? parent->cap * 2 : 8;
		struct ynode **k;

		/* An array of pointers: the pointer size is meant. */
		/* NOLINTNEXTLINE(bugprone-sizeof-expression) */
		if (cap > SIZE_MAX / sizeof(*k) || (k = arena_alloc(a, cap * sizeof(*k))) == NULL)
			return -1;
		if (parent->n > 0)
			/* An array of pointers: the pointer size is meant. */
			/* NOLINTNEXTLINE(bugprone-sizeof-expression) */
			memcpy(k, parent->kids, parent->n * sizeof(*k));
		parent->kids = k;
		parent->cap = cap;
	}
	parent->kids[parent->n++] = kid;
	return 0;
}

/* Builds the tree of the first document from libyaml's events. */
static int
build_tree(struct parse *p, const char *text, size_t len, struct ynode **root)
{
	yaml_parser_t parser;
	yaml_event_t ev;
	struct ynode *stack[ACMB_MANIFEST_DEPTH_MAX + 1];
	size_t depth = 0;
	int rc = ACMB_E_INTERNAL, done = 0, have_ev = 0;
	struct arena *a = &p->m->arena;

	*root = NULL;
	if (!yaml_parser_initialize(&parser))
		return acmb_error(p->err, ACMB_E_NOMEM, "out of memory parsing %s", p->display);
	yaml_parser_set_input_string(&parser, (const unsigned char *)text, len);
	while (!done) {
		struct ynode *node = NULL;
		unsigned line, col;

		if (!yaml_parser_parse(&parser, &ev)) {
			struct ynode at = {.line = (unsigned)parser.problem_mark.line + 1,
			    .col = (unsigned)parser.problem_mark.column + 1};

			rc = bad(p, &at, "not valid YAML or JSON: %s%s%s",
			    parser.problem ? parser.problem : "syntax error",
			    parser.context ? " " : "", parser.context ? parser.context : "");
			goto out;
		}
		have_ev = 1;
		line = (unsigned)ev.start_mark.line + 1;
		col = (unsigned)ev.start_mark.column + 1;
		switch (ev.type) {
		case YAML_STREAM_END_EVENT:
		case YAML_DOCUMENT_END_EVENT:
			done = 1;
			break;
		case YAML_ALIAS_EVENT: {
			struct ynode at = {.line = line, .col = col};

			rc = bad(&*p, &at,
			    "YAML aliases (*name) are not supported in a manifest; "
			    "write the value out");
			goto out;
		}
		case YAML_SCALAR_EVENT:
		case YAML_SEQUENCE_START_EVENT:
		case YAML_MAPPING_START_EVENT:
			if ((node = arena_alloc(a, sizeof(*node))) == NULL)
				goto nomem;
			memset(node, 0, sizeof(*node));
			node->line = line;
			node->col = col;
			if (ev.type == YAML_SCALAR_EVENT) {
				node->type = Y_SCALAR;
				node->slen = ev.data.scalar.length;
				node->plain = ev.data.scalar.style == YAML_PLAIN_SCALAR_STYLE;
				if ((node->s = arena_strndup(a, (const char *)ev.data.scalar.value,
				         ev.data.scalar.length)) == NULL)
					goto nomem;
				if (strlen(node->s) != node->slen) {
					rc = bad(p, node, "a NUL character in a value");
					goto out;
				}
			} else {
				node->type = ev.type == YAML_SEQUENCE_START_EVENT ? Y_SEQ : Y_MAP;
			}
			if (depth == 0) {
				if (*root == NULL)
					*root = node;
			} else if (kid_add(a, stack[depth - 1], node) != 0) {
				goto nomem;
			}
			if (node->type != Y_SCALAR) {
				if (depth == ACMB_MANIFEST_DEPTH_MAX) {
					rc = bad(p, node, "nested more than %u levels deep",
					    ACMB_MANIFEST_DEPTH_MAX);
					goto out;
				}
				stack[depth++] = node;
			}
			break;
		case YAML_SEQUENCE_END_EVENT:
		case YAML_MAPPING_END_EVENT:
			if (depth > 0)
				depth--;
			break;
		default:
			break;
		}
		yaml_event_delete(&ev);
		have_ev = 0;
	}
	rc = ACMB_OK;
	goto out;
nomem:
	rc = acmb_error(p->err, ACMB_E_NOMEM, "out of memory parsing %s", p->display);
out:
	if (have_ev)
		yaml_event_delete(&ev);
	yaml_parser_delete(&parser);
	return rc;
}

/* ---- checking helpers ------------------------------------------------- */

static const char *
type_name(const struct ynode *n)
{
	return n->type == Y_SCALAR ? "a value" : n->type == Y_SEQ ? "a list" : "a mapping";
}

static int
want(struct parse *p, const struct ynode *n, enum ynode_type t, const char *key)
{
	static const char *const names[] = {"a value", "a list", "a mapping"};

	if (n->type != t)
		return bad(p, n, "%s must be %s, not %s", key, names[t], type_name(n));
	return ACMB_OK;
}

/* Refuses keys of map not in allowed (NULL-terminated), and duplicates. */
static int
check_keys(struct parse *p, const struct ynode *map, const char *where, const char *const *allowed)
{
	size_t i, j, k;

	for (i = 0; i < map->n; i += 2) {
		const struct ynode *key = map->kids[i];

		if (key->type != Y_SCALAR)
			return bad(p, key, "%s: a key must be a plain name", where);
		for (k = 0; allowed[k] != NULL; k++)
			if (strcmp(key->s, allowed[k]) == 0)
				break;
		if (allowed[k] == NULL) {
			char list[512] = "";
			size_t off = 0;

			for (k = 0; allowed[k] != NULL && off < sizeof(list); k++)
				off += (size_t)snprintf(list + off, sizeof(list) - off, "%s%s",
				    k ? ", " : "", allowed[k]);
			return bad(p, key, "%s: unknown key '%s' (known: %s)", where, key->s, list);
		}
		for (j = 0; j < i; j += 2)
			if (strcmp(map->kids[j]->s, key->s) == 0)
				return bad(p, key, "%s: '%s' given twice (first at line %u)", where,
				    key->s, map->kids[j]->line);
	}
	return ACMB_OK;
}

static const struct ynode *
get(const struct ynode *map, const char *key)
{
	size_t i;

	if (map == NULL || map->type != Y_MAP)
		return NULL;
	for (i = 0; i + 1 < map->n; i += 2)
		if (strcmp(map->kids[i]->s, key) == 0)
			return map->kids[i + 1];
	return NULL;
}

/* A non-empty string value (plain or quoted). */
static int
get_str(
    struct parse *p, const struct ynode *map, const char *key, const char *where, const char **out)
{
	const struct ynode *v = get(map, key);
	int rc;

	*out = NULL;
	if (v == NULL)
		return ACMB_OK;
	if ((rc = want(p, v, Y_SCALAR, key)) != ACMB_OK)
		return rc;
	if (v->slen == 0 || (v->plain && (strcmp(v->s, "~") == 0 || strcmp(v->s, "null") == 0)))
		return bad(p, v, "%s: %s is empty", where, key);
	*out = v->s;
	return ACMB_OK;
}

static int
get_bool(struct parse *p, const struct ynode *map, const char *key, const char *where, int *out)
{
	const struct ynode *v = get(map, key);
	int rc;

	if (v == NULL)
		return ACMB_OK;
	if ((rc = want(p, v, Y_SCALAR, key)) != ACMB_OK)
		return rc;
	if (v->plain && strcmp(v->s, "true") == 0)
		*out = 1;
	else if (v->plain && strcmp(v->s, "false") == 0)
		*out = 0;
	else
		return bad(p, v, "%s: %s must be true or false, not '%s'", where, key, v->s);
	return ACMB_OK;
}

/* Joins a relative path to the manifest's folder; checks it exists and is
 * readable (a regular file, or a folder when dir is 1) when asked. */
static int
get_path(struct parse *p, const struct ynode *map, const char *key, const char *where, int dir,
    const char **out)
{
	const struct ynode *v;
	const char *s;
	char *joined;
	struct stat st;
	int rc;

	if ((rc = get_str(p, map, key, where, &s)) != ACMB_OK || s == NULL) {
		*out = NULL;
		return rc;
	}
	v = get(map, key);
	if (s[0] == '/' || p->base_dir == NULL) {
		joined = (char *)s;
	} else {
		size_t n = strlen(p->base_dir) + 1 + strlen(s) + 1;

		if ((joined = arena_alloc(&p->m->arena, n)) == NULL)
			return acmb_error(p->err, ACMB_E_NOMEM, "out of memory");
		snprintf(joined, n, "%s/%s", p->base_dir, s);
	}
	if (p->check_files) {
		if (stat(joined, &st) != 0)
			return bad(p, v, "%s: %s '%s': %s", where, key, joined, strerror(errno));
		if (dir && !S_ISDIR(st.st_mode))
			return bad(p, v, "%s: %s '%s' is not a folder", where, key, joined);
		if (!dir && !S_ISREG(st.st_mode))
			return bad(p, v, "%s: %s '%s' is not a regular file", where, key, joined);
		if (access(joined, R_OK) != 0)
			return bad(p, v, "%s: %s '%s' cannot be read: %s", where, key, joined,
			    strerror(errno));
	}
	*out = joined;
	return ACMB_OK;
}

/* ---- values with rules of their own ----------------------------------- */

/* "30d", "12h", "2w", or "33%". */
static int
parse_renew(
    struct parse *p, const struct ynode *v, const char *where, struct acmb_manifest_renew *out)
{
	char *end;
	long long n;
	int rc;

	if ((rc = want(p, v, Y_SCALAR, "renew-before")) != ACMB_OK)
		return rc;
	errno = 0;
	n = strtoll(v->s, &end, 10);
	if (end == v->s || errno != 0 || n <= 0 || end[0] == '\0' || end[1] != '\0')
		goto invalid;
	switch (*end) {
	case '%':
		if (n > 99)
			return bad(p, v,
			    "%s: renew-before '%s': a share of the lifetime is 1%% to 99%%", where,
			    v->s);
		out->percent = (int)n;
		out->seconds = 0;
		return ACMB_OK;
	case 'h':
		if (n > 24LL * 3650)
			goto invalid;
		out->seconds = n * 3600LL;
		break;
	case 'd':
		if (n > 3650)
			goto invalid;
		out->seconds = n * 86400LL;
		break;
	case 'w':
		if (n > 520)
			goto invalid;
		out->seconds = n * 7LL * 86400;
		break;
	default:
		goto invalid;
	}
	out->percent = 0;
	return ACMB_OK;
invalid:
	return bad(p, v,
	    "%s: renew-before '%s' is not a duration: write a number with h, d or w "
	    "(30d, 2w; at most 10 years) or a share of the lifetime (33%%)",
	    where, v->s);
}

/* AWS region names: lower-case letters, digits and dashes, e.g. eu-west-1,
 * us-gov-west-1, cn-north-1. */
static int
region_ok(const char *r)
{
	size_t i, n = strlen(r);

	if (n < 4 || n > 32 || r[0] == '-' || r[n - 1] == '-')
		return 0;
	for (i = 0; i < n; i++)
		if (!((r[i] >= 'a' && r[i] <= 'z') || (r[i] >= '0' && r[i] <= '9') || r[i] == '-'))
			return 0;
	return strchr(r, '-') != NULL;
}

static int
parse_destinations(struct parse *p, const struct ynode *seq, const char *where,
    const struct acmb_manifest_destination **out, size_t *nout)
{
	static const char *const keys[] = {"region", "profile", "role-arn", "external-id", NULL};
	struct acmb_manifest_destination *d;
	size_t i, j;
	int rc;

	if ((rc = want(p, seq, Y_SEQ, "destinations")) != ACMB_OK)
		return rc;
	if (seq->n == 0)
		return bad(p, seq, "%s: destinations is empty", where);
	if ((d = arena_alloc(&p->m->arena, seq->n * sizeof(*d))) == NULL)
		return acmb_error(p->err, ACMB_E_NOMEM, "out of memory");
	for (i = 0; i < seq->n; i++) {
		const struct ynode *it = seq->kids[i];

		memset(&d[i], 0, sizeof(d[i]));
		if ((rc = want(p, it, Y_MAP, "a destination")) != ACMB_OK ||
		    (rc = check_keys(p, it, where, keys)) != ACMB_OK ||
		    (rc = get_str(p, it, "region", where, &d[i].region)) != ACMB_OK ||
		    (rc = get_str(p, it, "profile", where, &d[i].profile)) != ACMB_OK ||
		    (rc = get_str(p, it, "role-arn", where, &d[i].role_arn)) != ACMB_OK ||
		    (rc = get_str(p, it, "external-id", where, &d[i].external_id)) != ACMB_OK)
			return rc;
		if (d[i].region == NULL)
			return bad(p, it, "%s: a destination needs a region", where);
		if (!region_ok(d[i].region))
			return bad(p, get(it, "region"), "%s: '%s' is not an AWS region name",
			    where, d[i].region);
		/* STS's RoleArn is at most 2048 characters: the plan keeps every one. */
		if (d[i].role_arn != NULL && strlen(d[i].role_arn) > 2048)
			return bad(p, get(it, "role-arn"),
			    "%s: role-arn is longer than 2048 characters (IAM's limit)", where);
		if (d[i].role_arn != NULL && (strncmp(d[i].role_arn, "arn:aws", 7) != 0 ||
		                                 strstr(d[i].role_arn, ":role/") == NULL))
			return bad(p, get(it, "role-arn"),
			    "%s: role-arn '%s' is not an IAM role ARN "
			    "(arn:aws:iam::ACCOUNT:role/NAME)",
			    where, d[i].role_arn);
		if (d[i].external_id != NULL && d[i].role_arn == NULL)
			return bad(
			    p, get(it, "external-id"), "%s: external-id goes with role-arn", where);
		for (j = 0; j < i; j++)
			if (strcmp(d[j].region, d[i].region) == 0 &&
			    (d[j].profile == NULL) == (d[i].profile == NULL) &&
			    (d[j].profile == NULL || strcmp(d[j].profile, d[i].profile) == 0) &&
			    (d[j].role_arn == NULL) == (d[i].role_arn == NULL) &&
			    (d[j].role_arn == NULL || strcmp(d[j].role_arn, d[i].role_arn) == 0))
				return bad(
				    p, it, "%s: destination %s given twice", where, d[i].region);
	}
	*out = d;
	*nout = seq->n;
	return ACMB_OK;
}

struct tags {
	struct acmb_manifest_tag *t;
	size_t n;
};

/* Tag rules as ACM's: key 1-128, value 0-256 characters; the aws: prefix is
 * AWS's (in any case), acmbridge: is ours. */
static int
parse_tags(struct parse *p, const struct ynode *map, const char *where, struct tags *out)
{
	size_t i;
	int rc;

	if ((rc = want(p, map, Y_MAP, "tags")) != ACMB_OK)
		return rc;
	out->n = 0;
	if ((out->t = arena_alloc(&p->m->arena, (map->n / 2 + 1) * sizeof(*out->t))) == NULL)
		return acmb_error(p->err, ACMB_E_NOMEM, "out of memory");
	for (i = 0; i + 1 < map->n; i += 2) {
		const struct ynode *k = map->kids[i], *v = map->kids[i + 1];
		size_t j;

		if (k->type != Y_SCALAR || k->slen == 0 || k->slen > 128)
			return bad(p, k, "%s: a tag key is 1 to 128 characters", where);
		if (strncasecmp(k->s, "aws:", 4) == 0)
			return bad(p, k, "%s: tag key '%s': the aws: prefix is reserved for AWS",
			    where, k->s);
		if (strncasecmp(k->s, "acmbridge:", 10) == 0)
			return bad(p, k,
			    "%s: tag key '%s': the acmbridge: prefix is acmbridge's own (name, "
			    "sha256)",
			    where, k->s);
		if (v->type != Y_SCALAR || v->slen > 256)
			return bad(p, v, "%s: tag '%s' needs a value of at most 256 characters",
			    where, k->s);
		for (j = 0; j < out->n; j++)
			if (strcmp(out->t[j].key, k->s) == 0)
				return bad(p, k, "%s: tag '%s' given twice", where, k->s);
		out->t[out->n].key = k->s;
		out->t[out->n].value = v->s;
		out->n++;
	}
	return ACMB_OK;
}

static int
parse_services(struct parse *p, const struct ynode *seq, const char *where, unsigned *out)
{
	static const struct {
		const char *name;
		unsigned bit;
	} names[] = {
	    {"cloudfront", ACMB_MANIFEST_SERVICE(ACMB_SERVICE_CLOUDFRONT)},
	    {"alb", ACMB_MANIFEST_SERVICE(ACMB_SERVICE_ALB)},
	    {"nlb", ACMB_MANIFEST_SERVICE(ACMB_SERVICE_NLB)},
	    {"apigateway-edge", ACMB_MANIFEST_SERVICE(ACMB_SERVICE_APIGW_EDGE)},
	};
	size_t i, k;
	int rc;

	if ((rc = want(p, seq, Y_SEQ, "services")) != ACMB_OK)
		return rc;
	*out = 0;
	for (i = 0; i < seq->n; i++) {
		const struct ynode *v = seq->kids[i];

		if ((rc = want(p, v, Y_SCALAR, "a service")) != ACMB_OK)
			return rc;
		for (k = 0; k < sizeof(names) / sizeof(names[0]); k++)
			if (strcmp(v->s, names[k].name) == 0)
				break;
		if (k == sizeof(names) / sizeof(names[0]))
			return bad(p, v,
			    "%s: unknown service '%s' (known: cloudfront, alb, nlb, "
			    "apigateway-edge)",
			    where, v->s);
		*out |= names[k].bit;
	}
	return ACMB_OK;
}

/* A pkcs11: URI in a manifest names a token object; a PIN in it would be a
 * secret on disk. */
static int
check_uri(
    struct parse *p, const struct ynode *map, const char *key, const char *where, const char *uri)
{
	if (uri == NULL)
		return ACMB_OK;
	if (strncasecmp(uri, "pkcs11:", 7) != 0)
		return bad(p, get(map, key), "%s: %s must be a pkcs11: URI (RFC 7512)", where, key);
	if (strstr(uri, "pin-value") != NULL)
		return bad(p, get(map, key),
		    "%s: %s holds a pin-value: a PIN does not belong in a manifest; use pin-file "
		    "or pin-env",
		    where, key);
	if (strlen(uri) > 4096)
		return bad(p, get(map, key), "%s: %s is longer than 4096 bytes", where, key);
	return ACMB_OK;
}

/* ---- sources ---------------------------------------------------------- */

static int
parse_files(
    struct parse *p, const struct ynode *v, const char *where, struct acmb_manifest_entry *e)
{
	static const char *const keys[] = {
	    "certificate", "private-key", "certificate-chain", "passphrase-file", NULL};
	int rc;

	if ((rc = want(p, v, Y_MAP, "files")) != ACMB_OK ||
	    (rc = check_keys(p, v, where, keys)) != ACMB_OK ||
	    (rc = get_path(p, v, "certificate", where, 0, &e->files.certificate)) != ACMB_OK ||
	    (rc = get_path(p, v, "private-key", where, 0, &e->files.private_key)) != ACMB_OK ||
	    (rc = get_path(p, v, "certificate-chain", where, 0, &e->files.certificate_chain)) !=
	        ACMB_OK ||
	    (rc = get_path(p, v, "passphrase-file", where, 0, &e->files.passphrase_file)) !=
	        ACMB_OK)
		return rc;
	if (e->files.certificate == NULL || e->files.private_key == NULL)
		return bad(p, v, "%s: files needs certificate and private-key", where);
	return ACMB_OK;
}

static int
parse_pkcs12(
    struct parse *p, const struct ynode *v, const char *where, struct acmb_manifest_entry *e)
{
	static const char *const keys[] = {"path", "passphrase-file", NULL};
	int rc;

	if ((rc = want(p, v, Y_MAP, "pkcs12")) != ACMB_OK ||
	    (rc = check_keys(p, v, where, keys)) != ACMB_OK ||
	    (rc = get_path(p, v, "path", where, 0, &e->pkcs12.path)) != ACMB_OK ||
	    (rc = get_path(p, v, "passphrase-file", where, 0, &e->pkcs12.passphrase_file)) !=
	        ACMB_OK)
		return rc;
	if (e->pkcs12.path == NULL)
		return bad(p, v, "%s: pkcs12 needs a path", where);
	return ACMB_OK;
}

static int
parse_dir(
    struct parse *p, const struct ynode *entry, const char *where, struct acmb_manifest_entry *e)
{
	int rc;

	if ((rc = get_path(p, entry, "dir", where, 1, &e->dir)) != ACMB_OK)
		return rc;
	if (p->check_files) {
		static const char *const need[] = {"tls.crt", "tls.key"};
		size_t i;

		for (i = 0; i < 2; i++) {
			char path[PATH_MAX];

			if ((size_t)snprintf(path, sizeof(path), "%s/%s", e->dir, need[i]) >=
			    sizeof(path))
				return bad(p, get(entry, "dir"), "%s: dir path too long", where);
			if (access(path, R_OK) != 0)
				return bad(p, get(entry, "dir"),
				    "%s: dir '%s' has no readable %s (the layout of a "
				    "kubernetes.io/tls "
				    "Secret: tls.crt, tls.key, optional ca.crt): %s",
				    where, e->dir, need[i], strerror(errno));
		}
	}
	return ACMB_OK;
}

static int
parse_pkcs11(
    struct parse *p, const struct ynode *v, const char *where, struct acmb_manifest_entry *e)
{
	static const char *const keys[] = {
	    "certificate", "private-key", "module", "pin-file", "pin-env", "wrapping-key", NULL};
	int rc;

	if ((rc = want(p, v, Y_MAP, "pkcs11")) != ACMB_OK ||
	    (rc = check_keys(p, v, where, keys)) != ACMB_OK ||
	    (rc = get_str(p, v, "certificate", where, &e->pkcs11.certificate)) != ACMB_OK ||
	    (rc = get_str(p, v, "private-key", where, &e->pkcs11.private_key)) != ACMB_OK ||
	    (rc = get_path(p, v, "module", where, 0, &e->pkcs11.module)) != ACMB_OK ||
	    (rc = get_path(p, v, "pin-file", where, 0, &e->pkcs11.pin_file)) != ACMB_OK ||
	    (rc = get_str(p, v, "pin-env", where, &e->pkcs11.pin_env)) != ACMB_OK ||
	    (rc = get_str(p, v, "wrapping-key", where, &e->pkcs11.wrapping_key)) != ACMB_OK ||
	    (rc = check_uri(p, v, "certificate", where, e->pkcs11.certificate)) != ACMB_OK ||
	    (rc = check_uri(p, v, "private-key", where, e->pkcs11.private_key)) != ACMB_OK ||
	    (rc = check_uri(p, v, "wrapping-key", where, e->pkcs11.wrapping_key)) != ACMB_OK)
		return rc;
	if (e->pkcs11.certificate == NULL)
		return bad(p, v, "%s: pkcs11 needs a certificate URI", where);
	if (e->pkcs11.pin_file != NULL && e->pkcs11.pin_env != NULL)
		return bad(p, get(v, "pin-env"), "%s: pin-file or pin-env, not both", where);
	return ACMB_OK;
}

/* The token key store's URI, read by p11-kit as the run will read it: it
 * must name the key's label; and a rotation makes each new key with a new
 * id, which an id= would pin. */
static int
check_key_store(
    struct parse *p, const struct ynode *v, const char *where, const struct acmb_manifest_entry *e)
{
	struct acmb_p11_uri *uri = NULL;
	char *text = NULL, token[64], object[8];
	acmb_err uerr = {0};
	int rc = ACMB_E_INTERNAL;

	/* The parser edits its text in place: a copy, never the manifest's. */
	if ((text = strdup(e->private_ca.key_store)) == NULL) {
		rc = acmb_error(p->err, ACMB_E_NOMEM, "out of memory");
		goto out;
	}
	if (acmb_p11_uri_parse(text, &uri, NULL, &uerr) != ACMB_OK) {
		rc = uerr.rc == ACMB_E_NOMEM
		         ? acmb_error(p->err, ACMB_E_NOMEM, "out of memory")
		         : bad(p, get(v, "key-store"), "%s: key-store: %s", where, uerr.msg);
		goto out;
	}
	acmb_p11_uri_labels(uri, token, sizeof(token), object, sizeof(object));
	if (object[0] == '\0')
		rc = bad(p, get(v, "key-store"),
		    "%s: key-store must name the key's label with object=LABEL", where);
	else if (e->private_ca.rotate_key && acmb_p11_uri_has_id(uri))
		rc = bad(p, get(v, "key-store"),
		    "%s: key-store names id=, but rotate-key: true makes each new key with a "
		    "new id; leave id= out (or set rotate-key: false)",
		    where);
	else
		rc = ACMB_OK;
out:
	acmb_p11_uri_free(uri);
	free(text);
	return rc;
}

static int
parse_private_ca(
    struct parse *p, const struct ynode *v, const char *where, struct acmb_manifest_entry *e)
{
	static const char *const keys[] = {"certificate-authority-arn", "subject", "dns-names",
	    "key-algorithm", "validity", "template-arn", "api-passthrough", "key-store",
	    "rotate-key", "module", "pin-file", "pin-env", NULL};
	static const char *const algs[] = {"auto", "RSA_2048", "RSA_3072", "RSA_4096",
	    "EC_prime256v1", "EC_secp384r1", "EC_secp521r1", NULL};
	const struct ynode *dns, *pass;
	int rc;
	size_t i;

	if ((rc = want(p, v, Y_MAP, "private-ca")) != ACMB_OK ||
	    (rc = check_keys(p, v, where, keys)) != ACMB_OK ||
	    (rc = get_str(p, v, "certificate-authority-arn", where, &e->private_ca.ca_arn)) !=
	        ACMB_OK ||
	    (rc = get_str(p, v, "subject", where, &e->private_ca.subject)) != ACMB_OK ||
	    (rc = get_str(p, v, "key-algorithm", where, &e->private_ca.key_algorithm)) != ACMB_OK ||
	    (rc = get_str(p, v, "validity", where, &e->private_ca.validity)) != ACMB_OK ||
	    (rc = get_str(p, v, "template-arn", where, &e->private_ca.template_arn)) != ACMB_OK ||
	    (rc = get_str(p, v, "key-store", where, &e->private_ca.key_store)) != ACMB_OK ||
	    (rc = get_path(p, v, "module", where, 0, &e->private_ca.module)) != ACMB_OK ||
	    (rc = get_path(p, v, "pin-file", where, 0, &e->private_ca.pin_file)) != ACMB_OK ||
	    (rc = get_str(p, v, "pin-env", where, &e->private_ca.pin_env)) != ACMB_OK)
		return rc;
	e->private_ca.rotate_key = 1;
	if ((rc = get_bool(p, v, "rotate-key", where, &e->private_ca.rotate_key)) != ACMB_OK)
		return rc;
	if (e->private_ca.key_store == NULL || strcmp(e->private_ca.key_store, "memory") == 0) {
		/* The key made in memory is wiped once it is imported: nothing is
		 * left for a renewal to keep. */
		if (!e->private_ca.rotate_key)
			return bad(p, get(v, "rotate-key"),
			    "%s: rotate-key: false needs key-store: pkcs11:... (a key made in "
			    "memory is wiped after its import, so a renewal cannot keep it)",
			    where);
		if (e->private_ca.module != NULL || e->private_ca.pin_file != NULL ||
		    e->private_ca.pin_env != NULL)
			return bad(p,
			    get(v, e->private_ca.module != NULL     ? "module"
			           : e->private_ca.pin_file != NULL ? "pin-file"
			                                            : "pin-env"),
			    "%s: module, pin-file and pin-env go with key-store: pkcs11:...",
			    where);
	}
	if (e->private_ca.pin_file != NULL && e->private_ca.pin_env != NULL)
		return bad(p, get(v, "pin-env"), "%s: pin-file or pin-env, not both", where);
	if (e->private_ca.ca_arn == NULL)
		return bad(p, v, "%s: private-ca needs certificate-authority-arn", where);
	if (strncmp(e->private_ca.ca_arn, "arn:aws", 7) != 0 ||
	    strstr(e->private_ca.ca_arn, ":certificate-authority/") == NULL)
		return bad(p, get(v, "certificate-authority-arn"),
		    "%s: '%s' is not a Private CA ARN "
		    "(arn:aws:acm-pca:REGION:ACCOUNT:certificate-authority/ID)",
		    where, e->private_ca.ca_arn);
	if ((dns = get(v, "dns-names")) != NULL) {
		const char **names;

		if ((rc = want(p, dns, Y_SEQ, "dns-names")) != ACMB_OK)
			return rc;
		if ((names = arena_alloc(&p->m->arena, (dns->n + 1) * sizeof(*names))) == NULL)
			return acmb_error(p->err, ACMB_E_NOMEM, "out of memory");
		for (i = 0; i < dns->n; i++) {
			if ((rc = want(p, dns->kids[i], Y_SCALAR, "a DNS name")) != ACMB_OK)
				return rc;
			if (dns->kids[i]->slen == 0 || dns->kids[i]->slen > 253)
				return bad(p, dns->kids[i], "%s: a DNS name is 1 to 253 characters",
				    where);
			names[i] = dns->kids[i]->s;
		}
		e->private_ca.dns_names = names;
		e->private_ca.ndns = dns->n;
	}
	if (e->private_ca.subject == NULL && e->private_ca.ndns == 0)
		return bad(p, v, "%s: private-ca needs a subject or dns-names", where);
	if (e->private_ca.key_algorithm != NULL) {
		for (i = 0; algs[i] != NULL; i++)
			if (strcmp(algs[i], e->private_ca.key_algorithm) == 0)
				break;
		if (algs[i] == NULL)
			return bad(p, get(v, "key-algorithm"),
			    "%s: key-algorithm '%s' is not one of auto, RSA_2048, RSA_3072, "
			    "RSA_4096, "
			    "EC_prime256v1, EC_secp384r1, EC_secp521r1",
			    where, e->private_ca.key_algorithm);
	}
	if (e->private_ca.validity != NULL) {
		const char *type;
		long long value;
		acmb_err verr = {0};

		if (acmb_issue_parse_validity(e->private_ca.validity, &type, &value, &verr) !=
		    ACMB_OK)
			return bad(p, get(v, "validity"), "%s: %s", where,
			    strncmp(verr.msg, "--", 2) == 0 ? verr.msg + 2 : verr.msg);
	}
	if (e->private_ca.key_store != NULL && strcmp(e->private_ca.key_store, "memory") != 0 &&
	    ((rc = check_uri(p, v, "key-store", where, e->private_ca.key_store)) != ACMB_OK ||
	        (rc = check_key_store(p, v, where, e)) != ACMB_OK))
		return rc;
	if ((pass = get(v, "api-passthrough")) != NULL) {
		json_t *j;
		json_t **grown;

		if ((rc = want(p, pass, Y_MAP, "api-passthrough")) != ACMB_OK)
			return rc;
		if ((j = json_object()) == NULL)
			return acmb_error(p->err, ACMB_E_NOMEM, "out of memory");
		/* Nested values are converted by the caller's own rules in the issue
		 * flow; the manifest keeps the mapping as strings and objects. */
		for (i = 0; i + 1 < pass->n; i += 2) {
			const struct ynode *val = pass->kids[i + 1];

			if (val->type != Y_SCALAR) {
				json_decref(j);
				return bad(p, val,
				    "%s: api-passthrough: write nested values as a JSON string in "
				    "quotes",
				    where);
			}
			if (json_object_set_new(j, pass->kids[i]->s, json_string(val->s)) != 0) {
				json_decref(j);
				return acmb_error(p->err, ACMB_E_NOMEM, "out of memory");
			}
		}
		/* An array of pointers: the pointer size is meant. */
		grown = realloc(p->m->passthrough,
		    /* NOLINTNEXTLINE(bugprone-sizeof-expression) */
		    (p->m->npassthrough + 1) * sizeof(*grown));
		if (grown == NULL) {
			json_decref(j);
			return acmb_error(p->err, ACMB_E_NOMEM, "out of memory");
		}
		p->m->passthrough = grown;
		p->m->passthrough[p->m->npassthrough++] = j;
		e->private_ca.api_passthrough = j;
	}
	return ACMB_OK;
}

/* ---- entries ---------------------------------------------------------- */

struct defaults {
	const struct acmb_manifest_destination *destinations;
	size_t ndestinations;
	struct acmb_manifest_renew renew_before;
	struct tags tags;
	unsigned services;
	int strict_permissions;
};

static int
name_ok(const char *s)
{
	size_t i, n = strlen(s);

	if (n == 0 || n > 128)
		return 0;
	/* The name is an ACM tag value and a label in metrics and file names:
	 * letters, digits and . _ - only. */
	for (i = 0; i < n; i++)
		if (!((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= 'A' && s[i] <= 'Z') ||
		        (s[i] >= '0' && s[i] <= '9') || s[i] == '.' || s[i] == '_' || s[i] == '-'))
			return 0;
	return 1;
}

static int
merge_tags(struct parse *p, const struct defaults *d, const struct tags *own,
    struct acmb_manifest_entry *e)
{
	struct acmb_manifest_tag *t;
	size_t i, j, n = 0;

	if ((t = arena_alloc(&p->m->arena, (d->tags.n + own->n + 1) * sizeof(*t))) == NULL)
		return acmb_error(p->err, ACMB_E_NOMEM, "out of memory");
	for (i = 0; i < d->tags.n; i++) {
		for (j = 0; j < own->n; j++)
			if (strcmp(own->t[j].key, d->tags.t[i].key) == 0)
				break;
		if (j == own->n)
			t[n++] = d->tags.t[i];
	}
	for (j = 0; j < own->n; j++)
		t[n++] = own->t[j];
	if (n > 50 - 2)
		return bad(p, NULL, "certificate %s: %zu tags; ACM allows 50 and acmbridge adds 2",
		    e->name, n);
	e->tags = t;
	e->ntags = n;
	return ACMB_OK;
}

static int
parse_entry(struct parse *p, const struct ynode *v, size_t index, const struct defaults *d,
    struct acmb_manifest_entry *e)
{
	static const char *const keys[] = {"name", "files", "pkcs12", "dir", "pkcs11", "private-ca",
	    "destinations", "renew-before", "tags", "services", "certificate-arn",
	    "strict-permissions", NULL};
	static const char *const sources[] = {"files", "pkcs12", "dir", "pkcs11", "private-ca"};
	char where[200];
	const struct ynode *src = NULL, *x;
	struct tags own = {0};
	size_t i, k, nsrc = 0;
	int rc;

	snprintf(where, sizeof(where), "certificates[%zu]", index);
	memset(e, 0, sizeof(*e));
	e->line = v->line;
	e->column = v->col;
	if ((rc = want(p, v, Y_MAP, where)) != ACMB_OK ||
	    (rc = check_keys(p, v, where, keys)) != ACMB_OK ||
	    (rc = get_str(p, v, "name", where, &e->name)) != ACMB_OK)
		return rc;
	if (e->name == NULL)
		return bad(p, v, "%s: every certificate needs a name", where);
	if (!name_ok(e->name))
		return bad(p, get(v, "name"),
		    "%s: name '%s': 1 to 128 letters, digits, '.', '_' or '-' (it becomes the "
		    "acmbridge:name tag)",
		    where, e->name);
	snprintf(where, sizeof(where), "certificate %s", e->name);
	/* In the order written, so the message points at the second source. */
	for (k = 0; k + 1 < v->n; k += 2)
		for (i = 0; i < sizeof(sources) / sizeof(sources[0]); i++) {
			if (strcmp(v->kids[k]->s, sources[i]) != 0)
				continue;
			x = v->kids[k + 1];
			if (nsrc++ > 0)
				return bad(p, x, "%s: two sources (%s and %s): give exactly one",
				    where, acmb_manifest_source_name(e->source), sources[i]);
			src = x;
			e->source = (enum acmb_manifest_source)(i + 1);
		}
	if (src == NULL)
		return bad(p, v,
		    "%s: no source: give one of files, pkcs12, dir, pkcs11, private-ca", where);
	switch (e->source) {
	case ACMB_MANIFEST_FILES:
		rc = parse_files(p, src, where, e);
		break;
	case ACMB_MANIFEST_PKCS12:
		rc = parse_pkcs12(p, src, where, e);
		break;
	case ACMB_MANIFEST_DIR:
		rc = parse_dir(p, v, where, e);
		break;
	case ACMB_MANIFEST_PKCS11:
		rc = parse_pkcs11(p, src, where, e);
		break;
	case ACMB_MANIFEST_PRIVATE_CA:
		rc = parse_private_ca(p, src, where, e);
		break;
	}
	if (rc != ACMB_OK)
		return rc;

	e->destinations = d->destinations;
	e->ndestinations = d->ndestinations;
	e->renew_before = d->renew_before;
	e->services = d->services;
	e->strict_permissions = d->strict_permissions;
	if ((x = get(v, "destinations")) != NULL &&
	    (rc = parse_destinations(p, x, where, &e->destinations, &e->ndestinations)) != ACMB_OK)
		return rc;
	if ((x = get(v, "renew-before")) != NULL &&
	    (rc = parse_renew(p, x, where, &e->renew_before)) != ACMB_OK)
		return rc;
	if ((x = get(v, "tags")) != NULL && (rc = parse_tags(p, x, where, &own)) != ACMB_OK)
		return rc;
	if ((rc = merge_tags(p, d, &own, e)) != ACMB_OK)
		return rc;
	if ((x = get(v, "services")) != NULL &&
	    (rc = parse_services(p, x, where, &e->services)) != ACMB_OK)
		return rc;
	if ((rc = get_bool(p, v, "strict-permissions", where, &e->strict_permissions)) != ACMB_OK)
		return rc;
	if (e->ndestinations == 0)
		return bad(p, v, "%s: no destinations (give them here or under defaults)", where);
	if ((x = get(v, "certificate-arn")) != NULL) {
		struct acmb_manifest_adopt *ad;

		if ((rc = want(p, x, Y_MAP, "certificate-arn")) != ACMB_OK)
			return rc;
		if ((ad = arena_alloc(&p->m->arena, (x->n / 2 + 1) * sizeof(*ad))) == NULL)
			return acmb_error(p->err, ACMB_E_NOMEM, "out of memory");
		for (i = 0; i + 1 < x->n; i += 2) {
			const struct ynode *r = x->kids[i], *arn = x->kids[i + 1];
			size_t j;

			for (j = 0; j < e->ndestinations; j++)
				if (strcmp(e->destinations[j].region, r->s) == 0)
					break;
			if (j == e->ndestinations)
				return bad(p, r,
				    "%s: certificate-arn for %s, which is not a destination", where,
				    r->s);
			if (arn->type != Y_SCALAR || strncmp(arn->s, "arn:aws", 7) != 0 ||
			    strstr(arn->s, ":acm:") == NULL ||
			    strstr(arn->s, ":certificate/") == NULL)
				return bad(p, arn,
				    "%s: certificate-arn for %s is not an ACM certificate ARN",
				    where, r->s);
			for (j = 0; j < i / 2; j++)
				if (strcmp(ad[j].region, r->s) == 0)
					return bad(p, r, "%s: certificate-arn for %s given twice",
					    where, r->s);
			ad[i / 2].region = r->s;
			ad[i / 2].arn = arn->s;
		}
		e->adopt = ad;
		e->nadopt = x->n / 2;
	}
	return ACMB_OK;
}

static int
parse_defaults(struct parse *p, const struct ynode *v, struct defaults *d)
{
	static const char *const keys[] = {
	    "destinations", "renew-before", "tags", "services", "strict-permissions", NULL};
	const struct ynode *x;
	int rc;

	if ((rc = want(p, v, Y_MAP, "defaults")) != ACMB_OK ||
	    (rc = check_keys(p, v, "defaults", keys)) != ACMB_OK)
		return rc;
	if ((x = get(v, "destinations")) != NULL &&
	    (rc = parse_destinations(p, x, "defaults", &d->destinations, &d->ndestinations)) !=
	        ACMB_OK)
		return rc;
	if ((x = get(v, "renew-before")) != NULL &&
	    (rc = parse_renew(p, x, "defaults", &d->renew_before)) != ACMB_OK)
		return rc;
	if ((x = get(v, "tags")) != NULL &&
	    (rc = parse_tags(p, x, "defaults", &d->tags)) != ACMB_OK)
		return rc;
	if ((x = get(v, "services")) != NULL &&
	    (rc = parse_services(p, x, "defaults", &d->services)) != ACMB_OK)
		return rc;
	return get_bool(p, v, "strict-permissions", "defaults", &d->strict_permissions);
}

static int check_unique(struct parse *p);

static int
parse_root(struct parse *p, const struct ynode *root)
{
	static const char *const keys[] = {"version", "defaults", "certificates", NULL};
	struct defaults d = {.renew_before = {.percent = 33}};
	const struct ynode *ver, *certs, *x;
	size_t i;
	int rc;

	if (root == NULL)
		return bad(p, NULL, "empty manifest: it needs version: 1 and certificates:");
	if ((rc = want(p, root, Y_MAP, "the manifest")) != ACMB_OK ||
	    (rc = check_keys(p, root, "manifest", keys)) != ACMB_OK)
		return rc;
	if ((ver = get(root, "version")) == NULL)
		return bad(p, root, "manifest: version is missing (write version: 1)");
	if ((rc = want(p, ver, Y_SCALAR, "version")) != ACMB_OK)
		return rc;
	if (strcmp(ver->s, "1") != 0)
		return bad(p, ver,
		    "manifest: version %s is not supported (this acmbridge reads version 1)",
		    ver->s);
	if ((x = get(root, "defaults")) != NULL && (rc = parse_defaults(p, x, &d)) != ACMB_OK)
		return rc;
	if ((certs = get(root, "certificates")) == NULL)
		return bad(p, root, "manifest: certificates is missing");
	if ((rc = want(p, certs, Y_SEQ, "certificates")) != ACMB_OK)
		return rc;
	if (certs->n > ACMB_MANIFEST_ENTRIES_MAX)
		return bad(p, certs, "manifest: %zu certificates; at most %u", certs->n,
		    ACMB_MANIFEST_ENTRIES_MAX);
	if (certs->n > 0 &&
	    (p->m->entries = arena_alloc(&p->m->arena, certs->n * sizeof(*p->m->entries))) == NULL)
		return acmb_error(p->err, ACMB_E_NOMEM, "out of memory");
	for (i = 0; i < certs->n; i++) {
		if ((rc = parse_entry(p, certs->kids[i], i, &d, &p->m->entries[i])) != ACMB_OK)
			return rc;
		p->m->n = i + 1;
	}
	return check_unique(p);
}

static int
by_name(const void *a, const void *b)
{
	const struct acmb_manifest_entry *const *x = a, *const *y = b;
	int c = strcmp((*x)->name, (*y)->name);

	/* Equal names: the earlier entry first, so the message names the later. */
	if (c == 0)
		c = (*x)->line < (*y)->line ? -1 : (*x)->line > (*y)->line;
	return c;
}

/* Names are unique: sorted, then neighbours compared (20,000 entries). */
static int
check_unique(struct parse *p)
{
	const struct acmb_manifest_entry **sorted;
	size_t i;
	int rc = ACMB_OK;

	if (p->m->n < 2)
		return ACMB_OK;
	/* An array of pointers: the pointer size is meant. */
	/* NOLINTNEXTLINE(bugprone-sizeof-expression) */
	if ((sorted = malloc(p->m->n * sizeof(*sorted))) == NULL)
		return acmb_error(p->err, ACMB_E_NOMEM, "out of memory");
	for (i = 0; i < p->m->n; i++)
		sorted[i] = &p->m->entries[i];
	/* An array of pointers: the pointer size is meant. */
	/* NOLINTNEXTLINE(bugprone-sizeof-expression) */
	qsort(sorted, p->m->n, sizeof(*sorted), by_name);
	for (i = 1; i < p->m->n; i++)
		if (strcmp(sorted[i - 1]->name, sorted[i]->name) == 0) {
			struct ynode at = {.line = sorted[i]->line, .col = sorted[i]->column};

			rc =
			    bad(p, &at, "certificate %s: the name is used twice (first at line %u)",
			        sorted[i]->name, sorted[i - 1]->line);
			break;
		}
	free(sorted);
	return rc;
}

/* ---- public ----------------------------------------------------------- */

const char *
acmb_manifest_source_name(enum acmb_manifest_source s)
{
	switch (s) {
	case ACMB_MANIFEST_FILES:
		return "files";
	case ACMB_MANIFEST_PKCS12:
		return "pkcs12";
	case ACMB_MANIFEST_DIR:
		return "dir";
	case ACMB_MANIFEST_PKCS11:
		return "pkcs11";
	case ACMB_MANIFEST_PRIVATE_CA:
		return "private-ca";
	}
	return "?";
}

int
acmb_manifest_parse(const char *text, size_t len, const char *display, const char *base_dir,
    int check_files, struct acmb_manifest **out, acmb_err *err)
{
	struct acmb_manifest *m = NULL;
	struct ynode *root = NULL;
	struct parse p;
	int rc = ACMB_E_INTERNAL;

	*out = NULL;
	if (len > ACMB_MANIFEST_MAX)
		return acmb_error(err, ACMB_E_TOO_BIG, "%s: %zu bytes; a manifest is at most %zu",
		    display, len, ACMB_MANIFEST_MAX);
	if ((m = calloc(1, sizeof(*m))) == NULL)
		return acmb_error(err, ACMB_E_NOMEM, "out of memory");
	p = (struct parse){.m = m,
	    .display = display,
	    .base_dir = base_dir,
	    .check_files = check_files,
	    .err = err};
	if ((rc = build_tree(&p, text, len, &root)) != ACMB_OK)
		goto out;
	if ((rc = parse_root(&p, root)) != ACMB_OK)
		goto out;
	*out = m;
	m = NULL;
	rc = ACMB_OK;
out:
	acmb_manifest_free(m);
	return rc;
}

int
acmb_manifest_load(const char *path, struct acmb_manifest **out, acmb_err *err)
{
	/* The manifest is configuration, not a secret (PINs and passphrases are
	 * only named in it), so it is read into the ordinary heap. */
	FILE *f = NULL;
	char *text = NULL, *base = NULL, *slash;
	struct stat st;
	size_t len;
	int rc = ACMB_E_INTERNAL;

	*out = NULL;
	if ((f = fopen(path, "rb")) == NULL) {
		rc = acmb_error(err, ACMB_E_USAGE, "manifest %s: %s", path, strerror(errno));
		goto out;
	}
	if (fstat(fileno(f), &st) != 0 || !S_ISREG(st.st_mode)) {
		rc = acmb_error(err, ACMB_E_USAGE, "manifest %s: not a regular file", path);
		goto out;
	}
	if ((unsigned long long)st.st_size > (unsigned long long)ACMB_MANIFEST_MAX) {
		rc = acmb_error(err, ACMB_E_USAGE,
		    "manifest %s: %lld bytes; a manifest is at most %zu", path,
		    (long long)st.st_size, ACMB_MANIFEST_MAX);
		goto out;
	}
	if ((text = malloc((size_t)st.st_size + 1)) == NULL) {
		rc = acmb_error(err, ACMB_E_NOMEM, "out of memory reading %s", path);
		goto out;
	}
	len = fread(text, 1, (size_t)st.st_size + 1, f);
	if (ferror(f) || len > (size_t)st.st_size) {
		rc = acmb_error(
		    err, ACMB_E_USAGE, "manifest %s: read failed or the file grew", path);
		goto out;
	}
	if ((base = strdup(path)) == NULL) {
		rc = acmb_error(err, ACMB_E_NOMEM, "out of memory");
		goto out;
	}
	if ((slash = strrchr(base, '/')) == NULL) {
		free(base);
		base = strdup(".");
	} else if (slash == base) {
		slash[1] = '\0';
	} else {
		*slash = '\0';
	}
	if (base == NULL) {
		rc = acmb_error(err, ACMB_E_NOMEM, "out of memory");
		goto out;
	}
	rc = acmb_manifest_parse(text, len, path, base, 1, out, err);
out:
	if (f != NULL)
		fclose(f);
	free(text);
	free(base);
	return rc;
}

size_t
acmb_manifest_count(const struct acmb_manifest *m)
{
	return m == NULL ? 0 : m->n;
}

const struct acmb_manifest_entry *
acmb_manifest_entry(const struct acmb_manifest *m, size_t i)
{
	return m == NULL || i >= m->n ? NULL : &m->entries[i];
}

const struct acmb_manifest_entry *
acmb_manifest_find(const struct acmb_manifest *m, const char *name)
{
	size_t i;

	for (i = 0; m != NULL && i < m->n; i++)
		if (strcmp(m->entries[i].name, name) == 0)
			return &m->entries[i];
	return NULL;
}

void
acmb_manifest_free(struct acmb_manifest *m)
{
	size_t i;

	if (m == NULL)
		return;
	for (i = 0; i < m->npassthrough; i++)
		json_decref(m->passthrough[i]);
	free(m->passthrough);
	arena_free(&m->arena);
	free(m);
}
