/*
 * ACM's import rules, judged one by one on a material. Each rule adds one
 * result with a stable name, a detail saying what was found and, when it
 * fails, one line on how to fix it. Nothing here prints key bytes: details
 * name algorithms, sizes, subjects and counts only.
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include <openssl/core_names.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "keyload.h"
#include "rules-chain.h"
#include "rules.h"

static const char *const field_label[ACMB_FIELD_COUNT] = {
    [ACMB_FIELD_CERT] = "certificate",
    [ACMB_FIELD_KEY] = "private key",
    [ACMB_FIELD_CHAIN] = "certificate chain",
};

static const char *const alg_names[] = {
    [ACMB_ALG_NONE] = NULL,
    [ACMB_ALG_RSA_1024] = "RSA_1024",
    [ACMB_ALG_RSA_2048] = "RSA_2048",
    [ACMB_ALG_RSA_3072] = "RSA_3072",
    [ACMB_ALG_RSA_4096] = "RSA_4096",
    [ACMB_ALG_EC_PRIME256V1] = "EC_prime256v1",
    [ACMB_ALG_EC_SECP384R1] = "EC_secp384r1",
    [ACMB_ALG_EC_SECP521R1] = "EC_secp521r1",
    [ACMB_ALG_UNSUPPORTED] = NULL,
};

#define ALLOWED_ALGS                                                                               \
	"RSA_1024, RSA_2048, RSA_3072, RSA_4096, EC_prime256v1, "                                  \
	"EC_secp384r1, EC_secp521r1"

const char *
acmb_rules_alg_name(enum acmb_key_alg alg)
{
	if ((size_t)alg >= sizeof(alg_names) / sizeof(alg_names[0]))
		return NULL;
	return alg_names[alg];
}

enum acmb_key_alg
acmb_rules_key_algorithm(const EVP_PKEY *key, char *name, size_t namelen)
{
	char group[64];
	const char *type;
	size_t glen = 0;
	int bits;

	if (namelen > 0)
		name[0] = '\0';
	if (key == NULL)
		return ACMB_ALG_NONE;
	bits = EVP_PKEY_get_bits(key);
	if (EVP_PKEY_is_a(key, "RSA")) {
		snprintf(name, namelen, "RSA %d bit", bits);
		switch (bits) {
		case 1024:
			snprintf(name, namelen, "RSA_1024");
			return ACMB_ALG_RSA_1024;
		case 2048:
			snprintf(name, namelen, "RSA_2048");
			return ACMB_ALG_RSA_2048;
		case 3072:
			snprintf(name, namelen, "RSA_3072");
			return ACMB_ALG_RSA_3072;
		case 4096:
			snprintf(name, namelen, "RSA_4096");
			return ACMB_ALG_RSA_4096;
		default:
			return ACMB_ALG_UNSUPPORTED;
		}
	}
	if (EVP_PKEY_is_a(key, "RSA-PSS")) {
		snprintf(name, namelen, "RSA-PSS %d bit (restricted to PSS)", bits);
		return ACMB_ALG_UNSUPPORTED;
	}
	if (EVP_PKEY_is_a(key, "EC")) {
		if (!EVP_PKEY_get_utf8_string_param(
		        key, OSSL_PKEY_PARAM_GROUP_NAME, group, sizeof(group), &glen)) {
			ERR_clear_error();
			snprintf(name, namelen, "EC with explicit curve parameters");
			return ACMB_ALG_UNSUPPORTED;
		}
		if (strcmp(group, "prime256v1") == 0 || strcmp(group, "P-256") == 0) {
			snprintf(name, namelen, "EC_prime256v1");
			return ACMB_ALG_EC_PRIME256V1;
		}
		if (strcmp(group, "secp384r1") == 0 || strcmp(group, "P-384") == 0) {
			snprintf(name, namelen, "EC_secp384r1");
			return ACMB_ALG_EC_SECP384R1;
		}
		if (strcmp(group, "secp521r1") == 0 || strcmp(group, "P-521") == 0) {
			snprintf(name, namelen, "EC_secp521r1");
			return ACMB_ALG_EC_SECP521R1;
		}
		snprintf(name, namelen, "EC %s", group);
		return ACMB_ALG_UNSUPPORTED;
	}
	type = EVP_PKEY_get0_type_name(key);
	snprintf(name, namelen, "%s", type != NULL ? type : "unknown key type");
	return ACMB_ALG_UNSUPPORTED;
}

/* "RSA", "EC" or the type name: what "algorithm family" means to ACM. */
static const char *
rules_key_family(const EVP_PKEY *key)
{
	const char *type;

	if (key == NULL)
		return "none";
	if (EVP_PKEY_is_a(key, "RSA") || EVP_PKEY_is_a(key, "RSA-PSS"))
		return "RSA";
	if (EVP_PKEY_is_a(key, "EC"))
		return "EC";
	type = EVP_PKEY_get0_type_name(key);
	return type != NULL ? type : "unknown";
}

static void rule_add(struct acmb_rules_report *rep, const char *rule, int ok, const char *fix,
    const char *fmt, ...) __attribute__((format(printf, 5, 6)));

static void
rule_add(
    struct acmb_rules_report *rep, const char *rule, int ok, const char *fix, const char *fmt, ...)
{
	struct acmb_rule_result *res;
	va_list ap;

	/* At most ~25 rules are ever reported; a full list is a bug, and
	 * acmb_rules_judge() turns it into a failing verdict. */
	if (rep->nresults >= ACMB_RULES_MAX) {
		rep->overflow = 1;
		return;
	}
	res = &rep->results[rep->nresults++];
	res->rule = rule;
	res->ok = ok;
	va_start(ap, fmt);
	vsnprintf(res->detail, sizeof(res->detail), fmt, ap);
	va_end(ap);
	snprintf(res->fix, sizeof(res->fix), "%s", ok || fix == NULL ? "" : fix);
}

const struct acmb_rule_result *
acmb_rules_find(const struct acmb_rules_report *rep, const char *rule)
{
	size_t i;

	for (i = 0; i < rep->nresults; i++)
		if (strcmp(rep->results[i].rule, rule) == 0)
			return &rep->results[i];
	return NULL;
}

static void
rules_time_str(const ASN1_TIME *t, char *buf, size_t buflen)
{
	struct tm tm;

	buf[0] = '\0';
	if (t == NULL || !ASN1_TIME_to_tm(t, &tm) ||
	    strftime(buf, buflen, "%Y-%m-%dT%H:%M:%SZ", &tm) == 0)
		snprintf(buf, buflen, "(unreadable time)");
	ERR_clear_error();
}

static int
field_usable(const struct acmb_material *m, enum acmb_field f)
{
	return m->info[f].present && m->info[f].status == ACMB_OK;
}

/* A field the loader could not use fails the rule its status stands for. */
static void
rules_field_status(const struct acmb_material *m, enum acmb_field f, struct acmb_rules_report *rep)
{
	static const char *const fixes[ACMB_FIELD_COUNT] = {
	    [ACMB_FIELD_CERT] = "give one PEM certificate (-----BEGIN CERTIFICATE-----)",
	    [ACMB_FIELD_KEY] = "give the unencrypted private key in PEM",
	    [ACMB_FIELD_CHAIN] = "give the chain as PEM certificates, issuer of the leaf first",
	};
	const struct acmb_field_info *in = &m->info[f];
	const char *rule;

	switch (f) {
	case ACMB_FIELD_CERT:
		rule = in->status == ACMB_E_TOO_BIG ? "certificate-size" : "certificate-pem";
		break;
	case ACMB_FIELD_KEY:
		rule = in->status == ACMB_E_TOO_BIG ? "key-size"
		       : in->status == ACMB_E_RULE || in->status == ACMB_E_PASSPHRASE
		           ? "key-unencrypted"
		           : "key-pem";
		break;
	default:
		rule = in->status == ACMB_E_TOO_BIG ? "chain-size" : "chain-pem";
		break;
	}
	if (in->status == ACMB_E_TOO_BIG)
		rule_add(rep, rule, 0,
		    "check the path: the file is larger than any valid "
		    "field; give the PEM file itself",
		    "%s", in->message[0] != '\0' ? in->message : acmb_strerror(in->status));
	else if (in->status == ACMB_E_RULE || in->status == ACMB_E_PASSPHRASE)
		rule_add(rep, rule, 0,
		    "give the passphrase with --passphrase-file or "
		    "--passphrase-env, or decrypt the key first",
		    "%s", in->message[0] != '\0' ? in->message : "the private key is encrypted");
	else
		rule_add(rep, rule, 0, fixes[f], "%s",
		    in->message[0] != '\0' ? in->message : acmb_strerror(in->status));
}

/*
 * Bytes of PEM that PEM_write_bio_X509 writes for the first n certificates
 * of certs, computed from their DER length: what import sends is that PEM
 * (material.c), and its layout is fixed: the BEGIN line, base64 in lines of
 * 64 characters each ended by a newline, the END line. Measured this way
 * because encoding each certificate to PEM only to count it was a visible
 * share of a batch set. Returns 0 when a certificate cannot be encoded.
 */
static int
rules_certs_pem_len(STACK_OF(X509) *certs, int n, size_t *len)
{
	static const char begin[] = "-----BEGIN CERTIFICATE-----\n";
	static const char end[] = "-----END CERTIFICATE-----\n";
	size_t b64, total = 0;
	int i, der;

	*len = 0;
	for (i = 0; i < n; i++) {
		if ((der = i2d_X509(sk_X509_value(certs, i), NULL)) <= 0) {
			ERR_clear_error();
			return 0;
		}
		b64 = ((size_t)der + 2) / 3 * 4;
		total += sizeof(begin) - 1 + b64 + (b64 + 63) / 64 + sizeof(end) - 1;
	}
	*len = total;
	return 1;
}

static void
rules_certificate(struct acmb_material *m, X509 *leaf, time_t at, struct acmb_rules_report *rep)
{
	const struct acmb_field_info *in = &m->info[ACMB_FIELD_CERT];
	char nb[32], na[32];
	size_t len = 0;
	int ncerts, before, after;

	if (!in->present) {
		rule_add(rep, "certificate-pem", 0, "give the certificate with --certificate",
		    "no certificate given");
		return;
	}
	if (in->status != ACMB_OK) {
		rules_field_status(m, ACMB_FIELD_CERT, rep);
		return;
	}
	if (leaf == NULL) {
		rule_add(rep, "certificate-pem", 0,
		    "give one PEM certificate "
		    "(-----BEGIN CERTIFICATE-----)",
		    "no certificate found in %s", in->source);
		return;
	}
	rule_add(rep, "certificate-pem", 1, NULL, "PEM certificate from %s%s", in->source,
	    (in->flags & ACMB_IN_DER) ? " (converted from DER)" : "");

	ncerts = sk_X509_num(m->certs);
	rule_add(rep, "certificate-single", ncerts == 1,
	    "put only the leaf in --certificate and move the others to --certificate-chain",
	    ncerts == 1 ? "one certificate in the certificate field"
	                : "%d certificates in the certificate field; ACM takes exactly one",
	    ncerts);

	rule_add(rep, "certificate-x509-v3", X509_get_version(leaf) == X509_VERSION_3,
	    "reissue the certificate as X.509 version 3 (with extensions)", "X.509 version %ld",
	    X509_get_version(leaf) + 1);

	{
		char issuer[ACMB_CHAIN_NAME_MAX];
		int nent = X509_NAME_entry_count(X509_get_issuer_name(leaf));

		rule_add(rep, "certificate-issuer", nent > 0,
		    "reissue the certificate with an Issuer name",
		    nent > 0 ? "issuer '%s'" : "the Issuer field is empty%s",
		    nent > 0 ? acmb_chain_name(leaf, 1, issuer, sizeof(issuer)) : "");
	}

	rules_time_str(X509_get0_notBefore(leaf), nb, sizeof(nb));
	rules_time_str(X509_get0_notAfter(leaf), na, sizeof(na));
	snprintf(rep->not_after, sizeof(rep->not_after), "%s", na);
	before = ASN1_TIME_cmp_time_t(X509_get0_notBefore(leaf), at);
	after = ASN1_TIME_cmp_time_t(X509_get0_notAfter(leaf), at);
	ERR_clear_error();
	if (before == -2 || after == -2)
		rule_add(rep, "certificate-validity", 0, "reissue the certificate",
		    "NotBefore/NotAfter cannot be read");
	else if (before > 0)
		rule_add(rep, "certificate-validity", 0,
		    "wait until NotBefore, or check the date with --at TIME",
		    "not yet valid: NotBefore %s is after the check time", nb);
	else if (after < 0)
		rule_add(rep, "certificate-validity", 0, "renew the certificate",
		    "expired: NotAfter %s is before the check time", na);
	else
		rule_add(rep, "certificate-validity", 1, NULL, "valid from %s to %s", nb, na);

	if (!rules_certs_pem_len(m->certs, 1, &len))
		rule_add(rep, "certificate-size", 0, "reissue the certificate",
		    "cannot encode the certificate as PEM");
	else
		rule_add(rep, "certificate-size", len <= ACMB_ACM_CERT_MAX,
		    "reissue the certificate with fewer names or extensions",
		    "%zu bytes of PEM (ACM takes at most %d)", len, ACMB_ACM_CERT_MAX);
}

/*
 * Signs with the private key and verifies with the certificate's public key.
 * EVP_PKEY_eq compares only public parts, so a key whose private half was
 * damaged would pass it and fail at the first TLS handshake instead.
 * Returns 1 when the signature verifies, 0 when it does not, -1 when the
 * key cannot sign at all.
 */
static int
rules_pairwise(EVP_PKEY *key, EVP_PKEY *pub)
{
	static const unsigned char msg[] = "acmbridge pairwise consistency test";
	EVP_MD_CTX *sctx = NULL, *vctx = NULL;
	unsigned char *sig = NULL;
	const char *md = "SHA256";
	size_t siglen = 0;
	int r = -1;

	/* EdDSA signs the message itself, without a separate digest. */
	if (EVP_PKEY_is_a(key, "ED25519") || EVP_PKEY_is_a(key, "ED448"))
		md = NULL;
	if ((sctx = EVP_MD_CTX_new()) == NULL || (vctx = EVP_MD_CTX_new()) == NULL)
		goto out;
	if (EVP_DigestSignInit_ex(sctx, NULL, md, NULL, NULL, key, NULL) != 1 ||
	    EVP_DigestSign(sctx, NULL, &siglen, msg, sizeof(msg)) != 1 || siglen == 0 ||
	    siglen > 16384 || (sig = OPENSSL_malloc(siglen)) == NULL ||
	    EVP_DigestSign(sctx, sig, &siglen, msg, sizeof(msg)) != 1)
		goto out;
	r = 0;
	if (EVP_DigestVerifyInit_ex(vctx, NULL, md, NULL, NULL, pub, NULL) == 1 &&
	    EVP_DigestVerify(vctx, sig, siglen, msg, sizeof(msg)) == 1)
		r = 1;
out:
	ERR_clear_error();
	OPENSSL_free(sig);
	EVP_MD_CTX_free(sctx);
	EVP_MD_CTX_free(vctx);
	return r;
}

static void
rules_key(struct acmb_material *m, X509 *leaf, struct acmb_rules_report *rep, acmb_err *err)
{
	const struct acmb_field_info *in = &m->info[ACMB_FIELD_KEY];
	char cert_alg[64], key_alg[64];
	enum acmb_key_alg ca = ACMB_ALG_NONE, ka = ACMB_ALG_NONE;
	EVP_PKEY *pub = leaf != NULL ? X509_get0_pubkey(leaf) : NULL;
	size_t pem_len = 0;
	int eq, pw, cert_ok, key_ok;

	ERR_clear_error();
	if (leaf != NULL) {
		ca = acmb_rules_key_algorithm(pub, cert_alg, sizeof(cert_alg));
		if (acmb_rules_alg_name(ca) != NULL)
			snprintf(rep->key_algorithm, sizeof(rep->key_algorithm), "%s",
			    acmb_rules_alg_name(ca));
	}
	if (!in->present && m->key == NULL) {
		rule_add(rep, "key-present", 0,
		    "give the private key with --private-key "
		    "(or --pkcs12)",
		    "no private key given");
	} else if (in->status != ACMB_OK || m->key == NULL) {
		rule_add(rep, "key-present", 1, NULL, "private key given (%s)", in->source);
		if (in->status != ACMB_OK)
			rules_field_status(m, ACMB_FIELD_KEY, rep);
		else
			rule_add(rep, "key-pem", 0, "give the private key in PEM",
			    "no private key found in %s", in->source);
	} else {
		rule_add(rep, "key-present", 1, NULL, "private key from %s", in->source);
		rule_add(rep, "key-pem", 1, NULL, "%s key%s; sent as PKCS#8 PEM",
		    in->key_format[0] != '\0' ? in->key_format : "PEM",
		    (in->flags & ACMB_IN_DER) ? " converted from DER" : "");
		rule_add(rep, "key-unencrypted", 1, NULL, "%s",
		    (in->flags & (ACMB_IN_ENCRYPTED | ACMB_IN_LEGACY_ENC | ACMB_IN_PKCS12))
		        ? "decrypted with the passphrase in locked memory; sent unencrypted as ACM "
		          "requires"
		        : "the key is not encrypted");
		/* Measured without a second copy of the key where the length
		 * follows from public values (named-curve EC). */
		if (acmb_keyload_pkcs8_pem_len(m->key, &pem_len, err) != ACMB_OK)
			rule_add(rep, "key-size", 0, "check the key file; it cannot be re-encoded",
			    "cannot encode the key as PKCS#8 PEM: %s", err->msg);
		else
			rule_add(rep, "key-size", pem_len <= ACMB_ACM_KEY_MAX,
			    "use a smaller key (RSA up to 4096 bits, or EC)",
			    "%zu bytes of PEM as sent (ACM takes at most %d)", pem_len,
			    ACMB_ACM_KEY_MAX);
		ka = acmb_rules_key_algorithm(m->key, key_alg, sizeof(key_alg));
	}

	if (leaf != NULL || ka != ACMB_ALG_NONE) {
		cert_ok = leaf == NULL || acmb_rules_alg_name(ca) != NULL;
		key_ok = ka == ACMB_ALG_NONE || acmb_rules_alg_name(ka) != NULL;
		if (cert_ok && key_ok)
			rule_add(rep, "key-algorithm", 1, NULL, "%s%s%s",
			    leaf != NULL ? cert_alg : key_alg,
			    leaf != NULL && ka != ACMB_ALG_NONE && ka != ca ? "; private key " : "",
			    leaf != NULL && ka != ACMB_ALG_NONE && ka != ca ? key_alg : "");
		else
			rule_add(rep, "key-algorithm", 0,
			    "reissue with an RSA 2048 or EC P-256 key (ACM takes " ALLOWED_ALGS ")",
			    "%s%s%s%s%s is not a key algorithm ACM imports",
			    !cert_ok ? "certificate key " : "", !cert_ok ? cert_alg : "",
			    !cert_ok && !key_ok ? ", " : "", !key_ok ? "private key " : "",
			    !key_ok ? key_alg : "");
	}

	if (leaf == NULL || m->key == NULL || in->status != ACMB_OK)
		return;
	if (pub == NULL) {
		rule_add(rep, "key-matches-certificate", 0, "reissue the certificate",
		    "the certificate's public key cannot be read");
		ERR_clear_error();
		return;
	}
	eq = EVP_PKEY_eq(m->key, pub);
	ERR_clear_error();
	if (eq != 1) {
		rule_add(rep, "key-matches-certificate", 0,
		    "give the private key this certificate was issued for",
		    "the private key does not belong to this certificate (public parts differ)");
		return;
	}
	pw = rules_pairwise(m->key, pub);
	if (pw == 1)
		rule_add(rep, "key-matches-certificate", 1, NULL,
		    "public parts equal; a test signature verifies with the certificate");
	else if (pw == 0)
		rule_add(rep, "key-matches-certificate", 0,
		    "the private key is damaged: restore it from backup or reissue",
		    "public parts equal, but a signature made with the private key does not "
		    "verify with the certificate (corrupted private key)");
	else
		rule_add(rep, "key-matches-certificate", 0, "use an RSA or EC signing key",
		    "public parts equal, but the private key cannot make a test signature");
}

static void
hygiene_note(char *buf, size_t buflen, const char *what, enum acmb_field f)
{
	size_t used = strlen(buf);

	if (used >= buflen)
		return;
	snprintf(
	    buf + used, buflen - used, "%s%s in %s", used > 0 ? "; " : "", what, field_label[f]);
}

static void
rules_hygiene(const struct acmb_material *m, struct acmb_rules_report *rep)
{
	static const struct {
		unsigned flag;
		const char *what;
	} notes[] = {
	    {ACMB_IN_DER, "converted DER to PEM"},
	    {ACMB_IN_CRLF, "CRLF line ends"},
	    {ACMB_IN_TRAILING_WS, "trailing spaces"},
	    {ACMB_IN_TEXT_AROUND, "dropped text around the PEM blocks"},
	    {ACMB_IN_EC_PARAMS, "dropped EC PARAMETERS block"},
	    {ACMB_IN_BOM, "dropped UTF-8 byte-order mark"},
	};
	char done[ACMB_RULE_DETAIL_MAX] = "", other[ACMB_RULE_DETAIL_MAX] = "";
	size_t i;
	int f, any = 0;

	for (f = 0; f < ACMB_FIELD_COUNT; f++) {
		if (!m->info[f].present)
			continue;
		any = 1;
		for (i = 0; i < sizeof(notes) / sizeof(notes[0]); i++)
			if (m->info[f].flags & notes[i].flag)
				hygiene_note(done, sizeof(done), notes[i].what, f);
		if (m->info[f].flags & ACMB_IN_OTHER_BLOCKS)
			hygiene_note(other, sizeof(other), "PEM blocks of another type", f);
	}
	if (!any)
		return;
	if (other[0] != '\0')
		rule_add(rep, "pem-hygiene", 0,
		    "keep only CERTIFICATE blocks in the certificate and chain files and only "
		    "the key in the key file",
		    "%s%s%s", other, done[0] != '\0' ? "; normalised: " : "", done);
	else if (done[0] != '\0')
		rule_add(rep, "pem-hygiene", 1, NULL, "normalised: %s", done);
	else
		rule_add(rep, "pem-hygiene", 1, NULL, "clean PEM");
}

/* Carries the fields' warnings into the report, which is what callers see. */
static void
rules_warnings(const struct acmb_material *m, struct acmb_rules_report *rep)
{
	int f;

	for (f = 0; f < ACMB_FIELD_COUNT && rep->nwarnings < ACMB_REPORT_WARNINGS_MAX; f++)
		if (m->info[f].warning[0] != '\0')
			snprintf(rep->warnings[rep->nwarnings++], sizeof(rep->warnings[0]), "%s",
			    m->info[f].warning);
}

static void
rules_algorithm_match(X509 *leaf, X509 *issuer, struct acmb_rules_report *rep)
{
	char iname[ACMB_CHAIN_NAME_MAX];
	const char *lf = rules_key_family(X509_get0_pubkey(leaf));
	const char *cf;
	int pknid = NID_undef;

	if (issuer == leaf) {
		rule_add(rep, "algorithm-match", 1, NULL,
		    "self-signed: the %s certificate is signed by its own key", lf);
	} else if (issuer != NULL) {
		cf = rules_key_family(X509_get0_pubkey(issuer));
		rule_add(rep, "algorithm-match", strcmp(lf, cf) == 0,
		    "have the certificate issued by a CA with a key of the same algorithm",
		    "certificate key is %s, signing CA '%s' has a%s %s key", lf,
		    acmb_chain_name(issuer, 0, iname, sizeof(iname)),
		    strcmp(cf, "RSA") == 0 || strcmp(cf, "EC") == 0 ? "n" : "", cf);
	} else {
		/* No issuer certificate: the leaf's signature algorithm names the CA's key. */
		if (!OBJ_find_sigid_algs(X509_get_signature_nid(leaf), NULL, &pknid))
			return;
		cf = pknid == EVP_PKEY_RSA || pknid == EVP_PKEY_RSA_PSS ? "RSA"
		     : pknid == EVP_PKEY_EC                             ? "EC"
		                                                        : OBJ_nid2sn(pknid);
		rule_add(rep, "algorithm-match", strcmp(lf, cf) == 0,
		    "have the certificate issued by a CA with a key of the same algorithm",
		    "certificate key is %s, its signature (%s) was made with an %s CA key", lf,
		    OBJ_nid2sn(X509_get_signature_nid(leaf)), cf);
	}
}

static void
rules_chain_order_results(struct acmb_material *m, X509 *leaf, int self_signed,
    const struct acmb_chain_result *cr, struct acmb_rules_report *rep)
{
	char a[ACMB_CHAIN_NAME_MAX], changes[ACMB_RULE_DETAIL_MAX] = "";
	int n = sk_X509_num(m->chain);

	if (cr->too_long) {
		rule_add(rep, "chain-order", 0,
		    "send only the certificates from the leaf's "
		    "issuer up to the root",
		    "%zu certificates are too many to order (at most %d, with a bounded number "
		    "of signature checks)",
		    cr->given, ACMB_CHAIN_MAX_CERTS);
		return;
	}
	if (self_signed)
		rule_add(
		    rep, "chain-issuer", 1, NULL, "self-signed certificate: its issuer is itself");
	else if (cr->issuer_found)
		rule_add(rep, "chain-issuer", 1, NULL,
		    "'%s' issued the leaf and its key verifies the leaf's signature",
		    acmb_chain_name(sk_X509_value(m->chain, 0), 0, a, sizeof(a)));
	else if (cr->issuer_name_only)
		rule_add(rep, "chain-issuer", 0,
		    "add the CA certificate whose key signed the leaf (the CA may have been "
		    "re-keyed)",
		    "a chain certificate has the leaf's issuer name '%s' but its key "
		    "does not verify the leaf's signature",
		    acmb_chain_name(leaf, 1, a, sizeof(a)));
	else
		rule_add(rep, "chain-issuer", 0,
		    "add the issuing CA's certificate to --certificate-chain",
		    "missing intermediate: no certificate in the chain has subject '%s'",
		    acmb_chain_name(leaf, 1, a, sizeof(a)));

	if (cr->leaf_variants > 0)
		rule_add(rep, "chain-no-leaf", 0,
		    "remove the leaf's other certificates from --certificate-chain",
		    "the chain holds %zu other certificate(s) for the leaf's subject and key",
		    cr->leaf_variants);
	else if (cr->leaf_copies > 0)
		rule_add(rep, "chain-no-leaf", 1, NULL,
		    "dropped %zu copy(ies) of the leaf from the chain", cr->leaf_copies);
	else
		rule_add(rep, "chain-no-leaf", 1, NULL, "the leaf is not in the chain");

	if (!self_signed && !cr->issuer_found)
		return;

	if (cr->duplicates > 0)
		snprintf(changes + strlen(changes), sizeof(changes) - strlen(changes),
		    "%sdropped %zu exact duplicate(s)", changes[0] ? "; " : "", cr->duplicates);
	if (cr->leaf_copies > 0)
		snprintf(changes + strlen(changes), sizeof(changes) - strlen(changes),
		    "%sdropped the leaf", changes[0] ? "; " : "");
	if (cr->reordered)
		snprintf(changes + strlen(changes), sizeof(changes) - strlen(changes),
		    "%sreordered issuer-first", changes[0] ? "; " : "");

	if (cr->loop)
		rule_add(rep, "chain-order", 0, "remove the cross-certificate that closes the loop",
		    "loop: '%s' is issued by a certificate already earlier in the chain",
		    cr->loop_subject);
	else if (cr->unlinked > 0 && cr->missing[0] == '\0')
		rule_add(rep, "chain-order", 0,
		    "remove the certificates that are not on the path from the leaf to its root",
		    "%zu certificate(s) are not on the path from the leaf, e.g. '%s'", cr->unlinked,
		    cr->first_unlinked);
	else if (changes[0] != '\0')
		rule_add(rep, "chain-order", 1, NULL,
		    "fixed: %s; %d certificate(s) now each "
		    "certify the one before",
		    changes, n);
	else
		rule_add(rep, "chain-order", 1, NULL,
		    "%d certificate(s), each certifies the one before", n);

	if (self_signed || cr->loop)
		return;
	if (cr->missing[0] != '\0')
		rule_add(rep, "chain-complete", 0,
		    "add the missing intermediate certificate to --certificate-chain",
		    "missing intermediate: no certificate in the chain has subject '%s'",
		    cr->missing);
	else if (cr->ends_at_root)
		rule_add(rep, "chain-complete", 1, NULL,
		    "%zu certificate(s) from the leaf's issuer up to the root, root last",
		    cr->path_len);
	else
		rule_add(rep, "chain-complete", 1, NULL,
		    "%zu certificate(s) up to one issued by '%s', which is not included "
		    "(ACM does not need the root)",
		    cr->path_len, cr->top_issuer);
}

static int
rules_chain(struct acmb_material *m, X509 *leaf, acmb_chain_memo *memo,
    struct acmb_rules_report *rep, acmb_err *err)
{
	const struct acmb_field_info *in = &m->info[ACMB_FIELD_CHAIN];
	struct acmb_chain_result cr;
	char a[ACMB_CHAIN_NAME_MAX];
	size_t len = 0;
	int self_signed, have_chain, r;

	have_chain =
	    field_usable(m, ACMB_FIELD_CHAIN) && m->chain != NULL && sk_X509_num(m->chain) > 0;
	if (in->present) {
		if (in->status != ACMB_OK)
			rules_field_status(m, ACMB_FIELD_CHAIN, rep);
		else if (!have_chain)
			rule_add(rep, "chain-pem", 0, "give the chain as PEM certificates",
			    "no certificate found in %s", in->source);
		else
			rule_add(rep, "chain-pem", 1, NULL, "%d PEM certificate(s) from %s",
			    sk_X509_num(m->chain), in->source);
	}
	if (leaf == NULL)
		return ACMB_OK;
	self_signed = acmb_chain_self_signed(leaf);
	if (self_signed)
		rule_add(
		    rep, "chain-required", 1, NULL, "self-signed certificate; no chain needed");
	else if (!in->present)
		rule_add(rep, "chain-required", 0,
		    "give the issuing CA certificates with --certificate-chain",
		    "the certificate is issued by '%s' (not self-signed) and no chain was given",
		    acmb_chain_name(leaf, 1, a, sizeof(a)));
	else
		rule_add(rep, "chain-required", 1, NULL, "issued by '%s'; chain given",
		    acmb_chain_name(leaf, 1, a, sizeof(a)));

	if (!have_chain) {
		rules_algorithm_match(leaf, self_signed ? leaf : NULL, rep);
		return ACMB_OK;
	}
	if ((r = acmb_chain_order_memo(leaf, m->chain, memo, &cr, err)) != ACMB_OK)
		return r;
	rep->chain_order_changed = cr.changed;
	rules_chain_order_results(m, leaf, self_signed, &cr, rep);
	rules_algorithm_match(leaf,
	    self_signed       ? leaf
	    : cr.issuer_found ? sk_X509_value(m->chain, 0)
	                      : NULL,
	    rep);

	if (!rules_certs_pem_len(m->chain, sk_X509_num(m->chain), &len))
		rule_add(
		    rep, "chain-size", 0, "check the chain file", "cannot encode the chain as PEM");
	else
		rule_add(rep, "chain-size", len <= ACMB_ACM_CHAIN_MAX,
		    "send only the certificates from the leaf's issuer up to the root",
		    "%zu bytes of PEM as sent (ACM takes at most %d)", len, ACMB_ACM_CHAIN_MAX);
	return ACMB_OK;
}

static void
rules_ocsp(X509 *leaf, struct acmb_rules_report *rep)
{
	STACK_OF(OPENSSL_STRING) *urls = X509_get1_ocsp(leaf);
	size_t longest = 0, len;
	int i, n = urls != NULL ? sk_OPENSSL_STRING_num(urls) : 0;

	for (i = 0; i < n; i++) {
		len = strlen(sk_OPENSSL_STRING_value(urls, i));
		if (len > longest)
			longest = len;
	}
	X509_email_free(urls);
	ERR_clear_error();
	if (n == 0)
		rule_add(rep, "ocsp-url-length", 1, NULL, "no OCSP URL in the certificate");
	else
		rule_add(rep, "ocsp-url-length", longest <= ACMB_ACM_OCSP_URL_MAX,
		    "reissue the certificate with an OCSP URL of at most 1000 characters",
		    "OCSP URL of %zu characters (ACM takes at most %d)", longest,
		    ACMB_ACM_OCSP_URL_MAX);
}

int
acmb_rules_judge(struct acmb_material *m, time_t at, struct acmb_rules_report *rep, acmb_err *err)
{
	return acmb_rules_judge_memo(m, at, NULL, rep, err);
}

int
acmb_rules_judge_memo(struct acmb_material *m, time_t at, acmb_chain_memo *memo,
    struct acmb_rules_report *rep, acmb_err *err)
{
	X509 *leaf = NULL;
	size_t i;
	int r;

	memset(rep, 0, sizeof(*rep));
	if (m == NULL)
		return acmb_error(err, ACMB_E_INTERNAL, "no material to judge");
	if (field_usable(m, ACMB_FIELD_CERT))
		leaf = acmb_material_leaf(m);
	rules_certificate(m, leaf, at, rep);
	rules_key(m, leaf, rep, err);
	rules_hygiene(m, rep);
	rules_warnings(m, rep);
	if ((r = rules_chain(m, leaf, memo, rep, err)) != ACMB_OK)
		return r;
	if (leaf != NULL)
		rules_ocsp(leaf, rep);
	acmb_services_judge(leaf != NULL ? acmb_rules_key_algorithm(X509_get0_pubkey(leaf), NULL, 0)
	                                 : ACMB_ALG_NONE,
	    rep->services);
	ERR_clear_error();
	rep->ok = rep->nresults > 0 && !rep->overflow;
	for (i = 0; i < rep->nresults; i++)
		if (!rep->results[i].ok)
			rep->ok = 0;
	return ACMB_OK;
}
