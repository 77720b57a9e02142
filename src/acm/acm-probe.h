/*
 * The cheapest signed ACM read, for `acmbridge doctor`: one
 * ListCertificates with MaxItems 1. What came back (or did not) says
 * whether the endpoint answers, over what, how far its clock is from ours,
 * whether the credentials are accepted and whether the caller may read ACM.
 */
#ifndef ACMB_ACM_PROBE_H
#define ACMB_ACM_PROBE_H

#include <stddef.h>
#include <time.h>

#include "aws-config.h"
#include "aws-http.h"
#include "error.h"

#define ACMB_ACM_ACCOUNT_MAX 16 /* twelve digits and a NUL, with room */

struct acmb_acm_probe {
	struct acmb_aws_call_info info;     /* status, error code, Date, attempts */
	char account[ACMB_ACM_ACCOUNT_MAX]; /* from a listed certificate's ARN, or "" */
	size_t listed;                      /* certificates on the page (0 or 1) */
};

/* Sends ListCertificates (MaxItems 1, every key type) with cfg and fills
 * *out whatever happens. Returns ACMB_OK when ACM answered the list, else
 * the error of acmb_aws_call() (ACMB_E_AWS with out->info.error_code,
 * ACMB_E_NETWORK, ACMB_E_TLS) with err saying why. */
int acmb_acm_probe_list(
    const struct acmb_aws_config *cfg, struct acmb_acm_probe *out, acmb_err *err);

#endif
