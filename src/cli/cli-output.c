/*
 * The shared --query / --output / --color handling (see cli-output.h).
 */
#include "cli-output.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "acm/aws-ini.h"
#include "cli.h"
#include "pyjson.h"

/* Expands ~/ in a file setting as the AWS CLI does. */
static int
config_path(const char *var, const char *dflt, char *buf, size_t len)
{
	const char *v = getenv(var), *home;
	int n;

	if (v == NULL || v[0] == '\0')
		v = dflt;
	if (v[0] == '~' && v[1] == '/') {
		if ((home = getenv("HOME")) == NULL)
			return -1;
		n = snprintf(buf, len, "%s%s", home, v + 1);
	} else {
		n = snprintf(buf, len, "%s", v);
	}
	return n < 0 || (size_t)n >= len ? -1 : 0;
}

int
acmb_cli_profile_setting(const char *profile, const char *key, char *buf, size_t len)
{
	static const struct {
		const char *var, *dflt;
		enum acmb_aws_ini_style style;
	} files[] = {
	    {"AWS_SHARED_CREDENTIALS_FILE", "~/.aws/credentials", ACMB_AWS_INI_CREDENTIALS},
	    {"AWS_CONFIG_FILE", "~/.aws/config", ACMB_AWS_INI_CONFIG},
	};
	char path[4096];
	acmb_aws_ini *text = NULL;
	acmb_err err = {0};
	const char *val;
	size_t i, vlen;
	int r = 0;

	if (profile == NULL && (profile = getenv("AWS_PROFILE")) == NULL)
		profile = "default";
	for (i = 0; i < sizeof(files) / sizeof(files[0]) && r == 0; i++) {
		if (config_path(files[i].var, files[i].dflt, path, sizeof(path)) != 0 ||
		    acmb_aws_ini_load(path, &text, &err) != ACMB_OK)
			continue;
		if (text != NULL &&
		    acmb_aws_ini_get(text, files[i].style, profile, key, &val, &vlen))
			r = vlen < len ? 1 : -1;
		if (r == 1) {
			memcpy(buf, val, vlen);
			buf[vlen] = '\0';
		}
		acmb_aws_ini_free(text);
		text = NULL;
	}
	return r;
}

/* Prints err's message and, for an expression error, the expression with a
 * caret under the column (when it fits on a line). */
static void
query_error(
    const struct acmb_cli_output *o, const struct acmb_jmespath_diag *diag, const acmb_err *err)
{
	size_t len = strlen(o->query), i;

	fprintf(stderr, "acmbridge: --query: %s\n", err->msg);
	if (len > 100 || strchr(o->query, '\n') != NULL)
		return;
	fprintf(stderr, "           %s\n           ", o->query);
	for (i = 0; i < diag->pos; i++)
		fputc(' ', stderr);
	fputs("^\n", stderr);
}

int
acmb_cli_output_prepare(
    struct acmb_cli_output *o, enum acmb_output_format dflt, int aws_defaults, const char *profile)
{
	struct acmb_jmespath_diag diag;
	acmb_err err = {0};
	char setting[64];
	const char *name = o->output, *from = "--output";

	o->format = dflt;
	o->color_mode = ACMB_COLOR_AUTO;
	if (o->color != NULL && acmb_output_color_parse(o->color, &o->color_mode) != 0)
		return acmb_cli_usage_error("--color takes on, off or auto, not '%s'", o->color);
	if (name == NULL && aws_defaults) {
		if ((name = getenv("AWS_DEFAULT_OUTPUT")) != NULL && name[0] != '\0') {
			from = "AWS_DEFAULT_OUTPUT";
		} else if (acmb_cli_profile_setting(profile, "output", setting, sizeof(setting)) ==
		           1) {
			name = setting;
			from = "the profile's output setting";
		} else {
			name = NULL;
		}
	}
	if (name != NULL && acmb_output_format_parse(name, &o->format) != 0)
		return acmb_cli_usage_error(
		    "%s: '%s' is not an output format (json, text, table, yaml, yaml-stream)", from,
		    name);
	if (o->query != NULL && acmb_jmespath_compile(o->query, strlen(o->query), &o->compiled,
	                            &diag, &err) != ACMB_OK) {
		query_error(o, &diag, &err);
		return ACMB_EXIT_USAGE;
	}
	return 0;
}

int
acmb_cli_output_own_text(const struct acmb_cli_output *o)
{
	return o->format == ACMB_OUTPUT_TEXT && o->query == NULL;
}

int
acmb_cli_output_own_json(const struct acmb_cli_output *o)
{
	return o->format == ACMB_OUTPUT_JSON && o->query == NULL;
}

int
acmb_cli_output_print(struct acmb_cli_output *o, const json_t *result, const char *title)
{
	static const struct acmb_pyjson_style one_line = {-1, 0};
	struct acmb_jmespath_diag diag;
	acmb_err err = {0};
	json_t *r = NULL;
	int rc;

	if (o->compiled != NULL &&
	    acmb_jmespath_search(o->compiled, result, &r, &diag, &err) != ACMB_OK) {
		query_error(o, &diag, &err);
		fputs("acmbridge: the result without --query:\n", stderr);
		(void)acmb_pyjson_dumpf(stderr, result, &one_line);
		fputc('\n', stderr);
		return ACMB_EXIT_USAGE;
	}
	rc = acmb_output_render(
	    stdout, r != NULL ? r : result, title, o->format, o->color_mode, &err);
	json_decref(r);
	if (rc == ACMB_OK)
		return ACMB_EXIT_OK;
	fprintf(stderr, "acmbridge: %s\n", err.msg);
	return rc == ACMB_E_IO ? ACMB_EXIT_FAILURE : ACMB_EXIT_USAGE;
}

void
acmb_cli_output_clear(struct acmb_cli_output *o)
{
	acmb_jmespath_free(o->compiled);
	o->compiled = NULL;
}
