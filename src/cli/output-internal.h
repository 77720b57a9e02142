/*
 * What the formatters (output-format.c, output-table.c, output-yaml.c)
 * share: a growable text buffer, Python's str() of a value, the column
 * width of text as the AWS CLI's table.py counts it.
 */
#ifndef ACMB_OUTPUT_INTERNAL_H
#define ACMB_OUTPUT_INTERNAL_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include <jansson.h>

#include "error.h"

/* A growable string (NUL-terminated). On an allocation failure it stops
 * growing and sets failed; the formatters check it once at the end. */
struct acmb_obuf {
	char *p;
	size_t len, cap;
	int failed;
};

/* Appends n bytes of s. */
void acmb_obuf_put(struct acmb_obuf *b, const char *s, size_t n);

/* Appends the NUL-terminated s. */
void acmb_obuf_puts(struct acmb_obuf *b, const char *s);

/* Frees b's string and empties b. */
void acmb_obuf_free(struct acmb_obuf *b);

/* Appends str(v) as Python writes it: a string itself, True, False, None,
 * an integer, repr() of a float, and for a list or an object their repr()
 * ([1, 'a'], {'k': None}). */
void acmb_py_str(struct acmb_obuf *b, const json_t *v);

/* One UTF-8 sequence at s (n > 0 bytes left): its length, the code point
 * in *cp. jansson strings hold valid UTF-8 only. */
size_t acmb_utf8_next(const char *s, size_t n, uint32_t *cp);

/* Columns of a character for table.py: 2 for East Asian Wide, Fullwidth
 * and Ambiguous, else 1 (output-unicode.c, generated). */
int acmb_output_char_columns(uint32_t cp);

/* Python's str.isprintable() for one character (output-unicode.c). */
int acmb_output_char_printable(uint32_t cp);

/* str.upper() of one character into out (1 to 3 characters); returns how
 * many (output-unicode.c). */
int acmb_output_char_upper(uint32_t cp, uint32_t out[3]);

/* Columns of the UTF-8 text s (n bytes), as table.py's get_text_length. */
size_t acmb_output_text_columns(const char *s, size_t n);

/* Python's sorted() over an object's keys: code point order. Returns a
 * new array of n key pointers (into v, living as long as v) with their
 * lengths in *lens (also new), or -1 when out of memory. Caller frees
 * both with free(). */
int acmb_output_sorted_keys(const json_t *v, const char ***keys, size_t **lens, size_t *n);

/* The table format (output-table.c): table.py's MultiTable for result
 * under title, width columns wide, coloured as colorama writes with
 * autoreset when color is set. */
int acmb_output_table(
    FILE *f, const json_t *result, const char *title, int color, int width, acmb_err *err);

/* The yaml and yaml-stream formats (output-yaml.c): ruamel.yaml's safe
 * dumper as the AWS CLI sets it up, over libyaml's emitter. */
int acmb_output_yaml(FILE *f, const json_t *result, int stream, acmb_err *err);

#endif
