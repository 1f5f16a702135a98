/* SPDX-License-Identifier: ISC */
/* worker.c - a pre-forked child: job in, handler, outcome out, repeat. */
#include "config.h"

#include <sys/prctl.h>
#include <sys/types.h>
#include <sys/uio.h>

#include <errno.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <jansson.h>

#include "handlers.h"
#include "log.h"
#include "worker.h"

const char *
signame(int sig)
{
	static const struct {
		int		 sig;
		const char	*name;
	} names[] = {
		{ SIGHUP, "SIGHUP" }, { SIGINT, "SIGINT" },
		{ SIGQUIT, "SIGQUIT" }, { SIGILL, "SIGILL" },
		{ SIGTRAP, "SIGTRAP" }, { SIGABRT, "SIGABRT" },
		{ SIGBUS, "SIGBUS" }, { SIGFPE, "SIGFPE" },
		{ SIGKILL, "SIGKILL" }, { SIGUSR1, "SIGUSR1" },
		{ SIGSEGV, "SIGSEGV" }, { SIGUSR2, "SIGUSR2" },
		{ SIGPIPE, "SIGPIPE" }, { SIGALRM, "SIGALRM" },
		{ SIGTERM, "SIGTERM" }, { SIGXCPU, "SIGXCPU" },
		{ SIGXFSZ, "SIGXFSZ" }, { SIGSYS, "SIGSYS" },
	};
	static char	 buf[32];
	size_t		 i;

	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (names[i].sig == sig)
			return names[i].name;
	snprintf(buf, sizeof(buf), "signal %d", sig);
	return buf;
}

int
wire_send(int fd, json_t *msg)
{
	unsigned char	 hdr[4];
	struct iovec	 iov[2];
	char		*body;
	size_t		 len, done = 0;
	ssize_t		 n;
	int		 iovcnt = 2;

	if ((body = json_dumps(msg, JSON_COMPACT | JSON_ENCODE_ANY)) == NULL)
		return -1;
	len = strlen(body);
	if (len > WIRE_MAX) {
		free(body);
		errno = EMSGSIZE;
		return -1;
	}
	hdr[0] = (unsigned char)(len >> 24);
	hdr[1] = (unsigned char)(len >> 16);
	hdr[2] = (unsigned char)(len >> 8);
	hdr[3] = (unsigned char)len;
	iov[0].iov_base = hdr;
	iov[0].iov_len = sizeof(hdr);
	iov[1].iov_base = body;
	iov[1].iov_len = len;
	/* One writev in the common case; finish short writes by hand. */
	while (iovcnt > 0) {
		n = writev(fd, iov + 2 - iovcnt, iovcnt);
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1) {
			free(body);
			return -1;
		}
		done += (size_t)n;
		if (done >= sizeof(hdr)) {
			iovcnt = 1;
			iov[1].iov_base = body + (done - sizeof(hdr));
			iov[1].iov_len = len - (done - sizeof(hdr));
			if (iov[1].iov_len == 0)
				iovcnt = 0;
		} else {
			iov[0].iov_base = hdr + done;
			iov[0].iov_len = sizeof(hdr) - done;
		}
	}
	free(body);
	return 0;
}

/* Read exactly len bytes; 1, 0 at EOF before any byte, -1 otherwise. */
static int
read_full(int fd, void *p, size_t len)
{
	size_t	 got = 0;
	ssize_t	 n;

	while (got < len) {
		n = read(fd, (char *)p + got, len - got);
		if (n == -1 && errno == EINTR)
			continue;
		if (n == 0 && got == 0)
			return 0;
		if (n <= 0)
			return -1;
		got += (size_t)n;
	}
	return 1;
}

int
wire_recv(int fd, json_t **msg)
{
	unsigned char	 hdr[4];
	json_error_t	 jerr;
	uint32_t	 len;
	char		*body;
	int		 r;

	*msg = NULL;
	if ((r = read_full(fd, hdr, sizeof(hdr))) != 1)
		return r;
	len = (uint32_t)hdr[0] << 24 | (uint32_t)hdr[1] << 16 |
	    (uint32_t)hdr[2] << 8 | hdr[3];
	if (len == 0 || len > WIRE_MAX || (body = malloc(len)) == NULL)
		return -1;
	if (read_full(fd, body, len) != 1) {
		free(body);
		return -1;
	}
	*msg = json_loadb(body, len, JSON_DECODE_ANY, &jerr);
	free(body);
	return *msg != NULL ? 1 : -1;
}

static pid_t	 worker_parent;

/*
 * SIGUSR1 and SIGUSR2: a stop request.  From the parent they come by
 * sigqueue(3) with the dispatch number of the job meant (handlers.h).
 * SIGUSR2 without a number is the parent-death signal: kill the
 * running program's group and leave.  Only async-signal-safe calls.
 */
static void
on_stop(int sig, siginfo_t *si, void *uc)
{
	int	 level = sig == SIGUSR2 ? HANDLER_ABORT : HANDLER_CANCEL;
	int	 saved = errno;

	(void)uc;
	if (si->si_code != SI_QUEUE) {
		/* The kernel reparents us before it sends the signal. */
		if (sig == SIGUSR2 && getppid() != worker_parent) {
			handler_abort_all = 1;
			if (handler_pgid > 0)
				kill(-handler_pgid, SIGKILL);
			_exit(1);
		}
		errno = saved;
		return;		/* not from our parent: ignore it */
	}
	if (handler_stop_seq != si->si_value.sival_int) {
		handler_stop_level = 0;
		handler_stop_seq = si->si_value.sival_int;
	}
	if (handler_stop_level < level)
		handler_stop_level = level;
	if (handler_stopping() == HANDLER_ABORT && handler_pgid > 0)
		kill(-handler_pgid, SIGKILL);
	errno = saved;
}

static void
stop_signals(void)
{
	struct sigaction	 sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_sigaction = on_stop;
	sa.sa_flags = SA_SIGINFO;	/* no SA_RESTART: wake sleeps */
	sigemptyset(&sa.sa_mask);
	sigaddset(&sa.sa_mask, SIGUSR1);
	sigaddset(&sa.sa_mask, SIGUSR2);
	sigaction(SIGUSR1, &sa, NULL);
	sigaction(SIGUSR2, &sa, NULL);
}

/* Fill job from a parent's message; -1 when a field is missing. */
static int
job_parse(json_t *msg, struct job *job)
{
	json_t	*exec;

	memset(job, 0, sizeof(*job));
	if (json_unpack(msg, "{s:I, s:s, s:s, s:i, s:i, s:o}", "id", &job->id,
	    "kind", &job->kind, "queue", &job->queue, "attempt", &job->attempt,
	    "timeout", &job->timeout, "args", &job->args) == -1)
		return -1;
	exec = json_object_get(msg, "exec");
	job->exec = json_is_array(exec) ? exec : NULL;
	job->grace = (int)json_integer_value(json_object_get(msg, "grace"));
	job->seq = (int)json_integer_value(json_object_get(msg, "seq"));
	if (job->timeout <= 0)
		job->timeout = 1;
	return 0;
}

static json_t *
outcome_msg(const struct job *job, struct outcome *out)
{

	if (out->ok)
		return json_pack("{s:I, s:b, s:O?}", "id", job->id, "ok", 1,
		    "result", out->result);
	return json_pack("{s:I, s:b, s:s, s:b}", "id", job->id, "ok", 0,
	    "error", out->error, "discard", out->discard);
}

/* Serve one job; -1 when the parent is gone or sent garbage. */
static int
serve_one(int fd)
{
	struct outcome	 out;
	struct job	 job;
	json_t		*msg, *reply;
	char		 ctx[32], esc[200];
	int		 r;

	if ((r = wire_recv(fd, &msg)) != 1)
		return r == 0 ? 0 : -1;
	if (job_parse(msg, &job) == -1) {
		log_error("bad job message from parent");
		json_decref(msg);
		return -1;
	}
	handler_seq = job.seq;
	job.report_fd = fd;
	snprintf(ctx, sizeof(ctx), "job=%lld", job.id);
	log_set_context(ctx);
	log_debug("starting kind \"%s\" attempt %d", job.kind, job.attempt);
	handler_run(&job, &out);
	if (out.ok)
		log_debug("completed");
	else
		log_debug("failed%s: %s", out.discard ? " (discard)" : "",
		    log_escape(esc, sizeof(esc), out.error,
		    strlen(out.error)));
	reply = outcome_msg(&job, &out);
	r = reply != NULL ? wire_send(fd, reply) : -1;
	if (r == -1)
		log_error("cannot send outcome: %s", strerror(errno));
	json_decref(reply);
	outcome_clear(&out);
	json_decref(msg);
	log_set_context(NULL);
	return r == 0 ? 1 : -1;
}

void
worker_main(int fd, pid_t parent)
{
	sigset_t	 none;
	int		 r;

	/*
	 * Die with the parent, taking the running program's process group
	 * along (on_stop); the parent may have died before prctl took hold.
	 */
	worker_parent = parent;
	stop_signals();
	prctl(PR_SET_PDEATHSIG, SIGUSR2);
	if (getppid() != parent)
		_exit(1);
	/*
	 * The parent decides when we stop (it closes our socket); a ^C
	 * or a SIGTERM sent to the whole group must not cut jobs short.
	 */
	signal(SIGINT, SIG_IGN);
	signal(SIGTERM, SIG_IGN);
	signal(SIGHUP, SIG_IGN);
	signal(SIGPIPE, SIG_IGN);
	signal(SIGCHLD, SIG_DFL);
	/* The parent blocked everything around fork(); undo that. */
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
	while ((r = serve_one(fd)) == 1)
		continue;
	_exit(r == 0 ? 0 : 1);
}
