/*
 * libFuzzer target for the sync manifest (src/bridge/manifest.c): arbitrary
 * bytes as a manifest, parsed without touching the file system. Whatever
 * parses must give entries whose every field the format promises (a name,
 * one source, at least one destination).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "bridge/manifest.h"
#include "init.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	acmb_err err = {0};

	(void)argc;
	(void)argv;
	if (acmb_init(NULL, &err) != ACMB_OK)
		abort();
	return 0;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct acmb_manifest *m = NULL;
	acmb_err err = {0};
	size_t i;

	if (acmb_manifest_parse(
	        (const char *)data, size, "fuzz.yaml", "/nonexistent", 0, &m, &err) != ACMB_OK) {
		if (m != NULL || err.msg[0] == '\0')
			abort();
		return 0;
	}
	for (i = 0; i < acmb_manifest_count(m); i++) {
		const struct acmb_manifest_entry *e = acmb_manifest_entry(m, i);

		if (e->name == NULL || e->name[0] == '\0' || e->ndestinations == 0 ||
		    e->destinations[0].region == NULL || e->source < ACMB_MANIFEST_FILES ||
		    e->source > ACMB_MANIFEST_PRIVATE_CA || acmb_manifest_find(m, e->name) != e)
			abort();
	}
	acmb_manifest_free(m);
	return 0;
}
