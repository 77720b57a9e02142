/*
 * Branch-local stand-in for the import command, written on another branch.
 * tests/softhsm/CMakeLists.txt compiles it only while src/bridge/cli-import.c
 * does not exist, so that this branch's CLI links and `acmbridge list`
 * can be tested before the merge; it disappears once the real one lands.
 */
#include "bridge/cli.h"

int
acmb_cli_import(int argc, char **argv)
{
	(void)argc;
	(void)argv;
	return acmb_cli_usage_error("import is not part of this branch yet");
}
