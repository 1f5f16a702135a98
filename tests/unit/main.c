/* SPDX-License-Identifier: ISC */
/* main.c - runs every CUnit suite; exits non-zero when a test fails. */
#include "config.h"

#include <stdio.h>

#include <CUnit/Basic.h>

#include "suites.h"

int
main(void)
{
	int	 (*suites[])(void) = {
		register_log_suite,
		register_jobreq_suite,
		register_backoff_suite,
		register_config_suite,
	};
	unsigned int	 failed;
	size_t		 i;

	if (CU_initialize_registry() != CUE_SUCCESS)
		return 1;
	for (i = 0; i < sizeof(suites) / sizeof(suites[0]); i++)
		if (suites[i]() != 0) {
			fprintf(stderr, "unit_tests: %s\n", CU_get_error_msg());
			CU_cleanup_registry();
			return 1;
		}
	CU_basic_set_mode(CU_BRM_VERBOSE);
	CU_basic_run_tests();
	failed = CU_get_number_of_failures() +
	    CU_get_number_of_tests_failed();
	CU_cleanup_registry();
	return failed == 0 ? 0 : 1;
}
