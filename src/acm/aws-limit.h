/*
 * Client-side rate limits for AWS calls: one token bucket per account,
 * region, service and operation, filled at the service's published rate
 * (ACM: ImportCertificate and ListCertificates 1/s, DescribeCertificate,
 * GetCertificate and ListTagsForCertificate 10/s, AddTagsToCertificate and
 * RemoveTagsFromCertificate 5/s), so that a run of many certificates stays
 * under the quota instead of finding it with ThrottlingException. A
 * throttled answer halves the bucket's rate and empties it; each answer that
 * is not throttled gives back a tenth of the published rate (AIMD).
 *
 * The limiter belongs to a context (bridge/context.h), which lends it to the
 * configurations it hands out (struct acmb_aws_hooks); the HTTP layer takes
 * a token before every attempt (aws-http.c).
 */
#ifndef ACMB_AWS_LIMIT_H
#define ACMB_AWS_LIMIT_H

#include <stddef.h>

#include "cancel.h"
#include "clock.h"
#include "error.h"

/* Most buckets one limiter holds (accounts x regions x operations). */
#define ACMB_AWS_LIMIT_BUCKETS_MAX 4096

struct acmb_aws_limits;

/* What a context lends every call made with a configuration it handed out.
 * All borrowed from the context; any may be NULL. */
struct acmb_aws_hooks {
	struct acmb_aws_limits *limits;   /* NULL: no client-side rate limit */
	const char *account;              /* the buckets' account key */
	struct acmb_clock *clock;         /* waits and backoff; NULL: the system's */
	const struct acmb_cancel *cancel; /* stops waits and transfers; NULL: never */
};

/* Returns a limiter that waits on clock (borrowed; must outlive it), or NULL
 * when out of memory. Free with acmb_aws_limits_free(). */
struct acmb_aws_limits *acmb_aws_limits_new(struct acmb_clock *clock);

/* Frees. Accepts NULL. */
void acmb_aws_limits_free(struct acmb_aws_limits *l);

/* The published rate of service's (its SigV4 name, "acm") operation in calls
 * per second: ACM's table above, 1/s for an ACM operation not in it (the
 * lowest ACM publishes), 0 (no limit) for other services. */
double acmb_aws_limits_published(const char *service, const char *operation);

/* Replaces the published rate of service's operation for every account and
 * region, for buckets made from now on: per_second > 0, or 0 for no limit
 * (tests, or an account with raised quotas). ACMB_E_USAGE for a negative
 * rate or names over 64 bytes; ACMB_E_NOMEM. */
int acmb_aws_limits_set_rate(struct acmb_aws_limits *l, const char *service, const char *operation,
    double per_second, acmb_err *err);

/* Parses "service:Operation=rate[,...]" (e.g. "acm:ImportCertificate=0.5")
 * and applies each with acmb_aws_limits_set_rate(). */
int acmb_aws_limits_parse(struct acmb_aws_limits *l, const char *spec, acmb_err *err);

/* Takes one token from the bucket of (account, region, service, operation),
 * made on first use with a full bucket, sleeping on the clock until there
 * is one. *waited (NULL allowed) is the seconds slept. Returns ACMB_OK,
 * ACMB_E_INTERRUPTED when cancel is set before or during the wait, or
 * ACMB_E_NOMEM / ACMB_E_TOO_BIG (more than ACMB_AWS_LIMIT_BUCKETS_MAX
 * buckets) with a message. Strings are copied. */
int acmb_aws_limits_take(struct acmb_aws_limits *l, const char *account, const char *region,
    const char *service, const char *operation, const struct acmb_cancel *cancel, double *waited,
    acmb_err *err);

/* Tells the bucket how its call was answered: throttled (a throttling error
 * code) halves its rate, down to 1/16 of the published one, and empties it;
 * anything else raises a lowered rate by 1/10 of the published one. No-op
 * for a bucket never taken from. */
void acmb_aws_limits_feedback(struct acmb_aws_limits *l, const char *account, const char *region,
    const char *service, const char *operation, int throttled);

/* The bucket's current rate in calls per second (0: no limit), or -1 for a
 * bucket never taken from. For --debug and the tests. */
double acmb_aws_limits_rate(const struct acmb_aws_limits *l, const char *account,
    const char *region, const char *service, const char *operation);

/* Tokens taken and seconds waited over all buckets. */
void acmb_aws_limits_stats(const struct acmb_aws_limits *l, unsigned long *taken, double *waited);

#endif
