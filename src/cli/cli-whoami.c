/*
 * acmbridge whoami [--profile P] [--role-arn ARN [--external-id ID]]: STS
 * GetCallerIdentity with the credentials a profile resolves to, the source
 * they came from and when they expire: the quickest way to see what a
 * profile (and a role assumed from it) is. Output as `aws sts
 * get-caller-identity` plus CredentialSource and Expiration.
 */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include <jansson.h>

#include "acm/aws-config.h"
#include "acm/aws-sts.h"
#include "cli-aws.h"
#include "cli-input.h"
#include "cli.h"
#include "zalloc.h"

struct whoami_cli {
	struct acmb_aws_options aws;
	struct acmb_aws_identity_key key;
	int text;
};

static void
whoami_usage(FILE *f)
{
	fprintf(f,
	    "usage: acmbridge whoami [--profile NAME] [--role-arn ARN [--external-id ID]]\n"
	    "           [--output json|text] [AWS options]\n\n"
	    "Resolves credentials as every command does (environment, profile, assumed\n"
	    "roles, web identity, SSO, container, instance metadata), calls STS\n"
	    "GetCallerIdentity with them and prints the account, the ARN, where the\n"
	    "credentials came from and when they expire. Nothing else is called.\n\n"
	    "Options:\n"
	    "  --role-arn ARN            assume this role from the profile's credentials\n"
	    "  --external-id ID          the ExternalId the role's trust policy asks for\n"
	    "  --output json|text        json (default) or tab-separated text: Account,\n"
	    "                            Arn, UserId, CredentialSource, Expiration\n"
	    "  --help                    this text\n\n"
	    "--endpoint-url names the STS endpoint of the GetCallerIdentity call (roles\n"
	    "are assumed through AWS_ENDPOINT_URL_STS or sts.REGION.amazonaws.com).\n\n"
	    "%s\n%s",
	    acmb_cli_aws_usage, acmb_cli_exit_codes);
}

static int
whoami_takes_value(const char *opt)
{
	return acmb_cli_aws_option_has_arg(opt) || strcmp(opt, "--role-arn") == 0 ||
	       strcmp(opt, "--external-id") == 0 || strcmp(opt, "--output") == 0;
}

static int
parse_args(struct whoami_cli *c, int argc, char **argv)
{
	char opt[64];
	const char *val;
	int i, r;

	for (i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
			whoami_usage(stdout);
			return 1;
		}
		if (acmb_cli_split_option(
		        argc, argv, &i, whoami_takes_value, opt, sizeof(opt), &val) < 0)
			return -1;
		if ((r = acmb_cli_aws_option(opt, val, &c->aws)) < 0)
			return -1;
		if (r > 0)
			continue;
		if (strcmp(opt, "--role-arn") == 0 && c->key.role_arn == NULL) {
			c->key.role_arn = val;
		} else if (strcmp(opt, "--external-id") == 0 && c->key.external_id == NULL) {
			c->key.external_id = val;
		} else if (strcmp(opt, "--output") == 0 && strcmp(val, "json") == 0) {
			c->text = 0;
		} else if (strcmp(opt, "--output") == 0 && strcmp(val, "text") == 0) {
			c->text = 1;
		} else if (strcmp(opt, "--output") == 0) {
			acmb_cli_usage_error("--output takes json or text, not '%s'", val);
			return -1;
		} else if (strcmp(opt, "--role-arn") == 0 || strcmp(opt, "--external-id") == 0) {
			acmb_cli_usage_error("%s was given twice", opt);
			return -1;
		} else {
			acmb_cli_usage_error(
			    "whoami: unknown option '%s' (see acmbridge whoami --help)", opt);
			return -1;
		}
	}
	if (c->key.external_id != NULL && c->key.role_arn == NULL) {
		acmb_cli_usage_error("--external-id goes with --role-arn");
		return -1;
	}
	return 0;
}

static int
print_identity(const struct whoami_cli *c, const struct acmb_aws_caller_identity *who,
    const struct acmb_aws_config *cfg)
{
	time_t exp = acmb_aws_config_expiration(cfg);
	char when[32] = "";
	struct tm tm;
	json_t *o;
	char *s;

	if (exp != 0 && gmtime_r(&exp, &tm) != NULL)
		strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%SZ", &tm);
	if (c->text) {
		printf("%s\t%s\t%s\t%s\t%s\n", who->account, who->arn, who->user_id,
		    acmb_aws_config_credential_source(cfg), when[0] != '\0' ? when : "None");
		return ACMB_EXIT_OK;
	}
	o = json_pack("{s:s, s:s, s:s, s:s, s:o}", "UserId", who->user_id, "Account", who->account,
	    "Arn", who->arn, "CredentialSource", acmb_aws_config_credential_source(cfg),
	    "Expiration", when[0] != '\0' ? json_string(when) : json_null());
	if (o == NULL || (s = json_dumps(o, JSON_INDENT(4) | JSON_PRESERVE_ORDER)) == NULL) {
		json_decref(o);
		fprintf(stderr, "acmbridge: out of memory writing the answer\n");
		return ACMB_EXIT_FAILURE;
	}
	puts(s);
	acmb_zfree(s);
	json_decref(o);
	return ACMB_EXIT_OK;
}

int
acmb_cli_whoami(int argc, char **argv)
{
	struct whoami_cli c;
	struct acmb_aws_identities *ids = NULL;
	struct acmb_aws_config *cfg = NULL;
	struct acmb_aws_caller_identity who;
	struct acmb_aws_sts_target t;
	struct acmb_aws_transport tr;
	acmb_err err = {0};
	char desc[1024];
	int r, exit_code = ACMB_EXIT_FAILURE;

	memset(&c, 0, sizeof(c));
	memset(&who, 0, sizeof(who));
	acmb_aws_options_init(&c.aws);
	if ((r = parse_args(&c, argc, argv)) != 0) {
		exit_code = r > 0 ? ACMB_EXIT_OK : ACMB_EXIT_USAGE;
		goto out;
	}
	c.aws.debug = acmb_cli_debug;
	if (acmb_cli_debug)
		c.aws.debug_fn = acmb_cli_aws_debug;
	/* A named --profile is the key's profile: resolved as the CLI does
	 * with --profile (the environment's keys do not count). */
	c.key.profile = c.aws.profile;
	if (acmb_aws_identities_new(&c.aws, &ids, &err) != ACMB_OK ||
	    acmb_aws_config_for(ids, &c.key, &acmb_aws_service_sts, NULL, c.aws.endpoint_url, &cfg,
	        &err) != ACMB_OK)
		goto fail;
	if (c.aws.no_verify_ssl)
		fprintf(stderr,
		    "acmbridge: warning: --no-verify-ssl: the endpoint's TLS certificate "
		    "is not verified\n");
	if (acmb_cli_debug)
		fprintf(stderr, "debug: %s\n", acmb_aws_config_describe(cfg, desc, sizeof(desc)));
	acmb_aws_config_transport(cfg, &tr);
	t.endpoint = acmb_aws_config_endpoint(cfg);
	t.region = acmb_aws_config_region(cfg);
	t.transport = &tr;
	if (acmb_aws_sts_get_caller_identity(&t, acmb_aws_config_credentials(cfg), &who, &err) !=
	    ACMB_OK)
		goto fail;
	exit_code = print_identity(&c, &who, cfg);
	goto out;
fail:
	exit_code = acmb_cli_fail(&err);
out:
	acmb_aws_config_free(cfg);
	acmb_aws_identities_free(ids);
	return exit_code;
}
