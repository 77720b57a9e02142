#include "cli-pkcs11.h"

#include "cli-options.h"
#include "cli.h"

void
acmb_cli_pkcs11_help(FILE *f, unsigned cmd)
{
	acmb_cli_help_group(f, cmd, ACMB_CLI_GROUP_TOKEN);
}

void
acmb_cli_pkcs11_pin_value_warning(void)
{
	fprintf(stderr,
	    "acmbridge: warning: pin-value in a pkcs11: URI is visible to "
	    "other processes while the command line is read; it was removed from this "
	    "process's arguments, but use pin-source=, --pin-file or --pin-env instead\n");
}

int
acmb_cli_pkcs11_prepare(struct acmb_pkcs11_spec *spec)
{
	acmb_err err = {0, ""};

	if (!acmb_pkcs11_spec_wanted(spec))
		return 0;
	if (acmb_pkcs11_spec_prepare(spec, &err) != ACMB_OK)
		return acmb_cli_fail(&err);
	if (spec->pin_value_seen)
		acmb_cli_pkcs11_pin_value_warning();
	return 0;
}
