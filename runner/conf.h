/* SPDX-License-Identifier: ISC */
/* conf.h - the runner's INI configuration file and its kinds. */
#ifndef JOBQ_RUNNER_CONFIG_H
#define JOBQ_RUNNER_CONFIG_H

#include <stddef.h>

/* A [kind.NAME] section: the program that runs jobs of that kind. */
struct kind_cfg {
	char		*name;		/* the NAME of [kind.NAME] */
	char		**argv;		/* exec split on blanks, NULL-ended */
	int		 timeout;	/* seconds; 0 when not set */
	int		 line;		/* where the section starts */
	struct kind_cfg	*next;
};

/*
 * A parsed file.  Fields the file does not set are 0 / NULL, so the
 * caller can tell them from set ones and apply command-line options
 * and defaults on top.
 */
struct config {
	char		*path;
	int		 workers;		/* 0: not set */
	double		 poll_interval;		/* seconds; 0: not set */
	char		*queues;		/* "a,b" unblanked; NULL: all */
	int		 shutdown_timeout;	/* seconds; -1: not set */
	int		 heartbeat_interval;	/* seconds; 0: not set */
	int		 rescue_after;		/* seconds; 0: not set */
	int		 kill_grace;		/* seconds; 0: not set */
	int		 retention;		/* seconds; -1: not set */
	int		 prune_batch;		/* rows; 0: not set */
	struct kind_cfg	*kinds;
};

/*
 * Parse the file at path into a fresh struct.  Returns NULL on failure
 * with "path:line: message" (or "path: message") in err; the caller
 * frees the result with config_free.  path must be a regular file
 * without NUL bytes, read to its end without error.  Programs named by
 * exec must be absolute paths of executable files.
 */
struct config	*config_load(const char *path, char *err, size_t errlen);

/* An empty configuration (nothing set, no kinds); NULL when out of memory. */
struct config	*config_empty(void);

void		 config_free(struct config *);

/* The [kind.NAME] section for name, or NULL. */
const struct kind_cfg *config_kind(const struct config *, const char *name);

/*
 * Value checkers shared with the command line; each returns 0, or -1
 * with a message in err.  Numbers are plain decimal: digits, and for
 * seconds an optional point and more digits (no sign, blank, hex or
 * exponent).
 */
int	config_parse_workers(const char *, int *, char *err, size_t errlen);
int	config_parse_seconds(const char *, double *, char *err, size_t errlen);

/*
 * A comma-separated list of queue names, blanks around each allowed.
 * When out is not NULL it gets the list without the blanks ("a,b"),
 * which the caller frees.
 */
int	config_parse_queues(const char *, char **out, char *err,
	    size_t errlen);

/* A runner id: printable ASCII without blanks, 1 to CONFIG_MAX_ID bytes. */
#define CONFIG_MAX_ID	200
int	config_parse_id(const char *, char *err, size_t errlen);

int	config_parse_int(const char *, const char *name, long min, long max,
	    int *, char *err, size_t errlen);

/*
 * Pruning of finished jobs: retention is how many seconds a finished
 * job is kept (0: keep them all), prune_batch how many rows one DELETE
 * takes at most.
 */
#define CONFIG_RETENTION_S	604800		/* 7 days */
#define CONFIG_MAX_RETENTION_S	315360000	/* 10 years */
#define CONFIG_PRUNE_BATCH	1000
#define CONFIG_MAX_PRUNE_BATCH	100000
int	config_parse_retention(const char *, int *, char *err,
	    size_t errlen);

/*
 * Whether a rescue threshold suits a heartbeat interval: a live runner
 * must get at least RESCUE_MIN_BEATS heartbeats in before others may
 * take it for dead.  Returns 0, or -1 with a message in err.
 */
#define RESCUE_MIN_BEATS	3
int	config_check_rescue(int heartbeat, int rescue, char *err,
	    size_t errlen);

#endif
