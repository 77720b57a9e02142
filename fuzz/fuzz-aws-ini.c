/*
 * libFuzzer target for the AWS shared config/credentials reader and the AWS
 * error-code normaliser: both read data from outside (files an operator or
 * another tool wrote, and X-Amzn-ErrorType / __type from the network).
 */
#include <stdint.h>
#include <string.h>

#include "acm/aws-http.h"
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
	acmb_secbuf *text;
	const char *val;
	char code[128], raw[512];
	size_t vlen, i, j;
	int style;

	if (size > ACMB_AWS_INI_MAX_FILE || (text = acmb_secbuf_new(size)) == NULL)
		return 0;
	if (acmb_secbuf_put(text, data, size) != ACMB_OK) {
		acmb_secbuf_free(text);
		return 0;
	}
	for (style = ACMB_AWS_INI_CONFIG; style <= ACMB_AWS_INI_CREDENTIALS; style++) {
		for (i = 0; i < sizeof(profiles) / sizeof(profiles[0]); i++) {
			(void)acmb_aws_ini_has_profile(text, style, profiles[i]);
			for (j = 0; j < sizeof(keys) / sizeof(keys[0]); j++) {
				/* A found value must lie inside the text it came from. */
				if (acmb_aws_ini_get(
				        text, style, profiles[i], keys[j], &val, &vlen) &&
				    (val < acmb_secbuf_str(text) ||
				        val + vlen > acmb_secbuf_str(text) + acmb_secbuf_len(text)))
					__builtin_trap();
			}
		}
	}
	acmb_secbuf_free(text);

	/* The same bytes as a raw __type / X-Amzn-ErrorType value. */
	vlen = size < sizeof(raw) - 1 ? size : sizeof(raw) - 1;
	memcpy(raw, data, vlen);
	raw[vlen] = '\0';
	acmb_aws_error_code_normalize(raw, code, sizeof(code));
	if (strlen(code) >= sizeof(code))
		__builtin_trap();
	return 0;
}
