#include "reimport.h"

#include "x509-names.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/x509v3.h>

/* Key Usage bits that may be removed from an ECDSA certificate: RFC 5480
 * section 3 does not allow keyEncipherment for ECDSA keys. */
#define EC_REMOVABLE_KU KU_KEY_ENCIPHERMENT

static struct acmb_reimport_finding *
finding(struct acmb_reimport_report *rep, const char *rule)
{
	struct acmb_reimport_finding *f = &rep->findings[rep->nfindings++];

	f->rule = rule;
	f->ok = 1;
	f->detail[0] = '\0';
	return f;
}

static void __attribute__((format(printf, 2, 3)))
fail(struct acmb_reimport_finding *f, const char *fmt, ...)
{
	va_list ap;

	f->ok = 0;
	va_start(ap, fmt);
	vsnprintf(f->detail, sizeof(f->detail), fmt, ap);
	va_end(ap);
}

/* "RSA 2048", "EC prime256v1". */
static void
describe_key(EVP_PKEY *k, char *buf, size_t len)
{
	char curve[64] = "";

	if (EVP_PKEY_get_base_id(k) == EVP_PKEY_EC &&
	    EVP_PKEY_get_utf8_string_param(
	        k, OSSL_PKEY_PARAM_GROUP_NAME, curve, sizeof(curve), NULL))
		snprintf(buf, len, "EC %s", curve);
	else
		snprintf(buf, len, "%s %d",
		    EVP_PKEY_get0_type_name(k) != NULL ? EVP_PKEY_get0_type_name(k) : "unknown",
		    EVP_PKEY_get_bits(k));
}

static void
judge_key(struct acmb_reimport_report *rep, EVP_PKEY *cur, EVP_PKEY *next)
{
	struct acmb_reimport_finding *f = finding(rep, "reimport-key-type");
	char a[96], b[96];

	describe_key(cur, a, sizeof(a));
	describe_key(next, b, sizeof(b));
	if (strcmp(a, b) != 0)
		fail(f,
		    "key type and size cannot change on reimport: ACM holds %s, "
		    "the new certificate has %s (import it as a new certificate instead)",
		    a, b);
	else
		snprintf(f->detail, sizeof(f->detail), "%s, unchanged", a);
}

static const struct {
	unsigned bit;
	const char *name;
} ku_names[] = {
    {KU_DIGITAL_SIGNATURE, "digitalSignature"},
    {KU_NON_REPUDIATION, "nonRepudiation"},
    {KU_KEY_ENCIPHERMENT, "keyEncipherment"},
    {KU_DATA_ENCIPHERMENT, "dataEncipherment"},
    {KU_KEY_AGREEMENT, "keyAgreement"},
    {KU_KEY_CERT_SIGN, "keyCertSign"},
    {KU_CRL_SIGN, "cRLSign"},
    {KU_ENCIPHER_ONLY, "encipherOnly"},
    {KU_DECIPHER_ONLY, "decipherOnly"},
};

static void
judge_key_usage(struct acmb_reimport_report *rep, X509 *cur, X509 *next, int is_ec)
{
	struct acmb_reimport_finding *f = finding(rep, "reimport-key-usage");
	int had = (X509_get_extension_flags(cur) & EXFLAG_KUSAGE) != 0;
	int has = (X509_get_extension_flags(next) & EXFLAG_KUSAGE) != 0;
	unsigned removed;
	char names[256] = "";
	size_t i;

	if (!had && has) {
		fail(f, "the certificate ACM holds has no Key Usage extension; a reimport "
		        "cannot add one");
		return;
	}
	if (!had) {
		snprintf(f->detail, sizeof(f->detail), "no Key Usage extension before or after");
		return;
	}
	removed = had && !has ? X509_get_key_usage(cur)
	                      : X509_get_key_usage(cur) & ~X509_get_key_usage(next);
	if (is_ec)
		removed &= ~(unsigned)EC_REMOVABLE_KU;
	for (i = 0; i < sizeof(ku_names) / sizeof(ku_names[0]); i++) {
		if ((removed & ku_names[i].bit) == 0)
			continue;
		if (names[0] != '\0')
			strncat(names, ", ", sizeof(names) - strlen(names) - 1);
		strncat(names, ku_names[i].name, sizeof(names) - strlen(names) - 1);
	}
	if (names[0] != '\0')
		fail(f,
		    "Key Usage values cannot be removed on reimport; missing: %s "
		    "(reissue the certificate with them)",
		    names);
	else
		snprintf(f->detail, sizeof(f->detail), "no Key Usage value removed");
}

static EXTENDED_KEY_USAGE *
get_eku(X509 *x)
{
	return X509_get_ext_d2i(x, NID_ext_key_usage, NULL, NULL);
}

static int
eku_has(EXTENDED_KEY_USAGE *eku, const ASN1_OBJECT *o)
{
	int i;

	for (i = 0; eku != NULL && i < sk_ASN1_OBJECT_num(eku); i++)
		if (OBJ_cmp(sk_ASN1_OBJECT_value(eku, i), o) == 0)
			return 1;
	return 0;
}

static void
judge_eku(struct acmb_reimport_report *rep, X509 *cur, X509 *next)
{
	struct acmb_reimport_finding *f = finding(rep, "reimport-extended-key-usage");
	EXTENDED_KEY_USAGE *a = get_eku(cur), *b = get_eku(next);
	char names[256] = "", one[80];
	const ASN1_OBJECT *o;
	int i;

	if (a == NULL && b != NULL) {
		fail(f, "the certificate ACM holds has no Extended Key Usage extension; a "
		        "reimport cannot add one");
		goto out;
	}
	for (i = 0; a != NULL && i < sk_ASN1_OBJECT_num(a); i++) {
		o = sk_ASN1_OBJECT_value(a, i);
		/* Client Authentication may go: CAs stopped issuing it (Chrome). */
		if (OBJ_obj2nid(o) == NID_client_auth || eku_has(b, o))
			continue;
		OBJ_obj2txt(one, sizeof(one), o, 0);
		if (names[0] != '\0')
			strncat(names, ", ", sizeof(names) - strlen(names) - 1);
		strncat(names, one, sizeof(names) - strlen(names) - 1);
	}
	if (names[0] != '\0')
		fail(f,
		    "Extended Key Usage values cannot be removed on reimport (only Client "
		    "Authentication may go); missing: %s",
		    names);
	else
		snprintf(f->detail, sizeof(f->detail),
		    a == NULL ? "no Extended Key Usage extension before or after"
		              : "no Extended Key Usage value removed");
out:
	EXTENDED_KEY_USAGE_free(a);
	EXTENDED_KEY_USAGE_free(b);
}

static void
judge_domains(struct acmb_reimport_report *rep, X509 *cur, X509 *next)
{
	struct acmb_reimport_finding *f = finding(rep, "reimport-domain-names");
	STACK_OF(OPENSSL_STRING) *a = acmb_x509_domain_names(cur),
	                         *b = acmb_x509_domain_names(next);
	int i, j, kept = 0;

	for (i = 0; a != NULL && b != NULL && i < sk_OPENSSL_STRING_num(a); i++)
		for (j = 0; j < sk_OPENSSL_STRING_num(b); j++)
			if (strcasecmp(
			        sk_OPENSSL_STRING_value(a, i), sk_OPENSSL_STRING_value(b, j)) == 0)
				kept++;
	if (a == NULL || b == NULL)
		fail(f, "cannot read the domain names");
	else if (sk_OPENSSL_STRING_num(a) > 0 && kept == 0)
		fail(f,
		    "a reimport cannot remove all domain names; ACM holds %s%s, which the "
		    "new certificate does not name",
		    sk_OPENSSL_STRING_value(a, 0),
		    sk_OPENSSL_STRING_num(a) > 1 ? " and others" : "");
	else
		snprintf(f->detail, sizeof(f->detail), "%d of %d domain names kept", kept,
		    sk_OPENSSL_STRING_num(a));
	acmb_x509_names_free(a);
	acmb_x509_names_free(b);
}

int
acmb_reimport_judge(X509 *current, X509 *next, struct acmb_reimport_report *rep, acmb_err *err)
{
	EVP_PKEY *kc, *kn;
	char msg[ACMB_ERRMSG_MAX] = "";
	int i;

	memset(rep, 0, sizeof(*rep));
	if ((kc = X509_get0_pubkey(current)) == NULL || (kn = X509_get0_pubkey(next)) == NULL)
		return acmb_error_ssl(
		    err, ACMB_E_PARSE, "reimport: cannot read a certificate's public key");
	judge_key(rep, kc, kn);
	judge_key_usage(rep, current, next, EVP_PKEY_get_base_id(kc) == EVP_PKEY_EC);
	judge_eku(rep, current, next);
	judge_domains(rep, current, next);
	/* Tags are never sent on reimport (ACM refuses them); the import flow
	 * applies tag changes with AddTags/RemoveTags afterwards. */
	finding(rep, "reimport-no-tags");
	snprintf(rep->findings[rep->nfindings - 1].detail, sizeof(rep->findings[0].detail),
	    "tags are applied after the reimport, never sent with it");

	rep->ok = 1;
	for (i = 0; i < rep->nfindings; i++) {
		if (rep->findings[i].ok)
			continue;
		rep->ok = 0;
		if (msg[0] != '\0')
			strncat(msg, "; ", sizeof(msg) - strlen(msg) - 1);
		strncat(msg, rep->findings[i].rule, sizeof(msg) - strlen(msg) - 1);
		strncat(msg, ": ", sizeof(msg) - strlen(msg) - 1);
		strncat(msg, rep->findings[i].detail, sizeof(msg) - strlen(msg) - 1);
	}
	if (!rep->ok)
		return acmb_error(err, ACMB_E_RULE, "reimport refused: %s", msg);
	return ACMB_OK;
}
