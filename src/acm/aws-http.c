/*
 * One AWS JSON 1.1 call (ACM, Private CA): the request signed with the
 * configuration's credentials, AWS's standard retry mode, and AWS errors
 * translated into acmb_err. The wire itself is aws-transport.c's.
 */
#include "aws-http.h"
#include "aws-limit.h"

#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <openssl/evp.h>

#define AWS_MESSAGE_MAX 600

/* Copies an AWS message for an operator's eyes: bounded, no control bytes. */
static void
clean_message(const char *in, char *out, size_t outlen)
{
	size_t o = 0;

	for (; in != NULL && *in != '\0' && o + 1 < outlen; in++)
		out[o++] = ((unsigned char)*in < 0x20 || *in == 0x7f) ? ' ' : *in;
	out[o] = '\0';
}

/* What the operator should do about a service error. */
static const char *
error_hint(const char *code, const struct acmb_aws_service *svc, const char *operation, char *buf,
    size_t len)
{
	if (strstr(code, "AccessDenied") != NULL || strcmp(code, "UnauthorizedOperation") == 0 ||
	    strcmp(code, "UnauthorizedException") == 0) {
		snprintf(buf, len, "grant %s:%s to the caller (see docs/aws.md)", svc->iam_prefix,
		    operation);
		return buf;
	}
	if (strcmp(code, "UnrecognizedClientException") == 0 ||
	    strcmp(code, "InvalidClientTokenId") == 0)
		return "check the access key id and, for temporary (ASIA) keys, the session token";
	if (strcmp(code, "InvalidSignatureException") == 0 ||
	    strcmp(code, "SignatureDoesNotMatch") == 0)
		return "check the secret access key and that the system clock is right";
	if (strncmp(code, "ExpiredToken", 12) == 0)
		return "the temporary credentials expired; refresh them";
	if (strcmp(code, "ResourceNotFoundException") == 0)
		return "check the ARN, the account and the region";
	if (strcmp(code, "LimitExceededException") == 0)
		return "a service quota is reached (not retried); delete unused certificates "
		       "or request a quota increase";
	if (strcmp(code, "ValidationException") == 0 ||
	    strcmp(code, "InvalidParameterException") == 0 ||
	    strcmp(code, "InvalidArnException") == 0 || strcmp(code, "InvalidTagException") == 0)
		return "the service rejected the request as invalid";
	if (acmb_aws_retry_classify(0, code) == ACMB_AWS_RETRY_THROTTLE)
		return "the service is throttling; try again later or raise --max-attempts";
	return "see the service's message";
}

/* An HTTP Date (RFC 9110 IMF-fixdate, "Sun, 06 Nov 1994 08:49:37 GMT", the
 * only form a server may send), or 0. strptime's %a and %b read English
 * names: the process never calls setlocale(), so it is in the C locale. */
static time_t
http_date(const char *s)
{
	struct tm tm;
	const char *end;

	memset(&tm, 0, sizeof(tm));
	if (s[0] == '\0' || (end = strptime(s, "%a, %d %b %Y %H:%M:%S GMT", &tm)) == NULL ||
	    *end != '\0')
		return 0;
	return timegm(&tm);
}

/* The outcome of one attempt. */
struct attempt {
	struct acmb_aws_answer ans;
	char code[ACMB_AWS_ERROR_CODE_MAX];
	char message[AWS_MESSAGE_MAX];
	char reasons[AWS_MESSAGE_MAX]; /* a ThrottlingException's throttlingReasons, or "" */
	json_t *json;                  /* parsed 2xx answer */
	int malformed;                 /* 2xx that is not JSON */
};

/* The request's own headers: target, content type and, for temporary
 * credentials, the session token (in the secure heap; curl copies it into
 * its wiping heap). */
struct call_headers {
	char target[256];
	acmb_secbuf *token;
	const char *lines[4];
};

static void
call_headers_clear(struct call_headers *h)
{
	acmb_secbuf_free(h->token);
	memset(h, 0, sizeof(*h));
}

static int
build_headers(const struct acmb_aws_config *cfg, const char *operation, struct call_headers *h)
{
	const struct acmb_aws_service *svc = acmb_aws_config_service(cfg);
	const char *token;
	size_t n = 0;

	memset(h, 0, sizeof(*h));
	if ((size_t)snprintf(h->target, sizeof(h->target), "X-Amz-Target: %s.%s",
	        svc->target_prefix, operation) >= sizeof(h->target))
		return ACMB_E_INTERNAL;
	h->lines[n++] = "Content-Type: application/x-amz-json-1.1";
	h->lines[n++] = h->target;
	/* No "Expect:" header to turn off 100-continue for bodies over 1 MiB:
	 * curl 7.88's SigV4 signs every header in this list, the empty one
	 * too, and then does not send it, so the signature would not match.
	 * curl adds its own Expect after signing, which AWS accepts. */
	if ((token = acmb_aws_config_session_token(cfg)) != NULL) {
		/* curl 7.88 has no option for the session token; as an ordinary
		 * header it is among the SigV4 signed headers. */
		if ((h->token = acmb_secbuf_new(strlen(token) + 64)) == NULL ||
		    acmb_secbuf_put(h->token, "X-Amz-Security-Token: ", 22) != ACMB_OK ||
		    acmb_secbuf_put(h->token, token, strlen(token)) != ACMB_OK)
			return ACMB_E_NOMEM;
		h->lines[n++] = acmb_secbuf_str(h->token);
	}
	h->lines[n] = NULL;
	return ACMB_OK;
}

/* The newest ACM model's ThrottlingException.throttlingReasons
 * ([{"reason", "resource"}, ...]) as "REASON on RESOURCE; ...", cleaned
 * for an operator's eyes, or "". For --debug: they say which quota. */
static void
throttling_reasons(const json_t *list, char *out, size_t outlen)
{
	char one[AWS_MESSAGE_MAX], part[2 * AWS_MESSAGE_MAX];
	const char *reason, *resource;
	size_t i, used = 0;

	out[0] = '\0';
	if (!json_is_array(list))
		return;
	for (i = 0; i < json_array_size(list) && used + 1 < outlen; i++) {
		const json_t *r = json_array_get(list, i);

		reason = json_string_value(json_object_get(r, "reason"));
		resource = json_string_value(json_object_get(r, "resource"));
		if (reason == NULL && resource == NULL)
			continue;
		snprintf(part, sizeof(part), "%s%s%s%s", used > 0 ? "; " : "",
		    reason != NULL ? reason : "?", resource != NULL ? " on " : "",
		    resource != NULL ? resource : "");
		clean_message(part, one, sizeof(one));
		used += (size_t)snprintf(out + used, outlen - used, "%s", one);
		if (used >= outlen)
			used = outlen - 1;
	}
}

static void
attempt_parse_error(struct attempt *a)
{
	json_t *j = NULL, *t, *m;
	json_error_t jerr;

	a->code[0] = '\0';
	a->message[0] = '\0';
	a->reasons[0] = '\0';
	if (a->ans.plain != NULL && a->ans.plain_len > 0 &&
	    (j = json_loadb(a->ans.plain, a->ans.plain_len, 0, &jerr)) != NULL &&
	    json_is_object(j)) {
		if ((t = json_object_get(j, "__type")) != NULL && json_is_string(t))
			acmb_aws_error_code_normalize(
			    json_string_value(t), a->code, sizeof(a->code));
		if (((m = json_object_get(j, "message")) != NULL && json_is_string(m)) ||
		    ((m = json_object_get(j, "Message")) != NULL && json_is_string(m)))
			clean_message(json_string_value(m), a->message, sizeof(a->message));
		throttling_reasons(
		    json_object_get(j, "throttlingReasons"), a->reasons, sizeof(a->reasons));
	}
	json_decref(j);
	if (a->code[0] == '\0' && a->ans.error_type[0] != '\0')
		acmb_aws_error_code_normalize(a->ans.error_type, a->code, sizeof(a->code));
	if (a->code[0] == '\0')
		snprintf(a->code, sizeof(a->code), "HTTP%ld", a->ans.status);
}

static void
attempt_clear(struct attempt *a)
{
	json_decref(a->json);
	acmb_aws_answer_clear(&a->ans);
	memset(a, 0, sizeof(*a));
}

static int
attempt_once(const struct acmb_aws_config *cfg, const char *url, const char *sigv4,
    const struct call_headers *hl, const acmb_secbuf *body, const struct acmb_aws_transport *t,
    struct attempt *a, struct acmb_aws_call_info *info, acmb_err *err)
{
	struct acmb_aws_request req;
	json_error_t jerr;
	int r;

	attempt_clear(a);
	memset(&req, 0, sizeof(req));
	req.method = "POST";
	req.url = url;
	req.headers = hl->lines;
	req.body = acmb_secbuf_str(body);
	req.body_len = acmb_secbuf_len(body);
	/* No credentials (--no-sign-request): the request goes unsigned. */
	req.sigv4 = acmb_aws_config_access_key_id(cfg) != NULL ? sigv4 : NULL;
	req.access_key_id = acmb_aws_config_access_key_id(cfg);
	req.secret_access_key = acmb_aws_config_secret_access_key(cfg);
	req.transport = t;
	req.max = ACMB_AWS_MAX_RESPONSE;
	if ((r = acmb_aws_transport_perform(&req, &a->ans, err)) != ACMB_OK)
		return r;
	info->attempts++;
	if (a->ans.transfer != ACMB_AWS_TRANSFER_OK) {
		acmb_aws_transport_debug(t, "< no answer (curl: %s)", a->ans.error);
		return ACMB_OK;
	}
	info->http_status = a->ans.status;
	info->local_date = time(NULL);
	info->server_date = http_date(a->ans.date);
	snprintf(info->request_id, sizeof(info->request_id), "%s", a->ans.request_id);
	acmb_aws_transport_debug(t, "< HTTP %ld, request id %s", a->ans.status,
	    a->ans.request_id[0] != '\0' ? a->ans.request_id : "(none)");
	if (a->ans.status >= 200 && a->ans.status < 300) {
		if (a->ans.plain_len == 0)
			a->json = json_object();
		else
			a->json = json_loadb(a->ans.plain, a->ans.plain_len, 0, &jerr);
		if (a->json == NULL || !json_is_object(a->json)) {
			json_decref(a->json);
			a->json = NULL;
			a->malformed = 1;
		}
	} else {
		attempt_parse_error(a);
	}
	return ACMB_OK;
}

int
acmb_aws_cancelled(const struct acmb_aws_config *cfg)
{
	const struct acmb_aws_hooks *hk = acmb_aws_config_hooks(cfg);

	return hk != NULL ? acmb_cancel_signal(hk->cancel) : 0;
}

void
acmb_aws_sleep(const struct acmb_aws_config *cfg, double seconds)
{
	const struct acmb_aws_hooks *hk = acmb_aws_config_hooks(cfg);
	struct acmb_clock *own = NULL;

	if (hk != NULL && hk->clock != NULL) {
		(void)acmb_clock_sleep(hk->clock, seconds, hk->cancel);
		return;
	}
	if ((own = acmb_clock_new_system()) == NULL)
		return;
	(void)acmb_clock_sleep(own, seconds, hk != NULL ? hk->cancel : NULL);
	acmb_clock_free(own);
}

/* Takes a token from the context's rate limiter before an attempt. */
static int
take_token(const struct acmb_aws_config *cfg, const char *operation,
    const struct acmb_aws_transport *t, acmb_err *err)
{
	const struct acmb_aws_hooks *hk = acmb_aws_config_hooks(cfg);
	double waited = 0.0;
	int r;

	if (hk == NULL || hk->limits == NULL)
		return ACMB_OK;
	if ((r = acmb_aws_limits_take(hk->limits, hk->account, acmb_aws_config_region(cfg),
	         acmb_aws_config_service(cfg)->signing_name, operation, hk->cancel, &waited,
	         err)) != ACMB_OK)
		return r;
	if (waited > 0.0)
		acmb_aws_transport_debug(t, "%s: rate limit: waited %.2f s (%.2f calls/s)",
		    operation, waited,
		    acmb_aws_limits_rate(hk->limits, hk->account, acmb_aws_config_region(cfg),
		        acmb_aws_config_service(cfg)->signing_name, operation));
	return ACMB_OK;
}

/* An answer arrived: it tells the rate limiter whether the service is
 * throttling this operation. */
static void
give_feedback(const struct acmb_aws_config *cfg, const char *operation, int throttled)
{
	const struct acmb_aws_hooks *hk = acmb_aws_config_hooks(cfg);

	if (hk != NULL && hk->limits != NULL)
		acmb_aws_limits_feedback(hk->limits, hk->account, acmb_aws_config_region(cfg),
		    acmb_aws_config_service(cfg)->signing_name, operation, throttled);
}

int
acmb_aws_call(const struct acmb_aws_config *cfg, const char *operation, const acmb_secbuf *body,
    unsigned flags, json_t **result, struct acmb_aws_call_info *info, acmb_err *err)
{
	const struct acmb_aws_service *svc = acmb_aws_config_service(cfg);
	struct acmb_aws_call_info dummy;
	struct acmb_aws_transport t;
	struct call_headers hl;
	struct attempt a;
	char sigv4[160], url[1100], hint[200];
	const char *endpoint = acmb_aws_config_endpoint(cfg);
	enum acmb_aws_retry_class rc;
	int max_attempts = acmb_aws_config_max_attempts(cfg);
	int not_idempotent = (flags & ACMB_AWS_NOT_IDEMPOTENT) != 0;
	int r = ACMB_E_INTERNAL, attempt;
	double delay;

	*result = NULL;
	memset(&a, 0, sizeof(a));
	memset(&hl, 0, sizeof(hl));
	if (info == NULL)
		info = &dummy;
	memset(info, 0, sizeof(*info));
	if ((r = acmb_aws_transport_require(err)) != ACMB_OK)
		return r;
	/* Fresh credentials before signing: a long run outlives a session. */
	if ((r = acmb_aws_config_refresh(cfg, err)) != ACMB_OK)
		return r;
	acmb_aws_config_transport(cfg, &t);
	if ((size_t)snprintf(sigv4, sizeof(sigv4), "aws:amz:%s:%s", acmb_aws_config_region(cfg),
	        svc->signing_name) >= sizeof(sigv4))
		return acmb_error(err, ACMB_E_CONFIG, "region name too long");
	/* JSON 1.1 services take every operation at "/". */
	if ((size_t)snprintf(url, sizeof(url), "%s%s", endpoint,
	        endpoint[strlen(endpoint) - 1] == '/' ? "" : "/") >= sizeof(url))
		return acmb_error(err, ACMB_E_CONFIG, "endpoint URL too long");
	if ((r = build_headers(cfg, operation, &hl)) != ACMB_OK) {
		r = acmb_error(err, r, "%s: cannot build the request headers", operation);
		goto out;
	}
	for (attempt = 1;; attempt++) {
		if (acmb_aws_cancelled(cfg)) {
			r = acmb_error(err, ACMB_E_INTERRUPTED,
			    "%s: interrupted by signal %d before "
			    "attempt %d",
			    operation, acmb_aws_cancelled(cfg), attempt);
			goto out;
		}
		if ((r = take_token(cfg, operation, &t, err)) != ACMB_OK)
			goto out;
		acmb_aws_transport_debug(&t, "%s: POST %s (%s.%s, attempt %d of %d)", operation,
		    url, svc->target_prefix, operation, attempt, max_attempts);
		if ((r = attempt_once(cfg, url, sigv4, &hl, body, &t, &a, info, err)) != ACMB_OK) {
			r = acmb_error(err, r, "%s: cannot set up the HTTP request", operation);
			goto out;
		}
		if (a.ans.transfer == ACMB_AWS_TRANSFER_INTERRUPTED) {
			info->response_lost = not_idempotent && a.ans.sent;
			r = acmb_error(err, ACMB_E_INTERRUPTED, "%s: interrupted by signal %d%s",
			    operation, acmb_aws_cancelled(cfg),
			    info->response_lost ? "; the request may have been applied: running "
			                          "the same import again "
			                          "finds it instead of duplicating it"
			                        : "");
			goto out;
		}
		if (a.ans.transfer == ACMB_AWS_TRANSFER_OK)
			give_feedback(cfg, operation,
			    !a.malformed && a.json == NULL &&
			        acmb_aws_retry_classify(a.ans.status, a.code) ==
			            ACMB_AWS_RETRY_THROTTLE);
		if (a.json != NULL) {
			info->error_code[0] = '\0';
			*result = a.json;
			a.json = NULL;
			r = ACMB_OK;
			goto out;
		}
		snprintf(info->error_code, sizeof(info->error_code), "%s", a.code);
		if (a.malformed) {
			/* A 2xx means the service acted; its answer is unreadable. */
			info->response_lost = not_idempotent;
			r = acmb_error(err, not_idempotent ? ACMB_E_NETWORK : ACMB_E_AWS,
			    "%s: the service answered HTTP %ld with a body that is not a JSON "
			    "object%s",
			    operation, a.ans.status,
			    not_idempotent ? "; the request may have been applied" : "");
			goto out;
		}
		if (a.ans.transfer != ACMB_AWS_TRANSFER_OK) {
			if (a.ans.transfer == ACMB_AWS_TRANSFER_TLS) {
				r = acmb_error(err, ACMB_E_TLS,
				    "%s: the TLS certificate of %s could not be verified or the "
				    "TLS handshake failed (curl: %s); if the endpoint uses a "
				    "private CA, pass it with --ca-bundle or AWS_CA_BUNDLE",
				    operation, endpoint, a.ans.error);
				goto out;
			}
			if (a.ans.sent && not_idempotent) {
				info->response_lost = 1;
				r = acmb_error(err, ACMB_E_NETWORK,
				    "%s: the answer from %s was lost (curl: %s); the request "
				    "may have been applied, so it was not resent",
				    operation, endpoint, a.ans.error);
				goto out;
			}
			rc = ACMB_AWS_RETRY_TRANSIENT;
		} else {
			rc = acmb_aws_retry_classify(a.ans.status, a.code);
			if (rc == ACMB_AWS_RETRY_TRANSIENT && not_idempotent) {
				info->response_lost = 1;
				r = acmb_error(err, ACMB_E_NETWORK,
				    "%s: %s (HTTP %ld): %s; the request may have been applied, "
				    "so it was not resent",
				    operation, a.code, a.ans.status,
				    a.message[0] != '\0' ? a.message : "server error");
				goto out;
			}
		}
		if (rc == ACMB_AWS_NO_RETRY || attempt >= max_attempts)
			break;
		delay = acmb_aws_backoff_pick(attempt);
		acmb_aws_transport_debug(&t, "%s: %s%s%s%s, retrying in %.2f s", operation,
		    a.ans.transfer != ACMB_AWS_TRANSFER_OK ? a.ans.error : a.code,
		    a.reasons[0] != '\0' ? " (throttling reasons: " : "", a.reasons,
		    a.reasons[0] != '\0' ? ")" : "", delay);
		acmb_aws_backoff_wait(&t, delay);
	}
	if (a.ans.transfer != ACMB_AWS_TRANSFER_OK) {
		r = acmb_error(err, ACMB_E_NETWORK, "%s: cannot reach %s (curl: %s)%s", operation,
		    endpoint, a.ans.error, attempt > 1 ? "; gave up after the last attempt" : "");
		goto out;
	}
	r = acmb_error(err, ACMB_E_AWS, "%s: %s: %s — %s%s", operation, a.code,
	    a.message[0] != '\0' ? a.message : "(no message)",
	    error_hint(a.code, svc, operation, hint, sizeof(hint)),
	    attempt > 1 ? " (gave up after the last attempt)" : "");
out:
	attempt_clear(&a);
	call_headers_clear(&hl);
	return r;
}

static int
dup_pem(json_t *resp, const char *name, char **out)
{
	const char *v = json_string_value(json_object_get(resp, name));

	*out = NULL;
	if (v == NULL)
		return ACMB_OK;
	if (strlen(v) > ACMB_AWS_PEM_FIELD_MAX)
		return ACMB_E_TOO_BIG;
	return (*out = strdup(v)) != NULL ? ACMB_OK : ACMB_E_NOMEM;
}

int
acmb_aws_json_cert_chain(json_t *resp, char **cert, char **chain, acmb_err *err)
{
	int r = ACMB_E_INTERNAL;

	*cert = NULL;
	*chain = NULL;
	if (dup_pem(resp, "Certificate", cert) != ACMB_OK ||
	    dup_pem(resp, "CertificateChain", chain) != ACMB_OK) {
		r = acmb_error(err, ACMB_E_AWS,
		    "GetCertificate: the certificate or chain is over %zu bytes or memory ran out",
		    ACMB_AWS_PEM_FIELD_MAX);
		goto fail;
	}
	if (*cert == NULL) {
		r = acmb_error(err, ACMB_E_AWS, "GetCertificate: the answer has no Certificate");
		goto fail;
	}
	return ACMB_OK;
fail:
	free(*cert);
	free(*chain);
	*cert = *chain = NULL;
	return r;
}

json_t *
acmb_aws_json_blob(const void *data, size_t len)
{
	unsigned char *b64;
	json_t *j;

	if (len > (size_t)INT_MAX / 4 * 3 || (b64 = malloc(4 * ((len + 2) / 3) + 1)) == NULL)
		return NULL;
	EVP_EncodeBlock(b64, data, (int)len);
	j = json_string((const char *)b64);
	free(b64);
	return j;
}

int
acmb_aws_http_require(acmb_err *err)
{
	return acmb_aws_transport_require(err);
}

const char *
acmb_aws_http_curl_version(void)
{
	return acmb_aws_transport_curl_version();
}
