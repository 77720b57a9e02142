/*
 * Typed ACM operations over the JSON 1.1 call (aws-http.h). Each takes a
 * configuration resolved for acmb_aws_service_acm, fills `info` (NULL
 * allowed) with what happened on the wire, and returns ACMB_OK or the
 * error of aws-http.h (ACMB_E_AWS with info->error_code, ACMB_E_NETWORK,
 * ACMB_E_TLS), or ACMB_E_USAGE for arguments ACM would refuse.
 */
#ifndef ACMB_ACM_API_H
#define ACMB_ACM_API_H

#include <stddef.h>
#include <time.h>

#include "aws-config.h"
#include "aws-http.h"
#include "error.h"
#include "secmem.h"

/* ACM's tag limits. Lengths are in characters (UTF-8 code points). */
#define ACMB_ACM_TAGS_MAX 50
#define ACMB_ACM_TAG_KEY_MAX 128
#define ACMB_ACM_TAG_VALUE_MAX 256

/* Everything ListCertificates can be asked to include (Includes.keyTypes). */
#define ACMB_ACM_KEY_TYPES_COUNT 7
extern const char *const acmb_acm_key_types[ACMB_ACM_KEY_TYPES_COUNT];

/* A tag; value NULL means "no value" (ACM allows that). */
struct acmb_acm_tag {
	const char *key;
	const char *value;
};

/* A list of tags owned by the list (from ListTagsForCertificate). */
struct acmb_acm_tag_list {
	struct acmb_acm_tag *tags; /* key and value strings owned by the list */
	size_t count;
};

/* Frees the tags and strings; the struct itself is the caller's. Accepts NULL. */
void acmb_acm_tag_list_clear(struct acmb_acm_tag_list *l);

/* Checks tags against ACM's limits (count, key 1-128 and value 0-256
 * characters, valid UTF-8, no "aws:" key prefix in any case, no key twice).
 * ACMB_E_USAGE names the tag and the rule. */
int acmb_acm_tags_check(const struct acmb_acm_tag *tags, size_t count, acmb_err *err);

/* ImportCertificate. cert_pem: one certificate; chain_pem: NULL or ""
 * when none; key_pem: unencrypted PEM in the secure heap. arn: NULL for a
 * new certificate, or the ARN to reimport into (tags must then be empty: ACM
 * refuses tags on a reimport). The request is sent as not idempotent: when
 * info->response_lost is set on ACMB_E_NETWORK the import may have
 * happened; find out (ListCertificates/DescribeCertificate) before resending.
 * On success *arn_out is the certificate's ARN; caller free()s it. */
int acmb_acm_import_certificate(const struct acmb_aws_config *cfg, const char *cert_pem,
    const char *chain_pem, const acmb_secbuf *key_pem, const char *arn,
    const struct acmb_acm_tag *tags, size_t ntags, char **arn_out, struct acmb_aws_call_info *info,
    acmb_err *err);

/* A list of strings, each owned by the list. */
struct acmb_acm_strings {
	char **v;
	size_t count;
};

/* DescribeCertificate's answer, the fields import and list need. Strings
 * are NULL when ACM left them out; times are 0 when absent. */
struct acmb_acm_certificate {
	char *arn;
	char *type;   /* IMPORTED, AMAZON_ISSUED, PRIVATE */
	char *status; /* ISSUED, EXPIRED, ... */
	char *domain_name;
	char *serial;        /* lowercase hex, colon separated */
	char *key_algorithm; /* "RSA-2048", "EC-prime256v1", ... */
	char *subject;
	char *issuer;
	time_t not_before;
	time_t not_after;
	time_t imported_at;
	double imported_at_exact;             /* ImportedAt with ACM's fraction of a second */
	struct acmb_acm_strings domain_names; /* SubjectAlternativeNames */
	struct acmb_acm_strings key_usages;   /* KeyUsages[].Name */
	struct acmb_acm_strings extended_key_usages; /* ExtendedKeyUsages[].Name */
	struct acmb_acm_strings in_use_by;
};

/* Frees every field; the struct itself is the caller's. Accepts NULL. */
void acmb_acm_certificate_clear(struct acmb_acm_certificate *c);

/* DescribeCertificate into *out (cleared first; caller clears after use). */
int acmb_acm_describe_certificate(const struct acmb_aws_config *cfg, const char *arn,
    struct acmb_acm_certificate *out, struct acmb_aws_call_info *info, acmb_err *err);

/* GetCertificate. *cert_pem and *chain_pem (NULL when ACM has no chain)
 * are plain-heap PEM strings; caller free()s both. */
int acmb_acm_get_certificate(const struct acmb_aws_config *cfg, const char *arn, char **cert_pem,
    char **chain_pem, struct acmb_aws_call_info *info, acmb_err *err);

/* One certificate of ListCertificates. */
struct acmb_acm_summary {
	char *arn;
	char *domain_name;
	char *key_algorithm; /* as ListCertificates spells it (RSA_2048 or RSA-2048) */
	char *status;
	char *type;
	time_t not_after;
	double imported_at; /* epoch seconds with ACM's fraction; 0 when absent */
	int in_use;         /* 1 or 0; -1 when ACM did not say */
};

struct acmb_acm_summary_list {
	struct acmb_acm_summary *items;
	size_t count;
};

/* Frees the items; the struct itself is the caller's. Accepts NULL. */
void acmb_acm_summary_list_clear(struct acmb_acm_summary_list *l);

#define ACMB_ACM_LIST_MAX_PAGES 1000

/* ListCertificates over all seven key types (ACM hides all but RSA_1024
 * and RSA_2048 without Includes.keyTypes) and every page. *out is cleared
 * first; caller clears it. */
int acmb_acm_list_certificates(const struct acmb_aws_config *cfg, struct acmb_acm_summary_list *out,
    struct acmb_aws_call_info *info, acmb_err *err);

/* ListTagsForCertificate into *out (cleared first; caller clears it). */
int acmb_acm_list_tags(const struct acmb_aws_config *cfg, const char *arn,
    struct acmb_acm_tag_list *out, struct acmb_aws_call_info *info, acmb_err *err);

/* AddTagsToCertificate / RemoveTagsFromCertificate (a NULL value in remove
 * removes the key whatever its value). */
int acmb_acm_add_tags(const struct acmb_aws_config *cfg, const char *arn,
    const struct acmb_acm_tag *tags, size_t ntags, struct acmb_aws_call_info *info, acmb_err *err);
int acmb_acm_remove_tags(const struct acmb_aws_config *cfg, const char *arn,
    const struct acmb_acm_tag *tags, size_t ntags, struct acmb_aws_call_info *info, acmb_err *err);

/* One ACM call whose request holds no secret: req is serialised into the
 * secure heap as acmb_aws_call() wants it; flags and errors as there. On
 * success *resp is the answer (caller json_decref()s). For operations this
 * header has no function of its own for (SearchCertificates pages). */
int acmb_acm_call_json(const struct acmb_aws_config *cfg, const char *op, json_t *req,
    unsigned flags, json_t **resp, struct acmb_aws_call_info *info, acmb_err *err);

/* DeleteCertificate. ACM refuses a certificate in use with ACMB_E_AWS and
 * info->error_code "ResourceInUseException" (info must then be given). */
int acmb_acm_delete_certificate(const struct acmb_aws_config *cfg, const char *arn,
    struct acmb_aws_call_info *info, acmb_err *err);

/* One result of SearchCertificates. */
struct acmb_acm_search_hit {
	char *arn;
	char *serial;       /* X509Attributes.SerialNumber ("0a:1b:..."), or NULL */
	char *type;         /* IMPORTED, AMAZON_ISSUED, PRIVATE, or NULL */
	double imported_at; /* epoch seconds with ACM's fraction; 0 when absent */
	int in_use;         /* 1 or 0; -1 when ACM did not say */
};

struct acmb_acm_search_hits {
	struct acmb_acm_search_hit *items;
	size_t count;
};

/* Frees the items; the struct itself is the caller's. Accepts NULL. */
void acmb_acm_search_hits_clear(struct acmb_acm_search_hits *h);

/* The longest serial SearchCertificates' SerialNumber filter takes: 20
 * octets as "aa:bb:...". */
#define ACMB_ACM_SEARCH_SERIAL_MAX 59

/* SearchCertificates for the IMPORTED certificates whose serial is `serial`
 * (lowercase hex octets joined by ':', 2 to 20 octets, as ACM shows serials;
 * others are ACMB_E_USAGE before anything is sent), every page. *out is
 * cleared first; caller clears it. An endpoint without the operation answers
 * ACMB_E_AWS with info->error_code e.g. "UnknownOperationException" and an
 * IAM policy without acm:SearchCertificates "AccessDeniedException": callers
 * fall back to acmb_acm_list_certificates(). */
int acmb_acm_search_by_serial(const struct acmb_aws_config *cfg, const char *serial,
    struct acmb_acm_search_hits *out, struct acmb_aws_call_info *info, acmb_err *err);

#endif
