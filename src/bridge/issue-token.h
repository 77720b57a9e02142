/*
 * The issue flow's PKCS#11 key store: the key pair is generated on a token
 * (sensitive, extractable), the CSR is signed there, and the issued
 * certificate and chain are stored next to the key, so that the token stays
 * the system of record: a later reimport, renewal or `issue --resume` reads
 * them from it. The key leaves the token only through the PKCS#11 source's
 * controlled, audited export (source-pkcs11.h).
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

/* Opens the one token the key store URI names (--key-store
 * pkcs11:token=T;object=LABEL[;id=ID], rewritten in place when it carries a
 * pin-value), a read-write session, and logs in with spec's module and PIN.
 * The URI must name the key's label (object=); id= is optional (a random
 * CKA_ID is made for a new key). The token is logged in twice (here, then by
 * the PKCS#11 source for the export): the PIN must come from a file, the
 * URI's pin-source or spec->pin.pin_value, as an environment PIN is gone
 * after its first read. uri and spec must outlive the handle. Caller frees
 * with acmb_issue_token_close(). */
int acmb_issue_token_open(
    char *uri, const struct acmb_token_spec *spec, struct acmb_issue_token **out, acmb_err *err);

/* Closes the session and the modules. Accepts NULL. */
void acmb_issue_token_close(struct acmb_issue_token *t);

/* Generates a key pair of alg on the token (CKA_TOKEN, CKA_SENSITIVE and
 * CKA_EXTRACTABLE true) with the URI's label and id. Refuses (ACMB_E_TOKEN)
 * when a private key with that label or id is there already. *pub is the
 * public key; caller frees with EVP_PKEY_free(). */
int acmb_issue_token_generate(
    struct acmb_issue_token *t, enum acmb_key_alg alg, EVP_PKEY **pub, acmb_err *err);

/* Finds the existing key pair the URI names (for --resume). *pub as above. */
int acmb_issue_token_find(struct acmb_issue_token *t, EVP_PKEY **pub, acmb_err *err);

/* Signs req (public key, subject and extensions set) inside the token:
 * CKM_SHA256_RSA_PKCS, or CKM_ECDSA over a SHA-256 digest with r||s turned
 * into DER. Verifies the result with the public key. */
int acmb_issue_token_sign_csr(struct acmb_issue_token *t, X509_REQ *req, acmb_err *err);

/* Stores leaf (with the key's CKA_ID and label) and chain (label
 * "LABEL-chain", CA category) as CKO_CERTIFICATE token objects; a
 * certificate already stored is not stored twice. */
int acmb_issue_token_store(
    struct acmb_issue_token *t, X509 *leaf, STACK_OF(X509) *chain, acmb_err *err);

/* Closes the session, then loads certificate, chain and key from the token
 * through the PKCS#11 source (audited controlled export) into *out; region
 * and account are the destination for the policy and the audit record.
 * *audit is the open audit log, to finish after the import (caller closes
 * it with acmb_audit_close()). */
int acmb_issue_token_load(struct acmb_issue_token *t, const char *region,
    struct acmb_material **out, struct acmb_audit **audit, acmb_err *err);

/* The key store URI without any PIN, for messages. Owned by t. */
const char *acmb_issue_token_uri(const struct acmb_issue_token *t);

#endif
