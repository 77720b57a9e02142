/*
 * Typed AWS Private CA operations over the JSON 1.1 call (aws-http.h):
 * the three the issue flow needs. Each takes a configuration resolved for
 * acmb_aws_service_acm_pca, fills `info` (NULL allowed) with what happened
 * on the wire, and returns ACMB_OK or the errors of aws-http.h (ACMB_E_AWS
 * with info->error_code, ACMB_E_NETWORK, ACMB_E_TLS).
 */
#ifndef ACMB_PCA_API_H
#define ACMB_PCA_API_H

#include <stddef.h>

#include <jansson.h>

#include "aws-config.h"
#include "aws-http.h"
#include "error.h"

/* Private CA's IdempotencyToken: 1 to 36 characters. */
#define ACMB_PCA_TOKEN_MAX 36
/* Private CA's CSR blob limit (the model's CsrBlob max). */
#define ACMB_PCA_CSR_MAX 32768

/* DescribeCertificateAuthority's answer, the fields the issue flow needs.
 * Strings are "" when the service left them out. */
struct acmb_pca_authority {
	char status[32];            /* ACTIVE, DISABLED, PENDING_CERTIFICATE, ... */
	char type[16];              /* ROOT, SUBORDINATE */
	char key_algorithm[32];     /* RSA_2048, EC_prime256v1, ... */
	char signing_algorithm[32]; /* SHA256WITHRSA, ... */
	char usage_mode[32];        /* GENERAL_PURPOSE, SHORT_LIVED_CERTIFICATE */
	long long not_after;        /* the CA certificate's NotAfter, epoch seconds; 0 if absent */
};

/* DescribeCertificateAuthority of ca_arn into *out. */
int acmb_pca_describe_authority(const struct acmb_aws_config *cfg, const char *ca_arn,
    struct acmb_pca_authority *out, struct acmb_aws_call_info *info, acmb_err *err);

/* What IssueCertificate sends. Strings are borrowed. */
struct acmb_pca_issue_request {
	const char *ca_arn;
	const char *csr_pem;           /* sent as a blob (base64 of the PEM) */
	const char *signing_algorithm; /* SHA256WITHRSA, ... */
	const char *validity_type;     /* DAYS, MONTHS, YEARS, END_DATE, ABSOLUTE */
	long long validity_value;
	const char *template_arn;      /* or NULL */
	json_t *api_passthrough;       /* an ApiPassthrough object, or NULL; borrowed */
	const char *idempotency_token; /* 1-36 characters; makes retries safe */
};

/* Private CA recognises an IdempotencyToken for 5 minutes (its model says
 * so): a resend with the same token inside them gets the first request's
 * certificate, whatever CSR it carries; after them it is a new request. */
#define ACMB_PCA_TOKEN_WINDOW 300

/* IssueCertificate, sent once: when the answer is lost (info->response_lost
 * on ACMB_E_NETWORK) Private CA may have issued the certificate; the caller
 * resends with the same token, inside ACMB_PCA_TOKEN_WINDOW of the first
 * request, to learn its ARN. On success *cert_arn is the Private CA
 * certificate ARN; caller free()s it. */
int acmb_pca_issue_certificate(const struct acmb_aws_config *cfg,
    const struct acmb_pca_issue_request *req, char **cert_arn, struct acmb_aws_call_info *info,
    acmb_err *err);

/* GetCertificate, once. *cert_pem and *chain_pem (NULL when absent) are the
 * PEM strings as Private CA returns them (not base64); caller free()s both.
 * While the certificate is being issued the call fails with ACMB_E_AWS and
 * info->error_code "RequestInProgressException" (info must then be given). */
int acmb_pca_get_certificate(const struct acmb_aws_config *cfg, const char *ca_arn,
    const char *cert_arn, char **cert_pem, char **chain_pem, struct acmb_aws_call_info *info,
    acmb_err *err);

#endif
