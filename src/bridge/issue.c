#include "issue.h"

#include <ctype.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/bio.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include "acm/acm-api.h"
#include "acm/pca-api.h"
#include "audit.h"
#include "context.h"
#include "csr.h"
#include "issue-token.h"
#include "material.h"
#include "source-files.h"

#define IN_PROGRESS "RequestInProgressException"
/* Resends of IssueCertificate stay this far inside the token's window. */
#define TOKEN_RESEND_LIMIT ((double)ACMB_PCA_TOKEN_WINDOW - 30.0)
#define RESEND_STEP_MAX 8.0

static const struct {
	const char *name;
	enum acmb_key_alg alg;
} key_algorithms[] = {
    {"RSA_2048", ACMB_ALG_RSA_2048},
    {"RSA_3072", ACMB_ALG_RSA_3072},
    {"RSA_4096", ACMB_ALG_RSA_4096},
    {"EC_prime256v1", ACMB_ALG_EC_PRIME256V1},
    {"EC_secp384r1", ACMB_ALG_EC_SECP384R1},
    {"EC_secp521r1", ACMB_ALG_EC_SECP521R1},
};

static const char *const signing_algorithms[] = {"SHA256WITHRSA", "SHA384WITHRSA", "SHA512WITHRSA",
    "SHA256WITHECDSA", "SHA384WITHECDSA", "SHA512WITHECDSA"};

static void __attribute__((format(printf, 2, 3)))
note(struct acmb_issue_result *res, const char *fmt, ...)
{
	va_list ap;

	if (res->nnotes >= ACMB_ISSUE_NOTES_MAX)
		return;
	va_start(ap, fmt);
	vsnprintf(res->notes[res->nnotes++], ACMB_IMPORT_NOTE_LEN, fmt, ap);
	va_end(ap);
}

static int
is_rsa_name(const char *alg)
{
	return strncmp(alg, "RSA", 3) == 0;
}

/* Digits only, at most 18 of them, so the value fits a long long. */
static int
parse_count(const char *s, size_t n, long long *out)
{
	size_t i;

	if (n == 0 || n > 18)
		return -1;
	*out = 0;
	for (i = 0; i < n; i++) {
		if (!isdigit((unsigned char)s[i]))
			return -1;
		*out = *out * 10 + (s[i] - '0');
	}
	return 0;
}

/*
 * Written by hand: the forms are ours (the AWS CLI takes Value=,Type=), and
 * the date is rewritten as Private CA's END_DATE digits after strptime()
 * has checked it.
 */
int
acmb_issue_parse_validity(const char *text, const char **type, long long *value, acmb_err *err)
{
	size_t n = text != NULL ? strlen(text) : 0;
	struct tm tm;
	const char *end;
	char digits[64];

	*type = NULL;
	*value = 0;
	if (n == 0 || n > 32)
		goto bad;
	if (text[0] == '@') {
		if (parse_count(text + 1, n - 1, value) < 0 || *value == 0)
			goto bad;
		*type = "ABSOLUTE";
		return ACMB_OK;
	}
	if (n == 14 && parse_count(text, n, value) == 0) {
		*type = "END_DATE";
		return ACMB_OK;
	}
	if (strchr("dmy", text[n - 1]) != NULL && parse_count(text, n - 1, value) == 0) {
		if (*value == 0)
			goto bad;
		*type = text[n - 1] == 'd' ? "DAYS" : text[n - 1] == 'm' ? "MONTHS" : "YEARS";
		return ACMB_OK;
	}
	memset(&tm, 0, sizeof(tm));
	if ((end = strptime(text, "%Y-%m-%d", &tm)) == NULL)
		goto bad;
	if (*end == '\0') {
		tm.tm_hour = 23;
		tm.tm_min = 59;
		tm.tm_sec = 59;
	} else if ((end = strptime(end, "T%H:%M:%SZ", &tm)) == NULL || *end != '\0') {
		goto bad;
	}
	if (tm.tm_year + 1900 < 1950 || tm.tm_year + 1900 > 9999)
		goto bad;
	snprintf(digits, sizeof(digits), "%04d%02d%02d%02d%02d%02d", tm.tm_year + 1900,
	    tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec);
	if (parse_count(digits, strlen(digits), value) < 0)
		goto bad;
	*type = "END_DATE";
	return ACMB_OK;
bad:
	*type = NULL;
	*value = 0;
	return acmb_error(err, ACMB_E_USAGE,
	    "--validity '%s' is not one of 90d, 12m, 1y "
	    "(days, months, years), 2027-06-30[T12:00:00Z] or YYYYMMDDHHMMSS (end date), "
	    "@EPOCH (absolute)",
	    text != NULL ? text : "");
}

int
acmb_issue_pick_key_algorithm(
    const char *ca_key_alg, const char *requested, enum acmb_key_alg *out, acmb_err *err)
{
	const char *want = requested;
	size_t i;

	*out = ACMB_ALG_NONE;
	if (want == NULL || strcmp(want, "auto") == 0)
		want = ca_key_alg;
	for (i = 0; i < sizeof(key_algorithms) / sizeof(key_algorithms[0]); i++)
		if (strcmp(want, key_algorithms[i].name) == 0)
			break;
	if (i == sizeof(key_algorithms) / sizeof(key_algorithms[0])) {
		if (want == ca_key_alg)
			return acmb_error(err, ACMB_E_AWS,
			    "the certificate authority's key "
			    "algorithm '%s' is not one acmbridge knows",
			    ca_key_alg);
		return acmb_error(err, ACMB_E_USAGE,
		    "--key-algorithm '%s' is not one of auto, "
		    "RSA_2048, RSA_3072, RSA_4096, EC_prime256v1, EC_secp384r1, EC_secp521r1",
		    want);
	}
	if (is_rsa_name(want) != is_rsa_name(ca_key_alg))
		return acmb_error(err, ACMB_E_RULE,
		    "%s: --key-algorithm %s is %s but the "
		    "certificate authority's key is %s; ACM refuses a certificate whose key "
		    "family differs from its issuer's. Use --key-algorithm auto or an %s "
		    "algorithm (no key was made, nothing was sent)",
		    ACMB_ISSUE_RULE_ALG_MATCH, want, is_rsa_name(want) ? "RSA" : "EC", ca_key_alg,
		    is_rsa_name(ca_key_alg) ? "RSA" : "EC");
	*out = key_algorithms[i].alg;
	return ACMB_OK;
}

int
acmb_issue_pick_signing_algorithm(const char *ca_key_alg, const char *ca_signing_alg,
    const char *requested, const char **out, acmb_err *err)
{
	int rsa = is_rsa_name(ca_key_alg);
	const char *suffix = rsa ? "WITHRSA" : "WITHECDSA";
	const char *want = requested != NULL ? requested : ca_signing_alg;
	size_t i, n = sizeof(signing_algorithms) / sizeof(signing_algorithms[0]);

	*out = NULL;
	for (i = 0; want != NULL && i < n; i++)
		if (strcmp(want, signing_algorithms[i]) == 0)
			break;
	if (requested != NULL && i == n)
		return acmb_error(err, ACMB_E_USAGE,
		    "--signing-algorithm '%s' is not one of "
		    "SHA256WITHRSA, SHA384WITHRSA, SHA512WITHRSA, SHA256WITHECDSA, "
		    "SHA384WITHECDSA, SHA512WITHECDSA",
		    requested);
	if (i < n && strcmp(signing_algorithms[i] + 6, suffix) == 0) {
		*out = signing_algorithms[i];
		return ACMB_OK;
	}
	if (requested != NULL)
		return acmb_error(err, ACMB_E_USAGE,
		    "--signing-algorithm %s does not fit the "
		    "certificate authority's %s key: use a SHA*%s algorithm",
		    requested, ca_key_alg, suffix);
	*out = rsa ? "SHA256WITHRSA" : "SHA256WITHECDSA";
	return ACMB_OK;
}

/* A token derived from the CSR: a retry of the same request is recognised
 * by Private CA, and a new key (a new CSR) is a new request. */
static int
derive_token(const char *csr_pem, char *out, size_t outlen, acmb_err *err)
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int mdlen = 0, i;
	size_t pos;

	if (!EVP_Digest(csr_pem, strlen(csr_pem), md, &mdlen, EVP_sha256(), NULL))
		return acmb_error_ssl(err, ACMB_E_INTERNAL, "cannot hash the CSR");
	pos = (size_t)snprintf(out, outlen, "acmb-");
	for (i = 0; i < mdlen && pos + 2 < outlen; i++)
		pos += (size_t)snprintf(out + pos, outlen - pos, "%02x", md[i]);
	out[outlen - 1] = '\0';
	return ACMB_OK;
}

static int
check_token(const char *token, acmb_err *err)
{
	size_t i, n = strlen(token);

	if (n == 0 || n > ACMB_PCA_TOKEN_MAX)
		return acmb_error(err, ACMB_E_USAGE,
		    "--idempotency-token must be 1 to %d "
		    "characters",
		    ACMB_PCA_TOKEN_MAX);
	for (i = 0; i < n; i++)
		if ((unsigned char)token[i] < 0x20 && token[i] != '\t')
			return acmb_error(err, ACMB_E_USAGE,
			    "--idempotency-token holds a "
			    "control character");
	return ACMB_OK;
}

static int
check_interrupted(
    struct acmb_ctx *ctx, struct acmb_issue_result *res, const char *when, acmb_err *err)
{
	int sig = acmb_ctx_cancelled(ctx);

	if (sig == 0)
		return ACMB_OK;
	res->interrupted = sig;
	return acmb_error(err, ACMB_E_INTERRUPTED, "interrupted by %s %s; the key was wiped",
	    sig == SIGTERM ? "SIGTERM" : "SIGINT", when);
}

/* GetCertificate until it answers, like the certificate-issued waiter: only
 * RequestInProgressException is waited through, 1 s apart. */
static int
wait_issued(struct acmb_ctx *ctx, const struct acmb_aws_config *pca,
    const struct acmb_issue_opts *o, struct acmb_issue_result *res, char **cert, char **chain,
    acmb_err *err)
{
	struct acmb_aws_call_info info;
	long attempts = o->wait_timeout > 0 ? o->wait_timeout : 1;
	int r;

	for (;;) {
		if ((r = check_interrupted(ctx, res, "while waiting for the certificate", err)) !=
		    ACMB_OK)
			return r;
		memset(&info, 0, sizeof(info));
		res->polls++;
		r = acmb_pca_get_certificate(
		    pca, o->ca_arn, res->pca_certificate_arn, cert, chain, &info, err);
		/* A signal that lands while a poll is in flight is the same
		 * interrupted wait as one that lands in the sleep: say so, so the
		 * caller prints the ARN and how to resume. */
		if (r == ACMB_E_INTERRUPTED) {
			return check_interrupted(
			    ctx, res, "while waiting for the certificate", err);
		}
		if (r != ACMB_E_AWS || strcmp(info.error_code, IN_PROGRESS) != 0)
			return r;
		if (res->polls >= attempts) {
			res->timed_out = 1;
			return acmb_error(err, ACMB_E_AWS,
			    "Private CA was still issuing %s "
			    "after %d GetCertificate polls (--wait-timeout %ld)",
			    res->pca_certificate_arn, res->polls, o->wait_timeout);
		}
		/* A cancel cuts the second short; the loop's first check says so. */
		(void)acmb_ctx_sleep(ctx, 1.0, "while waiting for the certificate", NULL);
	}
}

/*
 * IssueCertificate until an answer arrives. A lost answer is followed by a
 * resend with the same idempotency token, which is how Private CA tells a
 * client what it issued (it has no listing of issued certificates): inside
 * the token's 5 minutes the resend gets the first request's certificate.
 * Resends stop before the window closes, since after it a resend would be
 * a second certificate.
 */
static int
issue_until_answered(struct acmb_ctx *ctx, const struct acmb_aws_config *pca,
    const struct acmb_pca_issue_request *q, struct acmb_issue_result *res, acmb_err *err)
{
	struct acmb_aws_call_info info;
	time_t first_wall = acmb_ctx_now(ctx);
	struct tm tm;
	double first = acmb_clock_mono(acmb_ctx_clock(ctx)), step = 1.0;
	int max = acmb_aws_config_max_attempts(pca), r;
	char first_at[32] = "?";

	if (gmtime_r(&first_wall, &tm) != NULL)
		snprintf(first_at, sizeof(first_at), "%02d:%02d:%02d UTC", tm.tm_hour, tm.tm_min,
		    tm.tm_sec);
	for (;;) {
		memset(&info, 0, sizeof(info));
		r = acmb_pca_issue_certificate(pca, q, &res->pca_certificate_arn, &info, err);
		res->issue_attempts += info.attempts;
		if (r == ACMB_OK || !info.response_lost)
			return r;
		note(res, "IssueCertificate request %d got no usable answer: %.200s",
		    res->issue_attempts, err->msg);
		if (res->issue_attempts >= max ||
		    acmb_clock_mono(acmb_ctx_clock(ctx)) - first + step > TOKEN_RESEND_LIMIT)
			return acmb_error(err, ACMB_E_NETWORK,
			    "IssueCertificate: %d request%s with idempotency token %s (the first "
			    "at %s) got no usable answer (--max-attempts %d); Private CA may have "
			    "issued a certificate for it, whose ARN only its answer carries. "
			    "Nothing "
			    "was imported into ACM: a rerun makes a new key and a new request and "
			    "imports one certificate",
			    res->issue_attempts, res->issue_attempts == 1 ? "" : "s",
			    q->idempotency_token, first_at, max);
		/* A cancel cuts the wait short; the check below says so. */
		(void)acmb_ctx_sleep(ctx, step, "before IssueCertificate was sent again", NULL);
		if ((r = check_interrupted(
		         ctx, res, "before IssueCertificate was sent again", err)) != ACMB_OK)
			return r;
		step = step * 2 > RESEND_STEP_MAX ? RESEND_STEP_MAX : step * 2;
	}
}

/*
 * The certificate must be for the key this run made. It is not when the
 * idempotency token was used before, within Private CA's 5 minutes, for
 * another request: Private CA then answers with that request's certificate.
 */
static int
check_issued_key(X509 *issued, EVP_PKEY *ours, const struct acmb_issue_opts *o,
    struct acmb_issue_result *res, acmb_err *err)
{
	EVP_PKEY *got = X509_get0_pubkey(issued);

	if (got != NULL && ours != NULL && EVP_PKEY_eq(got, ours) == 1)
		return ACMB_OK;
	if (o->idempotency_token != NULL)
		return acmb_error(err, ACMB_E_RULE,
		    "Private CA returned %s, the certificate of an earlier request with "
		    "--idempotency-token %s (tokens are remembered for 5 minutes), and it is "
		    "for another key than the one made for this run; nothing was imported and "
		    "the new key was wiped. Use a new token (or none: acmbridge derives one "
		    "from the request), or --resume that certificate with the key store that "
		    "holds its key",
		    res->pca_certificate_arn, o->idempotency_token);
	if (res->idempotency_token[0] != '\0')
		return acmb_error(err, ACMB_E_AWS,
		    "Private CA's certificate %s (idempotency token %s) is for another key than "
		    "this run's; nothing was imported",
		    res->pca_certificate_arn, res->idempotency_token);
	return acmb_error(err, ACMB_E_AWS,
	    "Private CA's certificate %s is for another key than this run's; nothing was "
	    "imported",
	    res->pca_certificate_arn);
}

static int
token_signer(void *ctx, X509_REQ *req, acmb_err *err)
{
	return acmb_issue_token_sign_csr(ctx, req, err);
}

/* The key a token key store signs with (acmb_issue_token_key()). A
 * rotation first reads which key the certificate in ACM uses now, so that
 * only a pair ACM no longer needs is ever given up. */
static int
token_key(const struct acmb_aws_config *acm, const struct acmb_issue_opts *o,
    struct acmb_issue_token *tok, enum acmb_key_alg alg, struct acmb_issue_result *res,
    EVP_PKEY **pub, acmb_err *err)
{
	const char *arn = o->import.certificate_arn, *what = NULL;
	char *pem = NULL, *chain = NULL;
	BIO *b = NULL;
	X509 *x = NULL;
	int r = ACMB_E_INTERNAL;

	*pub = NULL;
	if (o->key_mode == ACMB_ISSUE_KEY_ROTATE && arn != NULL) {
		if ((r = acmb_acm_get_certificate(acm, arn, &pem, &chain, NULL, err)) != ACMB_OK)
			goto out;
		if ((b = BIO_new_mem_buf(pem, -1)) == NULL ||
		    (x = PEM_read_bio_X509(b, NULL, NULL, NULL)) == NULL) {
			r = acmb_error_ssl(err, ACMB_E_AWS,
			    "GetCertificate %s: ACM's certificate is not PEM; the token's keys "
			    "were left as they are",
			    arn);
			goto out;
		}
	}
	if ((r = acmb_issue_token_key(tok, o->key_mode, x != NULL ? X509_get0_pubkey(x) : NULL, alg,
	         pub, &what, err)) != ACMB_OK)
		goto out;
	note(res, "%s (%s)", what, acmb_issue_token_uri(tok));
out:
	X509_free(x);
	BIO_free(b);
	free(pem);
	free(chain);
	return r;
}

/* The material as every source builds it: leaf and chain decoded exactly as
 * files are, the key handed over. */
static int
build_material(const char *cert_pem, const char *chain_pem, const char *ca_arn, EVP_PKEY **key,
    struct acmb_material **out, acmb_err *err)
{
	struct acmb_material *m = NULL;
	struct acmb_field_info *ki;
	int r = ACMB_E_INTERNAL;

	*out = NULL;
	if ((m = acmb_material_new()) == NULL) {
		r = acmb_error(err, ACMB_E_NOMEM, "out of memory");
		goto out;
	}
	snprintf(m->info[ACMB_FIELD_CERT].source, ACMB_SOURCE_MAX, "Private CA certificate");
	snprintf(m->info[ACMB_FIELD_CHAIN].source, ACMB_SOURCE_MAX, "Private CA chain");
	if ((r = acmb_files_decode_field(m, ACMB_FIELD_CERT, (const unsigned char *)cert_pem,
	         strlen(cert_pem), NULL, 0, err)) != ACMB_OK)
		goto out;
	if (chain_pem != NULL && chain_pem[0] != '\0' &&
	    (r = acmb_files_decode_field(m, ACMB_FIELD_CHAIN, (const unsigned char *)chain_pem,
	         strlen(chain_pem), NULL, 0, err)) != ACMB_OK)
		goto out;
	ki = &m->info[ACMB_FIELD_KEY];
	ki->present = 1;
	ki->status = ACMB_OK;
	snprintf(ki->source, sizeof(ki->source), "key made in memory for %.200s", ca_arn);
	snprintf(ki->key_format, sizeof(ki->key_format), "PKCS#8");
	m->key = *key;
	*key = NULL;
	*out = m;
	m = NULL;
	r = ACMB_OK;
out:
	acmb_material_free(m);
	return r;
}

int
acmb_issue(const struct acmb_aws_config *pca, const struct acmb_aws_config *acm,
    const struct acmb_issue_opts *o, struct acmb_issue_result *res, acmb_err *err)
{
	struct acmb_pca_authority ca;
	struct acmb_pca_issue_request q;
	struct acmb_aws_call_info info;
	X509_NAME *subject = NULL;
	EVP_PKEY *key = NULL;
	struct acmb_material *m = NULL, *issued = NULL;
	struct acmb_ctx *ctx = o->ctx, *own = NULL;
	struct acmb_issue_token *tok = NULL;
	struct acmb_audit *audit = NULL;
	EVP_PKEY *pub = NULL;
	char *csr = NULL, *cert = NULL, *chain = NULL, cn[ACMB_CSR_SUBJECT_MAX + 8];
	const char *vtype = NULL, *sig = NULL;
	long long vvalue = 0, vend = 0;
	enum acmb_key_alg alg;
	int r = ACMB_E_INTERNAL;

	memset(res, 0, sizeof(*res));
	memset(&info, 0, sizeof(info));
	if (ctx == NULL && (r = acmb_ctx_new(&own, err)) != ACMB_OK)
		goto out;
	if (ctx == NULL)
		ctx = own;
	if (o->ca_arn == NULL) {
		r = acmb_error(err, ACMB_E_USAGE, "--certificate-authority-arn is required");
		goto out;
	}
	if ((r = acmb_issue_parse_validity(o->validity, &vtype, &vvalue, err)) != ACMB_OK ||
	    (r = acmb_issue_validity_end(vtype, vvalue, acmb_ctx_now(ctx), &vend, err)) != ACMB_OK)
		goto out;
	if (o->subject == NULL && o->ndns == 0 && o->resume == NULL) {
		r = acmb_error(err, ACMB_E_USAGE,
		    "give --subject \"CN=...\" or at least one "
		    "--dns-name");
		goto out;
	}
	snprintf(cn, sizeof(cn), "CN=%s", o->ndns > 0 ? o->dns_names[0] : "");
	if (o->resume == NULL && (r = acmb_csr_parse_subject(o->subject != NULL ? o->subject : cn,
	                              &subject, err)) != ACMB_OK)
		goto out;
	if (o->idempotency_token != NULL && (r = check_token(o->idempotency_token, err)) != ACMB_OK)
		goto out;
	snprintf(res->key_store, sizeof(res->key_store), "%s",
	    o->key_store != NULL ? o->key_store : "memory");
	if (o->resume != NULL && o->key_store == NULL) {
		r = acmb_error(err, ACMB_E_USAGE,
		    "--resume %s: a memory key store cannot be "
		    "resumed, the key was wiped when the first run ended; run acmbridge issue "
		    "again",
		    o->resume);
		goto out;
	}
	if (o->api_passthrough != NULL && o->template_arn == NULL) {
		r = acmb_error(err, ACMB_E_USAGE,
		    "--api-passthrough needs --template-arn naming "
		    "an APIPassthrough template (Private CA ignores it otherwise)");
		goto out;
	}

	/* The CA decides the key: nothing is made before it has been asked. */
	if ((r = acmb_pca_describe_authority(pca, o->ca_arn, &ca, &info, err)) != ACMB_OK)
		goto out;
	snprintf(res->ca_status, sizeof(res->ca_status), "%s", ca.status);
	if (strcmp(ca.status, "ACTIVE") != 0) {
		r = acmb_error(err, ACMB_E_AWS,
		    "the certificate authority %s is %s; it must be "
		    "ACTIVE to issue certificates (nothing was issued)",
		    o->ca_arn, ca.status[0] != '\0' ? ca.status : "in an unknown state");
		goto out;
	}
	if ((r = acmb_issue_validity_check_ca(vend, ca.not_after, o->ca_arn, err)) != ACMB_OK ||
	    (r = acmb_issue_pick_key_algorithm(ca.key_algorithm, o->key_algorithm, &alg, err)) !=
	        ACMB_OK ||
	    (r = acmb_issue_pick_signing_algorithm(ca.key_algorithm, ca.signing_algorithm,
	         o->signing_algorithm, &sig, err)) != ACMB_OK)
		goto out;
	snprintf(res->key_algorithm, sizeof(res->key_algorithm), "%s", acmb_rules_alg_name(alg));
	snprintf(res->signing_algorithm, sizeof(res->signing_algorithm), "%s", sig);

	if (o->key_store != NULL) {
		static const struct acmb_token_spec defaults;

		if ((r = acmb_issue_token_open(o->key_store,
		         o->token != NULL ? o->token : &defaults, ctx, &tok, err)) != ACMB_OK)
			goto out;
		snprintf(res->key_store, sizeof(res->key_store), "%s", acmb_issue_token_uri(tok));
	}
	if (o->resume != NULL) {
		if ((r = acmb_issue_token_find(tok, &pub, err)) != ACMB_OK)
			goto out;
		if ((res->pca_certificate_arn = strdup(o->resume)) == NULL) {
			r = acmb_error(err, ACMB_E_NOMEM, "out of memory");
			goto out;
		}
		note(res, "resumed the wait for %s with the key on the token", o->resume);
		goto wait;
	}
	if (o->import.dry_run && tok != NULL) {
		note(res,
		    "would issue from %s (%s, %s): %s key pair generated on %s, signed with "
		    "%s, validity %lld %s",
		    o->ca_arn, ca.status, ca.key_algorithm, res->key_algorithm,
		    acmb_issue_token_uri(tok), sig, vvalue, vtype);
		note(res,
		    "then store the certificate on the token, export the key (audited) and "
		    "%s",
		    o->import.certificate_arn != NULL ? "reimport into the given ARN"
		                                      : "import it as a new certificate");
		r = ACMB_OK;
		goto out;
	}
	if (tok != NULL) {
		if ((r = token_key(acm, o, tok, alg, res, &pub, err)) != ACMB_OK ||
		    (r = acmb_csr_build(pub, subject, o->dns_names, o->ndns, o->ip_addresses,
		         o->nips, token_signer, tok, &csr, err)) != ACMB_OK)
			goto out;
	} else if ((r = acmb_csr_keygen(alg, &key, err)) != ACMB_OK ||
	           (r = acmb_csr_build(key, subject, o->dns_names, o->ndns, o->ip_addresses,
	                o->nips, NULL, NULL, &csr, err)) != ACMB_OK) {
		goto out;
	}
	if (o->idempotency_token != NULL)
		snprintf(res->idempotency_token, sizeof(res->idempotency_token), "%s",
		    o->idempotency_token);
	else if ((r = derive_token(
	              csr, res->idempotency_token, sizeof(res->idempotency_token), err)) != ACMB_OK)
		goto out;

	if (o->import.dry_run) {
		note(res,
		    "would issue from %s (%s, %s): %s key made in memory, signed with %s, "
		    "validity %lld %s",
		    o->ca_arn, ca.status, ca.key_algorithm, res->key_algorithm, sig, vvalue, vtype);
		note(res, "then check every ACM rule and %s",
		    o->import.certificate_arn != NULL ? "reimport into the given ARN"
		                                      : "import it as a new certificate");
		r = ACMB_OK;
		goto out;
	}

	if ((r = check_interrupted(ctx, res, "before IssueCertificate", err)) != ACMB_OK)
		goto out;
	memset(&q, 0, sizeof(q));
	q.ca_arn = o->ca_arn;
	q.csr_pem = csr;
	q.signing_algorithm = sig;
	q.validity_type = vtype;
	q.validity_value = vvalue;
	q.template_arn = o->template_arn;
	q.api_passthrough = o->api_passthrough;
	q.idempotency_token = res->idempotency_token;
	if ((r = issue_until_answered(ctx, pca, &q, res, err)) != ACMB_OK)
		goto out;
wait:
	if ((r = wait_issued(ctx, pca, o, res, &cert, &chain, err)) != ACMB_OK)
		goto out;

	if (tok == NULL) {
		if ((r = build_material(cert, chain, o->ca_arn, &key, &m, err)) != ACMB_OK)
			goto out;
		if (acmb_material_leaf(m) != NULL &&
		    (r = check_issued_key(acmb_material_leaf(m), m->key, o, res, err)) != ACMB_OK)
			goto out;
	} else {
		/* The token is the record: certificate and chain go there first,
		 * and the import reads all three back from it. */
		if ((r = build_material(cert, chain, o->ca_arn, &pub, &issued, err)) != ACMB_OK)
			goto out;
		if (acmb_material_leaf(issued) == NULL) {
			r = acmb_error(err, ACMB_E_AWS,
			    "GetCertificate's certificate is not "
			    "usable: %s",
			    issued->info[ACMB_FIELD_CERT].message);
			goto out;
		}
		/* Checked before anything is stored on the token. */
		if ((r = check_issued_key(acmb_material_leaf(issued), issued->key, o, res, err)) !=
		    ACMB_OK)
			goto out;
		if (o->key_mode == ACMB_ISSUE_KEY_NEW)
			r = acmb_issue_token_store(
			    tok, acmb_material_leaf(issued), issued->chain, err);
		else
			r = acmb_issue_token_replace(
			    tok, acmb_material_leaf(issued), issued->chain, err);
		if (r != ACMB_OK)
			goto out;
		res->stored_on_token = 1;
		if ((r = acmb_issue_token_load(
		         tok, acmb_aws_config_region(acm), &m, &audit, err)) != ACMB_OK)
			goto out;
	}
	if ((res->rules = calloc(1, sizeof(*res->rules))) == NULL) {
		r = acmb_error(err, ACMB_E_NOMEM, "out of memory");
		goto out;
	}
	if ((r = acmb_rules_judge(m, acmb_ctx_now(ctx), res->rules, err)) != ACMB_OK)
		goto out;
	if (!res->rules->ok) {
		r = acmb_error(err, ACMB_E_RULE,
		    "the certificate Private CA issued (%s) breaks "
		    "ACM's import rules; nothing was imported",
		    res->pca_certificate_arn);
		goto out;
	}
	if ((r = check_interrupted(ctx, res, "before the import", err)) != ACMB_OK)
		goto out;
	r = acmb_import(acm, m, &o->import, &res->import, err);
out:
	if (audit != NULL)
		acmb_audit_finish(
		    audit, r == ACMB_OK ? res->import.arn : NULL, r == ACMB_OK ? NULL : err, NULL);
	acmb_audit_close(audit);
	acmb_issue_token_close(tok);
	acmb_ctx_free(own);
	EVP_PKEY_free(pub);
	acmb_material_free(issued);
	/* EVP_PKEY_free() clears the private BIGNUMs in the secure heap. */
	EVP_PKEY_free(key);
	acmb_material_free(m);
	X509_NAME_free(subject);
	free(csr);
	free(cert);
	free(chain);
	return r;
}

void
acmb_issue_result_clear(struct acmb_issue_result *res)
{
	if (res == NULL)
		return;
	free(res->pca_certificate_arn);
	free(res->rules);
	acmb_import_result_clear(&res->import);
	memset(res, 0, sizeof(*res));
}
