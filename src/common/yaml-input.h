/*
 * --cli-input-yaml: a YAML document (the AWS CLI's --generate-cli-skeleton
 * yaml-input) read into the JSON value --cli-input-json would have given,
 * so that both take the same path afterwards.
 *
 * The document may hold a private key, and libyaml copies every scalar
 * into buffers of its own that it frees without wiping (it has no allocator
 * hooks). It is therefore parsed in a short-lived child process: the
 * child's heap, with libyaml's copies, ends with the child, and only the
 * JSON text comes back, over a pipe, into the secure heap.
 */
#ifndef ACMB_YAML_INPUT_H
#define ACMB_YAML_INPUT_H

#include <stddef.h>

#include <jansson.h>

#include "error.h"

/* Converts the YAML text (len bytes, borrowed) to a JSON value in *out:
 * mappings become objects (keys are strings), sequences arrays, a scalar
 * tagged !!binary its base64 text with blanks removed, a plain scalar that
 * YAML reads as null, a boolean or a number that value, every other scalar
 * a string. Anchors and aliases, several documents and non-string keys are
 * refused. what names the option in messages. Returns ACMB_OK, or
 * ACMB_E_PARSE / ACMB_E_TOO_BIG with err naming the line and column, or
 * ACMB_E_INTERNAL when the child could not run. The caller releases *out
 * with json_decref() (jansson's memory is wiped on free, see init.c). */
int acmb_yaml_input_to_json(
    const char *text, size_t len, const char *what, json_t **out, acmb_err *err);

/* Internal, for the fuzzer: the child's half, in this process. Converts
 * text and writes {"ok": VALUE} or {"error": MESSAGE} as JSON to fd.
 * Returns 0, or 2 when writing failed. */
int acmb_yaml_input_convert(const char *text, size_t len, int fd);

#endif
