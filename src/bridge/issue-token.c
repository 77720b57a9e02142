#include "issue-token.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/objects.h>

#include "context.h"
#include "pkcs11/p11-keystore.h"
#include "pkcs11/p11-object.h"
#include "pkcs11/p11-uri.h"
#include "source-pkcs11.h"

#define URI_TEXT_MAX 1024

/* The issue flow's view of the token: the URI it parsed and the key store
 * of src/pkcs11/, which alone speaks PKCS#11. */
struct acmb_issue_token {
	const struct acmb_token_spec *spec;
	struct acmb_ctx *ctx; /* borrowed: the run's tokens, audit log */
	struct acmb_p11_uri *uri;
	struct acmb_p11_keystore *ks;
};

const char *
acmb_issue_token_uri(const struct acmb_issue_token *t)
{
	return t->uri != NULL ? acmb_p11_uri_text(t->uri) : "";
}

void
acmb_issue_token_close(struct acmb_issue_token *t)
{
	if (t == NULL)
		return;
	acmb_p11_keystore_close(t->ks);
	acmb_p11_uri_free(t->uri);
	free(t);
}

int
acmb_issue_token_open(char *uri, const struct acmb_token_spec *spec, struct acmb_ctx *ctx,
    struct acmb_issue_token **out, acmb_err *err)
{
	struct acmb_issue_token *t = NULL;
	int r = ACMB_E_INTERNAL;

	*out = NULL;
	if ((t = calloc(1, sizeof(*t))) == NULL) {
		r = acmb_error(err, ACMB_E_NOMEM, "out of memory");
		goto out;
	}
	t->spec = spec;
	t->ctx = ctx;
	if ((r = acmb_p11_uri_parse(uri, &t->uri, NULL, err)) != ACMB_OK ||
	    (r = acmb_p11_keystore_open(
	         acmb_ctx_tokens(ctx), t->uri, spec->module, &spec->pin, &t->ks, err)) != ACMB_OK)
		goto out;
	*out = t;
	t = NULL;
	r = ACMB_OK;
out:
	acmb_issue_token_close(t);
	return r;
}

int
acmb_issue_token_generate(
    struct acmb_issue_token *t, enum acmb_key_alg alg, EVP_PKEY **pub, acmb_err *err)
{
	struct acmb_p11_keygen_params kp = {0, 0};

	switch (alg) {
	case ACMB_ALG_RSA_2048:
		kp.rsa_bits = 2048;
		break;
	case ACMB_ALG_RSA_3072:
		kp.rsa_bits = 3072;
		break;
	case ACMB_ALG_RSA_4096:
		kp.rsa_bits = 4096;
		break;
	case ACMB_ALG_EC_PRIME256V1:
		kp.ec_nid = NID_X9_62_prime256v1;
		break;
	case ACMB_ALG_EC_SECP384R1:
		kp.ec_nid = NID_secp384r1;
		break;
	case ACMB_ALG_EC_SECP521R1:
		kp.ec_nid = NID_secp521r1;
		break;
	default:
		*pub = NULL;
		return acmb_error(err, ACMB_E_USAGE,
		    "%s: a token key store makes RSA 2048-4096 and EC P-256/384/521 keys",
		    acmb_rules_alg_name(alg) != NULL ? acmb_rules_alg_name(alg) : "this key");
	}
	return acmb_p11_keystore_generate(t->ks, &kp, pub, err);
}

int
acmb_issue_token_key(struct acmb_issue_token *t, enum acmb_issue_key_mode mode,
    const EVP_PKEY *in_acm, enum acmb_key_alg alg, EVP_PKEY **pub, const char **what, acmb_err *err)
{
	char retired[ACMB_P11_LABEL_MAX + sizeof(ACMB_ISSUE_RETIRED_SUFFIX)];
	const char *label = acmb_p11_keystore_key_label(t->ks);
	EVP_PKEY *have = NULL;
	size_t n = 0;
	int r = ACMB_E_INTERNAL;

	*pub = NULL;
	*what = "a new key pair generated on the token";
	if (mode == ACMB_ISSUE_KEY_NEW)
		return acmb_issue_token_generate(t, alg, pub, err);
	if ((r = acmb_p11_keystore_count(t->ks, &n, err)) != ACMB_OK)
		return r;
	if (n == 0)
		return acmb_issue_token_generate(t, alg, pub, err);
	if (n > 1)
		return acmb_error(err, ACMB_E_TOKEN,
		    "key store %s: %zu private keys are labelled '%s'; acmbridge keeps one, "
		    "remove or relabel the others",
		    acmb_issue_token_uri(t), n, label);
	if ((r = acmb_p11_keystore_find(t->ks, &have, err)) != ACMB_OK)
		goto out;
	if (mode == ACMB_ISSUE_KEY_ROTATE && in_acm != NULL && EVP_PKEY_eq(have, in_acm) == 1) {
		/* ACM's certificate uses this pair: it becomes the retired one,
		 * and the older retired pair, which nothing here uses any more,
		 * goes. */
		snprintf(retired, sizeof(retired), "%s%s", label, ACMB_ISSUE_RETIRED_SUFFIX);
		if ((r = acmb_p11_keystore_retire(t->ks, retired, err)) != ACMB_OK)
			goto out;
		*what = "the key pair ACM used was relabelled " ACMB_ISSUE_RETIRED_SUFFIX
		        "; a new one generated on the token";
		r = acmb_issue_token_generate(t, alg, pub, err);
		goto out;
	}
	if (acmb_rules_key_algorithm(have, NULL, 0) != alg) {
		char kind[64] = "";

		(void)acmb_rules_key_algorithm(have, kind, sizeof(kind));
		r = acmb_error(err, ACMB_E_TOKEN,
		    "key store %s: the token's key '%s' is %s, not the %s this certificate "
		    "asks for; relabel or remove it, or set key-algorithm to match",
		    acmb_issue_token_uri(t), label, kind[0] ? kind : "of another kind",
		    acmb_rules_alg_name(alg) != NULL ? acmb_rules_alg_name(alg) : "algorithm");
		goto out;
	}
	*what = mode == ACMB_ISSUE_KEY_ROTATE
	            ? "the token's key pair not yet in ACM (made by an earlier run) was kept"
	            : "the token's key pair was kept";
	*pub = have;
	have = NULL;
	r = ACMB_OK;
out:
	EVP_PKEY_free(have);
	return r;
}

int
acmb_issue_token_replace(
    struct acmb_issue_token *t, X509 *leaf, STACK_OF(X509) *chain, acmb_err *err)
{
	return acmb_p11_keystore_replace(t->ks, leaf, chain, err);
}

int
acmb_issue_token_find(struct acmb_issue_token *t, EVP_PKEY **pub, acmb_err *err)
{
	return acmb_p11_keystore_find(t->ks, pub, err);
}

int
acmb_issue_token_sign_csr(struct acmb_issue_token *t, X509_REQ *req, acmb_err *err)
{
	return acmb_p11_keystore_sign_csr(t->ks, req, err);
}

int
acmb_issue_token_store(struct acmb_issue_token *t, X509 *leaf, STACK_OF(X509) *chain, acmb_err *err)
{
	return acmb_p11_keystore_store(t->ks, leaf, chain, err);
}

/* Appends s to buf percent-encoded as RFC 7512 wants path values. */
static void
uri_append(char *buf, size_t len, const unsigned char *s, size_t n)
{
	static const char hex[] = "0123456789abcdef";
	size_t pos = strlen(buf), i;

	for (i = 0; i < n && pos + 4 < len; i++) {
		if ((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= 'A' && s[i] <= 'Z') ||
		    (s[i] >= '0' && s[i] <= '9') || s[i] == '-' || s[i] == '.' || s[i] == '_') {
			buf[pos++] = (char)s[i];
		} else {
			buf[pos++] = '%';
			buf[pos++] = hex[s[i] >> 4];
			buf[pos++] = hex[s[i] & 0xf];
		}
	}
	buf[pos] = '\0';
}

int
acmb_issue_token_load(struct acmb_issue_token *t, const char *region, struct acmb_material **out,
    struct acmb_audit **audit, acmb_err *err)
{
	struct acmb_pkcs11_spec ps;
	char cert_uri[URI_TEXT_MAX], chain_uri[URI_TEXT_MAX], chain_label[ACMB_P11_LABEL_MAX + 16];
	const char *serial = acmb_p11_keystore_token_serial(t->ks);
	const char *label = acmb_p11_keystore_key_label(t->ks);
	const unsigned char *id;
	size_t id_len = 0;
	int r = ACMB_E_INTERNAL;

	*out = NULL;
	*audit = NULL;
	/* The PKCS#11 source finds the token again by these URIs, in the
	 * context's cache: the same login, no second PIN. */
	acmb_p11_keystore_release(t->ks);
	id = acmb_p11_keystore_key_id(t->ks, &id_len);
	snprintf(cert_uri, sizeof(cert_uri), "pkcs11:serial=");
	uri_append(cert_uri, sizeof(cert_uri), (const unsigned char *)serial, strlen(serial));
	memcpy(chain_uri, cert_uri, sizeof(chain_uri));
	strncat(cert_uri, ";id=", sizeof(cert_uri) - strlen(cert_uri) - 1);
	uri_append(cert_uri, sizeof(cert_uri), id, id_len);
	strncat(cert_uri, ";type=cert", sizeof(cert_uri) - strlen(cert_uri) - 1);
	snprintf(chain_label, sizeof(chain_label), "%s-chain", label);
	strncat(chain_uri, ";object=", sizeof(chain_uri) - strlen(chain_uri) - 1);
	uri_append(
	    chain_uri, sizeof(chain_uri), (const unsigned char *)chain_label, strlen(chain_label));
	strncat(chain_uri, ";type=cert", sizeof(chain_uri) - strlen(chain_uri) - 1);
	memset(&ps, 0, sizeof(ps));
	ps.certificate = cert_uri;
	ps.certificate_chain = chain_uri;
	ps.token = *t->spec;
	ps.token.wrapping_key = NULL;
	ps.region = region;
	ps.ctx = t->ctx;
	if ((r = acmb_ctx_audit(t->ctx, t->spec->audit_log, audit, err)) != ACMB_OK)
		goto out;
	r = acmb_pkcs11_load(&ps, out, *audit, err);
out:
	acmb_pkcs11_spec_clear(&ps);
	return r;
}
