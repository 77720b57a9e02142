/*
 * acmbridge import: check the material against every ACM rule, then import
 * it (or reimport it, keeping the ARN), apply tag changes, and verify what
 * ACM stored. Options and output follow `aws acm import-certificate`.
 */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <jansson.h>
#include <openssl/evp.h>

#include "acm/acm-api.h"
#include "acm/aws-config.h"
#include "bridge/check.h"
#include "cli-aws.h"
#include "cli-global.h"
#include "cli-input.h"
#include "cli-output.h"
#include "cli-pkcs11.h"
#include "cli-source.h"
#include "cli-tags.h"
#include "cli.h"
#include "bridge/import.h"
#include "init.h"
#include "input.h"
#include "secmem.h"
#include "yaml-input.h"
#include "zalloc.h"

/* --cli-input-json holds at most a certificate, a 2 MiB chain and a key,
 * base64-encoded, plus tags. */
#define CLI_INPUT_JSON_MAX ((size_t)4 << 20)

/* Prints one usage line and evaluates to -1, the parsers' failure value. */
#define USAGE_FAIL(...) (acmb_cli_usage_error(__VA_ARGS__), -1)

struct import_cli {
	struct acmb_source_spec src;
	struct acmb_aws_options aws;
	char account[16]; /* from --certificate-arn, for the export policy */
	struct acmb_import_opts opts;
	struct acmb_cli_tags tags;
	json_t *input_json; /* --cli-input-json (or --cli-input-yaml) document */
	const char *input_json_arg;
	const char *input_yaml_arg; /* --cli-input-yaml */
	const char *skeleton;       /* --generate-cli-skeleton value, or NULL */
	struct acmb_cli_output out; /* --query, --output, --color */
	struct acmb_cli_global g;   /* --no-sign-request, --cli-binary-format, ... */
	char *prompted[2];          /* --cli-auto-prompt answers (certificate, key) */
};

static void
import_usage(FILE *f)
{
	fprintf(f,
	    "usage: acmbridge import --certificate SRC --private-key SRC\n"
	    "           [--certificate-chain SRC] [--certificate-arn ARN]\n"
	    "           [--tags Key=K,Value=V ...] [--dry-run] [--query EXPRESSION]\n"
	    "           [--output json|text|table|yaml|yaml-stream] [--color on|off|auto]\n"
	    "           [AWS options]\n"
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
	    "Options:\n%s"
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
	    "  --dry-run                  check, read what ACM holds, and print the plan\n"
	    "                             (import or reimport of ARN, chain, tag changes);\n"
	    "                             nothing is written\n"
	    "%s"
	    "                             The result is {\"CertificateArn\": \"...\"} (a dry\n"
	    "                             run: {\"DryRun\", \"Action\", \"CertificateArn\",\n"
	    "                             \"Sha256\", \"Plan\"}); --output text without --query\n"
	    "                             prints the ARN alone (a dry run: the plan lines)\n"
	    "%s"
	    "  --help                     this text\n\n%s%s\n%s\n"
	    "Reports (reordered chain, tag changes, a recovered lost answer) go to stderr.\n\n%s",
	    ACMB_PROVENANCE_TAG, acmb_cli_input_help, ACMB_PROVENANCE_TAG, acmb_cli_output_help,
	    acmb_cli_global_help, acmb_cli_source_p11_help, acmb_cli_pkcs11_help,
	    acmb_cli_aws_usage, acmb_cli_exit_codes);
}

static int
import_takes_value(const char *opt)
{
	return acmb_cli_source_takes_value(opt) || acmb_cli_aws_option_has_arg(opt) ||
	       strcmp(opt, "--certificate-arn") == 0 || acmb_cli_output_takes_value(opt) ||
	       strcmp(opt, "--cli-input-json") == 0 || strcmp(opt, "--cli-input-yaml") == 0 ||
	       acmb_cli_global_takes_value(opt);
}

/* The AWS CLI's `--generate-cli-skeleton yaml-input` for import-certificate,
 * byte for byte (its uneven blanks before '#' included). */
static const char yaml_skeleton[] =
    "CertificateArn: ''  # The Amazon Resource Name (ARN) of an imported certificate to "
    "replace.\n"
    "Certificate: !!binary '' # [REQUIRED] The certificate to import.\n"
    "PrivateKey: !!binary '' # [REQUIRED] The private key that matches the public key in the "
    "certificate.\n"
    "CertificateChain: !!binary '' # The PEM encoded certificate chain.\n"
    "Tags: # One or more resource tags to associate with the imported certificate.\n"
    "- Key: ''  # [REQUIRED] The key of the tag.\n"
    "  Value: '' # The value of the tag.\n";

static int
print_skeleton(const char *which)
{
	json_t *o;
	char *s;

	if (strcmp(which, "yaml-input") == 0) {
		fputs(yaml_skeleton, stdout);
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

/* Reads the --cli-input-json or --cli-input-yaml document. Inline text may
 * not carry a key: argv is visible to every user of the machine. */
static int
load_input_json(struct import_cli *c, acmb_err *err)
{
	acmb_secbuf *raw = NULL;
	json_error_t jerr;
	int yaml = c->input_yaml_arg != NULL;
	const char *arg = yaml ? c->input_yaml_arg : c->input_json_arg;
	const char *opt = yaml ? "--cli-input-yaml" : "--cli-input-json";
	char source[ACMB_SOURCE_MAX];
	int r = ACMB_E_INTERNAL, inline_text = 0;

	memset(&jerr, 0, sizeof(jerr));
	if (strncmp(arg, "file://", 7) == 0 || strncmp(arg, "fileb://", 8) == 0) {
		if ((r = acmb_input_read(arg, opt, CLI_INPUT_JSON_MAX, &raw, source, sizeof(source),
		         err)) != ACMB_OK)
			goto out;
		if (yaml) {
			if ((r = acmb_yaml_input_to_json(acmb_secbuf_str(raw), acmb_secbuf_len(raw),
			         opt, &c->input_json, err)) != ACMB_OK)
				goto out;
		} else {
			c->input_json =
			    json_loadb(acmb_secbuf_str(raw), acmb_secbuf_len(raw), 0, &jerr);
		}
	} else {
		inline_text = 1;
		if (yaml) {
			if ((r = acmb_yaml_input_to_json(
			         arg, strlen(arg), opt, &c->input_json, err)) != ACMB_OK)
				goto out;
		} else {
			c->input_json = json_loads(arg, 0, &jerr);
		}
	}
	if (inline_text && json_is_object(c->input_json) &&
	    json_object_get(c->input_json, "PrivateKey") != NULL &&
	    !json_is_null(json_object_get(c->input_json, "PrivateKey"))) {
		r = acmb_error(err, ACMB_E_USAGE,
		    "%s: a PrivateKey on the command line is visible to every user (ps); put the "
		    "document in a file and pass file://PATH",
		    opt);
		goto out;
	}
	if (c->input_json == NULL || !json_is_object(c->input_json)) {
		r = acmb_error(err, ACMB_E_USAGE, "%s: not a %s object (%s, line %d)", opt,
		    yaml ? "YAML" : "JSON", c->input_json == NULL ? jerr.text : "wrong type",
		    jerr.line);
		goto out;
	}
	r = ACMB_OK;
out:
	/* A document that is not YAML is a usage error, as one that is not
	 * JSON (ACMB_E_PARSE is for certificates and keys: exit 3). */
	if (r == ACMB_E_PARSE && err != NULL)
		err->rc = r = ACMB_E_USAGE;
	acmb_secbuf_free(raw);
	return r;
}

static const char *
json_field(json_t *doc, const char *name)
{
	json_t *v = json_object_get(doc, name);

	return json_is_string(v) && json_string_length(v) > 0 ? json_string_value(v) : NULL;
}

/*
 * Decodes one material field given in the JSON document: PEM text as the
 * AWS CLI's raw-in-base64-out format has it, or base64 of the file as its
 * default base64 format has it. Decoded bytes of the key live in the
 * secure heap.
 */
static int
decode_json_field(struct acmb_material *m, enum acmb_field f, const char *name, const char *value,
    enum acmb_binary_format binary, acmb_err *err)
{
	acmb_secbuf *bin = NULL;
	unsigned char *dst;
	size_t vlen = strlen(value), pad = 0;
	int n, r = ACMB_E_INTERNAL;

	snprintf(m->info[f].source, sizeof(m->info[f].source), "--cli-input-json %s", name);
	/* PEM text in both formats; other text is base64 (--cli-binary-format
	 * base64) or the bytes themselves (raw-in-base64-out). */
	if (strncmp(value, "-----BEGIN", 10) == 0 || binary == ACMB_BINARY_RAW_IN_BASE64_OUT)
		return acmb_files_decode_field(
		    m, f, (const unsigned char *)value, vlen, NULL, 0, err);
	/* One-shot EVP_DecodeBlock: an EVP_ENCODE_CTX would keep key bytes in a
	 * context that EVP_ENCODE_CTX_free does not cleanse. */
	if (vlen > (size_t)INT_MAX || vlen % 4 != 0) {
		r = acmb_error(err, ACMB_E_USAGE,
		    "--cli-input-json: %s is neither PEM text nor "
		    "base64",
		    name);
		goto out;
	}
	if ((bin = acmb_secbuf_new(vlen)) == NULL ||
	    (dst = acmb_secbuf_reserve(bin, vlen)) == NULL) {
		r = acmb_error(err, ACMB_E_NOMEM, "out of memory");
		goto out;
	}
	if ((n = EVP_DecodeBlock(dst, (const unsigned char *)value, (int)vlen)) < 0) {
		r = acmb_error(err, ACMB_E_USAGE,
		    "--cli-input-json: %s is neither PEM text nor "
		    "base64",
		    name);
		goto out;
	}
	/* EVP_DecodeBlock counts the bytes the '=' padding stands for. */
	while (pad < 2 && vlen > pad && value[vlen - 1 - pad] == '=')
		pad++;
	acmb_secbuf_commit(bin, (size_t)n - pad);
	r = acmb_files_decode_field(m, f, acmb_secbuf_ptr(bin), acmb_secbuf_len(bin), NULL, 0, err);
out:
	acmb_secbuf_free(bin);
	return r;
}

/* Applies the JSON document: ARN and tags unless given as options, and the
 * material, which may come from the document or from options but not both. */
static int
apply_input_json(struct import_cli *c, struct acmb_material **mp, acmb_err *err)
{
	static const struct {
		const char *name;
		enum acmb_field field;
	} fields[] = {
	    {"Certificate", ACMB_FIELD_CERT},
	    {"PrivateKey", ACMB_FIELD_KEY},
	    {"CertificateChain", ACMB_FIELD_CHAIN},
	};
	struct acmb_material *m = NULL;
	const char *v;
	size_t i;
	int r = ACMB_E_INTERNAL, any = 0;

	*mp = NULL;
	if (c->opts.certificate_arn == NULL)
		c->opts.certificate_arn = json_field(c->input_json, "CertificateArn");
	if (c->tags.ntags == 0 && json_object_get(c->input_json, "Tags") != NULL &&
	    acmb_cli_tags_add_json(
	        &c->tags, json_object_get(c->input_json, "Tags"), "--cli-input-json") < 0)
		return acmb_error(err, ACMB_E_USAGE, "--cli-input-json: bad Tags");
	for (i = 0; i < sizeof(fields) / sizeof(fields[0]); i++)
		any |= json_field(c->input_json, fields[i].name) != NULL;
	if (!any)
		return ACMB_OK;
	if (c->src.files.certificate != NULL || c->src.files.private_key != NULL ||
	    c->src.files.certificate_chain != NULL || c->src.files.pkcs12 != NULL ||
	    acmb_pkcs11_spec_wanted(&c->src.p11))
		return acmb_error(err, ACMB_E_USAGE,
		    "give the certificate, key and chain either "
		    "in --cli-input-json or as options, not both");
	if ((m = acmb_material_new()) == NULL)
		return acmb_error(err, ACMB_E_NOMEM, "out of memory");
	for (i = 0; i < sizeof(fields) / sizeof(fields[0]); i++) {
		if ((v = json_field(c->input_json, fields[i].name)) == NULL)
			continue;
		if ((r = decode_json_field(
		         m, fields[i].field, fields[i].name, v, c->g.binary, err)) != ACMB_OK)
			goto out;
	}
	*mp = m;
	m = NULL;
	r = ACMB_OK;
out:
	acmb_material_free(m);
	return r;
}

static int
parse_args(struct import_cli *c, int argc, char **argv)
{
	char opt[64];
	const char *val;
	int i, r;

	for (i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
			import_usage(stdout);
			return 1;
		}
		if (strcmp(argv[i], "--tags") == 0) {
			if (acmb_cli_tags_parse(&c->tags, argc, argv, &i) < 0)
				return -1;
			continue;
		}
		if (strcmp(argv[i], "--generate-cli-skeleton") == 0) {
			c->skeleton = "input";
			if (i + 1 < argc && strncmp(argv[i + 1], "--", 2) != 0)
				c->skeleton = argv[++i];
			continue;
		}
		if (acmb_cli_split_option(
		        argc, argv, &i, import_takes_value, opt, sizeof(opt), &val) < 0)
			return -1;
		if ((r = acmb_cli_source_option(opt, (char *)val, &c->src)) == 0 &&
		    (r = acmb_cli_aws_option(opt, val, &c->aws)) == 0 &&
		    (r = acmb_cli_output_option(&c->out, opt, val)) == 0)
			r = acmb_cli_global_option(&c->g, opt, val);
		if (r < 0)
			return -1;
		if (r > 0)
			continue;
		if (strcmp(opt, "--certificate-arn") == 0) {
			c->opts.certificate_arn = val;
		} else if (strcmp(opt, "--cli-input-json") == 0 ||
		           strcmp(opt, "--cli-input-yaml") == 0) {
			if (c->input_json_arg != NULL || c->input_yaml_arg != NULL)
				return USAGE_FAIL("give one --cli-input-json or --cli-input-yaml");
			if (opt[12] == 'y')
				c->input_yaml_arg = val;
			else
				c->input_json_arg = val;
		} else if (strcmp(opt, "--dry-run") == 0) {
			c->opts.dry_run = 1;
		} else if (strcmp(opt, "--allow-duplicate") == 0) {
			c->opts.allow_duplicate = 1;
		} else if (strcmp(opt, "--no-provenance-tag") == 0) {
			c->opts.no_provenance_tag = 1;
		} else {
			return USAGE_FAIL("import: unknown option '%s' (see acmbridge "
			                  "import --help)",
			    opt);
		}
	}
	return 0;
}

/* --cli-auto-prompt: on a terminal, asks for the required parameters that
 * are missing (the certificate and the key, unless a bundle, a token or an
 * input document gives them). Returns 0 or an exit code. */
static int
prompt_missing(struct import_cli *c)
{
	struct acmb_files_spec *f = &c->src.files;

	if (!c->g.prompt || c->skeleton != NULL || c->input_json_arg != NULL ||
	    c->input_yaml_arg != NULL || f->pkcs12 != NULL || acmb_pkcs11_spec_wanted(&c->src.p11))
		return 0;
	if (f->certificate == NULL) {
		if ((c->prompted[0] = acmb_cli_prompt("--certificate",
		         "PEM or DER file: PATH, fileb://PATH or a pkcs11: URI", 1)) == NULL)
			return acmb_cli_usage_error("import needs --certificate");
		f->certificate = c->prompted[0];
	}
	if (f->private_key == NULL) {
		if ((c->prompted[1] = acmb_cli_prompt("--private-key",
		         "PEM or DER file: PATH, fileb://PATH or a pkcs11: URI", 1)) == NULL)
			return acmb_cli_usage_error("import needs --private-key");
		f->private_key = c->prompted[1];
	}
	return 0;
}

/* What the operator should know whatever the outcome; printed only once the
 * key and the credentials are wiped. */
static void
print_notices(const struct import_cli *c, const struct acmb_rules_report *rep)
{
	if (c->opts.certificate_arn != NULL && c->tags.ntags > 0)
		fprintf(stderr, "acmbridge: ACM refuses tags on a reimport; they are applied "
		                "after it with AddTagsToCertificate\n");
	if (rep != NULL && rep->chain_order_changed)
		fprintf(stderr, "acmbridge: the chain was reordered for ACM (leaf's issuer first, "
		                "root last, duplicates dropped)\n");
}

/* Prints the result as --query and --output say. Returns the exit code. */
static int
print_result(struct import_cli *c, const struct acmb_import_result *res)
{
	json_t *o = NULL, *plan;
	size_t i;
	int rc;

	if (!c->opts.dry_run)
		for (i = 0; i < res->nnotes; i++)
			fprintf(stderr, "acmbridge: %s\n", res->notes[i]);
	if (acmb_cli_output_own_text(&c->out)) {
		if (c->opts.dry_run)
			for (i = 0; i < res->nnotes; i++)
				printf("%s\n", res->notes[i]);
		else
			printf("%s\n", res->arn);
		return ACMB_EXIT_OK;
	}
	if (c->opts.dry_run) {
		plan = json_array();
		for (i = 0; i < res->nnotes; i++)
			json_array_append_new(plan, json_string(res->notes[i]));
		o = json_pack("{s:b, s:s, s:s?, s:s, s:o}", "DryRun", 1, "Action",
		    res->already_present              ? "none"
		    : c->opts.certificate_arn != NULL ? "reimport"
		                                      : "import",
		    "CertificateArn",
		    c->opts.certificate_arn != NULL ? c->opts.certificate_arn : res->arn, "Sha256",
		    res->fingerprint, "Plan", plan);
	} else {
		o = json_pack("{s:s}", "CertificateArn", res->arn);
	}
	if (o == NULL) {
		fprintf(stderr, "acmbridge: out of memory writing the result\n");
		return ACMB_EXIT_FAILURE;
	}
	rc = acmb_cli_output_print(&c->out, o, "ImportCertificate");
	json_decref(o);
	return rc;
}

/* The account of an ARN (arn:PARTITION:acm:REGION:ACCOUNT:...), or "". */
static void
arn_account(const char *arn, char *out, size_t len)
{
	const char *p = arn;
	size_t n;
	int i;

	out[0] = '\0';
	for (i = 0; p != NULL && i < 4; i++)
		if ((p = strchr(p, ':')) != NULL)
			p++;
	if (p == NULL || (n = strcspn(p, ":")) == 0 || n >= len)
		return;
	memcpy(out, p, n);
	out[n] = '\0';
}

static int
resolve_aws(struct import_cli *c, struct acmb_aws_config **cfg, acmb_err *err)
{
	char desc[512];
	int r;

	if ((r = acmb_aws_config_resolve(&c->aws, &acmb_aws_service_acm, cfg, err)) != ACMB_OK)
		return r;
	if (c->aws.no_verify_ssl)
		fprintf(stderr,
		    "acmbridge: warning: --no-verify-ssl: the endpoint's TLS "
		    "certificate is not verified; the private key could go to an impostor\n");
	if (acmb_cli_debug) {
		acmb_aws_config_set_debug(*cfg, acmb_cli_aws_debug, NULL);
		fprintf(stderr, "debug: %s\n", acmb_aws_config_describe(*cfg, desc, sizeof(desc)));
	}
	return ACMB_OK;
}

int
acmb_cli_import(int argc, char **argv)
{
	struct import_cli c;
	struct acmb_material *m = NULL;
	struct acmb_rules_report *rep = NULL;
	struct acmb_aws_config *cfg = NULL;
	struct acmb_audit *audit = NULL;
	struct acmb_import_result res;
	acmb_err err = {0}, aerr = {0};
	size_t i;
	int r, exit_code = ACMB_EXIT_FAILURE;

	memset(&c, 0, sizeof(c));
	memset(&res, 0, sizeof(res));
	acmb_aws_options_init(&c.aws);
	acmb_cli_global_init(&c.g);
	if ((r = parse_args(&c, argc, argv)) != 0) {
		exit_code = r > 0 ? ACMB_EXIT_OK : ACMB_EXIT_USAGE;
		goto out;
	}
	if (c.skeleton != NULL) {
		exit_code = print_skeleton(c.skeleton);
		goto out;
	}
	/* A bad --output or --query is refused before anything is read or
	 * sent. */
	if ((exit_code = acmb_cli_output_prepare(&c.out, ACMB_OUTPUT_JSON, 1, c.aws.profile)) !=
	        0 ||
	    (exit_code = acmb_cli_global_prepare(&c.g, &c.aws)) != 0 ||
	    (exit_code = prompt_missing(&c)) != 0)
		goto out;
	c.src.files.file_base64 = c.g.binary == ACMB_BINARY_BASE64;
	/* pin-value leaves argv before anything else happens. */
	if ((r = acmb_cli_source_prepare(&c.src)) != 0) {
		exit_code = r;
		goto out;
	}
	c.aws.debug = acmb_cli_debug;
	/* AWS first: the environment's secrets move into the secure heap and
	 * leave the environment now, whatever happens next (nothing is sent). */
	if (resolve_aws(&c, &cfg, &err) != ACMB_OK)
		goto fail;
	if (c.input_json_arg != NULL || c.input_yaml_arg != NULL) {
		if (load_input_json(&c, &err) != ACMB_OK ||
		    apply_input_json(&c, &m, &err) != ACMB_OK)
			goto fail;
	}
	c.opts.tags = c.tags.tags;
	c.opts.ntags = c.tags.ntags;
	if (acmb_acm_tags_check(c.tags.tags, c.tags.ntags, &err) != ACMB_OK)
		goto fail;

	/* A token export names its destination (export policy, audit record). */
	if (m == NULL && acmb_pkcs11_spec_wanted(&c.src.p11)) {
		c.src.p11.region = acmb_aws_config_region(cfg);
		if (c.opts.certificate_arn != NULL) {
			arn_account(c.opts.certificate_arn, c.account, sizeof(c.account));
			c.src.p11.account = c.account[0] != '\0' ? c.account : NULL;
		}
	}
	/* Every ACM rule first, offline: on a failure nothing is sent. */
	if (m == NULL) {
		if (acmb_check_source(&c.src, time(NULL), &m, &rep, &audit, &err) != ACMB_OK)
			goto fail;
	} else if ((rep = calloc(1, sizeof(*rep))) == NULL ||
	           acmb_rules_judge(m, time(NULL), rep, &err) != ACMB_OK) {
		if (rep == NULL)
			acmb_error(&err, ACMB_E_NOMEM, "out of memory");
		goto fail;
	}
	if (acmb_interrupted()) {
		acmb_error(&err, ACMB_E_INTERRUPTED,
		    "interrupted by signal %d before anything was "
		    "sent; the key was wiped",
		    acmb_interrupted());
		goto fail;
	}
	if (!rep->ok) {
		acmb_error(&err, ACMB_E_RULE,
		    "the material breaks ACM's import rules; nothing "
		    "was sent (acmbridge check shows every rule)");
		goto fail;
	}
	r = acmb_import(cfg, m, &c.opts, &res, &err);
	/* The credentials' last use: wipe them before anything is printed. */
	acmb_aws_config_free(cfg);
	cfg = NULL;
	if (acmb_cli_debug && !c.opts.dry_run)
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
	acmb_aws_config_free(cfg);
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
	acmb_pkcs11_spec_clear(&c.src.p11);
	acmb_import_result_clear(&res);
	acmb_aws_config_free(cfg);
	acmb_material_free(m);
	free(rep);
	acmb_cli_tags_clear(&c.tags);
	acmb_cli_output_clear(&c.out);
	free(c.prompted[0]);
	free(c.prompted[1]);
	json_decref(c.input_json);
	return exit_code;
}
