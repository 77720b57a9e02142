/*
 * What ACM holds in one destination (account and region), loaded once per
 * run and shared by every certificate of the run: one SearchCertificates
 * (or ListCertificates) walk, tags only for the few certificates a decision
 * needs them for. Plain data; the listing calls themselves live with the
 * ACM client.
 */
#ifndef ACMB_INVENTORY_H
#define ACMB_INVENTORY_H

#include <stddef.h>
#include <time.h>

#include <jansson.h>

#include "acm/aws-config.h"
#include "error.h"

#define ACMB_INVENTORY_MAX 100000u /* certificates per destination, far above ACM's quotas */

struct acmb_inventory_cert {
	char *arn;
	char *domain;        /* DomainName / Subject CN, or NULL */
	char *serial;        /* hex with colons as ACM prints it, lower case; NULL when unknown */
	char *key_algorithm; /* ACM's API name (RSA_2048, EC_prime256v1, ...) */
	char *type;          /* IMPORTED, AMAZON_ISSUED, PRIVATE */
	char *status;        /* ISSUED, EXPIRED, ... */
	char *managed_by;    /* CLOUDFRONT, or NULL */
	char *key_origin;    /* CertificateKeyPairOrigin (e.g. ACME), or NULL */
	time_t not_before, not_after, imported_at;
	double imported_at_exact; /* ImportedAt with ACM's fraction of a second; 0: absent */
	int in_use;               /* 1, 0, or -1 when the listing did not say */
	char **sans;
	size_t nsans;
	int tags_read;    /* name_tag / sha256_tag below are what ACM says */
	char *name_tag;   /* acmbridge:name, or NULL */
	char *sha256_tag; /* acmbridge:sha256, or NULL */
};

struct acmb_inventory {
	struct acmb_inventory_cert *certs;
	size_t n, cap;
	double loaded_at;  /* wall clock (CLOCK_REALTIME) when the listing began */
	int searched;      /* filled from SearchCertificates (serials known) */
	int listing_calls; /* pages fetched */
	int tag_calls;     /* ListTagsForCertificate calls made for candidates */
	char region[33];
	char search_off_why[200]; /* why ListCertificates was used, or "" */
};

/* Adds one result of SearchCertificates (CertificateSearchResult) or one
 * CertificateSummary of ListCertificates to inv. ACMB_E_PARSE naming the
 * field for a malformed one; ACMB_E_TOO_BIG past ACMB_INVENTORY_MAX. */
int acmb_inventory_add_search_result(struct acmb_inventory *inv, const json_t *r, acmb_err *err);
int acmb_inventory_add_summary(struct acmb_inventory *inv, const json_t *s, acmb_err *err);

/* Records the tags ListTagsForCertificate gave for certificate i (a JSON
 * array of {Key, Value}). */
int acmb_inventory_set_tags(
    struct acmb_inventory *inv, size_t i, const json_t *tags, acmb_err *err);

/* The certificate with arn, or NULL. */
struct acmb_inventory_cert *acmb_inventory_find_arn(
    const struct acmb_inventory *inv, const char *arn);

/* Normalises a serial to lower-case hex pairs joined by ':' (ACM's form)
 * into out (size >= 3 * bytes); accepts upper case and no colons. Returns
 * 0, or -1 for something that is not hex. */
int acmb_inventory_serial_norm(const char *in, char *out, size_t size);

/* Fills inv (cleared first) with what ACM holds in cfg's region:
 * SearchCertificates, 500 per page, IMPORTED certificates only when
 * imported_only is 1; where the endpoint does not offer SearchCertificates
 * (an older region or endpoint, or an IAM policy written before it: the
 * answer is named in inv->search_off_why), ListCertificates over every key
 * type. inv->listing_calls counts the pages. Errors as acmb_aws_call(). */
int acmb_inventory_load(const struct acmb_aws_config *cfg, int imported_only,
    struct acmb_inventory *inv, acmb_err *err);

/* Reads the tags of certificate i (ListTagsForCertificate) unless they were
 * read already; inv->tag_calls counts the calls. */
int acmb_inventory_read_tags(
    const struct acmb_aws_config *cfg, struct acmb_inventory *inv, size_t i, acmb_err *err);

/* Frees what inv holds; inv itself is the caller's. Accepts NULL. */
void acmb_inventory_clear(struct acmb_inventory *inv);

#endif
