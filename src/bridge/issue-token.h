/*
 * The issue flow's PKCS#11 key store: the key pair is generated on a token
 * (sensitive, extractable), the CSR is signed there, and the issued
 * certificate and chain are stored next to the key, so that the token stays
 * the system of record: a later reimport, renewal or `issue --resume` reads
 * them from it. The key leaves the token only through the PKCS#11 source's
 * controlled, audited export (source-pkcs11.h). Every token call is
 * pkcs11/p11-keystore.h's; this file joins it to the flow's options and to
 * the PKCS#11 source.
 */
#ifndef ACMB_ISSUE_TOKEN_H
#define ACMB_ISSUE_TOKEN_H

#include <openssl/evp.h>
#include <openssl/x509.h>

#include "acm/rules.h"
#include "audit.h"
#include "error.h"
#include "material.h"
#include "pkcs11/p11-session.h"
#include "token-spec.h"

struct acmb_issue_token;
struct acmb_ctx;

/* Which key an issue into a token key store signs with. */
enum acmb_issue_key_mode {
	/* A new pair under the URI's label; a key already there is refused
	 * (acmbridge issue --key-store: one label per key). */
	ACMB_ISSUE_KEY_NEW = 0,
	/* The pair under the label when there is one, else a new one (sync,
	 * rotate-key: false). */
	ACMB_ISSUE_KEY_REUSE,
	/* A new pair, with the pair the certificate in ACM uses retired to
	 * "LABEL-previous" first (sync, rotate-key: true); see
	 * acmb_issue_token_key(). */
	ACMB_ISSUE_KEY_ROTATE
};

/* The label a rotation moves the retired pair to: LABEL followed by this. */
#define ACMB_ISSUE_RETIRED_SUFFIX "-previous"

/* Opens the one token the key store URI names (--key-store
 * pkcs11:token=T;object=LABEL[;id=ID], rewritten in place when it carries a
 * pin-value), a read-write session, and logs in with spec's module and PIN,
 * through ctx's token cache (acmb_p11_keystore_open()): once for the run, so
 * that the PKCS#11 source's export later shares the login. The URI must name
 * the key's label (object=); id= is optional (a random id is made for a new
 * key). uri, spec and ctx must outlive the handle. Caller frees with
 * acmb_issue_token_close(). */
int acmb_issue_token_open(char *uri, const struct acmb_token_spec *spec, struct acmb_ctx *ctx,
    struct acmb_issue_token **out, acmb_err *err);

/* Frees (the session stays in the context's cache). Accepts NULL. */
void acmb_issue_token_close(struct acmb_issue_token *t);

/* Generates a key pair of alg on the token (a sensitive, extractable token
 * object) with the URI's label and id. Refuses (ACMB_E_TOKEN) when a private
 * key with that label or id is there already. *pub is the public key; caller
 * frees with EVP_PKEY_free(). */
int acmb_issue_token_generate(
    struct acmb_issue_token *t, enum acmb_key_alg alg, EVP_PKEY **pub, acmb_err *err);

/* The key pair this issue signs with, by mode, in *pub (caller frees):
 * NEW generates (as _generate()). REUSE takes the pair under the URI's
 * label, or generates one when there is none. ROTATE retires the pair under
 * the label to "LABEL-previous" (acmb_p11_keystore_retire(), which destroys
 * an older "-previous" pair) and generates a new one, but only when in_acm,
 * the public key of the certificate ACM holds now, is that pair's; a pair
 * under the label that ACM does not use yet (an earlier run stopped before
 * its import) is taken as the new key, and the retired pair, which ACM
 * still uses then, is kept. A kept key must be of alg. *what says what was
 * done (a static string, for notes). ACMB_E_TOKEN when the label holds
 * more than one private key or a kept key is not of alg. */
int acmb_issue_token_key(struct acmb_issue_token *t, enum acmb_issue_key_mode mode,
    const EVP_PKEY *in_acm, enum acmb_key_alg alg, EVP_PKEY **pub, const char **what,
    acmb_err *err);

/* Finds the existing key pair the URI names (for --resume). *pub as above. */
int acmb_issue_token_find(struct acmb_issue_token *t, EVP_PKEY **pub, acmb_err *err);

/* Signs req (public key, subject and extensions set) inside the token with
 * SHA-256 (acmb_p11_keystore_sign_csr()) and verifies the result with the
 * public key. */
int acmb_issue_token_sign_csr(struct acmb_issue_token *t, X509_REQ *req, acmb_err *err);

/* Stores leaf (with the key's id and label) and chain (label
 * "LABEL-chain", CA category) as certificate objects on the token; a
 * certificate already stored is not stored twice. */
int acmb_issue_token_store(
    struct acmb_issue_token *t, X509 *leaf, STACK_OF(X509) *chain, acmb_err *err);

/* As _store(), but first removes the key's other leaf certificates: a new
 * certificate for a key that was kept (ACMB_ISSUE_KEY_REUSE, ROTATE). */
int acmb_issue_token_replace(
    struct acmb_issue_token *t, X509 *leaf, STACK_OF(X509) *chain, acmb_err *err);

/* Loads certificate, chain and key from the token through the PKCS#11
 * source (audited controlled export, the same context) into *out; region is
 * the destination for the policy and the audit record. *audit is the
 * context's audit log, to finish after the import (caller drops it with
 * acmb_audit_close()). */
int acmb_issue_token_load(struct acmb_issue_token *t, const char *region,
    struct acmb_material **out, struct acmb_audit **audit, acmb_err *err);

/* The key store URI without any PIN, for messages. Owned by t. */
const char *acmb_issue_token_uri(const struct acmb_issue_token *t);

#endif
