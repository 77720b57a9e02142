/*
 * libFuzzer target for pkcs11: URI parsing: the hand-written removal of
 * pin-value from the URI text, then p11-kit's parser. Whatever the input,
 * p11-kit must never hold a pin-value (it keeps it in plain memory and
 * prints it back), and a pin-value that was seen must have been taken.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "init.h"
#include "pkcs11/p11-uri.h"
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
	struct acmb_p11_uri *uri = NULL;
	acmb_err err = {0};
	char *text, *pin;
	int had_pin = 0;

	if (size > ACMB_P11_URI_MAX + 16 || (text = malloc(size + 8)) == NULL)
		return 0;
	/* Mostly pkcs11: URIs, so that the parser gets past the scheme. */
	memcpy(text, "pkcs11:", 7);
	memcpy(text + 7, data, size);
	text[size + 7] = '\0';
	if (acmb_p11_uri_parse(text, &uri, &had_pin, &err) == ACMB_OK) {
		(void)acmb_p11_uri_kit(uri);
		/* p11-kit keeps pin-value in plain memory and prints it back: it
		 * must never have been given one, and a pin-value seen was taken. */
		if (p11_kit_uri_get_pin_value(acmb_p11_uri_kit(uri)) != NULL)
			__builtin_trap();
		pin = acmb_p11_uri_take_pin(uri);
		if (had_pin && pin == NULL)
			__builtin_trap();
		acmb_secstr_free(pin);
	}
	acmb_p11_uri_free(uri);
	free(text);
	return 0;
}
