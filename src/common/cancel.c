#include "cancel.h"

void
acmb_cancel_request(struct acmb_cancel *c, int sig)
{
	if (c != NULL && c->sig == 0 && sig > 0)
		c->sig = sig;
}

int
acmb_cancel_signal(const struct acmb_cancel *c)
{
	return c != NULL ? (int)c->sig : 0;
}
