/*
 * Fields of an AWS ARN, arn:PARTITION:SERVICE:REGION:ACCOUNT:RESOURCE
 * (an IAM role's region is empty: arn:aws:iam::ACCOUNT:role/NAME).
 */
#ifndef ACMB_AWS_ARN_H
#define ACMB_AWS_ARN_H

#include <stddef.h>

enum acmb_arn_field {
	ACMB_ARN_PARTITION = 1,
	ACMB_ARN_SERVICE = 2,
	ACMB_ARN_REGION = 3,
	ACMB_ARN_ACCOUNT = 4,
};

/* Copies field of arn (NULL allowed) to out (len bytes, NUL-terminated).
 * Returns 1, or 0 with out "" when the field is missing, empty or longer
 * than out holds. */
int acmb_arn_field(const char *arn, enum acmb_arn_field field, char *out, size_t len);

#endif
