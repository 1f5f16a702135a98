/* SPDX-License-Identifier: ISC */
/* handlers.c - the built-in handlers and the exec handler (child side). */
#include "config.h"

#include <sys/prctl.h>
#include <sys/types.h>
#include <sys/wait.h>

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>

#include "backoff.h"
#include "handlers.h"
#include "jobq_limits.h"
#include "log.h"
#include "worker.h"

#define EXIT_DISCARD	65	/* EX_DATAERR: fail now, no retry */
#define READ_CHUNK	65536

/* Bytes read from a child's pipe; tail mode keeps only the last max. */
struct sink {
	char	*buf;
	size_t	 len;
	size_t	 max;
	int	 tail;
	int	 cut;		/* bytes were dropped */
};

/* Why an exec attempt's process group was signalled. */
enum why {
	WHY_NONE,
	WHY_TIMEOUT,
	WHY_CANCEL,
	WHY_ABORT,
};

/* The state of one exec attempt while the worker waits for it. */
struct run {
	pid_t		 pid;
	int		 fd_in, fd_out, fd_err;
	char		*input;
	size_t		 inlen, inoff;
	struct sink	 out, err;
	int		 reaped, status, phase, grace;
	enum why	 why;
	double		 deadline;
};

volatile sig_atomic_t	handler_seq;
volatile sig_atomic_t	handler_stop_seq = -1;
volatile sig_atomic_t	handler_stop_level;
volatile sig_atomic_t	handler_abort_all;
volatile sig_atomic_t	handler_pgid;

int
handler_stopping(void)
{

	if (handler_abort_all)
		return HANDLER_ABORT;
	if (handler_stop_seq == handler_seq)
		return handler_stop_level;
	return 0;
}

/* The error of an attempt cut short at the parent's request. */
static const char *
stop_error(int level)
{

	return level == HANDLER_CANCEL ? "cancelled" :
	    "stopped by the runner";
}

static void
fail_with(struct outcome *out, int discard, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void
fail_with(struct outcome *out, int discard, const char *fmt, ...)
{
	char	 msg[512];
	va_list	 ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	out->ok = 0;
	out->discard = discard;
	out->error = utf8_clean(msg, strlen(msg));
}

void
outcome_clear(struct outcome *out)
{

	json_decref(out->result);
	free(out->error);
	memset(out, 0, sizeof(*out));
}

/* Length of the valid UTF-8 sequence at s (n bytes left), or 0. */
static size_t
utf8_seq(const unsigned char *s, size_t n)
{
	size_t	 need, i;

	if (s[0] >= 0x01 && s[0] <= 0x7f)
		return 1;
	if (s[0] >= 0xc2 && s[0] <= 0xdf)
		need = 2;
	else if (s[0] >= 0xe0 && s[0] <= 0xef)
		need = 3;
	else if (s[0] >= 0xf0 && s[0] <= 0xf4)
		need = 4;
	else
		return 0;
	if (n < need)
		return 0;
	for (i = 1; i < need; i++)
		if ((s[i] & 0xc0) != 0x80)
			return 0;
	/* No overlong forms, no surrogates, nothing past U+10FFFF. */
	if ((s[0] == 0xe0 && s[1] < 0xa0) || (s[0] == 0xed && s[1] > 0x9f) ||
	    (s[0] == 0xf0 && s[1] < 0x90) || (s[0] == 0xf4 && s[1] > 0x8f))
		return 0;
	return need;
}

char *
utf8_clean(const char *s, size_t len)
{
	const unsigned char	*u = (const unsigned char *)s;
	char			*dst;
	size_t			 i = 0, o = 0, n;

	/* U+FFFD takes three bytes per bad input byte at worst. */
	if ((dst = malloc(len * 3 + 1)) == NULL)
		return NULL;
	while (i < len) {
		if ((n = utf8_seq(u + i, len - i)) > 0) {
			memcpy(dst + o, u + i, n);
			o += n;
			i += n;
		} else {
			memcpy(dst + o, "\xef\xbf\xbd", 3);
			o += 3;
			i++;
		}
	}
	dst[o] = '\0';
	return dst;
}

int
utf8_cut(char *s, size_t max)
{
	size_t	 n = strlen(s);

	if (n <= max)
		return 0;
	/* Back off continuation bytes to the start of a character. */
	n = max;
	while (n > 0 && ((unsigned char)s[n] & 0xc0) == 0x80)
		n--;
	s[n] = '\0';
	return 1;
}

int
utf8_keep_tail(char *s, size_t max)
{
	size_t	 n = strlen(s), from;

	if (n <= max)
		return 0;
	from = n - max;
	while (from < n && ((unsigned char)s[from] & 0xc0) == 0x80)
		from++;
	memmove(s, s + from, n - from + 1);
	return 1;
}

static void
run_noop(const struct job *job, struct outcome *out)
{

	(void)job;
	out->ok = 1;
}

static void
run_echo(const struct job *job, struct outcome *out)
{

	out->ok = 1;
	out->result = json_incref(job->args);
}

static void
run_fail(const struct job *job, struct outcome *out)
{
	json_t	*msg = json_object_get(job->args, "message");

	if (json_is_string(msg))
		fail_with(out, 0, "%s", json_string_value(msg));
	else
		fail_with(out, 0, "fail handler always fails");
}

/* Sleep s seconds; returns early with the level of a stop request. */
static int
sleep_for(double s)
{
	struct timespec	 ts;
	int		 stop;

	ts.tv_sec = (time_t)s;
	ts.tv_nsec = (long)((s - (double)ts.tv_sec) * 1e9);
	if ((stop = handler_stopping()) != 0)
		return stop;
	while (nanosleep(&ts, &ts) == -1 && errno == EINTR)
		if ((stop = handler_stopping()) != 0)
			return stop;
	return 0;
}

/* args {"seconds": S}; a sleep longer than the timeout times out. */
static void
run_sleep(const struct job *job, struct outcome *out)
{
	json_t	*v = json_object_get(job->args, "seconds");
	double	 s;
	int	 stop;

	if (!json_is_number(v) || !((s = json_number_value(v)) >= 0.0)) {
		fail_with(out, 1, "sleep needs args {\"seconds\": N >= 0}");
		return;
	}
	if (s > job->timeout) {
		if ((stop = sleep_for(job->timeout)) != 0)
			fail_with(out, 0, "%s", stop_error(stop));
		else
			fail_with(out, 0, "timed out after %d seconds",
			    job->timeout);
		return;
	}
	if ((stop = sleep_for(s)) != 0) {
		fail_with(out, 0, "%s", stop_error(stop));
		return;
	}
	out->ok = 1;
}

/* In the forked child: become the program.  Never returns. */
static void
exec_child(const struct job *job, char **argv, int in, int out, int err)
{
	static const int	 sigs[] = { SIGTERM, SIGINT, SIGHUP, SIGPIPE,
				    SIGQUIT, SIGCHLD };
	sigset_t		 none;
	char			 v[32];
	size_t			 i;

	setpgid(0, 0);
	/* If the worker dies, the program should not run on unwatched. */
	prctl(PR_SET_PDEATHSIG, SIGTERM);
	/* Ignored signals would stay ignored across execv. */
	for (i = 0; i < sizeof(sigs) / sizeof(sigs[0]); i++)
		signal(sigs[i], SIG_DFL);
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
	if (dup2(in, STDIN_FILENO) == -1 || dup2(out, STDOUT_FILENO) == -1 ||
	    dup2(err, STDERR_FILENO) == -1)
		_exit(127);
	snprintf(v, sizeof(v), "%lld", job->id);
	setenv("JOBQ_JOB_ID", v, 1);
	setenv("JOBQ_KIND", job->kind, 1);
	setenv("JOBQ_QUEUE", job->queue, 1);
	snprintf(v, sizeof(v), "%d", job->attempt);
	setenv("JOBQ_ATTEMPT", v, 1);
	execv(argv[0], argv);
	dprintf(STDERR_FILENO, "cannot execute \"%s\": %s\n", argv[0],
	    strerror(errno));
	_exit(127);
}

static void
sink_add(struct sink *s, const char *p, size_t n)
{

	if (!s->tail) {
		/* Keep the head, drop the rest but keep draining the pipe. */
		if (n > s->max - s->len) {
			n = s->max - s->len;
			s->cut = 1;
		}
		memcpy(s->buf + s->len, p, n);
		s->len += n;
		return;
	}
	if (n >= s->max) {
		memcpy(s->buf, p + n - s->max, s->max);
		s->len = s->max;
		s->cut = 1;
		return;
	}
	if (s->len + n > s->max) {
		memmove(s->buf, s->buf + (s->len + n - s->max),
		    s->max - n);
		s->len = s->max - n;
		s->cut = 1;
	}
	memcpy(s->buf + s->len, p, n);
	s->len += n;
}

/* Read what fd has into s; closes fd (and sets it -1) at end of file. */
static void
drain(int *fd, struct sink *s)
{
	char	 buf[READ_CHUNK];
	ssize_t	 n;

	for (;;) {
		n = read(*fd, buf, sizeof(buf));
		if (n > 0) {
			sink_add(s, buf, (size_t)n);
			continue;
		}
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1 && errno == EAGAIN)
			return;
		close(*fd);
		*fd = -1;
		return;
	}
}

/* Feed the args to the program's stdin without ever blocking. */
static void
feed(struct run *r)
{
	ssize_t	 n;

	while (r->inoff < r->inlen) {
		n = write(r->fd_in, r->input + r->inoff, r->inlen - r->inoff);
		if (n > 0) {
			r->inoff += (size_t)n;
			continue;
		}
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1 && errno == EAGAIN)
			return;
		break;		/* EPIPE: the program does not want it */
	}
	close(r->fd_in);
	r->fd_in = -1;
}

/*
 * SIGTERM the group at the timeout (or on a cancel), SIGKILL after the
 * grace period, then give the pipes one more grace to close.
 */
static void
escalate(struct run *r, double now)
{

	if (r->phase == 0) {
		if (r->why == WHY_NONE)
			r->why = WHY_TIMEOUT;
		log_warn("%s, sending SIGTERM to process group %ld",
		    r->why == WHY_TIMEOUT ? "timed out" : "cancelled",
		    (long)r->pid);
		kill(-r->pid, SIGTERM);
		r->deadline = now + r->grace;
	} else if (r->phase == 1) {
		log_warn("still running, sending SIGKILL to process group %ld",
		    (long)r->pid);
		kill(-r->pid, SIGKILL);
		r->deadline = now + r->grace;
	} else
		r->deadline = now + 1.0;
	r->phase++;
}

/* Act on a stop request from the parent (see handlers.h). */
static void
check_stop(struct run *r, double now)
{
	int	 stop = handler_stopping();

	if (stop == HANDLER_ABORT && r->why != WHY_ABORT) {
		r->why = WHY_ABORT;
		kill(-r->pid, SIGKILL);
		r->phase = 2;
		r->deadline = now + r->grace;
	} else if (stop == HANDLER_CANCEL && r->why == WHY_NONE &&
	    r->phase == 0) {
		r->why = WHY_CANCEL;
		escalate(r, now);
	}
}

/*
 * Whether the attempt is over: the program was reaped, and either its
 * pipes are closed or nothing of its process group is left to write to
 * them (a descendant that left the group may hold them open forever).
 */
static int
run_done(struct run *r)
{

	if (!r->reaped && waitpid(r->pid, &r->status, WNOHANG) == r->pid)
		r->reaped = 1;
	if (!r->reaped)
		return 0;
	if (r->fd_out == -1 && r->fd_err == -1)
		return 1;
	if (kill(-r->pid, 0) == -1 && errno == ESRCH)
		return 1;
	/* After SIGKILL and its grace, stop waiting for the pipes. */
	return r->phase >= 3;
}

static void
run_wait(struct run *r)
{
	struct pollfd	 pfd[3];
	nfds_t		 n;
	double		 now, left;
	int		 ms;

	while (!run_done(r)) {
		now = now_s();
		check_stop(r, now);
		if (now >= r->deadline)
			escalate(r, now);
		n = 0;
		if (r->fd_in != -1) {
			pfd[n].fd = r->fd_in;
			pfd[n++].events = POLLOUT;
		}
		if (r->fd_out != -1) {
			pfd[n].fd = r->fd_out;
			pfd[n++].events = POLLIN;
		}
		if (r->fd_err != -1) {
			pfd[n].fd = r->fd_err;
			pfd[n++].events = POLLIN;
		}
		/* No SIGCHLD wakes us: look at the child now and then. */
		left = r->deadline - now_s();
		ms = r->fd_out == -1 && r->fd_err == -1 ? 5 : 100;
		if (left * 1000 < ms)
			ms = left > 0 ? (int)(left * 1000) + 1 : 0;
		if (poll(pfd, n, ms) <= 0)
			continue;
		if (r->fd_in != -1)
			feed(r);
		if (r->fd_out != -1)
			drain(&r->fd_out, &r->out);
		if (r->fd_err != -1)
			drain(&r->fd_err, &r->err);
	}
	/*
	 * The group can be gone with its last words still in the pipes:
	 * read what is there (drain stops at EAGAIN if someone outside
	 * the group still holds a pipe open).
	 */
	if (r->fd_out != -1)
		drain(&r->fd_out, &r->out);
	if (r->fd_err != -1)
		drain(&r->fd_err, &r->err);
}

static void
run_close(struct run *r)
{

	if (r->fd_in != -1)
		close(r->fd_in);
	if (r->fd_out != -1)
		close(r->fd_out);
	if (r->fd_err != -1)
		close(r->fd_err);
	free(r->input);
	free(r->out.buf);
	free(r->err.buf);
}

/*
 * The stderr tail without trailing blanks, or NULL when empty: valid
 * UTF-8 of at most JOBQ_MAX_ERROR bytes.
 */
static char *
err_tail(struct sink *s)
{
	char	*text;

	while (s->len > 0 && strchr(" \t\r\n", s->buf[s->len - 1]) != NULL)
		s->len--;
	if (s->len == 0)
		return NULL;
	if ((text = utf8_clean(s->buf, s->len)) != NULL)
		utf8_keep_tail(text, JOBQ_MAX_ERROR);
	return text;
}

/* Exit 0: stdout is the result, as JSON if it parses, else a string. */
static void
exec_result(struct run *r, struct outcome *out)
{
	json_error_t	 jerr;
	char		*text;
	size_t		 len = r->out.len;

	out->ok = 1;
	if (len == 0)
		return;
	if (r->out.cut)
		log_warn("result cut to %d bytes", JOBQ_MAX_RESULT);
	else if ((out->result = json_loadb(r->out.buf, len, JSON_DECODE_ANY,
	    &jerr)) != NULL)
		return;
	if (r->out.buf[len - 1] == '\n')
		len--;
	/* Replacement characters may make it longer: cut it again. */
	if ((text = utf8_clean(r->out.buf, len)) != NULL) {
		utf8_cut(text, JOBQ_MAX_RESULT);
		out->result = json_string(text);
	}
	free(text);
}

static void
exec_outcome(const struct job *job, struct run *r, struct outcome *out)
{
	char	*tail = err_tail(&r->err);
	int	 st = r->status;

	if (r->why == WHY_TIMEOUT)
		fail_with(out, 0, "timed out after %d seconds", job->timeout);
	else if (!r->reaped)
		fail_with(out, 0, "program did not exit");
	else if (WIFEXITED(st) && WEXITSTATUS(st) == 0)
		exec_result(r, out);
	else if (r->why != WHY_NONE)
		fail_with(out, 0, "%s", stop_error(r->why == WHY_CANCEL ?
		    HANDLER_CANCEL : HANDLER_ABORT));
	else if (tail != NULL) {
		out->error = tail;
		tail = NULL;
	} else if (WIFEXITED(st))
		fail_with(out, 0, "exited with status %d", WEXITSTATUS(st));
	else
		fail_with(out, 0, "killed by signal %s", signame(WTERMSIG(st)));
	if (!out->ok && r->reaped && WIFEXITED(st) &&
	    WEXITSTATUS(st) == EXIT_DISCARD && r->why == WHY_NONE)
		out->discard = 1;
	free(tail);
}

/* A pipe whose ends close on exec (dup2 clears that on the copies). */
static int
cloexec_pipe(int p[2])
{

	if (pipe(p) == -1)
		return -1;
	if (fcntl(p[0], F_SETFD, FD_CLOEXEC) == -1 ||
	    fcntl(p[1], F_SETFD, FD_CLOEXEC) == -1)
		return -1;
	return 0;
}

/* Make pipes whose parent ends do not block and all close on exec. */
static int
exec_pipes(int in[2], int so[2], int se[2])
{

	in[0] = in[1] = so[0] = so[1] = se[0] = se[1] = -1;
	if (cloexec_pipe(in) == -1 || cloexec_pipe(so) == -1 ||
	    cloexec_pipe(se) == -1)
		return -1;
	if (fcntl(in[1], F_SETFL, O_NONBLOCK) == -1 ||
	    fcntl(so[0], F_SETFL, O_NONBLOCK) == -1 ||
	    fcntl(se[0], F_SETFL, O_NONBLOCK) == -1)
		return -1;
	return 0;
}

static void
close_pair(int p[2])
{

	if (p[0] != -1)
		close(p[0]);
	if (p[1] != -1)
		close(p[1]);
}

/* Build the NULL-ended argv from the job's exec array. */
static char **
exec_argv(json_t *exec)
{
	char	**argv;
	size_t	 i, n = json_array_size(exec);

	if (n == 0 || (argv = calloc(n + 1, sizeof(*argv))) == NULL)
		return NULL;
	for (i = 0; i < n; i++)
		if ((argv[i] = (char *)json_string_value(
		    json_array_get(exec, i))) == NULL) {
			free(argv);
			return NULL;
		}
	return argv;
}

/*
 * Tell the parent the program's process group, so that if this worker
 * dies (killed, out of memory) the parent can kill the whole group
 * before the job is retried: two attempts must never run at once.
 */
static void
report_group(const struct job *job, pid_t pgid)
{
	json_t	*msg;

	msg = json_pack("{s:I, s:I}", "id", job->id, "pgid",
	    (json_int_t)pgid);
	if (msg == NULL || wire_send(job->report_fd, msg) == -1)
		log_warn("cannot report process group %ld: %s", (long)pgid,
		    msg == NULL ? "out of memory" : strerror(errno));
	json_decref(msg);
}

static void
run_exec(const struct job *job, struct outcome *out)
{
	struct run	 r;
	int		 in[2], so[2], se[2];
	char		**argv;

	memset(&r, 0, sizeof(r));
	r.fd_in = r.fd_out = r.fd_err = -1;
	r.out.max = JOBQ_MAX_RESULT;
	r.err.max = JOBQ_MAX_ERROR;
	r.err.tail = 1;
	r.grace = job->grace > 0 ? job->grace : JOBQ_KILL_GRACE_S;
	if ((argv = exec_argv(job->exec)) == NULL) {
		fail_with(out, 0, "bad exec command for kind \"%s\"",
		    job->kind);
		return;
	}
	r.input = json_dumps(job->args, JSON_COMPACT);
	r.out.buf = malloc(r.out.max);
	r.err.buf = malloc(r.err.max);
	if (r.input == NULL || r.out.buf == NULL || r.err.buf == NULL ||
	    exec_pipes(in, so, se) == -1 || (r.pid = fork()) == -1) {
		fail_with(out, 0, "cannot start \"%s\": %s", argv[0],
		    strerror(errno));
		close_pair(in);
		close_pair(so);
		close_pair(se);
		run_close(&r);
		free(argv);
		return;
	}
	if (r.pid == 0)
		exec_child(job, argv, in[0], so[1], se[1]);
	free(argv);
	/* Both sides set the group, so kill(-pid) works from here on. */
	setpgid(r.pid, r.pid);
	handler_pgid = r.pid;
	report_group(job, r.pid);
	close(in[0]);
	close(so[1]);
	close(se[1]);
	r.fd_in = in[1];
	r.fd_out = so[0];
	r.fd_err = se[0];
	r.inlen = strlen(r.input);
	r.deadline = now_s() + job->timeout;
	log_debug("started \"%s\" as pid %ld", job->exec == NULL ? "" :
	    json_string_value(json_array_get(job->exec, 0)), (long)r.pid);
	run_wait(&r);
	handler_pgid = 0;
	exec_outcome(job, &r, out);
	run_close(&r);
}

static const struct {
	const char	*kind;
	void		(*run)(const struct job *, struct outcome *);
} builtins[] = {
	{ "noop", run_noop },
	{ "echo", run_echo },
	{ "sleep", run_sleep },
	{ "fail", run_fail },
};

void
handler_run(const struct job *job, struct outcome *out)
{
	size_t	 i;

	memset(out, 0, sizeof(*out));
	/* A kind the configuration names wins over a built-in. */
	if (job->exec != NULL) {
		run_exec(job, out);
		goto done;
	}
	for (i = 0; i < sizeof(builtins) / sizeof(builtins[0]); i++)
		if (strcmp(job->kind, builtins[i].kind) == 0) {
			builtins[i].run(job, out);
			goto done;
		}
	fail_with(out, 0, "no handler for kind \"%s\"", job->kind);
done:
	if (!out->ok && out->error == NULL)
		out->error = strdup("out of memory");
}
