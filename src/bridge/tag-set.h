/*
 * The tags an import or issue asks for, as the AWS CLI takes them:
 * shorthand words "Key=k,Value=v" or JSON lists [{"Key": "k", "Value": "v"}]
 * (--tags, and Tags of --cli-input-json). ACM's own rules on tags (length,
 * the reserved aws: prefix, duplicate keys) are acmb_acm_tags_check()'s.
 */
#ifndef ACMB_TAG_SET_H
#define ACMB_TAG_SET_H

#include <stddef.h>

#include <jansson.h>

#include "acm/acm-api.h"
#include "error.h"

struct acmb_tag_set {
	struct acmb_acm_tag tags[ACMB_ACM_TAGS_MAX]; /* point into shorthand words or docs */
	size_t ntags;
	json_t *docs; /* holds the JSON lists whose strings tags point to */
};

/* Adds the tag of one shorthand word, "Key=k,Value=v" or "Key=k". The word
 * is split in place and must outlive t (an argv string). what names the
 * option in messages. Returns ACMB_OK or ACMB_E_USAGE. */
int acmb_tag_set_add_shorthand(struct acmb_tag_set *t, char *word, const char *what, acmb_err *err);

/* Adds the tags of a JSON list of {"Key", "Value"} objects; t keeps a
 * reference to list. Returns ACMB_OK, ACMB_E_USAGE or ACMB_E_NOMEM. */
int acmb_tag_set_add_json(struct acmb_tag_set *t, json_t *list, const char *what, acmb_err *err);

/* Adds the tags of one --tags word: a JSON list when it starts with '[',
 * else shorthand (split in place). */
int acmb_tag_set_add_word(struct acmb_tag_set *t, char *word, const char *what, acmb_err *err);

/* Frees what t holds and empties it. */
void acmb_tag_set_clear(struct acmb_tag_set *t);

#endif
