/*
 * The XML answers of AWS's Query protocol (STS): a small, bounded reader
 * that checks the whole document and hands out the text of one element at a
 * time, decoded into the secure heap (the answers carry secret keys and
 * session tokens).
 */
#ifndef ACMB_AWS_XML_H
#define ACMB_AWS_XML_H

#include <stddef.h>

#include "error.h"
#include "secmem.h"

#define ACMB_AWS_XML_MAX_DEPTH 16
#define ACMB_AWS_XML_MAX_PATH 8

/* Finds the element at path ("AssumeRoleResponse/AssumeRoleResult/
 * Credentials/SessionToken": local names, namespace prefixes ignored) in
 * the len bytes of doc and sets *text to a new secure buffer holding its
 * character data with entities decoded (caller frees with
 * acmb_secbuf_free()), or NULL when the document has no such element. The
 * whole document must be well formed: balanced tags, at most
 * ACMB_AWS_XML_MAX_DEPTH deep, no DOCTYPE or entity declarations (no
 * expansion attacks), only the five predefined and numeric character
 * references. Errors: ACMB_E_PARSE (malformed), ACMB_E_NOMEM. */
int acmb_aws_xml_text(
    const char *doc, size_t len, const char *path, acmb_secbuf **text, acmb_err *err);

#endif
