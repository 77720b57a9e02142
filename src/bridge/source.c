#include "source.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>

#include <openssl/x509.h>

#include "input.h"
#include "secmem.h"

int
acmb_source_is_pkcs11(const char *s)
{
	return s != NULL && strncasecmp(s, "pkcs11:", 7) == 0;
}

/* Reads one non-URI field from a file into m, as the files source would. */
static int
load_file_field(struct acmb_material *m, enum acmb_field f, const char *arg, const char *what,
    size_t max, acmb_err *err)
{
	acmb_secbuf *raw = NULL;
	int r;

	r = acmb_input_read(
	    arg, what, max, &raw, m->info[f].source, sizeof(m->info[f].source), err);
	if (r == ACMB_E_TOO_BIG) {
		/* Like the files source: over its bound is the field's state. */
		m->info[f].present = 1;
		m->info[f].status = r;
		snprintf(m->info[f].message, sizeof(m->info[f].message), "%s", err->msg);
		r = ACMB_OK;
		goto out;
	}
	if (r != ACMB_OK)
		goto out;
	r = acmb_files_decode_field(m, f, acmb_secbuf_ptr(raw), acmb_secbuf_len(raw), NULL, 0, err);
out:
	acmb_secbuf_free(raw);
	return r;
}

int
acmb_source_load(struct acmb_source_spec *spec, struct acmb_material **out,
    struct acmb_audit **audit, acmb_err *err)
{
	struct acmb_material *m = NULL;
	struct acmb_files_spec *fs = &spec->files;
	int r = ACMB_E_INTERNAL;

	*out = NULL;
	*audit = NULL;
	if (!acmb_pkcs11_spec_wanted(&spec->p11))
		return acmb_files_load(fs, out, err);
	if (fs->pkcs12 != NULL) {
		r = acmb_error(err, ACMB_E_USAGE, "--pkcs12 cannot be combined with pkcs11: URIs");
		goto out;
	}
	if (fs->certificate != NULL || fs->private_key != NULL) {
		r = acmb_error(err, ACMB_E_USAGE,
		    "with pkcs11: URIs, the certificate and the key "
		    "both come from the token (--private-key may be omitted: the key is paired "
		    "with the certificate); only --certificate-chain may be a file");
		goto out;
	}
	if ((r = acmb_audit_open(spec->p11.token.audit_log, audit, err)) != ACMB_OK)
		goto out;
	if ((r = acmb_pkcs11_load(&spec->p11, &m, *audit, err)) != ACMB_OK)
		goto out;
	/* A chain file replaces the token's CA certificates. */
	if (fs->certificate_chain != NULL) {
		sk_X509_pop_free(m->chain, X509_free);
		m->chain = NULL;
		memset(&m->info[ACMB_FIELD_CHAIN], 0, sizeof(m->info[ACMB_FIELD_CHAIN]));
		if ((r = load_file_field(m, ACMB_FIELD_CHAIN, fs->certificate_chain,
		         "certificate chain", ACMB_INPUT_MAX_CHAIN, err)) != ACMB_OK)
			goto out;
	}
	*out = m;
	m = NULL;
	r = ACMB_OK;
out:
	acmb_material_free(m);
	return r;
}
