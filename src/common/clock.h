/*
 * The time a run sees: the wall clock (validity checks, audit times) and a
 * monotonic clock with a sleep that a cancel flag interrupts (rate limits,
 * backoff, polling). A test clock (acmb_clock_new_test()) starts at a chosen
 * wall time and moves only when it is slept on or advanced, so that waits
 * take no real time and every run sees the same times (curl's
 * CURL_FORCETIME, made an object instead of a global).
 */
#ifndef ACMB_CLOCK_H
#define ACMB_CLOCK_H

#include <time.h>

#include "cancel.h"
#include "error.h"

struct acmb_clock;

/* Returns the system clock, or NULL when out of memory. Free with
 * acmb_clock_free(). */
struct acmb_clock *acmb_clock_new_system(void);

/* Returns a test clock whose wall time starts at wall_start and whose
 * monotonic time starts at 0; only acmb_clock_sleep() and
 * acmb_clock_advance() move it, by exactly what they are given, at once.
 * NULL when out of memory. */
struct acmb_clock *acmb_clock_new_test(time_t wall_start);

/* Test builds (ACMB_TEST_HOOKS) only: a test clock when the environment
 * variable ACMB_TEST_CLOCK holds a wall time in epoch seconds, else the
 * system clock; other builds always return the system clock. NULL when out
 * of memory. */
struct acmb_clock *acmb_clock_new_default(void);

/* Frees. Accepts NULL. */
void acmb_clock_free(struct acmb_clock *c);

/* 1 for a test clock. */
int acmb_clock_is_test(const struct acmb_clock *c);

/* Wall time, seconds since the epoch. */
time_t acmb_clock_wall(const struct acmb_clock *c);

/* Monotonic time in seconds, from an arbitrary start. */
double acmb_clock_mono(const struct acmb_clock *c);

/* Sleeps seconds (<= 0: not at all) unless cancel (NULL allowed) is or
 * becomes set: the system clock looks at it at least every 100 ms. Returns
 * ACMB_OK, or ACMB_E_INTERRUPTED (with no message) when cancelled. */
int acmb_clock_sleep(struct acmb_clock *c, double seconds, const struct acmb_cancel *cancel);

/* Moves a test clock forward by seconds; no-op for the system clock. */
void acmb_clock_advance(struct acmb_clock *c, double seconds);

#endif
