/*
 * acmbridge list [pkcs11:URI]: the tokens, and on each the certificates and
 * keys with what an import needs to know (label, id, algorithm, NotAfter,
 * pairing, and whether and how the key could be exported). Read-only. The
 * listing, pairing included, is the library's (bridge/token-list.h): list
 * and import judge a token the same way.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "bridge/token-list.h"
#include "cli-options.h"
#include "cli-pkcs11.h"
#include "bridge/context.h"
#include "cli.h"
#include "json-text.h"
#include "zalloc.h"

static void
usage(FILE *f)
{
	fprintf(f,
	    "usage: acmbridge list [OPTIONS] [pkcs11:URI]\n\n"
	    "Lists the tokens and, on each, the certificates and keys with their label, id,\n"
	    "algorithm, NotAfter, pairing and exportability. Nothing is changed or exported.\n"
	    "Private objects (keys, usually) are shown after login: give a PIN option or\n"
	    "--login to be asked on the terminal.\n\n"
	    "  --output text|json|table|yaml|yaml-stream  the listing (text, the default),\n"
	    "                        {\"tokens\": [...]} (json), or that object as the AWS\n"
	    "                        CLI lays a result out; with --query every format is\n"
	    "                        the AWS CLI's, json by default\n");
	acmb_cli_help_group(f, ACMB_CLI_LIST, ACMB_CLI_GROUP_OUTPUT);
	fputs("  --login               log in (prompting for the PIN) to see private objects\n", f);
	acmb_cli_pkcs11_help(f, ACMB_CLI_LIST);
	fprintf(f, "\n%s", acmb_cli_exit_codes);
}

static const char *
flag_text(int v)
{
	return v == 1 ? "true" : v == 0 ? "false" : "unknown";
}

static json_t *
json_flag(int v)
{
	return v < 0 ? json_null() : json_boolean(v);
}

static void
print_object_text(const struct acmb_p11_listed_object *o)
{
	const char *id = o->id[0] != '\0' ? o->id : "(none)";

	if (o->kind == ACMB_P11_LISTED_CERTIFICATE) {
		printf("  certificate  id=%s label='%s'  %s  not-after %s  %s  key: %s%s\n", id,
		    o->label, o->algorithm, o->not_after, o->subject, o->paired ? "yes" : "no",
		    o->ca ? "  (CA)" : "");
		return;
	}
	printf("  %s  id=%s label='%s'  %s  extractable=%s sensitive=%s "
	       "never-extractable=%s wrap-with-trusted=%s  export: %s%s\n",
	    o->kind == ACMB_P11_LISTED_PRIVATE_KEY ? "private key" : "secret key ", id, o->label,
	    o->algorithm, flag_text(o->extractable), flag_text(o->sensitive),
	    flag_text(o->never_extractable), flag_text(o->wrap_with_trusted), o->export,
	    o->kind == ACMB_P11_LISTED_PRIVATE_KEY
	        ? (o->paired ? "  certificate: yes" : "  certificate: no")
	        : "");
}

static void
print_token_text(const struct acmb_p11_listed_token *t)
{
	size_t i;

	printf("token '%s' serial %s (%s %s) slot %lu module %s%s\n", t->label, t->serial,
	    t->manufacturer, t->model, t->slot, t->module,
	    t->logged_in ? "" : "  [not logged in: private objects not shown]");
	for (i = 0; i < t->nobjects; i++)
		print_object_text(&t->objects[i]);
}

/* Adds key: text to obj; labels and subjects are token bytes, not always
 * UTF-8 (json-text.h). Returns 0, or -1 when out of memory. */
static int
put_text(json_t *obj, const char *key, const char *text)
{
	return json_object_set_new(obj, key, acmb_json_text(text));
}

static json_t *
object_json(const struct acmb_p11_listed_object *o)
{
	json_t *j = json_object();
	int bad;

	if (j == NULL)
		return NULL;
	if (o->kind == ACMB_P11_LISTED_CERTIFICATE) {
		bad = put_text(j, "class", "certificate") | put_text(j, "label", o->label) |
		      put_text(j, "id", o->id) | put_text(j, "algorithm", o->algorithm) |
		      put_text(j, "not_after", o->not_after) | put_text(j, "subject", o->subject) |
		      json_object_set_new(j, "paired_key", json_boolean(o->paired)) |
		      json_object_set_new(j, "ca", json_boolean(o->ca));
	} else {
		bad = put_text(j, "class",
		          o->kind == ACMB_P11_LISTED_PRIVATE_KEY ? "private-key" : "secret-key") |
		      put_text(j, "label", o->label) | put_text(j, "id", o->id) |
		      put_text(j, "algorithm", o->algorithm) |
		      json_object_set_new(j, "extractable", json_flag(o->extractable)) |
		      json_object_set_new(j, "sensitive", json_flag(o->sensitive)) |
		      json_object_set_new(j, "never_extractable", json_flag(o->never_extractable)) |
		      json_object_set_new(j, "wrap_with_trusted", json_flag(o->wrap_with_trusted)) |
		      put_text(j, "export", o->export);
		if (o->kind == ACMB_P11_LISTED_PRIVATE_KEY)
			bad |=
			    json_object_set_new(j, "paired_certificate", json_boolean(o->paired));
	}
	if (bad) {
		json_decref(j);
		return NULL;
	}
	return j;
}

static json_t *
token_json(const struct acmb_p11_listed_token *t)
{
	json_t *j = json_object(), *objs = json_array(), *o;
	size_t i;
	int bad = j == NULL || objs == NULL;

	if (!bad)
		bad = put_text(j, "label", t->label) | put_text(j, "serial", t->serial) |
		      put_text(j, "manufacturer", t->manufacturer) |
		      put_text(j, "model", t->model) | put_text(j, "module", t->module) |
		      json_object_set_new(j, "slot", json_integer((json_int_t)t->slot)) |
		      json_object_set_new(j, "logged_in", json_boolean(t->logged_in));
	for (i = 0; !bad && i < t->nobjects; i++)
		bad = (o = object_json(&t->objects[i])) == NULL ||
		      json_array_append_new(objs, o) != 0;
	if (!bad && json_object_set(j, "objects", objs) != 0)
		bad = 1;
	json_decref(objs);
	if (bad) {
		json_decref(j);
		return NULL;
	}
	return j;
}

/* {"tokens": [...]}: as list always printed it (2-space JSON), or through
 * --query and --output. Returns the exit code. */
static int
print_json(const struct acmb_token_listing *l, struct acmb_cli_output *o)
{
	json_t *doc = json_object(), *toks = json_array(), *t;
	char *out = NULL;
	size_t i;
	int bad = doc == NULL || toks == NULL, rc = ACMB_EXIT_OK;

	for (i = 0; !bad && i < l->ntokens; i++)
		bad =
		    (t = token_json(&l->tokens[i])) == NULL || json_array_append_new(toks, t) != 0;
	if (!bad && json_object_set(doc, "tokens", toks) != 0)
		bad = 1;
	if (!bad && !acmb_cli_output_own_json(o)) {
		rc = acmb_cli_output_print(o, doc, "ListTokens");
	} else if (!bad && (out = json_dumps(doc, JSON_INDENT(2))) != NULL) {
		printf("%s\n", out);
	} else {
		fprintf(stderr, "acmbridge: out of memory writing the listing\n");
		rc = ACMB_EXIT_FAILURE;
	}
	acmb_zfree(out); /* from json_dumps: the wiping allocator */
	json_decref(toks);
	json_decref(doc);
	return rc;
}

int
acmb_cli_list(int argc, char **argv)
{
	struct acmb_cli_args args;
	struct acmb_token_listing *l = NULL;
	acmb_err err = {0, ""};
	size_t i;
	int rc, seen = 0;

	if ((rc = acmb_cli_start(ACMB_CLI_LIST, argc, argv, &args, usage)) >= 0)
		goto out;
	/* A bad --query is refused before any token is opened. */
	if ((rc = acmb_cli_output_prepare(&args.out,
	         args.out.query != NULL ? ACMB_OUTPUT_JSON : ACMB_OUTPUT_TEXT, 0, NULL)) != 0)
		goto out;
	/* Ctrl-C at a PIN prompt: the run's cancel flag ends the read. */
	args.src.p11.token.pin.cancel = acmb_ctx_cancel_flag(acmb_cli_ctx);
	rc = acmb_token_list(
	    &args.src.p11.token, args.nargs > 0 ? args.args[0] : NULL, args.login, &l, &seen, &err);
	if (seen)
		acmb_cli_pkcs11_pin_value_warning();
	if (rc != ACMB_OK) {
		rc = acmb_cli_fail(&err);
		goto out;
	}
	if (!acmb_cli_output_own_text(&args.out)) {
		rc = print_json(l, &args.out);
		goto out;
	}
	for (i = 0; i < l->ntokens; i++)
		print_token_text(&l->tokens[i]);
	rc = ACMB_EXIT_OK;
out:
	acmb_token_listing_free(l);
	acmb_cli_args_clear(&args);
	return rc;
}
