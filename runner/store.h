/* SPDX-License-Identifier: ISC */
/* store.h - every statement the runner sends to PostgreSQL. */
#ifndef JOBQ_STORE_H
#define JOBQ_STORE_H

#include <stddef.h>
#include <libpq-fe.h>

/*
 * Every function returns >= 0 on success, STORE_ERR when the statement
 * failed, or STORE_OUTAGE when the server is unreachable and the
 * connection must be dropped and made anew; err then holds the reason.
 */
#define STORE_ERR	(-1)
#define STORE_OUTAGE	(-2)

/* Wake-up channel: jobq.wake() and jobq.enqueue() notify it. */
#define STORE_CHANNEL	"jobq_wakeup"

/* Prepare the statements below and LISTEN; once per new connection. */
int	store_setup(PGconn *, char *err, size_t errlen);

/* Insert or refresh this runner's row in jobq.runners. */
int	store_register(PGconn *, const char *id, const char *host, long pid,
	    int workers, char *err, size_t errlen);

/* Bump heartbeat_at; returns 1, or 0 when the row has gone. */
int	store_heartbeat(PGconn *, const char *id, char *err, size_t errlen);

/*
 * Jobs left running under id by an earlier process of the same id go
 * back to available (or failed when no attempts are left), with the
 * reason appended to errors.  Returns how many.
 */
int	store_rescue_own(PGconn *, const char *id, char *err, size_t errlen);

/*
 * Claim up to n due jobs for id in one statement, optionally only from
 * queues (a validated "a,b" list, or NULL).  On success *res holds one
 * row per job: id, kind, queue, attempt, max_attempts, timeout, args;
 * the caller clears it.  Returns the number of rows.
 */
int	store_claim(PGconn *, const char *id, int n, const char *queues,
	    PGresult **res, char *err, size_t errlen);

/*
 * Record finished attempts in one statement.  json is an array of
 * {"id":N, "action":A, "result":J, "error":S, "delay":SECONDS} where A
 * is "complete", "retry" (back to available after delay), "fail" (for
 * good) or "release" (back to available, attempt not counted).  Only
 * rows still running under id change.  Returns how many did.
 */
int	store_finish(PGconn *, const char *id, const char *json, char *err,
	    size_t errlen);

/* Delete this runner's row. */
int	store_deregister(PGconn *, const char *id, char *err, size_t errlen);

#endif
