/*
 * The files source: certificate, key and chain from paths, fileb:// and
 * file:// URLs, standard input ("-", at most one field), or a PKCS#12 bundle,
 * decrypted with a passphrase that never comes from argv.
 */
#ifndef ACMB_SOURCE_FILES_H
#define ACMB_SOURCE_FILES_H

#include "error.h"
#include "material.h"

struct acmb_files_spec {
	const char *certificate;     /* --certificate: PATH, fileb://PATH, file://PATH or - */
	const char *private_key;     /* --private-key */
	const char *certificate_chain; /* --certificate-chain */
	const char *pkcs12;          /* --pkcs12 PATH: cert, key and chain in one */
	const char *passphrase_file; /* --passphrase-file PATH */
	const char *passphrase_env;  /* --passphrase-env VAR */
};

/* Reads and decodes every field the spec names into a new material.
 * Returns ACMB_OK with *out set even when a field is unusable (its
 * info[].status says why, for check to report); returns an error and leaves
 * *out NULL only for usage problems: no certificate given, two fields on
 * stdin, an unreadable file, a missing or wrong passphrase.
 * Caller frees *out with acmb_material_free(). */
int acmb_files_load(const struct acmb_files_spec *spec,
    struct acmb_material **out, acmb_err *err);

#endif
