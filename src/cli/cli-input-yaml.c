/*
 * --cli-input-yaml (see cli-input-yaml.h).
 */
#include "cli-input-yaml.h"

#include <string.h>

#include "bridge/import-input.h"
#include "input.h"
#include "material.h"
#include "secmem.h"
#include "yaml-input.h"

/* Byte for byte, the uneven blanks before '#' included. */
const char acmb_cli_input_yaml_skeleton[] =
    "CertificateArn: ''  # The Amazon Resource Name (ARN) of an imported certificate to "
    "replace.\n"
    "Certificate: !!binary '' # [REQUIRED] The certificate to import.\n"
    "PrivateKey: !!binary '' # [REQUIRED] The private key that matches the public key in the "
    "certificate.\n"
    "CertificateChain: !!binary '' # The PEM encoded certificate chain.\n"
    "Tags: # One or more resource tags to associate with the imported certificate.\n"
    "- Key: ''  # [REQUIRED] The key of the tag.\n"
    "  Value: '' # The value of the tag.\n";

int
acmb_cli_input_yaml_load(const char *arg, json_t **doc, acmb_err *err)
{
	static const char opt[] = "--cli-input-yaml";
	acmb_secbuf *raw = NULL;
	json_t *d = NULL, *key;
	char source[ACMB_SOURCE_MAX];
	int r = ACMB_E_INTERNAL, inline_text = 0;

	*doc = NULL;
	if (strncmp(arg, "file://", 7) == 0 || strncmp(arg, "fileb://", 8) == 0) {
		if ((r = acmb_input_read(arg, opt, ACMB_IMPORT_INPUT_MAX, &raw, source,
		         sizeof(source), err)) != ACMB_OK ||
		    (r = acmb_yaml_input_to_json(
		         acmb_secbuf_str(raw), acmb_secbuf_len(raw), opt, &d, err)) != ACMB_OK)
			goto out;
	} else {
		inline_text = 1;
		if ((r = acmb_yaml_input_to_json(arg, strlen(arg), opt, &d, err)) != ACMB_OK)
			goto out;
	}
	if (inline_text && json_is_object(d) && (key = json_object_get(d, "PrivateKey")) != NULL &&
	    !json_is_null(key)) {
		r = acmb_error(err, ACMB_E_USAGE,
		    "%s: a PrivateKey on the command line is visible to every user (ps); put the "
		    "document in a file and pass file://PATH",
		    opt);
		goto out;
	}
	if (!json_is_object(d)) {
		r = acmb_error(err, ACMB_E_USAGE,
		    "%s: not a YAML object (a mapping of "
		    "ImportCertificate's parameters)",
		    opt);
		goto out;
	}
	if ((r = acmb_import_input_check(d, opt, err)) != ACMB_OK)
		goto out;
	*doc = d;
	d = NULL;
	r = ACMB_OK;
out:
	/* A document that is not YAML is a usage error, as one that is not JSON
	 * (ACMB_E_PARSE is for certificates and keys: exit 3). */
	if (r == ACMB_E_PARSE) {
		r = ACMB_E_USAGE;
		if (err != NULL)
			err->rc = r;
	}
	json_decref(d);
	acmb_secbuf_free(raw);
	return r;
}
