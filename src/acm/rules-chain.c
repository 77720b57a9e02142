/*
 * Chain ordering. The path is built upward from the leaf by issuer name and
 * signature; every step scans the certificates not yet used, so the work is
 * O(n^2) name comparisons for n certificates, and signature checks (the
 * expensive part) are capped so that a hostile chain of certificates that
 * all share one name cannot make us verify n^2 signatures.
 */
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/x509.h>

#include "rules-chain.h"

/* Signature checks allowed per certificate given, plus a constant. A
 * well-formed chain needs one per link and one per self-signed test. */
#define CHAIN_VERIFIES_PER_CERT 4
#define CHAIN_VERIFIES_EXTRA 64

char *
acmb_chain_name(X509 *cert, int issuer, char *buf, size_t buflen)
{
	const X509_NAME *name;
	BIO *bio = NULL;
	int n;

	if (buflen == 0)
		return buf;
	buf[0] = '\0';
	name = issuer ? X509_get_issuer_name(cert) : X509_get_subject_name(cert);
	if (name == NULL || (bio = BIO_new(BIO_s_mem())) == NULL)
		return buf;
	/* RFC 2253 escapes control characters, so names print on one line. */
	if (X509_NAME_print_ex(bio, name, 0, XN_FLAG_RFC2253 & ~ASN1_STRFLGS_ESC_MSB) >= 0) {
		n = BIO_read(bio, buf, buflen > (size_t)INT_MAX ? INT_MAX : (int)buflen - 1);
		buf[n > 0 ? n : 0] = '\0';
	}
	BIO_free(bio);
	ERR_clear_error();
	return buf;
}

/*
 * Remembered signature checks between chain certificates. The memo holds a
 * reference to both certificates of each entry, so a pointer pair cannot
 * come to name other certificates while it is remembered.
 */
struct acmb_chain_memo {
	struct {
		X509 *subject;
		X509 *issuer;
		int ok;
	} entry[ACMB_CHAIN_MEMO_MAX];
	size_t used;
	size_t next; /* oldest entry, replaced first when full */
};

acmb_chain_memo *
acmb_chain_memo_new(void)
{
	return calloc(1, sizeof(acmb_chain_memo));
}

void
acmb_chain_memo_free(acmb_chain_memo *memo)
{
	size_t i;

	if (memo == NULL)
		return;
	for (i = 0; i < memo->used; i++) {
		X509_free(memo->entry[i].subject);
		X509_free(memo->entry[i].issuer);
	}
	free(memo);
}

static void
memo_store(acmb_chain_memo *memo, X509 *subject, X509 *issuer, int ok)
{
	size_t slot;

	if (!X509_up_ref(subject))
		return;
	if (!X509_up_ref(issuer)) {
		X509_free(subject);
		return;
	}
	if (memo->used < ACMB_CHAIN_MEMO_MAX) {
		slot = memo->used++;
	} else {
		slot = memo->next;
		memo->next = (memo->next + 1) % ACMB_CHAIN_MEMO_MAX;
		X509_free(memo->entry[slot].subject);
		X509_free(memo->entry[slot].issuer);
	}
	memo->entry[slot].subject = subject;
	memo->entry[slot].issuer = issuer;
	memo->entry[slot].ok = ok;
}

/*
 * Does issuer's key verify subject's signature? Checks between two chain
 * certificates go through memo (NULL allowed); a check of the leaf never
 * does, so every leaf is verified afresh.
 */
static int
chain_verifies(X509 *subject, X509 *issuer, X509 *leaf, acmb_chain_memo *memo, size_t *budget)
{
	EVP_PKEY *pub;
	size_t i;
	int ok;

	if (*budget == 0)
		return 0;
	(*budget)--;
	if (memo != NULL && subject != leaf) {
		for (i = 0; i < memo->used; i++)
			if (memo->entry[i].subject == subject && memo->entry[i].issuer == issuer)
				return memo->entry[i].ok;
	}
	if ((pub = X509_get0_pubkey(issuer)) == NULL) {
		ERR_clear_error();
		return 0;
	}
	ok = X509_verify(subject, pub) == 1;
	ERR_clear_error();
	if (memo != NULL && subject != leaf)
		memo_store(memo, subject, issuer, ok);
	return ok;
}

static int
chain_issued_by_name(X509 *subject, X509 *issuer)
{
	return X509_NAME_cmp(X509_get_issuer_name(subject), X509_get_subject_name(issuer)) == 0;
}

int
acmb_chain_self_signed(X509 *cert)
{
	size_t budget = 1;

	return chain_issued_by_name(cert, cert) && chain_verifies(cert, cert, cert, NULL, &budget);
}

static int
chain_same_key(X509 *a, X509 *b)
{
	EVP_PKEY *ka = X509_get0_pubkey(a), *kb = X509_get0_pubkey(b);
	int eq;

	if (ka == NULL || kb == NULL) {
		ERR_clear_error();
		return 0;
	}
	eq = EVP_PKEY_eq(ka, kb) == 1;
	ERR_clear_error();
	return eq;
}

/*
 * Marks duplicates and leaf copies in drop[], counting them in res.
 * X509_cmp compares the cached SHA-1 of the whole encoding, so this is
 * cheap even though it is quadratic.
 */
static void
chain_mark_drops(
    X509 *leaf, STACK_OF(X509) *chain, int n, unsigned char *drop, struct acmb_chain_result *res)
{
	int i, j;
	X509 *c;

	for (i = 0; i < n; i++) {
		c = sk_X509_value(chain, i);
		if (X509_cmp(c, leaf) == 0) {
			drop[i] = 1;
			res->leaf_copies++;
			continue;
		}
		for (j = 0; j < i; j++) {
			if (!drop[j] && X509_cmp(c, sk_X509_value(chain, j)) == 0) {
				drop[i] = 1;
				res->duplicates++;
				break;
			}
		}
		if (!drop[i] &&
		    X509_NAME_cmp(X509_get_subject_name(c), X509_get_subject_name(leaf)) == 0 &&
		    chain_same_key(c, leaf))
			res->leaf_variants++;
	}
}

/*
 * Finds the unused certificate that issued `cur`, by name and signature.
 * Returns its index, -1 when none; sets *name_only when a certificate has
 * the right name but does not verify, and *used_match when only a
 * certificate already on the path matches (a loop).
 */
static int
chain_find_issuer(X509 *cur, X509 *leaf, STACK_OF(X509) *chain, int n, const unsigned char *drop,
    const unsigned char *used, acmb_chain_memo *memo, size_t *budget, int *name_only,
    int *used_match)
{
	int i;
	X509 *c;

	*name_only = 0;
	*used_match = 0;
	for (i = 0; i < n; i++) {
		if (drop[i] || used[i])
			continue;
		c = sk_X509_value(chain, i);
		if (!chain_issued_by_name(cur, c))
			continue;
		if (chain_verifies(cur, c, leaf, memo, budget))
			return i;
		*name_only = 1;
	}
	for (i = 0; i < n; i++) {
		if (!drop[i] && used[i] && chain_issued_by_name(cur, sk_X509_value(chain, i))) {
			*used_match = 1;
			break;
		}
	}
	return -1;
}

static int
chain_root(X509 *cert, X509 *leaf, acmb_chain_memo *memo, size_t *budget)
{
	return chain_issued_by_name(cert, cert) && chain_verifies(cert, cert, leaf, memo, budget);
}

int
acmb_chain_order(X509 *leaf, STACK_OF(X509) *chain, struct acmb_chain_result *res, acmb_err *err)
{
	return acmb_chain_order_memo(leaf, chain, NULL, res, err);
}

int
acmb_chain_order_memo(X509 *leaf, STACK_OF(X509) *chain, acmb_chain_memo *memo,
    struct acmb_chain_result *res, acmb_err *err)
{
	unsigned char *drop = NULL, *used = NULL;
	int *order = NULL;
	X509 **saved = NULL;
	STACK_OF(X509) *dropped = NULL;
	X509 *cur, *c;
	size_t budget;
	int n, i, next, norder = 0, name_only, used_match, leaf_self_signed;
	int r = ACMB_E_INTERNAL;

	memset(res, 0, sizeof(*res));
	if (leaf == NULL || chain == NULL)
		return acmb_error(err, ACMB_E_INTERNAL, "chain ordering needs a leaf and a chain");
	n = sk_X509_num(chain);
	res->given = n > 0 ? (size_t)n : 0;
	if (n <= 0)
		return ACMB_OK;
	if (n > ACMB_CHAIN_MAX_CERTS) {
		res->too_long = 1;
		return ACMB_OK;
	}
	budget = (size_t)n * CHAIN_VERIFIES_PER_CERT + CHAIN_VERIFIES_EXTRA;
	if ((drop = calloc((size_t)n, 1)) == NULL || (used = calloc((size_t)n, 1)) == NULL ||
	    (order = calloc((size_t)n, sizeof(*order))) == NULL ||
	    (dropped = sk_X509_new_null()) == NULL) {
		r = acmb_error(err, ACMB_E_NOMEM, "out of memory ordering the chain");
		goto out;
	}
	chain_mark_drops(leaf, chain, n, drop, res);

	/* Walk up from the leaf; a self-signed leaf has no issuer to find. */
	cur = leaf;
	leaf_self_signed = acmb_chain_self_signed(leaf);
	if (!leaf_self_signed) {
		for (;;) {
			next = chain_find_issuer(cur, leaf, chain, n, drop, used, memo, &budget,
			    &name_only, &used_match);
			if (next < 0) {
				if (cur == leaf)
					res->issuer_name_only = name_only;
				if (used_match) {
					res->loop = 1;
					acmb_chain_name(
					    cur, 0, res->loop_subject, sizeof(res->loop_subject));
				}
				break;
			}
			if (cur == leaf)
				res->issuer_found = 1;
			used[next] = 1;
			order[norder++] = next;
			cur = sk_X509_value(chain, next);
			if (chain_root(cur, leaf, memo, &budget)) {
				res->ends_at_root = 1;
				break;
			}
			if (budget == 0)
				break;
		}
	}
	if (budget == 0)
		res->too_long = 1;
	if (norder > 0 && !res->ends_at_root)
		acmb_chain_name(cur, 1, res->top_issuer, sizeof(res->top_issuer));
	res->path_len = (size_t)norder;
	for (i = 0; i < norder; i++)
		if (order[i] != i)
			res->reordered = 1;
	for (i = 0; i < n; i++) {
		if (drop[i] || used[i])
			continue;
		if (res->unlinked == 0)
			acmb_chain_name(sk_X509_value(chain, i), 0, res->first_unlinked,
			    sizeof(res->first_unlinked));
		res->unlinked++;
		order[norder++] = i;
	}
	/* Nothing is missing above a self-signed leaf: left-overs are just extra. */
	if (res->unlinked > 0 && !res->ends_at_root && !res->loop && !leaf_self_signed) {
		if (norder - (int)res->unlinked > 0)
			acmb_chain_name(cur, 1, res->missing, sizeof(res->missing));
		else
			acmb_chain_name(leaf, 1, res->missing, sizeof(res->missing));
	}
	for (i = 0; i < norder; i++)
		if (order[i] != i)
			res->reordered = 1;
	res->changed = res->reordered || res->duplicates > 0 || res->leaf_copies > 0;

	/* Rebuild in place: the material keeps its stack, callers keep pointers. */
	for (i = 0; i < n; i++) {
		if (drop[i] && !sk_X509_push(dropped, sk_X509_value(chain, i))) {
			r = acmb_error(err, ACMB_E_NOMEM, "out of memory ordering the chain");
			goto out;
		}
	}
	/* An array of pointers, which clang-tidy 14 takes for a mistaken
	 * sizeof(struct *): NOLINTNEXTLINE(bugprone-sizeof-expression) */
	if ((saved = calloc((size_t)n, sizeof(*saved))) == NULL) {
		r = acmb_error(err, ACMB_E_NOMEM, "out of memory ordering the chain");
		goto out;
	}
	for (i = 0; i < n; i++)
		saved[i] = sk_X509_value(chain, i);
	/* The stack already holds n slots, so setting them cannot fail. */
	for (i = 0; i < norder; i++)
		(void)sk_X509_set(chain, i, saved[order[i]]);
	while (sk_X509_num(chain) > norder)
		(void)sk_X509_pop(chain);
	while ((c = sk_X509_pop(dropped)) != NULL)
		X509_free(c);
	r = ACMB_OK;
out:
	sk_X509_free(dropped);
	free(saved);
	free(order);
	free(used);
	free(drop);
	return r;
}
