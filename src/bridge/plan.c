/*
 * Plan items: names, JSON out and in, one line for people.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "plan.h"
#include "zalloc.h"

static const char *const action_names[ACMB_PLAN_ACTION_COUNT] = {
    [ACMB_PLAN_UNCHANGED] = "unchanged",
    [ACMB_PLAN_CREATE] = "create",
    [ACMB_PLAN_REIMPORT] = "reimport",
    [ACMB_PLAN_RENEW] = "renew",
    [ACMB_PLAN_BLOCKED] = "blocked",
    [ACMB_PLAN_PRUNE] = "prune",
};

const char *
acmb_plan_action_name(enum acmb_plan_action a)
{
	return (unsigned)a < ACMB_PLAN_ACTION_COUNT ? action_names[a] : "?";
}

int
acmb_plan_action_from_name(const char *name)
{
	int i;

	for (i = 0; i < ACMB_PLAN_ACTION_COUNT; i++)
		if (strcmp(action_names[i], name) == 0)
			return i;
	return -1;
}

void
acmb_plan_reason(struct acmb_plan_item *it, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(it->reason, sizeof(it->reason), fmt, ap);
	va_end(ap);
}

static int
copy(char *dst, size_t size, const char *src)
{
	size_t n = src == NULL ? 0 : strlen(src);

	if (n >= size)
		return -1;
	memcpy(dst, src == NULL ? "" : src, n);
	dst[n] = '\0';
	return 0;
}

void
acmb_plan_item_clear(struct acmb_plan_item *it)
{
	if (it == NULL)
		return;
	free(it->tags);
	free(it->arn);
	free(it->role_arn);
	memset(it, 0, sizeof(*it));
}

/* *dst becomes a copy of src, NULL for NULL or "". */
static int
set_heap_str(char **dst, const char *src)
{
	char *copy = NULL;

	if (src != NULL && src[0] != '\0') {
		if (strlen(src) > ACMB_PLAN_ARN_MAX)
			return ACMB_E_TOO_BIG;
		if ((copy = strdup(src)) == NULL)
			return ACMB_E_NOMEM;
	}
	free(*dst);
	*dst = copy;
	return ACMB_OK;
}

int
acmb_plan_item_set_arn(struct acmb_plan_item *it, const char *arn)
{
	return set_heap_str(&it->arn, arn);
}

int
acmb_plan_item_set_role_arn(struct acmb_plan_item *it, const char *role_arn)
{
	return set_heap_str(&it->role_arn, role_arn);
}

int
acmb_plan_tag_change(
    struct acmb_plan_item *it, int op, const char *key, const char *value, const char *old_value)
{
	struct acmb_plan_tag_change *c;

	if (it->ntags >= ACMB_PLAN_TAGS_MAX)
		return ACMB_E_TOO_BIG;
	if (it->ntags == it->tags_cap) {
		/* Most items change no tag at all; a few change one or two. */
		size_t cap = it->tags_cap == 0 ? 4 : it->tags_cap * 2;

		if (cap > ACMB_PLAN_TAGS_MAX)
			cap = ACMB_PLAN_TAGS_MAX;
		if ((c = realloc(it->tags, cap * sizeof(*c))) == NULL)
			return ACMB_E_NOMEM;
		it->tags = c;
		it->tags_cap = cap;
	}
	c = &it->tags[it->ntags];
	memset(c, 0, sizeof(*c));
	if (copy(c->key, sizeof(c->key), key) != 0 ||
	    copy(c->value, sizeof(c->value), value) != 0 ||
	    copy(c->old_value, sizeof(c->old_value), old_value) != 0)
		return ACMB_E_TOO_BIG;
	c->op = op;
	c->no_value = value == NULL;
	c->no_old_value = old_value == NULL;
	it->ntags++;
	return ACMB_OK;
}

static int
set_str(json_t *o, const char *key, const char *v)
{
	if (v == NULL || v[0] == '\0')
		return 0;
	return json_object_set_new(o, key, json_string(v));
}

static int
set_time(json_t *o, const char *key, time_t t)
{
	char buf[32];
	struct tm tm;

	if (t == 0)
		return 0;
	if (gmtime_r(&t, &tm) == NULL || strftime(buf, sizeof(buf), "%Y-%m-%dT%H:%M:%SZ", &tm) == 0)
		return -1;
	return json_object_set_new(o, key, json_string(buf));
}

json_t *
acmb_plan_item_to_json(const struct acmb_plan_item *it)
{
	json_t *o = json_object(), *tags = NULL;
	size_t i;

	if (o == NULL)
		return NULL;
	if (json_object_set_new(o, "Action", json_string(acmb_plan_action_name(it->action))) != 0 ||
	    set_str(o, "Name", it->name) != 0 || set_str(o, "Region", it->region) != 0 ||
	    set_str(o, "Profile", it->profile) != 0 || set_str(o, "RoleArn", it->role_arn) != 0 ||
	    set_str(o, "CertificateArn", it->arn) != 0 || set_str(o, "Sha256", it->sha256) != 0 ||
	    set_str(o, "Serial", it->serial) != 0 || set_time(o, "NotAfter", it->not_after) != 0 ||
	    set_time(o, "RenewAt", it->renew_at) != 0 ||
	    json_object_set_new(o, "Imports", json_integer(it->imports)) != 0 ||
	    set_str(o, "Reason", it->reason) != 0)
		goto fail;
	if (it->ntags > 0) {
		if ((tags = json_array()) == NULL)
			goto fail;
		for (i = 0; i < it->ntags; i++) {
			const struct acmb_plan_tag_change *c = &it->tags[i];
			const char *op = c->op == '+' ? "add" : c->op == '~' ? "change" : "remove";
			json_t *t = json_pack("{s:s, s:s, s:o}", "Op", op, "Key", c->key, "Value",
			    c->no_value ? json_null() : json_string(c->value));

			if (t == NULL ||
			    (c->op == '~' && set_str(t, "OldValue", c->old_value) != 0) ||
			    json_array_append_new(tags, t) != 0) {
				json_decref(t);
				goto fail;
			}
		}
		if (json_object_set_new(o, "TagChanges", tags) != 0) {
			tags = NULL;
			goto fail;
		}
		tags = NULL;
	}
	return o;
fail:
	json_decref(tags);
	json_decref(o);
	return NULL;
}

static int
get_str(const json_t *j, const char *key, char *dst, size_t size, int required, acmb_err *err)
{
	const json_t *v = json_object_get(j, key);

	dst[0] = '\0';
	if (v == NULL) {
		if (required)
			return acmb_error(err, ACMB_E_PARSE, "plan item: %s is missing", key);
		return ACMB_OK;
	}
	if (!json_is_string(v))
		return acmb_error(err, ACMB_E_PARSE, "plan item: %s must be a string", key);
	if (copy(dst, size, json_string_value(v)) != 0)
		return acmb_error(
		    err, ACMB_E_PARSE, "plan item: %s is longer than %zu", key, size - 1);
	return ACMB_OK;
}

/* An ARN field: a heap copy into *dst, any length AWS allows. */
static int
get_arn(const json_t *j, const char *key, char **dst, acmb_err *err)
{
	const json_t *v = json_object_get(j, key);
	int rc;

	if (v == NULL)
		return ACMB_OK;
	if (!json_is_string(v))
		return acmb_error(err, ACMB_E_PARSE, "plan item: %s must be a string", key);
	if ((rc = set_heap_str(dst, json_string_value(v))) == ACMB_E_TOO_BIG)
		return acmb_error(
		    err, ACMB_E_PARSE, "plan item: %s is longer than %d", key, ACMB_PLAN_ARN_MAX);
	if (rc != ACMB_OK)
		return acmb_error(err, rc, "out of memory reading the plan item");
	return ACMB_OK;
}

static int
get_time(const json_t *j, const char *key, time_t *out, acmb_err *err)
{
	const json_t *v = json_object_get(j, key);
	struct tm tm;
	const char *end;

	*out = 0;
	if (v == NULL)
		return ACMB_OK;
	memset(&tm, 0, sizeof(tm));
	if (!json_is_string(v) ||
	    (end = strptime(json_string_value(v), "%Y-%m-%dT%H:%M:%SZ", &tm)) == NULL ||
	    *end != '\0')
		return acmb_error(
		    err, ACMB_E_PARSE, "plan item: %s is not YYYY-MM-DDTHH:MM:SSZ", key);
	*out = timegm(&tm);
	return ACMB_OK;
}

/* acmb_plan_item_from_json() on a cleared item; on error *it may hold part. */
static int
item_from_json(const json_t *j, struct acmb_plan_item *it, acmb_err *err)
{
	static const char *const known[] = {"Action", "Name", "Region", "Profile", "RoleArn",
	    "CertificateArn", "Sha256", "Serial", "NotAfter", "RenewAt", "Imports", "Reason",
	    "TagChanges", NULL};
	char action[16];
	const char *key;
	const json_t *v, *tags;
	size_t i;
	int a, rc;

	if (!json_is_object(j))
		return acmb_error(err, ACMB_E_PARSE, "plan item: not a JSON object");
	json_object_foreach((json_t *)j, key, v)
	{
		for (i = 0; known[i] != NULL; i++)
			if (strcmp(known[i], key) == 0)
				break;
		if (known[i] == NULL)
			return acmb_error(err, ACMB_E_PARSE, "plan item: unknown key %s", key);
	}
	if ((rc = get_str(j, "Action", action, sizeof(action), 1, err)) != ACMB_OK)
		return rc;
	if ((a = acmb_plan_action_from_name(action)) < 0)
		return acmb_error(
		    err, ACMB_E_PARSE, "plan item: Action %s is not an action", action);
	it->action = (enum acmb_plan_action)a;
	if ((rc = get_str(j, "Name", it->name, sizeof(it->name), 0, err)) != ACMB_OK ||
	    (rc = get_str(j, "Region", it->region, sizeof(it->region), 1, err)) != ACMB_OK ||
	    (rc = get_str(j, "Profile", it->profile, sizeof(it->profile), 0, err)) != ACMB_OK ||
	    (rc = get_arn(j, "RoleArn", &it->role_arn, err)) != ACMB_OK ||
	    (rc = get_arn(j, "CertificateArn", &it->arn, err)) != ACMB_OK ||
	    (rc = get_str(j, "Sha256", it->sha256, sizeof(it->sha256), 0, err)) != ACMB_OK ||
	    (rc = get_str(j, "Serial", it->serial, sizeof(it->serial), 0, err)) != ACMB_OK ||
	    (rc = get_str(j, "Reason", it->reason, sizeof(it->reason), 0, err)) != ACMB_OK ||
	    (rc = get_time(j, "NotAfter", &it->not_after, err)) != ACMB_OK ||
	    (rc = get_time(j, "RenewAt", &it->renew_at, err)) != ACMB_OK)
		return rc;
	if ((v = json_object_get(j, "Imports")) != NULL) {
		if (!json_is_integer(v) || json_integer_value(v) < 0 || json_integer_value(v) > 1)
			return acmb_error(err, ACMB_E_PARSE, "plan item: Imports must be 0 or 1");
		it->imports = (int)json_integer_value(v);
	}
	if ((tags = json_object_get(j, "TagChanges")) != NULL) {
		const json_t *t;

		if (!json_is_array(tags))
			return acmb_error(
			    err, ACMB_E_PARSE, "plan item: TagChanges must be a list");
		json_array_foreach(tags, i, t)
		{
			const char *op = json_string_value(json_object_get(t, "Op"));
			const char *k = json_string_value(json_object_get(t, "Key"));
			const json_t *jv = json_object_get(t, "Value");
			const char *val = json_string_value(jv);
			const char *old = json_string_value(json_object_get(t, "OldValue"));
			int c;

			/* A tag without a value is null, not "". */
			if (op == NULL || k == NULL || (val == NULL && !json_is_null(jv)))
				return acmb_error(err, ACMB_E_PARSE,
				    "plan item: TagChanges[%zu] needs Op, Key and Value", i);
			c = strcmp(op, "add") == 0      ? '+'
			    : strcmp(op, "change") == 0 ? '~'
			    : strcmp(op, "remove") == 0 ? '-'
			                                : 0;
			if (c == 0)
				return acmb_error(err, ACMB_E_PARSE,
				    "plan item: TagChanges[%zu].Op %s is not add, change or remove",
				    i, op);
			if ((rc = acmb_plan_tag_change(it, c, k, val, old)) == ACMB_E_NOMEM)
				return acmb_error(err, rc, "out of memory reading the plan item");
			if (rc != ACMB_OK)
				return acmb_error(err, ACMB_E_PARSE,
				    "plan item: TagChanges[%zu] too long or too many", i);
		}
	}
	return ACMB_OK;
}

int
acmb_plan_item_from_json(const json_t *j, struct acmb_plan_item *it, acmb_err *err)
{
	int rc;

	acmb_plan_item_clear(it);
	if ((rc = item_from_json(j, it, err)) != ACMB_OK)
		acmb_plan_item_clear(it);
	return rc;
}

void
acmb_plan_item_print(FILE *f, const struct acmb_plan_item *it)
{
	size_t i;

	fprintf(f, "%-9s %s %s", acmb_plan_action_name(it->action), it->name[0] ? it->name : "-",
	    it->region);
	if (it->arn != NULL)
		fprintf(f, " %s", it->arn);
	if (it->reason[0] != '\0')
		fprintf(f, ": %s", it->reason);
	fputc('\n', f);
	for (i = 0; i < it->ntags; i++) {
		const struct acmb_plan_tag_change *c = &it->tags[i];

		if (c->op == '~')
			fprintf(
			    f, "          ~ tag %s: %s -> %s\n", c->key, c->old_value, c->value);
		else
			fprintf(f, "          %c tag %s=%s\n", c->op, c->key, c->value);
	}
}

int
acmb_plan_item_same(const struct acmb_plan_item *a, const struct acmb_plan_item *b)
{
	size_t i;

	if (a->action != b->action || strcmp(a->name, b->name) != 0 ||
	    strcmp(a->region, b->region) != 0 ||
	    strcmp(a->arn != NULL ? a->arn : "", b->arn != NULL ? b->arn : "") != 0 ||
	    strcmp(a->sha256, b->sha256) != 0 || a->ntags != b->ntags)
		return 0;
	for (i = 0; i < a->ntags; i++)
		if (a->tags[i].op != b->tags[i].op || strcmp(a->tags[i].key, b->tags[i].key) != 0 ||
		    strcmp(a->tags[i].value, b->tags[i].value) != 0)
			return 0;
	return 1;
}

int
acmb_plan_item_json(const struct acmb_plan_item *item, char **json, acmb_err *err)
{
	json_t *j = acmb_plan_item_to_json(item);
	char *s = j != NULL ? json_dumps(j, JSON_COMPACT | JSON_PRESERVE_ORDER) : NULL;

	*json = NULL;
	json_decref(j);
	if (s == NULL)
		return acmb_error(err, ACMB_E_NOMEM, "out of memory writing the plan item");
	/* jansson's allocator wipes; the caller's free() must be the C one. */
	*json = strdup(s);
	acmb_zfree(s);
	if (*json == NULL)
		return acmb_error(err, ACMB_E_NOMEM, "out of memory writing the plan item");
	return ACMB_OK;
}

int
acmb_plan_item_parse(const char *json, struct acmb_plan_item **item, acmb_err *err)
{
	struct acmb_plan_item *it = NULL;
	json_error_t jerr;
	json_t *j = NULL;
	int r = ACMB_E_INTERNAL;

	*item = NULL;
	if (json == NULL || strlen(json) > ACMB_PLAN_ITEM_JSON_MAX) {
		r = acmb_error(err, ACMB_E_TOO_BIG, "plan item: more than %d bytes of JSON",
		    ACMB_PLAN_ITEM_JSON_MAX);
		goto out;
	}
	if ((j = json_loads(json, JSON_REJECT_DUPLICATES, &jerr)) == NULL) {
		r = acmb_error(
		    err, ACMB_E_PARSE, "plan item: not JSON (line %d: %s)", jerr.line, jerr.text);
		goto out;
	}
	if ((it = calloc(1, sizeof(*it))) == NULL) {
		r = acmb_error(err, ACMB_E_NOMEM, "out of memory");
		goto out;
	}
	if ((r = acmb_plan_item_from_json(j, it, err)) != ACMB_OK)
		goto out;
	*item = it;
	it = NULL;
out:
	acmb_plan_item_free(it);
	json_decref(j);
	return r;
}

void
acmb_plan_item_free(struct acmb_plan_item *item)
{
	acmb_plan_item_clear(item);
	free(item);
}
