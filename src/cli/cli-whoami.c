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
#include "bridge/context.h"
#include "cli-aws.h"
#include "cli-options.h"
#include "cli.h"
#include "zalloc.h"

static void
whoami_usage(FILE *f)
{
	fputs("usage: acmbridge whoami [--profile NAME] [--role-arn ARN [--external-id ID]]\n"
	      "           [--query EXPRESSION] [--output json|text|table|yaml|yaml-stream]\n"
	      "           [AWS options]\n\n"
	      "Resolves credentials as every command does (environment, profile, assumed\n"
	      "roles, web identity, SSO, container, instance metadata), calls STS\n"
	      "GetCallerIdentity with them and prints the account, the ARN, where the\n"
	      "credentials came from and when they expire. Nothing else is called.\n\n"
	      "Options:\n"
	      "  --role-arn ARN             assume this role from the profile's credentials\n"
	      "  --external-id ID           the ExternalId the role's trust policy asks for\n"
	      "  --output json|text|table|yaml|yaml-stream  json (default) or tab-separated\n"
	      "                             text: Account, Arn, UserId, CredentialSource,\n"
	      "                             Expiration; the others, and every format with\n"
	      "                             --query, as the AWS CLI lays a result out\n",
	    f);
	acmb_cli_help_group(f, ACMB_CLI_WHOAMI, ACMB_CLI_GROUP_OUTPUT);
	fputs("  --help                     this text\n\n"
	      "--endpoint-url names the STS endpoint of the GetCallerIdentity call (roles\n"
	      "are assumed through AWS_ENDPOINT_URL_STS or sts.REGION.amazonaws.com).\n\n",
	    f);
	acmb_cli_aws_usage(f, ACMB_CLI_WHOAMI);
	fprintf(f, "\n%s", acmb_cli_exit_codes);
}

/* Prints the identity as --query and --output say; without --query, json
 * and text are the forms whoami always printed. Returns the exit code. */
static int
print_identity(struct acmb_cli_output *out, const struct acmb_aws_caller_identity *who,
    const struct acmb_aws_config *cfg)
{
	time_t exp = acmb_aws_config_expiration(cfg);
	char when[32] = "";
	struct tm tm;
	json_t *o;
	char *s;
	int rc;

	if (exp != 0 && gmtime_r(&exp, &tm) != NULL)
		strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%SZ", &tm);
	if (acmb_cli_output_own_text(out)) {
		printf("%s\t%s\t%s\t%s\t%s\n", who->account, who->arn, who->user_id,
		    acmb_aws_config_credential_source(cfg), when[0] != '\0' ? when : "None");
		return ACMB_EXIT_OK;
	}
	o = json_pack("{s:s, s:s, s:s, s:s, s:o}", "UserId", who->user_id, "Account", who->account,
	    "Arn", who->arn, "CredentialSource", acmb_aws_config_credential_source(cfg),
	    "Expiration", when[0] != '\0' ? json_string(when) : json_null());
	if (o != NULL && !acmb_cli_output_own_json(out)) {
		rc = acmb_cli_output_print(out, o, "GetCallerIdentity");
		json_decref(o);
		return rc;
	}
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
	struct acmb_cli_args args;
	struct acmb_aws_identity_key key;
	const struct acmb_aws_config *cfg = NULL;
	struct acmb_aws_caller_identity who;
	struct acmb_aws_sts_target t;
	struct acmb_aws_transport tr;
	acmb_err err = {0, ""};
	char desc[1024];
	int exit_code = ACMB_EXIT_FAILURE;

	memset(&who, 0, sizeof(who));
	if ((exit_code = acmb_cli_start(ACMB_CLI_WHOAMI, argc, argv, &args, whoami_usage)) >= 0)
		goto out;
	/* A bad --query is refused before anything is sent. */
	if ((exit_code = acmb_cli_output_prepare(&args.out, ACMB_OUTPUT_JSON, 0, NULL)) != 0)
		goto out;
	if (args.external_id != NULL && args.role_arn == NULL) {
		acmb_error(&err, ACMB_E_USAGE, "--external-id goes with --role-arn");
		goto fail;
	}
	args.aws.debug |= acmb_cli_debug;
	if (args.aws.debug)
		acmb_ctx_set_aws_debug(acmb_cli_ctx, acmb_cli_aws_debug, NULL);
	/* A named --profile is the key's profile: resolved as the CLI does
	 * with --profile (the environment's keys do not count). */
	key.profile = args.aws.profile;
	key.role_arn = args.role_arn;
	key.external_id = args.external_id;
	/* The run's context: its identities, cancel flag and clock. Here
	 * --endpoint-url is STS's, not ACM's. */
	if (acmb_ctx_set_aws_options(acmb_cli_ctx, &args.aws, &err) != ACMB_OK ||
	    acmb_ctx_set_endpoint(acmb_cli_ctx, &acmb_aws_service_acm, NULL, &err) != ACMB_OK ||
	    acmb_ctx_set_endpoint(
	        acmb_cli_ctx, &acmb_aws_service_sts, args.aws.endpoint_url, &err) != ACMB_OK ||
	    acmb_ctx_aws_config_as(acmb_cli_ctx, &key, &acmb_aws_service_sts, NULL, &cfg, &err) !=
	        ACMB_OK)
		goto fail;
	if (args.aws.no_verify_ssl)
		fprintf(stderr,
		    "acmbridge: warning: --no-verify-ssl: the endpoint's TLS certificate "
		    "is not verified\n");
	if (args.aws.debug)
		fprintf(stderr, "debug: %s\n", acmb_aws_config_describe(cfg, desc, sizeof(desc)));
	acmb_aws_config_transport(cfg, &tr);
	t.endpoint = acmb_aws_config_endpoint(cfg);
	t.region = acmb_aws_config_region(cfg);
	t.transport = &tr;
	if (acmb_aws_sts_get_caller_identity(&t, acmb_aws_config_credentials(cfg), &who, &err) !=
	    ACMB_OK)
		goto fail;
	exit_code = print_identity(&args.out, &who, cfg);
	goto out;
fail:
	exit_code = acmb_cli_fail(&err);
out:
	acmb_ctx_wipe_secrets(acmb_cli_ctx);
	acmb_cli_args_clear(&args);
	return exit_code;
}
