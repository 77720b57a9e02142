/*
 * acmbridge list [pkcs11:URI]: the tokens, and on each the certificates and
 * keys with what an import needs to know (label, id, algorithm, NotAfter,
 * pairing, and whether and how the key could be exported). Read-only.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>
#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/objects.h>
#include <openssl/x509.h>

#include "cli-output.h"
#include "cli-pkcs11.h"
#include "cli.h"
#include "zalloc.h"
#include "pkcs11/p11-export.h"
#include "pkcs11/p11-module.h"
#include "pkcs11/p11-object.h"
#include "pkcs11/p11-session.h"
#include "pkcs11/p11-uri.h"

#define LIST_OBJECTS_MAX 256

enum { OPT_OUTPUT = 0x1200, OPT_LOGIN, OPT_HELP, OPT_QUERY, OPT_COLOR };

struct listing {
	struct acmb_p11_uri *uri;
	const struct acmb_pkcs11_spec *spec;
	int login;
	int json;
	json_t *tokens; /* JSON output */
};

static void
usage(FILE *f)
{
	fprintf(f,
	    "usage: acmbridge list [OPTIONS] [pkcs11:URI]\n\n"
	    "Lists the tokens and, on each, the certificates and keys with their label, id,\n"
	    "algorithm, NotAfter, pairing and exportability. Nothing is changed or exported.\n"
	    "Private objects (keys, usually) are shown after login: give a PIN option or\n"
	    "--login to be asked on the terminal.\n\n"
	    "  --output text|json    output format (default text): the listing, or\n"
	    "                        {\"tokens\": [...]}\n"
	    "  --output table|yaml|yaml-stream  that object as the AWS CLI lays a result out\n"
	    "  --query EXPRESSION    JMESPath over that object, then laid out as the AWS\n"
	    "                        CLI lays a result out (json by default)\n"
	    "  --color on|off|auto   colours of the table format\n"
	    "  --login               log in (prompting for the PIN) to see private objects\n"
	    "%s\n%s",
	    acmb_cli_pkcs11_help, acmb_cli_exit_codes);
}

/* Algorithm of a key object: "RSA-2048", "EC-prime256v1". */
static void
key_algorithm(const struct acmb_p11_token *t, CK_SESSION_HANDLE s, const struct acmb_p11_object *o,
    char *buf, size_t len)
{
	unsigned char *v = NULL;
	const unsigned char *p;
	ASN1_OBJECT *oid = NULL;
	size_t n = 0, i = 0;

	snprintf(buf, len, "%s", acmb_p11_key_type_name(o->key_type));
	if (o->key_type == CKK_RSA &&
	    acmb_p11_attr_get(t, s, o->handle, CKA_MODULUS, &v, &n, NULL) == ACMB_OK) {
		while (i < n && v[i] == 0)
			i++;
		snprintf(buf, len, "RSA-%zu", (n - i) * 8);
	} else if (o->key_type == CKK_EC &&
	           acmb_p11_attr_get(t, s, o->handle, CKA_EC_PARAMS, &v, &n, NULL) == ACMB_OK) {
		p = v;
		if ((oid = d2i_ASN1_OBJECT(NULL, &p, (long)n)) != NULL &&
		    OBJ_obj2nid(oid) != NID_undef)
			snprintf(buf, len, "EC-%s", OBJ_nid2sn(OBJ_obj2nid(oid)));
	}
	ASN1_OBJECT_free(oid);
	free(v);
}

static void
cert_details(
    X509 *x, char *alg, size_t alen, char *not_after, size_t nlen, char *subject, size_t slen)
{
	EVP_PKEY *pub = X509_get0_pubkey(x);
	char group[48];
	struct tm tm;

	snprintf(alg, alen, "unknown");
	if (pub != NULL && EVP_PKEY_is_a(pub, "RSA"))
		snprintf(alg, alen, "RSA-%d", EVP_PKEY_get_bits(pub));
	else if (pub != NULL && EVP_PKEY_get_utf8_string_param(pub, OSSL_PKEY_PARAM_GROUP_NAME,
	                            group, sizeof(group), NULL) == 1)
		snprintf(alg, alen, "EC-%s", group);
	if (ASN1_TIME_to_tm(X509_get0_notAfter(x), &tm) == 1)
		strftime(not_after, nlen, "%Y-%m-%dT%H:%M:%SZ", &tm);
	else
		snprintf(not_after, nlen, "unknown");
	X509_NAME_oneline(X509_get_subject_name(x), subject, (int)slen);
}

/* 1 when an object of class other has the same non-empty CKA_ID. */
static int
has_partner(const struct acmb_p11_token *t, CK_SESSION_HANDLE s, const struct acmb_p11_object *o,
    CK_OBJECT_CLASS other)
{
	CK_ATTRIBUTE tmpl[] = {
	    {CKA_CLASS, &other, sizeof(other)},
	    {CKA_ID, (void *)o->id, o->id_len},
	};
	CK_OBJECT_HANDLE h;
	size_t n = 0;

	if (o->id_len == 0 || acmb_p11_find(t, s, tmpl, 2, &h, 1, &n, NULL) != ACMB_OK)
		return 0;
	return n > 0;
}

static const char *
flag_text(int v)
{
	return v == 1 ? "true" : v == 0 ? "false" : "unknown";
}

static json_t *
json_flag(int v)
{
	return v < 0 ? json_null() : json_boolean(v);
}

static int
list_object(struct listing *l, const struct acmb_p11_token *t, CK_SESSION_HANDLE s,
    CK_OBJECT_HANDLE h, json_t *objs, acmb_err *err)
{
	struct acmb_p11_object o;
	enum acmb_p11_export_path path;
	char id[2 * ACMB_P11_ID_MAX + 1], alg[64], na[32], subj[256], exp[64];
	X509 *x = NULL;
	json_t *j = NULL;
	int r, paired;

	if ((r = acmb_p11_object_describe(t, s, h, &o, err)) != ACMB_OK)
		return r;
	acmb_p11_id_hex(o.id, o.id_len, id, sizeof(id));
	if (o.cls == CKO_CERTIFICATE) {
		if (acmb_p11_cert_x509(t, s, h, &x, NULL) != ACMB_OK)
			return ACMB_OK;
		cert_details(x, alg, sizeof(alg), na, sizeof(na), subj, sizeof(subj));
		X509_free(x);
		paired = has_partner(t, s, &o, CKO_PRIVATE_KEY);
		if (!l->json) {
			printf("  certificate  id=%s label='%s'  %s  not-after %s  %s  key: %s%s\n",
			    id[0] ? id : "(none)", o.label, alg, na, subj, paired ? "yes" : "no",
			    o.cert_category == 2 ? "  (CA)" : "");
			return ACMB_OK;
		}
		j = json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:b, s:b}", "class", "certificate",
		    "label", o.label, "id", id, "algorithm", alg, "not_after", na, "subject", subj,
		    "paired_key", paired, "ca", o.cert_category == 2);
	} else {
		key_algorithm(t, s, &o, alg, sizeof(alg));
		paired = o.cls == CKO_PRIVATE_KEY && has_partner(t, s, &o, CKO_CERTIFICATE);
		if (o.cls == CKO_PRIVATE_KEY) {
			acmb_err why = {0, ""};

			acmb_p11_export_plan(t, &o, 0, &path, &why);
			if (path != ACMB_P11_EXPORT_REFUSED)
				snprintf(exp, sizeof(exp), "%s", acmb_p11_export_path_name(path));
			else if (o.wrap_with_trusted == 1 && o.extractable == 1 &&
			         o.never_extractable != 1)
				snprintf(exp, sizeof(exp), "needs --wrapping-key");
			else
				snprintf(exp, sizeof(exp), "refused");
		} else {
			snprintf(exp, sizeof(exp), "n/a");
		}
		if (!l->json) {
			printf("  %s  id=%s label='%s'  %s  extractable=%s sensitive=%s "
			       "never-extractable=%s wrap-with-trusted=%s  export: %s%s\n",
			    o.cls == CKO_PRIVATE_KEY ? "private key" : "secret key ",
			    id[0] ? id : "(none)", o.label, alg, flag_text(o.extractable),
			    flag_text(o.sensitive), flag_text(o.never_extractable),
			    flag_text(o.wrap_with_trusted), exp,
			    o.cls == CKO_PRIVATE_KEY
			        ? (paired ? "  certificate: yes" : "  certificate: no")
			        : "");
			return ACMB_OK;
		}
		j = json_pack("{s:s, s:s, s:s, s:s, s:o, s:o, s:o, s:o, s:s}", "class",
		    o.cls == CKO_PRIVATE_KEY ? "private-key" : "secret-key", "label", o.label, "id",
		    id, "algorithm", alg, "extractable", json_flag(o.extractable), "sensitive",
		    json_flag(o.sensitive), "never_extractable", json_flag(o.never_extractable),
		    "wrap_with_trusted", json_flag(o.wrap_with_trusted), "export", exp);
		if (j != NULL && o.cls == CKO_PRIVATE_KEY)
			json_object_set_new(j, "paired_certificate", json_boolean(paired));
	}
	if (j == NULL || json_array_append_new(objs, j) != 0)
		return acmb_error(err, ACMB_E_NOMEM, "out of memory");
	return ACMB_OK;
}

static int
list_token(struct listing *l, const struct acmb_p11_token *t, acmb_err *err)
{
	static const CK_OBJECT_CLASS classes[] = {CKO_CERTIFICATE, CKO_PRIVATE_KEY, CKO_SECRET_KEY};
	CK_OBJECT_HANDLE h[LIST_OBJECTS_MAX];
	CK_SESSION_HANDLE s = CK_INVALID_HANDLE;
	json_t *tok = NULL, *objs = NULL;
	size_t c, i, n;
	int r = ACMB_E_INTERNAL, logged_in = 0;

	if ((r = acmb_p11_session_open(t, &s, err)) != ACMB_OK)
		goto out;
	if (l->login) {
		if ((r = acmb_p11_login(t, s, &l->spec->pin, l->uri, err)) != ACMB_OK)
			goto out;
		logged_in = 1;
	}
	if (l->json) {
		if ((objs = json_array()) == NULL ||
		    (tok = json_pack("{s:s, s:s, s:s, s:s, s:s, s:I, s:b}", "label", t->label,
		         "serial", t->serial, "manufacturer", t->manufacturer, "model", t->model,
		         "module", t->module, "slot", (json_int_t)t->slot, "logged_in",
		         logged_in)) == NULL) {
			r = acmb_error(err, ACMB_E_NOMEM, "out of memory");
			goto out;
		}
	} else {
		printf("token '%s' serial %s (%s %s) slot %lu module %s%s\n", t->label, t->serial,
		    t->manufacturer, t->model, (unsigned long)t->slot, t->module,
		    logged_in ? "" : "  [not logged in: private objects not shown]");
	}
	for (c = 0; c < sizeof(classes) / sizeof(classes[0]); c++) {
		if (l->uri != NULL)
			r = acmb_p11_find_uri(
			    t, s, l->uri, classes[c], h, LIST_OBJECTS_MAX, &n, err);
		else {
			CK_OBJECT_CLASS cls = classes[c];
			CK_ATTRIBUTE tmpl[] = {{CKA_CLASS, &cls, sizeof(cls)}};

			r = acmb_p11_find(t, s, tmpl, 1, h, LIST_OBJECTS_MAX, &n, err);
		}
		if (r != ACMB_OK)
			goto out;
		for (i = 0; i < n && i < LIST_OBJECTS_MAX; i++)
			if ((r = list_object(l, t, s, h[i], objs, err)) != ACMB_OK)
				goto out;
	}
	if (l->json) {
		if (json_object_set(tok, "objects", objs) != 0 ||
		    json_array_append(l->tokens, tok) != 0) {
			r = acmb_error(err, ACMB_E_NOMEM, "out of memory");
			goto out;
		}
	}
	r = ACMB_OK;
out:
	json_decref(objs);
	json_decref(tok);
	acmb_p11_session_close(t, s);
	return r;
}

int
acmb_cli_list(int argc, char **argv)
{
	static const struct option opts[] = {
	    {"output", required_argument, NULL, OPT_OUTPUT},
	    {"query", required_argument, NULL, OPT_QUERY},
	    {"color", required_argument, NULL, OPT_COLOR},
	    {"login", no_argument, NULL, OPT_LOGIN},
	    {"help", no_argument, NULL, OPT_HELP},
	    {"debug", no_argument, NULL, 'd'},
	    ACMB_CLI_PKCS11_LONGOPTS,
	    {NULL, 0, NULL, 0},
	};
	struct acmb_pkcs11_spec spec;
	struct acmb_cli_output o;
	struct listing l;
	struct acmb_p11_modules *mods = NULL;
	struct acmb_p11_token toks[ACMB_P11_TOKENS_MAX];
	acmb_err err = {0, ""};
	const char *module;
	size_t n = 0, i;
	char *out = NULL;
	int opt, rc = ACMB_EXIT_FAILURE, seen = 0;

	memset(&spec, 0, sizeof(spec));
	memset(&o, 0, sizeof(o));
	memset(&l, 0, sizeof(l));
	optind = 1;
	while ((opt = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		if ((rc = acmb_cli_pkcs11_option(opt, optarg, &spec)) == 1)
			continue;
		if (rc != 0)
			goto out;
		switch (opt) {
		case OPT_OUTPUT:
		case OPT_QUERY:
		case OPT_COLOR:
			if (acmb_cli_output_option(&o,
			        opt == OPT_OUTPUT  ? "--output"
			        : opt == OPT_QUERY ? "--query"
			                           : "--color",
			        optarg) < 0) {
				rc = ACMB_EXIT_USAGE;
				goto out;
			}
			break;
		case OPT_LOGIN:
			l.login = 1;
			break;
		case 'd':
			break;
		case OPT_HELP:
			usage(stdout);
			rc = ACMB_EXIT_OK;
			goto out;
		default:
			rc = acmb_cli_usage_error("try 'acmbridge list --help'");
			goto out;
		}
	}
	if ((rc = acmb_cli_output_prepare(
	         &o, o.query != NULL ? ACMB_OUTPUT_JSON : ACMB_OUTPUT_TEXT, 0, NULL)) != 0)
		goto out;
	/* Anything but the listing itself needs the JSON document. */
	l.json = !acmb_cli_output_own_text(&o);
	if (spec.wrapping_key != NULL || spec.export_policy != NULL || spec.audit_log != NULL) {
		rc = acmb_cli_usage_error("list exports nothing: --wrapping-key, --export-policy "
		                          "and --audit-log do not apply");
		goto out;
	}
	if (argc - optind > 1) {
		rc = acmb_cli_usage_error("list takes at most one pkcs11: URI");
		goto out;
	}
	if (argc - optind == 1) {
		if (!acmb_p11_uri_is(argv[optind])) {
			rc = acmb_cli_usage_error("'%s' is not a pkcs11: URI", argv[optind]);
			goto out;
		}
		if (acmb_p11_uri_parse(argv[optind], &l.uri, &seen, &err) != ACMB_OK) {
			rc = acmb_cli_fail(&err);
			goto out;
		}
		if (seen)
			fprintf(stderr,
			    "acmbridge: warning: pin-value in a pkcs11: URI is visible "
			    "to other processes; use pin-source=, --pin-file or --pin-env\n");
	}
	if (spec.pin.pin_file != NULL || spec.pin.pin_env != NULL || seen ||
	    (l.uri != NULL && p11_kit_uri_get_pin_source(acmb_p11_uri_kit(l.uri)) != NULL))
		l.login = 1;
	l.spec = &spec;
	module = spec.module;
	if (module == NULL && l.uri != NULL)
		module = p11_kit_uri_get_module_path(acmb_p11_uri_kit(l.uri));
	if (acmb_p11_modules_open(module, &mods, &err) != ACMB_OK ||
	    acmb_p11_tokens_find(mods, l.uri, toks, ACMB_P11_TOKENS_MAX, &n, &err) != ACMB_OK) {
		rc = acmb_cli_fail(&err);
		goto out;
	}
	if (n == 0) {
		acmb_error(&err, ACMB_E_TOKEN, "token not present: no token matches %s",
		    l.uri != NULL ? acmb_p11_uri_text(l.uri) : "(any)");
		rc = acmb_cli_fail(&err);
		goto out;
	}
	if (l.json && (l.tokens = json_array()) == NULL) {
		rc = ACMB_EXIT_FAILURE;
		goto out;
	}
	for (i = 0; i < n; i++) {
		if (list_token(&l, &toks[i], &err) != ACMB_OK) {
			rc = acmb_cli_fail(&err);
			goto out;
		}
	}
	if (l.json) {
		json_t *doc = json_pack("{s:O}", "tokens", l.tokens);

		if (doc == NULL || (acmb_cli_output_own_json(&o) &&
		                       (out = json_dumps(doc, JSON_INDENT(2))) == NULL)) {
			json_decref(doc);
			rc = ACMB_EXIT_FAILURE;
			goto out;
		}
		if (out != NULL)
			printf("%s\n", out);
		else
			rc = acmb_cli_output_print(&o, doc, "ListTokens");
		json_decref(doc);
		if (out == NULL)
			goto out;
	}
	rc = ACMB_EXIT_OK;
out:
	acmb_cli_output_clear(&o);
	acmb_zfree(out); /* from json_dumps: the wiping allocator */
	json_decref(l.tokens);
	acmb_p11_uri_free(l.uri);
	acmb_p11_modules_close(mods);
	return rc;
}
