/*
 * Bounded reading of one input: a path, fileb://PATH or file://PATH (both
 * the raw file, as AWS CLI users write them) or "-" for standard input.
 * Everything is read straight into the secure heap, because any field may
 * hold key material (the key field always, a mistaken paste in the others).
 */
#ifndef ACMB_INPUT_H
#define ACMB_INPUT_H

#include <stddef.h>

#include "error.h"
#include "secmem.h"

/* Read maxima, fixed before anything is read. They bound memory only; ACM's
 * own limits are lower and are checked by the rules. */
#define ACMB_INPUT_MAX_CERT ((size_t)1 << 20)
#define ACMB_INPUT_MAX_KEY ((size_t)64 << 10)
#define ACMB_INPUT_MAX_CHAIN ((size_t)4 << 20)
#define ACMB_INPUT_MAX_PKCS12 ((size_t)4 << 20)
#define ACMB_INPUT_MAX_PASSPHRASE ((size_t)4 << 10)

/* Returns 1 when arg names standard input ("-"), 0 otherwise. */
int acmb_input_is_stdin(const char *arg);

/* Reads the input arg names, at most max bytes, into a new secure buffer.
 * what names the field in messages ("certificate"); source (source_size
 * bytes, may be NULL) receives a display name: the path, or "standard input".
 * Returns ACMB_OK; ACMB_E_TOO_BIG when the input is over max (a regular file
 * is refused by its size, unread; a stream after max + 1 bytes), the message
 * naming the field and the limit; ACMB_E_USAGE for a missing or unreadable
 * file, a directory or a device. Caller frees *out with acmb_secbuf_free(). */
int acmb_input_read(const char *arg, const char *what, size_t max, acmb_secbuf **out, char *source,
    size_t source_size, acmb_err *err);

/* As acmb_input_read() for a file that holds a private key (a key file, a
 * PKCS#12 bundle): a regular file that group or others may access, or that
 * another user owns, gets a warning in OpenSSH's words ("UNPROTECTED
 * PRIVATE KEY FILE: ...") in warning (warning_size bytes; "" when the file
 * is protected), or with strict is refused unread (ACMB_E_USAGE). Standard
 * input and pipes are not judged. */
int acmb_input_read_private(const char *arg, const char *what, size_t max, int strict,
    acmb_secbuf **out, char *source, size_t source_size, char *warning, size_t warning_size,
    acmb_err *err);

#endif
