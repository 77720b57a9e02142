/*
 * ACM's reimport rules (ACM User Guide, "Reimport a certificate" and the
 * import prerequisites), judged locally before anything is sent: the
 * certificate ACM holds now against the one that will replace it.
 */
#ifndef ACMB_REIMPORT_H
#define ACMB_REIMPORT_H

#include <openssl/x509.h>

#include "error.h"

#define ACMB_REIMPORT_RULES 5

struct acmb_reimport_finding {
	const char *rule; /* "reimport-key-type", ... (static) */
	int ok;
	char detail[384];
};

struct acmb_reimport_report {
	struct acmb_reimport_finding findings[ACMB_REIMPORT_RULES];
	int nfindings;
	int ok; /* every finding ok */
};

/* Judges replacing `current` (what ACM holds) by `next`. Fills *rep with one
 * finding per rule. Returns ACMB_OK when all pass, ACMB_E_RULE with err naming
 * every broken rule otherwise, or another error if a certificate is unusable. */
int acmb_reimport_judge(X509 *current, X509 *next, struct acmb_reimport_report *rep, acmb_err *err);

#endif
