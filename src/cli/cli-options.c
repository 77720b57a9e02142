/*
 * The option table and its parser (cli-options.h says how to add a row).
 */
#include "cli-options.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "bridge/source.h"

#define FIELD(f) offsetof(struct acmb_cli_args, f)

/* The field of row o in a. */
static void *
field(struct acmb_cli_args *a, const struct acmb_cli_option *o)
{
	return (char *)a + o->offset;
}

static int
set_number(
    struct acmb_cli_args *a, const struct acmb_cli_option *o, char *val, long *out, acmb_err *err)
{
	char *end;
	long v;

	(void)a;
	errno = 0;
	v = strtol(val, &end, 10);
	if (errno != 0 || end == val || *end != '\0' || v < o->lo || v > o->hi)
		return acmb_error(err, ACMB_E_USAGE, "%s: '%s' is not a number from %ld to %ld",
		    o->name, val, o->lo, o->hi);
	*out = v;
	return ACMB_OK;
}

/* A long in lo..hi. */
static int
set_long(struct acmb_cli_args *a, const struct acmb_cli_option *o, char *val, acmb_err *err)
{
	return set_number(a, o, val, field(a, o), err);
}

/* An int in lo..hi (the range fits an int). */
static int
set_int(struct acmb_cli_args *a, const struct acmb_cli_option *o, char *val, acmb_err *err)
{
	long v = 0;
	int r;

	if ((r = set_number(a, o, val, &v, err)) == ACMB_OK)
		*(int *)field(a, o) = (int)v;
	return r;
}

/* A string the library rewrites in place (a pkcs11: URI losing its
 * pin-value): argv is ours. */
static int
set_mutable(struct acmb_cli_args *a, const struct acmb_cli_option *o, char *val, acmb_err *err)
{
	(void)err;
	*(char **)field(a, o) = val;
	return ACMB_OK;
}

/* --certificate, --private-key, --certificate-chain: a pkcs11: URI goes to
 * the PKCS#11 source's field of the same name, anything else to the files
 * source's (the row's field). */
static int
set_source(struct acmb_cli_args *a, const struct acmb_cli_option *o, char *val, acmb_err *err)
{
	static const struct {
		size_t files;
		size_t p11;
	} pairs[] = {
	    {FIELD(src.files.certificate), FIELD(src.p11.certificate)},
	    {FIELD(src.files.private_key), FIELD(src.p11.private_key)},
	    {FIELD(src.files.certificate_chain), FIELD(src.p11.certificate_chain)},
	};
	size_t i;

	(void)err;
	for (i = 0; i < sizeof(pairs) / sizeof(pairs[0]); i++) {
		if (pairs[i].files != o->offset)
			continue;
		if (acmb_source_is_pkcs11(val))
			*(char **)((char *)a + pairs[i].p11) = val;
		else
			*(const char **)field(a, o) = val;
		return ACMB_OK;
	}
	return acmb_error(err, ACMB_E_INTERNAL, "%s: no source field", o->name);
}

/* --output: one of the AWS CLI's formats (cli-output.c picks the default
 * when it is not given). */
static int
set_output(struct acmb_cli_args *a, const struct acmb_cli_option *o, char *val, acmb_err *err)
{
	enum acmb_output_format fmt;

	if (acmb_output_format_parse(val, &fmt) != 0)
		return acmb_error(err, ACMB_E_USAGE,
		    "%s takes json, text, table, yaml or yaml-stream, not '%s'", o->name, val);
	a->out.output = val;
	return ACMB_OK;
}

static int
set_color(struct acmb_cli_args *a, const struct acmb_cli_option *o, char *val, acmb_err *err)
{
	enum acmb_output_color color;

	if (acmb_output_color_parse(val, &color) != 0)
		return acmb_error(
		    err, ACMB_E_USAGE, "%s takes on, off or auto, not '%s'", o->name, val);
	a->out.color = val;
	return ACMB_OK;
}

static int
set_binary_format(
    struct acmb_cli_args *a, const struct acmb_cli_option *o, char *val, acmb_err *err)
{
	enum acmb_binary_format b;

	if (acmb_cli_binary_format_parse(val, &b) != 0)
		return acmb_error(err, ACMB_E_USAGE,
		    "%s takes base64 or raw-in-base64-out, not '%s'", o->name, val);
	a->g.binary_format = val;
	return ACMB_OK;
}

/* --cli-auto-prompt and --no-cli-auto-prompt: one or the other. */
static int
set_auto_prompt(struct acmb_cli_args *a, const struct acmb_cli_option *o, char *val, acmb_err *err)
{
	int on = strcmp(o->name, "--cli-auto-prompt") == 0;

	(void)val;
	if (a->g.auto_prompt >= 0 && a->g.auto_prompt != on)
		return acmb_error(
		    err, ACMB_E_USAGE, "give --cli-auto-prompt or --no-cli-auto-prompt, not both");
	a->g.auto_prompt = on;
	return ACMB_OK;
}

/* --cli-input-json and --cli-input-yaml: one document. */
static int
set_cli_input(struct acmb_cli_args *a, const struct acmb_cli_option *o, char *val, acmb_err *err)
{
	if (a->cli_input_json != NULL || a->cli_input_yaml != NULL)
		return acmb_error(
		    err, ACMB_E_USAGE, "give one --cli-input-json or --cli-input-yaml, not both");
	*(const char **)field(a, o) = val;
	return ACMB_OK;
}

static int
set_env_name(struct acmb_cli_args *a, const struct acmb_cli_option *o, char *val, acmb_err *err)
{
	if (strchr(val, '=') != NULL)
		return acmb_error(
		    err, ACMB_E_USAGE, "%s takes a variable name, not a value", o->name);
	*(const char **)field(a, o) = val;
	return ACMB_OK;
}

static int
set_key_store(struct acmb_cli_args *a, const struct acmb_cli_option *o, char *val, acmb_err *err)
{
	if (strcmp(val, "memory") == 0)
		a->issue.key_store = NULL;
	else if (strncasecmp(val, "pkcs11:", 7) == 0)
		a->issue.key_store = val; /* rewritten in place when it carries a pin-value */
	else
		return acmb_error(
		    err, ACMB_E_USAGE, "%s takes memory or a pkcs11: URI, not '%s'", o->name, val);
	return ACMB_OK;
}

/* --dns-name and --ip-address: one subjectAltName each, at most
 * ACMB_CSR_NAMES_MAX of both together. */
static int
set_name(struct acmb_cli_args *a, const struct acmb_cli_option *o, char *val, acmb_err *err)
{
	if (a->issue.ndns + a->issue.nips >= ACMB_CSR_NAMES_MAX)
		return acmb_error(err, ACMB_E_USAGE,
		    "at most %d --dns-name and --ip-address in all", ACMB_CSR_NAMES_MAX);
	if (o->offset == FIELD(dns))
		a->dns[a->issue.ndns++] = val;
	else
		a->ips[a->issue.nips++] = val;
	return ACMB_OK;
}

/* sync --only and the sync/status --region filter: one name a use. */
static int
set_fleet_name(struct acmb_cli_args *a, const struct acmb_cli_option *o, char *val, acmb_err *err)
{
	int only = o->offset == FIELD(only);
	size_t *n = only ? &a->nonly : &a->nregions;

	if (*n >= ACMB_CLI_NAMES_MAX)
		return acmb_error(err, ACMB_E_USAGE, "at most %d %s", ACMB_CLI_NAMES_MAX, o->name);
	(only ? a->only : a->regions)[(*n)++] = val;
	return ACMB_OK;
}

static int
set_tag_word(struct acmb_cli_args *a, const struct acmb_cli_option *o, char *val, acmb_err *err)
{
	if (val == NULL)
		return acmb_error(
		    err, ACMB_E_USAGE, "%s needs at least one Key=K,Value=V", o->name);
	return acmb_tag_set_add_word(&a->tags, val, o->name, err);
}

static int
set_skeleton(struct acmb_cli_args *a, const struct acmb_cli_option *o, char *val, acmb_err *err)
{
	(void)o;
	(void)err;
	a->skeleton = val != NULL ? val : "input";
	return ACMB_OK;
}

#define SRC ACMB_CLI_GROUP_SOURCE
#define TOK ACMB_CLI_GROUP_TOKEN
#define AWS ACMB_CLI_GROUP_AWS
#define OUT ACMB_CLI_GROUP_OUTPUT
#define IMP ACMB_CLI_GROUP_IMPORT
#define ISS ACMB_CLI_GROUP_ISSUE
#define CHK ACMB_CLI_GROUP_CHECK
#define LST ACMB_CLI_GROUP_LIST
#define C_CHECK ACMB_CLI_CHECK
#define C_IMPORT ACMB_CLI_IMPORT
#define C_ISSUE ACMB_CLI_ISSUE
#define C_LIST ACMB_CLI_LIST
#define C_SYNC ACMB_CLI_SYNC
#define C_STATUS ACMB_CLI_STATUS
#define C_DOCTOR ACMB_CLI_DOCTOR
#define C_WHOAMI ACMB_CLI_WHOAMI
#define C_QUERY ACMB_CLI_QUERY
#define FLT ACMB_CLI_GROUP_FLEET

/* clang-format off */
static const struct acmb_cli_option options[] = {
    /* Where the material comes from: files (and pkcs11: URIs). */
    {"--certificate", ACMB_CLI_VALUE, SRC, C_CHECK | C_IMPORT, FIELD(src.files.certificate),
        set_source, 0, 0,
        "  --certificate SRC          the certificate (PEM or DER): PATH, fileb://PATH,\n"
        "                             file://PATH, or - for standard input\n"},
    {"--private-key", ACMB_CLI_VALUE, SRC, C_CHECK | C_IMPORT, FIELD(src.files.private_key),
        set_source, 0, 0,
        "  --private-key SRC          the private key (PKCS#1, PKCS#8 or SEC1; PEM or DER)\n"},
    {"--certificate-chain", ACMB_CLI_VALUE, SRC, C_CHECK | C_IMPORT,
        FIELD(src.files.certificate_chain), set_source, 0, 0,
        "  --certificate-chain SRC    the chain certificates (PEM)\n"},
    {"--pkcs12", ACMB_CLI_VALUE, SRC, C_CHECK | C_IMPORT, FIELD(src.files.pkcs12), NULL, 0, 0,
        "  --pkcs12 PATH              certificate, key and chain from one PKCS#12 bundle\n"},
    {"--passphrase-file", ACMB_CLI_VALUE, SRC, C_CHECK | C_IMPORT,
        FIELD(src.files.passphrase_file), NULL, 0, 0,
        "  --passphrase-file PATH     passphrase for an encrypted key or bundle\n"
        "                             (one trailing newline is ignored)\n"},
    {"--passphrase-env", ACMB_CLI_VALUE, SRC, C_CHECK | C_IMPORT,
        FIELD(src.files.passphrase_env), set_env_name, 0, 0,
        "  --passphrase-env VAR       passphrase from environment variable VAR (wiped and\n"
        "                             unset after reading); never on the command line\n"},
    {"--strict-permissions", ACMB_CLI_FLAG, SRC, C_CHECK | C_IMPORT,
        FIELD(src.files.strict_permissions), NULL, 0, 0,
        "  --strict-permissions       refuse a key file or bundle that others may access\n"
        "                             or another user owns (default: a warning)\n"},

    /* The token: one struct acmb_token_spec for every command. */
    {"--module", ACMB_CLI_VALUE, TOK, ACMB_CLI_ALL | C_DOCTOR, FIELD(src.p11.token.module), NULL, 0, 0,
        "  --module PATH         PKCS#11 module to load (default: p11-kit's registered modules)\n"},
    {"--pin-file", ACMB_CLI_VALUE, TOK, ACMB_CLI_ALL, FIELD(src.p11.token.pin.pin_file), NULL,
        0, 0, "  --pin-file PATH       read the token PIN from the first line of PATH\n"},
    {"--pin-env", ACMB_CLI_VALUE, TOK, ACMB_CLI_ALL, FIELD(src.p11.token.pin.pin_env),
        set_env_name, 0, 0,
        "  --pin-env VAR         read the token PIN from VAR (wiped and unset once read)\n"},
    {"--wrapping-key", ACMB_CLI_VALUE, TOK, C_CHECK | C_IMPORT | C_LIST,
        FIELD(src.p11.token.wrapping_key), set_mutable, 0, 0,
        "  --wrapping-key URI    trusted key (CKA_TRUSTED) for CKA_WRAP_WITH_TRUSTED keys\n"},
    {"--export-policy", ACMB_CLI_VALUE, TOK, ACMB_CLI_ALL, FIELD(src.p11.token.export_policy),
        NULL, 0, 0,
        "  --export-policy PATH  JSON policy restricting which keys may be exported where\n"},
    {"--audit-log", ACMB_CLI_VALUE, TOK, ACMB_CLI_ALL, FIELD(src.p11.token.audit_log), NULL, 0,
        0,
        "  --audit-log PATH      where export records go, or 'syslog'\n"
        "                        (default $XDG_STATE_HOME/acmbridge/audit.log)\n"},

    /* AWS, as the AWS CLI names it. */
    {"--region", ACMB_CLI_VALUE, AWS, C_IMPORT | C_ISSUE | C_DOCTOR | C_WHOAMI, FIELD(aws.region), NULL, 0, 0,
        "  --region REGION             AWS region (else AWS_REGION, AWS_DEFAULT_REGION, profile)\n"},
    {"--profile", ACMB_CLI_VALUE, AWS, C_IMPORT | C_ISSUE | C_SYNC | C_STATUS | C_DOCTOR | C_WHOAMI, FIELD(aws.profile), NULL, 0, 0,
        "  --profile NAME              profile of ~/.aws/credentials and ~/.aws/config\n"},
    {"--endpoint-url", ACMB_CLI_VALUE, AWS, C_IMPORT | C_ISSUE | C_SYNC | C_STATUS | C_DOCTOR | C_WHOAMI, FIELD(aws.endpoint_url), NULL,
        0, 0,
        "  --endpoint-url URL          service endpoint (else AWS_ENDPOINT_URL_ACM, AWS_ENDPOINT_URL)\n"},
    {"--ca-bundle", ACMB_CLI_VALUE, AWS, C_IMPORT | C_ISSUE | C_SYNC | C_STATUS | C_DOCTOR | C_WHOAMI, FIELD(aws.ca_bundle), NULL, 0, 0,
        "  --ca-bundle FILE            CA certificates to verify the endpoint (else AWS_CA_BUNDLE)\n"},
    {"--no-verify-ssl", ACMB_CLI_FLAG, AWS, C_IMPORT | C_ISSUE | C_SYNC | C_STATUS | C_DOCTOR | C_WHOAMI, FIELD(aws.no_verify_ssl), NULL,
        0, 0,
        "  --no-verify-ssl             do not verify the endpoint's TLS certificate (unsafe)\n"},
    {"--cli-connect-timeout", ACMB_CLI_VALUE, AWS, C_IMPORT | C_ISSUE | C_SYNC | C_STATUS | C_DOCTOR | C_WHOAMI,
        FIELD(aws.connect_timeout), set_long, 0, 86400,
        "  --cli-connect-timeout SECS  connect timeout, 0 = none (default 60)\n"},
    {"--cli-read-timeout", ACMB_CLI_VALUE, AWS, C_IMPORT | C_ISSUE | C_SYNC | C_STATUS | C_DOCTOR | C_WHOAMI, FIELD(aws.read_timeout),
        set_long, 0, 86400,
        "  --cli-read-timeout SECS     read timeout, 0 = none (default 60)\n"},
    {"--max-attempts", ACMB_CLI_VALUE, AWS, C_IMPORT | C_ISSUE | C_SYNC | C_STATUS | C_DOCTOR | C_WHOAMI, FIELD(aws.max_attempts),
        set_int, 1, ACMB_AWS_MAX_MAX_ATTEMPTS,
        "  --max-attempts N            attempts per request, 1-20 (else AWS_MAX_ATTEMPTS; 3)\n"},
    {"--fips", ACMB_CLI_FLAG, AWS, C_IMPORT | C_ISSUE | C_SYNC | C_STATUS | C_DOCTOR | C_WHOAMI, FIELD(aws.fips), NULL, 0, 0,
        "  --fips                      use the FIPS endpoint (else AWS_USE_FIPS_ENDPOINT=true)\n"},
    {"--debug", ACMB_CLI_FLAG, AWS, ACMB_CLI_ALL | C_SYNC | C_STATUS | C_DOCTOR | C_WHOAMI | C_QUERY, FIELD(aws.debug), NULL, 0, 0,
        "  --debug                     log requests (never secrets or bodies) to stderr\n"},
    {"--no-sign-request", ACMB_CLI_FLAG, AWS, C_IMPORT | C_ISSUE | C_SYNC | C_STATUS | C_DOCTOR | C_WHOAMI, FIELD(aws.no_sign_request), NULL, 0, 0,
        "  --no-sign-request           send unsigned requests; no credentials are loaded\n"},
    {"--no-paginate", ACMB_CLI_FLAG, AWS, C_IMPORT | C_ISSUE | C_SYNC | C_STATUS | C_DOCTOR | C_WHOAMI, FIELD(g.no_paginate), NULL, 0, 0,
        "  --no-paginate               accepted: acmbridge pages through listings itself\n"},
    {"--no-cli-pager", ACMB_CLI_FLAG, AWS, C_IMPORT | C_ISSUE | C_SYNC | C_STATUS | C_DOCTOR | C_WHOAMI, FIELD(g.no_cli_pager), NULL, 0, 0,
        "  --no-cli-pager              accepted: acmbridge never starts a pager\n"},

    /* Output: each command words --output's formats and default in its own
     * --help; --query and --color are the same everywhere. */
    {"--output", ACMB_CLI_VALUE, OUT, ACMB_CLI_ALL | C_WHOAMI | C_QUERY, FIELD(out.output), set_output, 0, 0, NULL},
    {"--query", ACMB_CLI_VALUE, OUT, ACMB_CLI_ALL | C_WHOAMI | C_SYNC | C_STATUS, FIELD(out.query), NULL, 0, 0,
        "  --query EXPRESSION         JMESPath over the result before it is printed, as\n"
        "                             the AWS CLI's --query (acmbridge query tries one)\n"},
    {"--color", ACMB_CLI_VALUE, OUT, ACMB_CLI_ALL | C_WHOAMI | C_QUERY, FIELD(out.color), set_color, 0, 0,
        "  --color on|off|auto        colours of the table format (auto: on a terminal\n"
        "                             unless NO_COLOR is set)\n"},
    {"--title", ACMB_CLI_VALUE, OUT, C_QUERY, FIELD(title), NULL, 0, 0, NULL},

    /* whoami's own: a role to assume from the profile's identity. */
    {"--role-arn", ACMB_CLI_VALUE, AWS, C_WHOAMI, FIELD(role_arn), NULL, 0, 0, NULL},
    {"--external-id", ACMB_CLI_VALUE, AWS, C_WHOAMI, FIELD(external_id), NULL, 0, 0, NULL},

    /* What an import does. */
    {"--certificate-arn", ACMB_CLI_VALUE, IMP, C_IMPORT | C_ISSUE,
        FIELD(import.certificate_arn), NULL, 0, 0, NULL},
    {"--tags", ACMB_CLI_WORDS, IMP, C_IMPORT | C_ISSUE, FIELD(tags), set_tag_word, 0, 0, NULL},
    {"--no-provenance-tag", ACMB_CLI_FLAG, IMP, C_IMPORT | C_ISSUE,
        FIELD(import.no_provenance_tag), NULL, 0, 0, NULL},
    {"--allow-duplicate", ACMB_CLI_FLAG, IMP, C_IMPORT, FIELD(import.allow_duplicate), NULL, 0,
        0, NULL},
    {"--dry-run", ACMB_CLI_FLAG, IMP, C_IMPORT | C_ISSUE | C_SYNC, FIELD(import.dry_run), NULL,
        0, 0, NULL},
    {"--cli-input-json", ACMB_CLI_VALUE, IMP, C_IMPORT, FIELD(cli_input_json), set_cli_input,
        0, 0, NULL},
    {"--cli-input-yaml", ACMB_CLI_VALUE, IMP, C_IMPORT, FIELD(cli_input_yaml), set_cli_input,
        0, 0, NULL},
    {"--cli-binary-format", ACMB_CLI_VALUE, IMP, C_IMPORT, FIELD(g.binary_format),
        set_binary_format, 0, 0, NULL},
    {"--cli-auto-prompt", ACMB_CLI_FLAG, IMP, C_IMPORT | C_ISSUE, FIELD(g.auto_prompt),
        set_auto_prompt, 0, 0, NULL},
    {"--no-cli-auto-prompt", ACMB_CLI_FLAG, IMP, C_IMPORT | C_ISSUE, FIELD(g.auto_prompt),
        set_auto_prompt, 0, 0, NULL},
    {"--generate-cli-skeleton", ACMB_CLI_OPTIONAL, IMP, C_IMPORT, FIELD(skeleton),
        set_skeleton, 0, 0, NULL},

    /* Private CA issuance. */
    {"--certificate-authority-arn", ACMB_CLI_VALUE, ISS, C_ISSUE, FIELD(issue.ca_arn), NULL, 0,
        0, NULL},
    {"--subject", ACMB_CLI_VALUE, ISS, C_ISSUE, FIELD(issue.subject), NULL, 0, 0, NULL},
    {"--dns-name", ACMB_CLI_MULTI, ISS, C_ISSUE, FIELD(dns), set_name, 0, 0, NULL},
    {"--ip-address", ACMB_CLI_MULTI, ISS, C_ISSUE, FIELD(ips), set_name, 0, 0, NULL},
    {"--key-algorithm", ACMB_CLI_VALUE, ISS, C_ISSUE, FIELD(issue.key_algorithm), NULL, 0, 0,
        NULL},
    {"--signing-algorithm", ACMB_CLI_VALUE, ISS, C_ISSUE, FIELD(issue.signing_algorithm), NULL,
        0, 0, NULL},
    {"--validity", ACMB_CLI_VALUE, ISS, C_ISSUE, FIELD(issue.validity), NULL, 0, 0, NULL},
    {"--template-arn", ACMB_CLI_VALUE, ISS, C_ISSUE, FIELD(issue.template_arn), NULL, 0, 0,
        NULL},
    {"--api-passthrough", ACMB_CLI_VALUE, ISS, C_ISSUE, FIELD(api_passthrough), NULL, 0, 0,
        NULL},
    {"--idempotency-token", ACMB_CLI_VALUE, ISS, C_ISSUE, FIELD(issue.idempotency_token), NULL,
        0, 0, NULL},
    {"--key-store", ACMB_CLI_VALUE, ISS, C_ISSUE, FIELD(issue.key_store), set_key_store, 0, 0,
        NULL},
    {"--wait-timeout", ACMB_CLI_VALUE, ISS, C_ISSUE, FIELD(issue.wait_timeout), set_long, 1,
        ACMB_ISSUE_WAIT_MAX, NULL},
    {"--resume", ACMB_CLI_VALUE, ISS, C_ISSUE, FIELD(issue.resume), NULL, 0, 0, NULL},
    {"--pca-endpoint-url", ACMB_CLI_VALUE, ISS, C_ISSUE | C_SYNC, FIELD(pca_endpoint_url), NULL,
        0, 0, NULL},

    /* check's and list's own. */
    {"--at", ACMB_CLI_VALUE, CHK, C_CHECK | C_SYNC | C_STATUS, FIELD(at), NULL, 0, 0, NULL},
    {"--batch", ACMB_CLI_VALUE, CHK, C_CHECK, FIELD(batch), NULL, 0, 0, NULL},
    {"--login", ACMB_CLI_FLAG, LST, C_LIST, FIELD(login), NULL, 0, 0, NULL},

    /* sync's and status's own; a second --region row: a repeatable filter
     * there, where the AWS row above sets the one region of a command. */
    {"--manifest", ACMB_CLI_VALUE, FLT, C_SYNC | C_STATUS | C_DOCTOR, FIELD(manifest), NULL, 0, 0, NULL},
    {"--region", ACMB_CLI_MULTI, FLT, C_SYNC | C_STATUS, FIELD(regions), set_fleet_name, 0, 0,
        NULL},
    {"--only", ACMB_CLI_MULTI, FLT, C_SYNC, FIELD(only), set_fleet_name, 0, 0, NULL},
    {"--shard", ACMB_CLI_VALUE, FLT, C_SYNC, FIELD(shard), NULL, 0, 0, NULL},
    {"--prune", ACMB_CLI_FLAG, FLT, C_SYNC, FIELD(prune), NULL, 0, 0, NULL},
    {"--refresh-tags", ACMB_CLI_FLAG, FLT, C_SYNC, FIELD(refresh_tags), NULL, 0, 0, NULL},
    {"--max-parallel", ACMB_CLI_VALUE, FLT, C_SYNC, FIELD(max_parallel), set_long, 1, 64, NULL},
    {"--output", ACMB_CLI_VALUE, FLT, C_SYNC | C_STATUS | C_DOCTOR, FIELD(fleet_output), NULL, 0, 0, NULL},
    {"--output-file", ACMB_CLI_VALUE, FLT, C_STATUS, FIELD(output_file), NULL, 0, 0, NULL},
    {"--metrics-file", ACMB_CLI_VALUE, FLT, C_SYNC, FIELD(metrics_file), NULL, 0, 0, NULL},
    {"--all-regions", ACMB_CLI_FLAG, FLT, C_STATUS, FIELD(all_regions), NULL, 0, 0, NULL},
};
/* clang-format on */

#define NOPTIONS (sizeof(options) / sizeof(options[0]))

_Static_assert(NOPTIONS <= ACMB_CLI_ROWS_MAX, "raise ACMB_CLI_ROWS_MAX");

/* The commands, for messages and their plain arguments. */
static const struct {
	unsigned cmd;
	const char *name;
	size_t max_args;
	const char *args_text; /* "takes ..." when more are given */
} commands[] = {
    {ACMB_CLI_CHECK, "check", 0, NULL},
    {ACMB_CLI_IMPORT, "import", 0, NULL},
    {ACMB_CLI_ISSUE, "issue", 0, NULL},
    {ACMB_CLI_LIST, "list", 1, "at most one pkcs11: URI"},
    {ACMB_CLI_SYNC, "sync", 0, NULL},
    {ACMB_CLI_STATUS, "status", 0, NULL},
    {ACMB_CLI_DOCTOR, "doctor", 0, NULL},
    {ACMB_CLI_WHOAMI, "whoami", 0, NULL},
    {ACMB_CLI_QUERY, "query", 2, "an expression and at most one file (try --help)"},
};

void
acmb_cli_args_init(struct acmb_cli_args *a)
{
	memset(a, 0, sizeof(*a));
	acmb_aws_options_init(&a->aws);
	a->issue.wait_timeout = ACMB_ISSUE_DEFAULT_WAIT;
	a->issue.dns_names = a->dns;
	a->issue.ip_addresses = a->ips;
	acmb_cli_global_init(&a->g);
}

void
acmb_cli_args_clear(struct acmb_cli_args *a)
{
	acmb_pkcs11_spec_clear(&a->src.p11);
	acmb_tag_set_clear(&a->tags);
	acmb_cli_output_clear(&a->out);
}

const struct acmb_cli_option *
acmb_cli_option_find(const char *name)
{
	size_t i;

	for (i = 0; i < NOPTIONS; i++)
		if (strcmp(options[i].name, name) == 0)
			return &options[i];
	return NULL;
}

int
acmb_cli_takes(unsigned cmd, const struct acmb_cli_option *o)
{
	return (o->commands & cmd) != 0;
}

const struct acmb_cli_option *
acmb_cli_options(size_t *n)
{
	*n = NOPTIONS;
	return options;
}

void
acmb_cli_help_group(FILE *f, unsigned cmd, enum acmb_cli_group g)
{
	size_t i;

	for (i = 0; i < NOPTIONS; i++)
		if (options[i].group == g && acmb_cli_takes(cmd, &options[i]) &&
		    options[i].help != NULL)
			fputs(options[i].help, f);
}

/* Stores one value (or sets one flag) of row o. */
static int
apply(struct acmb_cli_args *a, const struct acmb_cli_option *o, char *val, acmb_err *err)
{
	if (o->set != NULL)
		return o->set(a, o, val, err);
	if (o->arg == ACMB_CLI_FLAG)
		*(int *)field(a, o) = 1;
	else
		*(const char **)field(a, o) = val;
	return ACMB_OK;
}

static int
is_option(const char *w)
{
	return strncmp(w, "--", 2) == 0 && w[2] != '\0';
}

/* One option at argv[*i] ("--name" or "--name=value") and what follows. */
static int
parse_option(const char *cmdname, unsigned cmd, int argc, char **argv, int *i,
    struct acmb_cli_args *a, acmb_err *err)
{
	const struct acmb_cli_option *o = NULL;
	char *word = argv[*i], *eq = strchr(word, '='), *val = NULL;
	size_t n = eq != NULL ? (size_t)(eq - word) : strlen(word), k;
	int r, words = 0;

	/* The row of that name for this command: a name may have a row per
	 * meaning (--region sets a region, or filters sync's destinations). */
	for (k = 0; k < NOPTIONS; k++)
		if (strlen(options[k].name) == n && strncmp(options[k].name, word, n) == 0 &&
		    acmb_cli_takes(cmd, &options[k]))
			break;
	if (k == NOPTIONS)
		return acmb_error(err, ACMB_E_USAGE,
		    "%s: unknown option '%.*s' (see acmbridge %s --help)", cmdname, (int)n, word,
		    cmdname);
	o = &options[k];
	if (eq != NULL)
		val = eq + 1;
	if (o->arg == ACMB_CLI_FLAG) {
		if (val != NULL)
			return acmb_error(err, ACMB_E_USAGE, "%s takes no value", o->name);
		a->seen[k] = 1;
		return apply(a, o, NULL, err);
	}
	if ((o->arg == ACMB_CLI_VALUE || o->arg == ACMB_CLI_MULTI) && val == NULL) {
		if (*i + 1 >= argc)
			return acmb_error(err, ACMB_E_USAGE, "%s needs a value", o->name);
		val = argv[++*i];
	}
	if ((o->arg == ACMB_CLI_VALUE || o->arg == ACMB_CLI_OPTIONAL) && a->seen[k])
		return acmb_error(err, ACMB_E_USAGE, "%s given twice", o->name);
	if (a->seen[k] < 255)
		a->seen[k]++;
	switch (o->arg) {
	case ACMB_CLI_VALUE:
	case ACMB_CLI_MULTI:
		if (val[0] == '\0')
			return acmb_error(err, ACMB_E_USAGE, "%s needs a value", o->name);
		return apply(a, o, val, err);
	case ACMB_CLI_OPTIONAL:
		if (val == NULL && *i + 1 < argc && !is_option(argv[*i + 1]))
			val = argv[++*i];
		return apply(a, o, val, err);
	case ACMB_CLI_WORDS:
		if (val != NULL) {
			if ((r = apply(a, o, val, err)) != ACMB_OK)
				return r;
			words++;
		}
		while (*i + 1 < argc && !is_option(argv[*i + 1])) {
			if ((r = apply(a, o, argv[++*i], err)) != ACMB_OK)
				return r;
			words++;
		}
		return words > 0 ? ACMB_OK : apply(a, o, NULL, err);
	case ACMB_CLI_FLAG:
		break;
	}
	return acmb_error(err, ACMB_E_INTERNAL, "%s: bad table row", o->name);
}

int
acmb_cli_parse(unsigned cmd, int argc, char **argv, struct acmb_cli_args *a, acmb_err *err)
{
	const char *cmdname = "acmbridge";
	size_t c, max_args = 0;
	const char *args_text = NULL;
	int i, r, options_end = 0;

	for (c = 0; c < sizeof(commands) / sizeof(commands[0]); c++) {
		if (commands[c].cmd == cmd) {
			cmdname = commands[c].name;
			max_args = commands[c].max_args;
			args_text = commands[c].args_text;
		}
	}
	a->cmd = cmd;
	for (i = 1; i < argc; i++) {
		if (!options_end && (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0))
			return ACMB_CLI_HELP;
		if (!options_end && strcmp(argv[i], "--") == 0) {
			options_end = 1;
			continue;
		}
		if (!options_end && is_option(argv[i])) {
			if ((r = parse_option(cmdname, cmd, argc, argv, &i, a, err)) != ACMB_OK)
				return r;
			continue;
		}
		if (!options_end && argv[i][0] == '-' && argv[i][1] != '\0')
			return acmb_error(err, ACMB_E_USAGE,
			    "%s: unknown option '%s' (see acmbridge %s --help)", cmdname, argv[i],
			    cmdname);
		if (a->nargs >= max_args || a->nargs >= ACMB_CLI_ARGS_MAX) {
			if (args_text != NULL)
				return acmb_error(
				    err, ACMB_E_USAGE, "%s takes %s", cmdname, args_text);
			return acmb_error(err, ACMB_E_USAGE,
			    "%s: unexpected argument '%s' (see acmbridge %s --help)", cmdname,
			    argv[i], cmdname);
		}
		a->args[a->nargs++] = argv[i];
	}
	return ACMB_OK;
}
