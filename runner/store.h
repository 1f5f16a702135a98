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

/*
 * Cancel channel: jobq.cancel() notifies it with the id of a running
 * job a client asked to stop (sql/003_roles_api.sql).
 */
#define STORE_CANCEL_CHANNEL	"jobq_cancel"

/*
 * Prepare the statements below and LISTEN on both channels; once per
 * new connection.  *no_cancel is set when the schema has no
 * cancel_requested_at yet (store_cancel_requested cannot be used).
 */
int	store_setup(PGconn *, int *no_cancel, char *err, size_t errlen);

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
 * Rescue the jobs of other runners that look dead (no heartbeat for
 * after seconds, or no row while the job started more than after
 * seconds ago), in one statement: back to available with "runner X
 * lost: ..." appended to errors, or failed when no attempts are left;
 * the dead runners' rows are deleted.  Returns the number of jobs and
 * sets *runners to the number of rows deleted.
 */
int	store_rescue_stale(PGconn *, const char *id, int after, int *runners,
	    char *err, size_t errlen);

/*
 * The ids of id's running jobs with cancel_requested_at set, one row
 * each in *res (the caller clears it).  Returns the number of rows.
 */
int	store_cancel_requested(PGconn *, const char *id, PGresult **res,
	    char *err, size_t errlen);

/*
 * Record outcomes (a JSON array as for store_finish, "[]" for none) and
 * claim up to n due jobs for id, in one statement, optionally only from
 * queues (a validated "a,b" list, or NULL).  On success every outcome is
 * recorded and *res holds one row per job claimed: id, kind, queue,
 * attempt, max_attempts, timeout, args; the caller clears it.  Returns
 * the number of rows; on failure nothing was recorded either.
 */
int	store_claim(PGconn *, const char *id, const char *outcomes, int n,
	    const char *queues, PGresult **res, char *err, size_t errlen);

/*
 * Record finished attempts in one statement.  json is an array of
 * {"id":N, "action":A, "result":J, "error":S, "delay":SECONDS} where A
 * is "complete", "retry" (back to available after delay), "fail" (for
 * good), "cancel" (cancelled, error appended) or "release" (back to
 * available, attempt not counted).  Only
 * rows still running under id change.  Returns how many did.
 */
int	store_finish(PGconn *, const char *id, const char *json, char *err,
	    size_t errlen);

/*
 * Delete up to batch finished jobs (completed, failed, cancelled) whose
 * finished_at is more than retention seconds ago, oldest first, passing
 * over rows another transaction holds.  Returns how many went.
 */
int	store_prune(PGconn *, int retention, int batch, char *err,
	    size_t errlen);

/* Delete this runner's row. */
int	store_deregister(PGconn *, const char *id, char *err, size_t errlen);

#endif
