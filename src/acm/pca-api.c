#include "pca-api.h"

#include "zalloc.h"

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>
#include <openssl/evp.h>

/* Serialises a request (no secrets: CSRs and ARNs) into the secure buffer
 * acmb_aws_call() takes every body in. Takes req (NULL: it could not be
 * built) and frees it. */
static int
pca_call(const struct acmb_aws_config *cfg, const char *op, json_t *req, unsigned flags,
    json_t **resp, struct acmb_aws_call_info *info, acmb_err *err)
{
	acmb_secbuf *body = NULL;
	char *s = NULL;
	size_t n;
	int r = ACMB_E_INTERNAL;

	*resp = NULL;
	if (req == NULL || (s = json_dumps(req, JSON_COMPACT)) == NULL) {
		r = acmb_error(err, ACMB_E_NOMEM, "%s: cannot build the request", op);
		goto out;
	}
	n = strlen(s);
	if ((body = acmb_secbuf_new(n)) == NULL || acmb_secbuf_put(body, s, n) != ACMB_OK) {
		r = acmb_error(err, ACMB_E_NOMEM, "%s: out of secure memory", op);
		goto out;
	}
	r = acmb_aws_call(cfg, op, body, flags, resp, info, err);
out:
	acmb_zfree(s);
	acmb_secbuf_free(body);
	json_decref(req);
	return r;
}

static void
copy_member(json_t *o, const char *name, char *dst, size_t dstlen)
{
	const char *v = json_string_value(json_object_get(o, name));

	snprintf(dst, dstlen, "%s", v != NULL ? v : "");
}

int
acmb_pca_describe_authority(const struct acmb_aws_config *cfg, const char *ca_arn,
    struct acmb_pca_authority *out, struct acmb_aws_call_info *info, acmb_err *err)
{
	json_t *resp = NULL, *ca, *conf;
	int r = ACMB_E_INTERNAL;

	memset(out, 0, sizeof(*out));
	if ((r = pca_call(cfg, "DescribeCertificateAuthority",
	         json_pack("{s:s}", "CertificateAuthorityArn", ca_arn), 0, &resp, info, err)) !=
	    ACMB_OK)
		goto out;
	ca = json_object_get(resp, "CertificateAuthority");
	conf = json_object_get(ca, "CertificateAuthorityConfiguration");
	if (!json_is_object(ca) || !json_is_object(conf)) {
		r = acmb_error(err, ACMB_E_AWS,
		    "DescribeCertificateAuthority: the answer has no "
		    "CertificateAuthority configuration");
		goto out;
	}
	copy_member(ca, "Status", out->status, sizeof(out->status));
	copy_member(ca, "Type", out->type, sizeof(out->type));
	copy_member(ca, "UsageMode", out->usage_mode, sizeof(out->usage_mode));
	/* A timestamp, seconds since the epoch (JSON 1.1 sends a number). */
	if (json_is_number(json_object_get(ca, "NotAfter")))
		out->not_after = (long long)json_number_value(json_object_get(ca, "NotAfter"));
	copy_member(conf, "KeyAlgorithm", out->key_algorithm, sizeof(out->key_algorithm));
	copy_member(
	    conf, "SigningAlgorithm", out->signing_algorithm, sizeof(out->signing_algorithm));
	r = ACMB_OK;
out:
	json_decref(resp);
	return r;
}

/* Base64 of the PEM CSR: Csr is a blob in the model. */
static json_t *
csr_blob(const char *pem)
{
	size_t n = strlen(pem);

	return n == 0 || n > ACMB_PCA_CSR_MAX ? NULL : acmb_aws_json_blob(pem, n);
}

int
acmb_pca_issue_certificate(const struct acmb_aws_config *cfg,
    const struct acmb_pca_issue_request *q, char **cert_arn, struct acmb_aws_call_info *info,
    acmb_err *err)
{
	json_t *req = NULL, *resp = NULL, *csr = NULL;
	const char *arn;
	int r = ACMB_E_INTERNAL;

	*cert_arn = NULL;
	if ((csr = csr_blob(q->csr_pem)) == NULL) {
		r = acmb_error(err, ACMB_E_USAGE,
		    "IssueCertificate: the CSR is empty or over "
		    "Private CA's %d bytes",
		    ACMB_PCA_CSR_MAX);
		goto out;
	}
	req = json_pack("{s:s, s:O, s:s, s:{s:I, s:s}, s:s}", "CertificateAuthorityArn", q->ca_arn,
	    "Csr", csr, "SigningAlgorithm", q->signing_algorithm, "Validity", "Value",
	    (json_int_t)q->validity_value, "Type", q->validity_type, "IdempotencyToken",
	    q->idempotency_token);
	if (req != NULL && q->template_arn != NULL &&
	    json_object_set_new(req, "TemplateArn", json_string(q->template_arn)) != 0) {
		json_decref(req);
		req = NULL;
	}
	if (req != NULL && q->api_passthrough != NULL &&
	    json_object_set(req, "ApiPassthrough", q->api_passthrough) != 0) {
		json_decref(req);
		req = NULL;
	}
	/* Resent by the caller, which keeps resends inside the token's window. */
	r = pca_call(cfg, "IssueCertificate", req, ACMB_AWS_NOT_IDEMPOTENT, &resp, info, err);
	req = NULL;
	if (r != ACMB_OK)
		goto out;
	if ((arn = json_string_value(json_object_get(resp, "CertificateArn"))) == NULL) {
		r = acmb_error(err, ACMB_E_AWS,
		    "IssueCertificate: the answer has no "
		    "CertificateArn");
		goto out;
	}
	if ((*cert_arn = strdup(arn)) == NULL) {
		r = acmb_error(err, ACMB_E_NOMEM, "out of memory");
		goto out;
	}
	r = ACMB_OK;
out:
	json_decref(csr);
	json_decref(req);
	json_decref(resp);
	return r;
}

int
acmb_pca_get_certificate(const struct acmb_aws_config *cfg, const char *ca_arn,
    const char *cert_arn, char **cert_pem, char **chain_pem, struct acmb_aws_call_info *info,
    acmb_err *err)
{
	json_t *resp = NULL;
	char *cert = NULL, *chain = NULL;
	int r = ACMB_E_INTERNAL;

	*cert_pem = NULL;
	*chain_pem = NULL;
	if ((r = pca_call(cfg, "GetCertificate",
	         json_pack(
	             "{s:s, s:s}", "CertificateAuthorityArn", ca_arn, "CertificateArn", cert_arn),
	         0, &resp, info, err)) != ACMB_OK)
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
	json_decref(resp);
	return r;
}
