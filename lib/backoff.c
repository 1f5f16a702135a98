/* SPDX-License-Identifier: ISC */
/* backoff.c - exponential, capped, jittered retry delays. */
#include "config.h"

#include <stdlib.h>

#include <time.h>

#include "backoff.h"

double
backoff_ceiling(int attempt)
{
	double	 d = 1.0;
	int	 i;

	if (attempt < 1)
		attempt = 1;
	/*
	 * Double until the cap is reached rather than computing 2^attempt,
	 * so a huge attempt neither overflows nor loops long (the cap is
	 * passed after a dozen steps).
	 */
	for (i = 0; i < attempt && d < BACKOFF_CAP_S; i++)
		d *= 2.0;
	return d < BACKOFF_CAP_S ? d : BACKOFF_CAP_S;
}

double
backoff_jitter(int attempt, double u)
{
	double	 ceil_s = backoff_ceiling(attempt);

	if (!(u >= 0.0))	/* also catches NaN */
		u = 0.0;
	if (u >= 1.0)
		u = 1.0;
	return ceil_s / 2.0 + u * ceil_s / 2.0;
}

double
backoff_delay(int attempt)
{

	return backoff_jitter(attempt,
	    (double)random() / ((double)RAND_MAX + 1.0));
}

double
now_s(void)
{
	struct timespec	 ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}
