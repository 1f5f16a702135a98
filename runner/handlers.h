/* SPDX-License-Identifier: ISC */
/* handlers.h - what a worker child does with a job: built-ins and exec. */
#ifndef JOBQ_HANDLERS_H
#define JOBQ_HANDLERS_H

#include <stddef.h>
#include <jansson.h>

/* A job as the parent hands it over; the strings belong to the message. */
struct job {
	long long	 id;
	const char	*kind;
	const char	*queue;
	int		 attempt;
	int		 timeout;	/* seconds, already resolved */
	json_t		*args;
	json_t		*exec;		/* argv array for exec kinds, or NULL */
};

/*
 * An attempt's outcome.  ok: result (owned, may be NULL for null);
 * otherwise error (owned, valid UTF-8) and discard (no retry).
 */
struct outcome {
	int		 ok;
	json_t		*result;
	char		*error;
	int		 discard;
};

/* Run the handler for job's kind; always fills out.  Child only. */
void	 handler_run(const struct job *, struct outcome *out);

void	 outcome_clear(struct outcome *);

/*
 * Copy len bytes of s into a new NUL-terminated string that is valid
 * UTF-8 without NUL bytes (so PostgreSQL's text and jsonb accept it):
 * each byte of a bad sequence and each NUL becomes U+FFFD.  Returns
 * NULL when out of memory.
 */
char	*utf8_clean(const char *s, size_t len);

#endif
