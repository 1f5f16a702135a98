/* SPDX-License-Identifier: ISC */
/* jobreq.h - parsing and validating the body of an enqueue request. */
#ifndef JOBQ_JOBREQ_H
#define JOBQ_JOBREQ_H

#include <stddef.h>

#include "jobq_limits.h"

/*
 * An error meant for the client: the HTTP status, a stable machine code
 * such as "invalid_field" (see docs/http-api.md), and a message for
 * humans.  code always points to a string constant.
 */
struct api_error {
	int		 status;
	const char	*code;
	char		 message[256];
};

/*
 * A validated enqueue request.  Every string is NUL-terminated, owned
 * by the struct and freed by jobreq_free().  Optional fields the client
 * left out (or sent as null) are NULL or have their has_ flag clear;
 * the defaults are applied when the job is stored.
 */
struct jobreq {
	char		*kind;		/* always set */
	char		*queue;		/* NULL: JOBQ_DEFAULT_QUEUE */
	char		*args;		/* compact JSON object; NULL: {} */
	char		*run_at;	/* RFC 3339; PostgreSQL parses it */
	char		*unique_key;	/* NULL: no deduplication */
	int		 has_priority;
	int		 priority;
	int		 has_max_attempts;
	int		 max_attempts;
	int		 has_delay;
	int		 delay;		/* seconds; never with run_at */
	int		 has_timeout;
	int		 timeout;	/* seconds */
};

/*
 * Parse and validate len bytes of JSON.  Returns 0 and fills out, or -1
 * and fills err (status 400, or 500 "internal" when memory runs out);
 * out needs jobreq_free() in both cases.  No I/O, no logging.
 */
int	jobreq_parse(const char *body, size_t len, struct jobreq *out,
	    struct api_error *err);

void	jobreq_free(struct jobreq *);

/* The jobs of a POST /jobs/batch body, in the order sent. */
struct jobbatch {
	struct jobreq	*jobs;
	size_t		 n;
};

/*
 * Parse {"jobs": [...]}: 1 to JOBQ_MAX_BATCH objects, each validated as
 * by jobreq_parse() except that unique_key is refused.  The message of
 * an error in one job starts with "jobs[INDEX]: ".  Returns 0 or -1
 * with err filled; out needs jobreq_batch_free() in both cases.
 */
int	jobreq_parse_batch(const char *body, size_t len, struct jobbatch *out,
	    struct api_error *err);

void	jobreq_batch_free(struct jobbatch *);

/* The filter and page of GET /jobs; "" in a string means any. */
struct jobfilter {
	char		 queue[JOBQ_MAX_NAME + 1];
	char		 kind[JOBQ_MAX_NAME + 1];
	char		 state[16];
	long long	 after;		/* ids above this one; 0: from start */
	int		 limit;		/* 1 to JOBQ_LIST_MAX */
};

/*
 * Parse a QUERY_STRING (percent-encoded, "&"-separated) of queue,
 * state, kind, limit and after.  Unknown or repeated parameters and bad
 * values are refused.  Returns 0, or -1 with err filled (400).
 */
int	jobreq_parse_filter(const char *query, struct jobfilter *out,
	    struct api_error *err);

/* Whether s names a job state (available, running, ...). */
int	jobreq_valid_state(const char *s);

/* Fill err; returns -1 so callers can "return api_error_set(...)". */
int	api_error_set(struct api_error *err, int status, const char *code,
	    const char *fmt, ...) __attribute__((format(printf, 4, 5)));

/* Whether s is a valid kind or queue name (see JOBQ_MAX_NAME). */
int	jobreq_valid_name(const char *s);

/* Whether s has the shape of an RFC 3339 date-time with an offset. */
int	jobreq_valid_rfc3339(const char *s);

#endif
