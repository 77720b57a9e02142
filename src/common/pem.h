/*
 * PEM scanning with the hygiene ACM trips on: CRLF line ends, blanks at line
 * ends, text around the blocks, truncated blocks. OpenSSL's PEM reader
 * tolerates all of these silently, so the scan that notices them is ours;
 * the base64 bodies are decoded by OpenSSL.
 */
#ifndef ACMB_PEM_H
#define ACMB_PEM_H

#include <stddef.h>

#include "error.h"

/* What a scan noticed, ORed into its *flags. The material's ACMB_IN_* flags
 * (material.h) reuse these bits, so a scan's flags go into a field's info
 * unchanged; the scan itself knows nothing of materials. */
#define ACMB_PEM_CRLF 0x0002u        /* CRLF line ends */
#define ACMB_PEM_TRAILING_WS 0x0004u /* blanks at line ends */
#define ACMB_PEM_TEXT_AROUND 0x0008u /* text outside the PEM blocks */

/* Longest block type we accept ("ENCRYPTED PRIVATE KEY" is 21). */
#define ACMB_PEM_TYPE_MAX 64

/* Called for each complete block: its type ("CERTIFICATE"), its text from
 * the BEGIN line through the END line (pointing into the scanned data) and
 * the BEGIN line's number (1-based). Returning non-OK stops the scan. */
typedef int (*acmb_pem_block_cb)(
    void *ctx, const char *type, const char *text, size_t len, size_t line);

/* Scans data for PEM blocks, calling cb for each. ORs ACMB_PEM_CRLF,
 * ACMB_PEM_TRAILING_WS and ACMB_PEM_TEXT_AROUND into *flags and counts the
 * blocks in *nblocks. Returns ACMB_OK, the callback's rc, or ACMB_E_PARSE for
 * a block with no END line, a mismatched END or a malformed BEGIN line (err
 * says which line; messages never quote data beyond a block's type). */
int acmb_pem_scan(const char *data, size_t len, acmb_pem_block_cb cb, void *ctx, unsigned *flags,
    size_t *nblocks, acmb_err *err);

/* Returns 1 when a block of this type holds a private key of any kind. */
int acmb_pem_is_private_key(const char *type);

/* Decodes one block's base64 body with OpenSSL into the secure heap.
 * *encrypted is set to 1 when its headers say Proc-Type: 4,ENCRYPTED.
 * Returns ACMB_OK or ACMB_E_PARSE (bad base64 or headers). Caller frees *der
 * with acmb_pem_der_free(*der, *der_len). */
int acmb_pem_decode(const char *text, size_t len, unsigned char **der, size_t *der_len,
    int *encrypted, acmb_err *err);

/* Wipes and frees DER from acmb_pem_decode(). Accepts NULL. */
void acmb_pem_der_free(unsigned char *der, size_t len);

#endif
