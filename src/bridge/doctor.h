/*
 * acmbridge doctor: can this host run acmbridge, and if not, what to change.
 * Each check gives PASS, WARN or FAIL with what it found and, unless it
 * passed, the fix. No key is loaded and nothing is written anywhere: the AWS
 * checks make one signed ListCertificates (MaxItems 1), the token checks load
 * modules and list tokens without logging in.
 */
#ifndef ACMB_DOCTOR_H
#define ACMB_DOCTOR_H

#include <stddef.h>

#include <jansson.h>

#include "acm/aws-config.h"
#include "error.h"

enum acmb_doctor_status {
	ACMB_DOCTOR_PASS = 0,
	ACMB_DOCTOR_WARN = 1, /* works, but not as it should, or could not be checked */
	ACMB_DOCTOR_FAIL = 2, /* acmbridge will fail, or key material is at risk */
};

#define ACMB_DOCTOR_CHECK_MAX 32
#define ACMB_DOCTOR_DETAIL_MAX 768
#define ACMB_DOCTOR_FIX_MAX 384
/* The fixed checks and one line per PKCS#11 module (at most 64). */
#define ACMB_DOCTOR_RESULTS_MAX 80

struct acmb_doctor_result {
	char check[ACMB_DOCTOR_CHECK_MAX]; /* stable name: "memlock", "clock", "pkcs11" */
	enum acmb_doctor_status status;
	char detail[ACMB_DOCTOR_DETAIL_MAX]; /* what was found; never a secret */
	char fix[ACMB_DOCTOR_FIX_MAX];       /* what to do; "" when it passed */
};

struct acmb_doctor_report {
	int ok;       /* no check failed (warnings allowed) */
	int overflow; /* more results than ACMB_DOCTOR_RESULTS_MAX (a bug) */
	size_t n;
	struct acmb_doctor_result results[ACMB_DOCTOR_RESULTS_MAX];
};

struct acmb_doctor_options {
	const struct acmb_aws_options *aws; /* --region, --profile, ...; NULL: none given */
	const char *module;                 /* --module; NULL: p11-kit's registered modules */
	const char *manifest;               /* --manifest; NULL: not checked */
	acmb_aws_debug_fn debug;            /* --debug sink for the AWS call, or NULL */
	void *debug_ctx;
};

/* Runs every check in order and fills *rep (overwritten whole). Returns
 * ACMB_OK whatever the checks found (see rep->ok); an error only when the
 * report itself cannot be made. The process must have run acmb_init():
 * the memory checks look at what it did. */
int acmb_doctor_run(
    const struct acmb_doctor_options *opts, struct acmb_doctor_report *rep, acmb_err *err);

/* "PASS", "WARN" or "FAIL". */
const char *acmb_doctor_status_name(enum acmb_doctor_status s);

/* The report as a new JSON object {"ok", "checks": [{"check", "status",
 * "detail", "fix"}]}, or NULL when out of memory. Caller json_decref()s. */
json_t *acmb_doctor_report_json(const struct acmb_doctor_report *rep);

#endif
