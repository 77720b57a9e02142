/*
 * --validity bounds, judged before anything is sent: an end in the past, an
 * end X.509 cannot carry, an end after the CA's own NotAfter. Private CA
 * refuses all three (ValidationException), and refusing here costs nothing.
 */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "issue.h"

/* The latest time an X.509 GeneralizedTime can carry (RFC 5280). */
#define X509_LATEST ((long long)253402300799) /* 9999-12-31T23:59:59Z */

/* Counts beyond which an end is past X509_LATEST from any time after 1970:
 * refused before anything is multiplied or added. */
#define DAYS_MAX 3000000LL
#define MONTHS_MAX 100000LL
#define YEARS_MAX 8100LL

static void
fmt_time(long long t, char *buf, size_t len)
{
	time_t tt = (time_t)t;
	struct tm tm;

	if (gmtime_r(&tt, &tm) == NULL || strftime(buf, len, "%Y-%m-%dT%H:%M:%SZ", &tm) == 0)
		snprintf(buf, len, "@%lld", t);
}

/* now plus months calendar months (the day clamped as timegm normalises). */
static long long
add_months(time_t now, long long months)
{
	struct tm tm;

	if (gmtime_r(&now, &tm) == NULL)
		return -1;
	tm.tm_year += (int)(months / 12);
	tm.tm_mon += (int)(months % 12);
	return (long long)timegm(&tm);
}

/* YYYYMMDDHHMMSS as a UTC time, or -1 when it is no calendar time. */
static long long
end_date(long long v)
{
	struct tm tm, check;
	time_t t;

	memset(&tm, 0, sizeof(tm));
	tm.tm_sec = (int)(v % 100);
	tm.tm_min = (int)(v / 100 % 100);
	tm.tm_hour = (int)(v / 10000 % 100);
	tm.tm_mday = (int)(v / 1000000 % 100);
	tm.tm_mon = (int)(v / 100000000 % 100) - 1;
	tm.tm_year = (int)(v / 10000000000LL) - 1900;
	check = tm;
	t = timegm(&tm);
	if (tm.tm_sec != check.tm_sec || tm.tm_min != check.tm_min || tm.tm_hour != check.tm_hour ||
	    tm.tm_mday != check.tm_mday || tm.tm_mon != check.tm_mon || tm.tm_year != check.tm_year)
		return -1;
	return (long long)t;
}

int
acmb_issue_validity_end(
    const char *type, long long value, time_t now, long long *end, acmb_err *err)
{
	char when[40];

	*end = 0;
	if (type == NULL || value < 1)
		return acmb_error(err, ACMB_E_USAGE, "--validity: no period given");
	if ((strcmp(type, "DAYS") == 0 && value > DAYS_MAX) ||
	    (strcmp(type, "MONTHS") == 0 && value > MONTHS_MAX) ||
	    (strcmp(type, "YEARS") == 0 && value > YEARS_MAX))
		goto too_late;
	if (strcmp(type, "DAYS") == 0)
		*end = (long long)now + value * 86400;
	else if (strcmp(type, "MONTHS") == 0)
		*end = add_months(now, value);
	else if (strcmp(type, "YEARS") == 0)
		*end = add_months(now, value * 12);
	else if (strcmp(type, "END_DATE") == 0) {
		if ((*end = end_date(value)) < 0)
			return acmb_error(err, ACMB_E_USAGE,
			    "--validity %lld is not a date and time (YYYYMMDDHHMMSS)", value);
	} else if (strcmp(type, "ABSOLUTE") == 0)
		*end = value;
	else
		return acmb_error(err, ACMB_E_USAGE, "--validity: unknown type %s", type);
	if (*end > X509_LATEST)
		goto too_late;
	if (*end <= (long long)now) {
		fmt_time(*end, when, sizeof(when));
		return acmb_error(err, ACMB_E_USAGE,
		    "--validity ends in the past (%s); give a period (90d, 12m, 1y) or a "
		    "later end date",
		    when);
	}
	return ACMB_OK;
too_late:
	*end = 0;
	return acmb_error(err, ACMB_E_USAGE,
	    "--validity %lld %s ends after 9999-12-31T23:59:59Z, the latest end an X.509 "
	    "certificate (and so Private CA) can carry",
	    value, type);
}

int
acmb_issue_validity_check_ca(
    long long end, long long ca_not_after, const char *ca_arn, acmb_err *err)
{
	char want[40], ca[40];

	if (ca_not_after <= 0 || end <= ca_not_after)
		return ACMB_OK;
	fmt_time(end, want, sizeof(want));
	fmt_time(ca_not_after, ca, sizeof(ca));
	return acmb_error(err, ACMB_E_USAGE,
	    "--validity ends %s, after the CA's own NotAfter %s (%s); Private CA issues "
	    "no certificate that outlives its CA: give a shorter validity (nothing was "
	    "issued)",
	    want, ca, ca_arn != NULL ? ca_arn : "the CA");
}
