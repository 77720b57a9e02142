/*
 * The one option table of the command line and its one parser (the habit
 * of p11-kit's common/tool.c): every subcommand parses its argv through
 * acmb_cli_parse(), which fills the library's specs in struct
 * acmb_cli_args directly and reports every usage error one way (acmb_err
 * with ACMB_E_USAGE; the command prints it with acmb_cli_fail(): exit 2).
 *
 * How to add an option: one row in cli-options.c's table, nothing else.
 *   {"--name", ARG, GROUP, COMMANDS, offsetof(struct acmb_cli_args, field),
 *    setter or NULL, lo, hi, help}
 *   - ARG: ACMB_CLI_FLAG (no value; sets an int to 1; may repeat),
 *     ACMB_CLI_VALUE (one value, refused when given twice),
 *     ACMB_CLI_MULTI (one value per use, repeatable: --dns-name),
 *     ACMB_CLI_WORDS (the words up to the next --option: --tags),
 *     ACMB_CLI_OPTIONAL (an optional word, once: --generate-cli-skeleton [input]).
 *   - GROUP: what the option is about (AWS, token, source, output, ...), for
 *     --help: a command prints a group's lines with acmb_cli_help_group().
 *   - COMMANDS: the ACMB_CLI_* bits of the commands that take it; any other
 *     command answers "unknown option". A name may have a row per meaning
 *     for different commands (--region sets import's region, and filters
 *     sync's destinations): the row of the command parsing wins.
 *   - the field is where the value goes: a member of a library spec inside
 *     struct acmb_cli_args (src, aws, import, issue) or of the args
 *     themselves. With no setter a FLAG sets an int and a VALUE stores the
 *     string (a pointer into argv); a setter checks and converts (numbers
 *     in lo..hi, one of a list of words, ...).
 *   - help: the option's lines (two-space indent, newline-terminated) for
 *     the --help of every command that prints the row's group with
 *     acmb_cli_help_group(); NULL when the commands word it themselves.
 * How to add a command: a bit in enum acmb_cli_cmd, a row in cli-options.c's
 * command list (its name, how many plain arguments), its bit in the rows of
 * the options it takes, and its entry in cli-main.c; the command itself
 * starts with acmb_cli_start() (cli.h).
 */
#ifndef ACMB_CLI_OPTIONS_H
#define ACMB_CLI_OPTIONS_H

#include <stddef.h>
#include <stdio.h>

#include "acm/aws-config.h"
#include "bridge/csr.h"
#include "bridge/import.h"
#include "bridge/issue.h"
#include "bridge/source.h"
#include "bridge/tag-set.h"
#include "error.h"

enum acmb_cli_cmd {
	ACMB_CLI_CHECK = 1u << 0,
	ACMB_CLI_IMPORT = 1u << 1,
	ACMB_CLI_ISSUE = 1u << 2,
	ACMB_CLI_LIST = 1u << 3,
	ACMB_CLI_SYNC = 1u << 4,
	ACMB_CLI_STATUS = 1u << 5,
	ACMB_CLI_DOCTOR = 1u << 6,
	ACMB_CLI_WHOAMI = 1u << 7,
};

/* The commands that read certificates and keys. */
#define ACMB_CLI_ALL (ACMB_CLI_CHECK | ACMB_CLI_IMPORT | ACMB_CLI_ISSUE | ACMB_CLI_LIST)

enum acmb_cli_group {
	ACMB_CLI_GROUP_SOURCE, /* certificate, key and chain as files */
	ACMB_CLI_GROUP_TOKEN,  /* the token options (struct acmb_token_spec) */
	ACMB_CLI_GROUP_AWS,    /* struct acmb_aws_options, as the AWS CLI names them */
	ACMB_CLI_GROUP_OUTPUT, /* what is printed and how */
	ACMB_CLI_GROUP_IMPORT, /* what an import does (import, issue) */
	ACMB_CLI_GROUP_ISSUE,  /* Private CA issuance */
	ACMB_CLI_GROUP_CHECK,  /* check's own */
	ACMB_CLI_GROUP_LIST,   /* list's own */
	ACMB_CLI_GROUP_FLEET,  /* sync's and status's own */
};

enum acmb_cli_arg {
	ACMB_CLI_FLAG,
	ACMB_CLI_VALUE,
	ACMB_CLI_MULTI,
	ACMB_CLI_WORDS,
	ACMB_CLI_OPTIONAL,
};

/* --output: the command's default (which may depend on the terminal), or
 * what was asked for. */
enum acmb_cli_output {
	ACMB_CLI_OUTPUT_DEFAULT = 0,
	ACMB_CLI_OUTPUT_JSON,
	ACMB_CLI_OUTPUT_TEXT,
};

/* Most table rows, and most plain (non-option) arguments kept. */
#define ACMB_CLI_ROWS_MAX 96
#define ACMB_CLI_ARGS_MAX 4
#define ACMB_CLI_NAMES_MAX 256 /* sync --only, sync/status --region */

/* Everything a command line can say. Initialise with acmb_cli_args_init()
 * (it points issue.dns_names and issue.ip_addresses into the struct, so
 * the struct must not be copied or moved after that), free with
 * acmb_cli_args_clear(). Strings point into argv, which must outlive it. */
struct acmb_cli_args {
	unsigned cmd;                /* the ACMB_CLI_* bit of the command parsed for */
	struct acmb_source_spec src; /* files, pkcs11: URIs, and src.p11.token: the
	                              * token options of every command */
	struct acmb_aws_options aws;
	struct acmb_import_opts import; /* the importing options of import and issue */
	struct acmb_issue_opts issue;   /* issue's; its .import is the caller's to fill */
	struct acmb_tag_set tags;       /* --tags */
	const char *dns[ACMB_CSR_NAMES_MAX];
	const char *ips[ACMB_CSR_NAMES_MAX];
	enum acmb_cli_output output;
	const char *at;               /* check --at */
	const char *batch;            /* check --batch */
	const char *cli_input_json;   /* import --cli-input-json */
	const char *skeleton;         /* import --generate-cli-skeleton: "input" by default */
	const char *api_passthrough;  /* issue --api-passthrough */
	const char *pca_endpoint_url; /* issue --pca-endpoint-url */
	int login;                    /* list --login */
	/* sync and status */
	const char *manifest;                 /* --manifest */
	const char *only[ACMB_CLI_NAMES_MAX]; /* sync --only, repeatable */
	size_t nonly;
	const char *regions[ACMB_CLI_NAMES_MAX]; /* --region as a filter, repeatable */
	size_t nregions;
	const char *shard; /* sync --shard I/N */
	int prune, refresh_tags, all_regions;
	long max_parallel;        /* sync --max-parallel */
	const char *fleet_output; /* sync and status --output (their formats) */
	const char *output_file;  /* status --output-file */
	const char *metrics_file; /* sync --metrics-file */
	/* whoami */
	const char *role_arn;          /* --role-arn */
	const char *external_id;       /* --external-id */
	char *args[ACMB_CLI_ARGS_MAX]; /* plain arguments, in order (list's URI) */
	size_t nargs;
	unsigned char seen[ACMB_CLI_ROWS_MAX]; /* times each row was given */
};

struct acmb_cli_option;

/* Converts and stores val (an argv string; NULL for an ACMB_CLI_OPTIONAL
 * without its word, and once at the end of ACMB_CLI_WORDS when no word
 * followed). Returns ACMB_OK, or ACMB_E_USAGE with err set. */
typedef int (*acmb_cli_setter)(
    struct acmb_cli_args *a, const struct acmb_cli_option *o, char *val, acmb_err *err);

struct acmb_cli_option {
	const char *name; /* "--region" */
	enum acmb_cli_arg arg;
	enum acmb_cli_group group;
	unsigned commands;   /* ACMB_CLI_* bits */
	size_t offset;       /* of the field in struct acmb_cli_args */
	acmb_cli_setter set; /* NULL: store the string, or set the flag */
	long lo, hi;         /* numbers: the accepted range */
	const char *help;    /* lines for --help, or NULL */
};

/* Sets every field to "not given". */
void acmb_cli_args_init(struct acmb_cli_args *a);

/* Frees what the parse and the specs hold (parsed URIs, tag documents).
 * Accepts a struct that was only initialised. */
void acmb_cli_args_clear(struct acmb_cli_args *a);

#define ACMB_CLI_HELP 1

/* Parses argv[1..argc) for command cmd (one ACMB_CLI_* bit) into a, which
 * acmb_cli_args_init() prepared: "--opt VALUE" and "--opt=VALUE", --help
 * and -h (returns ACMB_CLI_HELP at once: the caller prints its usage),
 * --debug anywhere, "--" ending the options, plain arguments as many as the
 * command takes. Returns ACMB_OK, ACMB_CLI_HELP, or ACMB_E_USAGE with err
 * saying why: an unknown option or one cmd does not take, a missing or
 * empty value, a value for a flag, a bad value, a single-value option given
 * twice, too many plain arguments. */
int acmb_cli_parse(unsigned cmd, int argc, char **argv, struct acmb_cli_args *a, acmb_err *err);

/* Prints the help lines of the rows of group g that command cmd takes, in
 * table order. */
void acmb_cli_help_group(FILE *f, unsigned cmd, enum acmb_cli_group g);

/* The row of option name ("--region"), or NULL. For tests and help. */
const struct acmb_cli_option *acmb_cli_option_find(const char *name);

/* 1 when command cmd (one ACMB_CLI_* bit) takes option row o. */
int acmb_cli_takes(unsigned cmd, const struct acmb_cli_option *o);

/* The whole table, *n rows (static), e.g. for shell completion and tests. */
const struct acmb_cli_option *acmb_cli_options(size_t *n);

#endif
