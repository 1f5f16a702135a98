/* SPDX-License-Identifier: ISC */
/* store.h - the app's database statements over one persistent connection. */
#ifndef JOBQ_STORE_H
#define JOBQ_STORE_H

#include <stddef.h>

#include "jobq_limits.h"
#include "jobreq.h"

enum store_rc {
	STORE_OK,		/* done */
	STORE_DUPLICATE,	/* an unfinished job holds the unique key */
	STORE_NOT_FOUND,	/* no such job */
	STORE_INVALID,		/* PostgreSQL refused a value (class 22/23) */
	STORE_CONFLICT,		/* a unique key kept changing hands */
	STORE_UNAVAILABLE,	/* no database; the client should retry */
	STORE_ERROR,		/* anything else: a bug of ours */
};

/* A job as the client sees it; json is malloc'd and owned by the caller. */
struct store_job {
	char		*json;
	long long	 id;
	int		 due;	/* run_at has passed: wake the runners */
	char		 queue[JOBQ_MAX_NAME + 1];
};

/* The jobs of one queue in one state (GET /queues, GET /metrics). */
struct store_count {
	char		 queue[JOBQ_MAX_NAME + 1];
	char		 state[16];
	long long	 count;
	long long	 scheduled;	/* of them, with run_at in the future */
	double		 oldest;	/* seconds the oldest due job waited */
	int		 has_oldest;
	int		 paused;	/* the queue is paused */
};

struct store;

/* A store with no connection yet; NULL when out of memory. */
struct store	*store_new(void);
void		 store_free(struct store *);

/*
 * Make sure the connection is usable, reconnecting (and preparing the
 * statements again) when it is not.  STORE_OK or STORE_UNAVAILABLE;
 * err says why.
 */
enum store_rc	 store_ready(struct store *, char *err, size_t errlen);

/*
 * Insert the job in one autocommitted statement.  STORE_OK: committed,
 * job filled.  STORE_DUPLICATE: job is the unfinished job that already
 * holds r->unique_key.  Never retried after an unknown outcome.
 */
enum store_rc	 store_enqueue(struct store *, const struct jobreq *r,
		    struct store_job *job, char *err, size_t errlen);

/* Look up one job; STORE_NOT_FOUND when there is none. */
enum store_rc	 store_get(struct store *, long long id,
		    struct store_job *job, char *err, size_t errlen);

/* SELECT 1. */
enum store_rc	 store_ping(struct store *, char *err, size_t errlen);

/* Wake the runners listening for queue; its own transaction. */
enum store_rc	 store_wake(struct store *, const char *queue, char *err,
		    size_t errlen);

/*
 * One page of GET /jobs; job->json is {"jobs": [...], "next": ID|null}.
 */
enum store_rc	 store_list(struct store *, const struct jobfilter *f,
		    struct store_job *job, char *err, size_t errlen);

/*
 * jobq.cancel(id): STORE_OK with job->due set when the job is running
 * (only marked), clear when it is now cancelled; STORE_NOT_FOUND when
 * it is absent or finished.
 */
enum store_rc	 store_cancel(struct store *, long long id,
		    struct store_job *job, char *err, size_t errlen);

/*
 * jobq.retry(id): STORE_OK, job->due set when it is due now;
 * STORE_NOT_FOUND when it is absent or neither failed nor cancelled;
 * STORE_CONFLICT when another unfinished job holds its unique key.
 */
enum store_rc	 store_retry(struct store *, long long id,
		    struct store_job *job, char *err, size_t errlen);

/* Job counts by queue and state; *rows is malloc'd, *n of them. */
enum store_rc	 store_counts(struct store *, struct store_count **rows,
		    size_t *n, char *err, size_t errlen);

/* Job ids handed out so far, over every process. */
enum store_rc	 store_enqueued(struct store *, long long *total,
		    char *err, size_t errlen);

/*
 * Insert every job of b in one statement.  STORE_OK: *ids is a JSON
 * array of the new ids in b's order, *due the queues with a job due
 * now, one per line ("" for none); the caller frees both.
 */
enum store_rc	 store_batch(struct store *, const struct jobbatch *b,
		    char **ids, char **due, char *err, size_t errlen);

#endif
