#include "aws-limit.h"

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define NAME_MAX_LEN 64
#define ACCOUNT_MAX_LEN 128
#define OVERRIDES_MAX 64
#define RATE_FLOOR_DIVISOR 16.0 /* a throttled rate goes no lower than 1/16 */
#define RECOVER_FRACTION 0.1    /* of the published rate, per answer */

struct bucket {
	char account[ACCOUNT_MAX_LEN + 1];
	char region[NAME_MAX_LEN + 1];
	char service[NAME_MAX_LEN + 1];
	char operation[NAME_MAX_LEN + 1];
	double base;   /* the published (or overridden) rate; 0: no limit */
	double rate;   /* the rate now, lowered by throttling */
	double tokens; /* at most max(1, rate) */
	double last;   /* monotonic time of the last refill */
};

struct override {
	char service[NAME_MAX_LEN + 1];
	char operation[NAME_MAX_LEN + 1];
	double rate;
};

/* Calls from several threads (sync's destinations run in parallel) share a
 * limiter: the mutex guards the buckets, never a sleep. */
struct acmb_aws_limits {
	pthread_mutex_t lock;
	struct acmb_clock *clock;
	struct bucket *b;
	size_t n, cap;
	struct override o[OVERRIDES_MAX];
	size_t no;
	unsigned long taken;
	double waited;
};

/* ACM's published request rates (Service Quotas, "ACM API rate quotas"). */
static const struct {
	const char *operation;
	double rate;
} acm_rates[] = {
    {"ImportCertificate", 1.0},
    {"ListCertificates", 1.0},
    {"DescribeCertificate", 10.0},
    {"GetCertificate", 10.0},
    {"ListTagsForCertificate", 10.0},
    {"AddTagsToCertificate", 5.0},
    {"RemoveTagsFromCertificate", 5.0},
};

double
acmb_aws_limits_published(const char *service, const char *operation)
{
	size_t i;

	if (strcmp(service, "acm") != 0)
		return 0.0;
	for (i = 0; i < sizeof(acm_rates) / sizeof(acm_rates[0]); i++)
		if (strcmp(operation, acm_rates[i].operation) == 0)
			return acm_rates[i].rate;
	return 1.0;
}

struct acmb_aws_limits *
acmb_aws_limits_new(struct acmb_clock *clock)
{
	struct acmb_aws_limits *l = calloc(1, sizeof(*l));

	if (l == NULL)
		return NULL;
	if (pthread_mutex_init(&l->lock, NULL) != 0) {
		free(l);
		return NULL;
	}
	l->clock = clock;
	return l;
}

void
acmb_aws_limits_free(struct acmb_aws_limits *l)
{
	if (l == NULL)
		return;
	pthread_mutex_destroy(&l->lock);
	free(l->b);
	free(l);
}

static int
name_ok(const char *s, size_t max)
{
	return s != NULL && s[0] != '\0' && strlen(s) <= max;
}

static int
set_rate(struct acmb_aws_limits *l, const char *service, const char *operation, double per_second,
    acmb_err *err)
{
	size_t i;

	if (!name_ok(service, NAME_MAX_LEN) || !name_ok(operation, NAME_MAX_LEN))
		return acmb_error(err, ACMB_E_USAGE,
		    "a rate limit names a service and an operation of 1 to %d bytes", NAME_MAX_LEN);
	if (!(per_second >= 0.0) || per_second > 1e6)
		return acmb_error(err, ACMB_E_USAGE,
		    "rate limit %s:%s: %g is not a rate from 0 (no limit) to 1e6 per second",
		    service, operation, per_second);
	for (i = 0; i < l->no; i++)
		if (strcmp(l->o[i].service, service) == 0 &&
		    strcmp(l->o[i].operation, operation) == 0)
			break;
	if (i == l->no) {
		if (l->no == OVERRIDES_MAX)
			return acmb_error(
			    err, ACMB_E_TOO_BIG, "more than %d rate limits set", OVERRIDES_MAX);
		snprintf(l->o[i].service, sizeof(l->o[i].service), "%s", service);
		snprintf(l->o[i].operation, sizeof(l->o[i].operation), "%s", operation);
		l->no++;
	}
	l->o[i].rate = per_second;
	return ACMB_OK;
}

int
acmb_aws_limits_set_rate(struct acmb_aws_limits *l, const char *service, const char *operation,
    double per_second, acmb_err *err)
{
	int r;

	pthread_mutex_lock(&l->lock);
	r = set_rate(l, service, operation, per_second, err);
	pthread_mutex_unlock(&l->lock);
	return r;
}

int
acmb_aws_limits_parse(struct acmb_aws_limits *l, const char *spec, acmb_err *err)
{
	char item[2 * NAME_MAX_LEN + 40], *colon, *eq, *end;
	const char *p = spec;
	size_t n;
	double rate;
	int r;

	while (p != NULL && *p != '\0') {
		n = strcspn(p, ",");
		if (n >= sizeof(item))
			return acmb_error(
			    err, ACMB_E_USAGE, "rate limit '%.*s...' is too long", 40, p);
		memcpy(item, p, n);
		item[n] = '\0';
		p = p[n] == ',' ? p + n + 1 : p + n;
		if ((colon = strchr(item, ':')) == NULL || (eq = strchr(colon, '=')) == NULL)
			return acmb_error(err, ACMB_E_USAGE,
			    "rate limit '%s' is not service:Operation=rate", item);
		*colon = '\0';
		*eq = '\0';
		errno = 0;
		rate = strtod(eq + 1, &end);
		if (errno != 0 || end == eq + 1 || *end != '\0')
			return acmb_error(err, ACMB_E_USAGE,
			    "rate limit %s:%s: '%s' is not a number", item, colon + 1, eq + 1);
		if ((r = acmb_aws_limits_set_rate(l, item, colon + 1, rate, err)) != ACMB_OK)
			return r;
	}
	return ACMB_OK;
}

static struct bucket *
find(const struct acmb_aws_limits *l, const char *account, const char *region, const char *service,
    const char *operation)
{
	size_t i;

	for (i = 0; i < l->n; i++)
		if (strcmp(l->b[i].operation, operation) == 0 &&
		    strcmp(l->b[i].region, region) == 0 && strcmp(l->b[i].service, service) == 0 &&
		    strcmp(l->b[i].account, account) == 0)
			return &l->b[i];
	return NULL;
}

static double
rate_for(const struct acmb_aws_limits *l, const char *service, const char *operation)
{
	size_t i;

	for (i = 0; i < l->no; i++)
		if (strcmp(l->o[i].service, service) == 0 &&
		    strcmp(l->o[i].operation, operation) == 0)
			return l->o[i].rate;
	return acmb_aws_limits_published(service, operation);
}

static double
capacity(const struct bucket *b)
{
	return b->rate > 1.0 ? b->rate : 1.0;
}

static int
bucket_get(struct acmb_aws_limits *l, const char *account, const char *region, const char *service,
    const char *operation, struct bucket **out, acmb_err *err)
{
	struct bucket *b, *nb;
	size_t ncap;

	*out = NULL;
	if (account == NULL || account[0] == '\0')
		account = "-";
	if (strlen(account) > ACCOUNT_MAX_LEN || !name_ok(region, NAME_MAX_LEN) ||
	    !name_ok(service, NAME_MAX_LEN) || !name_ok(operation, NAME_MAX_LEN))
		return acmb_error(err, ACMB_E_INTERNAL, "rate limit: a name is empty or too long");
	if ((b = find(l, account, region, service, operation)) != NULL) {
		*out = b;
		return ACMB_OK;
	}
	if (l->n == ACMB_AWS_LIMIT_BUCKETS_MAX)
		return acmb_error(err, ACMB_E_TOO_BIG,
		    "rate limit: more than %d account, region and operation combinations in one "
		    "run",
		    ACMB_AWS_LIMIT_BUCKETS_MAX);
	if (l->n == l->cap) {
		ncap = l->cap == 0 ? 16 : l->cap * 2;
		if ((nb = realloc(l->b, ncap * sizeof(*nb))) == NULL)
			return acmb_error(err, ACMB_E_NOMEM, "out of memory");
		l->b = nb;
		l->cap = ncap;
	}
	b = &l->b[l->n++];
	memset(b, 0, sizeof(*b));
	snprintf(b->account, sizeof(b->account), "%s", account);
	snprintf(b->region, sizeof(b->region), "%s", region);
	snprintf(b->service, sizeof(b->service), "%s", service);
	snprintf(b->operation, sizeof(b->operation), "%s", operation);
	b->base = b->rate = rate_for(l, service, operation);
	b->tokens = capacity(b);
	b->last = acmb_clock_mono(l->clock);
	*out = b;
	return ACMB_OK;
}

static void
refill(const struct acmb_aws_limits *l, struct bucket *b)
{
	double now = acmb_clock_mono(l->clock);

	if (now > b->last) {
		b->tokens += (now - b->last) * b->rate;
		if (b->tokens > capacity(b))
			b->tokens = capacity(b);
	}
	b->last = now;
}

/*
 * A token is reserved under the lock (the bucket may go below zero: the
 * callers already waiting hold the tokens that are still to come) and the
 * wait for it is slept outside, so that threads sharing a bucket take turns
 * at its rate instead of all waking for the same token.
 */
int
acmb_aws_limits_take(struct acmb_aws_limits *l, const char *account, const char *region,
    const char *service, const char *operation, const struct acmb_cancel *cancel, double *waited,
    acmb_err *err)
{
	struct bucket *b;
	double wait = 0.0;
	int r;

	if (waited != NULL)
		*waited = 0.0;
	pthread_mutex_lock(&l->lock);
	if ((r = bucket_get(l, account, region, service, operation, &b, err)) != ACMB_OK) {
		pthread_mutex_unlock(&l->lock);
		return r;
	}
	l->taken++;
	if (b->rate > 0.0) {
		refill(l, b);
		b->tokens -= 1.0;
		if (b->tokens < 0.0) {
			wait = -b->tokens / b->rate;
			l->waited += wait;
		}
	}
	pthread_mutex_unlock(&l->lock);
	if (wait <= 0.0)
		return ACMB_OK;
	if (acmb_clock_sleep(l->clock, wait, cancel) != ACMB_OK) {
		/* The reserved token goes back: this call is not made. */
		pthread_mutex_lock(&l->lock);
		if (bucket_get(l, account, region, service, operation, &b, NULL) == ACMB_OK)
			b->tokens += 1.0;
		pthread_mutex_unlock(&l->lock);
		return acmb_error(err, ACMB_E_INTERRUPTED,
		    "%s: interrupted by signal %d while waiting for the rate limit", operation,
		    acmb_cancel_signal(cancel));
	}
	if (waited != NULL)
		*waited = wait;
	return ACMB_OK;
}

void
acmb_aws_limits_feedback(struct acmb_aws_limits *l, const char *account, const char *region,
    const char *service, const char *operation, int throttled)
{
	struct bucket *b;
	double floor;

	if (account == NULL || account[0] == '\0')
		account = "-";
	if (region == NULL || service == NULL || operation == NULL)
		return;
	pthread_mutex_lock(&l->lock);
	if ((b = find(l, account, region, service, operation)) == NULL || b->base <= 0.0)
		goto out;
	refill(l, b);
	if (throttled) {
		floor = b->base / RATE_FLOOR_DIVISOR;
		b->rate = b->rate / 2.0 < floor ? floor : b->rate / 2.0;
		if (b->tokens > 0.0)
			b->tokens = 0.0;
		goto out;
	}
	if (b->rate < b->base) {
		b->rate += b->base * RECOVER_FRACTION;
		if (b->rate > b->base)
			b->rate = b->base;
	}
out:
	pthread_mutex_unlock(&l->lock);
}

double
acmb_aws_limits_rate(const struct acmb_aws_limits *l, const char *account, const char *region,
    const char *service, const char *operation)
{
	struct acmb_aws_limits *m = (struct acmb_aws_limits *)l; /* the lock only */
	const struct bucket *b;
	double rate = -1.0;

	if (account == NULL || account[0] == '\0')
		account = "-";
	if (region == NULL || service == NULL || operation == NULL)
		return -1.0;
	pthread_mutex_lock(&m->lock);
	if ((b = find(l, account, region, service, operation)) != NULL)
		rate = b->rate;
	pthread_mutex_unlock(&m->lock);
	return rate;
}

void
acmb_aws_limits_stats(const struct acmb_aws_limits *l, unsigned long *taken, double *waited)
{
	struct acmb_aws_limits *m = (struct acmb_aws_limits *)l; /* the lock only */

	pthread_mutex_lock(&m->lock);
	*taken = l->taken;
	*waited = l->waited;
	pthread_mutex_unlock(&m->lock);
}
