/* SPDX-License-Identifier: ISC */
/* handlers.h - what a worker child does with a job: built-ins and exec. */
#ifndef JOBQ_HANDLERS_H
#define JOBQ_HANDLERS_H

#include <signal.h>
#include <stddef.h>
#include <jansson.h>

/* A job as the parent hands it over; the strings belong to the message. */
struct job {
	long long	 id;
	const char	*kind;
	const char	*queue;
	int		 attempt;
	int		 timeout;	/* seconds, already resolved */
	int		 grace;		/* seconds from SIGTERM to SIGKILL */
	int		 seq;		/* the parent's dispatch number */
	json_t		*args;
	json_t		*exec;		/* argv array for exec kinds, or NULL */
	int		 report_fd;	/* socket to the parent */
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

/*
 * Stop requests, set by the worker's signal handlers (worker.c).  The
 * parent sends SIGUSR1 (cancel: SIGTERM, then SIGKILL after the grace)
 * or SIGUSR2 (abort: SIGKILL now) with sigqueue(3) and the dispatch
 * number of the job it means, so a request that crosses the job's end
 * cannot hit the next job.  handler_pgid is the running program's
 * process group, 0 when none.
 */
#define HANDLER_CANCEL	1
#define HANDLER_ABORT	2
extern volatile sig_atomic_t	handler_seq;	/* of the job running */
extern volatile sig_atomic_t	handler_stop_seq;
extern volatile sig_atomic_t	handler_stop_level;
extern volatile sig_atomic_t	handler_abort_all;	/* parent died */
extern volatile sig_atomic_t	handler_pgid;

/* HANDLER_CANCEL or HANDLER_ABORT when the current job must stop. */
int	 handler_stopping(void);

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

/*
 * Shorten the valid UTF-8 string s in place to at most max bytes,
 * never inside a character: utf8_cut keeps the head, utf8_keep_tail
 * the tail.  Return whether anything was dropped.
 */
int	 utf8_cut(char *s, size_t max);
int	 utf8_keep_tail(char *s, size_t max);

#endif
