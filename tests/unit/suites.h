/* SPDX-License-Identifier: ISC */
/* suites.h - one CUnit suite per module; main.c registers them all. */
#ifndef JOBQ_SUITES_H
#define JOBQ_SUITES_H

/* Each returns 0, or -1 when CUnit could not register the suite. */
int	register_log_suite(void);
int	register_jobreq_suite(void);
int	register_backoff_suite(void);
int	register_config_suite(void);

#endif
