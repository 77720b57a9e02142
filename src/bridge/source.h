/*
 * Where an import's material comes from, whichever the source: pkcs11: URIs
 * for the fields that name one (the PKCS#11 source, with its controlled
 * export and audit record), files for the others.
 */
#ifndef ACMB_SOURCE_H
#define ACMB_SOURCE_H

#include "audit.h"
#include "error.h"
#include "material.h"
#include "source-files.h"
#include "source-pkcs11.h"

struct acmb_source_spec {
	struct acmb_files_spec files; /* fields that are not pkcs11: URIs */
	struct acmb_pkcs11_spec p11;  /* pkcs11: fields and token options */
};

/* Returns 1 when s names pkcs11: (the RFC 7512 scheme), 0 otherwise. */
int acmb_source_is_pkcs11(const char *s);

/* Loads the material the spec names into a new material. With any pkcs11:
 * field, the token is opened, the key exported under the token's and the
 * policy's rules with a durable audit "begin" record in *audit (opened here;
 * the caller finishes it with acmb_audit_finish() and closes it); the
 * certificate and key then both come from the token, and only the chain may
 * come from a file (it replaces the token's CA certificates).
 * Without one, the files source alone; *audit stays NULL. Errors as
 * acmb_files_load() and acmb_pkcs11_load(). Caller frees *out with
 * acmb_material_free(). */
int acmb_source_load(struct acmb_source_spec *spec, struct acmb_material **out,
    struct acmb_audit **audit, acmb_err *err);

#endif
