/*
 * JMESPath over jansson. No C implementation is packaged in Debian; this
 * one follows the specification and python-jmespath 1.0.1 (what the AWS
 * CLI runs): a lexer, python-jmespath's Pratt parser with its binding
 * powers (so that `!a.b` and `a || b.c` group as the AWS CLI groups them),
 * and a tree walker. Values are jansson references, shared, never copied.
 *
 * Bounds: the expression's length, its nesting depth (the tree is n-ary for
 * chains such as a.b.c and a | b | c, so that only real nesting counts),
 * the evaluation steps, and the size of the result.
 */
#include "jmespath.h"

#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pyjson.h"

/* ---- tokens ---------------------------------------------------------- */

enum tt {
	T_EOF,
	T_UNQUOTED,
	T_QUOTED,
	T_LITERAL,
	T_NUMBER,
	T_DOT,
	T_STAR,
	T_RBRACKET,
	T_COMMA,
	T_COLON,
	T_CURRENT,
	T_LPAREN,
	T_RPAREN,
	T_LBRACE,
	T_RBRACE,
	T_FLATTEN,
	T_FILTER,
	T_LBRACKET,
	T_PIPE,
	T_OR,
	T_AND,
	T_EXPREF,
	T_LT,
	T_LTE,
	T_GT,
	T_GTE,
	T_EQ,
	T_NE,
	T_NOT,
	T_COUNT
};

/* python-jmespath's binding powers; tokens below 10 stop a projection. */
static const int binding_power[T_COUNT] = {
    [T_PIPE] = 1,
    [T_OR] = 2,
    [T_AND] = 3,
    [T_EQ] = 5,
    [T_NE] = 5,
    [T_LT] = 5,
    [T_LTE] = 5,
    [T_GT] = 5,
    [T_GTE] = 5,
    [T_FLATTEN] = 9,
    [T_STAR] = 20,
    [T_FILTER] = 21,
    [T_DOT] = 40,
    [T_NOT] = 45,
    [T_LBRACE] = 50,
    [T_LBRACKET] = 55,
    [T_LPAREN] = 60,
};
#define PROJECTION_STOP 10

static const char *const token_names[T_COUNT] = {
    [T_EOF] = "the end of the expression",
    [T_UNQUOTED] = "an identifier",
    [T_QUOTED] = "a quoted identifier",
    [T_LITERAL] = "a literal",
    [T_NUMBER] = "a number",
    [T_DOT] = "'.'",
    [T_STAR] = "'*'",
    [T_RBRACKET] = "']'",
    [T_COMMA] = "','",
    [T_COLON] = "':'",
    [T_CURRENT] = "'@'",
    [T_LPAREN] = "'('",
    [T_RPAREN] = "')'",
    [T_LBRACE] = "'{'",
    [T_RBRACE] = "'}'",
    [T_FLATTEN] = "'[]'",
    [T_FILTER] = "'[?'",
    [T_LBRACKET] = "'['",
    [T_PIPE] = "'|'",
    [T_OR] = "'||'",
    [T_AND] = "'&&'",
    [T_EXPREF] = "'&'",
    [T_LT] = "'<'",
    [T_LTE] = "'<='",
    [T_GT] = "'>'",
    [T_GTE] = "'>='",
    [T_EQ] = "'=='",
    [T_NE] = "'!='",
    [T_NOT] = "'!'",
};

struct token {
	enum tt type;
	size_t pos;  /* byte offset in the expression */
	char *s;     /* identifier (UTF-8, may hold NUL) */
	size_t slen; /* its length */
	long long n; /* T_NUMBER */
	json_t *lit; /* T_LITERAL */
};

/* ---- the tree -------------------------------------------------------- */

enum nk {
	N_CURRENT, /* @, and the implicit identity of projections */
	N_FIELD,
	N_LITERAL,
	N_SUBEXPR,    /* n-ary: each child applied to the previous result */
	N_PIPE,       /* n-ary, as N_SUBEXPR (a pipe also stops projections) */
	N_INDEX_EXPR, /* n-ary, as N_SUBEXPR */
	N_INDEX,
	N_SLICE,
	N_PROJECTION,       /* kids: left, right */
	N_VALUE_PROJECTION, /* kids: left, right */
	N_FILTER,           /* kids: left, right, condition */
	N_FLATTEN,          /* kid: left */
	N_OR,               /* n-ary */
	N_AND,              /* n-ary */
	N_NOT,
	N_CMP,
	N_LIST, /* multi-select list */
	N_HASH, /* multi-select hash; kids are N_KEYVAL */
	N_KEYVAL,
	N_FUNCTION,
	N_EXPREF,
};

enum cmp_op { CMP_EQ, CMP_NE, CMP_LT, CMP_LTE, CMP_GT, CMP_GTE };

struct fn;

struct node {
	enum nk kind;
	size_t pos;
	int depth;
	struct node **kids;
	size_t nkids, capkids;
	char *name; /* N_FIELD, N_KEYVAL */
	size_t namelen;
	json_t *lit;
	long long index; /* N_INDEX */
	long long sl[3]; /* N_SLICE: start, stop, step */
	int has[3];      /* which of sl were given */
	enum cmp_op op;  /* N_CMP */
	const struct fn *fn;
};

struct acmb_jmespath {
	struct node *root;
	char *src; /* a copy, for positions in search errors */
	size_t len;
};

/* ---- errors ---------------------------------------------------------- */

const char *
acmb_jmespath_kind_name(enum acmb_jmespath_kind kind)
{
	switch (kind) {
	case ACMB_JMESPATH_OK:
		return "ok";
	case ACMB_JMESPATH_SYNTAX:
		return "syntax";
	case ACMB_JMESPATH_INVALID_TYPE:
		return "invalid-type";
	case ACMB_JMESPATH_INVALID_ARITY:
		return "invalid-arity";
	case ACMB_JMESPATH_UNKNOWN_FUNCTION:
		return "unknown-function";
	case ACMB_JMESPATH_INVALID_VALUE:
		return "invalid-value";
	case ACMB_JMESPATH_LIMIT:
		return "limit";
	case ACMB_JMESPATH_NOMEM:
		return "out-of-memory";
	}
	return "unknown";
}

/* Byte offset -> character position, as python-jmespath counts columns. */
static size_t
char_pos(const char *src, size_t len, size_t byte)
{
	size_t i, n = 0;

	for (i = 0; i < byte && i < len; i++)
		if (((unsigned char)src[i] & 0xc0) != 0x80)
			n++;
	return n;
}

/* Records the first error: kind, position, one line of text. */
static int __attribute__((format(printf, 7, 8)))
jp_fail(acmb_err *err, struct acmb_jmespath_diag *diag, const char *src, size_t len,
    enum acmb_jmespath_kind kind, size_t byte, const char *fmt, ...)
{
	char what[512];
	size_t col = char_pos(src, len, byte);
	va_list ap;
	int rc;

	va_start(ap, fmt);
	vsnprintf(what, sizeof(what), fmt, ap);
	va_end(ap);
	switch (kind) {
	case ACMB_JMESPATH_NOMEM:
		rc = ACMB_E_NOMEM;
		break;
	case ACMB_JMESPATH_LIMIT:
		rc = ACMB_E_TOO_BIG;
		break;
	default:
		rc = ACMB_E_USAGE;
		break;
	}
	if (diag != NULL) {
		diag->kind = kind;
		diag->pos = col;
	}
	return acmb_error(err, rc, "JMESPath %s error at column %zu: %s",
	    acmb_jmespath_kind_name(kind), col, what);
}

/* ---- lexer ----------------------------------------------------------- */

struct lexer {
	const char *src;
	size_t len, i;
	struct token *toks;
	size_t ntoks, cap;
	acmb_err *err;
	struct acmb_jmespath_diag *diag;
};

#define LEX_FAIL(lx, kind, at, ...)                                                                \
	jp_fail((lx)->err, (lx)->diag, (lx)->src, (lx)->len, (kind), (at), __VA_ARGS__)

static struct token *
lex_push(struct lexer *lx, enum tt type, size_t pos)
{
	struct token *nt;
	size_t ncap;

	if (lx->ntoks == lx->cap) {
		ncap = lx->cap == 0 ? 32 : lx->cap * 2;
		if ((nt = realloc(lx->toks, ncap * sizeof(*nt))) == NULL)
			return NULL;
		lx->toks = nt;
		lx->cap = ncap;
	}
	nt = &lx->toks[lx->ntoks++];
	memset(nt, 0, sizeof(*nt));
	nt->type = type;
	nt->pos = pos;
	return nt;
}

/*
 * Text up to the closing delimiter d, as python-jmespath's _consume_until
 * reads it: a backslash keeps itself and the next character, so that the
 * JSON or string parser after it sees the escape. Sets *end past d.
 * Returns a malloc'd copy (NUL-terminated) in *out with its length, or -1
 * when d never comes.
 */
static int
lex_until(struct lexer *lx, size_t start, char d, char **out, size_t *outlen)
{
	size_t i = start + 1, n = 0;
	char *buf;

	if ((buf = malloc(lx->len - start + 1)) == NULL)
		return -2;
	while (i < lx->len && lx->src[i] != d) {
		if (lx->src[i] == '\\') {
			buf[n++] = '\\';
			i++;
			if (i >= lx->len)
				break;
		}
		buf[n++] = lx->src[i++];
	}
	if (i >= lx->len) {
		free(buf);
		return -1;
	}
	buf[n] = '\0';
	lx->i = i + 1;
	*out = buf;
	*outlen = n;
	return 0;
}

/* Replaces every "\<d>" in buf by "<d>" (in place). */
static size_t
unescape_delim(char *buf, size_t n, char d)
{
	size_t r, w = 0;

	for (r = 0; r < n; r++) {
		if (buf[r] == '\\' && r + 1 < n && buf[r + 1] == d)
			r++;
		buf[w++] = buf[r];
	}
	buf[w] = '\0';
	return w;
}

static int
lex_literal(struct lexer *lx, size_t start)
{
	struct token *t;
	json_error_t jerr;
	json_t *v;
	char *buf = NULL, *alt = NULL;
	size_t n, skip = 0;
	int r;

	if ((r = lex_until(lx, start, '`', &buf, &n)) != 0)
		return r == -2 ? LEX_FAIL(lx, ACMB_JMESPATH_NOMEM, start, "out of memory")
		               : LEX_FAIL(lx, ACMB_JMESPATH_SYNTAX, start,
		                     "unclosed ` literal (a ` inside is written \\`)");
	n = unescape_delim(buf, n, '`');
	v = json_loadb(buf, n, JSON_DECODE_ANY | JSON_ALLOW_NUL, &jerr);
	if (v == NULL) {
		/* JEP-12's deprecated form, which python-jmespath still takes:
		 * `foo` is the string "foo" (leading blanks dropped). */
		while (skip < n && (buf[skip] == ' ' || buf[skip] == '\t' || buf[skip] == '\n' ||
		                       buf[skip] == '\r' || buf[skip] == '\f' || buf[skip] == '\v'))
			skip++;
		if ((alt = malloc(n - skip + 3)) == NULL) {
			free(buf);
			return LEX_FAIL(lx, ACMB_JMESPATH_NOMEM, start, "out of memory");
		}
		alt[0] = '"';
		memcpy(alt + 1, buf + skip, n - skip);
		alt[n - skip + 1] = '"';
		v = json_loadb(alt, n - skip + 2, JSON_DECODE_ANY | JSON_ALLOW_NUL, NULL);
		free(alt);
		if (v == NULL || !json_is_string(v)) {
			json_decref(v);
			free(buf);
			return LEX_FAIL(lx, ACMB_JMESPATH_SYNTAX, start,
			    "the ` literal is not JSON (%s)", jerr.text);
		}
	}
	free(buf);
	if ((t = lex_push(lx, T_LITERAL, start)) == NULL) {
		json_decref(v);
		return LEX_FAIL(lx, ACMB_JMESPATH_NOMEM, start, "out of memory");
	}
	t->lit = v;
	return 0;
}

static int
lex_raw_string(struct lexer *lx, size_t start)
{
	struct token *t;
	json_t *v;
	char *buf = NULL;
	size_t n;
	int r;

	if ((r = lex_until(lx, start, '\'', &buf, &n)) != 0)
		return r == -2 ? LEX_FAIL(lx, ACMB_JMESPATH_NOMEM, start, "out of memory")
		               : LEX_FAIL(lx, ACMB_JMESPATH_SYNTAX, start,
		                     "unclosed ' string (a ' inside is written \\')");
	n = unescape_delim(buf, n, '\'');
	v = json_stringn(buf, n);
	free(buf);
	if (v == NULL)
		return LEX_FAIL(lx, ACMB_JMESPATH_SYNTAX, start, "the ' string is not UTF-8");
	if ((t = lex_push(lx, T_LITERAL, start)) == NULL) {
		json_decref(v);
		return LEX_FAIL(lx, ACMB_JMESPATH_NOMEM, start, "out of memory");
	}
	t->lit = v;
	return 0;
}

static int
lex_quoted(struct lexer *lx, size_t start)
{
	struct token *t;
	json_error_t jerr;
	json_t *v;
	char *buf = NULL, *q;
	size_t n;
	int r;

	if ((r = lex_until(lx, start, '"', &buf, &n)) != 0)
		return r == -2
		           ? LEX_FAIL(lx, ACMB_JMESPATH_NOMEM, start, "out of memory")
		           : LEX_FAIL(lx, ACMB_JMESPATH_SYNTAX, start, "unclosed \" identifier");
	if ((q = malloc(n + 2)) == NULL) {
		free(buf);
		return LEX_FAIL(lx, ACMB_JMESPATH_NOMEM, start, "out of memory");
	}
	q[0] = '"';
	memcpy(q + 1, buf, n);
	q[n + 1] = '"';
	free(buf);
	v = json_loadb(q, n + 2, JSON_DECODE_ANY | JSON_ALLOW_NUL, &jerr);
	free(q);
	if (v == NULL || !json_is_string(v)) {
		json_decref(v);
		return LEX_FAIL(lx, ACMB_JMESPATH_SYNTAX, start,
		    "the quoted identifier is not a JSON string (%s)", jerr.text);
	}
	n = json_string_length(v);
	if ((t = lex_push(lx, T_QUOTED, start)) == NULL || (t->s = malloc(n + 1)) == NULL) {
		json_decref(v);
		return LEX_FAIL(lx, ACMB_JMESPATH_NOMEM, start, "out of memory");
	}
	memcpy(t->s, json_string_value(v), n + 1);
	t->slen = n;
	json_decref(v);
	return 0;
}

static int
is_ident_start(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_';
}

static int
is_digit(char c)
{
	return c >= '0' && c <= '9';
}

/* Two-character operators: c then d gives two, c alone gives one. */
static enum tt
lex_pair(struct lexer *lx, char d, enum tt two, enum tt one)
{
	if (lx->i + 1 < lx->len && lx->src[lx->i + 1] == d) {
		lx->i += 2;
		return two;
	}
	lx->i++;
	return one;
}

static int
lex_all(struct lexer *lx)
{
	struct token *t;
	size_t start;
	long long v;
	enum tt type;
	int neg;
	char c;

	while (lx->i < lx->len) {
		start = lx->i;
		c = lx->src[lx->i];
		type = T_COUNT;
		switch (c) {
		case ' ':
		case '\t':
		case '\n':
		case '\r':
			lx->i++;
			continue;
		case '.':
			type = T_DOT;
			break;
		case '*':
			type = T_STAR;
			break;
		case ']':
			type = T_RBRACKET;
			break;
		case ',':
			type = T_COMMA;
			break;
		case ':':
			type = T_COLON;
			break;
		case '@':
			type = T_CURRENT;
			break;
		case '(':
			type = T_LPAREN;
			break;
		case ')':
			type = T_RPAREN;
			break;
		case '{':
			type = T_LBRACE;
			break;
		case '}':
			type = T_RBRACE;
			break;
		case '[':
			if (lx->i + 1 < lx->len && lx->src[lx->i + 1] == ']')
				type = T_FLATTEN;
			else if (lx->i + 1 < lx->len && lx->src[lx->i + 1] == '?')
				type = T_FILTER;
			else
				type = T_LBRACKET;
			lx->i += type == T_LBRACKET ? 1 : 2;
			if (lex_push(lx, type, start) == NULL)
				return LEX_FAIL(lx, ACMB_JMESPATH_NOMEM, start, "out of memory");
			continue;
		case '|':
			type = lex_pair(lx, '|', T_OR, T_PIPE);
			break;
		case '&':
			type = lex_pair(lx, '&', T_AND, T_EXPREF);
			break;
		case '<':
			type = lex_pair(lx, '=', T_LTE, T_LT);
			break;
		case '>':
			type = lex_pair(lx, '=', T_GTE, T_GT);
			break;
		case '!':
			type = lex_pair(lx, '=', T_NE, T_NOT);
			break;
		case '=':
			if (lx->i + 1 < lx->len && lx->src[lx->i + 1] == '=') {
				lx->i += 2;
				type = T_EQ;
				break;
			}
			return LEX_FAIL(lx, ACMB_JMESPATH_SYNTAX, start,
			    "'=' is not an operator (comparison is '==')");
		case '`':
			if (lex_literal(lx, start) != 0)
				return -1;
			continue;
		case '\'':
			if (lex_raw_string(lx, start) != 0)
				return -1;
			continue;
		case '"':
			if (lex_quoted(lx, start) != 0)
				return -1;
			continue;
		default:
			break;
		}
		if (type != T_COUNT) {
			/* lex_pair and the '==' case moved i themselves. */
			if (lx->i == start)
				lx->i++;
			if (lex_push(lx, type, start) == NULL)
				return LEX_FAIL(lx, ACMB_JMESPATH_NOMEM, start, "out of memory");
			continue;
		}
		if (is_ident_start(c)) {
			while (lx->i < lx->len &&
			       (is_ident_start(lx->src[lx->i]) || is_digit(lx->src[lx->i])))
				lx->i++;
			if ((t = lex_push(lx, T_UNQUOTED, start)) == NULL ||
			    (t->s = malloc(lx->i - start + 1)) == NULL)
				return LEX_FAIL(lx, ACMB_JMESPATH_NOMEM, start, "out of memory");
			memcpy(t->s, lx->src + start, lx->i - start);
			t->s[lx->i - start] = '\0';
			t->slen = lx->i - start;
			continue;
		}
		if (is_digit(c) || c == '-') {
			neg = c == '-';
			if (neg)
				lx->i++;
			if (lx->i >= lx->len || !is_digit(lx->src[lx->i]))
				return LEX_FAIL(
				    lx, ACMB_JMESPATH_SYNTAX, start, "'-' must start a number");
			/* Saturated: an index or slice bound past 2^62 means the
			 * same as 2^62 for any array jansson can hold. */
			for (v = 0; lx->i < lx->len && is_digit(lx->src[lx->i]); lx->i++)
				v = v < (1LL << 62) / 10 ? v * 10 + (lx->src[lx->i] - '0')
				                         : (1LL << 62);
			if ((t = lex_push(lx, T_NUMBER, start)) == NULL)
				return LEX_FAIL(lx, ACMB_JMESPATH_NOMEM, start, "out of memory");
			t->n = neg ? -v : v;
			continue;
		}
		if ((unsigned char)c < 0x20 || (unsigned char)c >= 0x7f)
			return LEX_FAIL(lx, ACMB_JMESPATH_SYNTAX, start,
			    "unexpected character (byte 0x%02x)", (unsigned char)c);
		return LEX_FAIL(lx, ACMB_JMESPATH_SYNTAX, start, "unexpected character '%c'", c);
	}
	if (lex_push(lx, T_EOF, lx->len) == NULL)
		return LEX_FAIL(lx, ACMB_JMESPATH_NOMEM, lx->len, "out of memory");
	return 0;
}

/* ---- functions (signatures; the code is further down) ----------------- */

enum {
	TY_NUMBER = 1 << 0,
	TY_STRING = 1 << 1,
	TY_BOOLEAN = 1 << 2,
	TY_NULL = 1 << 3,
	TY_ARRAY = 1 << 4,
	TY_OBJECT = 1 << 5,
	TY_EXPREF = 1 << 6,
	/* array element types: one given, every element; both, all as the
	 * first element */
	TY_OF_NUMBER = 1 << 7,
	TY_OF_STRING = 1 << 8,
	TY_ANY = TY_NUMBER | TY_STRING | TY_BOOLEAN | TY_NULL | TY_ARRAY | TY_OBJECT,
};

/* One argument of a call: a value, or an expression reference. */
struct arg {
	json_t *v;
	const struct node *expref;
};

struct ev;

struct fn {
	const char *name;
	int nargs;    /* exact, or the minimum when variadic */
	int variadic; /* further arguments have the type of the last */
	unsigned types[3];
	json_t *(*call)(struct ev *e, const struct node *call, struct arg *a, size_t n);
};

static const struct fn *fn_lookup(const char *name, size_t len);

/* ---- parser ---------------------------------------------------------- */

struct parser {
	const char *src;
	size_t len;
	struct token *toks;
	size_t i;
	int depth;
	int failed;
	acmb_err *err;
	struct acmb_jmespath_diag *diag;
	/* The first error that is not about syntax: reported only when the
	 * whole expression parses, so that a syntax error anywhere comes
	 * first (python-jmespath finds the others only when evaluating). */
	enum acmb_jmespath_kind deferred;
	size_t deferred_pos;
	char deferred_msg[400];
};

static void
node_free(struct node *n)
{
	size_t i;

	if (n == NULL)
		return;
	for (i = 0; i < n->nkids; i++)
		node_free(n->kids[i]);
	free(n->kids);
	free(n->name);
	json_decref(n->lit);
	free(n);
}

static void parse_fail(struct parser *p, enum acmb_jmespath_kind kind, size_t at, const char *fmt,
    ...) __attribute__((format(printf, 4, 5)));

static void
parse_fail(struct parser *p, enum acmb_jmespath_kind kind, size_t at, const char *fmt, ...)
{
	char what[400];
	va_list ap;

	if (p->failed)
		return;
	p->failed = 1;
	va_start(ap, fmt);
	vsnprintf(what, sizeof(what), fmt, ap);
	va_end(ap);
	jp_fail(p->err, p->diag, p->src, p->len, kind, at, "%s", what);
}

static void defer_fail(struct parser *p, enum acmb_jmespath_kind kind, size_t at, const char *fmt,
    ...) __attribute__((format(printf, 4, 5)));

static void
defer_fail(struct parser *p, enum acmb_jmespath_kind kind, size_t at, const char *fmt, ...)
{
	va_list ap;

	if (p->deferred != ACMB_JMESPATH_OK)
		return;
	p->deferred = kind;
	p->deferred_pos = at;
	va_start(ap, fmt);
	vsnprintf(p->deferred_msg, sizeof(p->deferred_msg), fmt, ap);
	va_end(ap);
}

static struct node *
node_new(struct parser *p, enum nk kind, size_t pos)
{
	struct node *n = calloc(1, sizeof(*n));

	if (n == NULL) {
		parse_fail(p, ACMB_JMESPATH_NOMEM, pos, "out of memory");
		return NULL;
	}
	n->kind = kind;
	n->pos = pos;
	n->depth = 1;
	return n;
}

/* Appends kid (owned; freed on failure). Returns 0 or -1. */
static int
node_add(struct parser *p, struct node *n, struct node *kid)
{
	struct node **nk;
	size_t ncap;

	if (kid == NULL)
		return -1;
	if (n->nkids == n->capkids) {
		ncap = n->capkids == 0 ? 2 : n->capkids * 2;
		if ((nk = realloc(n->kids, ncap * sizeof(struct node *))) == NULL) {
			node_free(kid);
			parse_fail(p, ACMB_JMESPATH_NOMEM, n->pos, "out of memory");
			return -1;
		}
		n->kids = nk;
		n->capkids = ncap;
	}
	n->kids[n->nkids++] = kid;
	if (kid->depth + 1 > n->depth)
		n->depth = kid->depth + 1;
	if (n->depth > ACMB_JMESPATH_DEPTH_MAX) {
		parse_fail(p, ACMB_JMESPATH_LIMIT, n->pos,
		    "the expression nests deeper than %d levels", ACMB_JMESPATH_DEPTH_MAX);
		return -1;
	}
	return 0;
}

/* A node of kind with the given children (each owned; all freed on
 * failure, a NULL child meaning an earlier failure). */
static struct node *
node_make(
    struct parser *p, enum nk kind, size_t pos, struct node *a, struct node *b, struct node *c)
{
	struct node *n = NULL;

	if (p->failed || (a == NULL && b != NULL) || (n = node_new(p, kind, pos)) == NULL)
		goto fail;
	if (a != NULL && node_add(p, n, a) != 0) {
		a = NULL;
		goto fail;
	}
	a = NULL;
	if (b != NULL && node_add(p, n, b) != 0) {
		b = NULL;
		goto fail;
	}
	b = NULL;
	if (c != NULL && node_add(p, n, c) != 0) {
		c = NULL;
		goto fail;
	}
	return n;
fail:
	node_free(n);
	node_free(a);
	node_free(b);
	node_free(c);
	return NULL;
}

static enum tt
cur(const struct parser *p)
{
	return p->toks[p->i].type;
}

static enum tt
peek(const struct parser *p, size_t k)
{
	size_t j;

	for (j = 0; j < k && p->toks[p->i + j].type != T_EOF; j++)
		;
	return p->toks[p->i + j].type;
}

static const struct token *
tok(const struct parser *p)
{
	return &p->toks[p->i];
}

static void
advance(struct parser *p)
{
	if (p->toks[p->i].type != T_EOF)
		p->i++;
}

static void
unexpected(struct parser *p, const char *expected)
{
	const struct token *t = tok(p);

	if (expected != NULL)
		parse_fail(p, ACMB_JMESPATH_SYNTAX, t->pos, "expected %s, found %s", expected,
		    token_names[t->type]);
	else
		parse_fail(p, ACMB_JMESPATH_SYNTAX, t->pos, "unexpected %s", token_names[t->type]);
}

static int
match(struct parser *p, enum tt type)
{
	if (cur(p) == type) {
		advance(p);
		return 0;
	}
	unexpected(p, token_names[type]);
	return -1;
}

static struct node *expression(struct parser *p, int rbp);

static struct node *
identity(struct parser *p)
{
	return node_new(p, N_CURRENT, tok(p)->pos);
}

static struct node *parse_dot_rhs(struct parser *p, int rbp);

static struct node *
projection_rhs(struct parser *p, int rbp)
{
	if (binding_power[cur(p)] < PROJECTION_STOP)
		return identity(p);
	switch (cur(p)) {
	case T_LBRACKET:
	case T_FILTER:
		return expression(p, rbp);
	case T_DOT:
		advance(p);
		return parse_dot_rhs(p, rbp);
	default:
		unexpected(p, "'.', '[' or '[?' after a projection");
		return NULL;
	}
}

static struct node *
multi_select_list(struct parser *p, size_t pos)
{
	struct node *n = node_new(p, N_LIST, pos);

	if (n == NULL)
		return NULL;
	for (;;) {
		if (node_add(p, n, expression(p, 0)) != 0)
			goto fail;
		if (cur(p) == T_RBRACKET)
			break;
		if (match(p, T_COMMA) != 0)
			goto fail;
	}
	advance(p);
	return n;
fail:
	node_free(n);
	return NULL;
}

static struct node *
multi_select_hash(struct parser *p, size_t pos)
{
	struct node *n = node_new(p, N_HASH, pos), *kv;
	const struct token *t;

	if (n == NULL)
		return NULL;
	for (;;) {
		t = tok(p);
		if (t->type != T_UNQUOTED && t->type != T_QUOTED) {
			unexpected(p, "a key (an identifier) in '{...}'");
			goto fail;
		}
		if ((kv = node_new(p, N_KEYVAL, t->pos)) == NULL)
			goto fail;
		if ((kv->name = malloc(t->slen + 1)) == NULL) {
			node_free(kv);
			parse_fail(p, ACMB_JMESPATH_NOMEM, t->pos, "out of memory");
			goto fail;
		}
		memcpy(kv->name, t->s, t->slen + 1);
		kv->namelen = t->slen;
		advance(p);
		if (match(p, T_COLON) != 0 || node_add(p, kv, expression(p, 0)) != 0) {
			node_free(kv);
			goto fail;
		}
		if (node_add(p, n, kv) != 0)
			goto fail;
		if (cur(p) == T_RBRACE) {
			advance(p);
			return n;
		}
		if (cur(p) != T_COMMA) {
			unexpected(p, "',' or '}'");
			goto fail;
		}
		advance(p);
	}
fail:
	node_free(n);
	return NULL;
}

static struct node *
parse_dot_rhs(struct parser *p, int rbp)
{
	size_t pos = tok(p)->pos;

	switch (cur(p)) {
	case T_UNQUOTED:
	case T_QUOTED:
	case T_STAR:
		return expression(p, rbp);
	case T_LBRACKET:
		advance(p);
		return multi_select_list(p, pos);
	case T_LBRACE:
		advance(p);
		return multi_select_hash(p, pos);
	default:
		unexpected(p, "an identifier, '*', '[' or '{' after '.'");
		return NULL;
	}
}

/* [number] or [start:stop:step] after the '['. */
static struct node *
index_expression(struct parser *p)
{
	struct node *n;
	size_t pos = tok(p)->pos;
	int part = 0;

	if (cur(p) == T_COLON || peek(p, 1) == T_COLON) {
		if ((n = node_new(p, N_SLICE, pos)) == NULL)
			return NULL;
		while (cur(p) != T_RBRACKET) {
			if (cur(p) == T_COLON) {
				if (++part == 3) {
					unexpected(p, "']' (a slice has at most two ':')");
					goto fail;
				}
				advance(p);
			} else if (cur(p) == T_NUMBER) {
				n->sl[part] = tok(p)->n;
				n->has[part] = 1;
				advance(p);
			} else {
				unexpected(p, "a number, ':' or ']' in a slice");
				goto fail;
			}
		}
		advance(p);
		if (n->has[2] && n->sl[2] == 0)
			defer_fail(p, ACMB_JMESPATH_INVALID_VALUE, pos, "a slice step cannot be 0");
		return n;
	}
	if ((n = node_new(p, N_INDEX, pos)) == NULL)
		return NULL;
	n->index = tok(p)->n;
	advance(p);
	if (match(p, T_RBRACKET) != 0)
		goto fail;
	return n;
fail:
	node_free(n);
	return NULL;
}

/* An index applies to left; a slice also starts a projection. */
static struct node *
project_if_slice(struct parser *p, struct node *left, struct node *right, size_t pos)
{
	int slice = right != NULL && right->kind == N_SLICE;
	struct node *ie;

	if (left != NULL && right != NULL && left->kind == N_INDEX_EXPR && !slice) {
		if (node_add(p, left, right) != 0) {
			node_free(left);
			return NULL;
		}
		return left;
	}
	ie = node_make(p, N_INDEX_EXPR, pos, left, right, NULL);
	if (!slice || ie == NULL)
		return ie;
	return node_make(p, N_PROJECTION, pos, ie, projection_rhs(p, binding_power[T_STAR]), NULL);
}

/* After "LEFT[?": the condition, ']' and the projection's right side. */
static struct node *
filter_rest(struct parser *p, struct node *left, size_t pos)
{
	struct node *cond, *rhs;

	if (left == NULL)
		return NULL;
	if ((cond = expression(p, 0)) == NULL || match(p, T_RBRACKET) != 0) {
		node_free(left);
		node_free(cond);
		return NULL;
	}
	rhs = cur(p) == T_FLATTEN ? identity(p) : projection_rhs(p, binding_power[T_FILTER]);
	return node_make(p, N_FILTER, pos, left, rhs, cond);
}

static struct node *
nud(struct parser *p)
{
	const struct token *t = tok(p);
	size_t pos = t->pos;
	struct node *n, *left;

	advance(p);
	switch (t->type) {
	case T_LITERAL:
		if ((n = node_new(p, N_LITERAL, pos)) != NULL)
			n->lit = json_incref(t->lit);
		return n;
	case T_UNQUOTED:
	case T_QUOTED:
		if (t->type == T_QUOTED && cur(p) == T_LPAREN) {
			parse_fail(
			    p, ACMB_JMESPATH_SYNTAX, pos, "a function name cannot be quoted");
			return NULL;
		}
		if ((n = node_new(p, N_FIELD, pos)) == NULL)
			return NULL;
		if ((n->name = malloc(t->slen + 1)) == NULL) {
			node_free(n);
			parse_fail(p, ACMB_JMESPATH_NOMEM, pos, "out of memory");
			return NULL;
		}
		memcpy(n->name, t->s, t->slen + 1);
		n->namelen = t->slen;
		return n;
	case T_STAR:
		left = identity(p);
		return node_make(p, N_VALUE_PROJECTION, pos, left,
		    cur(p) == T_RBRACKET ? identity(p) : projection_rhs(p, binding_power[T_STAR]),
		    NULL);
	case T_FILTER:
		n = identity(p);
		break; /* the led of '[?' below */
	case T_LBRACE:
		return multi_select_hash(p, pos);
	case T_LPAREN:
		n = expression(p, 0);
		if (n != NULL && match(p, T_RPAREN) != 0) {
			node_free(n);
			return NULL;
		}
		return n;
	case T_FLATTEN:
		left = node_make(p, N_FLATTEN, pos, identity(p), NULL, NULL);
		return node_make(
		    p, N_PROJECTION, pos, left, projection_rhs(p, binding_power[T_FLATTEN]), NULL);
	case T_NOT:
		return node_make(p, N_NOT, pos, expression(p, binding_power[T_NOT]), NULL, NULL);
	case T_LBRACKET:
		if (cur(p) == T_NUMBER || cur(p) == T_COLON)
			return project_if_slice(p, identity(p), index_expression(p), pos);
		if (cur(p) == T_STAR && peek(p, 1) == T_RBRACKET) {
			advance(p);
			advance(p);
			return node_make(p, N_PROJECTION, pos, identity(p),
			    projection_rhs(p, binding_power[T_STAR]), NULL);
		}
		return multi_select_list(p, pos);
	case T_CURRENT:
		return node_new(p, N_CURRENT, pos);
	case T_EXPREF:
		return node_make(p, N_EXPREF, pos, expression(p, 0), NULL, NULL);
	case T_EOF:
		parse_fail(p, ACMB_JMESPATH_SYNTAX, pos, "the expression ends too early");
		return NULL;
	default:
		parse_fail(p, ACMB_JMESPATH_SYNTAX, pos, "unexpected %s", token_names[t->type]);
		return NULL;
	}
	/* T_FILTER as a prefix: a filter over the current node. */
	return filter_rest(p, n, pos);
}

/* Adds right to an n-ary node of kind, or makes one from left and right. */
static struct node *
chain(struct parser *p, enum nk kind, size_t pos, struct node *left, struct node *right)
{
	if (left != NULL && right != NULL && left->kind == kind) {
		if (node_add(p, left, right) != 0) {
			node_free(left);
			return NULL;
		}
		return left;
	}
	return node_make(p, kind, pos, left, right, NULL);
}

static struct node *
function_call(struct parser *p, struct node *left, size_t pos)
{
	struct node *n = NULL;
	const struct fn *f;
	size_t name_pos = left->pos;
	int nargs;

	if (left->kind != N_FIELD) {
		parse_fail(p, ACMB_JMESPATH_SYNTAX, pos, "only a name can be called as a function");
		node_free(left);
		return NULL;
	}
	f = fn_lookup(left->name, left->namelen);
	if ((n = node_new(p, N_FUNCTION, name_pos)) == NULL) {
		node_free(left);
		return NULL;
	}
	n->fn = f;
	/* The name stays for the message: the arguments come first, as they
	 * are evaluated first. */
	n->name = left->name;
	n->namelen = left->namelen;
	left->name = NULL;
	node_free(left);
	if (cur(p) != T_RPAREN) {
		for (;;) {
			if (node_add(p, n, expression(p, 0)) != 0)
				goto fail;
			if (cur(p) != T_COMMA)
				break;
			advance(p);
		}
	}
	if (match(p, T_RPAREN) != 0)
		goto fail;
	nargs = (int)n->nkids;
	if (f == NULL)
		defer_fail(p, ACMB_JMESPATH_UNKNOWN_FUNCTION, name_pos, "unknown function %.*s()",
		    (int)(n->namelen > 64 ? 64 : n->namelen), n->name);
	if (f != NULL && (f->variadic ? nargs < f->nargs : nargs != f->nargs))
		defer_fail(p, ACMB_JMESPATH_INVALID_ARITY, name_pos,
		    "%s() takes %s%d argument%s, not %d", f->name, f->variadic ? "at least " : "",
		    f->nargs, f->nargs == 1 ? "" : "s", nargs);
	return n;
fail:
	node_free(n);
	return NULL;
}

static struct node *
led(struct parser *p, struct node *left)
{
	const struct token *t = tok(p);
	enum tt type = t->type;
	size_t pos = t->pos;
	struct node *right;

	advance(p);
	switch (type) {
	case T_DOT:
		if (cur(p) == T_STAR) {
			advance(p);
			return node_make(p, N_VALUE_PROJECTION, pos, left,
			    projection_rhs(p, binding_power[T_DOT]), NULL);
		}
		return chain(p, N_SUBEXPR, pos, left, parse_dot_rhs(p, binding_power[T_DOT]));
	case T_PIPE:
		return chain(p, N_PIPE, pos, left, expression(p, binding_power[T_PIPE]));
	case T_OR:
		return chain(p, N_OR, pos, left, expression(p, binding_power[T_OR]));
	case T_AND:
		return chain(p, N_AND, pos, left, expression(p, binding_power[T_AND]));
	case T_LPAREN:
		return function_call(p, left, pos);
	case T_FILTER:
		return filter_rest(p, left, pos);
	case T_EQ:
	case T_NE:
	case T_LT:
	case T_LTE:
	case T_GT:
	case T_GTE:
		right = node_make(p, N_CMP, pos, left, expression(p, binding_power[type]), NULL);
		if (right != NULL)
			right->op = type == T_EQ    ? CMP_EQ
			            : type == T_NE  ? CMP_NE
			            : type == T_LT  ? CMP_LT
			            : type == T_LTE ? CMP_LTE
			            : type == T_GT  ? CMP_GT
			                            : CMP_GTE;
		return right;
	case T_FLATTEN:
		left = node_make(p, N_FLATTEN, pos, left, NULL, NULL);
		return node_make(
		    p, N_PROJECTION, pos, left, projection_rhs(p, binding_power[T_FLATTEN]), NULL);
	case T_LBRACKET:
		if (cur(p) == T_NUMBER || cur(p) == T_COLON)
			return project_if_slice(p, left, index_expression(p), pos);
		if (match(p, T_STAR) != 0 || match(p, T_RBRACKET) != 0) {
			node_free(left);
			return NULL;
		}
		return node_make(
		    p, N_PROJECTION, pos, left, projection_rhs(p, binding_power[T_STAR]), NULL);
	default:
		node_free(left);
		parse_fail(p, ACMB_JMESPATH_SYNTAX, pos, "unexpected %s", token_names[type]);
		return NULL;
	}
}

static struct node *
expression(struct parser *p, int rbp)
{
	struct node *left;

	if (p->failed)
		return NULL;
	if (++p->depth > ACMB_JMESPATH_DEPTH_MAX) {
		parse_fail(p, ACMB_JMESPATH_LIMIT, tok(p)->pos,
		    "the expression nests deeper than %d levels", ACMB_JMESPATH_DEPTH_MAX);
		p->depth--;
		return NULL;
	}
	left = nud(p);
	while (left != NULL && rbp < binding_power[cur(p)])
		left = led(p, left);
	p->depth--;
	if (p->failed) {
		node_free(left);
		return NULL;
	}
	return left;
}

void
acmb_jmespath_free(acmb_jmespath *q)
{
	if (q == NULL)
		return;
	node_free(q->root);
	free(q->src);
	free(q);
}

int
acmb_jmespath_compile(const char *expr, size_t len, acmb_jmespath **out,
    struct acmb_jmespath_diag *diag, acmb_err *err)
{
	struct lexer lx;
	struct parser p;
	acmb_jmespath *q = NULL;
	size_t i;
	int r = ACMB_E_INTERNAL;

	*out = NULL;
	memset(&lx, 0, sizeof(lx));
	if (diag != NULL) {
		diag->kind = ACMB_JMESPATH_OK;
		diag->pos = 0;
	}
	if (len > ACMB_JMESPATH_EXPR_MAX) {
		r = jp_fail(err, diag, expr, 0, ACMB_JMESPATH_LIMIT, 0,
		    "the expression is longer than %zu bytes", ACMB_JMESPATH_EXPR_MAX);
		goto out;
	}
	if (len == 0) {
		r = jp_fail(err, diag, expr, 0, ACMB_JMESPATH_SYNTAX, 0, "the expression is empty");
		goto out;
	}
	lx.src = expr;
	lx.len = len;
	lx.err = err;
	lx.diag = diag;
	if (lex_all(&lx) != 0) {
		r = err != NULL ? err->rc : ACMB_E_USAGE;
		goto out;
	}
	memset(&p, 0, sizeof(p));
	p.src = expr;
	p.len = len;
	p.toks = lx.toks;
	p.err = err;
	p.diag = diag;
	if ((q = calloc(1, sizeof(*q))) == NULL || (q->src = malloc(len + 1)) == NULL) {
		r = jp_fail(err, diag, expr, len, ACMB_JMESPATH_NOMEM, 0, "out of memory");
		goto out;
	}
	memcpy(q->src, expr, len);
	q->src[len] = '\0';
	q->len = len;
	q->root = expression(&p, 0);
	if (q->root != NULL && cur(&p) != T_EOF) {
		unexpected(&p, NULL);
		node_free(q->root);
		q->root = NULL;
	}
	if (q->root != NULL && p.deferred != ACMB_JMESPATH_OK) {
		parse_fail(&p, p.deferred, p.deferred_pos, "%s", p.deferred_msg);
		node_free(q->root);
		q->root = NULL;
	}
	if (q->root == NULL) {
		r = err != NULL && err->rc != ACMB_OK ? err->rc : ACMB_E_USAGE;
		goto out;
	}
	*out = q;
	q = NULL;
	r = ACMB_OK;
out:
	for (i = 0; i < lx.ntoks; i++) {
		free(lx.toks[i].s);
		json_decref(lx.toks[i].lit);
	}
	free(lx.toks);
	acmb_jmespath_free(q);
	return r;
}

/* ---- evaluation ------------------------------------------------------ */

struct ev {
	const acmb_jmespath *q;
	size_t steps;
	size_t bytes; /* of strings built by functions */
	int failed;
	acmb_err *err;
	struct acmb_jmespath_diag *diag;
};

static json_t *ev_fail(struct ev *e, enum acmb_jmespath_kind kind, size_t pos, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static json_t *
ev_fail(struct ev *e, enum acmb_jmespath_kind kind, size_t pos, const char *fmt, ...)
{
	char what[400];
	va_list ap;

	if (e->failed)
		return NULL;
	e->failed = 1;
	va_start(ap, fmt);
	vsnprintf(what, sizeof(what), fmt, ap);
	va_end(ap);
	jp_fail(e->err, e->diag, e->q->src, e->q->len, kind, pos, "%s", what);
	return NULL;
}

static int
step(struct ev *e, size_t pos, size_t n)
{
	e->steps += n;
	if (e->steps > ACMB_JMESPATH_STEPS_MAX) {
		ev_fail(e, ACMB_JMESPATH_LIMIT, pos, "the search takes more than %zu steps",
		    ACMB_JMESPATH_STEPS_MAX);
		return -1;
	}
	return 0;
}

static json_t *
nomem(struct ev *e, size_t pos)
{
	return ev_fail(e, ACMB_JMESPATH_NOMEM, pos, "out of memory");
}

/* JMESPath's false values: null, false, "", [], {}. */
static int
truthy(const json_t *v)
{
	switch (json_typeof(v)) {
	case JSON_NULL:
	case JSON_FALSE:
		return 0;
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

static const char *
type_name(const json_t *v)
{
	switch (json_typeof(v)) {
	case JSON_STRING:
		return "string";
	case JSON_INTEGER:
	case JSON_REAL:
		return "number";
	case JSON_TRUE:
	case JSON_FALSE:
		return "boolean";
	case JSON_ARRAY:
		return "array";
	case JSON_OBJECT:
		return "object";
	default:
		return "null";
	}
}

static double
num(const json_t *v)
{
	return json_is_integer(v) ? (double)json_integer_value(v) : json_real_value(v);
}

/* Numbers by value (integers exactly), strings by code point (UTF-8 byte
 * order is code point order). Both must be of the same kind. */
static int
cmp_scalar(const json_t *a, const json_t *b)
{
	size_t la, lb;
	double x, y;
	int c;

	if (json_is_string(a)) {
		la = json_string_length(a);
		lb = json_string_length(b);
		c = memcmp(json_string_value(a), json_string_value(b), la < lb ? la : lb);
		return c != 0 ? (c < 0 ? -1 : 1) : (la < lb ? -1 : la > lb);
	}
	if (json_is_integer(a) && json_is_integer(b))
		return json_integer_value(a) < json_integer_value(b)
		           ? -1
		           : json_integer_value(a) > json_integer_value(b);
	x = num(a);
	y = num(b);
	return x < y ? -1 : x > y;
}

/* Deep equality of the specification: no true == 1 at any depth. Returns
 * 1, 0, or -1 when the step or depth bound was reached. */
static int
equal(struct ev *e, const json_t *a, const json_t *b, int depth, size_t pos)
{
	const char *key;
	json_t *va, *vb;
	size_t i, n, klen;
	int r;

	if (step(e, pos, 1) != 0)
		return -1;
	if (depth > ACMB_PYJSON_DEPTH_MAX) {
		ev_fail(e, ACMB_JMESPATH_LIMIT, pos, "values nest deeper than %d levels",
		    ACMB_PYJSON_DEPTH_MAX);
		return -1;
	}
	if (a == b)
		return 1;
	if (json_is_number(a) && json_is_number(b))
		return cmp_scalar(a, b) == 0;
	if (json_typeof(a) != json_typeof(b))
		return 0;
	switch (json_typeof(a)) {
	case JSON_STRING:
		return json_string_length(a) == json_string_length(b) &&
		       memcmp(json_string_value(a), json_string_value(b), json_string_length(a)) ==
		           0;
	case JSON_ARRAY:
		if ((n = json_array_size(a)) != json_array_size(b))
			return 0;
		for (i = 0; i < n; i++)
			if ((r = equal(e, json_array_get(a, i), json_array_get(b, i), depth + 1,
			         pos)) != 1)
				return r;
		return 1;
	case JSON_OBJECT:
		if (json_object_size(a) != json_object_size(b))
			return 0;
		json_object_keylen_foreach((json_t *)a, key, klen, va)
		{
			if ((vb = json_object_getn(b, key, klen)) == NULL)
				return 0;
			if ((r = equal(e, va, vb, depth + 1, pos)) != 1)
				return r;
		}
		return 1;
	default:
		return 1; /* true, false, null: same type, same value */
	}
}

static json_t *eval(struct ev *e, const struct node *n, json_t *v);

/* Appends r (a new reference, consumed) to arr unless it is null. */
static int
collect(struct ev *e, json_t *arr, json_t *r, size_t pos)
{
	if (json_is_null(r))
		return 0;
	if (json_array_append_new(arr, r) != 0) {
		nomem(e, pos);
		return -1;
	}
	return 0;
}

/* Python's slice bounds (PySlice_AdjustIndices). */
static json_t *
eval_slice(struct ev *e, const struct node *n, json_t *v)
{
	long long len, start, stop, stepv, i;
	json_t *out;

	if (!json_is_array(v))
		return json_null();
	len = (long long)json_array_size(v);
	stepv = n->has[2] ? n->sl[2] : 1;
	if (!n->has[0]) {
		start = stepv < 0 ? len - 1 : 0;
	} else {
		start = n->sl[0];
		if (start < 0 && (start += len) < 0)
			start = stepv < 0 ? -1 : 0;
		else if (start >= len)
			start = stepv < 0 ? len - 1 : len;
	}
	if (!n->has[1]) {
		stop = stepv < 0 ? -1 : len;
	} else {
		stop = n->sl[1];
		if (stop < 0 && (stop += len) < 0)
			stop = stepv < 0 ? -1 : 0;
		else if (stop >= len)
			stop = stepv < 0 ? len - 1 : len;
	}
	if ((out = json_array()) == NULL)
		return nomem(e, n->pos);
	for (i = start; stepv > 0 ? i < stop : i > stop; i += stepv) {
		if (step(e, n->pos, 1) != 0 ||
		    json_array_append(out, json_array_get(v, (size_t)i)) != 0) {
			json_decref(out);
			return e->failed ? NULL : nomem(e, n->pos);
		}
	}
	return out;
}

/* left's list (or, for a value projection, left's object values), each
 * element through right, nulls dropped; cond filters first. */
static json_t *
eval_projection(struct ev *e, const struct node *n, json_t *v)
{
	const struct node *right = n->kids[1];
	const struct node *cond = n->kind == N_FILTER ? n->kids[2] : NULL;
	json_t *base, *out = NULL, *elem, *c, *r;
	const char *key;
	size_t i, nelem;

	if ((base = eval(e, n->kids[0], v)) == NULL)
		return NULL;
	if (n->kind == N_VALUE_PROJECTION ? !json_is_object(base) : !json_is_array(base)) {
		json_decref(base);
		return json_null();
	}
	if ((out = json_array()) == NULL) {
		json_decref(base);
		return nomem(e, n->pos);
	}
	nelem = json_is_array(base) ? json_array_size(base) : json_object_size(base);
	if (json_is_object(base)) {
		json_object_foreach(base, key, elem)
		{
			if ((r = eval(e, right, elem)) == NULL || collect(e, out, r, n->pos) != 0)
				goto fail;
		}
	} else {
		for (i = 0; i < nelem; i++) {
			elem = json_array_get(base, i);
			if (cond != NULL) {
				if ((c = eval(e, cond, elem)) == NULL)
					goto fail;
				if (!truthy(c)) {
					json_decref(c);
					continue;
				}
				json_decref(c);
			}
			if ((r = eval(e, right, elem)) == NULL || collect(e, out, r, n->pos) != 0)
				goto fail;
		}
	}
	json_decref(base);
	return out;
fail:
	json_decref(base);
	json_decref(out);
	return NULL;
}

static json_t *
eval_flatten(struct ev *e, const struct node *n, json_t *v)
{
	json_t *base, *out, *elem;
	size_t i;

	if ((base = eval(e, n->kids[0], v)) == NULL)
		return NULL;
	if (!json_is_array(base)) {
		json_decref(base);
		return json_null();
	}
	if ((out = json_array()) == NULL) {
		json_decref(base);
		return nomem(e, n->pos);
	}
	for (i = 0; i < json_array_size(base); i++) {
		elem = json_array_get(base, i);
		if (step(e, n->pos, json_is_array(elem) ? json_array_size(elem) + 1 : 1) != 0 ||
		    (json_is_array(elem) ? json_array_extend(out, elem)
		                         : json_array_append(out, elem)) != 0) {
			json_decref(base);
			json_decref(out);
			return e->failed ? NULL : nomem(e, n->pos);
		}
	}
	json_decref(base);
	return out;
}

static json_t *
eval_compare(struct ev *e, const struct node *n, json_t *v)
{
	json_t *a, *b;
	int r, c;

	if ((a = eval(e, n->kids[0], v)) == NULL)
		return NULL;
	if ((b = eval(e, n->kids[1], v)) == NULL) {
		json_decref(a);
		return NULL;
	}
	if (n->op == CMP_EQ || n->op == CMP_NE) {
		r = equal(e, a, b, 0, n->pos);
		json_decref(a);
		json_decref(b);
		if (r < 0)
			return NULL;
		return json_boolean(n->op == CMP_EQ ? r : !r);
	}
	/* Ordering is for two numbers or two strings; anything else is null
	 * (python-jmespath would crash on a number against a string). */
	if (!((json_is_number(a) && json_is_number(b)) ||
	        (json_is_string(a) && json_is_string(b)))) {
		json_decref(a);
		json_decref(b);
		return json_null();
	}
	c = cmp_scalar(a, b);
	json_decref(a);
	json_decref(b);
	switch (n->op) {
	case CMP_LT:
		return json_boolean(c < 0);
	case CMP_LTE:
		return json_boolean(c <= 0);
	case CMP_GT:
		return json_boolean(c > 0);
	default:
		return json_boolean(c >= 0);
	}
}

static json_t *
eval_multi(struct ev *e, const struct node *n, json_t *v)
{
	json_t *out, *r;
	size_t i;

	if (json_is_null(v))
		return json_null();
	if ((out = n->kind == N_LIST ? json_array() : json_object()) == NULL)
		return nomem(e, n->pos);
	for (i = 0; i < n->nkids; i++) {
		if ((r = eval(e, n->kind == N_LIST ? n->kids[i] : n->kids[i]->kids[0], v)) == NULL)
			goto fail;
		if ((n->kind == N_LIST ? json_array_append_new(out, r)
		                       : json_object_setn_new(
		                             out, n->kids[i]->name, n->kids[i]->namelen, r)) != 0) {
			nomem(e, n->pos);
			goto fail;
		}
	}
	return out;
fail:
	json_decref(out);
	return NULL;
}

static int
type_ok(unsigned types, const json_t *v)
{
	switch (json_typeof(v)) {
	case JSON_STRING:
		return (types & TY_STRING) != 0;
	case JSON_INTEGER:
	case JSON_REAL:
		return (types & TY_NUMBER) != 0;
	case JSON_TRUE:
	case JSON_FALSE:
		return (types & TY_BOOLEAN) != 0;
	case JSON_ARRAY:
		return (types & TY_ARRAY) != 0;
	case JSON_OBJECT:
		return (types & TY_OBJECT) != 0;
	default:
		return (types & TY_NULL) != 0;
	}
}

/* "string, array or object" */
static void
types_text(unsigned types, char *buf, size_t len)
{
	static const struct {
		unsigned bit;
		const char *name;
	} names[] = {
	    {TY_NUMBER, "number"},
	    {TY_STRING, "string"},
	    {TY_BOOLEAN, "boolean"},
	    {TY_NULL, "null"},
	    {TY_ARRAY, "array"},
	    {TY_OBJECT, "object"},
	    {TY_EXPREF, "expression (&...)"},
	};
	size_t i, count = 0, done = 0;

	buf[0] = '\0';
	if ((types & TY_ANY) == TY_ANY) {
		snprintf(buf, len, "any value");
		return;
	}
	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		count += (types & names[i].bit) != 0;
	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		if (!(types & names[i].bit))
			continue;
		done++;
		snprintf(buf + strlen(buf), len - strlen(buf), "%s%s",
		    done == 1       ? ""
		    : done == count ? " or "
		                    : ", ",
		    names[i].name);
		if (names[i].bit == TY_ARRAY && (types & (TY_OF_NUMBER | TY_OF_STRING)))
			snprintf(buf + strlen(buf), len - strlen(buf), " of %s",
			    (types & TY_OF_NUMBER) && (types & TY_OF_STRING) ? "numbers or strings"
			    : (types & TY_OF_NUMBER)                         ? "numbers"
			                                                     : "strings");
	}
}

/* Checks argument i against its signature, as python-jmespath does:
 * the top-level type, then the element types of an array. */
static int
check_arg(struct ev *e, const struct node *call, unsigned types, const struct arg *a, size_t i)
{
	char want[160];
	unsigned elem;
	size_t k, n;

	types_text(types, want, sizeof(want));
	if (a->expref != NULL || (types & TY_EXPREF)) {
		if (a->expref != NULL && (types & TY_EXPREF))
			return 0;
		ev_fail(e, ACMB_JMESPATH_INVALID_TYPE, call->pos,
		    "%s() argument %zu must be %s, not %s", call->fn->name, i + 1, want,
		    a->expref != NULL ? "an expression (&...)" : type_name(a->v));
		return -1;
	}
	if (!type_ok(types, a->v)) {
		ev_fail(e, ACMB_JMESPATH_INVALID_TYPE, call->pos,
		    "%s() argument %zu must be %s, not %s", call->fn->name, i + 1, want,
		    type_name(a->v));
		return -1;
	}
	if (!json_is_array(a->v) || !(types & (TY_OF_NUMBER | TY_OF_STRING)) ||
	    (n = json_array_size(a->v)) == 0)
		return 0;
	elem = types & (TY_OF_NUMBER | TY_OF_STRING);
	if (elem == (TY_OF_NUMBER | TY_OF_STRING)) {
		/* Both allowed: every element as the first one. */
		elem = json_is_number(json_array_get(a->v, 0))   ? TY_OF_NUMBER
		       : json_is_string(json_array_get(a->v, 0)) ? TY_OF_STRING
		                                                 : 0;
	}
	for (k = 0; k < n; k++) {
		const json_t *x = json_array_get(a->v, k);

		if (step(e, call->pos, 1) != 0)
			return -1;
		if (elem == 0 || (elem == TY_OF_NUMBER ? !json_is_number(x) : !json_is_string(x))) {
			ev_fail(e, ACMB_JMESPATH_INVALID_TYPE, call->pos,
			    "%s() argument %zu must be %s; element %zu is %s", call->fn->name,
			    i + 1, want, k, type_name(x));
			return -1;
		}
	}
	return 0;
}

static json_t *
eval_function(struct ev *e, const struct node *n, json_t *v)
{
	const struct fn *f = n->fn;
	struct arg args[ACMB_JMESPATH_DEPTH_MAX > 64 ? 64 : ACMB_JMESPATH_DEPTH_MAX];
	struct arg *a = args, *heap = NULL;
	json_t *r = NULL;
	size_t i, nargs = n->nkids;
	unsigned types;

	if (nargs > sizeof(args) / sizeof(args[0])) {
		if ((heap = calloc(nargs, sizeof(*heap))) == NULL)
			return nomem(e, n->pos);
		a = heap;
	}
	memset(a, 0, nargs * sizeof(*a));
	for (i = 0; i < nargs; i++) {
		if (n->kids[i]->kind == N_EXPREF) {
			a[i].expref = n->kids[i]->kids[0];
			continue;
		}
		if ((a[i].v = eval(e, n->kids[i], v)) == NULL)
			goto out;
	}
	for (i = 0; i < nargs; i++) {
		types = f->types[(int)i < f->nargs ? i : (size_t)f->nargs - 1];
		if (check_arg(e, n, types, &a[i], i) != 0)
			goto out;
	}
	r = f->call(e, n, a, nargs);
out:
	for (i = 0; i < nargs; i++)
		json_decref(a[i].v);
	free(heap);
	return r;
}

static json_t *
eval(struct ev *e, const struct node *n, json_t *v)
{
	json_t *r, *next;
	size_t i;
	long long idx;

	if (step(e, n->pos, 1) != 0)
		return NULL;
	switch (n->kind) {
	case N_CURRENT:
		return json_incref(v);
	case N_FIELD:
		if (!json_is_object(v) || (r = json_object_getn(v, n->name, n->namelen)) == NULL)
			return json_null();
		return json_incref(r);
	case N_LITERAL:
		return json_incref(n->lit);
	case N_SUBEXPR:
	case N_PIPE:
	case N_INDEX_EXPR:
		r = json_incref(v);
		for (i = 0; i < n->nkids && r != NULL; i++) {
			next = eval(e, n->kids[i], r);
			json_decref(r);
			r = next;
		}
		return r;
	case N_INDEX:
		if (!json_is_array(v))
			return json_null();
		idx = n->index < 0 ? n->index + (long long)json_array_size(v) : n->index;
		if (idx < 0 || idx >= (long long)json_array_size(v))
			return json_null();
		return json_incref(json_array_get(v, (size_t)idx));
	case N_SLICE:
		return eval_slice(e, n, v);
	case N_PROJECTION:
	case N_VALUE_PROJECTION:
	case N_FILTER:
		return eval_projection(e, n, v);
	case N_FLATTEN:
		return eval_flatten(e, n, v);
	case N_OR:
	case N_AND:
		/* The first true (||) or false (&&) operand, else the last. */
		r = NULL;
		for (i = 0; i < n->nkids; i++) {
			json_decref(r);
			if ((r = eval(e, n->kids[i], v)) == NULL)
				return NULL;
			if (truthy(r) == (n->kind == N_OR))
				break;
		}
		return r;
	case N_NOT:
		if ((r = eval(e, n->kids[0], v)) == NULL)
			return NULL;
		next = json_boolean(!truthy(r));
		json_decref(r);
		return next;
	case N_CMP:
		return eval_compare(e, n, v);
	case N_LIST:
	case N_HASH:
		return eval_multi(e, n, v);
	case N_FUNCTION:
		return eval_function(e, n, v);
	case N_EXPREF:
		return ev_fail(e, ACMB_JMESPATH_INVALID_TYPE, n->pos,
		    "an expression reference (&...) is only a function argument");
	case N_KEYVAL:
		break;
	}
	return ev_fail(e, ACMB_JMESPATH_SYNTAX, n->pos, "internal: unknown node");
}

/* Counts the result as it will be written out (shared parts once per
 * appearance), against the result bounds. */
static int
result_size(struct ev *e, const json_t *v, size_t *nodes, size_t *bytes, int depth)
{
	const char *key;
	json_t *item;
	size_t i, klen;

	if (++*nodes > ACMB_JMESPATH_RESULT_NODES_MAX || depth > ACMB_PYJSON_DEPTH_MAX) {
		ev_fail(e, ACMB_JMESPATH_LIMIT, 0,
		    "the result is larger than %zu values or nests deeper than %d levels",
		    ACMB_JMESPATH_RESULT_NODES_MAX, ACMB_PYJSON_DEPTH_MAX);
		return -1;
	}
	if (json_is_string(v))
		*bytes += json_string_length(v);
	if (*bytes > ACMB_JMESPATH_RESULT_BYTES_MAX) {
		ev_fail(e, ACMB_JMESPATH_LIMIT, 0, "the result holds more than %zu bytes of text",
		    ACMB_JMESPATH_RESULT_BYTES_MAX);
		return -1;
	}
	if (json_is_array(v)) {
		for (i = 0; i < json_array_size(v); i++)
			if (result_size(e, json_array_get(v, i), nodes, bytes, depth + 1) != 0)
				return -1;
	} else if (json_is_object(v)) {
		json_object_keylen_foreach((json_t *)v, key, klen, item)
		{
			*bytes += klen;
			if (result_size(e, item, nodes, bytes, depth + 1) != 0)
				return -1;
		}
	}
	return 0;
}

int
acmb_jmespath_search(const acmb_jmespath *q, const json_t *doc, json_t **result,
    struct acmb_jmespath_diag *diag, acmb_err *err)
{
	struct ev e;
	json_t *r;
	size_t nodes = 0, bytes = 0;

	*result = NULL;
	memset(&e, 0, sizeof(e));
	e.q = q;
	e.err = err;
	e.diag = diag;
	if (diag != NULL) {
		diag->kind = ACMB_JMESPATH_OK;
		diag->pos = 0;
	}
	if ((r = eval(&e, q->root, (json_t *)doc)) == NULL)
		return err != NULL && err->rc != ACMB_OK ? err->rc : ACMB_E_INTERNAL;
	if (result_size(&e, r, &nodes, &bytes, 0) != 0) {
		json_decref(r);
		return err != NULL ? err->rc : ACMB_E_TOO_BIG;
	}
	*result = r;
	return ACMB_OK;
}

/* ---- the built-in functions ------------------------------------------ */

/* A string of n bytes, counted against the result bytes bound. */
static int
budget_bytes(struct ev *e, size_t pos, size_t n)
{
	if (n > ACMB_JMESPATH_RESULT_BYTES_MAX - e->bytes) {
		ev_fail(e, ACMB_JMESPATH_LIMIT, pos, "strings built by the search exceed %zu bytes",
		    ACMB_JMESPATH_RESULT_BYTES_MAX);
		return -1;
	}
	e->bytes += n;
	return step(e, pos, n / 64 + 1);
}

static json_t *
new_or_nomem(struct ev *e, const struct node *call, json_t *v)
{
	return v != NULL ? v : nomem(e, call->pos);
}

/* A double as a JSON number the way Python ends up with it: an integer
 * when integral and representable (math.ceil, math.floor give ints). */
static json_t *
integral(double d)
{
	if (d >= -9223372036854775808.0 && d < 9223372036854775808.0)
		return json_integer((json_int_t)d);
	return json_real(d);
}

static json_t *
fn_abs(struct ev *e, const struct node *call, struct arg *a, size_t n)
{
	json_int_t i;

	(void)n;
	if (json_is_integer(a[0].v)) {
		i = json_integer_value(a[0].v);
		if (i == LLONG_MIN)
			return new_or_nomem(e, call, json_real(-(double)i));
		return new_or_nomem(e, call, json_integer(i < 0 ? -i : i));
	}
	return new_or_nomem(e, call, json_real(fabs(json_real_value(a[0].v))));
}

/* Python's sum(): integers exactly while they fit, then floats, left to
 * right. Returns a new number. */
static json_t *
sum_numbers(const json_t *arr)
{
	json_int_t acc = 0, x, next;
	double d = 0;
	int real = 0;
	size_t i;
	const json_t *v;

	for (i = 0; i < json_array_size(arr); i++) {
		v = json_array_get(arr, i);
		if (!real && json_is_integer(v)) {
			x = json_integer_value(v);
			if (!__builtin_add_overflow(acc, x, &next)) {
				acc = next;
				continue;
			}
			/* Past 2^63 Python keeps counting exactly; jansson
			 * cannot hold that, a float comes nearest. */
			d = (double)acc + (double)x;
			real = 1;
			continue;
		}
		if (!real) {
			d = (double)acc;
			real = 1;
		}
		d += num(v);
	}
	return real ? json_real(d) : json_integer(acc);
}

static json_t *
fn_avg(struct ev *e, const struct node *call, struct arg *a, size_t n)
{
	json_t *s;
	double d;

	(void)n;
	if (json_array_size(a[0].v) == 0)
		return json_null();
	if ((s = sum_numbers(a[0].v)) == NULL)
		return nomem(e, call->pos);
	d = num(s) / (double)json_array_size(a[0].v);
	json_decref(s);
	return new_or_nomem(e, call, json_real(d));
}

static json_t *
fn_ceil(struct ev *e, const struct node *call, struct arg *a, size_t n)
{
	(void)n;
	if (json_is_integer(a[0].v))
		return json_incref(a[0].v);
	return new_or_nomem(e, call, integral(ceil(json_real_value(a[0].v))));
}

static json_t *
fn_floor(struct ev *e, const struct node *call, struct arg *a, size_t n)
{
	(void)n;
	if (json_is_integer(a[0].v))
		return json_incref(a[0].v);
	return new_or_nomem(e, call, integral(floor(json_real_value(a[0].v))));
}

static json_t *
fn_contains(struct ev *e, const struct node *call, struct arg *a, size_t n)
{
	const json_t *s = a[0].v, *x = a[1].v;
	size_t i;
	int r;

	(void)n;
	if (json_is_string(s)) {
		/* A string holds only strings. */
		if (!json_is_string(x))
			return json_false();
		if (json_string_length(x) == 0)
			return json_true();
		return json_boolean(memmem(json_string_value(s), json_string_length(s),
		                        json_string_value(x), json_string_length(x)) != NULL);
	}
	for (i = 0; i < json_array_size(s); i++) {
		if ((r = equal(e, json_array_get(s, i), x, 0, call->pos)) != 0)
			return r < 0 ? NULL : json_true();
	}
	return json_false();
}

static json_t *
fn_ends_with(struct ev *e, const struct node *call, struct arg *a, size_t n)
{
	size_t ls = json_string_length(a[0].v), lx = json_string_length(a[1].v);

	(void)e;
	(void)call;
	(void)n;
	return json_boolean(lx <= ls && memcmp(json_string_value(a[0].v) + ls - lx,
	                                    json_string_value(a[1].v), lx) == 0);
}

static json_t *
fn_starts_with(struct ev *e, const struct node *call, struct arg *a, size_t n)
{
	size_t ls = json_string_length(a[0].v), lx = json_string_length(a[1].v);

	(void)e;
	(void)call;
	(void)n;
	return json_boolean(
	    lx <= ls && memcmp(json_string_value(a[0].v), json_string_value(a[1].v), lx) == 0);
}

static json_t *
fn_join(struct ev *e, const struct node *call, struct arg *a, size_t n)
{
	const json_t *arr = a[1].v;
	size_t i, total = 0, sep = json_string_length(a[0].v), k, len;
	json_t *r;
	char *buf;

	(void)n;
	for (i = 0; i < json_array_size(arr); i++) {
		len = json_string_length(json_array_get(arr, i)) + (i > 0 ? sep : 0);
		if (len > ACMB_JMESPATH_RESULT_BYTES_MAX || total > ACMB_JMESPATH_RESULT_BYTES_MAX)
			break;
		total += len;
	}
	if (budget_bytes(e, call->pos, total) != 0)
		return NULL;
	if ((buf = malloc(total + 1)) == NULL)
		return nomem(e, call->pos);
	for (i = 0, k = 0; i < json_array_size(arr); i++) {
		if (i > 0) {
			memcpy(buf + k, json_string_value(a[0].v), sep);
			k += sep;
		}
		len = json_string_length(json_array_get(arr, i));
		memcpy(buf + k, json_string_value(json_array_get(arr, i)), len);
		k += len;
	}
	r = json_stringn_nocheck(buf, k);
	free(buf);
	return new_or_nomem(e, call, r);
}

static json_t *
fn_keys(struct ev *e, const struct node *call, struct arg *a, size_t n)
{
	const char *key;
	json_t *out, *item;
	size_t klen;

	(void)n;
	if ((out = json_array()) == NULL)
		return nomem(e, call->pos);
	json_object_keylen_foreach(a[0].v, key, klen, item)
	{
		(void)item;
		if (step(e, call->pos, 1) != 0 ||
		    json_array_append_new(out, json_stringn_nocheck(key, klen)) != 0) {
			json_decref(out);
			return e->failed ? NULL : nomem(e, call->pos);
		}
	}
	return out;
}

static json_t *
fn_values(struct ev *e, const struct node *call, struct arg *a, size_t n)
{
	const char *key;
	json_t *out, *item;

	(void)n;
	if ((out = json_array()) == NULL)
		return nomem(e, call->pos);
	json_object_foreach(a[0].v, key, item)
	{
		if (step(e, call->pos, 1) != 0 || json_array_append(out, item) != 0) {
			json_decref(out);
			return e->failed ? NULL : nomem(e, call->pos);
		}
	}
	return out;
}

/* Code points of a UTF-8 string: every byte but continuation bytes. */
static size_t
utf8_count(const char *s, size_t n)
{
	size_t i, c = 0;

	for (i = 0; i < n; i++)
		c += ((unsigned char)s[i] & 0xc0) != 0x80;
	return c;
}

static json_t *
fn_length(struct ev *e, const struct node *call, struct arg *a, size_t n)
{
	const json_t *v = a[0].v;
	size_t len;

	(void)n;
	if (json_is_string(v))
		len = utf8_count(json_string_value(v), json_string_length(v));
	else
		len = json_is_array(v) ? json_array_size(v) : json_object_size(v);
	return new_or_nomem(e, call, json_integer((json_int_t)len));
}

static json_t *
fn_map(struct ev *e, const struct node *call, struct arg *a, size_t n)
{
	json_t *out, *r;
	size_t i;

	(void)n;
	if ((out = json_array()) == NULL)
		return nomem(e, call->pos);
	for (i = 0; i < json_array_size(a[1].v); i++) {
		/* map keeps nulls, unlike a projection. */
		if ((r = eval(e, a[0].expref, json_array_get(a[1].v, i))) == NULL ||
		    json_array_append_new(out, r) != 0) {
			json_decref(out);
			return e->failed ? NULL : nomem(e, call->pos);
		}
	}
	return out;
}

/* The first greatest (sign 1) or least (sign -1) element. */
static json_t *
extreme(struct ev *e, const struct node *call, const json_t *arr, int sign)
{
	const json_t *best = NULL, *x;
	size_t i;

	for (i = 0; i < json_array_size(arr); i++) {
		x = json_array_get(arr, i);
		if (step(e, call->pos, 1) != 0)
			return NULL;
		if (best == NULL || cmp_scalar(x, best) * sign > 0)
			best = x;
	}
	return best == NULL ? json_null() : json_incref((json_t *)best);
}

static json_t *
fn_max(struct ev *e, const struct node *call, struct arg *a, size_t n)
{
	(void)n;
	return extreme(e, call, a[0].v, 1);
}

static json_t *
fn_min(struct ev *e, const struct node *call, struct arg *a, size_t n)
{
	(void)n;
	return extreme(e, call, a[0].v, -1);
}

/* Keys of sort_by, min_by, max_by: every element through the expression;
 * each key must be a number or a string, and all of the first one's kind
 * (python-jmespath checks each key, then cannot order mixed kinds). */
static json_t **
by_keys(struct ev *e, const struct node *call, struct arg *a)
{
	const json_t *arr = a[0].v;
	size_t i, n = json_array_size(arr);
	json_t **keys;

	if ((keys = calloc(n, sizeof(json_t *))) == NULL) {
		nomem(e, call->pos);
		return NULL;
	}
	for (i = 0; i < n; i++) {
		if ((keys[i] = eval(e, a[1].expref, json_array_get(arr, i))) == NULL)
			goto fail;
		if (!json_is_number(keys[i]) && !json_is_string(keys[i])) {
			ev_fail(e, ACMB_JMESPATH_INVALID_TYPE, call->pos,
			    "%s() expression must give a number or a string, not %s (element %zu)",
			    call->fn->name, type_name(keys[i]), i);
			goto fail;
		}
		if (i > 0 && json_is_number(keys[i]) != json_is_number(keys[0])) {
			ev_fail(e, ACMB_JMESPATH_INVALID_TYPE, call->pos,
			    "%s() expression must give the same type for every element: element 0 "
			    "gives %s, element %zu %s",
			    call->fn->name, type_name(keys[0]), i, type_name(keys[i]));
			goto fail;
		}
	}
	return keys;
fail:
	for (i = 0; i < n; i++)
		json_decref(keys[i]);
	free(keys);
	return NULL;
}

static void
free_keys(json_t **keys, size_t n)
{
	size_t i;

	for (i = 0; keys != NULL && i < n; i++)
		json_decref(keys[i]);
	free(keys);
}

static json_t *
by_extreme(struct ev *e, const struct node *call, struct arg *a, int sign)
{
	size_t i, best = 0, n = json_array_size(a[0].v);
	json_t **keys;

	if (n == 0)
		return json_null();
	if ((keys = by_keys(e, call, a)) == NULL)
		return NULL;
	for (i = 1; i < n; i++)
		if (cmp_scalar(keys[i], keys[best]) * sign > 0)
			best = i;
	free_keys(keys, n);
	return json_incref(json_array_get(a[0].v, best));
}

static json_t *
fn_max_by(struct ev *e, const struct node *call, struct arg *a, size_t n)
{
	(void)n;
	return by_extreme(e, call, a, 1);
}

static json_t *
fn_min_by(struct ev *e, const struct node *call, struct arg *a, size_t n)
{
	(void)n;
	return by_extreme(e, call, a, -1);
}

static json_t *
fn_merge(struct ev *e, const struct node *call, struct arg *a, size_t n)
{
	json_t *out;
	size_t i;

	if ((out = json_object()) == NULL)
		return nomem(e, call->pos);
	for (i = 0; i < n; i++) {
		if (step(e, call->pos, json_object_size(a[i].v) + 1) != 0 ||
		    json_object_update(out, a[i].v) != 0) {
			json_decref(out);
			return e->failed ? NULL : nomem(e, call->pos);
		}
	}
	return out;
}

static json_t *
fn_not_null(struct ev *e, const struct node *call, struct arg *a, size_t n)
{
	size_t i;

	(void)e;
	(void)call;
	for (i = 0; i < n; i++)
		if (!json_is_null(a[i].v))
			return json_incref(a[i].v);
	return json_null();
}

static json_t *
fn_reverse(struct ev *e, const struct node *call, struct arg *a, size_t n)
{
	const json_t *v = a[0].v;
	const char *s;
	size_t i, len, k, cl;
	json_t *out;
	char *buf;

	(void)n;
	if (json_is_array(v)) {
		if ((out = json_array()) == NULL)
			return nomem(e, call->pos);
		for (i = json_array_size(v); i > 0; i--) {
			if (step(e, call->pos, 1) != 0 ||
			    json_array_append(out, json_array_get(v, i - 1)) != 0) {
				json_decref(out);
				return e->failed ? NULL : nomem(e, call->pos);
			}
		}
		return out;
	}
	/* By code point: each UTF-8 sequence is copied whole. */
	s = json_string_value(v);
	len = json_string_length(v);
	if (budget_bytes(e, call->pos, len) != 0)
		return NULL;
	if ((buf = malloc(len + 1)) == NULL)
		return nomem(e, call->pos);
	for (i = 0, k = len; i < len; i += cl) {
		for (cl = 1; i + cl < len && ((unsigned char)s[i + cl] & 0xc0) == 0x80; cl++)
			;
		k -= cl;
		memcpy(buf + k, s + i, cl);
	}
	out = json_stringn_nocheck(buf, len);
	free(buf);
	return new_or_nomem(e, call, out);
}

/* A stable merge sort of idx[0..n) by keys[idx[]], as Python's sorted(). */
static int
merge_sort(struct ev *e, size_t pos, size_t *idx, size_t *tmp, json_t **keys, size_t n)
{
	size_t width, lo, mid, hi, i, j, k;

	for (width = 1; width < n; width *= 2) {
		for (lo = 0; lo < n; lo += 2 * width) {
			mid = lo + width < n ? lo + width : n;
			hi = lo + 2 * width < n ? lo + 2 * width : n;
			if (step(e, pos, hi - lo) != 0)
				return -1;
			for (i = lo, j = mid, k = lo; k < hi; k++)
				tmp[k] = i < mid && (j >= hi ||
				                        cmp_scalar(keys[idx[j]], keys[idx[i]]) >= 0)
				             ? idx[i++]
				             : idx[j++];
		}
		memcpy(idx, tmp, n * sizeof(*idx));
	}
	return 0;
}

static json_t *
sorted(struct ev *e, const struct node *call, const json_t *arr, json_t **keys)
{
	size_t i, n = json_array_size(arr), *idx = NULL, *tmp = NULL;
	json_t *out = NULL;

	if ((idx = calloc(n + 1, sizeof(*idx))) == NULL ||
	    (tmp = calloc(n + 1, sizeof(*tmp))) == NULL) {
		nomem(e, call->pos);
		goto out;
	}
	for (i = 0; i < n; i++)
		idx[i] = i;
	if (merge_sort(e, call->pos, idx, tmp, keys, n) != 0)
		goto out;
	if ((out = json_array()) == NULL) {
		nomem(e, call->pos);
		goto out;
	}
	for (i = 0; i < n; i++) {
		if (json_array_append(out, json_array_get(arr, idx[i])) != 0) {
			json_decref(out);
			out = nomem(e, call->pos);
			goto out;
		}
	}
out:
	free(idx);
	free(tmp);
	return out;
}

static json_t *
fn_sort(struct ev *e, const struct node *call, struct arg *a, size_t n)
{
	size_t i, len = json_array_size(a[0].v);
	json_t **keys, *out;

	(void)n;
	if ((keys = calloc(len + 1, sizeof(json_t *))) == NULL)
		return nomem(e, call->pos);
	for (i = 0; i < len; i++)
		keys[i] = json_array_get(a[0].v, i);
	out = sorted(e, call, a[0].v, keys);
	free(keys);
	return out;
}

static json_t *
fn_sort_by(struct ev *e, const struct node *call, struct arg *a, size_t n)
{
	size_t len = json_array_size(a[0].v);
	json_t **keys, *out;

	(void)n;
	if (len == 0)
		return json_incref(a[0].v);
	if ((keys = by_keys(e, call, a)) == NULL)
		return NULL;
	out = sorted(e, call, a[0].v, keys);
	free_keys(keys, len);
	return out;
}

static json_t *
fn_sum(struct ev *e, const struct node *call, struct arg *a, size_t n)
{
	(void)n;
	return new_or_nomem(e, call, sum_numbers(a[0].v));
}

static json_t *
fn_to_array(struct ev *e, const struct node *call, struct arg *a, size_t n)
{
	json_t *out;

	(void)n;
	if (json_is_array(a[0].v))
		return json_incref(a[0].v);
	if ((out = json_array()) == NULL || json_array_append(out, a[0].v) != 0) {
		json_decref(out);
		return nomem(e, call->pos);
	}
	return out;
}

static json_t *
fn_to_string(struct ev *e, const struct node *call, struct arg *a, size_t n)
{
	static const struct acmb_pyjson_style compact = {-1, 1};
	char *s = NULL;
	size_t len = 0;
	json_t *out;
	int r;

	(void)n;
	if (json_is_string(a[0].v))
		return json_incref(a[0].v);
	r = acmb_pyjson_dumps(
	    a[0].v, &compact, ACMB_JMESPATH_RESULT_BYTES_MAX - e->bytes, &s, &len);
	if (r == ACMB_PYJSON_NOMEM)
		return nomem(e, call->pos);
	if (r != ACMB_PYJSON_OK || budget_bytes(e, call->pos, len) != 0) {
		free(s);
		return ev_fail(e, ACMB_JMESPATH_LIMIT, call->pos,
		    "to_string() would build more than %zu bytes or nest too deep",
		    ACMB_JMESPATH_RESULT_BYTES_MAX);
	}
	out = json_stringn_nocheck(s, len);
	free(s);
	return new_or_nomem(e, call, out);
}

static int
is_space(char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v';
}

/*
 * Python's int(s), then float(s), over ASCII: blanks around, a sign,
 * digits with single '_' between them; a float may have a '.', an exponent,
 * or no digits before or after the '.'. "inf" and "nan" are numbers to
 * Python but not to JSON: they give null here. Writes the digits without
 * '_' to out (outlen bytes). Returns 1 for an integer, 2 for a float, 0
 * for neither.
 */
static int
number_text(const char *s, size_t n, char *out, size_t outlen)
{
	size_t i = 0, end = n, k = 0;
	int digits = 0, frac_digits = 0, exp_digits = 0, dot = 0, exp = 0;

	while (i < end && is_space(s[i]))
		i++;
	while (end > i && is_space(s[end - 1]))
		end--;
	if (i == end || end - i >= outlen)
		return 0;
	if (s[i] == '+' || s[i] == '-')
		out[k++] = s[i++];
	for (; i < end; i++) {
		char c = s[i];

		if (is_digit(c)) {
			if (exp)
				exp_digits++;
			else if (dot)
				frac_digits++;
			else
				digits++;
			out[k++] = c;
		} else if (c == '_') {
			/* only between two digits */
			if (i == 0 || !is_digit(s[i - 1]) || i + 1 >= end || !is_digit(s[i + 1]))
				return 0;
		} else if (c == '.' && !dot && !exp) {
			dot = 1;
			out[k++] = c;
		} else if ((c == 'e' || c == 'E') && !exp && (digits || frac_digits)) {
			exp = 1;
			out[k++] = c;
			if (i + 1 < end && (s[i + 1] == '+' || s[i + 1] == '-'))
				out[k++] = s[++i];
		} else {
			return 0;
		}
	}
	out[k] = '\0';
	if (digits + frac_digits == 0 || (exp && exp_digits == 0))
		return 0;
	return dot || exp ? 2 : 1;
}

static json_t *
fn_to_number(struct ev *e, const struct node *call, struct arg *a, size_t n)
{
	const json_t *v = a[0].v;
	char buf[512], *end;
	long long i;
	double d;
	int kind;

	(void)n;
	if (json_is_number(v))
		return json_incref((json_t *)v);
	if (!json_is_string(v))
		return json_null();
	kind = number_text(json_string_value(v), json_string_length(v), buf, sizeof(buf));
	if (kind == 1) {
		errno = 0;
		i = strtoll(buf, &end, 10);
		if (errno == 0)
			return new_or_nomem(e, call, json_integer(i));
		/* Python's int has no bound; the nearest jansson holds is a float. */
		kind = 2;
	}
	if (kind == 2) {
		d = strtod(buf, &end);
		if (!isfinite(d))
			return json_null();
		return new_or_nomem(e, call, json_real(d));
	}
	return json_null();
}

static json_t *
fn_type(struct ev *e, const struct node *call, struct arg *a, size_t n)
{
	(void)n;
	return new_or_nomem(e, call, json_string(type_name(a[0].v)));
}

static const struct fn functions[] = {
    {"abs", 1, 0, {TY_NUMBER}, fn_abs},
    {"avg", 1, 0, {TY_ARRAY | TY_OF_NUMBER}, fn_avg},
    {"ceil", 1, 0, {TY_NUMBER}, fn_ceil},
    {"contains", 2, 0, {TY_ARRAY | TY_STRING, TY_ANY}, fn_contains},
    {"ends_with", 2, 0, {TY_STRING, TY_STRING}, fn_ends_with},
    {"floor", 1, 0, {TY_NUMBER}, fn_floor},
    {"join", 2, 0, {TY_STRING, TY_ARRAY | TY_OF_STRING}, fn_join},
    {"keys", 1, 0, {TY_OBJECT}, fn_keys},
    {"length", 1, 0, {TY_STRING | TY_ARRAY | TY_OBJECT}, fn_length},
    {"map", 2, 0, {TY_EXPREF, TY_ARRAY}, fn_map},
    {"max", 1, 0, {TY_ARRAY | TY_OF_NUMBER | TY_OF_STRING}, fn_max},
    {"max_by", 2, 0, {TY_ARRAY, TY_EXPREF}, fn_max_by},
    {"merge", 1, 1, {TY_OBJECT}, fn_merge},
    {"min", 1, 0, {TY_ARRAY | TY_OF_NUMBER | TY_OF_STRING}, fn_min},
    {"min_by", 2, 0, {TY_ARRAY, TY_EXPREF}, fn_min_by},
    {"not_null", 1, 1, {TY_ANY}, fn_not_null},
    {"reverse", 1, 0, {TY_ARRAY | TY_STRING}, fn_reverse},
    {"sort", 1, 0, {TY_ARRAY | TY_OF_NUMBER | TY_OF_STRING}, fn_sort},
    {"sort_by", 2, 0, {TY_ARRAY, TY_EXPREF}, fn_sort_by},
    {"starts_with", 2, 0, {TY_STRING, TY_STRING}, fn_starts_with},
    {"sum", 1, 0, {TY_ARRAY | TY_OF_NUMBER}, fn_sum},
    {"to_array", 1, 0, {TY_ANY}, fn_to_array},
    {"to_number", 1, 0, {TY_ANY}, fn_to_number},
    {"to_string", 1, 0, {TY_ANY}, fn_to_string},
    {"type", 1, 0, {TY_ANY}, fn_type},
    {"values", 1, 0, {TY_OBJECT}, fn_values},
};

static const struct fn *
fn_lookup(const char *name, size_t len)
{
	size_t i;

	for (i = 0; i < sizeof(functions) / sizeof(functions[0]); i++)
		if (strlen(functions[i].name) == len && memcmp(functions[i].name, name, len) == 0)
			return &functions[i];
	return NULL;
}
