/*
 * The per-destination inventory: ACM's listing answers turned into plain
 * records. Timestamps arrive as epoch seconds (JSON numbers, as ACM's JSON
 * protocol sends them).
 */
#include <ctype.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "inventory.h"

static char *
dup_or_null(const json_t *v)
{
	return json_is_string(v) ? strdup(json_string_value(v)) : NULL;
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
