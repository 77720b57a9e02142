/*
 * A cancel flag: set by whoever owns the process's signals (the CLI's
 * SIGINT/SIGTERM handler, or a host program's own), read by the library at
 * the points where it waits (PIN prompt, HTTP transfer, backoff, polling).
 * The library installs no signal handler and reads no process-wide flag:
 * each context owns one of these (bridge/context.h) and lends it down.
 */
#ifndef ACMB_CANCEL_H
#define ACMB_CANCEL_H

#include <signal.h>
#include <stdatomic.h>

/* Not opaque: a signal handler writes it, and it has no invariant beyond
 * "0 or the first signal number". Zero-initialise it. */
/* An atomic int: set in a signal handler, read by every thread of the run
 * (sync's workers); lock-free, so async-signal-safe. */
struct acmb_cancel {
	atomic_int sig;
};

/* Records sig (> 0) unless a signal was recorded already. Async-signal-safe:
 * one lock-free compare-and-swap. c may be NULL. */
void acmb_cancel_request(struct acmb_cancel *c, int sig);

/* The recorded signal number, or 0. c may be NULL (never cancelled). */
int acmb_cancel_signal(const struct acmb_cancel *c);

#endif
