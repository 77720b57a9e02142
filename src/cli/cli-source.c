#include "cli-source.h"

#include <string.h>

#include "cli-input.h"
#include "cli-pkcs11.h"
#include "cli.h"

const char acmb_cli_source_p11_help[] =
    "Token options (when --certificate is a pkcs11: URI, RFC 7512):\n";

static const struct {
	const char *name;
	int opt;
} p11_options[] = {
    {"--module", ACMB_OPT_P11_MODULE},
    {"--pin-file", ACMB_OPT_P11_PIN_FILE},
    {"--pin-env", ACMB_OPT_P11_PIN_ENV},
    {"--wrapping-key", ACMB_OPT_P11_WRAPPING_KEY},
    {"--export-policy", ACMB_OPT_P11_EXPORT_POLICY},
    {"--audit-log", ACMB_OPT_P11_AUDIT_LOG},
};

static int
p11_option(const char *opt)
{
	size_t i;

	for (i = 0; i < sizeof(p11_options) / sizeof(p11_options[0]); i++)
		if (strcmp(opt, p11_options[i].name) == 0)
			return p11_options[i].opt;
	return 0;
}

int
acmb_cli_source_takes_value(const char *opt)
{
	return acmb_cli_input_is_option(opt) || p11_option(opt) != 0;
}

/* A pkcs11: field is given once, like a file field. */
static int
set_uri(char **field, const char *name, char *val)
{
	if (*field != NULL) {
		acmb_cli_usage_error("%s given twice", name);
		return -1;
	}
	*field = val;
	return 1;
}

int
acmb_cli_source_option(const char *opt, char *val, struct acmb_source_spec *s)
{
	int o;

	if ((o = p11_option(opt)) != 0)
		return acmb_cli_pkcs11_option(o, val, &s->p11) == 1 ? 1 : -1;
	if (val != NULL && acmb_source_is_pkcs11(val)) {
		if (strcmp(opt, "--certificate") == 0)
			return set_uri(&s->p11.certificate, opt, val);
		if (strcmp(opt, "--private-key") == 0)
			return set_uri(&s->p11.private_key, opt, val);
		if (strcmp(opt, "--certificate-chain") == 0)
			return set_uri(&s->p11.certificate_chain, opt, val);
	}
	return acmb_cli_input_option(opt, val, &s->files);
}

int
acmb_cli_source_prepare(struct acmb_source_spec *s)
{
	if (!acmb_pkcs11_spec_wanted(&s->p11))
		return 0;
	return acmb_cli_pkcs11_prepare(&s->p11);
}
