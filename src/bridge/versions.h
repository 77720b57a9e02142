/*
 * Which acmbridge and which libraries this process runs with, for
 * `acmbridge --version` and `acmbridge doctor`: what an operator pastes
 * into a bug report.
 */
#ifndef ACMB_VERSIONS_H
#define ACMB_VERSIONS_H

#include "error.h"

#define ACMB_VERSION_TEXT_MAX 256

struct acmb_versions {
	char acmbridge[32];
	char openssl[ACMB_VERSION_TEXT_MAX];        /* run time: "3.0.19" */
	char openssl_build[ACMB_VERSION_TEXT_MAX];  /* the headers it was built with */
	char libcurl[64];                           /* run time, or "" when it cannot be loaded */
	char libcurl_why[ACMB_ERRMSG_MAX];          /* why not, when libcurl is "" */
	char p11kit[32];                            /* build time: p11-kit has no version call */
	char p11kit_library[ACMB_VERSION_TEXT_MAX]; /* the file p11-kit runs from, or "" */
	char jansson[32];                           /* run time */
};

/* Fills *v. Loads libcurl (as the first AWS call would) to ask its
 * version; never fails: what cannot be found is left "" with a reason. */
void acmb_versions_get(struct acmb_versions *v);

#endif
