/*
 * libFuzzer target for the reader of STS's XML answers (src/acm/aws-xml.c):
 * the answers come from the network and carry secret keys and tokens.
 */
#include <stdint.h>
#include <string.h>

#include "acm/aws-xml.h"
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
	static const char *const paths[] = {
	    "AssumeRoleResponse/AssumeRoleResult/Credentials/SessionToken",
	    "AssumeRoleResponse/AssumeRoleResult/AssumedRoleUser/Arn", "ErrorResponse/Error/Code",
	    "a", "a/b/c/d/e/f/g/h"};
	acmb_secbuf *text;
	acmb_err err = {0};
	size_t i;

	if (size > ((size_t)64 << 10))
		return 0;
	for (i = 0; i < sizeof(paths) / sizeof(paths[0]); i++) {
		text = NULL;
		if (acmb_aws_xml_text((const char *)data, size, paths[i], &text, &err) == ACMB_OK &&
		    text != NULL) {
			/* Decoding never grows the text past the document, and the
			 * buffer is NUL-terminated at its length. */
			if (acmb_secbuf_len(text) > size ||
			    strlen(acmb_secbuf_str(text)) > acmb_secbuf_len(text))
				__builtin_trap();
		}
		acmb_secbuf_free(text);
	}
	return 0;
}
