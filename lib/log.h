/* SPDX-License-Identifier: ISC */
/* log.h - leveled, timestamped logging to stderr for both programs. */
#ifndef JOBQ_LOG_H
#define JOBQ_LOG_H

#include <stddef.h>

enum log_level {
	LOG_LVL_DEBUG,	/* only with -v */
	LOG_LVL_INFO,
	LOG_LVL_WARN,
	LOG_LVL_ERROR,
};

/* prog names the program in every line; verbose enables debug lines. */
void	log_init(const char *prog, int verbose);

/*
 * Set the context shown in every following line, such as "job=42" or
 * "req=7f3a-12"; NULL or "" clears it.  The string is copied.
 */
void	log_set_context(const char *ctx);

void	log_msg(enum log_level, const char *fmt, ...)
	    __attribute__((format(printf, 2, 3)));

#define log_debug(...)	log_msg(LOG_LVL_DEBUG, __VA_ARGS__)
#define log_info(...)	log_msg(LOG_LVL_INFO, __VA_ARGS__)
#define log_warn(...)	log_msg(LOG_LVL_WARN, __VA_ARGS__)
#define log_error(...)	log_msg(LOG_LVL_ERROR, __VA_ARGS__)

/*
 * Copy untrusted bytes into dst (size dstlen, always NUL-terminated) so
 * they cannot forge a log line: printable ASCII is kept, backslash and
 * double quote are escaped, everything else becomes \xNN.  Long input is
 * cut and ends in "...".  Returns dst.
 */
char	*log_escape(char *dst, size_t dstlen, const char *src, size_t srclen);

#endif
