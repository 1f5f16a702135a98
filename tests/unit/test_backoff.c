/* SPDX-License-Identifier: ISC */
/* test_backoff.c - retry delays stay finite, positive and capped. */
#include "config.h"

#include <math.h>

#include <CUnit/CUnit.h>

#include "backoff.h"
#include "suites.h"

/*
 * <limits.h> would find lib/limits.h first (-I lib), so spell the
 * extremes of int out here.
 */
#define INT_TOP		((int)(~0U >> 1))
#define INT_BOTTOM	(-INT_TOP - 1)

static const int	 attempts[] = { 1, 30, 1000, INT_TOP };

static void
check_range(double d)
{

	CU_ASSERT(isfinite(d));
	CU_ASSERT(d > 0.0);
	CU_ASSERT(d <= BACKOFF_CAP_S);
}

static void
test_attempt_values(void)
{
	size_t	 i;

	for (i = 0; i < sizeof(attempts) / sizeof(attempts[0]); i++) {
		check_range(backoff_ceiling(attempts[i]));
		check_range(backoff_jitter(attempts[i], 0.0));
		check_range(backoff_jitter(attempts[i], 0.999999));
		check_range(backoff_delay(attempts[i]));
	}
	CU_ASSERT_DOUBLE_EQUAL(backoff_ceiling(1), 2.0, 1e-9);
	CU_ASSERT_DOUBLE_EQUAL(backoff_ceiling(30), BACKOFF_CAP_S, 1e-9);
	CU_ASSERT_DOUBLE_EQUAL(backoff_ceiling(INT_TOP), BACKOFF_CAP_S, 1e-9);
}

static void
test_nonpositive(void)
{

	/* Attempts below 1 count as the first. */
	CU_ASSERT_DOUBLE_EQUAL(backoff_ceiling(0), backoff_ceiling(1), 1e-9);
	CU_ASSERT_DOUBLE_EQUAL(backoff_ceiling(-5), backoff_ceiling(1), 1e-9);
	CU_ASSERT_DOUBLE_EQUAL(backoff_ceiling(INT_BOTTOM), backoff_ceiling(1),
	    1e-9);
	check_range(backoff_delay(0));
	check_range(backoff_delay(INT_BOTTOM));
}

static void
test_monotonic(void)
{
	double	 prev = 0.0, d;
	int	 a;

	for (a = -3; a <= 100; a++) {
		d = backoff_ceiling(a);
		CU_ASSERT(d >= prev);
		CU_ASSERT(d <= BACKOFF_CAP_S);
		prev = d;
	}
	CU_ASSERT_DOUBLE_EQUAL(prev, BACKOFF_CAP_S, 1e-9);
}

static void
test_jitter_bounds(void)
{
	int	 a;

	/* Equal jitter: between half the ceiling and the ceiling. */
	for (a = 1; a <= 20; a++) {
		CU_ASSERT_DOUBLE_EQUAL(backoff_jitter(a, 0.0),
		    backoff_ceiling(a) / 2.0, 1e-9);
		CU_ASSERT(backoff_jitter(a, 0.5) <= backoff_ceiling(a));
		CU_ASSERT(backoff_delay(a) >= backoff_ceiling(a) / 2.0);
		CU_ASSERT(backoff_delay(a) <= backoff_ceiling(a));
	}
	/* Out-of-range and NaN jitter inputs are clamped, never negative. */
	check_range(backoff_jitter(3, -1.0));
	check_range(backoff_jitter(3, 7.0));
	check_range(backoff_jitter(3, NAN));
}

int
register_backoff_suite(void)
{
	CU_pSuite	 s;

	if ((s = CU_add_suite("backoff", NULL, NULL)) == NULL)
		return -1;
	if (CU_add_test(s, "attempt values", test_attempt_values) == NULL ||
	    CU_add_test(s, "attempts <= 0", test_nonpositive) == NULL ||
	    CU_add_test(s, "monotonic cap", test_monotonic) == NULL ||
	    CU_add_test(s, "jitter bounds", test_jitter_bounds) == NULL)
		return -1;
	return 0;
}
