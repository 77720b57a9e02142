#include "source-pkcs11.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "context.h"
#include "export-policy.h"
#include "pkcs11/p11-cache.h"
#include "pkcs11/p11-export.h"
#include "pkcs11/p11-module.h"
#include "pkcs11/p11-object.h"
#include "pkcs11/p11-pair.h"
#include "pkcs11/p11-session.h"
#include "pkcs11/p11-uri.h"

enum { U_CERT = 0, U_KEY, U_CHAIN, U_WRAP };

static const char *const field_name[] = {
    "--certificate", "--private-key", "--certificate-chain", "--wrapping-key"};

/* A token with its session (the run's, from the token cache), shared by
 * every URI on it. */
struct open_token {
	struct acmb_p11_token tok;
	CK_SESSION_HANDLE s;
};

struct ctx {
	struct acmb_pkcs11_spec *spec;
	struct acmb_p11_cache *cache;  /* the context's */
	struct acmb_p11_modules *mods; /* the cache's */
	struct open_token open[ACMB_P11_TOKENS_MAX];
	size_t nopen;
};

/* One object found through a URI, and where. */
struct found {
	struct open_token *ot;
	CK_OBJECT_HANDLE h;
};

#define FOUND_MAX 16

static char **
spec_field(struct acmb_pkcs11_spec *spec, int i)
{
	switch (i) {
	case U_CERT:
		return &spec->certificate;
	case U_KEY:
		return &spec->private_key;
	case U_CHAIN:
		return &spec->certificate_chain;
	}
	return &spec->token.wrapping_key;
}

int
acmb_pkcs11_spec_wanted(const struct acmb_pkcs11_spec *spec)
{
	return acmb_p11_uri_is(spec->certificate) || acmb_p11_uri_is(spec->private_key) ||
	       acmb_p11_uri_is(spec->certificate_chain);
}

int
acmb_pkcs11_spec_prepare(struct acmb_pkcs11_spec *spec, acmb_err *err)
{
	char **f;
	int i, seen, r;

	if (spec->prepared)
		return ACMB_OK;
	for (i = U_CERT; i <= U_WRAP; i++) {
		f = spec_field(spec, i);
		if (!acmb_p11_uri_is(*f))
			continue;
		if ((r = acmb_p11_uri_parse(*f, &spec->parsed[i], &seen, err)) != ACMB_OK) {
			char msg[ACMB_ERRMSG_MAX];

			snprintf(msg, sizeof(msg), "%s", err != NULL ? err->msg : "");
			acmb_pkcs11_spec_clear(spec);
			return acmb_error(err, r, "%s: %s", field_name[i], msg);
		}
		spec->pin_value_seen |= seen;
	}
	if (spec->token.wrapping_key != NULL && spec->parsed[U_WRAP] == NULL) {
		acmb_pkcs11_spec_clear(spec);
		return acmb_error(err, ACMB_E_USAGE, "--wrapping-key must be a pkcs11: URI");
	}
	spec->prepared = 1;
	return ACMB_OK;
}

void
acmb_pkcs11_spec_clear(struct acmb_pkcs11_spec *spec)
{
	int i;

	for (i = U_CERT; i <= U_WRAP; i++) {
		acmb_p11_uri_free(spec->parsed[i]);
		spec->parsed[i] = NULL;
	}
	spec->prepared = 0;
}

static void
ctx_close(struct ctx *c)
{
	/* Sessions and modules stay open in the context's cache for the run. */
	c->nopen = 0;
	c->mods = NULL;
}

static int
ctx_open_modules(struct ctx *c, acmb_err *err)
{
	const char *path = c->spec->token.module, *p;
	int i;

	for (i = U_CERT; i <= U_WRAP && path == NULL; i++) {
		if (c->spec->parsed[i] == NULL)
			continue;
		p = p11_kit_uri_get_module_path(acmb_p11_uri_kit(c->spec->parsed[i]));
		if (p != NULL)
			path = p;
	}
	return acmb_p11_cache_modules(c->cache, path, &c->mods, err);
}

static int
token_session(struct ctx *c, const struct acmb_p11_token *t, struct open_token **out, acmb_err *err)
{
	struct open_token *ot;
	size_t i;
	int r;

	*out = NULL;
	for (i = 0; i < c->nopen; i++) {
		if (c->open[i].tok.fn == t->fn && c->open[i].tok.slot == t->slot) {
			*out = &c->open[i];
			return ACMB_OK;
		}
	}
	if (c->nopen == ACMB_P11_TOKENS_MAX)
		return acmb_error(err, ACMB_E_TOKEN, "too many tokens");
	ot = &c->open[c->nopen];
	memset(ot, 0, sizeof(*ot));
	ot->tok = *t;
	if ((r = acmb_p11_cache_session(c->cache, &ot->tok, 0, &ot->s, err)) != ACMB_OK)
		return r;
	c->nopen++;
	*out = ot;
	return ACMB_OK;
}

/* Once per token for the run: the cache remembers. */
static int
token_login(struct ctx *c, struct open_token *ot, struct acmb_p11_uri *uri, acmb_err *err)
{
	return acmb_p11_cache_login(c->cache, &ot->tok, ot->s, &c->spec->token.pin, uri, err);
}

static void append(char *buf, size_t len, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void
append(char *buf, size_t len, const char *fmt, ...)
{
	size_t n = strlen(buf);
	va_list ap;

	if (n + 1 >= len)
		return;
	va_start(ap, fmt);
	/* clang-analyzer 14 loses the va_start above on some inlined paths
	 * (a known false positive). NOLINTNEXTLINE(clang-analyzer-valist.Uninitialized) */
	vsnprintf(buf + n, len - n, fmt, ap);
	va_end(ap);
}

/* Lists the tokens there are, for "no token matches" messages. */
static void
tokens_seen(struct ctx *c, char *buf, size_t len)
{
	struct acmb_p11_token all[ACMB_P11_TOKENS_MAX];
	size_t n = 0, i;

	buf[0] = '\0';
	if (acmb_p11_tokens_find(c->mods, NULL, all, ACMB_P11_TOKENS_MAX, &n, NULL) != ACMB_OK ||
	    n == 0) {
		snprintf(buf, len, "none");
		return;
	}
	for (i = 0; i < n; i++)
		append(buf, len, "%s'%s'", i > 0 ? ", " : "", all[i].label);
}

/*
 * Finds the objects of class cls that uri names, on every token it
 * matches. Logs in first when login is set (private keys). No matching
 * token is "token not present"; no or too many objects is the caller's
 * call, with describe_found() for the message.
 */
static int
find_by_uri(struct ctx *c, int field, CK_OBJECT_CLASS cls, int login, struct found *fo, size_t *nfo,
    size_t *total, acmb_err *err)
{
	struct acmb_p11_uri *uri = c->spec->parsed[field];
	struct acmb_p11_token toks[ACMB_P11_TOKENS_MAX];
	CK_OBJECT_HANDLE h[FOUND_MAX];
	struct open_token *ot;
	size_t ntok = 0, i, j, n;
	char seen[512];
	int r;

	*nfo = 0;
	*total = 0;
	if ((r = acmb_p11_tokens_find(c->mods, uri, toks, ACMB_P11_TOKENS_MAX, &ntok, err)) !=
	    ACMB_OK)
		return r;
	if (ntok == 0) {
		tokens_seen(c, seen, sizeof(seen));
		return acmb_error(err, ACMB_E_TOKEN,
		    "%s: token not present: no token matches "
		    "'%s' (tokens present: %s)",
		    field_name[field], acmb_p11_uri_text(uri), seen);
	}
	for (i = 0; i < ntok; i++) {
		if ((r = token_session(c, &toks[i], &ot, err)) != ACMB_OK)
			return r;
		if (login && (r = token_login(c, ot, uri, err)) != ACMB_OK)
			return r;
		if ((r = acmb_p11_find_uri(&ot->tok, ot->s, uri, cls, h, FOUND_MAX, &n, err)) !=
		    ACMB_OK)
			return r;
		*total += n;
		for (j = 0; j < n && j < FOUND_MAX && *nfo < FOUND_MAX; j++) {
			fo[*nfo].ot = ot;
			fo[(*nfo)++].h = h[j];
		}
	}
	return ACMB_OK;
}

static void
describe_found(const struct found *fo, size_t n, char *buf, size_t len)
{
	struct acmb_p11_object o;
	char name[200];
	size_t i;

	buf[0] = '\0';
	for (i = 0; i < n; i++) {
		if (acmb_p11_object_describe(&fo[i].ot->tok, fo[i].ot->s, fo[i].h, &o, NULL) !=
		    ACMB_OK)
			continue;
		acmb_p11_object_name(&o, name, sizeof(name));
		append(buf, len, "%stoken '%s' %s", i > 0 ? "; " : "", fo[i].ot->tok.label, name);
	}
}

static int
find_one(struct ctx *c, int field, CK_OBJECT_CLASS cls, int login, struct found *one, acmb_err *err)
{
	struct found fo[FOUND_MAX];
	size_t n = 0, total = 0;
	char list[700];
	int r;

	if ((r = find_by_uri(c, field, cls, login, fo, &n, &total, err)) != ACMB_OK)
		return r;
	if (n == 1) {
		*one = fo[0];
		return ACMB_OK;
	}
	if (n == 0)
		return acmb_error(err, ACMB_E_TOKEN,
		    "%s: '%s' matches no %s on the token(s) it "
		    "names%s",
		    field_name[field], acmb_p11_uri_text(c->spec->parsed[field]),
		    cls == CKO_CERTIFICATE   ? "certificate"
		    : cls == CKO_PRIVATE_KEY ? "private key"
		                             : "secret key",
		    cls == CKO_PRIVATE_KEY ? " (private keys are seen only after login)" : "");
	describe_found(fo, n, list, sizeof(list));
	return acmb_error(err, ACMB_E_USAGE,
	    "%s: '%s' is ambiguous: it matches %zu objects "
	    "(add id= or object= to name one): %s",
	    field_name[field], acmb_p11_uri_text(c->spec->parsed[field]), total, list);
}

/*
 * Pairs the certificate with its key on the same token, as `list` does
 * (acmb_p11_pair_key(): same CKA_ID first, then the public key).
 */
static int
pair_key(struct ctx *c, struct open_token *ot, X509 *leaf, const struct acmb_p11_object *cert,
    CK_OBJECT_HANDLE *key, acmb_err *err)
{
	int r;

	*key = CK_INVALID_HANDLE;
	if ((r = token_login(c, ot, c->spec->parsed[U_CERT], err)) != ACMB_OK ||
	    (r = acmb_p11_pair_key(&ot->tok, ot->s, leaf, cert->id, cert->id_len, key, err)) !=
	        ACMB_OK)
		return r;
	if (*key == CK_INVALID_HANDLE)
		return acmb_error(err, ACMB_E_TOKEN,
		    "no private key on token '%s' pairs with the "
		    "certificate (none has its CKA_ID or its public key); name it with "
		    "--private-key pkcs11:...",
		    ot->tok.label);
	return ACMB_OK;
}

static int
push_cert(STACK_OF(X509) **sk, X509 *x, acmb_err *err)
{
	if (*sk == NULL && (*sk = sk_X509_new_null()) == NULL)
		return acmb_error(err, ACMB_E_NOMEM, "out of memory");
	if (!sk_X509_push(*sk, x))
		return acmb_error(err, ACMB_E_NOMEM, "out of memory");
	return ACMB_OK;
}

static int
is_ca_object(struct open_token *ot, CK_OBJECT_HANDLE h, X509 *x)
{
	struct acmb_p11_object o;

	if (acmb_p11_object_describe(&ot->tok, ot->s, h, &o, NULL) == ACMB_OK &&
	    o.cert_category == 2)
		return 1;
	return X509_check_ca(x) > 0;
}

/*
 * The chain candidates on the token: the CA certificates (category
 * authority, or basic constraints CA) that issued the leaf or one of its
 * issuers, by name and key identifier (X509_check_issued). A token often
 * holds several CA families; the others are not this leaf's chain. Putting
 * them in ACM's order is left to the rules (acmb_rules_judge()).
 */
static int
chain_from_token(struct open_token *ot, X509 *leaf, STACK_OF(X509) **chain, acmb_err *err)
{
	CK_OBJECT_HANDLE h[64];
	STACK_OF(X509) *cands = NULL;
	X509 *x = NULL, *cur = leaf;
	size_t n = 0, i;
	int r, depth, j;

	if ((r = acmb_p11_find_class(&ot->tok, ot->s, CKO_CERTIFICATE, NULL, 0, h, 64, &n, err)) !=
	    ACMB_OK)
		goto out;
	for (i = 0; i < n && i < 64; i++) {
		if ((r = acmb_p11_cert_x509(&ot->tok, ot->s, h[i], &x, err)) != ACMB_OK)
			goto out;
		if (X509_cmp(x, leaf) == 0 || !is_ca_object(ot, h[i], x)) {
			X509_free(x);
			x = NULL;
			continue;
		}
		if ((r = push_cert(&cands, x, err)) != ACMB_OK)
			goto out;
		x = NULL;
	}
	for (depth = 0; cands != NULL && depth < 16; depth++) {
		for (j = 0; j < sk_X509_num(cands); j++)
			if (X509_check_issued(sk_X509_value(cands, j), cur) == X509_V_OK)
				break;
		if (j == sk_X509_num(cands) || X509_check_issued(cur, cur) == X509_V_OK)
			break;
		x = sk_X509_delete(cands, j);
		if ((r = push_cert(chain, x, err)) != ACMB_OK)
			goto out;
		cur = x;
		x = NULL;
	}
	r = ACMB_OK;
out:
	X509_free(x);
	sk_X509_pop_free(cands, X509_free);
	return r;
}

static int
chain_from_uri(struct ctx *c, X509 *leaf, STACK_OF(X509) **chain, acmb_err *err)
{
	struct found fo[FOUND_MAX];
	X509 *x = NULL;
	size_t n = 0, total = 0, i;
	int r;

	if ((r = find_by_uri(c, U_CHAIN, CKO_CERTIFICATE, 0, fo, &n, &total, err)) != ACMB_OK)
		return r;
	if (n == 0)
		return acmb_error(err, ACMB_E_TOKEN,
		    "--certificate-chain: '%s' matches no "
		    "certificate",
		    acmb_p11_uri_text(c->spec->parsed[U_CHAIN]));
	if (total > n)
		return acmb_error(err, ACMB_E_USAGE,
		    "--certificate-chain: '%s' matches %zu "
		    "certificates, more than the %d a chain may take from tokens",
		    acmb_p11_uri_text(c->spec->parsed[U_CHAIN]), total, FOUND_MAX);
	for (i = 0; i < n; i++) {
		if ((r = acmb_p11_cert_x509(&fo[i].ot->tok, fo[i].ot->s, fo[i].h, &x, err)) !=
		    ACMB_OK)
			return r;
		if (leaf != NULL && X509_cmp(x, leaf) == 0) {
			X509_free(x);
			continue;
		}
		if ((r = push_cert(chain, x, err)) != ACMB_OK) {
			X509_free(x);
			return r;
		}
	}
	return ACMB_OK;
}

static void
key_algorithm(const struct acmb_p11_object *key, EVP_PKEY *pub, char *buf, size_t len)
{
	char group[64];

	if (pub != NULL && EVP_PKEY_is_a(pub, "RSA")) {
		snprintf(buf, len, "RSA-%d", EVP_PKEY_get_bits(pub));
		return;
	}
	if (pub != NULL && EVP_PKEY_get_utf8_string_param(
	                       pub, OSSL_PKEY_PARAM_GROUP_NAME, group, sizeof(group), NULL) == 1) {
		snprintf(buf, len, "EC-%s", group);
		return;
	}
	snprintf(buf, len, "%s", acmb_p11_key_type_name(key->key_type));
}

static void
cert_fingerprint(X509 *x, char *buf, size_t len)
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int n = 0;
	size_t i;

	buf[0] = '\0';
	if (x == NULL || X509_digest(x, EVP_sha256(), md, &n) != 1)
		return;
	for (i = 0; i < n && 2 * i + 2 < len; i++)
		snprintf(buf + 2 * i, 3, "%02x", md[i]);
}

static void
set_source(struct acmb_material *m, int f, const char *text)
{
	m->info[f].present = 1;
	m->info[f].status = ACMB_OK;
	snprintf(m->info[f].source, sizeof(m->info[f].source), "%s", text);
}

/* Audits, checks the policy, and exports the key: in that order, so that
 * even a refusal leaves a record and no key leaves before its record. */
static int
export_audited(struct ctx *c, struct open_token *ot, CK_OBJECT_HANDLE kh, X509 *leaf,
    const struct acmb_export_policy *policy, struct acmb_audit *audit, EVP_PKEY **out,
    acmb_err *err)
{
	struct acmb_p11_object key;
	struct acmb_audit_attempt att;
	enum acmb_p11_export_path path = ACMB_P11_EXPORT_REFUSED;
	struct found trusted = {NULL, CK_INVALID_HANDLE};
	EVP_PKEY *pub = leaf != NULL ? X509_get0_pubkey(leaf) : NULL;
	char idhex[2 * ACMB_P11_ID_MAX + 1], alg[80], fp[65], dest[160];
	acmb_err refusal = {0, ""};
	int r, refused;

	*out = NULL;
	if ((r = acmb_p11_object_describe(&ot->tok, ot->s, kh, &key, err)) != ACMB_OK)
		return r;
	if (c->spec->parsed[U_WRAP] != NULL &&
	    (r = find_one(c, U_WRAP, CKO_SECRET_KEY, 1, &trusted, err)) != ACMB_OK)
		return r;
	if (trusted.ot != NULL && trusted.ot != ot)
		return acmb_error(err, ACMB_E_USAGE,
		    "--wrapping-key names a key on token '%s' but "
		    "the private key is on token '%s'",
		    trusted.ot->tok.label, ot->tok.label);
	refused = acmb_p11_export_plan(&ot->tok, &key, trusted.ot != NULL, &path, &refusal);
	if (refused == ACMB_OK)
		refused = acmb_export_policy_check(policy, ot->tok.serial, key.id, key.id_len,
		    key.label, c->spec->region, c->spec->account, &refusal);
	if (refused != ACMB_OK)
		path = ACMB_P11_EXPORT_REFUSED;
	acmb_p11_id_hex(key.id, key.id_len, idhex, sizeof(idhex));
	key_algorithm(&key, pub, alg, sizeof(alg));
	cert_fingerprint(leaf, fp, sizeof(fp));
	if (c->spec->region != NULL || c->spec->account != NULL)
		snprintf(dest, sizeof(dest), "%s/%s", c->spec->region ? c->spec->region : "?",
		    c->spec->account ? c->spec->account : "?");
	memset(&att, 0, sizeof(att));
	att.token_label = ot->tok.label;
	att.token_serial = ot->tok.serial;
	att.object_id = idhex;
	att.object_label = key.label;
	att.key_algorithm = alg;
	att.path = acmb_p11_export_path_name(path);
	att.cert_sha256 = fp[0] != '\0' ? fp : NULL;
	att.policy = acmb_export_policy_name(policy);
	att.destination = c->spec->region != NULL || c->spec->account != NULL ? dest : NULL;
	if (audit == NULL)
		return acmb_error(err, ACMB_E_EXPORT,
		    "export refused: no audit log is open, and "
		    "no key leaves a token without an audit record");
	if (acmb_audit_begin(audit, &att, err) != ACMB_OK) {
		char msg[ACMB_ERRMSG_MAX];

		snprintf(msg, sizeof(msg), "%s", err != NULL ? err->msg : "");
		return acmb_error(err, ACMB_E_EXPORT,
		    "export refused: the audit record could "
		    "not be written, and no key leaves a token without one: %s",
		    msg);
	}
	if (refused != ACMB_OK) {
		acmb_audit_finish(audit, NULL, &refusal, NULL);
		if (err != NULL)
			*err = refusal;
		return refused;
	}
	r = acmb_p11_export_key(NULL, &ot->tok, ot->s, &key, path, trusted.h, pub, out, err);
	if (r != ACMB_OK)
		acmb_audit_finish(audit, NULL, err, NULL);
	return r;
}

int
acmb_pkcs11_load(struct acmb_pkcs11_spec *spec, struct acmb_material **out,
    struct acmb_audit *audit, acmb_err *err)
{
	struct ctx c;
	struct acmb_ctx *own = NULL, *actx = spec->ctx;
	struct acmb_material *m = NULL;
	const struct acmb_export_policy *policy = NULL;
	struct found cert = {NULL, CK_INVALID_HANDLE}, key = {NULL, CK_INVALID_HANDLE};
	struct acmb_p11_object cert_obj;
	X509 *leaf = NULL;
	EVP_PKEY *pkey = NULL;
	char src[ACMB_SOURCE_MAX];
	int r = ACMB_E_INTERNAL;

	*out = NULL;
	memset(&c, 0, sizeof(c));
	c.spec = spec;
	if ((r = acmb_pkcs11_spec_prepare(spec, err)) != ACMB_OK)
		goto out;
	if (!acmb_pkcs11_spec_wanted(spec)) {
		r = acmb_error(err, ACMB_E_USAGE, "no pkcs11: URI given");
		goto out;
	}
	/* Without the caller's context, one for this call: its tokens are
	 * closed and its kept PIN wiped when the call returns. */
	if (actx == NULL && (r = acmb_ctx_new(&own, err)) != ACMB_OK)
		goto out;
	if (actx == NULL)
		actx = own;
	c.cache = acmb_ctx_tokens(actx);
	if (!spec->certificate_only &&
	    (r = acmb_ctx_export_policy(actx, spec->token.export_policy, &policy, err)) != ACMB_OK)
		goto out;
	if ((m = acmb_material_new()) == NULL) {
		r = acmb_error(err, ACMB_E_NOMEM, "out of memory");
		goto out;
	}
	if ((r = ctx_open_modules(&c, err)) != ACMB_OK)
		goto out;
	if (spec->parsed[U_CERT] != NULL) {
		if ((r = find_one(&c, U_CERT, CKO_CERTIFICATE, 0, &cert, err)) != ACMB_OK ||
		    (r = acmb_p11_cert_x509(&cert.ot->tok, cert.ot->s, cert.h, &leaf, err)) !=
		        ACMB_OK ||
		    (r = acmb_p11_object_describe(
		         &cert.ot->tok, cert.ot->s, cert.h, &cert_obj, err)) != ACMB_OK)
			goto out;
		if ((r = push_cert(&m->certs, leaf, err)) != ACMB_OK)
			goto out;
		X509_up_ref(leaf);
		set_source(m, ACMB_FIELD_CERT, acmb_p11_uri_text(spec->parsed[U_CERT]));
	}
	if (spec->certificate_only) {
		/* Planning: the key stays where it is. */
	} else if (spec->parsed[U_KEY] != NULL) {
		if ((r = find_one(&c, U_KEY, CKO_PRIVATE_KEY, 1, &key, err)) != ACMB_OK)
			goto out;
		snprintf(src, sizeof(src), "%s", acmb_p11_uri_text(spec->parsed[U_KEY]));
	} else if (cert.ot != NULL && spec->private_key == NULL) {
		if ((r = pair_key(&c, cert.ot, leaf, &cert_obj, &key.h, err)) != ACMB_OK)
			goto out;
		key.ot = cert.ot;
		snprintf(src, sizeof(src), "token '%s' (paired with the certificate)",
		    cert.ot->tok.label);
	}
	if (spec->parsed[U_CHAIN] != NULL) {
		if ((r = chain_from_uri(&c, leaf, &m->chain, err)) != ACMB_OK)
			goto out;
		set_source(m, ACMB_FIELD_CHAIN, acmb_p11_uri_text(spec->parsed[U_CHAIN]));
	} else if (cert.ot != NULL && spec->certificate_chain == NULL) {
		if ((r = chain_from_token(cert.ot, leaf, &m->chain, err)) != ACMB_OK)
			goto out;
		if (m->chain != NULL)
			set_source(m, ACMB_FIELD_CHAIN, "the certificate's token");
	}
	if (key.ot != NULL) {
		if ((r = export_audited(&c, key.ot, key.h,
		         leaf != NULL ? leaf : spec->certificate_hint, policy, audit, &pkey,
		         err)) != ACMB_OK)
			goto out;
		m->key = pkey;
		pkey = NULL;
		set_source(m, ACMB_FIELD_KEY, src);
		snprintf(m->info[ACMB_FIELD_KEY].key_format,
		    sizeof(m->info[ACMB_FIELD_KEY].key_format), "PKCS#11");
	}
	*out = m;
	m = NULL;
	r = ACMB_OK;
out:
	ctx_close(&c);
	acmb_ctx_free(own);
	EVP_PKEY_free(pkey);
	X509_free(leaf);
	acmb_material_free(m);
	return r;
}
