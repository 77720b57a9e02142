/*
 * acmbridge issue: a key and CSR made here, a certificate issued by AWS
 * Private CA, then checked and imported into ACM like every other source.
 * Options follow `aws acm-pca issue-certificate` and `aws acm
 * import-certificate`.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "acm/acm-api.h"
#include "acm/aws-config.h"
#include "bridge/csr.h"
#include "bridge/context.h"
#include "bridge/issue.h"
#include "cli-aws.h"
#include "cli-options.h"
#include "cli.h"
#include "input.h"
#include "json-text.h"
#include "secmem.h"
#include "zalloc.h"

#define PASSTHROUGH_MAX ((size_t)64 << 10)

struct issue_cli {
	struct acmb_cli_args args;
	const char *pin_env; /* --pin-env VAR, read once for both logins */
	char *pin;           /* its PIN, secure heap, until acmb_issue() returns */
	char *prompted[2];   /* --cli-auto-prompt's answers (CA ARN, validity) */
};

static void
issue_usage(FILE *f)
{
	fprintf(f,
	    "usage: acmbridge issue --certificate-authority-arn ARN --validity PERIOD\n"
	    "           (--subject \"CN=...,O=...\" | --dns-name NAME) [--dns-name NAME ...]\n"
	    "           [--ip-address IP ...] [--key-algorithm auto|ALG]\n"
	    "           [--signing-algorithm ALG] [--template-arn ARN\n"
	    "           [--api-passthrough JSON|file://PATH]] [--idempotency-token T]\n"
	    "           [--key-store memory|pkcs11:URI [--module PATH]\n"
	    "           [--pin-file PATH | --pin-env VAR]\n"
	    "           [--audit-log PATH] [--export-policy PATH]] [--wait-timeout SECONDS]\n"
	    "           [--resume CERT_ARN]\n"
	    "           [--certificate-arn ARN] [--tags Key=K,Value=V ...] [--dry-run]\n"
	    "           [--query EXPRESSION] [--output json|text|table|yaml|yaml-stream]\n"
	    "           [--pca-endpoint-url URL] [AWS options]\n\n"
	    "Asks AWS Private CA (DescribeCertificateAuthority) which key it takes; the CA\n"
	    "must be ACTIVE. Makes the key in locked memory and a CSR, has the CA issue\n"
	    "the certificate (IssueCertificate, then GetCertificate every second, as the\n"
	    "certificate-issued waiter does), judges it by every ACM import rule and\n"
	    "imports it into ACM (or reimports it into --certificate-arn, keeping the ARN).\n"
	    "The key is wiped as soon as ImportCertificate returns.\n\n"
	    "Options:\n"
	    "  --certificate-authority-arn ARN  the Private CA that issues\n"
	    "  --subject DN               \"CN=www.example.com,O=Example Ltd\" (\\, escapes a\n"
	    "                             comma); default CN=<first --dns-name>\n"
	    "  --dns-name NAME            subjectAltName DNS entry (repeatable)\n"
	    "  --ip-address IP            subjectAltName IP entry (repeatable)\n"
	    "  --key-algorithm ALG        auto (default: the CA's own), RSA_2048, RSA_3072,\n"
	    "                             RSA_4096, EC_prime256v1, EC_secp384r1, EC_secp521r1;\n"
	    "                             the family must be the CA's (rule %s,\n"
	    "                             exit 3, checked before any key is made)\n"
	    "  --signing-algorithm ALG    SHA256WITHRSA ... SHA512WITHECDSA; default the CA's\n"
	    "                             own, and it must fit the CA's key\n"
	    "  --validity PERIOD          90d, 12m, 1y, an end date 2027-06-30[T12:00:00Z]\n"
	    "                             or YYYYMMDDHHMMSS, or @EPOCH (absolute)\n"
	    "  --template-arn ARN         a Private CA certificate template\n"
	    "  --api-passthrough JSON     IssueCertificate's ApiPassthrough (Extensions,\n"
	    "                             Subject), inline or file://PATH; needs an\n"
	    "                             APIPassthrough --template-arn\n"
	    "  --idempotency-token T      default: derived from a SHA-256 of the CSR, so a\n"
	    "                             request resent after a lost answer gets the\n"
	    "                             same certificate\n"
	    "  --key-store memory         where the key is made: memory (locked memory, gone\n"
	    "                             with the process), or pkcs11:token=T;object=LABEL\n"
	    "                             [;id=ID]: a sensitive, extractable key pair on the\n"
	    "                             token, the CSR signed there, the certificate and\n"
	    "                             chain stored next to the key, the key exported\n"
	    "                             (wrapped, audited) for the import\n"
	    "  --module PATH, --pin-file PATH, --audit-log PATH, --export-policy PATH\n"
	    "                             for the token, as `import`\n"
	    "  --pin-env VAR              the token PIN from VAR, wiped and unset once read;\n"
	    "                             the PIN is held in locked memory for the token's\n"
	    "                             two logins (key pair, then the audited export) and\n"
	    "                             wiped before anything is printed (no prompt: the\n"
	    "                             PIN comes from --pin-file, --pin-env or the URI)\n"
	    "  --wait-timeout SECONDS     GetCertificate polls, 1 s apart (default %ld)\n"
	    "  --resume CERT_ARN          finish an interrupted or timed-out issue with the\n"
	    "                             key the first run made on the token (memory keys\n"
	    "                             cannot be resumed)\n"
	    "  --certificate-arn ARN      reimport into this ACM ARN, keeping it\n"
	    "  --tags TAG ...             Key=K,Value=V (one or more) or JSON\n"
	    "  --no-provenance-tag        do not add the %s tag\n"
	    "  --dry-run                  ask the CA and make the CSR, issue nothing\n"
	    "  --output json|text|table|yaml|yaml-stream  json (default, else\n"
	    "                             AWS_DEFAULT_OUTPUT, the profile's output):\n"
	    "                             {\"CertificateArn\", \"PrivateCaCertificateArn\", ...};\n"
	    "                             text without --query: the ACM ARN (a dry run: the\n"
	    "                             plan lines); the others as the AWS CLI lays them out\n",
	    ACMB_ISSUE_RULE_ALG_MATCH, ACMB_ISSUE_DEFAULT_WAIT, ACMB_PROVENANCE_TAG);
	acmb_cli_help_group(f, ACMB_CLI_ISSUE, ACMB_CLI_GROUP_OUTPUT);
	fputs("  --cli-auto-prompt, --no-cli-auto-prompt  on a terminal, ask for a missing\n"
	      "                             --certificate-authority-arn and --validity (else\n"
	      "                             AWS_CLI_AUTO_PROMPT, the profile's cli_auto_prompt)\n"
	      "  --pca-endpoint-url URL     Private CA's endpoint (else AWS_ENDPOINT_URL_ACM_PCA,\n"
	      "                             AWS_ENDPOINT_URL); --endpoint-url is ACM's\n"
	      "  --help                     this text\n\n",
	    f);
	acmb_cli_aws_usage(f, ACMB_CLI_ISSUE);
	fprintf(f, "\n%s", acmb_cli_exit_codes);
}

/* --api-passthrough: inline JSON or file://PATH, an object. */
static int
load_passthrough(struct issue_cli *c, acmb_err *err)
{
	acmb_secbuf *raw = NULL;
	json_error_t jerr;
	json_t *doc = NULL;
	const char *arg = c->args.api_passthrough;
	char source[ACMB_SOURCE_MAX];
	int r = ACMB_E_INTERNAL;

	if (strncmp(arg, "file://", 7) == 0) {
		if ((r = acmb_input_read(arg, "--api-passthrough", PASSTHROUGH_MAX, &raw, source,
		         sizeof(source), err)) != ACMB_OK)
			goto out;
		doc = json_loadb(acmb_secbuf_str(raw), acmb_secbuf_len(raw), 0, &jerr);
	} else {
		doc = json_loads(arg, 0, &jerr);
	}
	if (doc == NULL || !json_is_object(doc)) {
		r = acmb_error(err, ACMB_E_USAGE,
		    "--api-passthrough: not a JSON object with "
		    "Extensions and/or Subject (%s)",
		    doc == NULL ? jerr.text : "wrong type");
		goto out;
	}
	c->args.issue.api_passthrough = doc;
	doc = NULL;
	r = ACMB_OK;
out:
	json_decref(doc);
	acmb_secbuf_free(raw);
	return r;
}

/*
 * Two configurations, one per service, from one set of credentials, both the
 * run context's: ACM's is resolved (taking the environment's secrets), the
 * Private CA's copied from it with its own endpoint, so nothing is resolved
 * or fetched twice.
 */
static int
resolve_configs(const struct issue_cli *c, const struct acmb_aws_config **pca,
    const struct acmb_aws_config **acm, acmb_err *err)
{
	int r;

	*pca = *acm = NULL;
	if (acmb_cli_debug)
		acmb_ctx_set_aws_debug(acmb_cli_ctx, acmb_cli_aws_debug, NULL);
	if ((r = acmb_ctx_set_aws_options(acmb_cli_ctx, &c->args.aws, err)) != ACMB_OK ||
	    (r = acmb_ctx_set_endpoint(acmb_cli_ctx, &acmb_aws_service_acm_pca,
	         c->args.pca_endpoint_url, err)) != ACMB_OK ||
	    (r = acmb_aws_config_for(acmb_cli_ctx, &acmb_aws_service_acm, NULL, acm, err)) !=
	        ACMB_OK ||
	    (r = acmb_aws_config_for(acmb_cli_ctx, &acmb_aws_service_acm_pca, NULL, pca, err)) !=
	        ACMB_OK) {
		*pca = *acm = NULL;
		return r;
	}
	return ACMB_OK;
}

/* Prints the result as --query and --output say; without --query, json
 * and text are the forms issue always printed. Returns the exit code. */
static int
print_result(struct issue_cli *c, const struct acmb_issue_result *res)
{
	const struct acmb_issue_opts *o = &c->args.issue;
	struct acmb_cli_output *out = &c->args.out;
	json_t *obj = NULL, *plan;
	char *s;
	size_t i;
	int rc = ACMB_EXIT_OK;

	if (o->import.dry_run) {
		if (acmb_cli_output_own_text(out)) {
			for (i = 0; i < res->nnotes; i++)
				printf("%s\n", res->notes[i]);
			return ACMB_EXIT_OK;
		}
		plan = json_array();
		for (i = 0; i < res->nnotes; i++)
			json_array_append_new(plan, acmb_json_text(res->notes[i]));
		obj = json_pack("{s:b, s:s, s:s, s:s, s:s, s:o}", "DryRun", 1,
		    "CertificateAuthorityStatus", res->ca_status, "KeyAlgorithm",
		    res->key_algorithm, "SigningAlgorithm", res->signing_algorithm,
		    "IdempotencyToken", res->idempotency_token, "Plan", plan);
	} else {
		for (i = 0; i < res->import.nnotes; i++)
			fprintf(stderr, "acmbridge: %s\n", res->import.notes[i]);
		if (acmb_cli_output_own_text(out)) {
			printf("%s\n", res->import.arn);
			return ACMB_EXIT_OK;
		}
		for (i = 0; i < res->nnotes; i++)
			fprintf(stderr, "acmbridge: %s\n", res->notes[i]);
		obj = json_pack("{s:s, s:s, s:s, s:s, s:b, s:i}", "CertificateArn", res->import.arn,
		    "PrivateCaCertificateArn", res->pca_certificate_arn, "KeyAlgorithm",
		    res->key_algorithm, "KeyStore",
		    o->key_store != NULL ? res->key_store : "memory", "StoredOnToken",
		    res->stored_on_token, "GetCertificatePolls", res->polls);
	}
	if (obj == NULL) {
		fprintf(stderr, "acmbridge: out of memory writing the result\n");
		return ACMB_EXIT_FAILURE;
	}
	if (!acmb_cli_output_own_json(out)) {
		rc = acmb_cli_output_print(out, obj, "IssueCertificate");
	} else if ((s = json_dumps(obj, JSON_INDENT(4) | JSON_PRESERVE_ORDER)) != NULL) {
		puts(s);
		acmb_zfree(s);
	}
	json_decref(obj);
	return rc;
}

/* " --opt VALUE" for a shell: VALUE in single quotes unless it is plain. */
static void
print_word(FILE *f, const char *opt, const char *value)
{
	const char *p;

	if (value == NULL)
		return;
	fprintf(f, " %s ", opt);
	if (value[0] != '\0' &&
	    strspn(
	        value, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789/._+-:=@,") ==
	        strlen(value)) {
		fputs(value, f);
		return;
	}
	fputc('\'', f);
	for (p = value; *p != '\0'; p++) {
		if (*p == '\'')
			fputs("'\\''", f);
		else
			fputc(*p, f);
	}
	fputc('\'', f);
}

/* The command that finishes the issue: the same token options (a PIN
 * option names its file or variable, never the PIN), so that the resumed
 * run logs in and exports under the same policy and audit log. */
static void
print_resume_hint(const struct issue_cli *c, const struct acmb_issue_result *res)
{
	const struct acmb_issue_opts *o = &c->args.issue;
	const struct acmb_token_spec *t = &c->args.src.p11.token;

	fprintf(stderr, "acmbridge: Private CA certificate ARN: %s\n", res->pca_certificate_arn);
	if (o->key_store != NULL) {
		fprintf(stderr,
		    "acmbridge: the key stays on the token; finish with:\n"
		    "  acmbridge issue --resume %s --certificate-authority-arn %s --key-store "
		    "'%s'",
		    res->pca_certificate_arn, o->ca_arn, res->key_store);
		print_word(stderr, "--module", t->module);
		print_word(stderr, "--pin-file", t->pin.pin_file);
		print_word(stderr, "--pin-env", c->pin_env);
		print_word(stderr, "--export-policy", t->export_policy);
		print_word(stderr, "--audit-log", t->audit_log);
		fprintf(stderr, " --validity %s --wait-timeout SECONDS\n", o->validity);
		return;
	}
	fprintf(stderr,
	    "acmbridge: the key was made in memory and was wiped with this run, so "
	    "this issue cannot be resumed: run acmbridge issue again with a longer "
	    "--wait-timeout (now %ld s)%s\n",
	    o->wait_timeout,
	    " (a token key store would keep the key for `acmbridge issue --resume CERT_ARN "
	    "--certificate-authority-arn ... --key-store pkcs11:...`)");
}

/* The token key store is logged in once for the run (the context's token
 * cache serves the key pair and the audited export); an environment PIN is
 * read here, held until the credentials are wiped, and there is no prompt. */
static int
prepare_token(struct issue_cli *c, acmb_err *err)
{
	struct acmb_token_spec *t = &c->args.src.p11.token;

	if (c->args.issue.key_store == NULL) {
		if (t->module != NULL || t->pin.pin_file != NULL || t->pin.pin_env != NULL ||
		    t->audit_log != NULL || t->export_policy != NULL)
			return acmb_error(err, ACMB_E_USAGE,
			    "--module, --pin-file, --pin-env, --audit-log and "
			    "--export-policy go with --key-store pkcs11:URI");
		return ACMB_OK;
	}
	t->pin.no_prompt = 1;
	c->args.issue.token = t;
	if (t->pin.pin_env != NULL && t->pin.pin_file != NULL)
		return acmb_error(err, ACMB_E_USAGE, "give --pin-file or --pin-env, not both");
	if (t->pin.pin_env == NULL)
		return ACMB_OK;
	c->pin_env = t->pin.pin_env;
	t->pin.pin_env = NULL;
	if (acmb_p11_pin_from_env(c->pin_env, &c->pin, err) != ACMB_OK)
		return err != NULL ? err->rc : ACMB_E_USAGE;
	t->pin.pin_value = c->pin;
	return ACMB_OK;
}

int
acmb_cli_issue(int argc, char **argv)
{
	struct issue_cli c;
	struct acmb_issue_opts *o = &c.args.issue;
	const struct acmb_aws_config *pca = NULL, *acm = NULL;
	struct acmb_issue_result res;
	acmb_err err = {0};
	size_t i;
	int r, exit_code = ACMB_EXIT_FAILURE;

	memset(&c, 0, sizeof(c));
	memset(&res, 0, sizeof(res));
	if ((exit_code = acmb_cli_start(ACMB_CLI_ISSUE, argc, argv, &c.args, issue_usage)) >= 0)
		goto out;
	/* A bad --output, --query or profile setting is refused before anything
	 * is sent. */
	if ((exit_code = acmb_cli_output_prepare(
	         &c.args.out, ACMB_OUTPUT_JSON, 1, c.args.aws.profile)) != 0 ||
	    (exit_code = acmb_cli_global_prepare(&c.args.g, c.args.aws.profile)) != 0)
		goto out;
	/* --cli-auto-prompt: the two required parameters, when missing. */
	if (c.args.g.prompt && o->ca_arn == NULL && o->resume == NULL &&
	    (c.prompted[0] = acmb_cli_prompt("--certificate-authority-arn",
	         "arn:aws:acm-pca:REGION:ACCOUNT:certificate-authority/ID", 0)) != NULL)
		o->ca_arn = c.prompted[0];
	if (c.args.g.prompt && o->validity == NULL &&
	    (c.prompted[1] = acmb_cli_prompt("--validity", "90d, 12m, 1y or an end date", 0)) !=
	        NULL)
		o->validity = c.prompted[1];
	c.args.aws.debug = acmb_cli_debug;
	o->ctx = acmb_cli_ctx;
	o->import = c.args.import;
	o->import.tags = c.args.tags.tags;
	o->import.ntags = c.args.tags.ntags;
	if (prepare_token(&c, &err) != ACMB_OK) {
		exit_code = acmb_cli_fail(&err);
		goto out;
	}
	if (o->validity == NULL) {
		exit_code = acmb_cli_usage_error("--validity is required (e.g. 90d, 12m, 1y, "
		                                 "2027-06-30)");
		goto out;
	}
	if (c.args.api_passthrough != NULL && load_passthrough(&c, &err) != ACMB_OK) {
		exit_code = acmb_cli_fail(&err);
		goto out;
	}
	if (acmb_acm_tags_check(c.args.tags.tags, c.args.tags.ntags, &err) != ACMB_OK) {
		exit_code = acmb_cli_fail(&err);
		goto out;
	}
	if (resolve_configs(&c, &pca, &acm, &err) != ACMB_OK) {
		exit_code = acmb_cli_fail(&err);
		goto out;
	}
	if (c.args.aws.no_verify_ssl)
		fprintf(stderr,
		    "acmbridge: warning: --no-verify-ssl: the endpoints' TLS "
		    "certificates are not verified; the private key could go to an impostor\n");
	if (acmb_cli_debug) {
		char desc[512];

		fprintf(stderr, "debug: %s\n", acmb_aws_config_describe(pca, desc, sizeof(desc)));
		fprintf(stderr, "debug: %s\n", acmb_aws_config_describe(acm, desc, sizeof(desc)));
	}
	r = acmb_issue(pca, acm, o, &res, &err);
	/* The credentials' and the PIN's last use: wiped before anything is
	 * printed. */
	acmb_ctx_wipe_secrets(acmb_cli_ctx);
	pca = acm = NULL;
	acmb_secstr_free(c.pin);
	c.pin = NULL;
	c.args.src.p11.token.pin.pin_value = NULL;
	if (r != ACMB_OK) {
		acmb_cli_print_failed_rules(res.rules);
		for (i = 0; i < res.import.nnotes; i++)
			fprintf(stderr, "acmbridge: %s\n", res.import.notes[i]);
		exit_code = acmb_cli_fail(&err);
		if (res.interrupted)
			exit_code = 128 + res.interrupted;
		if ((res.timed_out || res.interrupted) && res.pca_certificate_arn != NULL)
			print_resume_hint(&c, &res);
		goto out;
	}
	exit_code = print_result(&c, &res);
out:
	free(c.prompted[0]);
	free(c.prompted[1]);
	acmb_secstr_free(c.pin);
	acmb_issue_result_clear(&res);
	json_decref(o->api_passthrough);
	acmb_cli_args_clear(&c.args);
	return exit_code;
}
