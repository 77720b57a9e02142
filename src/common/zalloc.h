/*
 * A wiping allocator for the libraries we link (OpenSSL, libcurl, jansson).
 * Every block remembers its size so that free and realloc can wipe it; a
 * library that frees a copy of a secret through these never leaves it in
 * freed heap. Our own secrets do not use this: they live in the locked
 * secure heap (secmem.h).
 */
#ifndef ACMB_ZALLOC_H
#define ACMB_ZALLOC_H

#include <stddef.h>

/* malloc/calloc/realloc/strdup work-alikes; memory from them must be
 * released with acmb_zfree(), which wipes the whole block. */
void *acmb_zmalloc(size_t n);
void *acmb_zcalloc(size_t nmemb, size_t size);
void *acmb_zrealloc(void *p, size_t n);
char *acmb_zstrdup(const char *s);
void acmb_zfree(void *p);

#endif
