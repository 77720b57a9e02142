/*
 * Process start-up for anything that links libacmbridge. acmb_init(),
 * acmb_shutdown() and struct acmb_init_report are public, with every
 * process-wide effect and its traps spelt out: include/acmbridge.h. What
 * follows is for the library's own layers.
 */
#ifndef ACMB_INIT_H
#define ACMB_INIT_H

#include "error.h"

/* Returns 1 when acmb_init() left the libraries their own allocators (test
 * builds with ACMB_TEST_PLAIN_ALLOCATORS), else 0: asked by the AWS layer
 * before it initialises libcurl. */
int acmb_init_plain_allocators(void);

/* Registers fn to run once in acmb_shutdown() (one slot; the AWS layer's
 * libcurl cleanup). fn must not fail or allocate secrets. */
void acmb_init_on_shutdown(void (*fn)(void));

#endif
