/*
 * Ordering a certificate chain the way ACM wants it: the leaf's issuer
 * first, each certificate certifying the one before it, the root (if sent)
 * last, no duplicates and no copy of the leaf. Used by the rules (check)
 * and by import, which sends the order this produces.
 */
#ifndef ACMB_RULES_CHAIN_H
#define ACMB_RULES_CHAIN_H

#include <stddef.h>

#include <openssl/x509.h>

#include "error.h"

/* The work is bounded: chains longer than this are not ordered, and the
 * signature checks tried while linking are capped (see rules-chain.c). */
#define ACMB_CHAIN_MAX_CERTS 4096
#define ACMB_CHAIN_NAME_MAX 256

struct acmb_chain_result {
	size_t given;         /* certificates as given */
	size_t duplicates;    /* exact duplicates dropped */
	size_t leaf_copies;   /* copies of the leaf dropped */
	size_t leaf_variants; /* other certificates with the leaf's subject and key, kept */
	size_t path_len;      /* certificates linked upward from the leaf, now first */
	size_t unlinked;      /* certificates left over after the path, now last */
	int reordered;        /* the path was not in the order given */
	int changed;          /* the chain differs from what was given */
	int too_long;         /* over ACMB_CHAIN_MAX_CERTS or the signature budget */
	int issuer_found;     /* the leaf's issuer is chain[0] and verifies it */
	int issuer_name_only; /* a certificate has the leaf's issuer name but does not verify it */
	int ends_at_root;     /* the last certificate of the path is self-signed */
	int loop;             /* the path leads back to a certificate already on it */
	char missing[ACMB_CHAIN_NAME_MAX]; /* issuer not found above the path's top, or "" */
	char
	    loop_subject[ACMB_CHAIN_NAME_MAX]; /* certificate whose issuer is already on the path */
	char top_issuer[ACMB_CHAIN_NAME_MAX];  /* issuer of the path's last certificate */
	char first_unlinked[ACMB_CHAIN_NAME_MAX]; /* subject of the first left-over certificate */
};

/* Reorders chain in place for leaf: drops exact duplicates and copies of the
 * leaf (freeing them), puts the certificates that link upward from the leaf
 * (issuer name and signature) first, in order, and any others after them in
 * their given order. Fills *res (plain data). Returns ACMB_OK, or
 * ACMB_E_NOMEM / ACMB_E_INTERNAL with chain left as it was. */
int acmb_chain_order(
    X509 *leaf, STACK_OF(X509) *chain, struct acmb_chain_result *res, acmb_err *err);

/* Signature checks between chain certificates, remembered across calls so
 * that a batch whose sets share one chain verifies its CA links once. The
 * leaf's own signature is never taken from the memo. At most
 * ACMB_CHAIN_MEMO_MAX entries (oldest replaced); holds certificate
 * references until freed. Not thread-safe: one memo per thread. */
#define ACMB_CHAIN_MEMO_MAX 64
typedef struct acmb_chain_memo acmb_chain_memo;

/* Returns a new empty memo, or NULL. Free with acmb_chain_memo_free(). */
acmb_chain_memo *acmb_chain_memo_new(void);

/* Drops the memo's certificate references and frees it. Accepts NULL. */
void acmb_chain_memo_free(acmb_chain_memo *memo);

/* acmb_chain_order() with a memo (NULL allowed). */
int acmb_chain_order_memo(X509 *leaf, STACK_OF(X509) *chain, acmb_chain_memo *memo,
    struct acmb_chain_result *res, acmb_err *err);

/* Returns 1 when cert is self-signed: issuer equals subject and its own key
 * verifies its signature. */
int acmb_chain_self_signed(X509 *cert);

/* Writes cert's subject (or issuer when issuer is 1) as an RFC 2253 string
 * to buf, truncated to buflen, and returns buf. */
char *acmb_chain_name(X509 *cert, int issuer, char *buf, size_t buflen);

#endif
