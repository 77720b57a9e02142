#include "cancel.h"

void
acmb_cancel_request(struct acmb_cancel *c, int sig)
{
	int none = 0;

	if (c != NULL && sig > 0)
		(void)atomic_compare_exchange_strong(&c->sig, &none, sig);
}

int
acmb_cancel_signal(const struct acmb_cancel *c)
{
	return c != NULL ? atomic_load(&c->sig) : 0;
}
