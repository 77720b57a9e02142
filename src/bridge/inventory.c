/*
 * The per-destination inventory: ACM's listing answers turned into plain
 * records. Timestamps arrive as epoch seconds (JSON numbers, as ACM's JSON
 * protocol sends them).
 */
#include <ctype.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "acm/acm-api.h"
#include "inventory.h"

#define SEARCH_PAGE 500 /* SearchMaxResults' maximum */
#define LIST_PAGE 1000  /* ListCertificates' MaxItems maximum */
#define PAGES_MAX 1000  /* 500,000 certificates: far past ACM's quotas */

static char *
dup_or_null(const json_t *v)
{
	return json_is_string(v) ? strdup(json_string_value(v)) : NULL;
}

static double
epoch_exact(const json_t *v)
{
	return json_is_number(v) ? json_number_value(v) : 0.0;
}

static time_t
epoch(const json_t *v)
{
	if (json_is_integer(v))
		return (time_t)json_integer_value(v);
	if (json_is_real(v))
		return (time_t)json_real_value(v);
	return 0;
}

static void
cert_clear(struct acmb_inventory_cert *c)
{
	size_t i;

	free(c->arn);
	free(c->domain);
	free(c->serial);
	free(c->key_algorithm);
	free(c->type);
	free(c->status);
	free(c->managed_by);
	free(c->key_origin);
	for (i = 0; i < c->nsans; i++)
		free(c->sans[i]);
	free(c->sans);
	free(c->name_tag);
	free(c->sha256_tag);
	memset(c, 0, sizeof(*c));
}

int
acmb_inventory_serial_norm(const char *in, char *out, size_t size)
{
	size_t o = 0, digits = 0;
	const char *p;
	char hex[512];

	if (in == NULL)
		return -1;
	for (p = in; *p != '\0'; p++) {
		if (*p == ':' || *p == ' ')
			continue;
		if (!isxdigit((unsigned char)*p) || digits + 1 >= sizeof(hex))
			return -1;
		hex[digits++] = (char)tolower((unsigned char)*p);
	}
	if (digits == 0)
		return -1;
	/* An odd count gets its leading zero back, as ACM prints whole bytes. */
	for (p = hex; digits > 0;) {
		size_t take = digits % 2 ? 1 : 2;

		if (o + 4 > size)
			return -1;
		if (o > 0)
			out[o++] = ':';
		if (take == 1)
			out[o++] = '0';
		memcpy(out + o, p, take);
		o += take;
		p += take;
		digits -= take;
	}
	out[o] = '\0';
	return 0;
}

static struct acmb_inventory_cert *
grow(struct acmb_inventory *inv, acmb_err *err)
{
	if (inv->n == inv->cap) {
		size_t cap = inv->cap ? inv->cap * 2 : 64;
		struct acmb_inventory_cert *c;

		if (inv->n >= ACMB_INVENTORY_MAX) {
			acmb_error(err, ACMB_E_TOO_BIG,
			    "%s: more than %u certificates in one listing", inv->region,
			    ACMB_INVENTORY_MAX);
			return NULL;
		}
		if ((c = realloc(inv->certs, cap * sizeof(*c))) == NULL) {
			acmb_error(err, ACMB_E_NOMEM, "out of memory");
			return NULL;
		}
		inv->certs = c;
		inv->cap = cap;
	}
	memset(&inv->certs[inv->n], 0, sizeof(inv->certs[0]));
	return &inv->certs[inv->n];
}

static int
add_sans(struct acmb_inventory_cert *c, const json_t *list, int search_form)
{
	const json_t *v;
	size_t i;

	if (!json_is_array(list) || json_array_size(list) == 0)
		return 0;
	if ((c->sans = calloc(json_array_size(list), sizeof(*c->sans))) == NULL)
		return -1;
	json_array_foreach(list, i, v)
	{
		/* SearchCertificates: [{"DnsName": "..."}, ...]; the summary: ["..."]. */
		const json_t *s = search_form ? json_object_get(v, "DnsName") : v;

		if (json_is_string(s) && (c->sans[c->nsans] = strdup(json_string_value(s))) != NULL)
			c->nsans++;
	}
	return 0;
}

static int
finish(struct acmb_inventory *inv, struct acmb_inventory_cert *c, const char *serial, acmb_err *err)
{
	if (c->arn == NULL) {
		cert_clear(c);
		return acmb_error(err, ACMB_E_PARSE,
		    "%s: a listed certificate has no CertificateArn", inv->region);
	}
	if (serial != NULL) {
		char norm[400];

		if (acmb_inventory_serial_norm(serial, norm, sizeof(norm)) == 0)
			c->serial = strdup(norm);
	}
	inv->n++;
	return ACMB_OK;
}

int
acmb_inventory_add_search_result(struct acmb_inventory *inv, const json_t *r, acmb_err *err)
{
	struct acmb_inventory_cert *c;
	const json_t *x509, *meta, *subject, *inuse;

	if (!json_is_object(r))
		return acmb_error(
		    err, ACMB_E_PARSE, "%s: a search result is not an object", inv->region);
	if ((c = grow(inv, err)) == NULL)
		return err != NULL ? err->rc : ACMB_E_NOMEM;
	x509 = json_object_get(r, "X509Attributes");
	meta = json_object_get(json_object_get(r, "CertificateMetadata"), "AcmCertificateMetadata");
	subject = json_object_get(x509, "Subject");
	c->arn = dup_or_null(json_object_get(r, "CertificateArn"));
	c->domain = dup_or_null(json_object_get(subject, "CommonName"));
	c->key_algorithm = dup_or_null(json_object_get(x509, "KeyAlgorithm"));
	c->not_before = epoch(json_object_get(x509, "NotBefore"));
	c->not_after = epoch(json_object_get(x509, "NotAfter"));
	c->type = dup_or_null(json_object_get(meta, "Type"));
	c->status = dup_or_null(json_object_get(meta, "Status"));
	c->managed_by = dup_or_null(json_object_get(meta, "ManagedBy"));
	c->key_origin = dup_or_null(json_object_get(meta, "CertificateKeyPairOrigin"));
	c->imported_at = epoch(json_object_get(meta, "ImportedAt"));
	c->imported_at_exact = epoch_exact(json_object_get(meta, "ImportedAt"));
	inuse = json_object_get(meta, "InUse");
	c->in_use = json_is_boolean(inuse) ? json_is_true(inuse) : -1;
	if (add_sans(c, json_object_get(x509, "SubjectAlternativeNames"), 1) != 0) {
		cert_clear(c);
		return acmb_error(err, ACMB_E_NOMEM, "out of memory");
	}
	return finish(inv, c, json_string_value(json_object_get(x509, "SerialNumber")), err);
}

int
acmb_inventory_add_summary(struct acmb_inventory *inv, const json_t *s, acmb_err *err)
{
	struct acmb_inventory_cert *c;
	const json_t *inuse;

	if (!json_is_object(s))
		return acmb_error(
		    err, ACMB_E_PARSE, "%s: a listed certificate is not an object", inv->region);
	if ((c = grow(inv, err)) == NULL)
		return err != NULL ? err->rc : ACMB_E_NOMEM;
	c->arn = dup_or_null(json_object_get(s, "CertificateArn"));
	c->domain = dup_or_null(json_object_get(s, "DomainName"));
	c->key_algorithm = dup_or_null(json_object_get(s, "KeyAlgorithm"));
	c->type = dup_or_null(json_object_get(s, "Type"));
	c->status = dup_or_null(json_object_get(s, "Status"));
	c->managed_by = dup_or_null(json_object_get(s, "ManagedBy"));
	c->key_origin = dup_or_null(json_object_get(s, "CertificateKeyPairOrigin"));
	c->not_before = epoch(json_object_get(s, "NotBefore"));
	c->not_after = epoch(json_object_get(s, "NotAfter"));
	c->imported_at = epoch(json_object_get(s, "ImportedAt"));
	c->imported_at_exact = epoch_exact(json_object_get(s, "ImportedAt"));
	inuse = json_object_get(s, "InUse");
	c->in_use = json_is_boolean(inuse) ? json_is_true(inuse) : -1;
	if (add_sans(c, json_object_get(s, "SubjectAlternativeNameSummaries"), 0) != 0) {
		cert_clear(c);
		return acmb_error(err, ACMB_E_NOMEM, "out of memory");
	}
	/* ListCertificates gives no serial: decisions fall back to tags. */
	return finish(inv, c, NULL, err);
}

int
acmb_inventory_set_tags(struct acmb_inventory *inv, size_t i, const json_t *tags, acmb_err *err)
{
	struct acmb_inventory_cert *c;
	const json_t *t;
	size_t k;

	if (i >= inv->n)
		return acmb_error(err, ACMB_E_INTERNAL, "inventory index %zu out of range", i);
	if (!json_is_array(tags))
		return acmb_error(err, ACMB_E_PARSE, "%s: tags of %s are not a list", inv->region,
		    inv->certs[i].arn);
	c = &inv->certs[i];
	free(c->name_tag);
	free(c->sha256_tag);
	c->name_tag = c->sha256_tag = NULL;
	json_array_foreach(tags, k, t)
	{
		const char *key = json_string_value(json_object_get(t, "Key"));
		const char *value = json_string_value(json_object_get(t, "Value"));

		if (key == NULL || value == NULL)
			continue;
		if (strcmp(key, "acmbridge:name") == 0 && c->name_tag == NULL)
			c->name_tag = strdup(value);
		else if (strcmp(key, "acmbridge:sha256") == 0 && c->sha256_tag == NULL)
			c->sha256_tag = strdup(value);
	}
	c->tags_read = 1;
	return ACMB_OK;
}

struct acmb_inventory_cert *
acmb_inventory_find_arn(const struct acmb_inventory *inv, const char *arn)
{
	size_t i;

	for (i = 0; i < inv->n; i++)
		if (strcmp(inv->certs[i].arn, arn) == 0)
			return &inv->certs[i];
	return NULL;
}

void
acmb_inventory_clear(struct acmb_inventory *inv)
{
	size_t i;

	if (inv == NULL)
		return;
	for (i = 0; i < inv->n; i++)
		cert_clear(&inv->certs[i]);
	free(inv->certs);
	inv->certs = NULL;
	inv->n = inv->cap = 0;
}

/* SearchCertificates is answered with these where the service or region
 * does not have it (an older endpoint, an emulator), or where an IAM policy
 * written before it does not allow it: the listing finds the same. Anything
 * else is a real failure. */
static int
search_unavailable(const struct acmb_aws_call_info *info)
{
	return strcmp(info->error_code, "UnknownOperationException") == 0 ||
	       strcmp(info->error_code, "UnrecognizedOperationException") == 0 ||
	       strcmp(info->error_code, "InvalidAction") == 0 ||
	       strcmp(info->error_code, "NotImplemented") == 0 ||
	       strstr(info->error_code, "AccessDenied") != NULL || info->http_status == 404 ||
	       info->http_status == 501;
}

static int
load_pages(const struct acmb_aws_config *cfg, int search, int imported_only,
    struct acmb_inventory *inv, struct acmb_aws_call_info *info, acmb_err *err)
{
	const char *op = search ? "SearchCertificates" : "ListCertificates";
	json_t *req = NULL, *resp = NULL, *list, *item, *next;
	char *token = NULL;
	size_t page, i;
	int r = ACMB_E_INTERNAL;

	for (page = 0; page < PAGES_MAX; page++) {
		json_decref(req);
		if (search) {
			req = json_pack("{s:i}", "MaxResults", SEARCH_PAGE);
			if (req != NULL && imported_only &&
			    json_object_set_new(req, "FilterStatement",
			        json_pack("{s:{s:{s:s}}}", "Filter", "AcmCertificateMetadataFilter",
			            "Type", "IMPORTED")) != 0)
				goto nomem;
		} else {
			json_t *types = json_array();

			/* Every key type: without them ACM lists RSA-2048 and RSA-1024 only. */
			for (i = 0; types != NULL && i < ACMB_ACM_KEY_TYPES_COUNT; i++)
				json_array_append_new(types, json_string(acmb_acm_key_types[i]));
			req = types == NULL ? NULL
			                    : json_pack("{s:{s:o}, s:i}", "Includes", "keyTypes",
			                          types, "MaxItems", LIST_PAGE);
		}
		if (req == NULL || (token != NULL && json_object_set_new(req, "NextToken",
		                                         json_string(token)) != 0))
			goto nomem;
		json_decref(resp);
		resp = NULL;
		inv->listing_calls++;
		if ((r = acmb_acm_call_json(cfg, op, req, 0, &resp, info, err)) != ACMB_OK)
			goto out;
		list = json_object_get(resp, search ? "Results" : "CertificateSummaryList");
		if (list != NULL && !json_is_array(list)) {
			r = acmb_error(err, ACMB_E_AWS, "%s: the answer's list is not a list", op);
			goto out;
		}
		json_array_foreach(list, i, item)
		{
			if (search && imported_only) {
				/* A filter the endpoint ignored must not let other
				 * types in: sync only ever touches IMPORTED ones. */
				const char *type = json_string_value(json_object_get(
				    json_object_get(json_object_get(item, "CertificateMetadata"),
				        "AcmCertificateMetadata"),
				    "Type"));

				if (type != NULL && strcmp(type, "IMPORTED") != 0)
					continue;
			}
			r = search ? acmb_inventory_add_search_result(inv, item, err)
			           : acmb_inventory_add_summary(inv, item, err);
			if (r != ACMB_OK)
				goto out;
		}
		free(token);
		token = NULL;
		next = json_object_get(resp, "NextToken");
		if (!json_is_string(next) || json_string_length(next) == 0) {
			r = ACMB_OK;
			goto out;
		}
		if ((token = strdup(json_string_value(next))) == NULL)
			goto nomem;
	}
	r = acmb_error(err, ACMB_E_AWS, "%s: more than %d pages; giving up", op, PAGES_MAX);
	goto out;
nomem:
	r = acmb_error(err, ACMB_E_NOMEM, "%s: out of memory", op);
out:
	free(token);
	json_decref(req);
	json_decref(resp);
	return r;
}

int
acmb_inventory_load(
    const struct acmb_aws_config *cfg, int imported_only, struct acmb_inventory *inv, acmb_err *err)
{
	struct acmb_aws_call_info info;
	struct timespec now;
	acmb_err serr = {0};
	int r;

	acmb_inventory_clear(inv);
	inv->listing_calls = inv->tag_calls = 0;
	inv->search_off_why[0] = '\0';
	snprintf(inv->region, sizeof(inv->region), "%s", acmb_aws_config_region(cfg));
	clock_gettime(CLOCK_REALTIME, &now);
	inv->loaded_at = (double)now.tv_sec + (double)now.tv_nsec / 1e9;
	memset(&info, 0, sizeof(info));
	if ((r = load_pages(cfg, 1, imported_only, inv, &info, &serr)) == ACMB_OK) {
		inv->searched = 1;
		return ACMB_OK;
	}
	if (r != ACMB_E_AWS || !search_unavailable(&info)) {
		if (err != NULL)
			*err = serr;
		return r;
	}
	/* No SearchCertificates here: the listing, which has no serials. */
	if (info.error_code[0] != '\0')
		snprintf(inv->search_off_why, sizeof(inv->search_off_why),
		    "SearchCertificates answered %s", info.error_code);
	else
		snprintf(inv->search_off_why, sizeof(inv->search_off_why),
		    "SearchCertificates answered HTTP %ld", (long)info.http_status);
	acmb_inventory_clear(inv);
	inv->searched = 0;
	memset(&info, 0, sizeof(info));
	return load_pages(cfg, 0, imported_only, inv, &info, err);
}

int
acmb_inventory_read_tags(
    const struct acmb_aws_config *cfg, struct acmb_inventory *inv, size_t i, acmb_err *err)
{
	struct acmb_acm_tag_list tags;
	json_t *list = NULL;
	size_t k;
	int r;

	if (i >= inv->n)
		return acmb_error(err, ACMB_E_INTERNAL, "inventory index %zu out of range", i);
	if (inv->certs[i].tags_read)
		return ACMB_OK;
	memset(&tags, 0, sizeof(tags));
	inv->tag_calls++;
	if ((r = acmb_acm_list_tags(cfg, inv->certs[i].arn, &tags, NULL, err)) != ACMB_OK)
		goto out;
	if ((list = json_array()) == NULL) {
		r = acmb_error(err, ACMB_E_NOMEM, "out of memory");
		goto out;
	}
	for (k = 0; k < tags.count; k++)
		if (json_array_append_new(
		        list, json_pack("{s:s, s:s}", "Key", tags.tags[k].key, "Value",
		                  tags.tags[k].value ? tags.tags[k].value : "")) != 0) {
			r = acmb_error(err, ACMB_E_NOMEM, "out of memory");
			goto out;
		}
	r = acmb_inventory_set_tags(inv, i, list, err);
out:
	json_decref(list);
	acmb_acm_tag_list_clear(&tags);
	return r;
}
