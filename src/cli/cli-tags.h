/*
 * --tags as the AWS CLI takes it: shorthand "Key=k,Value=v" words or JSON
 * lists [{"Key": "k", "Value": "v"}], for every command that tags (import,
 * issue) and for the Tags of --cli-input-json.
 */
#ifndef ACMB_CLI_TAGS_H
#define ACMB_CLI_TAGS_H

#include <stddef.h>

#include <jansson.h>

#include "acm/acm-api.h"

struct acmb_cli_tags {
	struct acmb_acm_tag tags[ACMB_ACM_TAGS_MAX]; /* point into argv or docs */
	size_t ntags;
	json_t *docs; /* owns the JSON lists' strings */
};

/* Consumes the words after argv[*i] ("--tags") up to the next option, moving
 * *i to the last one. Shorthand words are split in place (argv is ours).
 * Returns 0, or -1 after printing one usage line. */
int acmb_cli_tags_parse(struct acmb_cli_tags *t, int argc, char **argv, int *i);

/* Adds the tags of a JSON list; the list is kept alive by t. what names the
 * source in messages. Returns 0, or -1 after printing one usage line. */
int acmb_cli_tags_add_json(struct acmb_cli_tags *t, json_t *list, const char *what);

/* Frees what t owns. */
void acmb_cli_tags_clear(struct acmb_cli_tags *t);

#endif
