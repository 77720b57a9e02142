/*
 * Text that goes into JSON output but comes from outside: paths, token
 * labels, certificate subjects, messages cut at a fixed length. JSON holds
 * only Unicode and jansson refuses a string that is not valid UTF-8 (it
 * returns NULL, which callers took for "out of memory"), so bytes that are
 * not UTF-8 are written as the four characters \xHH (docs/rules.md).
 */
#ifndef ACMB_JSON_TEXT_H
#define ACMB_JSON_TEXT_H

#include <jansson.h>

/* Returns a new JSON string of s: s itself when it is valid UTF-8, else
 * with each byte that is not part of a valid sequence written as "\xHH"
 * (upper-case hex). NULL only when out of memory or s is NULL. Caller owns
 * the reference (json_decref()). */
json_t *acmb_json_text(const char *s);

#endif
