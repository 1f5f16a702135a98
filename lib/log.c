/* SPDX-License-Identifier: ISC */
/* log.c - one log line per call on stderr: time, program, level, context. */
#include "config.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include "log.h"

static const char	*log_prog = "jobq";
static int		 log_verbose;
static char		 log_ctx[96];

static const char *const log_level_names[] = {
	"debug",	/* LOG_LVL_DEBUG */
	"info",		/* LOG_LVL_INFO */
	"warning",	/* LOG_LVL_WARN */
	"error",	/* LOG_LVL_ERROR */
};

void
log_init(const char *prog, int verbose)
{

	log_prog = prog;
	log_verbose = verbose;
}

void
log_set_context(const char *ctx)
{

	if (ctx == NULL)
		ctx = "";
	snprintf(log_ctx, sizeof(log_ctx), "%s", ctx);
}

/*
 * Format the whole line first and write it with one write(2), so lines
 * from several processes sharing one stderr do not interleave.
 */
void
log_msg(enum log_level level, const char *fmt, ...)
{
	char		 line[2048];
	struct timeval	 tv;
	struct tm	 tm;
	va_list		 ap;
	size_t		 n;
	int		 saved_errno = errno, r;

	if (level == LOG_LVL_DEBUG && !log_verbose)
		return;
	gettimeofday(&tv, NULL);
	gmtime_r(&tv.tv_sec, &tm);
	n = strftime(line, sizeof(line), "%Y-%m-%dT%H:%M:%S", &tm);
	r = snprintf(line + n, sizeof(line) - n, ".%03ldZ %s[%ld] %s: %s%s",
	    (long)tv.tv_usec / 1000, log_prog, (long)getpid(),
	    log_level_names[level], log_ctx, log_ctx[0] ? ": " : "");
	if (r > 0 && (size_t)r < sizeof(line) - n)
		n += r;
	va_start(ap, fmt);
	r = vsnprintf(line + n, sizeof(line) - n - 1, fmt, ap);
	va_end(ap);
	if (r > 0)
		n += (size_t)r < sizeof(line) - n - 1 ?
		    (size_t)r : sizeof(line) - n - 2;
	line[n++] = '\n';
	if (write(STDERR_FILENO, line, n) < 0) {
		/* Nowhere left to report it. */
	}
	errno = saved_errno;
}

char *
log_escape(char *dst, size_t dstlen, const char *src, size_t srclen)
{
	static const char	 hex[] = "0123456789abcdef";
	size_t			 i, o = 0;
	unsigned char		 c;

	if (dstlen < 8) {
		if (dstlen > 0)
			dst[0] = '\0';
		return dst;
	}
	for (i = 0; i < srclen; i++) {
		c = (unsigned char)src[i];
		if (o + 8 >= dstlen) {
			memcpy(dst + o, "...", 3);
			o += 3;
			break;
		}
		if (c == '\\' || c == '"') {
			dst[o++] = '\\';
			dst[o++] = (char)c;
		} else if (c >= 0x20 && c < 0x7f) {
			dst[o++] = (char)c;
		} else {
			dst[o++] = '\\';
			dst[o++] = 'x';
			dst[o++] = hex[c >> 4];
			dst[o++] = hex[c & 0xf];
		}
	}
	dst[o] = '\0';
	return dst;
}
