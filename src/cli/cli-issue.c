/*
 * acmbridge issue: a key and CSR made here, a certificate issued by AWS
 * Private CA, then checked and imported into ACM like every other source.
 * Options follow `aws acm-pca issue-certificate` and `aws acm
 * import-certificate`.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <jansson.h>

#include "acm/acm-api.h"
#include "acm/aws-config.h"
#include "cli-aws.h"
#include "cli-global.h"
#include "cli-output.h"
#include "cli-input.h"
#include "cli.h"
#include "cli-tags.h"
#include "bridge/csr.h"
#include "input.h"
#include "bridge/issue.h"
#include "secmem.h"
#include "zalloc.h"

#define PASSTHROUGH_MAX ((size_t)64 << 10)

#define USAGE_FAIL(...) (acmb_cli_usage_error(__VA_ARGS__), -1)

struct issue_cli {
	struct acmb_issue_opts opts;
	struct acmb_aws_options aws;
	const char *pca_endpoint_url;
	const char *dns[ACMB_CSR_NAMES_MAX];
	const char *ips[ACMB_CSR_NAMES_MAX];
	struct acmb_cli_tags tags;
	const char *passthrough_arg;
	struct acmb_issue_token_spec token;
	const char *pin_env; /* --pin-env VAR, read once for both logins */
	char *pin;           /* its PIN, secure heap, until acmb_issue() returns */
	int token_wanted;
	struct acmb_cli_output out; /* --query, --output, --color */
	struct acmb_cli_global g;   /* --no-sign-request, --cli-auto-prompt, ... */
	char *prompted[2];          /* --cli-auto-prompt answers */
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
	    "           [--query EXPRESSION] [--output FORMAT] [--color on|off|auto]\n"
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
	    "%s"
	    "                             The result is {\"CertificateArn\",\n"
	    "                             \"PrivateCaCertificateArn\", ...}; --output text\n"
	    "                             without --query prints the ACM ARN alone (a dry\n"
	    "                             run: the plan lines)\n"
	    "%s"
	    "  --pca-endpoint-url URL     Private CA's endpoint (else AWS_ENDPOINT_URL_ACM_PCA,\n"
	    "                             AWS_ENDPOINT_URL); --endpoint-url is ACM's\n"
	    "  --help                     this text\n\n%s\n%s",
	    ACMB_ISSUE_RULE_ALG_MATCH, ACMB_ISSUE_DEFAULT_WAIT, ACMB_PROVENANCE_TAG,
	    acmb_cli_output_help, acmb_cli_global_help, acmb_cli_aws_usage, acmb_cli_exit_codes);
}

static int
issue_takes_value(const char *opt)
{
	static const char *const with_value[] = {"--certificate-authority-arn", "--subject",
	    "--dns-name", "--ip-address", "--key-algorithm", "--signing-algorithm", "--validity",
	    "--template-arn", "--api-passthrough", "--idempotency-token", "--key-store",
	    "--wait-timeout", "--resume", "--certificate-arn", "--output", "--pca-endpoint-url",
	    "--query", "--color", "--cli-binary-format", "--module", "--pin-file", "--pin-env",
	    "--audit-log", "--export-policy"};
	size_t i;

	for (i = 0; i < sizeof(with_value) / sizeof(with_value[0]); i++)
		if (strcmp(opt, with_value[i]) == 0)
			return 1;
	return acmb_cli_aws_option_has_arg(opt);
}

static int
parse_wait(const char *val, long *out)
{
	char *end = NULL;
	long n;

	n = strtol(val, &end, 10);
	if (end == val || *end != '\0' || n < 1 || n > ACMB_ISSUE_WAIT_MAX)
		return USAGE_FAIL(
		    "--wait-timeout takes 1 to %ld seconds, not '%s'", ACMB_ISSUE_WAIT_MAX, val);
	*out = n;
	return 0;
}

static int
parse_value_option(struct issue_cli *c, const char *opt, const char *val)
{
	struct acmb_issue_opts *o = &c->opts;
	int k;

	if (strcmp(opt, "--certificate-authority-arn") == 0)
		o->ca_arn = val;
	else if (strcmp(opt, "--subject") == 0)
		o->subject = val;
	else if (strcmp(opt, "--dns-name") == 0 || strcmp(opt, "--ip-address") == 0) {
		if (o->ndns + o->nips >= ACMB_CSR_NAMES_MAX)
			return USAGE_FAIL(
			    "at most %d --dns-name and --ip-address in all", ACMB_CSR_NAMES_MAX);
		if (opt[2] == 'd')
			c->dns[o->ndns++] = val;
		else
			c->ips[o->nips++] = val;
	} else if (strcmp(opt, "--key-algorithm") == 0)
		o->key_algorithm = val;
	else if (strcmp(opt, "--signing-algorithm") == 0)
		o->signing_algorithm = val;
	else if (strcmp(opt, "--validity") == 0)
		o->validity = val;
	else if (strcmp(opt, "--template-arn") == 0)
		o->template_arn = val;
	else if (strcmp(opt, "--api-passthrough") == 0)
		c->passthrough_arg = val;
	else if (strcmp(opt, "--idempotency-token") == 0)
		o->idempotency_token = val;
	else if (strcmp(opt, "--key-store") == 0) {
		if (strcmp(val, "memory") == 0)
			c->token_wanted = 0;
		else if (strncasecmp(val, "pkcs11:", 7) == 0) {
			/* Rewritten in place when it carries a pin-value: argv is ours. */
			c->token.uri = (char *)val;
			c->token_wanted = 1;
		} else
			return USAGE_FAIL(
			    "--key-store takes memory or a pkcs11: URI, not '%s'", val);
	} else if (strcmp(opt, "--module") == 0)
		c->token.module = val;
	else if (strcmp(opt, "--pin-file") == 0)
		c->token.pin.pin_file = val;
	else if (strcmp(opt, "--pin-env") == 0) {
		if (val[0] == '\0' || strchr(val, '=') != NULL)
			return USAGE_FAIL("--pin-env takes a variable name, not a value");
		c->pin_env = val;
	} else if (strcmp(opt, "--audit-log") == 0)
		c->token.audit_log = val;
	else if (strcmp(opt, "--export-policy") == 0)
		c->token.export_policy = val;
	else if (strcmp(opt, "--wait-timeout") == 0)
		return parse_wait(val, &o->wait_timeout);
	else if (strcmp(opt, "--resume") == 0)
		c->opts.resume = val;
	else if (strcmp(opt, "--certificate-arn") == 0)
		o->import.certificate_arn = val;
	else if (strcmp(opt, "--pca-endpoint-url") == 0)
		c->pca_endpoint_url = val;
	else if ((k = acmb_cli_output_option(&c->out, opt, val)) != 0)
		return k > 0 ? 0 : -1;
	else
		return USAGE_FAIL("issue: unknown option '%s' (see acmbridge issue --help)", opt);
	return 0;
}

static int
parse_args(struct issue_cli *c, int argc, char **argv)
{
	char opt[64];
	const char *val;
	int i, r;

	for (i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
			issue_usage(stdout);
			return 1;
		}
		if (strcmp(argv[i], "--tags") == 0) {
			if (acmb_cli_tags_parse(&c->tags, argc, argv, &i) < 0)
				return -1;
			continue;
		}
		if (acmb_cli_split_option(
		        argc, argv, &i, issue_takes_value, opt, sizeof(opt), &val) < 0)
			return -1;
		if ((r = acmb_cli_aws_option(opt, val, &c->aws)) != 0 ||
		    (r = acmb_cli_global_option(&c->g, opt, val)) != 0) {
			if (r < 0)
				return -1;
		} else if (strcmp(opt, "--dry-run") == 0) {
			c->opts.import.dry_run = 1;
		} else if (strcmp(opt, "--no-provenance-tag") == 0) {
			c->opts.import.no_provenance_tag = 1;
		} else if (val == NULL) {
			return USAGE_FAIL(
			    "issue: unknown option '%s' (see acmbridge issue --help)", opt);
		} else if (parse_value_option(c, opt, val) < 0) {
			return -1;
		}
	}
	return 0;
}

/* --api-passthrough: inline JSON or file://PATH, an object. */
static int
load_passthrough(struct issue_cli *c, acmb_err *err)
{
	acmb_secbuf *raw = NULL;
	json_error_t jerr;
	json_t *doc = NULL;
	char source[ACMB_SOURCE_MAX];
	int r = ACMB_E_INTERNAL;

	if (strncmp(c->passthrough_arg, "file://", 7) == 0) {
		if ((r = acmb_input_read(c->passthrough_arg, "--api-passthrough", PASSTHROUGH_MAX,
		         &raw, source, sizeof(source), err)) != ACMB_OK)
			goto out;
		doc = json_loadb(acmb_secbuf_str(raw), acmb_secbuf_len(raw), 0, &jerr);
	} else {
		doc = json_loads(c->passthrough_arg, 0, &jerr);
	}
	if (doc == NULL || !json_is_object(doc)) {
		r = acmb_error(err, ACMB_E_USAGE,
		    "--api-passthrough: not a JSON object with "
		    "Extensions and/or Subject (%s)",
		    doc == NULL ? jerr.text : "wrong type");
		goto out;
	}
	c->opts.api_passthrough = doc;
	doc = NULL;
	r = ACMB_OK;
out:
	json_decref(doc);
	acmb_secbuf_free(raw);
	return r;
}

/*
 * Two configurations, one per service, from one set of credentials: ACM's is
 * resolved (taking the environment's secrets), the Private CA's derived from
 * it with its own endpoint, so nothing is resolved or fetched twice.
 */
static int
resolve_configs(const struct issue_cli *c, struct acmb_aws_config **pca,
    struct acmb_aws_config **acm, acmb_err *err)
{
	struct acmb_aws_options popts = c->aws;
	int r = ACMB_E_INTERNAL;

	*pca = *acm = NULL;
	if ((r = acmb_aws_config_resolve(&c->aws, &acmb_aws_service_acm, acm, err)) != ACMB_OK)
		goto out;
	popts.endpoint_url = c->pca_endpoint_url;
	r = acmb_aws_config_derive(*acm, &popts, &acmb_aws_service_acm_pca, pca, err);
out:
	if (r != ACMB_OK) {
		acmb_aws_config_free(*pca);
		acmb_aws_config_free(*acm);
		*pca = *acm = NULL;
	}
	return r;
}

/* Prints the result as --query and --output say. Returns the exit code. */
static int
print_result(struct issue_cli *c, const struct acmb_issue_result *res)
{
	json_t *o = NULL, *plan;
	size_t i;
	int rc;

	if (c->opts.import.dry_run && acmb_cli_output_own_text(&c->out)) {
		for (i = 0; i < res->nnotes; i++)
			printf("%s\n", res->notes[i]);
		return ACMB_EXIT_OK;
	}
	if (c->opts.import.dry_run) {
		plan = json_array();
		for (i = 0; i < res->nnotes; i++)
			json_array_append_new(plan, json_string(res->notes[i]));
		o = json_pack("{s:b, s:s, s:s, s:s, s:s, s:o}", "DryRun", 1,
		    "CertificateAuthorityStatus", res->ca_status, "KeyAlgorithm",
		    res->key_algorithm, "SigningAlgorithm", res->signing_algorithm,
		    "IdempotencyToken", res->idempotency_token, "Plan", plan);
	} else {
		for (i = 0; i < res->import.nnotes; i++)
			fprintf(stderr, "acmbridge: %s\n", res->import.notes[i]);
		if (acmb_cli_output_own_text(&c->out)) {
			printf("%s\n", res->import.arn);
			return ACMB_EXIT_OK;
		}
		for (i = 0; i < res->nnotes; i++)
			fprintf(stderr, "acmbridge: %s\n", res->notes[i]);
		o = json_pack("{s:s, s:s, s:s, s:s, s:b, s:i}", "CertificateArn", res->import.arn,
		    "PrivateCaCertificateArn", res->pca_certificate_arn, "KeyAlgorithm",
		    res->key_algorithm, "KeyStore",
		    c->opts.token != NULL ? res->key_store : "memory", "StoredOnToken",
		    res->stored_on_token, "GetCertificatePolls", res->polls);
	}
	if (o == NULL) {
		fprintf(stderr, "acmbridge: out of memory writing the result\n");
		return ACMB_EXIT_FAILURE;
	}
	rc = acmb_cli_output_print(&c->out, o, "IssueCertificate");
	json_decref(o);
	return rc;
}

static void
print_resume_hint(const struct issue_cli *c, const struct acmb_issue_result *res)
{
	fprintf(stderr, "acmbridge: Private CA certificate ARN: %s\n", res->pca_certificate_arn);
	if (c->opts.token != NULL) {
		fprintf(stderr,
		    "acmbridge: the key stays on the token; finish with:\n"
		    "  acmbridge issue --resume %s --certificate-authority-arn %s --key-store "
		    "'%s'%s%s --validity %s --wait-timeout SECONDS\n",
		    res->pca_certificate_arn, c->opts.ca_arn, res->key_store,
		    c->token.module != NULL ? " --module " : "",
		    c->token.module != NULL ? c->token.module : "", c->opts.validity);
		return;
	}
	fprintf(stderr,
	    "acmbridge: the key was made in memory and was wiped with this run, so "
	    "this issue cannot be resumed: run acmbridge issue again with a longer "
	    "--wait-timeout (now %ld s)%s\n",
	    c->opts.wait_timeout,
	    " (a token key store would keep the key for `acmbridge issue --resume CERT_ARN "
	    "--certificate-authority-arn ... --key-store pkcs11:...`)");
}

int
acmb_cli_issue(int argc, char **argv)
{
	struct issue_cli c;
	struct acmb_aws_config *pca = NULL, *acm = NULL;
	struct acmb_issue_result res;
	acmb_err err = {0};
	size_t i;
	int r, exit_code = ACMB_EXIT_FAILURE;

	memset(&c, 0, sizeof(c));
	memset(&res, 0, sizeof(res));
	acmb_aws_options_init(&c.aws);
	c.opts.wait_timeout = ACMB_ISSUE_DEFAULT_WAIT;
	acmb_cli_global_init(&c.g);
	if ((r = parse_args(&c, argc, argv)) != 0) {
		exit_code = r > 0 ? ACMB_EXIT_OK : ACMB_EXIT_USAGE;
		goto out;
	}
	/* A bad --output or --query is refused before anything is sent. */
	if ((exit_code = acmb_cli_output_prepare(&c.out, ACMB_OUTPUT_JSON, 1, c.aws.profile)) !=
	        0 ||
	    (exit_code = acmb_cli_global_prepare(&c.g, &c.aws)) != 0)
		goto out;
	/* --cli-auto-prompt: the two required parameters, when missing. */
	if (c.g.prompt && c.opts.ca_arn == NULL && c.opts.resume == NULL &&
	    (c.prompted[0] = acmb_cli_prompt("--certificate-authority-arn",
	         "arn:aws:acm-pca:REGION:ACCOUNT:certificate-authority/ID", 0)) != NULL)
		c.opts.ca_arn = c.prompted[0];
	if (c.g.prompt && c.opts.validity == NULL &&
	    (c.prompted[1] = acmb_cli_prompt("--validity", "90d, 12m, 1y or an end date", 0)) !=
	        NULL)
		c.opts.validity = c.prompted[1];
	c.aws.debug = acmb_cli_debug;
	c.opts.dns_names = c.dns;
	c.opts.ip_addresses = c.ips;
	c.opts.import.tags = c.tags.tags;
	c.opts.import.ntags = c.tags.ntags;
	if (c.token_wanted) {
		/* The token is logged in twice (key pair, then the audited export):
		 * a file is read twice, an environment PIN is read once and held,
		 * and there is no prompt. */
		c.token.pin.no_prompt = 1;
		c.opts.token = &c.token;
		if (c.pin_env != NULL && c.token.pin.pin_file != NULL) {
			exit_code = acmb_cli_usage_error("give --pin-file or --pin-env, not both");
			goto out;
		}
		if (c.pin_env != NULL) {
			if (acmb_p11_pin_from_env(c.pin_env, &c.pin, &err) != ACMB_OK) {
				exit_code = acmb_cli_fail(&err);
				goto out;
			}
			c.token.pin.pin_value = c.pin;
		}
	} else if (c.token.module != NULL || c.token.pin.pin_file != NULL || c.pin_env != NULL ||
	           c.token.audit_log != NULL || c.token.export_policy != NULL) {
		exit_code = acmb_cli_usage_error("--module, --pin-file, --pin-env, --audit-log and "
		                                 "--export-policy go with --key-store pkcs11:URI");
		goto out;
	}
	if (c.opts.validity == NULL) {
		exit_code = acmb_cli_usage_error("--validity is required (e.g. 90d, 12m, 1y, "
		                                 "2027-06-30)");
		goto out;
	}
	if (c.passthrough_arg != NULL && load_passthrough(&c, &err) != ACMB_OK) {
		exit_code = acmb_cli_fail(&err);
		goto out;
	}
	if (acmb_acm_tags_check(c.tags.tags, c.tags.ntags, &err) != ACMB_OK) {
		exit_code = acmb_cli_fail(&err);
		goto out;
	}
	if (resolve_configs(&c, &pca, &acm, &err) != ACMB_OK) {
		exit_code = acmb_cli_fail(&err);
		goto out;
	}
	if (c.aws.no_verify_ssl)
		fprintf(stderr,
		    "acmbridge: warning: --no-verify-ssl: the endpoints' TLS "
		    "certificates are not verified; the private key could go to an impostor\n");
	if (acmb_cli_debug) {
		char desc[512];

		acmb_aws_config_set_debug(pca, acmb_cli_aws_debug, NULL);
		acmb_aws_config_set_debug(acm, acmb_cli_aws_debug, NULL);
		fprintf(stderr, "debug: %s\n", acmb_aws_config_describe(pca, desc, sizeof(desc)));
		fprintf(stderr, "debug: %s\n", acmb_aws_config_describe(acm, desc, sizeof(desc)));
	}
	r = acmb_issue(pca, acm, &c.opts, &res, &err);
	/* The credentials' and the PIN's last use: wiped before anything is
	 * printed. */
	acmb_aws_config_free(pca);
	acmb_aws_config_free(acm);
	pca = acm = NULL;
	acmb_secstr_free(c.pin);
	c.pin = NULL;
	c.token.pin.pin_value = NULL;
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
	acmb_cli_output_clear(&c.out);
	free(c.prompted[0]);
	free(c.prompted[1]);
	acmb_secstr_free(c.pin);
	acmb_issue_result_clear(&res);
	acmb_aws_config_free(pca);
	acmb_aws_config_free(acm);
	json_decref(c.opts.api_passthrough);
	acmb_cli_tags_clear(&c.tags);
	return exit_code;
}
