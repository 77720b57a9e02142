#include "cli-pkcs11.h"

#include <stdio.h>
#include <string.h>

#include "cli.h"

const char acmb_cli_pkcs11_help[] =
    "  --module PATH         PKCS#11 module to load (default: p11-kit's registered modules)\n"
    "  --pin-file PATH       read the token PIN from the first line of PATH\n"
    "  --pin-env VAR         read the token PIN from VAR (wiped and unset once read)\n"
    "  --wrapping-key URI    trusted key (CKA_TRUSTED) for CKA_WRAP_WITH_TRUSTED keys\n"
    "  --export-policy PATH  JSON policy restricting which keys may be exported where\n"
    "  --audit-log PATH      where export records go, or 'syslog'\n"
    "                        (default $XDG_STATE_HOME/acmbridge/audit.log)\n";

static int
once(const void *cur, const char *name)
{
	if (cur != NULL)
		return acmb_cli_usage_error("%s given twice", name);
	return 0;
}

int
acmb_cli_pkcs11_option(int opt, char *arg, struct acmb_pkcs11_spec *spec)
{
	int rc;

	switch (opt) {
	case ACMB_OPT_P11_MODULE:
		if ((rc = once(spec->module, "--module")) != 0)
			return rc;
		spec->module = arg;
		return 1;
	case ACMB_OPT_P11_PIN_FILE:
		if ((rc = once(spec->pin.pin_file, "--pin-file")) != 0)
			return rc;
		spec->pin.pin_file = arg;
		return 1;
	case ACMB_OPT_P11_PIN_ENV:
		if ((rc = once(spec->pin.pin_env, "--pin-env")) != 0)
			return rc;
		if (arg[0] == '\0' || strchr(arg, '=') != NULL)
			return acmb_cli_usage_error("--pin-env takes a variable name, not a value");
		spec->pin.pin_env = arg;
		return 1;
	case ACMB_OPT_P11_WRAPPING_KEY:
		if ((rc = once(spec->wrapping_key, "--wrapping-key")) != 0)
			return rc;
		spec->wrapping_key = arg;
		return 1;
	case ACMB_OPT_P11_EXPORT_POLICY:
		if ((rc = once(spec->export_policy, "--export-policy")) != 0)
			return rc;
		spec->export_policy = arg;
		return 1;
	case ACMB_OPT_P11_AUDIT_LOG:
		if ((rc = once(spec->audit_log, "--audit-log")) != 0)
			return rc;
		spec->audit_log = arg;
		return 1;
	}
	return 0;
}

int
acmb_cli_pkcs11_prepare(struct acmb_pkcs11_spec *spec)
{
	acmb_err err = {0, ""};

	if (acmb_pkcs11_spec_prepare(spec, &err) != ACMB_OK)
		return acmb_cli_fail(&err);
	if (spec->pin_value_seen)
		fprintf(stderr,
		    "acmbridge: warning: pin-value in a pkcs11: URI is visible to "
		    "other processes while the command line is read; it was removed from this "
		    "process's arguments, but use pin-source=, --pin-file or --pin-env instead\n");
	return 0;
}
