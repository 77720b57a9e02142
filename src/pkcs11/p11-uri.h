/*
 * RFC 7512 pkcs11: URIs, parsed and matched by p11-kit. The one thing done
 * by hand is taking pin-value out of the URI string before p11-kit sees it:
 * p11-kit keeps pin-value in ordinary memory, frees it without wiping and
 * prints it back in p11_kit_uri_format().
 */
#ifndef ACMB_P11_URI_H
#define ACMB_P11_URI_H

#include <p11-kit/uri.h>

#include "error.h"

/* Longest URI accepted; longer ones are refused unread. */
#define ACMB_P11_URI_MAX 4096
/* Longest PIN accepted from any source. */
#define ACMB_P11_PIN_MAX 256

struct acmb_p11_uri;

/* Returns 1 when s is a pkcs11: URI (scheme compared case-insensitively). */
int acmb_p11_uri_is(const char *s);

/* Parses text, which is modified in place: a pin-value query attribute is
 * moved into the secure heap and its bytes in text (an argv string) are
 * overwritten, so neither /proc/PID/cmdline nor p11-kit ever see it.
 * *had_pin_value (NULL allowed) is set when one was found, for the warning.
 * Refuses URIs with attributes p11-kit does not recognise (ACMB_E_USAGE).
 * Caller frees *out with acmb_p11_uri_free(). */
int acmb_p11_uri_parse(char *text, struct acmb_p11_uri **out, int *had_pin_value, acmb_err *err);

/* Frees the URI, wiping a pin-value still held. Accepts NULL. */
void acmb_p11_uri_free(struct acmb_p11_uri *uri);

/* p11-kit's parsed form, for the p11_kit_uri_match_* calls and getters.
 * Owned by uri. */
P11KitUri *acmb_p11_uri_kit(const struct acmb_p11_uri *uri);

/* The URI text as given minus any pin-value, for messages. Owned by uri. */
const char *acmb_p11_uri_text(const struct acmb_p11_uri *uri);

/* The token label (token=) and the object label (object=) uri names, into
 * token and object (NUL-terminated, truncated to fit; "" when not named). */
void acmb_p11_uri_labels(
    const struct acmb_p11_uri *uri, char *token, size_t tlen, char *object, size_t olen);

/* 1 when uri names an object id (id=). */
int acmb_p11_uri_has_id(const struct acmb_p11_uri *uri);

/* 1 when uri (NULL allowed) brings its own PIN: a pin-value not yet taken,
 * or a pin-source. */
int acmb_p11_uri_has_pin(const struct acmb_p11_uri *uri);

/* Hands over the pin-value (secure heap) and forgets it; NULL when there
 * was none. Caller frees with acmb_secstr_free(). */
char *acmb_p11_uri_take_pin(struct acmb_p11_uri *uri);

#endif
