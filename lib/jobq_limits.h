/* SPDX-License-Identifier: ISC */
/* jobq_limits.h - every limit and default of jobq in one place. */
#ifndef JOBQ_LIMITS_H
#define JOBQ_LIMITS_H

/* HTTP requests (jobq.fcgi) */
#define JOBQ_MAX_BODY		(1024 * 1024)	/* bytes; JOBQ_MAX_BODY env */
#define JOBQ_MAX_ARGS		(256 * 1024)	/* bytes of args as JSON */
#define JOBQ_MAX_DEPTH		32	/* nesting of objects/arrays in args */
#define JOBQ_MAX_NAME		64	/* bytes in kind and queue */
#define JOBQ_MAX_UNIQUE_KEY	255	/* bytes in unique_key */
#define JOBQ_MIN_PRIORITY	(-1000)
#define JOBQ_MAX_PRIORITY	1000
#define JOBQ_MAX_ATTEMPTS_LIMIT	1000	/* largest max_attempts accepted */
#define JOBQ_MAX_TIMEOUT	(7 * 24 * 3600)	/* seconds, per job */
#define JOBQ_MAX_DELAY		(366 * 24 * 3600) /* seconds */
#define JOBQ_RETRY_AFTER	5	/* seconds, sent with 503 */
#define JOBQ_MAX_BATCH		1000	/* jobs in one POST /jobs/batch */
#define JOBQ_LIST_DEFAULT	100	/* jobs per page of GET /jobs */
#define JOBQ_LIST_MAX		1000	/* largest "limit" of GET /jobs */

/* Jobs */
#define JOBQ_DEFAULT_QUEUE	"default"
#define JOBQ_DEFAULT_MAX_ATTEMPTS 25
#define JOBQ_DEFAULT_TIMEOUT	1800	/* seconds, if kind and job say none */

/* Runner */
#define JOBQ_POLL_INTERVAL_MS	1000	/* --poll-interval */
#define JOBQ_HEARTBEAT_S	5	/* seconds; heartbeat_interval */
#define JOBQ_MAX_HEARTBEAT_S	3600	/* largest heartbeat_interval */
#define JOBQ_RESCUE_AFTER_S	60	/* seconds; rescue_after */
#define JOBQ_MAX_RESCUE_S	86400	/* largest rescue_after */
#define JOBQ_MAX_WORKERS	256	/* --workers upper bound */
#define JOBQ_MAX_RESULT		(1024 * 1024)	/* bytes of stdout kept */
#define JOBQ_MAX_ERROR		(4 * 1024)	/* bytes of stderr tail kept */
#define JOBQ_KILL_GRACE_S	5	/* s, SIGTERM to SIGKILL; kill_grace */
#define JOBQ_MAX_KILL_GRACE_S	600	/* largest kill_grace */

#endif
