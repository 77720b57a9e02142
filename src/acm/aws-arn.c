#include "aws-arn.h"

#include <string.h>

int
acmb_arn_field(const char *arn, enum acmb_arn_field field, char *out, size_t len)
{
	const char *p = arn;
	size_t n;
	int i;

	if (len == 0)
		return 0;
	out[0] = '\0';
	for (i = 0; p != NULL && i < (int)field; i++)
		if ((p = strchr(p, ':')) != NULL)
			p++;
	if (p == NULL || (n = strcspn(p, ":")) == 0 || n >= len)
		return 0;
	memcpy(out, p, n);
	out[n] = '\0';
	return 1;
}
