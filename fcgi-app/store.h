/* SPDX-License-Identifier: ISC */
/* store.h - the app's database statements over one persistent connection. */
#ifndef JOBQ_STORE_H
#define JOBQ_STORE_H

#include <stddef.h>

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

#endif
