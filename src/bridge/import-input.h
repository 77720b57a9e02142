/*
 * import's --cli-input-json, as the AWS CLI takes it for `aws acm
 * import-certificate`: a JSON object with ImportCertificate's parameters
 * (--generate-cli-skeleton input), whose certificate, key and chain are PEM
 * text or base64 of it.
 */
#ifndef ACMB_IMPORT_INPUT_H
#define ACMB_IMPORT_INPUT_H

#include <jansson.h>

#include "bridge/source.h"
#include "bridge/tag-set.h"
#include "error.h"
#include "material.h"

/* Most bytes of a document: a certificate, a 2 MiB chain and a key,
 * base64-encoded, plus tags. */
#define ACMB_IMPORT_INPUT_MAX ((size_t)4 << 20)

/* Reads the document arg names: file://PATH or fileb://PATH (at most
 * ACMB_IMPORT_INPUT_MAX bytes, through the secure heap), else inline JSON,
 * which may not carry a PrivateKey (argv is visible to every user). As the
 * AWS CLI does, refuses (ACMB_E_USAGE) anything but an object whose keys
 * are ImportCertificate's (CertificateArn, Certificate, PrivateKey,
 * CertificateChain, Tags), with strings where they take strings and a list
 * for Tags (null counts as absent). Caller frees *doc with json_decref(). */
int acmb_import_input_load(const char *arg, json_t **doc, acmb_err *err);

/* The check acmb_import_input_load() makes of a document, for one read some
 * other way (--cli-input-yaml); opt names the option in the message. */
int acmb_import_input_check(const json_t *doc, const char *opt, acmb_err *err);

/* Applies a loaded document: its CertificateArn to *certificate_arn unless
 * that is set (an option wins), its Tags to tags unless tags holds some, and
 * its Certificate, PrivateKey and CertificateChain to a new material in *m
 * (NULL when it has none; the key's decoded bytes live in the secure heap),
 * which src must then not name as well (ACMB_E_USAGE). Strings point into
 * doc, which must outlive their use. Decoding errors as
 * acmb_files_decode_field(). Caller frees *m with acmb_material_free(). */
int acmb_import_input_apply(json_t *doc, const struct acmb_source_spec *src,
    const char **certificate_arn, struct acmb_tag_set *tags, struct acmb_material **m,
    acmb_err *err);

#endif
