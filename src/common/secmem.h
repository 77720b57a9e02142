/*
 * Secret memory. Every private key (DER, PEM, base64, JSON body), PIN,
 * passphrase and AWS secret lives in a buffer from here: OpenSSL's secure
 * heap (locked with mlock, excluded from core dumps with MADV_DONTDUMP),
 * wiped before it is freed. One owner per secret, one free that wipes it.
 */
#ifndef ACMB_SECMEM_H
#define ACMB_SECMEM_H

#include <stddef.h>

#include "error.h"

/* Secure heap size; must be a power of two. Large enough for the biggest
 * ImportCertificate body (32 KiB certificate + 2 MiB chain + key, base64). */
#define ACMB_SECURE_HEAP_SIZE ((size_t)16 << 20)

/* Starts the secure heap. Returns ACMB_OK; *locked is set to 0 when mlock
 * failed (RLIMIT_MEMLOCK) and the heap works unlocked, 1 otherwise. */
int acmb_secmem_init(size_t size, int *locked, acmb_err *err);

/* A growable secret buffer with a fixed maximum, always NUL-terminated. */
typedef struct acmb_secbuf acmb_secbuf;

/* Returns a new empty buffer that may grow to max bytes, or NULL.
 * Caller frees with acmb_secbuf_free(). */
acmb_secbuf *acmb_secbuf_new(size_t max);

/* Wipes the contents and frees the buffer. Accepts NULL. */
void acmb_secbuf_free(acmb_secbuf *b);

/* Appends n bytes. ACMB_E_TOO_BIG past the maximum, ACMB_E_NOMEM when the
 * secure heap is full. Growth copies into a new block and wipes the old. */
int acmb_secbuf_put(acmb_secbuf *b, const void *p, size_t n);

/* Ensures room for n more bytes and returns where they go (NULL on error);
 * after writing, call acmb_secbuf_commit(b, written). */
unsigned char *acmb_secbuf_reserve(acmb_secbuf *b, size_t n);
void acmb_secbuf_commit(acmb_secbuf *b, size_t n);

/* Wipes the contents; the buffer stays usable. */
void acmb_secbuf_clear(acmb_secbuf *b);

/* Drops the last n bytes (wiping them). */
void acmb_secbuf_truncate(acmb_secbuf *b, size_t newlen);

/* Contents and length. The pointer lives until the next put/reserve/free.
 * The contents are always followed by a NUL byte. */
const unsigned char *acmb_secbuf_ptr(const acmb_secbuf *b);
unsigned char *acmb_secbuf_mutable(acmb_secbuf *b);
const char *acmb_secbuf_str(const acmb_secbuf *b);
size_t acmb_secbuf_len(const acmb_secbuf *b);
size_t acmb_secbuf_max(const acmb_secbuf *b);

/* Returns a secure-heap copy of n bytes of s plus a NUL, or NULL.
 * Caller frees with acmb_secstr_free(). */
char *acmb_secstr_dup(const char *s, size_t n);

/* Wipes and frees a string from acmb_secstr_dup(). Accepts NULL. */
void acmb_secstr_free(char *s);

/* Wipes n bytes in a way the compiler cannot elide. */
void acmb_wipe(void *p, size_t n);

/* Wipes what a secret leaves outside its buffer: the CPU's vector registers
 * (memcpy moves key bytes through them) and ACMB_STACK_SCRUB bytes of dead
 * stack below the caller, where lazy symbol binding (_dl_runtime_resolve
 * saves every vector register) and signal frames spill those registers.
 * The secret frees below call it; call it after any other code that handled
 * a secret, before the next result is printed. */
void acmb_wipe_residue(void);

#define ACMB_STACK_SCRUB ((size_t)64 << 10)

/* Zeroes the CPU's vector registers only: cheap enough for every free of
 * the wiping allocator (zalloc.h), which calls it. */
void acmb_wipe_registers(void);

#endif
