/*
 * The AWS CLI's remaining global options (see cli-global.h).
 */
#include "cli-global.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include <editline/readline.h>

#include "cli-output.h"
#include "cli.h"

void
acmb_cli_global_init(struct acmb_cli_global *g)
{
	memset(g, 0, sizeof(*g));
	g->auto_prompt = -1;
}

int
acmb_cli_binary_format_parse(const char *name, enum acmb_binary_format *b)
{
	if (strcmp(name, "base64") == 0)
		*b = ACMB_BINARY_BASE64;
	else if (strcmp(name, "raw-in-base64-out") == 0)
		*b = ACMB_BINARY_RAW_IN_BASE64_OUT;
	else
		return -1;
	return 0;
}

/* on, on-partial: prompt; off: not (the AWS CLI's values). */
static int
prompt_setting(const char *v, int *on)
{
	if (strcasecmp(v, "on") == 0 || strcasecmp(v, "on-partial") == 0)
		*on = 1;
	else if (strcasecmp(v, "off") == 0)
		*on = 0;
	else
		return -1;
	return 0;
}

int
acmb_cli_global_prepare(struct acmb_cli_global *g, const char *profile)
{
	char setting[64];
	const char *v;
	int on = 0;

	g->binary = ACMB_BINARY_BASE64;
	if (g->binary_format != NULL) {
		if (acmb_cli_binary_format_parse(g->binary_format, &g->binary) != 0)
			return acmb_cli_usage_error("--cli-binary-format takes base64 or "
			                            "raw-in-base64-out, not '%s'",
			    g->binary_format);
	} else if (acmb_cli_profile_setting(
	               profile, "cli_binary_format", setting, sizeof(setting)) == 1 &&
	           acmb_cli_binary_format_parse(setting, &g->binary) != 0) {
		return acmb_cli_usage_error(
		    "the profile's cli_binary_format is '%s', not base64 or "
		    "raw-in-base64-out",
		    setting);
	}
	if (g->auto_prompt >= 0) {
		on = g->auto_prompt;
	} else if ((v = getenv("AWS_CLI_AUTO_PROMPT")) != NULL && v[0] != '\0') {
		if (prompt_setting(v, &on) != 0)
			return acmb_cli_usage_error(
			    "AWS_CLI_AUTO_PROMPT is '%s', not on, on-partial or off", v);
	} else if (acmb_cli_profile_setting(profile, "cli_auto_prompt", setting, sizeof(setting)) ==
	               1 &&
	           prompt_setting(setting, &on) != 0) {
		return acmb_cli_usage_error(
		    "the profile's cli_auto_prompt is '%s', not on, on-partial or off", setting);
	}
	g->prompt = on && isatty(STDIN_FILENO) && isatty(STDERR_FILENO);
	return 0;
}

char *
acmb_cli_prompt(const char *name, const char *what, int is_file)
{
	char prompt[256], *line, *p;
	size_t n;

	snprintf(prompt, sizeof(prompt), "%s (%s): ", name, what);
	/* The prompt goes to the terminal's error stream: stdout is the
	 * command's result. */
	rl_outstream = stderr;
	rl_instream = stdin;
	/* TAB completes file names (editline's default); elsewhere it inserts
	 * nothing useful, so it is turned off. */
	if (is_file)
		rl_bind_key('\t', rl_complete);
	else
		rl_bind_key('\t', rl_insert);
	if ((line = readline(prompt)) == NULL)
		return NULL;
	/* Completion leaves a blank after a full name. */
	for (n = strlen(line); n > 0 && (line[n - 1] == ' ' || line[n - 1] == '\t'); n--)
		line[n - 1] = '\0';
	for (p = line; *p == ' ' || *p == '\t'; p++)
		;
	if (*p == '\0') {
		free(line);
		return NULL;
	}
	memmove(line, p, strlen(p) + 1);
	return line;
}
