/*
 * The passphrase for encrypted keys and PKCS#12 bundles: from a file or an
 * environment variable, never from argv, kept only in the secure heap.
 */
#ifndef ACMB_PASSPHRASE_H
#define ACMB_PASSPHRASE_H

#include "error.h"
#include "secmem.h"

/* Reads the passphrase from file (a path, fileb://, file:// or "-"; one
 * trailing newline, "\n" or "\r\n", is stripped because editors and echo add
 * it) or from the environment variable env, whose value is copied, then wiped
 * in place and unset so that no copy outlives this call in the environment.
 * Give at most one of file and env; with neither, *out is NULL and ACMB_OK is
 * returned. Errors (ACMB_E_USAGE): unreadable file, unset variable, a NUL
 * byte, over 4 KiB. Caller frees *out with acmb_secbuf_free() right after
 * its last use. */
int acmb_passphrase_read(const char *file, const char *env, acmb_secbuf **out, acmb_err *err);

#endif
