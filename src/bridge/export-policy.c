#include "export-policy.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>

#include <jansson.h>

struct acmb_export_policy {
	char *path;
	json_t *doc; /* validated shape, see export-policy.h */
};

void
acmb_export_policy_free(struct acmb_export_policy *p)
{
	if (p == NULL)
		return;
	json_decref(p->doc);
	free(p->path);
	free(p);
}

static int
check_string_list(const char *path, json_t *doc, const char *field, acmb_err *err)
{
	json_t *list = json_object_get(doc, field), *v;
	size_t i;

	if (list == NULL)
		return ACMB_OK;
	if (!json_is_array(list))
		return acmb_error(err, ACMB_E_USAGE,
		    "export policy %s: \"%s\" must be a list of "
		    "strings",
		    path, field);
	json_array_foreach(list, i, v)
	{
		if (!json_is_string(v) || json_string_length(v) == 0)
			return acmb_error(err, ACMB_E_USAGE,
			    "export policy %s: \"%s\"[%zu] must "
			    "be a non-empty string",
			    path, field, i);
	}
	return ACMB_OK;
}

static int
validate(const char *path, json_t *doc, acmb_err *err)
{
	const char *k;
	json_t *v, *d, *f;
	size_t i;
	int r;

	if (!json_is_object(doc))
		return acmb_error(
		    err, ACMB_E_USAGE, "export policy %s: must be a JSON object", path);
	json_object_foreach(doc, k, v)
	{
		if (strcmp(k, "token_serials") != 0 && strcmp(k, "object_ids") != 0 &&
		    strcmp(k, "object_labels") != 0 && strcmp(k, "destinations") != 0)
			return acmb_error(err, ACMB_E_USAGE,
			    "export policy %s: unknown field "
			    "\"%s\" (known: token_serials, object_ids, object_labels, "
			    "destinations)",
			    path, k);
	}
	if ((r = check_string_list(path, doc, "token_serials", err)) != ACMB_OK ||
	    (r = check_string_list(path, doc, "object_ids", err)) != ACMB_OK ||
	    (r = check_string_list(path, doc, "object_labels", err)) != ACMB_OK)
		return r;
	if ((d = json_object_get(doc, "destinations")) == NULL)
		return ACMB_OK;
	if (!json_is_array(d))
		return acmb_error(err, ACMB_E_USAGE,
		    "export policy %s: \"destinations\" must be "
		    "a list of {\"region\", \"account\"} objects",
		    path);
	json_array_foreach(d, i, v)
	{
		if (!json_is_object(v) || json_object_size(v) == 0)
			return acmb_error(err, ACMB_E_USAGE,
			    "export policy %s: destinations[%zu] "
			    "must be an object with \"region\" and/or \"account\"",
			    path, i);
		json_object_foreach(v, k, f)
		{
			if ((strcmp(k, "region") != 0 && strcmp(k, "account") != 0) ||
			    !json_is_string(f))
				return acmb_error(err, ACMB_E_USAGE,
				    "export policy %s: "
				    "destinations[%zu].%s: only \"region\" and \"account\" strings "
				    "are allowed",
				    path, i, k);
		}
	}
	return ACMB_OK;
}

int
acmb_export_policy_load(const char *path, struct acmb_export_policy **out, acmb_err *err)
{
	struct acmb_export_policy *p = NULL;
	json_error_t jerr;
	struct stat st;
	int r = ACMB_E_INTERNAL;

	*out = NULL;
	if (stat(path, &st) != 0) {
		r = acmb_error(
		    err, ACMB_E_USAGE, "cannot read export policy %s: %s", path, strerror(errno));
		goto out;
	}
	if (!S_ISREG(st.st_mode) || st.st_size > ACMB_EXPORT_POLICY_MAX) {
		r = acmb_error(err, ACMB_E_USAGE,
		    "export policy %s: not a regular file of at "
		    "most %d bytes",
		    path, ACMB_EXPORT_POLICY_MAX);
		goto out;
	}
	if ((p = calloc(1, sizeof(*p))) == NULL || (p->path = strdup(path)) == NULL) {
		r = acmb_error(err, ACMB_E_NOMEM, "out of memory");
		goto out;
	}
	if ((p->doc = json_load_file(path, JSON_REJECT_DUPLICATES, &jerr)) == NULL) {
		r = acmb_error(
		    err, ACMB_E_USAGE, "export policy %s: line %d: %s", path, jerr.line, jerr.text);
		goto out;
	}
	if ((r = validate(path, p->doc, err)) != ACMB_OK)
		goto out;
	*out = p;
	p = NULL;
	r = ACMB_OK;
out:
	acmb_export_policy_free(p);
	return r;
}

static int
in_list(json_t *list, const char *s, int nocase)
{
	json_t *v;
	size_t i;

	if (s == NULL)
		return 0;
	json_array_foreach(list, i, v)
	{
		if (nocase ? strcasecmp(json_string_value(v), s) == 0
		           : strcmp(json_string_value(v), s) == 0)
			return 1;
	}
	return 0;
}

static int
destination_allowed(json_t *list, const char *region, const char *account)
{
	json_t *v, *rg, *ac;
	size_t i;

	json_array_foreach(list, i, v)
	{
		rg = json_object_get(v, "region");
		ac = json_object_get(v, "account");
		if (rg != NULL && (region == NULL || strcmp(json_string_value(rg), region) != 0))
			continue;
		if (ac != NULL && (account == NULL || strcmp(json_string_value(ac), account) != 0))
			continue;
		return 1;
	}
	return 0;
}

int
acmb_export_policy_check(const struct acmb_export_policy *p, const char *token_serial,
    const unsigned char *id, size_t id_len, const char *label, const char *region,
    const char *account, acmb_err *err)
{
	json_t *serials, *ids, *labels, *dests;
	char hex[2 * 128 + 1];
	size_t i;

	if (p == NULL)
		return ACMB_OK;
	hex[0] = '\0';
	for (i = 0; i < id_len && i < 128; i++)
		snprintf(hex + 2 * i, 3, "%02x", id[i]);
	serials = json_object_get(p->doc, "token_serials");
	ids = json_object_get(p->doc, "object_ids");
	labels = json_object_get(p->doc, "object_labels");
	dests = json_object_get(p->doc, "destinations");
	if (serials != NULL && !in_list(serials, token_serial, 0))
		return acmb_error(err, ACMB_E_EXPORT,
		    "export refused by policy %s: token serial "
		    "'%s' is not in token_serials",
		    p->path, token_serial != NULL ? token_serial : "");
	if ((ids != NULL || labels != NULL) &&
	    !(ids != NULL && id_len > 0 && in_list(ids, hex, 1)) &&
	    !(labels != NULL && in_list(labels, label, 0)))
		return acmb_error(err, ACMB_E_EXPORT,
		    "export refused by policy %s: object id=%s "
		    "label='%s' is in neither object_ids nor object_labels",
		    p->path, hex[0] != '\0' ? hex : "(none)", label != NULL ? label : "");
	if (dests != NULL && !destination_allowed(dests, region, account))
		return acmb_error(err, ACMB_E_EXPORT,
		    "export refused by policy %s: destination "
		    "region '%s' account '%s' is not in destinations",
		    p->path, region != NULL ? region : "(unknown)",
		    account != NULL ? account : "(unknown)");
	return ACMB_OK;
}

const char *
acmb_export_policy_name(const struct acmb_export_policy *p)
{
	return p != NULL ? p->path : ACMB_EXPORT_POLICY_DEFAULT;
}
