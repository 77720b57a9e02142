/*
 * libFuzzer target for the AWS shared config/credentials parser and the AWS
 * error-code normaliser: both read data from outside (files an operator or
 * another tool wrote, and X-Amzn-ErrorType / __type from the network).
 */
#include <stdint.h>
#include <string.h>

#include "acm/aws-transport.h"
#include "acm/aws-ini.h"
#include "init.h"
#include "secmem.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	acmb_err err = {0};

	(void)argc;
	(void)argv;
	return acmb_init(NULL, &err) == ACMB_OK ? 0 : 1;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *const profiles[] = {"default", "ops", "a b", ""};
	static const char *const keys[] = {
	    "region", "aws_access_key_id", "aws_secret_access_key", "credential_process", ""};
	acmb_aws_ini *ini = NULL;
	acmb_err err = {0};
	const char *val;
	char code[128], raw[512];
	size_t vlen, i, j;
	int style;

	if (size > ACMB_AWS_INI_MAX_FILE)
		return 0;
	if (acmb_aws_ini_parse((const char *)data, size, "fuzz", &ini, &err) == ACMB_OK) {
		for (style = ACMB_AWS_INI_CONFIG; style <= ACMB_AWS_INI_SSO_SESSION; style++) {
			for (i = 0; i < sizeof(profiles) / sizeof(profiles[0]); i++) {
				(void)acmb_aws_ini_has_profile(ini, style, profiles[i]);
				for (j = 0; j < sizeof(keys) / sizeof(keys[0]); j++) {
					/* A found value is a string of the length given. */
					if (acmb_aws_ini_get(
					        ini, style, profiles[i], keys[j], &val, &vlen) &&
					    strlen(val) != vlen)
						__builtin_trap();
				}
			}
		}
	}
	acmb_aws_ini_free(ini);

	/* The same bytes as a raw __type / X-Amzn-ErrorType value. */
	vlen = size < sizeof(raw) - 1 ? size : sizeof(raw) - 1;
	memcpy(raw, data, vlen);
	raw[vlen] = '\0';
	acmb_aws_error_code_normalize(raw, code, sizeof(code));
	if (strlen(code) >= sizeof(code))
		__builtin_trap();
	return 0;
}
