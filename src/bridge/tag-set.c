#include "tag-set.h"

#include <string.h>

static int
add_tag(struct acmb_tag_set *t, const char *key, const char *value, const char *what, acmb_err *err)
{
	if (t->ntags >= ACMB_ACM_TAGS_MAX)
		return acmb_error(
		    err, ACMB_E_USAGE, "%s: ACM allows at most %d tags", what, ACMB_ACM_TAGS_MAX);
	t->tags[t->ntags].key = key;
	t->tags[t->ntags].value = value;
	t->ntags++;
	return ACMB_OK;
}

int
acmb_tag_set_add_json(struct acmb_tag_set *t, json_t *list, const char *what, acmb_err *err)
{
	json_t *e, *k, *v;
	size_t i;
	int r;

	if (!json_is_array(list))
		return acmb_error(err, ACMB_E_USAGE,
		    "%s: tags must be a JSON list of {\"Key\", \"Value\"} objects", what);
	if ((t->docs == NULL && (t->docs = json_array()) == NULL) ||
	    json_array_append(t->docs, list) != 0)
		return acmb_error(err, ACMB_E_NOMEM, "%s: out of memory", what);
	json_array_foreach(list, i, e)
	{
		k = json_object_get(e, "Key");
		v = json_object_get(e, "Value");
		if (!json_is_string(k) || (v != NULL && !json_is_string(v)))
			return acmb_error(err, ACMB_E_USAGE,
			    "%s: tag %zu needs a string \"Key\" and an optional string \"Value\"",
			    what, i + 1);
		if ((r = add_tag(t, json_string_value(k), v != NULL ? json_string_value(v) : NULL,
		         what, err)) != ACMB_OK)
			return r;
	}
	return ACMB_OK;
}

/*
 * One shorthand word, "Key=k,Value=v" or "Key=k": written by hand because it
 * is the AWS CLI's own shorthand syntax, which no library parses.
 */
int
acmb_tag_set_add_shorthand(struct acmb_tag_set *t, char *word, const char *what, acmb_err *err)
{
	char *key = NULL, *value = NULL, *part, *save = NULL;

	for (part = strtok_r(word, ",", &save); part != NULL; part = strtok_r(NULL, ",", &save)) {
		if (strncmp(part, "Key=", 4) == 0 && key == NULL)
			key = part + 4;
		else if (strncmp(part, "Value=", 6) == 0 && value == NULL)
			value = part + 6;
		else
			return acmb_error(err, ACMB_E_USAGE,
			    "%s: '%s' is not Key=K,Value=V (values with commas need the JSON "
			    "form)",
			    what, part);
	}
	if (key == NULL)
		return acmb_error(err, ACMB_E_USAGE, "%s: a tag needs Key=K", what);
	return add_tag(t, key, value, what, err);
}

int
acmb_tag_set_add_word(struct acmb_tag_set *t, char *word, const char *what, acmb_err *err)
{
	json_error_t jerr;
	json_t *doc;
	int r;

	if (word[0] != '[')
		return acmb_tag_set_add_shorthand(t, word, what, err);
	if ((doc = json_loads(word, 0, &jerr)) == NULL)
		return acmb_error(err, ACMB_E_USAGE, "%s: bad JSON: %s", what, jerr.text);
	r = acmb_tag_set_add_json(t, doc, what, err);
	json_decref(doc);
	return r;
}

void
acmb_tag_set_clear(struct acmb_tag_set *t)
{
	json_decref(t->docs);
	t->docs = NULL;
	t->ntags = 0;
}
