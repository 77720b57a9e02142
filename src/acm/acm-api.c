#include "acm-api.h"

#include "zalloc.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <jansson.h>
#include <openssl/evp.h>

#define KEY_PEM_MAX ((size_t)1 << 20) /* far above ACM's 5 KiB; keeps sizes small */

const char *const acmb_acm_key_types[ACMB_ACM_KEY_TYPES_COUNT] = {"RSA_1024", "RSA_2048",
    "RSA_3072", "RSA_4096", "EC_prime256v1", "EC_secp384r1", "EC_secp521r1"};

/* Serialises a request without secrets into a secure buffer, as
 * acmb_aws_call() takes every body there. */
static int
call_json(const struct acmb_aws_config *cfg, const char *op, json_t *req, unsigned flags,
    json_t **resp, struct acmb_aws_call_info *info, acmb_err *err)
{
	acmb_secbuf *body = NULL;
	char *s = NULL;
	size_t n;
	int r = ACMB_E_INTERNAL;

	*resp = NULL;
	if ((s = json_dumps(req, JSON_COMPACT)) == NULL) {
		r = acmb_error(err, ACMB_E_NOMEM, "%s: cannot serialise the request", op);
		goto out;
	}
	n = strlen(s);
	if ((body = acmb_secbuf_new(n)) == NULL || acmb_secbuf_put(body, s, n) != ACMB_OK) {
		r = acmb_error(err, ACMB_E_NOMEM, "%s: out of secure memory", op);
		goto out;
	}
	r = acmb_aws_call(cfg, op, body, flags, resp, info, err);
out:
	/* json_dumps() allocates with jansson's (our wiping) allocator. */
	acmb_zfree(s);
	acmb_secbuf_free(body);
	return r;
}

static size_t
utf8_chars(const char *s)
{
	size_t n = 0;

	for (; *s != '\0'; s++)
		if (((unsigned char)*s & 0xc0) != 0x80)
			n++;
	return n;
}

int
acmb_acm_tags_check(const struct acmb_acm_tag *tags, size_t count, acmb_err *err)
{
	size_t i, j;
	json_t *probe;

	if (count > ACMB_ACM_TAGS_MAX)
		return acmb_error(err, ACMB_E_USAGE, "%zu tags given; ACM allows at most %d", count,
		    ACMB_ACM_TAGS_MAX);
	for (i = 0; i < count; i++) {
		if (tags[i].key == NULL || tags[i].key[0] == '\0' ||
		    utf8_chars(tags[i].key) > ACMB_ACM_TAG_KEY_MAX)
			return acmb_error(err, ACMB_E_USAGE,
			    "tag %zu: the key must be 1 to %d "
			    "characters long",
			    i + 1, ACMB_ACM_TAG_KEY_MAX);
		/* AWS reserves the prefix in any case: ACM refuses "AWS:x" too. */
		if (strncasecmp(tags[i].key, "aws:", 4) == 0)
			return acmb_error(err, ACMB_E_USAGE,
			    "tag %zu: keys starting with \"aws:\" (in any case) "
			    "are reserved by AWS",
			    i + 1);
		/* A key given twice would be sent as given, and every rerun would
		 * find it "changed"; ACM's keys are case-sensitive. */
		for (j = 0; j < i; j++)
			if (strcmp(tags[j].key, tags[i].key) == 0)
				return acmb_error(err, ACMB_E_USAGE,
				    "tag '%s' is given twice (tags %zu and %zu); give each key "
				    "once",
				    tags[i].key, j + 1, i + 1);
		if (tags[i].value != NULL && utf8_chars(tags[i].value) > ACMB_ACM_TAG_VALUE_MAX)
			return acmb_error(err, ACMB_E_USAGE,
			    "tag '%s': the value must be 0 to %d "
			    "characters long",
			    tags[i].key, ACMB_ACM_TAG_VALUE_MAX);
		/* jansson refuses invalid UTF-8, which JSON cannot carry either. */
		if ((probe = json_string(tags[i].key)) == NULL)
			return acmb_error(
			    err, ACMB_E_USAGE, "tag %zu: the key is not valid UTF-8", i + 1);
		json_decref(probe);
		if (tags[i].value != NULL) {
			if ((probe = json_string(tags[i].value)) == NULL)
				return acmb_error(err, ACMB_E_USAGE,
				    "tag '%s': the value is not "
				    "valid UTF-8",
				    tags[i].key);
			json_decref(probe);
		}
	}
	return ACMB_OK;
}

static json_t *
tags_json(const struct acmb_acm_tag *tags, size_t count)
{
	json_t *a = json_array(), *t;
	size_t i;

	for (i = 0; a != NULL && i < count; i++) {
		t = json_pack("{s:s}", "Key", tags[i].key);
		if (t != NULL && tags[i].value != NULL &&
		    json_object_set_new(t, "Value", json_string(tags[i].value)) != 0) {
			json_decref(t);
			t = NULL;
		}
		if (t == NULL || json_array_append_new(a, t) != 0) {
			json_decref(a);
			return NULL;
		}
	}
	return a;
}

/* Certificate and CertificateChain are blobs in ACM's model: base64 of the
 * PEM, which is public; NULL when too large or out of memory. */
static json_t *
blob_json(const char *pem)
{
	size_t n = strlen(pem);

	return n > ACMB_AWS_PEM_FIELD_MAX ? NULL : acmb_aws_json_blob(pem, n);
}

/*
 * The body is built so that jansson never holds the key: jansson serialises
 * everything else, then the base64 key is written straight into the secure
 * body buffer in front of it. Base64 needs no JSON escaping, so splicing is
 * exact; a placeholder would have needed a search through the serialised
 * body, and handing the key to jansson would have left copies in its heap.
 */
static int
import_body(const char *cert_pem, const char *chain_pem, const acmb_secbuf *key_pem,
    const char *arn, const struct acmb_acm_tag *tags, size_t ntags, acmb_secbuf **out,
    acmb_err *err)
{
	json_t *req = NULL, *t = NULL;
	acmb_secbuf *b = NULL;
	char *rest = NULL;
	unsigned char *dst;
	size_t keylen = acmb_secbuf_len(key_pem), b64len, restlen;
	static const char head[] = "{\"PrivateKey\":\"";
	int r = ACMB_E_INTERNAL, n;

	*out = NULL;
	if (keylen == 0 || keylen > KEY_PEM_MAX) {
		r = acmb_error(err, ACMB_E_USAGE,
		    "ImportCertificate: the private key is empty "
		    "or larger than %zu bytes",
		    KEY_PEM_MAX);
		goto out;
	}
	if (strlen(cert_pem) > ACMB_AWS_PEM_FIELD_MAX ||
	    (chain_pem != NULL && strlen(chain_pem) > ACMB_AWS_PEM_FIELD_MAX)) {
		r = acmb_error(err, ACMB_E_TOO_BIG,
		    "ImportCertificate: certificate or chain "
		    "larger than %zu bytes",
		    ACMB_AWS_PEM_FIELD_MAX);
		goto out;
	}
	if ((req = json_object()) == NULL ||
	    json_object_set_new(req, "Certificate", blob_json(cert_pem)) != 0 ||
	    (chain_pem != NULL && chain_pem[0] != '\0' &&
	        json_object_set_new(req, "CertificateChain", blob_json(chain_pem)) != 0)) {
		r = acmb_error(err, ACMB_E_NOMEM, "ImportCertificate: cannot build the request");
		goto out;
	}
	if (arn != NULL && json_object_set_new(req, "CertificateArn", json_string(arn)) != 0) {
		r = acmb_error(err, ACMB_E_USAGE,
		    "ImportCertificate: the ARN is not valid "
		    "UTF-8 text");
		goto out;
	}
	if (ntags > 0) {
		if ((t = tags_json(tags, ntags)) == NULL ||
		    json_object_set_new(req, "Tags", t) != 0) {
			t = NULL;
			r = acmb_error(err, ACMB_E_NOMEM, "ImportCertificate: cannot build tags");
			goto out;
		}
		t = NULL;
	}
	if ((rest = json_dumps(req, JSON_COMPACT)) == NULL || rest[0] != '{') {
		r = acmb_error(err, ACMB_E_NOMEM, "ImportCertificate: cannot serialise");
		goto out;
	}
	restlen = strlen(rest);
	b64len = 4 * ((keylen + 2) / 3);
	if ((b = acmb_secbuf_new(sizeof(head) + b64len + 2 + restlen)) == NULL ||
	    acmb_secbuf_put(b, head, sizeof(head) - 1) != ACMB_OK ||
	    (dst = acmb_secbuf_reserve(b, b64len + 1)) == NULL) {
		r = acmb_error(err, ACMB_E_NOMEM, "ImportCertificate: out of secure memory");
		goto out;
	}
	/* EVP_EncodeBlock writes b64len characters and a NUL, no newlines. */
	if ((n = EVP_EncodeBlock(dst, acmb_secbuf_ptr(key_pem), (int)keylen)) < 0 ||
	    (size_t)n != b64len) {
		r = acmb_error_ssl(err, ACMB_E_INTERNAL, "ImportCertificate: base64 failed");
		goto out;
	}
	acmb_secbuf_commit(b, b64len);
	if (acmb_secbuf_put(b, "\",", 2) != ACMB_OK ||
	    acmb_secbuf_put(b, rest + 1, restlen - 1) != ACMB_OK) {
		r = acmb_error(err, ACMB_E_NOMEM, "ImportCertificate: out of secure memory");
		goto out;
	}
	*out = b;
	b = NULL;
	r = ACMB_OK;
out:
	acmb_zfree(rest);
	json_decref(t);
	json_decref(req);
	acmb_secbuf_free(b);
	return r;
}

static int
dup_field(json_t *o, const char *name, char **out)
{
	json_t *v = json_object_get(o, name);

	*out = NULL;
	if (v == NULL || !json_is_string(v))
		return ACMB_OK;
	return (*out = strdup(json_string_value(v))) != NULL ? ACMB_OK : ACMB_E_NOMEM;
}

int
acmb_acm_import_certificate(const struct acmb_aws_config *cfg, const char *cert_pem,
    const char *chain_pem, const acmb_secbuf *key_pem, const char *arn,
    const struct acmb_acm_tag *tags, size_t ntags, char **arn_out, struct acmb_aws_call_info *info,
    acmb_err *err)
{
	acmb_secbuf *body = NULL;
	json_t *resp = NULL;
	char *got = NULL;
	int r = ACMB_E_INTERNAL;

	*arn_out = NULL;
	if (info != NULL)
		memset(info, 0, sizeof(*info));
	if (cert_pem == NULL || key_pem == NULL) {
		r = acmb_error(err, ACMB_E_USAGE,
		    "ImportCertificate: certificate and private key "
		    "are required");
		goto out;
	}
	if (arn != NULL && ntags > 0) {
		r = acmb_error(err, ACMB_E_USAGE,
		    "ImportCertificate: ACM does not accept tags on "
		    "a reimport (CertificateArn given); add them with AddTagsToCertificate");
		goto out;
	}
	if ((r = acmb_acm_tags_check(tags, ntags, err)) != ACMB_OK ||
	    (r = import_body(cert_pem, chain_pem, key_pem, arn, tags, ntags, &body, err)) !=
	        ACMB_OK)
		goto out;
	if ((r = acmb_aws_call(cfg, "ImportCertificate", body, ACMB_AWS_NOT_IDEMPOTENT, &resp, info,
	         err)) != ACMB_OK)
		goto out;
	if (dup_field(resp, "CertificateArn", &got) != ACMB_OK || got == NULL) {
		r = acmb_error(err, ACMB_E_AWS,
		    "ImportCertificate: the answer has no "
		    "CertificateArn");
		goto out;
	}
	*arn_out = got;
	got = NULL;
	r = ACMB_OK;
out:
	free(got);
	json_decref(resp);
	acmb_secbuf_free(body);
	return r;
}

static void
strings_clear(struct acmb_acm_strings *s)
{
	size_t i;

	for (i = 0; s->v != NULL && i < s->count; i++)
		free(s->v[i]);
	free(s->v);
	memset(s, 0, sizeof(*s));
}

/* Copies a JSON array of strings, or of objects' `member` strings. */
static int
strings_from(json_t *a, const char *member, struct acmb_acm_strings *s)
{
	size_t i;
	json_t *e;

	memset(s, 0, sizeof(*s));
	if (a == NULL || !json_is_array(a) || json_array_size(a) == 0)
		return ACMB_OK;
	if ((s->v = calloc(json_array_size(a), sizeof(*s->v))) == NULL)
		return ACMB_E_NOMEM;
	json_array_foreach(a, i, e)
	{
		if (member != NULL)
			e = json_is_object(e) ? json_object_get(e, member) : NULL;
		if (e == NULL || !json_is_string(e))
			continue;
		if ((s->v[s->count] = strdup(json_string_value(e))) == NULL)
			return ACMB_E_NOMEM;
		s->count++;
	}
	return ACMB_OK;
}

static time_t
time_field(json_t *o, const char *name)
{
	json_t *v = json_object_get(o, name);

	return v != NULL && json_is_number(v) ? (time_t)json_number_value(v) : 0;
}

/* A JSON 1.1 timestamp with its fraction: the order of two imports in one
 * second is in the milliseconds. */
static double
precise_time_field(json_t *o, const char *name)
{
	json_t *v = json_object_get(o, name);

	return v != NULL && json_is_number(v) ? json_number_value(v) : 0.0;
}

static int
bool_field(json_t *o, const char *name)
{
	json_t *v = json_object_get(o, name);

	return v != NULL && json_is_boolean(v) ? json_is_true(v) : -1;
}

void
acmb_acm_certificate_clear(struct acmb_acm_certificate *c)
{
	if (c == NULL)
		return;
	free(c->arn);
	free(c->type);
	free(c->status);
	free(c->domain_name);
	free(c->serial);
	free(c->key_algorithm);
	free(c->subject);
	free(c->issuer);
	strings_clear(&c->domain_names);
	strings_clear(&c->key_usages);
	strings_clear(&c->extended_key_usages);
	strings_clear(&c->in_use_by);
	memset(c, 0, sizeof(*c));
}

int
acmb_acm_describe_certificate(const struct acmb_aws_config *cfg, const char *arn,
    struct acmb_acm_certificate *out, struct acmb_aws_call_info *info, acmb_err *err)
{
	struct acmb_acm_certificate c;
	json_t *req = NULL, *resp = NULL, *d;
	int r = ACMB_E_INTERNAL;

	memset(out, 0, sizeof(*out));
	memset(&c, 0, sizeof(c));
	if ((req = json_pack("{s:s}", "CertificateArn", arn)) == NULL) {
		r = acmb_error(err, ACMB_E_USAGE, "DescribeCertificate: bad ARN");
		goto out;
	}
	if ((r = call_json(cfg, "DescribeCertificate", req, 0, &resp, info, err)) != ACMB_OK)
		goto out;
	if ((d = json_object_get(resp, "Certificate")) == NULL || !json_is_object(d)) {
		r = acmb_error(err, ACMB_E_AWS,
		    "DescribeCertificate: the answer has no "
		    "Certificate");
		goto out;
	}
	if (dup_field(d, "CertificateArn", &c.arn) != ACMB_OK ||
	    dup_field(d, "Type", &c.type) != ACMB_OK ||
	    dup_field(d, "Status", &c.status) != ACMB_OK ||
	    dup_field(d, "DomainName", &c.domain_name) != ACMB_OK ||
	    dup_field(d, "Serial", &c.serial) != ACMB_OK ||
	    dup_field(d, "KeyAlgorithm", &c.key_algorithm) != ACMB_OK ||
	    dup_field(d, "Subject", &c.subject) != ACMB_OK ||
	    dup_field(d, "Issuer", &c.issuer) != ACMB_OK ||
	    strings_from(json_object_get(d, "SubjectAlternativeNames"), NULL, &c.domain_names) !=
	        ACMB_OK ||
	    strings_from(json_object_get(d, "KeyUsages"), "Name", &c.key_usages) != ACMB_OK ||
	    strings_from(json_object_get(d, "ExtendedKeyUsages"), "Name", &c.extended_key_usages) !=
	        ACMB_OK ||
	    strings_from(json_object_get(d, "InUseBy"), NULL, &c.in_use_by) != ACMB_OK) {
		r = acmb_error(err, ACMB_E_NOMEM, "DescribeCertificate: out of memory");
		goto out;
	}
	c.not_before = time_field(d, "NotBefore");
	c.not_after = time_field(d, "NotAfter");
	c.imported_at = time_field(d, "ImportedAt");
	c.imported_at_exact = precise_time_field(d, "ImportedAt");
	*out = c;
	memset(&c, 0, sizeof(c));
	r = ACMB_OK;
out:
	acmb_acm_certificate_clear(&c);
	json_decref(req);
	json_decref(resp);
	return r;
}

int
acmb_acm_get_certificate(const struct acmb_aws_config *cfg, const char *arn, char **cert_pem,
    char **chain_pem, struct acmb_aws_call_info *info, acmb_err *err)
{
	json_t *req = NULL, *resp = NULL;
	char *cert = NULL, *chain = NULL;
	int r = ACMB_E_INTERNAL;

	*cert_pem = NULL;
	*chain_pem = NULL;
	if ((req = json_pack("{s:s}", "CertificateArn", arn)) == NULL) {
		r = acmb_error(err, ACMB_E_USAGE, "GetCertificate: bad ARN");
		goto out;
	}
	if ((r = call_json(cfg, "GetCertificate", req, 0, &resp, info, err)) != ACMB_OK)
		goto out;
	if ((r = acmb_aws_json_cert_chain(resp, &cert, &chain, err)) != ACMB_OK)
		goto out;
	*cert_pem = cert;
	*chain_pem = chain;
	cert = chain = NULL;
	r = ACMB_OK;
out:
	free(cert);
	free(chain);
	json_decref(req);
	json_decref(resp);
	return r;
}

void
acmb_acm_summary_list_clear(struct acmb_acm_summary_list *l)
{
	size_t i;

	if (l == NULL)
		return;
	for (i = 0; l->items != NULL && i < l->count; i++) {
		free(l->items[i].arn);
		free(l->items[i].domain_name);
		free(l->items[i].key_algorithm);
		free(l->items[i].status);
		free(l->items[i].type);
	}
	free(l->items);
	memset(l, 0, sizeof(*l));
}

static int
summaries_append(struct acmb_acm_summary_list *l, json_t *a)
{
	struct acmb_acm_summary *grown, *s;
	size_t i, add;
	json_t *e;

	if (a == NULL || !json_is_array(a) || (add = json_array_size(a)) == 0)
		return ACMB_OK;
	if (add > SIZE_MAX / sizeof(*grown) - l->count)
		return ACMB_E_TOO_BIG;
	if ((grown = realloc(l->items, (l->count + add) * sizeof(*grown))) == NULL)
		return ACMB_E_NOMEM;
	l->items = grown;
	json_array_foreach(a, i, e)
	{
		if (!json_is_object(e))
			continue;
		s = &l->items[l->count];
		memset(s, 0, sizeof(*s));
		l->count++;
		if (dup_field(e, "CertificateArn", &s->arn) != ACMB_OK ||
		    dup_field(e, "DomainName", &s->domain_name) != ACMB_OK ||
		    dup_field(e, "KeyAlgorithm", &s->key_algorithm) != ACMB_OK ||
		    dup_field(e, "Status", &s->status) != ACMB_OK ||
		    dup_field(e, "Type", &s->type) != ACMB_OK)
			return ACMB_E_NOMEM;
		s->not_after = time_field(e, "NotAfter");
		s->imported_at = precise_time_field(e, "ImportedAt");
		s->in_use = bool_field(e, "InUse");
	}
	return ACMB_OK;
}

static int
list_page_size(void)
{
#ifdef ACMB_TEST_HOOKS
	const char *v = getenv("ACMB_TEST_LIST_PAGE_SIZE");

	if (v != NULL && atoi(v) > 0 && atoi(v) <= 1000)
		return atoi(v);
#endif
	return 1000;
}

int
acmb_acm_list_certificates(const struct acmb_aws_config *cfg, struct acmb_acm_summary_list *out,
    struct acmb_aws_call_info *info, acmb_err *err)
{
	struct acmb_acm_summary_list l;
	json_t *req = NULL, *resp = NULL, *types = NULL, *next;
	char *token = NULL;
	size_t i, page;
	int r = ACMB_E_INTERNAL;

	memset(out, 0, sizeof(*out));
	memset(&l, 0, sizeof(l));
	if ((types = json_array()) == NULL)
		goto nomem;
	for (i = 0; i < ACMB_ACM_KEY_TYPES_COUNT; i++)
		if (json_array_append_new(types, json_string(acmb_acm_key_types[i])) != 0)
			goto nomem;
	for (page = 0; page < ACMB_ACM_LIST_MAX_PAGES; page++) {
		json_decref(req);
		if ((req = json_pack("{s:{s:O},s:i}", "Includes", "keyTypes", types, "MaxItems",
		         list_page_size())) == NULL ||
		    (token != NULL &&
		        json_object_set_new(req, "NextToken", json_string(token)) != 0))
			goto nomem;
		json_decref(resp);
		if ((r = call_json(cfg, "ListCertificates", req, 0, &resp, info, err)) != ACMB_OK)
			goto out;
		if ((r = summaries_append(&l, json_object_get(resp, "CertificateSummaryList"))) !=
		    ACMB_OK) {
			r = acmb_error(err, r, "ListCertificates: cannot keep the answer");
			goto out;
		}
		free(token);
		token = NULL;
		next = json_object_get(resp, "NextToken");
		if (next == NULL || !json_is_string(next) || json_string_length(next) == 0) {
			*out = l;
			memset(&l, 0, sizeof(l));
			r = ACMB_OK;
			goto out;
		}
		if ((token = strdup(json_string_value(next))) == NULL)
			goto nomem;
	}
	r = acmb_error(err, ACMB_E_AWS, "ListCertificates: more than %d pages; giving up",
	    ACMB_ACM_LIST_MAX_PAGES);
	goto out;
nomem:
	r = acmb_error(err, ACMB_E_NOMEM, "ListCertificates: out of memory");
out:
	free(token);
	json_decref(types);
	json_decref(req);
	json_decref(resp);
	acmb_acm_summary_list_clear(&l);
	return r;
}

void
acmb_acm_tag_list_clear(struct acmb_acm_tag_list *l)
{
	size_t i;

	if (l == NULL)
		return;
	for (i = 0; l->tags != NULL && i < l->count; i++) {
		free((char *)l->tags[i].key);
		free((char *)l->tags[i].value);
	}
	free(l->tags);
	memset(l, 0, sizeof(*l));
}

int
acmb_acm_list_tags(const struct acmb_aws_config *cfg, const char *arn,
    struct acmb_acm_tag_list *out, struct acmb_aws_call_info *info, acmb_err *err)
{
	struct acmb_acm_tag_list l;
	json_t *req = NULL, *resp = NULL, *a, *e;
	char *k, *v;
	size_t i;
	int r = ACMB_E_INTERNAL;

	memset(out, 0, sizeof(*out));
	memset(&l, 0, sizeof(l));
	if ((req = json_pack("{s:s}", "CertificateArn", arn)) == NULL) {
		r = acmb_error(err, ACMB_E_USAGE, "ListTagsForCertificate: bad ARN");
		goto out;
	}
	if ((r = call_json(cfg, "ListTagsForCertificate", req, 0, &resp, info, err)) != ACMB_OK)
		goto out;
	a = json_object_get(resp, "Tags");
	if (a != NULL && json_is_array(a) && json_array_size(a) > 0) {
		if ((l.tags = calloc(json_array_size(a), sizeof(*l.tags))) == NULL)
			goto nomem;
		json_array_foreach(a, i, e)
		{
			if (dup_field(e, "Key", &k) != ACMB_OK)
				goto nomem;
			if (k == NULL)
				continue;
			l.tags[l.count].key = k;
			l.count++;
			if (dup_field(e, "Value", &v) != ACMB_OK)
				goto nomem;
			l.tags[l.count - 1].value = v;
		}
	}
	*out = l;
	memset(&l, 0, sizeof(l));
	r = ACMB_OK;
	goto out;
nomem:
	r = acmb_error(err, ACMB_E_NOMEM, "ListTagsForCertificate: out of memory");
out:
	acmb_acm_tag_list_clear(&l);
	json_decref(req);
	json_decref(resp);
	return r;
}

static int
tags_call(const struct acmb_aws_config *cfg, const char *op, const char *arn,
    const struct acmb_acm_tag *tags, size_t ntags, struct acmb_aws_call_info *info, acmb_err *err)
{
	json_t *req = NULL, *resp = NULL, *t = NULL;
	int r = ACMB_E_INTERNAL;

	if (ntags == 0) {
		r = acmb_error(err, ACMB_E_USAGE, "%s: no tags given", op);
		goto out;
	}
	if ((r = acmb_acm_tags_check(tags, ntags, err)) != ACMB_OK)
		goto out;
	if ((req = json_pack("{s:s}", "CertificateArn", arn)) == NULL ||
	    (t = tags_json(tags, ntags)) == NULL || json_object_set_new(req, "Tags", t) != 0) {
		t = NULL;
		r = acmb_error(err, ACMB_E_NOMEM, "%s: cannot build the request", op);
		goto out;
	}
	t = NULL;
	r = call_json(cfg, op, req, 0, &resp, info, err);
out:
	json_decref(t);
	json_decref(req);
	json_decref(resp);
	return r;
}

int
acmb_acm_add_tags(const struct acmb_aws_config *cfg, const char *arn,
    const struct acmb_acm_tag *tags, size_t ntags, struct acmb_aws_call_info *info, acmb_err *err)
{
	return tags_call(cfg, "AddTagsToCertificate", arn, tags, ntags, info, err);
}

int
acmb_acm_remove_tags(const struct acmb_aws_config *cfg, const char *arn,
    const struct acmb_acm_tag *tags, size_t ntags, struct acmb_aws_call_info *info, acmb_err *err)
{
	return tags_call(cfg, "RemoveTagsFromCertificate", arn, tags, ntags, info, err);
}

int
acmb_acm_delete_certificate(const struct acmb_aws_config *cfg, const char *arn,
    struct acmb_aws_call_info *info, acmb_err *err)
{
	json_t *req = NULL, *resp = NULL;
	int r;

	if ((req = json_pack("{s:s}", "CertificateArn", arn)) == NULL)
		return acmb_error(err, ACMB_E_USAGE, "DeleteCertificate: bad ARN");
	r = call_json(cfg, "DeleteCertificate", req, 0, &resp, info, err);
	json_decref(req);
	json_decref(resp);
	return r;
}

int
acmb_acm_call_json(const struct acmb_aws_config *cfg, const char *op, json_t *req, unsigned flags,
    json_t **resp, struct acmb_aws_call_info *info, acmb_err *err)
{
	return call_json(cfg, op, req, flags, resp, info, err);
}

void
acmb_acm_search_hits_clear(struct acmb_acm_search_hits *h)
{
	size_t i;

	if (h == NULL)
		return;
	for (i = 0; h->items != NULL && i < h->count; i++) {
		free(h->items[i].arn);
		free(h->items[i].serial);
		free(h->items[i].type);
	}
	free(h->items);
	memset(h, 0, sizeof(*h));
}

static int
hits_append(struct acmb_acm_search_hits *h, json_t *a)
{
	struct acmb_acm_search_hit *grown, *s;
	json_t *e, *x509, *meta;
	size_t i, add;

	if (a == NULL || !json_is_array(a) || (add = json_array_size(a)) == 0)
		return ACMB_OK;
	if (add > SIZE_MAX / sizeof(*grown) - h->count)
		return ACMB_E_TOO_BIG;
	if ((grown = realloc(h->items, (h->count + add) * sizeof(*grown))) == NULL)
		return ACMB_E_NOMEM;
	h->items = grown;
	json_array_foreach(a, i, e)
	{
		if (!json_is_object(e))
			continue;
		x509 = json_object_get(e, "X509Attributes");
		meta = json_object_get(
		    json_object_get(e, "CertificateMetadata"), "AcmCertificateMetadata");
		s = &h->items[h->count];
		memset(s, 0, sizeof(*s));
		h->count++;
		if (dup_field(e, "CertificateArn", &s->arn) != ACMB_OK ||
		    dup_field(x509, "SerialNumber", &s->serial) != ACMB_OK ||
		    dup_field(meta, "Type", &s->type) != ACMB_OK)
			return ACMB_E_NOMEM;
		s->imported_at = precise_time_field(meta, "ImportedAt");
		s->in_use = bool_field(meta, "InUse");
		if (s->arn == NULL) {
			free(s->serial);
			free(s->type);
			h->count--;
		}
	}
	return ACMB_OK;
}

/* The model's SerialNumber pattern: [0-9a-f]{2}(:[0-9a-f]{2}){1,19}. */
static int
search_serial_ok(const char *s)
{
	size_t i, n = strlen(s);

	if (n < 5 || n > ACMB_ACM_SEARCH_SERIAL_MAX || n % 3 != 2)
		return 0;
	for (i = 0; i < n; i++) {
		if (i % 3 == 2 ? s[i] != ':'
		               : !((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f')))
			return 0;
	}
	return 1;
}

int
acmb_acm_search_by_serial(const struct acmb_aws_config *cfg, const char *serial,
    struct acmb_acm_search_hits *out, struct acmb_aws_call_info *info, acmb_err *err)
{
	struct acmb_acm_search_hits h;
	json_t *req = NULL, *resp = NULL, *next, *by_serial = NULL;
	char *token = NULL, padded[ACMB_ACM_SEARCH_SERIAL_MAX + 4];
	size_t page;
	int r = ACMB_E_INTERNAL;

	memset(out, 0, sizeof(*out));
	memset(&h, 0, sizeof(h));
	if (serial == NULL || !search_serial_ok(serial))
		return acmb_error(err, ACMB_E_USAGE,
		    "SearchCertificates: serial '%s' is not 2 to 20 octets as aa:bb:...",
		    serial != NULL ? serial : "");
	/* A serial whose first octet has the top bit set has a zero octet in
	 * front of it in DER: ask for both spellings. */
	snprintf(padded, sizeof(padded), "00:%s", serial);
	if (strchr("89abcdef", serial[0]) != NULL && search_serial_ok(padded))
		by_serial = json_pack("{s:[{s:{s:{s:s}}},{s:{s:{s:s}}}]}", "Or", "Filter",
		    "X509AttributeFilter", "SerialNumber", serial, "Filter", "X509AttributeFilter",
		    "SerialNumber", padded);
	else
		by_serial = json_pack(
		    "{s:{s:{s:s}}}", "Filter", "X509AttributeFilter", "SerialNumber", serial);
	if (by_serial == NULL)
		goto nomem;
	for (page = 0; page < ACMB_ACM_LIST_MAX_PAGES; page++) {
		json_decref(req);
		if ((req = json_pack("{s:{s:[O,{s:{s:{s:s}}}]},s:i}", "FilterStatement", "And",
		         by_serial, "Filter", "AcmCertificateMetadataFilter", "Type", "IMPORTED",
		         "MaxResults", 500)) == NULL ||
		    (token != NULL &&
		        json_object_set_new(req, "NextToken", json_string(token)) != 0))
			goto nomem;
		json_decref(resp);
		if ((r = call_json(cfg, "SearchCertificates", req, 0, &resp, info, err)) != ACMB_OK)
			goto out;
		if ((r = hits_append(&h, json_object_get(resp, "Results"))) != ACMB_OK) {
			r = acmb_error(err, r, "SearchCertificates: cannot keep the answer");
			goto out;
		}
		free(token);
		token = NULL;
		next = json_object_get(resp, "NextToken");
		if (next == NULL || !json_is_string(next) || json_string_length(next) == 0) {
			*out = h;
			memset(&h, 0, sizeof(h));
			r = ACMB_OK;
			goto out;
		}
		if ((token = strdup(json_string_value(next))) == NULL)
			goto nomem;
	}
	r = acmb_error(err, ACMB_E_AWS, "SearchCertificates: more than %d pages; giving up",
	    ACMB_ACM_LIST_MAX_PAGES);
	goto out;
nomem:
	r = acmb_error(err, ACMB_E_NOMEM, "SearchCertificates: out of memory");
out:
	free(token);
	json_decref(by_serial);
	json_decref(req);
	json_decref(resp);
	acmb_acm_search_hits_clear(&h);
	return r;
}
