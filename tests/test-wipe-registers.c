/*
 * The register wipe must not disturb its callers. Its asm statements write
 * every vector register; GCC's interprocedural register allocation
 * (-fipa-ra, on from -O2) trusts their clobber lists and keeps a caller's
 * values in any vector register a list leaves out. Written without the
 * lists, GCC 12 -O2 kept a double in xmm1 across the call to vzeroall and
 * got 0 back.
 *
 * The allocation only happens within one translation unit (or with LTO),
 * so this file compiles src/common/secmem.c into itself, at -O2 in every
 * build type (tests/CMakeLists.txt), and stands in for the library's copy.
 */
#include "common/secmem.c"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

/* noinline: x and y must live in registers across the call. */
__attribute__((noinline)) static double
kept_across_wipe_registers(double x)
{
	double y = x * 3.0;

	acmb_wipe_registers();
	return y + x;
}

__attribute__((noinline)) static double
kept_across_wipe_residue(double x)
{
	double y = x * 5.0;

	acmb_wipe_residue();
	return y - x;
}

static void
test_values_survive_the_wipe(void **state)
{
	volatile double in = 2.5;
	double got;

	(void)state;
	if ((got = kept_across_wipe_registers(in)) != 10.0)
		fail_msg("acmb_wipe_registers: 2.5 * 3 + 2.5 came back as %g", got);
	if ((got = kept_across_wipe_residue(in)) != 10.0)
		fail_msg("acmb_wipe_residue: 2.5 * 5 - 2.5 came back as %g", got);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_values_survive_the_wipe),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
