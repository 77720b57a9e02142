/*
 * acmbridge import: check the material against every ACM rule, then import
 * it (or reimport it, keeping the ARN), apply tag changes, and verify what
 * ACM stored. Options and output follow `aws acm import-certificate`.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <jansson.h>

#include "acm/acm-api.h"
#include "acm/aws-arn.h"
#include "acm/aws-config.h"
#include "bridge/check.h"
#include "bridge/context.h"
#include "bridge/import-input.h"
#include "bridge/import.h"
#include "cli-aws.h"
#include "cli-input-yaml.h"
#include "cli-options.h"
#include "cli-pkcs11.h"
#include "cli.h"
#include "json-text.h"
#include "zalloc.h"

struct import_cli {
	struct acmb_cli_args args;
	char account[16];   /* from --certificate-arn, for the export policy */
	json_t *input_json; /* --cli-input-json (or --cli-input-yaml) document */
	char *prompted[2];  /* --cli-auto-prompt's answers (certificate, key) */
};

static void
import_usage(FILE *f)
{
	fprintf(f,
	    "usage: acmbridge import --certificate SRC --private-key SRC\n"
	    "           [--certificate-chain SRC] [--certificate-arn ARN]\n"
	    "           [--tags Key=K,Value=V ...] [--dry-run] [--query EXPRESSION]\n"
	    "           [--output json|text|table|yaml|yaml-stream] [AWS options]\n"
	    "       acmbridge import --pkcs12 PATH --passphrase-file PATH [...]\n"
	    "       acmbridge import --cli-input-json file://PATH [...]\n"
	    "       acmbridge import --cli-input-yaml file://PATH [...]\n"
	    "       acmbridge import --generate-cli-skeleton [input|yaml-input|output]\n\n"
	    "Checks the material against every ACM import rule (as `acmbridge check`;\n"
	    "on a failure nothing is sent and the exit code is 3), then imports it into\n"
	    "ACM. With --certificate-arn it reimports into that ARN, keeping it and the\n"
	    "services attached to it: ACM's reimport rules are judged first against the\n"
	    "certificate ACM holds, and tags are applied after the reimport with\n"
	    "AddTagsToCertificate/RemoveTagsFromCertificate (ACM refuses tags on a\n"
	    "reimport). A new import of a certificate ACM already holds returns that\n"
	    "certificate's ARN, and an import whose answer was lost is looked for before\n"
	    "it is sent again, so no run creates a duplicate; new imports carry the tag\n"
	    "%s=<SHA-256 of the certificate>. Afterwards DescribeCertificate and GetCertificate "
	    "must\n"
	    "show the serial, NotAfter and chain that were sent. The private key is\n"
	    "wiped from memory as soon as ImportCertificate returns.\n\n"
	    "Options:\n",
	    ACMB_PROVENANCE_TAG);
	acmb_cli_help_group(f, ACMB_CLI_IMPORT, ACMB_CLI_GROUP_SOURCE);
	fprintf(f,
	    "                             Each may also be a pkcs11: URI (RFC 7512): the key\n"
	    "                             is exported from the token under its rules and the\n"
	    "                             export policy, and recorded in the audit log\n"
	    "  --certificate-arn ARN      reimport into ARN instead of importing a new one\n"
	    "  --tags TAG ...             Key=K,Value=V (shorthand, one or more) or JSON\n"
	    "                             '[{\"Key\":\"K\",\"Value\":\"V\"}]'\n"
	    "  --no-provenance-tag        do not add the %s tag\n"
	    "  --allow-duplicate          import even when ACM already holds this very\n"
	    "                             certificate (by default its ARN is returned and\n"
	    "                             nothing is sent, so a rerun is safe)\n"
	    "  --cli-input-json file://PATH  options as JSON (--generate-cli-skeleton\n"
	    "                             input); Certificate, PrivateKey and\n"
	    "                             CertificateChain as PEM text or base64 of it.\n"
	    "                             A document with a PrivateKey must come from a\n"
	    "                             file, never from the command line\n"
	    "  --cli-input-yaml file://PATH  the same as YAML (--generate-cli-skeleton\n"
	    "                             yaml-input); !!binary values are base64\n"
	    "  --generate-cli-skeleton [input|yaml-input|output]  print a skeleton and exit\n"
	    "  --cli-binary-format base64|raw-in-base64-out  how file:// text is read:\n"
	    "                             base64 (default, else the profile's\n"
	    "                             cli_binary_format) decodes a file that is all\n"
	    "                             base64 text; PEM text and fileb:// are taken as\n"
	    "                             they are under both\n"
	    "  --cli-auto-prompt, --no-cli-auto-prompt  on a terminal, ask for a missing\n"
	    "                             --certificate and --private-key, TAB completing\n"
	    "                             file names (else AWS_CLI_AUTO_PROMPT, the\n"
	    "                             profile's cli_auto_prompt)\n"
	    "  --dry-run                  check, read what ACM holds, and print the plan\n"
	    "                             (import or reimport of ARN, chain, tag changes);\n"
	    "                             nothing is written\n"
	    "  --output json|text|table|yaml|yaml-stream  json (default, else\n"
	    "                             AWS_DEFAULT_OUTPUT, the profile's output):\n"
	    "                             {\"CertificateArn\": \"...\"} as the AWS CLI prints\n"
	    "                             it (a dry run: {\"DryRun\", \"Action\",\n"
	    "                             \"CertificateArn\", \"Sha256\", \"Plan\"}); text\n"
	    "                             without --query: the ARN alone (a dry run: the plan\n"
	    "                             lines); the others as the AWS CLI lays them out\n",
	    ACMB_PROVENANCE_TAG);
	acmb_cli_help_group(f, ACMB_CLI_IMPORT, ACMB_CLI_GROUP_OUTPUT);
	fputs("  --help                     this text\n\n"
	      "Token options (when --certificate is a pkcs11: URI, RFC 7512):\n",
	    f);
	acmb_cli_pkcs11_help(f, ACMB_CLI_IMPORT);
	fputs("\n", f);
	acmb_cli_aws_usage(f, ACMB_CLI_IMPORT);
	fprintf(f,
	    "\nReports (reordered chain, tag changes, a recovered lost answer) go to stderr.\n\n%s",
	    acmb_cli_exit_codes);
}

static int
print_skeleton(const char *which)
{
	json_t *o;
	char *s;

	if (strcmp(which, "yaml-input") == 0) {
		fputs(acmb_cli_input_yaml_skeleton, stdout);
		return ACMB_EXIT_OK;
	}
	if (strcmp(which, "input") == 0)
		o = json_pack("{s:s, s:n, s:n, s:n, s:[{s:s, s:s}]}", "CertificateArn", "",
		    "Certificate", "PrivateKey", "CertificateChain", "Tags", "Key", "", "Value",
		    "");
	else if (strcmp(which, "output") == 0)
		o = json_pack("{s:s}", "CertificateArn", "CertificateArn");
	else
		return acmb_cli_usage_error("--generate-cli-skeleton takes input, yaml-input or "
		                            "output, not '%s'",
		    which);
	if (o == NULL || (s = json_dumps(o, JSON_INDENT(4) | JSON_PRESERVE_ORDER)) == NULL) {
		json_decref(o);
		return ACMB_EXIT_FAILURE;
	}
	puts(s);
	acmb_zfree(s);
	json_decref(o);
	return ACMB_EXIT_OK;
}

/* What the operator should know whatever the outcome; printed only once the
 * key and the credentials are wiped. */
static void
print_notices(const struct import_cli *c, const struct acmb_rules_report *rep)
{
	if (c->args.import.certificate_arn != NULL && c->args.tags.ntags > 0)
		fprintf(stderr, "acmbridge: ACM refuses tags on a reimport; they are applied "
		                "after it with AddTagsToCertificate\n");
	if (rep != NULL && rep->chain_order_changed)
		fprintf(stderr, "acmbridge: the chain was reordered for ACM (leaf's issuer first, "
		                "root last, duplicates dropped)\n");
}

/* Prints the result as --query and --output say; without --query, json
 * and text are the forms import always printed. Returns the exit code. */
static int
print_result(struct import_cli *c, const struct acmb_import_result *res)
{
	struct acmb_cli_output *out = &c->args.out;
	json_t *o = NULL, *plan;
	char *s;
	size_t i;
	int rc = ACMB_EXIT_OK;

	if (c->args.import.dry_run) {
		if (acmb_cli_output_own_text(out)) {
			for (i = 0; i < res->nnotes; i++)
				printf("%s\n", res->notes[i]);
			return ACMB_EXIT_OK;
		}
		plan = json_array();
		for (i = 0; i < res->nnotes; i++)
			json_array_append_new(plan, acmb_json_text(res->notes[i]));
		o = json_pack("{s:b, s:s, s:s?, s:s, s:o}", "DryRun", 1, "Action",
		    res->already_present                     ? "none"
		    : c->args.import.certificate_arn != NULL ? "reimport"
		                                             : "import",
		    "CertificateArn",
		    c->args.import.certificate_arn != NULL ? c->args.import.certificate_arn
		                                           : res->arn,
		    "Sha256", res->fingerprint, "Plan", plan);
		/* The decision as data, as a saved plan holds it. */
		if (o != NULL && res->plan != NULL)
			json_object_set_new(o, "Item", acmb_plan_item_to_json(res->plan));
	} else {
		for (i = 0; i < res->nnotes; i++)
			fprintf(stderr, "acmbridge: %s\n", res->notes[i]);
		if (acmb_cli_output_own_text(out)) {
			printf("%s\n", res->arn);
			return ACMB_EXIT_OK;
		}
		o = json_pack("{s:s}", "CertificateArn", res->arn);
	}
	if (o == NULL) {
		fprintf(stderr, "acmbridge: out of memory writing the result\n");
		return ACMB_EXIT_FAILURE;
	}
	if (!acmb_cli_output_own_json(out)) {
		rc = acmb_cli_output_print(out, o, "ImportCertificate");
	} else if ((s = json_dumps(o, JSON_INDENT(4) | JSON_PRESERVE_ORDER)) != NULL) {
		puts(s);
		acmb_zfree(s);
	}
	json_decref(o);
	return rc;
}

/* --cli-auto-prompt: on a terminal, asks for the required parameters that
 * are missing (the certificate and the key, unless a bundle, a token URI
 * or an input document gives them). Returns 0, or the exit code. */
static int
prompt_missing(struct import_cli *c)
{
	static const char what[] = "PEM or DER file: PATH, fileb://PATH or a pkcs11: URI";
	struct acmb_source_spec *src = &c->args.src;
	const char **file[2] = {&src->files.certificate, &src->files.private_key};
	char **uri[2] = {&src->p11.certificate, &src->p11.private_key};
	static const char *const names[2] = {"--certificate", "--private-key"};
	size_t i;

	if (!c->args.g.prompt || c->args.cli_input_json != NULL || c->args.cli_input_yaml != NULL ||
	    src->files.pkcs12 != NULL)
		return 0;
	for (i = 0; i < 2; i++) {
		if (*file[i] != NULL || *uri[i] != NULL)
			continue;
		if ((c->prompted[i] = acmb_cli_prompt(names[i], what, 1)) == NULL)
			return acmb_cli_usage_error("import needs %s", names[i]);
		if (acmb_source_is_pkcs11(c->prompted[i]))
			*uri[i] = c->prompted[i];
		else
			*file[i] = c->prompted[i];
	}
	return 0;
}

/* Warnings that are no rule (an unprotected key file), as OpenSSH gives
 * them, before anything is sent. */
static void
print_warnings(const struct acmb_rules_report *rep)
{
	size_t i;

	for (i = 0; rep != NULL && i < rep->nwarnings; i++)
		fprintf(stderr, "acmbridge: warning: %s\n", rep->warnings[i]);
}

/* The run's ACM configuration, resolved once in the context. */
static int
resolve_aws(struct import_cli *c, const struct acmb_aws_config **cfg, acmb_err *err)
{
	char desc[512];
	int r;

	if (acmb_cli_debug)
		acmb_ctx_set_aws_debug(acmb_cli_ctx, acmb_cli_aws_debug, NULL);
	if ((r = acmb_ctx_set_aws_options(acmb_cli_ctx, &c->args.aws, err)) != ACMB_OK ||
	    (r = acmb_aws_config_for(acmb_cli_ctx, &acmb_aws_service_acm, NULL, cfg, err)) !=
	        ACMB_OK)
		return r;
	if (c->args.aws.no_verify_ssl)
		fprintf(stderr,
		    "acmbridge: warning: --no-verify-ssl: the endpoint's TLS "
		    "certificate is not verified; the private key could go to an impostor\n");
	if (acmb_cli_debug)
		fprintf(stderr, "debug: %s\n", acmb_aws_config_describe(*cfg, desc, sizeof(desc)));
	return ACMB_OK;
}

int
acmb_cli_import(int argc, char **argv)
{
	struct import_cli c;
	struct acmb_material *m = NULL;
	struct acmb_rules_report *rep = NULL;
	const struct acmb_aws_config *cfg = NULL;
	struct acmb_audit *audit = NULL;
	struct acmb_import_result res;
	acmb_err err = {0}, aerr = {0};
	size_t i;
	int r, exit_code = ACMB_EXIT_FAILURE;

	memset(&c, 0, sizeof(c));
	memset(&res, 0, sizeof(res));
	if ((exit_code = acmb_cli_start(ACMB_CLI_IMPORT, argc, argv, &c.args, import_usage)) >= 0)
		goto out;
	if (c.args.skeleton != NULL) {
		exit_code = print_skeleton(c.args.skeleton);
		goto out;
	}
	/* A bad --output, --query or profile setting is refused before anything
	 * is read or sent. */
	if ((exit_code = acmb_cli_output_prepare(
	         &c.args.out, ACMB_OUTPUT_JSON, 1, c.args.aws.profile)) != 0 ||
	    (exit_code = acmb_cli_global_prepare(&c.args.g, c.args.aws.profile)) != 0 ||
	    (exit_code = prompt_missing(&c)) != 0)
		goto out;
	c.args.src.files.file_base64 = c.args.g.binary == ACMB_BINARY_BASE64;
	/* pin-value leaves argv before anything else happens. */
	if ((r = acmb_cli_pkcs11_prepare(&c.args.src.p11)) != 0) {
		exit_code = r;
		goto out;
	}
	c.args.aws.debug = acmb_cli_debug;
	/* AWS first: the environment's secrets move into the secure heap and
	 * leave the environment now, whatever happens next (nothing is sent). */
	if (resolve_aws(&c, &cfg, &err) != ACMB_OK)
		goto fail;
	if ((c.args.cli_input_json != NULL &&
	        acmb_import_input_load(c.args.cli_input_json, &c.input_json, &err) != ACMB_OK) ||
	    (c.args.cli_input_yaml != NULL &&
	        acmb_cli_input_yaml_load(c.args.cli_input_yaml, &c.input_json, &err) != ACMB_OK) ||
	    (c.input_json != NULL &&
	        acmb_import_input_apply(c.input_json, &c.args.src, &c.args.import.certificate_arn,
	            &c.args.tags, &m, &err) != ACMB_OK))
		goto fail;
	c.args.import.tags = c.args.tags.tags;
	c.args.import.ntags = c.args.tags.ntags;
	if (acmb_acm_tags_check(c.args.tags.tags, c.args.tags.ntags, &err) != ACMB_OK)
		goto fail;

	/* A token export names its destination (export policy, audit record). */
	c.args.src.p11.ctx = acmb_cli_ctx;
	if (m == NULL && acmb_pkcs11_spec_wanted(&c.args.src.p11)) {
		c.args.src.p11.region = acmb_aws_config_region(cfg);
		if (c.args.import.certificate_arn != NULL) {
			acmb_arn_field(c.args.import.certificate_arn, ACMB_ARN_ACCOUNT, c.account,
			    sizeof(c.account));
			c.args.src.p11.account = c.account[0] != '\0' ? c.account : NULL;
		}
	}
	/* Every ACM rule first, offline: on a failure nothing is sent. */
	if (m == NULL) {
		if (acmb_check_source(
		        &c.args.src, acmb_ctx_now(acmb_cli_ctx), &m, &rep, &audit, &err) != ACMB_OK)
			goto fail;
	} else if ((rep = calloc(1, sizeof(*rep))) == NULL ||
	           acmb_rules_judge(m, acmb_ctx_now(acmb_cli_ctx), rep, &err) != ACMB_OK) {
		if (rep == NULL)
			acmb_error(&err, ACMB_E_NOMEM, "out of memory");
		goto fail;
	}
	print_warnings(rep);
	if (acmb_ctx_cancelled(acmb_cli_ctx)) {
		acmb_error(&err, ACMB_E_INTERRUPTED,
		    "interrupted by signal %d before anything was "
		    "sent; the key was wiped",
		    acmb_ctx_cancelled(acmb_cli_ctx));
		goto fail;
	}
	if (!rep->ok) {
		acmb_error(&err, ACMB_E_RULE,
		    "the material breaks ACM's import rules; nothing "
		    "was sent (acmbridge check shows every rule)");
		goto fail;
	}
	/* Plan from the run's inventory of the region, then apply. */
	c.args.import.ctx = acmb_cli_ctx;
	r = acmb_import(cfg, m, &c.args.import, &res, &err);
	/* The credentials' (and a kept PIN's) last use: wipe them before
	 * anything is printed. */
	acmb_ctx_wipe_secrets(acmb_cli_ctx);
	cfg = NULL;
	if (acmb_cli_debug && !c.args.import.dry_run)
		fprintf(stderr, "debug: key wiped %.6f s after ImportCertificate returned\n",
		    res.wipe_seconds);
	if (r != ACMB_OK)
		goto fail;
	if (audit != NULL && acmb_audit_finish(audit, res.arn, NULL, &aerr) != ACMB_OK)
		fprintf(stderr,
		    "acmbridge: warning: the audit outcome for %s was not written: "
		    "%s\n",
		    res.arn != NULL ? res.arn : "(dry run)", aerr.msg);
	print_notices(&c, rep);
	exit_code = print_result(&c, &res);
	goto out;
fail:
	/* Secrets before words: the credentials and the key are wiped before
	 * anything about the failure is printed. */
	acmb_ctx_wipe_secrets(acmb_cli_ctx);
	cfg = NULL;
	acmb_material_free(m);
	m = NULL;
	print_notices(&c, rep);
	if (rep != NULL && !rep->ok)
		acmb_cli_print_failed_rules(rep);
	for (i = 0; i < res.nnotes; i++)
		fprintf(stderr, "acmbridge: %s\n", res.notes[i]);
	exit_code = acmb_cli_fail(&err);
out:
	/* An export that did not end in an import is recorded with its error. */
	if (audit != NULL && exit_code != ACMB_EXIT_OK &&
	    acmb_audit_finish(audit, NULL, &err, &aerr) != ACMB_OK)
		fprintf(stderr, "acmbridge: warning: the audit outcome was not written: %s\n",
		    aerr.msg);
	acmb_audit_close(audit);
	acmb_import_result_clear(&res);
	acmb_material_free(m);
	free(rep);
	acmb_cli_args_clear(&c.args);
	free(c.prompted[0]);
	free(c.prompted[1]);
	json_decref(c.input_json);
	return exit_code;
}
