/*
 * libFuzzer target for --cli-input-yaml's reader: arbitrary bytes through
 * the YAML-to-JSON conversion the child process runs (in this process, so
 * that its coverage counts), written to /dev/null. Nothing may crash, hang
 * or leak, whatever libyaml is fed.
 */
#include <fcntl.h>
#include <stdint.h>
#include <stdlib.h>
#include <unistd.h>

#include "yaml-input.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int devnull = -1;

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	devnull = open("/dev/null", O_WRONLY | O_CLOEXEC);
	return devnull < 0;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (acmb_yaml_input_convert((const char *)data, size, devnull) != 0)
		abort(); /* /dev/null takes every write */
	return 0;
}
