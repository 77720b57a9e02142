/*
 * ACM's import rules. Judges a material (common/material.h) rule by rule, so
 * that `check` can tell the operator everything that is wrong in one run and
 * `import` can refuse before anything is sent. Rule names are a contract:
 * they are documented in docs/rules.md and matched by scripts.
 */
#ifndef ACMB_RULES_H
#define ACMB_RULES_H

#include <stddef.h>
#include <time.h>

#include <openssl/evp.h>

#include "error.h"
#include "material.h"

/* ACM's limits on what is sent, in bytes of PEM (ImportCertificate). */
#define ACMB_ACM_CERT_MAX 32768
#define ACMB_ACM_KEY_MAX 5120
#define ACMB_ACM_CHAIN_MAX 2097152
#define ACMB_ACM_OCSP_URL_MAX 1000

/* The key algorithms ACM imports, with their API names. */
enum acmb_key_alg {
	ACMB_ALG_NONE = 0, /* no key to judge */
	ACMB_ALG_RSA_1024,
	ACMB_ALG_RSA_2048,
	ACMB_ALG_RSA_3072,
	ACMB_ALG_RSA_4096,
	ACMB_ALG_EC_PRIME256V1,
	ACMB_ALG_EC_SECP384R1,
	ACMB_ALG_EC_SECP521R1,
	ACMB_ALG_UNSUPPORTED, /* a key ACM refuses: Ed25519, RSA 8192, ... */
};

/* Classifies key (public or private). Writes a readable name to name (the
 * ACM API name such as "RSA_2048", or e.g. "ED25519", "EC secp256k1",
 * "RSA 8192 bit") and returns the algorithm. key may be NULL. */
enum acmb_key_alg acmb_rules_key_algorithm(const EVP_PKEY *key, char *name, size_t namelen);

/* Returns the ACM API name of alg ("RSA_2048"), or NULL when there is none. */
const char *acmb_rules_alg_name(enum acmb_key_alg alg);

#define ACMB_RULE_DETAIL_MAX 640
#define ACMB_RULE_FIX_MAX 256
#define ACMB_RULES_MAX 40
#define ACMB_REPORT_WARNINGS_MAX ACMB_FIELD_COUNT

struct acmb_rule_result {
	const char *rule; /* stable kebab-case name, static */
	int ok;
	char detail[ACMB_RULE_DETAIL_MAX]; /* what was found, never key bytes */
	char fix[ACMB_RULE_FIX_MAX];       /* one line on how to fix; "" when ok */
};

enum acmb_service {
	ACMB_SERVICE_ALB = 0,
	ACMB_SERVICE_NLB,
	ACMB_SERVICE_CLOUDFRONT,
	ACMB_SERVICE_APIGW_EDGE,
	ACMB_SERVICE_COUNT
};

struct acmb_service_result {
	const char *service; /* "alb", "nlb", "cloudfront", "apigateway-edge" */
	int ok;              /* the certificate's key attaches to the service */
	char detail[256];
};

/* Everything check learnt. Filled by acmb_rules_judge(); plain data, no
 * pointers to free. A failing service line is information, not a failure. */
struct acmb_rules_report {
	int ok;                  /* every rule passed */
	char key_algorithm[32];  /* ACM name of the certificate's key, or "" */
	char not_after[32];      /* leaf NotAfter as RFC 3339, or "" */
	int chain_order_changed; /* m->chain was reordered or de-duplicated */
	int overflow;            /* more results than ACMB_RULES_MAX (a bug) */
	size_t nresults;
	struct acmb_rule_result results[ACMB_RULES_MAX];
	struct acmb_service_result services[ACMB_SERVICE_COUNT];
	/* What the material's fields warn about that is no ACM rule and fails
	 * nothing (an unprotected private key file), one per field at most. */
	size_t nwarnings;
	char warnings[ACMB_REPORT_WARNINGS_MAX][ACMB_ERRMSG_MAX];
};

/* Judges every rule it can on m at time `at` (the validity rule uses it)
 * and fills *rep. Rules that depend on an unusable field are left out;
 * the field's own rule says why. Reorders m->chain in place (see
 * acmb_chain_order()) so that a later import sends the corrected chain.
 * Returns ACMB_OK when judging worked, whatever the verdict (rep->ok);
 * an error only for internal failures (memory). */
int acmb_rules_judge(
    struct acmb_material *m, time_t at, struct acmb_rules_report *rep, acmb_err *err);

/* acmb_rules_judge() with a memo of chain signature checks (rules-chain.h),
 * for batches whose sets share chain certificates. memo may be NULL. */
struct acmb_chain_memo;
int acmb_rules_judge_memo(struct acmb_material *m, time_t at, struct acmb_chain_memo *memo,
    struct acmb_rules_report *rep, acmb_err *err);

/* Returns the result for rule in rep, or NULL when it was not judged.
 * The pointer lives as long as rep. */
const struct acmb_rule_result *acmb_rules_find(
    const struct acmb_rules_report *rep, const char *rule);

/* Fills the per-service compatibility lines for a certificate key of
 * algorithm alg (services.c). */
void acmb_services_judge(enum acmb_key_alg alg, struct acmb_service_result out[ACMB_SERVICE_COUNT]);

#endif
