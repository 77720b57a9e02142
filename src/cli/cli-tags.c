#include "cli-tags.h"

#include <string.h>

#include "cli.h"

/* Prints one usage line and evaluates to -1, the parsers' failure value. */
#define USAGE_FAIL(...) (acmb_cli_usage_error(__VA_ARGS__), -1)

static int
add_tag(struct acmb_cli_tags *t, const char *key, const char *value)
{
	if (t->ntags >= ACMB_ACM_TAGS_MAX)
		return USAGE_FAIL("--tags: ACM allows at most %d tags", ACMB_ACM_TAGS_MAX);
	t->tags[t->ntags].key = key;
	t->tags[t->ntags].value = value;
	t->ntags++;
	return 0;
}

int
acmb_cli_tags_add_json(struct acmb_cli_tags *t, json_t *list, const char *what)
{
	json_t *e, *k, *v;
	size_t i;

	if (!json_is_array(list))
		return USAGE_FAIL(
		    "%s: tags must be a JSON list of {\"Key\", \"Value\"} objects", what);
	if ((t->docs == NULL && (t->docs = json_array()) == NULL) ||
	    json_array_append(t->docs, list) != 0)
		return USAGE_FAIL("%s: out of memory", what);
	json_array_foreach(list, i, e)
	{
		k = json_object_get(e, "Key");
		v = json_object_get(e, "Value");
		if (!json_is_string(k) || (v != NULL && !json_is_string(v)))
			return USAGE_FAIL("%s: tag %zu needs a string \"Key\" and an optional "
			                  "string \"Value\"",
			    what, i + 1);
		if (add_tag(t, json_string_value(k), v != NULL ? json_string_value(v) : NULL) < 0)
			return -1;
	}
	return 0;
}

/*
 * One shorthand word, "Key=k,Value=v" or "Key=k": written by hand because it
 * is the AWS CLI's own shorthand syntax, which no library parses.
 */
static int
add_shorthand(struct acmb_cli_tags *t, char *word)
{
	char *key = NULL, *value = NULL, *part, *save = NULL;

	for (part = strtok_r(word, ",", &save); part != NULL; part = strtok_r(NULL, ",", &save)) {
		if (strncmp(part, "Key=", 4) == 0 && key == NULL)
			key = part + 4;
		else if (strncmp(part, "Value=", 6) == 0 && value == NULL)
			value = part + 6;
		else
			return USAGE_FAIL("--tags: '%s' is not Key=K,Value=V (values with commas "
			                  "need the JSON form)",
			    part);
	}
	if (key == NULL)
		return USAGE_FAIL("--tags: a tag needs Key=K");
	return add_tag(t, key, value);
}

int
acmb_cli_tags_parse(struct acmb_cli_tags *t, int argc, char **argv, int *i)
{
	json_error_t jerr;
	json_t *doc;
	int n = 0, r;

	while (*i + 1 < argc && strncmp(argv[*i + 1], "--", 2) != 0) {
		(*i)++;
		n++;
		if (argv[*i][0] != '[') {
			if (add_shorthand(t, argv[*i]) < 0)
				return -1;
			continue;
		}
		if ((doc = json_loads(argv[*i], 0, &jerr)) == NULL)
			return USAGE_FAIL("--tags: bad JSON: %s", jerr.text);
		r = acmb_cli_tags_add_json(t, doc, "--tags");
		json_decref(doc);
		if (r < 0)
			return -1;
	}
	if (n == 0)
		return USAGE_FAIL("--tags needs at least one Key=K,Value=V");
	return 0;
}

void
acmb_cli_tags_clear(struct acmb_cli_tags *t)
{
	json_decref(t->docs);
	t->docs = NULL;
	t->ntags = 0;
}
