/*
 * libFuzzer target for import's --cli-input-json (bridge/import-input.c):
 * the document read from a file as `import --cli-input-json file://PATH`
 * reads it, its keys and types checked, then the material decoded from PEM
 * text or base64 (the key through the secure heap). Whatever the input, a
 * document that loads holds only ImportCertificate's keys, and a material
 * is made only when the document names one.
 */
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include <jansson.h>

#include "bridge/import-input.h"
#include "init.h"

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

static int
known(const char *key)
{
	static const char *const keys[] = {
	    "CertificateArn", "Certificate", "PrivateKey", "CertificateChain", "Tags"};
	size_t i;

	for (i = 0; i < sizeof(keys) / sizeof(keys[0]); i++)
		if (strcmp(key, keys[i]) == 0)
			return 1;
	return 0;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct acmb_source_spec src = {0};
	struct acmb_tag_set tags = {0};
	struct acmb_material *m = NULL;
	const char *arn = NULL, *key;
	json_t *doc = NULL, *v;
	acmb_err err = {0};
	char arg[64];
	int fd;

	if (size > ACMB_IMPORT_INPUT_MAX || (fd = memfd_create("cli-input-json", 0)) < 0)
		return 0;
	if (write(fd, data, size) != (ssize_t)size) {
		close(fd);
		return 0;
	}
	snprintf(arg, sizeof(arg), "file:///proc/self/fd/%d", fd);
	if (acmb_import_input_load(arg, &doc, &err) == ACMB_OK) {
		json_object_foreach(doc, key, v)
		{
			if (!known(key))
				__builtin_trap();
		}
		if (acmb_import_input_apply(doc, &src, &arn, &tags, &m, &err) == ACMB_OK &&
		    m != NULL && !m->info[ACMB_FIELD_CERT].present &&
		    !m->info[ACMB_FIELD_KEY].present && !m->info[ACMB_FIELD_CHAIN].present)
			__builtin_trap();
	} else if (doc != NULL) {
		__builtin_trap();
	}
	acmb_material_free(m);
	acmb_tag_set_clear(&tags);
	json_decref(doc);
	close(fd);
	return 0;
}
