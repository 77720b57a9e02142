#include "clock.h"

#include <errno.h>
#include <pthread.h>
#include <stdlib.h>

/* Longest a system sleep goes without looking at the cancel flag: a signal
 * that lands just before nanosleep() would not shorten it. */
#define SLEEP_SLICE 0.1

/* A test clock's time is shared by the threads of a run (sync's parallel
 * destinations); one lock for every test clock is enough. */
static pthread_mutex_t test_lock = PTHREAD_MUTEX_INITIALIZER;

struct acmb_clock {
	int test;
	time_t wall_start; /* test clock */
	double elapsed;    /* test clock: seconds slept or advanced */
};

struct acmb_clock *
acmb_clock_new_system(void)
{
	return calloc(1, sizeof(struct acmb_clock));
}

struct acmb_clock *
acmb_clock_new_test(time_t wall_start)
{
	struct acmb_clock *c = calloc(1, sizeof(*c));

	if (c != NULL) {
		c->test = 1;
		c->wall_start = wall_start;
	}
	return c;
}

struct acmb_clock *
acmb_clock_new_default(void)
{
#ifdef ACMB_TEST_HOOKS
	const char *v = getenv("ACMB_TEST_CLOCK");
	char *end;
	long long t;

	if (v != NULL && v[0] != '\0') {
		errno = 0;
		t = strtoll(v, &end, 10);
		if (errno == 0 && *end == '\0' && t >= 0)
			return acmb_clock_new_test((time_t)t);
	}
#endif
	return acmb_clock_new_system();
}

void
acmb_clock_free(struct acmb_clock *c)
{
	free(c);
}

int
acmb_clock_is_test(const struct acmb_clock *c)
{
	return c->test;
}

time_t
acmb_clock_wall(const struct acmb_clock *c)
{
	time_t t;

	if (!c->test)
		return time(NULL);
	pthread_mutex_lock(&test_lock);
	t = c->wall_start + (time_t)c->elapsed;
	pthread_mutex_unlock(&test_lock);
	return t;
}

double
acmb_clock_mono(const struct acmb_clock *c)
{
	struct timespec ts;
	double e;

	if (c->test) {
		pthread_mutex_lock(&test_lock);
		e = c->elapsed;
		pthread_mutex_unlock(&test_lock);
		return e;
	}
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

void
acmb_clock_advance(struct acmb_clock *c, double seconds)
{
	if (c->test && seconds > 0) {
		pthread_mutex_lock(&test_lock);
		c->elapsed += seconds;
		pthread_mutex_unlock(&test_lock);
	}
}

int
acmb_clock_sleep(struct acmb_clock *c, double seconds, const struct acmb_cancel *cancel)
{
	struct timespec ts;
	double end, left, slice;

	if (acmb_cancel_signal(cancel))
		return ACMB_E_INTERRUPTED;
	if (seconds <= 0)
		return ACMB_OK;
	if (c->test) {
		acmb_clock_advance(c, seconds);
		return ACMB_OK;
	}
	end = acmb_clock_mono(c) + seconds;
	while ((left = end - acmb_clock_mono(c)) > 0) {
		if (acmb_cancel_signal(cancel))
			return ACMB_E_INTERRUPTED;
		slice = left < SLEEP_SLICE ? left : SLEEP_SLICE;
		ts.tv_sec = (time_t)slice;
		ts.tv_nsec = (long)((slice - (double)ts.tv_sec) * 1e9);
		/* EINTR: a handler ran; the loop looks at the flag again. */
		(void)nanosleep(&ts, NULL);
	}
	return acmb_cancel_signal(cancel) ? ACMB_E_INTERRUPTED : ACMB_OK;
}
