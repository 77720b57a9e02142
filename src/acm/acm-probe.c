#include "acm-probe.h"

#include <string.h>

#include <jansson.h>

#include "acm-api.h"
#include "zalloc.h"

/* The account field of arn:PARTITION:acm:REGION:ACCOUNT:certificate/ID. */
static void
arn_account(const char *arn, char *out, size_t len)
{
	const char *p = arn, *end;
	int field;

	out[0] = '\0';
	for (field = 0; field < 4 && p != NULL; field++)
		if ((p = strchr(p, ':')) != NULL)
			p++;
	if (p == NULL || (end = strchr(p, ':')) == NULL || (size_t)(end - p) >= len || end == p ||
	    strspn(p, "0123456789") != (size_t)(end - p))
		return;
	memcpy(out, p, (size_t)(end - p));
	out[end - p] = '\0';
}

int
acmb_acm_probe_list(const struct acmb_aws_config *cfg, struct acmb_acm_probe *out, acmb_err *err)
{
	json_t *req = NULL, *types = NULL, *resp = NULL, *list, *arn;
	acmb_secbuf *body = NULL;
	char *s = NULL;
	size_t i, n;
	int r = ACMB_E_INTERNAL;

	memset(out, 0, sizeof(*out));
	/* Every key type: without them ACM lists only RSA_1024 and RSA_2048
	 * certificates, and an account of EC certificates would look empty. */
	if ((types = json_array()) == NULL)
		goto nomem;
	for (i = 0; i < ACMB_ACM_KEY_TYPES_COUNT; i++)
		if (json_array_append_new(types, json_string(acmb_acm_key_types[i])) != 0)
			goto nomem;
	if ((req = json_pack("{s:{s:O},s:i}", "Includes", "keyTypes", types, "MaxItems", 1)) ==
	        NULL ||
	    (s = json_dumps(req, JSON_COMPACT)) == NULL)
		goto nomem;
	n = strlen(s);
	if ((body = acmb_secbuf_new(n)) == NULL || acmb_secbuf_put(body, s, n) != ACMB_OK)
		goto nomem;
	if ((r = acmb_aws_call(cfg, "ListCertificates", body, 0, &resp, &out->info, err)) !=
	    ACMB_OK)
		goto out;
	list = json_object_get(resp, "CertificateSummaryList");
	out->listed = json_is_array(list) ? json_array_size(list) : 0;
	if (out->listed > 0 &&
	    (arn = json_object_get(json_array_get(list, 0), "CertificateArn")) != NULL &&
	    json_is_string(arn))
		arn_account(json_string_value(arn), out->account, sizeof(out->account));
	r = ACMB_OK;
	goto out;
nomem:
	r = acmb_error(err, ACMB_E_NOMEM, "ListCertificates: out of memory");
out:
	/* json_dumps() allocates with jansson's (our wiping) allocator. */
	acmb_zfree(s);
	acmb_secbuf_free(body);
	json_decref(resp);
	json_decref(req);
	json_decref(types);
	return r;
}
