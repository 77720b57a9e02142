/*
 * The issue flow: a key made in memory, a CSR, AWS Private CA's
 * IssueCertificate and GetCertificate (polled as the AWS CLI's
 * certificate-issued waiter does), then the same ACM rules, import or
 * reimport and verification as every other source, and the key wiped.
 */
#ifndef ACMB_ISSUE_H
#define ACMB_ISSUE_H

#include <stddef.h>
#include <time.h>

#include <jansson.h>

#include "acm/aws-config.h"
#include "acm/pca-api.h"
#include "acm/rules.h"
#include "error.h"
#include "import.h"
#include "issue-token.h"

/* The rule name reported when the key algorithm's family differs from the
 * CA's: ACM refuses a Private CA certificate whose key family is not its
 * issuer's, so the flow refuses it before any key is made. */
#define ACMB_ISSUE_RULE_ALG_MATCH "key-algorithm-match"

#define ACMB_ISSUE_DEFAULT_WAIT 60L /* seconds; the waiter's 60 x 1 s */
#define ACMB_ISSUE_WAIT_MAX 86400L

struct acmb_ctx;

struct acmb_issue_opts {
	const char *ca_arn;           /* --certificate-authority-arn */
	const char *subject;          /* --subject "CN=...,O=..." */
	const char *const *dns_names; /* --dns-name, borrowed */
	size_t ndns;
	const char *const *ip_addresses; /* --ip-address, borrowed */
	size_t nips;
	const char *key_algorithm;           /* "auto" (NULL too) or RSA_2048 ... EC_secp521r1 */
	const char *signing_algorithm;       /* NULL: from the CA */
	const char *validity;                /* --validity 90d|12m|1y|END_DATE|@EPOCH */
	const char *template_arn;            /* or NULL */
	json_t *api_passthrough;             /* ApiPassthrough object or NULL; borrowed */
	const char *idempotency_token;       /* NULL: derived from the CSR */
	long wait_timeout;                   /* seconds of GetCertificate polling */
	char *key_store;                     /* --key-store pkcs11:URI, or NULL for memory */
	const struct acmb_token_spec *token; /* the key store's module, PIN, policy, audit log */
	const char *resume;                  /* --resume CERT_ARN (token key stores only) */
	enum acmb_issue_key_mode key_mode;   /* token key stores: new, kept or rotated key */
	struct acmb_import_opts import;      /* reimport ARN, tags, dry_run */
	struct acmb_ctx *ctx;                /* the run's cancel flag, clock and tokens (borrowed);
	                                      * NULL: the call makes its own */
};

#define ACMB_ISSUE_NOTES_MAX 8

struct acmb_issue_result {
	char *pca_certificate_arn; /* Private CA's certificate ARN, or NULL */
	char key_algorithm[32];    /* what the key was made as */
	char signing_algorithm[32];
	char idempotency_token[ACMB_PCA_TOKEN_MAX + 1];
	char ca_status[32];              /* as DescribeCertificateAuthority said */
	int polls;                       /* GetCertificate calls */
	int timed_out;                   /* the wait ended before the certificate */
	int interrupted;                 /* SIGINT/SIGTERM number that stopped the flow */
	int issue_attempts;              /* IssueCertificate requests sent */
	int stored_on_token;             /* certificate and chain are on the token */
	char key_store[512];             /* "memory" or the token URI without PIN */
	struct acmb_rules_report *rules; /* the judged certificate, or NULL */
	struct acmb_import_result import;
	size_t nnotes;
	char notes[ACMB_ISSUE_NOTES_MAX][ACMB_IMPORT_NOTE_LEN];
};

/* Runs the flow: pca (resolved for acmb_aws_service_acm_pca) issues, acm
 * (resolved for acmb_aws_service_acm) imports. Fills *res (clear it with
 * acmb_issue_result_clear()). Returns ACMB_OK; ACMB_E_USAGE for bad options;
 * ACMB_E_RULE when the key algorithm or the issued certificate breaks an ACM
 * rule (res->rules has the report when one was judged); ACMB_E_AWS when the
 * CA is not ACTIVE, a call fails or the wait times out (res->timed_out, with
 * res->pca_certificate_arn set); ACMB_E_INTERRUPTED when o->ctx was
 * cancelled (acmb_ctx_cancel(); res->interrupted, and res->pca_certificate_arn
 * when the certificate had been requested); ACMB_E_TOKEN / ACMB_E_EXPORT for the token
 * key store; the errors of acmb_import(). The key is wiped on every path.
 * With o->key_store the key pair is made on the token, the certificate stored
 * there, and the key exported through the audited PKCS#11 source; with
 * o->resume the key is found there and the wait resumes; o->key_mode says
 * whether a key already under the label is refused, kept or rotated
 * (acmb_issue_token_key(); a rotation reads ACM's certificate at
 * o->import.certificate_arn first). With
 * import.dry_run nothing is issued, generated or imported. */
int acmb_issue(const struct acmb_aws_config *pca, const struct acmb_aws_config *acm,
    const struct acmb_issue_opts *o, struct acmb_issue_result *res, acmb_err *err);

/* Frees what *res owns. Accepts NULL. */
void acmb_issue_result_clear(struct acmb_issue_result *res);

/* Exposed for the tests: the option rules of the flow. */

/* Parses --validity: "90d", "12m", "1y" (DAYS, MONTHS, YEARS), a date
 * "2027-06-30" or "2027-06-30T12:00:00Z" or 14 digits YYYYMMDDHHMMSS
 * (END_DATE), "@1790000000" (ABSOLUTE, epoch seconds). *type points to a
 * static string. */
int acmb_issue_parse_validity(const char *text, const char **type, long long *value, acmb_err *err);

/* The end of a parsed --validity (type and value from
 * acmb_issue_parse_validity()) issued at now, in *end (epoch seconds).
 * ACMB_E_USAGE when it ends at or before now, after 9999-12-31T23:59:59Z
 * (the latest X.509 time, beyond which Private CA issues nothing; huge
 * counts are refused before any arithmetic), or END_DATE is no calendar
 * date. */
int acmb_issue_validity_end(
    const char *type, long long value, time_t now, long long *end, acmb_err *err);

/* ACMB_E_USAGE when end (from acmb_issue_validity_end()) is after
 * ca_not_after, the CA's own NotAfter (epoch seconds; 0 when unknown, which
 * passes); ca_arn names the CA in the message. */
int acmb_issue_validity_check_ca(
    long long end, long long ca_not_after, const char *ca_arn, acmb_err *err);

/* Chooses the key algorithm for a CA whose KeyAlgorithm is ca_key_alg:
 * "auto"/NULL picks the CA's own; another family is ACMB_E_RULE naming
 * ACMB_ISSUE_RULE_ALG_MATCH; an unknown name ACMB_E_USAGE. */
int acmb_issue_pick_key_algorithm(
    const char *ca_key_alg, const char *requested, enum acmb_key_alg *out, acmb_err *err);

/* Chooses the signing algorithm: requested (checked against the CA key's
 * family) or, when NULL, the CA's own if it fits, else SHA256WITHRSA /
 * SHA256WITHECDSA. Returns a static string in *out. */
int acmb_issue_pick_signing_algorithm(const char *ca_key_alg, const char *ca_signing_alg,
    const char *requested, const char **out, acmb_err *err);

#endif
