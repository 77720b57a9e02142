/*
 * --cli-binary-format base64: a file:// blob whose whole text is base64
 * (the AWS CLI v2's default reading of file:// for a blob parameter) is
 * decoded; PEM text and binary DER are left as they are, so that
 * `--certificate file://Certificate.pem` keeps working.
 */
#ifndef ACMB_BASE64_TEXT_H
#define ACMB_BASE64_TEXT_H

#include "error.h"
#include "secmem.h"

/* If *buf holds nothing but base64 text (blanks and line breaks allowed,
 * '=' padding at the end only), replaces it with a new secure buffer of
 * the decoded bytes and frees (wipes) the old one. Returns 1 when decoded,
 * 0 when *buf is not base64 text (left alone), or ACMB_E_NOMEM. */
int acmb_base64_text_decode(acmb_secbuf **buf, acmb_err *err);

#endif
