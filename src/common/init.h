/*
 * Process start-up for anything that links libacmbridge: must run before any
 * other OpenSSL, libcurl or jansson call, because allocator hooks can only be
 * installed before a library's first allocation.
 */
#ifndef ACMB_INIT_H
#define ACMB_INIT_H

#include "error.h"

struct acmb_init_report {
	int core_dumps_off;     /* RLIMIT_CORE set to 0 */
	int not_dumpable;       /* PR_SET_DUMPABLE 0 */
	int allocators_wiped;   /* the wiping allocator: OpenSSL, jansson, curl once loaded */
	int secure_heap_locked; /* mlock of the secure heap succeeded */
};

/* Hardens the process (no core dumps, not dumpable), installs the wiping
 * allocator in OpenSSL and jansson, and starts the secure heap. libcurl is
 * loaded later, on first use, and gets the same allocator then (aws-http.c).
 * Returns ACMB_OK or an error; fills *rep (NULL allowed) for --debug. */
int acmb_init(struct acmb_init_report *rep, acmb_err *err);

/* Runs the registered shutdown hook (libcurl's global cleanup, when it was
 * loaded) and wipes the registers and dead stack. */
void acmb_shutdown(void);

/* Returns 1 when acmb_init() left the libraries their own allocators (test
 * builds with ACMB_TEST_PLAIN_ALLOCATORS), else 0: asked by the AWS layer
 * before it initialises libcurl. */
int acmb_init_plain_allocators(void);

/* Registers fn to run once in acmb_shutdown() (one slot; the AWS layer's
 * libcurl cleanup). fn must not fail or allocate secrets. */
void acmb_init_on_shutdown(void (*fn)(void));

/* Returns the number of the first SIGINT or SIGTERM received since
 * acmb_init() (the handlers are installed there), or 0. The handlers only
 * record the signal: callers poll this, unwind through their normal cleanup
 * (which wipes every secret) and exit with 128 + the returned number.
 * The handlers are installed without SA_RESTART, so a blocking read or poll
 * returns EINTR and the caller gets to poll. */
int acmb_interrupted(void);

#endif
