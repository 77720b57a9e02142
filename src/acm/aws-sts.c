#include "aws-sts.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "aws-xml.h"
#include "init.h"

#define STS_VERSION "2011-06-15"
#define STS_ANSWER_MAX ((size_t)64 << 10)
#define STS_BODY_MAX ((size_t)64 << 10)
#define STS_MESSAGE_MAX 600

int
acmb_aws_form_add(acmb_secbuf *body, const char *name, const char *value, size_t len)
{
	static const char hex[] = "0123456789ABCDEF";
	unsigned char c, enc[3];
	size_t i;

	if ((acmb_secbuf_len(body) > 0 && acmb_secbuf_put(body, "&", 1) != ACMB_OK) ||
	    acmb_secbuf_put(body, name, strlen(name)) != ACMB_OK ||
	    acmb_secbuf_put(body, "=", 1) != ACMB_OK)
		return ACMB_E_TOO_BIG;
	for (i = 0; i < len; i++) {
		c = (unsigned char)value[i];
		if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
		    c == '-' || c == '_' || c == '.' || c == '~') {
			if (acmb_secbuf_put(body, &c, 1) != ACMB_OK)
				return ACMB_E_TOO_BIG;
			continue;
		}
		enc[0] = '%';
		enc[1] = (unsigned char)hex[c >> 4];
		enc[2] = (unsigned char)hex[c & 15];
		if (acmb_secbuf_put(body, enc, 3) != ACMB_OK)
			return ACMB_E_TOO_BIG;
	}
	acmb_wipe(enc, sizeof(enc));
	return ACMB_OK;
}

static int
form_add_str(acmb_secbuf *body, const char *name, const char *value)
{
	return acmb_aws_form_add(body, name, value, strlen(value));
}

/* Copies an AWS message for an operator's eyes: bounded, no control bytes. */
static void
clean_copy(const char *in, char *out, size_t outlen)
{
	size_t o = 0;

	for (; in != NULL && *in != '\0' && o + 1 < outlen; in++)
		out[o++] = ((unsigned char)*in < 0x20 || *in == 0x7f) ? ' ' : *in;
	out[o] = '\0';
}

static const char *
sts_hint(const char *action, const char *code)
{
	if (strcmp(code, "AccessDenied") == 0)
		return strcmp(action, "GetCallerIdentity") == 0
		           ? "the credentials were refused"
		           : "the role's trust policy must allow this caller (and the caller's "
		             "own policy sts:AssumeRole on the role); see docs/aws.md";
	if (strcmp(code, "ExpiredTokenException") == 0)
		return strcmp(action, "AssumeRoleWithWebIdentity") == 0
		           ? "the web identity token has expired; whatever writes the token file "
		             "(Kubernetes, the CI system) must renew it"
		           : "the source credentials have expired; refresh them";
	if (strcmp(code, "InvalidIdentityToken") == 0 || strcmp(code, "IDPRejectedClaim") == 0)
		return "the web identity token was refused: check the role's OIDC provider, "
		       "audience and subject conditions";
	if (strcmp(code, "InvalidClientTokenId") == 0)
		return "check the source access key id and, for temporary keys, the session token";
	if (strcmp(code, "SignatureDoesNotMatch") == 0)
		return "check the source secret access key and that the system clock is right";
	if (strcmp(code, "RegionDisabledException") == 0)
		return "activate STS in this region (IAM account settings) or use another region";
	if (strcmp(code, "MalformedPolicyDocument") == 0 || strcmp(code, "ValidationError") == 0)
		return "STS refused the parameters (role ARN, session name, duration, external id)";
	return "see STS's message";
}

/*
 * One Query call with retries as the standard mode does (STS calls are
 * idempotent). creds NULL: unsigned. On ACMB_OK ans holds a 2xx answer in
 * the secure heap.
 */
static int
sts_call(const struct acmb_aws_sts_target *t, const char *action, const acmb_secbuf *body,
    const struct acmb_aws_credentials *creds, struct acmb_aws_answer *ans, acmb_err *err)
{
	struct acmb_aws_request req;
	acmb_secbuf *tokhdr = NULL, *code_b = NULL, *msg_b = NULL;
	const char *headers[3] = {
	    "Content-Type: application/x-www-form-urlencoded; charset=utf-8", NULL, NULL};
	char sigv4[160], url[1200], code[ACMB_AWS_ERROR_CODE_MAX], msg[STS_MESSAGE_MAX];
	int attempt, max = t->transport != NULL && t->transport->max_attempts > 0
	                       ? t->transport->max_attempts
	                       : 1;
	int r = ACMB_E_INTERNAL;
	double delay;
	size_t n = strlen(t->endpoint);

	memset(ans, 0, sizeof(*ans));
	if (n == 0 ||
	    (size_t)snprintf(url, sizeof(url), "%s%s", t->endpoint,
	        t->endpoint[n - 1] == '/' ? "" : "/") >= sizeof(url) ||
	    (size_t)snprintf(sigv4, sizeof(sigv4), "aws:amz:%s:sts", t->region) >= sizeof(sigv4))
		return acmb_error(err, ACMB_E_CONFIG, "STS endpoint or region too long");
	memset(&req, 0, sizeof(req));
	req.method = "POST";
	req.url = url;
	req.headers = headers;
	req.body = acmb_secbuf_str(body);
	req.body_len = acmb_secbuf_len(body);
	req.transport = t->transport;
	req.max = STS_ANSWER_MAX;
	req.secret_answer = 1;
	if (creds != NULL) {
		req.sigv4 = sigv4;
		req.access_key_id = creds->access_key_id;
		req.secret_access_key = creds->secret_access_key;
		if (creds->session_token != NULL) {
			if ((tokhdr = acmb_secbuf_new(strlen(creds->session_token) + 64)) == NULL ||
			    acmb_secbuf_put(tokhdr, "X-Amz-Security-Token: ", 22) != ACMB_OK ||
			    acmb_secbuf_put(tokhdr, creds->session_token,
			        strlen(creds->session_token)) != ACMB_OK) {
				r = acmb_error(err, ACMB_E_NOMEM, "out of secure memory");
				goto out;
			}
			headers[1] = acmb_secbuf_str(tokhdr);
		}
	}
	for (attempt = 1;; attempt++) {
		if (acmb_aws_transport_cancelled(t->transport)) {
			r = acmb_error(err, ACMB_E_INTERRUPTED, "STS %s: interrupted by signal %d",
			    action, acmb_aws_transport_cancelled(t->transport));
			goto out;
		}
		acmb_aws_transport_debug(t->transport, "STS %s: POST %s (%s, attempt %d of %d)",
		    action, url, creds != NULL ? "signed" : "unsigned", attempt, max);
		acmb_aws_answer_clear(ans);
		if ((r = acmb_aws_transport_perform(&req, ans, err)) != ACMB_OK)
			goto out;
		if (ans->transfer == ACMB_AWS_TRANSFER_INTERRUPTED) {
			r = acmb_error(err, ACMB_E_INTERRUPTED, "STS %s: interrupted by signal %d",
			    action, acmb_aws_transport_cancelled(t->transport));
			goto out;
		}
		if (ans->transfer == ACMB_AWS_TRANSFER_TLS) {
			r = acmb_error(err, ACMB_E_TLS,
			    "STS %s: the TLS certificate of %s could not be verified or the TLS "
			    "handshake failed (curl: %s)",
			    action, t->endpoint, ans->error);
			goto out;
		}
		code[0] = msg[0] = '\0';
		if (ans->transfer == ACMB_AWS_TRANSFER_OK) {
			acmb_aws_transport_debug(t->transport, "< HTTP %ld, request id %s",
			    ans->status, ans->request_id[0] != '\0' ? ans->request_id : "(none)");
			if (ans->status >= 200 && ans->status < 300) {
				r = ACMB_OK;
				goto out;
			}
			/* <ErrorResponse><Error><Code/><Message/></Error></ErrorResponse> */
			acmb_secbuf_free(code_b);
			acmb_secbuf_free(msg_b);
			code_b = msg_b = NULL;
			if (acmb_aws_xml_text(acmb_secbuf_str(ans->body),
			        acmb_secbuf_len(ans->body), "ErrorResponse/Error/Code", &code_b,
			        NULL) == ACMB_OK &&
			    code_b != NULL)
				acmb_aws_error_code_normalize(
				    acmb_secbuf_str(code_b), code, sizeof(code));
			if (acmb_aws_xml_text(acmb_secbuf_str(ans->body),
			        acmb_secbuf_len(ans->body), "ErrorResponse/Error/Message", &msg_b,
			        NULL) == ACMB_OK &&
			    msg_b != NULL)
				clean_copy(acmb_secbuf_str(msg_b), msg, sizeof(msg));
			if (code[0] == '\0')
				snprintf(code, sizeof(code), "HTTP%ld", ans->status);
			if (acmb_aws_retry_classify(ans->status, code) == ACMB_AWS_NO_RETRY ||
			    attempt >= max) {
				r = acmb_error(err, ACMB_E_AWS, "STS %s: %s: %s — %s", action, code,
				    msg[0] != '\0' ? msg : "(no message)", sts_hint(action, code));
				goto out;
			}
		} else if (attempt >= max) {
			r = acmb_error(err, ACMB_E_NETWORK, "STS %s: cannot reach %s (curl: %s)",
			    action, t->endpoint, ans->error);
			goto out;
		}
		delay = acmb_aws_backoff_pick(attempt);
		acmb_aws_transport_debug(t->transport, "STS %s: %s, retrying in %.2f s", action,
		    code[0] != '\0' ? code : ans->error, delay);
		acmb_aws_backoff_wait(t->transport, delay);
	}
out:
	if (r != ACMB_OK)
		acmb_aws_answer_clear(ans);
	acmb_secbuf_free(tokhdr);
	acmb_secbuf_free(code_b);
	acmb_secbuf_free(msg_b);
	return r;
}

/* The Credentials and AssumedRoleUser of an AssumeRole* answer. */
static int
credentials_from_answer(const acmb_secbuf *doc, const char *action, const char *what,
    struct acmb_aws_credentials *out, char *assumed_arn, size_t arn_len, acmb_err *err)
{
	static const char *const fields[] = {"Credentials/AccessKeyId",
	    "Credentials/SecretAccessKey", "Credentials/SessionToken", "Credentials/Expiration",
	    "AssumedRoleUser/Arn"};
	acmb_secbuf *v[5] = {NULL, NULL, NULL, NULL, NULL};
	acmb_err why = {0};
	char path[160];
	time_t exp = 0;
	size_t i;
	int r = ACMB_E_INTERNAL;

	for (i = 0; i < 5; i++) {
		snprintf(path, sizeof(path), "%sResponse/%sResult/%s", action, action, fields[i]);
		if ((r = acmb_aws_xml_text(acmb_secbuf_str(doc), acmb_secbuf_len(doc), path, &v[i],
		         &why)) != ACMB_OK) {
			r = acmb_error(
			    err, r == ACMB_E_NOMEM ? r : ACMB_E_AWS, "STS %s: %s", action, why.msg);
			goto out;
		}
		if (v[i] == NULL && i != 4) {
			r = acmb_error(
			    err, ACMB_E_AWS, "STS %s: the answer has no %s", action, fields[i]);
			goto out;
		}
	}
	if (acmb_aws_parse_time(acmb_secbuf_str(v[3]), &exp) != 0) {
		r = acmb_error(
		    err, ACMB_E_AWS, "STS %s: Expiration is not an ISO 8601 UTC time", action);
		goto out;
	}
	if ((r = acmb_aws_credentials_set(out, acmb_secbuf_str(v[0]), acmb_secbuf_len(v[0]),
	         acmb_secbuf_str(v[1]), acmb_secbuf_len(v[1]), acmb_secbuf_str(v[2]),
	         acmb_secbuf_len(v[2]), what, &why)) != ACMB_OK) {
		r = acmb_error(
		    err, r == ACMB_E_NOMEM ? r : ACMB_E_AWS, "STS %s: %s", action, why.msg);
		goto out;
	}
	out->expiration = exp;
	if (assumed_arn != NULL && arn_len > 0) {
		assumed_arn[0] = '\0';
		if (v[4] != NULL)
			clean_copy(acmb_secbuf_str(v[4]), assumed_arn, arn_len);
	}
	r = ACMB_OK;
out:
	for (i = 0; i < 5; i++)
		acmb_secbuf_free(v[i]);
	return r;
}

int
acmb_aws_sts_assume_role(const struct acmb_aws_sts_target *t,
    const struct acmb_aws_credentials *source, const struct acmb_aws_sts_assume *p,
    const char *what, struct acmb_aws_credentials *out, char *assumed_arn, size_t arn_len,
    acmb_err *err)
{
	struct acmb_aws_answer ans;
	acmb_secbuf *body = NULL;
	char num[32];
	int r = ACMB_E_INTERNAL;

	memset(&ans, 0, sizeof(ans));
	if ((body = acmb_secbuf_new(STS_BODY_MAX)) == NULL) {
		r = acmb_error(err, ACMB_E_NOMEM, "out of secure memory");
		goto out;
	}
	if (form_add_str(body, "Action", "AssumeRole") != ACMB_OK ||
	    form_add_str(body, "Version", STS_VERSION) != ACMB_OK ||
	    form_add_str(body, "RoleArn", p->role_arn) != ACMB_OK ||
	    form_add_str(body, "RoleSessionName", p->session_name) != ACMB_OK ||
	    (p->external_id != NULL &&
	        form_add_str(body, "ExternalId", p->external_id) != ACMB_OK) ||
	    (p->mfa_serial != NULL &&
	        (form_add_str(body, "SerialNumber", p->mfa_serial) != ACMB_OK ||
	            form_add_str(body, "TokenCode", p->mfa_code) != ACMB_OK))) {
		r = acmb_error(err, ACMB_E_CONFIG, "AssumeRole: the parameters are too long");
		goto out;
	}
	if (p->duration_seconds > 0) {
		snprintf(num, sizeof(num), "%ld", p->duration_seconds);
		if (form_add_str(body, "DurationSeconds", num) != ACMB_OK) {
			r = acmb_error(
			    err, ACMB_E_CONFIG, "AssumeRole: the parameters are too long");
			goto out;
		}
	}
	if ((r = sts_call(t, "AssumeRole", body, source, &ans, err)) != ACMB_OK)
		goto out;
	r = credentials_from_answer(ans.body, "AssumeRole", what, out, assumed_arn, arn_len, err);
out:
	acmb_aws_answer_clear(&ans);
	acmb_secbuf_free(body);
	return r;
}

int
acmb_aws_sts_assume_role_with_web_identity(const struct acmb_aws_sts_target *t,
    const char *role_arn, const char *session_name, const acmb_secbuf *token, long duration_seconds,
    const char *what, struct acmb_aws_credentials *out, char *assumed_arn, size_t arn_len,
    acmb_err *err)
{
	struct acmb_aws_answer ans;
	acmb_secbuf *body = NULL;
	char num[32];
	int r = ACMB_E_INTERNAL;

	memset(&ans, 0, sizeof(ans));
	/* Percent-encoding can triple the token. */
	if ((body = acmb_secbuf_new(STS_BODY_MAX + 3 * acmb_secbuf_len(token))) == NULL) {
		r = acmb_error(err, ACMB_E_NOMEM, "out of secure memory");
		goto out;
	}
	if (form_add_str(body, "Action", "AssumeRoleWithWebIdentity") != ACMB_OK ||
	    form_add_str(body, "Version", STS_VERSION) != ACMB_OK ||
	    form_add_str(body, "RoleArn", role_arn) != ACMB_OK ||
	    form_add_str(body, "RoleSessionName", session_name) != ACMB_OK ||
	    acmb_aws_form_add(body, "WebIdentityToken", acmb_secbuf_str(token),
	        acmb_secbuf_len(token)) != ACMB_OK) {
		r = acmb_error(
		    err, ACMB_E_CONFIG, "AssumeRoleWithWebIdentity: the parameters are too long");
		goto out;
	}
	if (duration_seconds > 0) {
		snprintf(num, sizeof(num), "%ld", duration_seconds);
		if (form_add_str(body, "DurationSeconds", num) != ACMB_OK) {
			r = acmb_error(err, ACMB_E_CONFIG,
			    "AssumeRoleWithWebIdentity: the parameters are too long");
			goto out;
		}
	}
	if ((r = sts_call(t, "AssumeRoleWithWebIdentity", body, NULL, &ans, err)) != ACMB_OK)
		goto out;
	r = credentials_from_answer(
	    ans.body, "AssumeRoleWithWebIdentity", what, out, assumed_arn, arn_len, err);
out:
	acmb_aws_answer_clear(&ans);
	acmb_secbuf_free(body);
	return r;
}

int
acmb_aws_sts_get_caller_identity(const struct acmb_aws_sts_target *t,
    const struct acmb_aws_credentials *creds, struct acmb_aws_caller_identity *out, acmb_err *err)
{
	static const char *const fields[] = {"Account", "Arn", "UserId"};
	struct acmb_aws_answer ans;
	acmb_secbuf *body = NULL, *v = NULL;
	acmb_err why = {0};
	char path[160], *dst[3];
	size_t len[3], i;
	int r = ACMB_E_INTERNAL;

	memset(out, 0, sizeof(*out));
	memset(&ans, 0, sizeof(ans));
	dst[0] = out->account;
	len[0] = sizeof(out->account);
	dst[1] = out->arn;
	len[1] = sizeof(out->arn);
	dst[2] = out->user_id;
	len[2] = sizeof(out->user_id);
	if ((body = acmb_secbuf_new(256)) == NULL ||
	    form_add_str(body, "Action", "GetCallerIdentity") != ACMB_OK ||
	    form_add_str(body, "Version", STS_VERSION) != ACMB_OK) {
		r = acmb_error(err, ACMB_E_NOMEM, "out of secure memory");
		goto out;
	}
	if ((r = sts_call(t, "GetCallerIdentity", body, creds, &ans, err)) != ACMB_OK)
		goto out;
	for (i = 0; i < 3; i++) {
		snprintf(path, sizeof(path), "GetCallerIdentityResponse/GetCallerIdentityResult/%s",
		    fields[i]);
		acmb_secbuf_free(v);
		v = NULL;
		if (acmb_aws_xml_text(acmb_secbuf_str(ans.body), acmb_secbuf_len(ans.body), path,
		        &v, &why) != ACMB_OK) {
			r = acmb_error(err, ACMB_E_AWS, "STS GetCallerIdentity: %s", why.msg);
			goto out;
		}
		if (v == NULL) {
			r = acmb_error(err, ACMB_E_AWS,
			    "STS GetCallerIdentity: the answer has no %s", fields[i]);
			goto out;
		}
		clean_copy(acmb_secbuf_str(v), dst[i], len[i]);
	}
	r = ACMB_OK;
out:
	acmb_secbuf_free(v);
	acmb_aws_answer_clear(&ans);
	acmb_secbuf_free(body);
	return r;
}
