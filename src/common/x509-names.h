/*
 * The domain names of a certificate as ACM lists them (DomainName and
 * SubjectAlternativeNames): the subject CN, then the DNS names of the Subject
 * Alternative Name extension, each once (case-insensitively).
 */
#ifndef ACMB_X509_NAMES_H
#define ACMB_X509_NAMES_H

#include <openssl/safestack.h>
#include <openssl/x509.h>

/* Returns a new list (possibly empty) of the names, or NULL when out of
 * memory. Caller frees with acmb_x509_names_free(). */
STACK_OF(OPENSSL_STRING) *acmb_x509_domain_names(X509 *x);

/* Frees the list and its strings. Accepts NULL. */
void acmb_x509_names_free(STACK_OF(OPENSSL_STRING) *names);

#endif
