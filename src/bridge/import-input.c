#include "import-input.h"

#include <limits.h>
#include <stdio.h>
#include <string.h>

#include <openssl/evp.h>

#include "bridge/source-files.h"
#include "input.h"
#include "secmem.h"

static const struct {
	const char *name;
	int field; /* enum acmb_field, or -1 for a parameter that is no material */
	int list;  /* a JSON list rather than a string */
} params[] = {
    {"CertificateArn", -1, 0},
    {"Certificate", ACMB_FIELD_CERT, 0},
    {"PrivateKey", ACMB_FIELD_KEY, 0},
    {"CertificateChain", ACMB_FIELD_CHAIN, 0},
    {"Tags", -1, 1},
};

#define NPARAMS (sizeof(params) / sizeof(params[0]))

static const char *
type_name(const json_t *v)
{
	switch (json_typeof(v)) {
	case JSON_OBJECT:
		return "an object";
	case JSON_ARRAY:
		return "a list";
	case JSON_STRING:
		return "a string";
	case JSON_INTEGER:
		return "an integer";
	case JSON_REAL:
		return "a number";
	case JSON_TRUE:
	case JSON_FALSE:
		return "a boolean";
	case JSON_NULL:
		break;
	}
	return "null";
}

/* The AWS CLI refuses an unknown parameter or a wrong type before it sends
 * anything; so do we, rather than silently ignoring a mistyped key. */
int
acmb_import_input_check(const json_t *cdoc, const char *opt, acmb_err *err)
{
	/* json_object_foreach takes no const object; nothing is changed. */
	json_t *doc = (json_t *)cdoc;
	const char *key;
	json_t *v;
	size_t i;

	json_object_foreach(doc, key, v)
	{
		for (i = 0; i < NPARAMS; i++)
			if (strcmp(key, params[i].name) == 0)
				break;
		if (i == NPARAMS)
			return acmb_error(err, ACMB_E_USAGE,
			    "%s: unknown parameter \"%s\": ImportCertificate takes "
			    "CertificateArn, Certificate, PrivateKey, CertificateChain and Tags",
			    opt, key);
		if (json_is_null(v) || (params[i].list ? json_is_array(v) : json_is_string(v)))
			continue;
		return acmb_error(err, ACMB_E_USAGE, "%s: %s must be %s, not %s", opt, key,
		    params[i].list ? "a list" : "a string", type_name(v));
	}
	return ACMB_OK;
}

int
acmb_import_input_load(const char *arg, json_t **doc, acmb_err *err)
{
	acmb_secbuf *raw = NULL;
	json_error_t jerr;
	json_t *d = NULL, *key;
	char source[ACMB_SOURCE_MAX];
	int r = ACMB_E_INTERNAL;

	*doc = NULL;
	if (strncmp(arg, "file://", 7) == 0 || strncmp(arg, "fileb://", 8) == 0) {
		if ((r = acmb_input_read(arg, "--cli-input-json", ACMB_IMPORT_INPUT_MAX, &raw,
		         source, sizeof(source), err)) != ACMB_OK)
			goto out;
		d = json_loadb(acmb_secbuf_str(raw), acmb_secbuf_len(raw), 0, &jerr);
	} else {
		d = json_loads(arg, 0, &jerr);
		if (d != NULL && (key = json_object_get(d, "PrivateKey")) != NULL &&
		    !json_is_null(key)) {
			r = acmb_error(err, ACMB_E_USAGE,
			    "--cli-input-json: a PrivateKey on the command line is visible to "
			    "every user (ps); put the document in a file and pass file://PATH");
			goto out;
		}
	}
	if (d == NULL || !json_is_object(d)) {
		r = acmb_error(err, ACMB_E_USAGE,
		    "--cli-input-json: not a JSON object (%s, line %d)",
		    d == NULL ? jerr.text : "wrong type", jerr.line);
		goto out;
	}
	if ((r = acmb_import_input_check(d, "--cli-input-json", err)) != ACMB_OK)
		goto out;
	*doc = d;
	d = NULL;
	r = ACMB_OK;
out:
	json_decref(d);
	acmb_secbuf_free(raw);
	return r;
}

static const char *
json_field(json_t *doc, const char *name)
{
	json_t *v = json_object_get(doc, name);

	return json_is_string(v) && json_string_length(v) > 0 ? json_string_value(v) : NULL;
}

/*
 * Decodes one material field given in the document: PEM text as the AWS
 * CLI's raw-in-base64-out format has it, or base64 of the file as its
 * default base64 format has it. Decoded bytes of the key live in the
 * secure heap.
 */
static int
decode_field(
    struct acmb_material *m, enum acmb_field f, const char *name, const char *value, acmb_err *err)
{
	acmb_secbuf *bin = NULL;
	unsigned char *dst;
	size_t vlen = strlen(value), pad = 0;
	int n, r = ACMB_E_INTERNAL;

	snprintf(m->info[f].source, sizeof(m->info[f].source), "--cli-input-json %s", name);
	if (strncmp(value, "-----BEGIN", 10) == 0)
		return acmb_files_decode_field(
		    m, f, (const unsigned char *)value, vlen, NULL, 0, err);
	/* One-shot EVP_DecodeBlock: an EVP_ENCODE_CTX would keep key bytes in a
	 * context that EVP_ENCODE_CTX_free does not cleanse. */
	if (vlen > (size_t)INT_MAX || vlen % 4 != 0) {
		r = acmb_error(
		    err, ACMB_E_USAGE, "--cli-input-json: %s is neither PEM text nor base64", name);
		goto out;
	}
	if ((bin = acmb_secbuf_new(vlen)) == NULL ||
	    (dst = acmb_secbuf_reserve(bin, vlen)) == NULL) {
		r = acmb_error(err, ACMB_E_NOMEM, "out of memory");
		goto out;
	}
	if ((n = EVP_DecodeBlock(dst, (const unsigned char *)value, (int)vlen)) < 0) {
		r = acmb_error(
		    err, ACMB_E_USAGE, "--cli-input-json: %s is neither PEM text nor base64", name);
		goto out;
	}
	/* EVP_DecodeBlock counts the bytes the '=' padding stands for. */
	while (pad < 2 && vlen > pad && value[vlen - 1 - pad] == '=')
		pad++;
	acmb_secbuf_commit(bin, (size_t)n - pad);
	r = acmb_files_decode_field(m, f, acmb_secbuf_ptr(bin), acmb_secbuf_len(bin), NULL, 0, err);
out:
	acmb_secbuf_free(bin);
	return r;
}

int
acmb_import_input_apply(json_t *doc, const struct acmb_source_spec *src,
    const char **certificate_arn, struct acmb_tag_set *tags, struct acmb_material **mp,
    acmb_err *err)
{
	struct acmb_material *m = NULL;
	const struct acmb_files_spec *files = &src->files;
	json_t *list;
	const char *v;
	size_t i;
	int r = ACMB_E_INTERNAL, any = 0;

	*mp = NULL;
	if (*certificate_arn == NULL)
		*certificate_arn = json_field(doc, "CertificateArn");
	list = json_object_get(doc, "Tags");
	if (tags->ntags == 0 && json_is_array(list) &&
	    (r = acmb_tag_set_add_json(tags, list, "--cli-input-json", err)) != ACMB_OK)
		return r;
	for (i = 0; i < NPARAMS; i++)
		any |= params[i].field >= 0 && json_field(doc, params[i].name) != NULL;
	if (!any)
		return ACMB_OK;
	if (files->certificate != NULL || files->private_key != NULL ||
	    files->certificate_chain != NULL || files->pkcs12 != NULL ||
	    acmb_pkcs11_spec_wanted(&src->p11))
		return acmb_error(err, ACMB_E_USAGE,
		    "give the certificate, key and chain either in --cli-input-json or as "
		    "options, not both");
	if ((m = acmb_material_new()) == NULL)
		return acmb_error(err, ACMB_E_NOMEM, "out of memory");
	for (i = 0; i < NPARAMS; i++) {
		if (params[i].field < 0 || (v = json_field(doc, params[i].name)) == NULL)
			continue;
		if ((r = decode_field(
		         m, (enum acmb_field)params[i].field, params[i].name, v, err)) != ACMB_OK)
			goto out;
	}
	*mp = m;
	m = NULL;
	r = ACMB_OK;
out:
	acmb_material_free(m);
	return r;
}
