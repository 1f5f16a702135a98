/* SPDX-License-Identifier: ISC */
/* supervisor.h - the runner parent's event loop. */
#ifndef JOBQ_SUPERVISOR_H
#define JOBQ_SUPERVISOR_H

#include <stddef.h>

#include "conf.h"

/* What the command line set; each overrides the config file. */
struct sup_options {
	const char	*config_path;	/* NULL: none, nothing to reload */
	int		 workers;	/* resolved: how many to fork */
	int		 workers_cli;	/* workers came from -w */
	double		 poll_interval;	/* seconds; 0: not set */
	const char	*queues;	/* NULL: not set */
	const char	*id;		/* NULL: "host:pid" */
	int		 once;		/* work the due jobs, then stop */
	int		 heartbeat;	/* seconds; 0: not set */
	int		 rescue_after;	/* seconds; 0: not set */
	int		 retention;	/* seconds, when retention_set */
	int		 retention_set;	/* --retention was given */
};

/*
 * Connect, register, fork the workers and serve jobs until SIGTERM or
 * SIGINT (or, with once, until nothing is due).  Takes ownership of
 * cfg.  Returns the exit status: 0, or 1 when the database could not
 * be reached at start or results could not be recorded at the end.
 */
int	supervisor_run(const struct sup_options *, struct config *cfg);

/*
 * The heartbeat interval and rescue threshold in force for opt and
 * cfg: command line, then file, then defaults.  Returns 0, or -1 with
 * a message in err when they do not suit each other.
 */
int	supervisor_timing(const struct sup_options *, const struct config *,
	    int *heartbeat, int *rescue, char *err, size_t errlen);

#endif
