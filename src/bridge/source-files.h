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
	const char *certificate;       /* --certificate: PATH, fileb://PATH, file://PATH or - */
	const char *private_key;       /* --private-key */
	const char *certificate_chain; /* --certificate-chain */
	const char *pkcs12;            /* --pkcs12 PATH: cert, key and chain in one */
	const char *passphrase_file;   /* --passphrase-file PATH (one trailing newline stripped) */
	const char *passphrase_env;    /* --passphrase-env VAR (wiped and unset once read) */
	int strict_permissions;        /* --strict-permissions: refuse a key file or bundle that
	                                * others may access or another user owns (else a warning
	                                * in the key field's info) */
	int file_base64;               /* --cli-binary-format base64: a file:// input that is
	                                * all base64 text is decoded */
};

/* Reads and decodes every field the spec names into a new material.
 * Returns ACMB_OK with *out set even when a field is unusable (its
 * info[].status says why, for check to report); returns an error and leaves
 * *out NULL only for usage problems: no certificate given, two fields on
 * stdin, an unreadable file, a missing or wrong passphrase.
 * (An encrypted key given without any passphrase is not one: its field gets
 * status ACMB_E_RULE. A PKCS#12 bundle without its passphrase is, and so is
 * an unprotected key file or bundle with spec->strict_permissions; without
 * it the key field's info.warning says so.)
 * Caller frees *out with acmb_material_free(). */
int acmb_files_load(const struct acmb_files_spec *spec, struct acmb_material **out, acmb_err *err);

/* Internal, for the fuzzer and tests: decodes field f of m from data (len
 * bytes, the raw contents of the file as read) exactly as acmb_files_load()
 * does, filling m->info[f] (present, status, message, flags, raw_len,
 * blocks, key_format; source should be set first: messages name it; a
 * leading UTF-8 byte-order mark is dropped and flagged ACMB_IN_BOM) and the
 * field's certs/chain/key. pass (passlen bytes, NUL-terminated, may be NULL)
 * decrypts an encrypted key. A field whose status is not ACMB_OK holds no
 * objects; the statuses are ACMB_E_TOO_BIG (over the read bound, set by the
 * loader), ACMB_E_RULE (encrypted key, no passphrase) and ACMB_E_PARSE
 * (everything else, a private key block in the certificate or chain too).
 * Returns ACMB_OK (even for an unusable field), or ACMB_E_PASSPHRASE for a
 * wrong passphrase and ACMB_E_NOMEM, with err set. */
int acmb_files_decode_field(struct acmb_material *m, enum acmb_field f, const unsigned char *data,
    size_t len, const char *pass, size_t passlen, acmb_err *err);

#endif
