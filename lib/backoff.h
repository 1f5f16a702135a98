/* SPDX-License-Identifier: ISC */
/* backoff.h - time: the clock, and how long a failed job waits. */
#ifndef JOBQ_BACKOFF_H
#define JOBQ_BACKOFF_H

#define BACKOFF_CAP_S	3600.0	/* seconds; no retry waits longer */

/*
 * The delay before the attempt after attempt number attempt, without
 * jitter: 2^attempt seconds, at most BACKOFF_CAP_S.  Attempts below 1
 * count as 1.  Never overflows, whatever the argument.
 */
double	backoff_ceiling(int attempt);

/*
 * The delay with "equal jitter" applied: half the ceiling plus a random
 * part of the other half chosen by u in [0, 1), so runners that failed
 * together do not retry together.  The result is > 0 and <= the cap.
 */
double	backoff_jitter(int attempt, double u);

/* backoff_jitter with u drawn from random(3). */
double	backoff_delay(int attempt);

/* Seconds on the monotonic clock, for deadlines and intervals. */
double	now_s(void);

#endif
