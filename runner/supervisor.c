/* SPDX-License-Identifier: ISC */
/* supervisor.c - the parent: LISTEN/poll, claim, dispatch, finish, beat. */
#include "config.h"

#include <sys/socket.h>
#include <sys/types.h>
#include <sys/wait.h>

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>
#include <libpq-fe.h>

#include "backoff.h"
#include "conf.h"
#include "db.h"
#include "handlers.h"
#include "jobq_limits.h"
#include "log.h"
#include "store.h"
#include "supervisor.h"
#include "worker.h"

#define APPNAME			"jobq-runner"
#define SHUTDOWN_DEFAULT_S	30	/* [runner] shutdown_timeout */
#define RESPAWN_MIN_S		1.0	/* between forks into one slot */
#define RECONNECT_MAX_S		30.0	/* longest wait between attempts */
#define FINAL_FLUSH_S		30.0	/* retrying results when stopping */
#define OVERDUE_SLACK_S		30	/* past timeout+grace: kill worker */
#define STOP_SLACK_S		2	/* past grace after a stop request */
#define PRUNE_MAX_BATCHES	10	/* per heartbeat, so it never stalls */

/* Why the parent asked a busy worker to stop its job (slot.stop). */
enum stop_why {
	STOP_NONE,
	STOP_CANCEL,	/* a client cancelled it: record it cancelled */
	STOP_RELEASE,	/* shutdown timeout: give the job back */
};

/*
 * A worker slot.  States: empty (pid 0, waiting for respawn_at), idle
 * (pid, fd, not busy), busy (holding job), or closing (fd -1: its
 * socket ended, waiting to be reaped).
 */
struct slot {
	pid_t		 pid;
	int		 fd;
	int		 busy;
	long long	 job;
	int		 attempt;
	int		 max_attempts;
	double		 spawned;
	double		 respawn_at;
	double		 overdue;	/* kill the worker after this */
	enum stop_why	 stop;		/* asked to stop the job, and why */
	int		 seq;		/* dispatch number of the job */
	int		 urgent;	/* SIGUSR2 sent for this job */
	pid_t		 pgid;		/* the job's program's group, or 0 */
};

struct sup {
	const struct sup_options *opt;
	struct config	*cfg;
	char		 id[300];	/* host (< 256) ":" pid fits */
	char		 host[256];
	int		 nslots;
	struct slot	*slots;
	PGconn		*conn;
	int		 dbfd;		/* its socket, for the children */
	int		 reconnects;	/* failed attempts in a row */
	double		 reconnect_at;
	double		 next_beat;
	double		 next_rescue;	/* look for dead runners' jobs */
	int		 beat_s;	/* heartbeat interval, seconds */
	int		 rescue_s;	/* stale after this many seconds */
	int		 no_cancel;	/* schema lacks cancel_requested_at */
	int		 seq;		/* last dispatch number given */
	double		 next_poll;	/* claim on the timer at this time */
	int		 more;		/* claim again soon */
	int		 last_got;	/* rows the last claim returned */
	json_t		*pending;	/* outcomes not yet recorded */
	int		 stopping;
	double		 stop_deadline;
	int		 lost;		/* outcomes given up on */
};

static int		 sig_pipe[2] = { -1, -1 };

static void
on_signal(int sig)
{
	unsigned char	 c = (unsigned char)sig;
	int		 saved = errno;

	/* Only note it: the loop does the work, outside the handler. */
	if (write(sig_pipe[1], &c, 1) == -1) {
		/* Pipe full: a wake-up is already pending. */
	}
	errno = saved;
}

/* Effective settings: command line, then config file, then defaults. */
static double
poll_interval(const struct sup *s)
{

	if (s->opt->poll_interval > 0)
		return s->opt->poll_interval;
	if (s->cfg->poll_interval > 0)
		return s->cfg->poll_interval;
	return JOBQ_POLL_INTERVAL_MS / 1000.0;
}

static const char *
queues(const struct sup *s)
{

	return s->opt->queues != NULL ? s->opt->queues : s->cfg->queues;
}

static int
shutdown_timeout(const struct sup *s)
{

	return s->cfg->shutdown_timeout >= 0 ? s->cfg->shutdown_timeout :
	    SHUTDOWN_DEFAULT_S;
}

static int
kill_grace(const struct sup *s)
{

	return s->cfg->kill_grace > 0 ? s->cfg->kill_grace :
	    JOBQ_KILL_GRACE_S;
}

/* Seconds a finished job is kept; 0: never prune. */
static int
retention(const struct sup *s)
{

	if (s->opt->retention_set)
		return s->opt->retention;
	return s->cfg->retention >= 0 ? s->cfg->retention :
	    CONFIG_RETENTION_S;
}

static int
prune_batch(const struct sup *s)
{

	return s->cfg->prune_batch > 0 ? s->cfg->prune_batch :
	    CONFIG_PRUNE_BATCH;
}

int
supervisor_timing(const struct sup_options *opt, const struct config *cfg,
    int *heartbeat, int *rescue, char *err, size_t errlen)
{

	*heartbeat = opt->heartbeat > 0 ? opt->heartbeat :
	    cfg->heartbeat_interval > 0 ? cfg->heartbeat_interval :
	    JOBQ_HEARTBEAT_S;
	*rescue = opt->rescue_after > 0 ? opt->rescue_after :
	    cfg->rescue_after > 0 ? cfg->rescue_after : JOBQ_RESCUE_AFTER_S;
	return config_check_rescue(*heartbeat, *rescue, err, errlen);
}

static int
signals_setup(void)
{
	struct sigaction	 sa;
	static const int	 sigs[] = { SIGTERM, SIGINT, SIGHUP, SIGCHLD };
	size_t			 i;

	if (pipe(sig_pipe) == -1)
		return -1;
	for (i = 0; i < 2; i++)
		if (fcntl(sig_pipe[i], F_SETFL, O_NONBLOCK) == -1 ||
		    fcntl(sig_pipe[i], F_SETFD, FD_CLOEXEC) == -1)
			return -1;
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sa.sa_flags = SA_RESTART;
	sigemptyset(&sa.sa_mask);
	for (i = 0; i < sizeof(sigs) / sizeof(sigs[0]); i++)
		if (sigaction(sigs[i], &sa, NULL) == -1)
			return -1;
	signal(SIGPIPE, SIG_IGN);
	return 0;
}

/* ---- outcomes ---- */

/* Queue an outcome record for the next flush (see store_finish). */
static void
pending_add(struct sup *s, long long id, const char *action, json_t *result,
    const char *error, double delay)
{
	json_t	*rec;

	rec = json_pack("{s:I, s:s, s:O?, s:s?, s:f}", "id", (json_int_t)id,
	    "action", action, "result", result, "error", error,
	    "delay", delay);
	if (rec == NULL || json_array_append_new(s->pending, rec) == -1) {
		/* XXX the job stays running until a rescue finds it. */
		log_error("out of memory recording job %lld", id);
		s->lost++;
	}
}

/* A failed attempt: retry after backoff, or fail for good. */
static void
record_failure(struct sup *s, struct slot *sl, const char *error,
    int discard)
{
	char	 ctx[32], esc[200];
	double	 delay;

	snprintf(ctx, sizeof(ctx), "job=%lld", sl->job);
	log_set_context(ctx);
	/* The message comes from the job's program: keep it to one line. */
	log_escape(esc, sizeof(esc), error, strlen(error));
	if (!discard && sl->attempt < sl->max_attempts) {
		delay = backoff_delay(sl->attempt);
		log_info("attempt %d of %d failed, retry in %.0f s: %s",
		    sl->attempt, sl->max_attempts, delay, esc);
		pending_add(s, sl->job, "retry", NULL, error, delay);
	} else {
		log_warn("failed for good at attempt %d of %d%s: %s",
		    sl->attempt, sl->max_attempts,
		    discard ? " (discarded)" : "", esc);
		pending_add(s, sl->job, "fail", NULL, error, 0);
	}
	log_set_context(NULL);
}

/* Put a job back as if it had never been claimed by this attempt. */
static void
record_release(struct sup *s, struct slot *sl)
{

	pending_add(s, sl->job, "release", NULL, NULL, 0);
}

/*
 * An attempt that did not complete.  A job the parent asked to stop is
 * recorded as the request said; any other is a failed attempt.
 */
static void
record_unfinished(struct sup *s, struct slot *sl, const char *error,
    int discard)
{

	if (sl->stop == STOP_CANCEL) {
		log_info("job=%lld: cancelled", sl->job);
		pending_add(s, sl->job, "cancel", NULL, "cancelled", 0);
	} else if (sl->stop == STOP_RELEASE)
		record_release(s, sl);
	else
		record_failure(s, sl, error, discard);
	sl->busy = 0;
	sl->stop = STOP_NONE;
}

/* An outcome message from a child. */
static void
record_outcome(struct sup *s, struct slot *sl, json_t *msg)
{
	json_int_t	 id = 0;
	const char	*error = "worker sent no error message";
	json_t		*result = NULL;
	int		 ok = 0, discard = 0;

	if (json_unpack(msg, "{s:I, s:b, s?o, s?s, s?b}", "id", &id, "ok",
	    &ok, "result", &result, "error", &error, "discard",
	    &discard) == -1 || id != sl->job) {
		log_error("worker %ld sent a bad outcome", (long)sl->pid);
		ok = 0;
		error = "worker sent a bad outcome";
	}
	/* A job that completed before a stop request took hold counts. */
	if (ok) {
		log_debug("job=%lld completed", sl->job);
		pending_add(s, sl->job, "complete", result, NULL, 0);
		sl->busy = 0;
		sl->stop = STOP_NONE;
	} else
		record_unfinished(s, sl, error, discard);
	if (s->last_got > 0)
		s->more = 1;
}

/* Record one outcome record on its own; 0, or -1 with err filled. */
static int
finish_one(struct sup *s, json_t *rec, char *err, size_t errlen)
{
	json_t	*one;
	char	*text;
	int	 r = -1;

	one = json_pack("[O]", rec);
	text = one != NULL ? json_dumps(one, JSON_COMPACT) : NULL;
	if (text == NULL)
		snprintf(err, errlen, "out of memory");
	else if (store_finish(s->conn, s->id, text, err, errlen) >= 0)
		r = 0;
	free(text);
	json_decref(one);
	return r;
}

/*
 * Record the outcomes one by one after a batch failed with an error
 * that is no outage, so one bad row cannot block the others forever.
 * An outcome the database refuses (say a result it cannot store) fails
 * its job for good with the reason, so the job still ends.
 */
static void
flush_each(struct sup *s)
{
	json_t		*rec, *sub;
	json_int_t	 id;
	char		 err[512], msg[600], *clean;
	size_t		 i;

	json_array_foreach(s->pending, i, rec) {
		if (finish_one(s, rec, err, sizeof(err)) == 0)
			continue;
		id = json_integer_value(json_object_get(rec, "id"));
		log_error("job=%lld: cannot record outcome: %s",
		    (long long)id, err);
		snprintf(msg, sizeof(msg), "cannot record outcome: %s", err);
		clean = utf8_clean(msg, strlen(msg));
		sub = json_pack("{s:I, s:s, s:s, s:f}", "id", id, "action",
		    "fail", "error", clean != NULL ? clean : "out of memory",
		    "delay", 0.0);
		free(clean);
		if (sub == NULL || finish_one(s, sub, err, sizeof(err)) != 0) {
			/* XXX dropped: the job stays running. */
			log_error("job=%lld: cannot fail it either: %s",
			    (long long)id, err);
			s->lost++;
		}
		json_decref(sub);
	}
	json_array_clear(s->pending);
}

static void	db_lost(struct sup *, const char *);
static int	busy_count(const struct sup *);

static void
flush(struct sup *s)
{
	char	*text, err[512];
	int	 r;

	if (s->conn == NULL || json_array_size(s->pending) == 0)
		return;
	if ((text = json_dumps(s->pending, JSON_COMPACT)) == NULL) {
		log_error("out of memory flushing outcomes");
		return;
	}
	r = store_finish(s->conn, s->id, text, err, sizeof(err));
	free(text);
	if (r == STORE_OUTAGE) {
		/* Keep them: they are sent again after reconnecting. */
		db_lost(s, err);
		return;
	}
	if (r == STORE_ERR) {
		log_error("cannot record %zu outcomes: %s",
		    json_array_size(s->pending), err);
		flush_each(s);
		return;
	}
	if ((size_t)r < json_array_size(s->pending))
		log_info("%zu outcomes were for jobs no longer ours",
		    json_array_size(s->pending) - (size_t)r);
	json_array_clear(s->pending);
}

/* ---- database ---- */

/* libpq's messages span lines; a log line must not. */
static const char *
one_line(const char *msg, char *buf, size_t len)
{
	size_t	 o = 0;
	int	 blank = 0;

	for (; *msg != '\0' && o + 1 < len; msg++) {
		if (*msg == '\n' || *msg == '\t' || *msg == ' ') {
			blank = o > 0;
			continue;
		}
		if (blank && o + 2 < len)
			buf[o++] = ' ';
		blank = 0;
		buf[o++] = *msg;
	}
	buf[o] = '\0';
	return buf;
}

/* Server notices (a shutdown's FATAL, say) go to our log, not stderr. */
static void
on_notice(void *arg, const char *msg)
{
	char	 buf[512];

	(void)arg;
	log_info("server: %s", one_line(msg, buf, sizeof(buf)));
}

static void
db_lost(struct sup *s, const char *why)
{
	char	 buf[512];
	double	 wait;

	if (s->conn != NULL) {
		log_warn("database connection lost: %s",
		    one_line(why, buf, sizeof(buf)));
		PQfinish(s->conn);
		s->conn = NULL;
		s->dbfd = -1;
	}
	wait = backoff_delay(s->reconnects++) / 2.0;
	if (wait > RECONNECT_MAX_S)
		wait = RECONNECT_MAX_S;
	s->reconnect_at = now_s() + wait;
}

/*
 * Connect, prepare, LISTEN, register; 0, or with err filled -1 when
 * there is no connection, -2 when the connection cannot be used (no
 * schema, no privileges).
 */
static int
db_open(struct sup *s, char *err, size_t errlen)
{
	int	 r;

	if ((s->conn = db_connect(APPNAME, err, errlen)) == NULL)
		return -1;
	PQsetNoticeProcessor(s->conn, on_notice, NULL);
	if ((r = store_setup(s->conn, &s->no_cancel, err, errlen)) < 0 ||
	    (r = store_register(s->conn, s->id, s->host, (long)getpid(),
	    s->nslots, err, errlen)) < 0) {
		PQfinish(s->conn);
		s->conn = NULL;
		return r == STORE_OUTAGE ? -1 : -2;
	}
	s->dbfd = PQsocket(s->conn);
	s->next_beat = now_s() + s->beat_s;
	/*
	 * After an outage every runner's heartbeat is old.  Give the others
	 * as long to come back as they would get anyway before rescuing.
	 */
	s->next_rescue = now_s() + s->rescue_s;
	if (s->no_cancel)
		log_warn("schema has no cancel_requested_at: run --migrate; "
		    "cancelling running jobs works by notification only");
	return 0;
}

static void
db_reconnect(struct sup *s)
{
	char	 err[512], buf[512];

	if (s->conn != NULL || now_s() < s->reconnect_at)
		return;
	if (db_open(s, err, sizeof(err)) < 0) {
		log_warn("cannot reconnect to the database: %s",
		    one_line(err, buf, sizeof(buf)));
		db_lost(s, err);
		return;
	}
	log_info("reconnected to the database after %d attempts",
	    s->reconnects);
	s->reconnects = 0;
	s->more = 1;
}

static void	cancel_job(struct sup *, long long);

/* Take over the jobs of runners that stopped beating. */
static void
rescue(struct sup *s)
{
	char	 err[512];
	int	 n, runners;

	if (s->conn == NULL || now_s() < s->next_rescue)
		return;
	n = store_rescue_stale(s->conn, s->id, s->rescue_s, &runners, err,
	    sizeof(err));
	if (n == STORE_OUTAGE)
		db_lost(s, err);
	else if (n < 0)
		log_error("rescue: %s", err);
	else if (n > 0 || runners > 0) {
		log_warn("rescued %d jobs of %d runners silent for over %d s",
		    n, runners, s->rescue_s);
		s->more = 1;
	}
}

/* Cancel requests whose notification we may have missed. */
static void
cancel_poll(struct sup *s)
{
	PGresult	*res;
	char		 err[512];
	int		 n, i;

	if (s->conn == NULL || s->no_cancel || busy_count(s) == 0)
		return;
	n = store_cancel_requested(s->conn, s->id, &res, err, sizeof(err));
	if (n == STORE_OUTAGE) {
		db_lost(s, err);
		return;
	}
	if (n < 0) {
		log_error("cancel requests: %s", err);
		return;
	}
	for (i = 0; i < n; i++)
		cancel_job(s, strtoll(PQgetvalue(res, i, 0), NULL, 10));
	PQclear(res);
}

/*
 * Delete finished jobs past the retention, a batch per statement (each
 * its own short transaction), while batches come back full, but at most
 * PRUNE_MAX_BATCHES per heartbeat: a backlog is worked off over several
 * heartbeats rather than holding up claims.  --once only works the due
 * jobs, and a stopping runner has better things to do.
 */
static void
prune(struct sup *s)
{
	char	 err[512];
	int	 keep = retention(s), batch = prune_batch(s), n, i;
	long	 total = 0;

	if (keep == 0 || s->opt->once || s->stopping)
		return;
	for (i = 0; i < PRUNE_MAX_BATCHES && s->conn != NULL; i++) {
		n = store_prune(s->conn, keep, batch, err, sizeof(err));
		if (n == STORE_OUTAGE)
			db_lost(s, err);
		else if (n < 0)
			log_error("prune: %s", err);
		if (n < 0)
			break;
		total += n;
		if (n < batch)
			break;
	}
	if (total > 0)
		log_info("pruned %ld finished jobs older than %d s%s", total,
		    keep, i == PRUNE_MAX_BATCHES ? " (more left)" : "");
}

static void
heartbeat(struct sup *s)
{
	char	 err[512];
	int	 r;

	if (s->conn == NULL || now_s() < s->next_beat)
		return;
	s->next_beat = now_s() + s->beat_s;
	r = store_heartbeat(s->conn, s->id, err, sizeof(err));
	if (r == 0) {
		log_warn("runner row \"%s\" was gone, registering again",
		    s->id);
		r = store_register(s->conn, s->id, s->host, (long)getpid(),
		    s->nslots, err, sizeof(err));
	}
	if (r == STORE_OUTAGE) {
		db_lost(s, err);
		return;
	}
	if (r < 0)
		log_error("heartbeat: %s", err);
	rescue(s);
	cancel_poll(s);
	prune(s);
}

/*
 * Act on the notifications libpq holds.  Any statement may have read
 * some off the socket while it waited for its own result, so this runs
 * before every wait, not only when the socket is readable.
 */
static void
take_notifies(struct sup *s)
{
	PGnotify	*n;

	while (s->conn != NULL && (n = PQnotifies(s->conn)) != NULL) {
		if (strcmp(n->relname, STORE_CANCEL_CHANNEL) == 0)
			cancel_job(s, strtoll(n->extra, NULL, 10));
		else
			s->more = 1;
		PQfreemem(n);
	}
}

/* Read what the server sent: notifications wake the claimer. */
static void
db_input(struct sup *s)
{

	if (!PQconsumeInput(s->conn)) {
		db_lost(s, db_error(s->conn));
		return;
	}
	take_notifies(s);
}

/* ---- workers ---- */

static void
slot_close(struct slot *sl)
{

	if (sl->fd != -1)
		close(sl->fd);
	sl->fd = -1;
}

/* Fork a worker into sl; -1 when fork or socketpair failed. */
static int
spawn(struct sup *s, struct slot *sl)
{
	sigset_t	 all, old;
	int		 sv[2], i;
	pid_t		 pid, me = getpid();

	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) == -1)
		return -1;
	/* No parent handler may run in the child before it sets its own. */
	sigfillset(&all);
	sigprocmask(SIG_BLOCK, &all, &old);
	if ((pid = fork()) == 0) {
		/* Nothing of the parent's: not its database, not its pipes. */
		if (s->dbfd != -1)
			close(s->dbfd);
		close(sig_pipe[0]);
		close(sig_pipe[1]);
		for (i = 0; i < s->nslots; i++)
			if (s->slots[i].fd != -1)
				close(s->slots[i].fd);
		close(sv[0]);
		worker_main(sv[1], me);
	}
	sigprocmask(SIG_SETMASK, &old, NULL);
	close(sv[1]);
	if (pid == -1) {
		close(sv[0]);
		return -1;
	}
	sl->pid = pid;
	sl->fd = sv[0];
	sl->busy = 0;
	sl->spawned = now_s();
	log_debug("started worker %ld", (long)pid);
	return 0;
}

static void
respawn(struct sup *s)
{
	struct slot	*sl;
	int		 i;

	for (i = 0; i < s->nslots && !s->stopping; i++) {
		sl = &s->slots[i];
		if (sl->pid != 0 || now_s() < sl->respawn_at)
			continue;
		if (spawn(s, sl) == -1) {
			log_error("fork: %s", strerror(errno));
			sl->respawn_at = now_s() + RESPAWN_MIN_S;
		}
	}
}

static void
describe_status(int st, char *buf, size_t len)
{

	if (WIFSIGNALED(st))
		snprintf(buf, len, "killed by signal %s",
		    signame(WTERMSIG(st)));
	else
		snprintf(buf, len, "exited with status %d", WEXITSTATUS(st));
}

/* A message from a busy worker: its program's group, or the outcome. */
static void
take_message(struct sup *s, struct slot *sl, json_t *msg)
{
	json_t	*pgid = json_object_get(msg, "pgid");

	if (pgid != NULL) {
		sl->pgid = (pid_t)json_integer_value(pgid);
		return;
	}
	/* The program has ended: its group id may soon be another's. */
	sl->pgid = 0;
	record_outcome(s, sl, msg);
}

/*
 * Read what a worker sent before it died: SIGCHLD may be seen before
 * its last messages, and an outcome sent just before a kill counts.
 */
static void
drain_worker(struct sup *s, struct slot *sl)
{
	struct pollfd	 pfd;
	json_t		*msg;

	pfd.fd = sl->fd;
	pfd.events = POLLIN;
	while (sl->busy && sl->fd != -1 && poll(&pfd, 1, 0) > 0 &&
	    wire_recv(sl->fd, &msg) == 1) {
		take_message(s, sl, msg);
		json_decref(msg);
	}
}

/*
 * A worker died while its job's program may still run, with whatever
 * it started: kill the program's whole process group before the job can
 * be retried.  The group outlives its leader when the program is
 * already dead, so this also reaches grandchildren it left behind.
 */
static void
kill_group(struct slot *sl)
{

	if (sl->pgid <= 0)
		return;
	if (kill(-sl->pgid, SIGKILL) == 0)
		log_info("job=%lld: killed process group %ld of its program",
		    sl->job, (long)sl->pgid);
	sl->pgid = 0;
}

/* Reap dead workers; a job one held is a failed attempt. */
static void
reap(struct sup *s)
{
	struct slot	*sl;
	char		 how[64], msg[96];
	pid_t		 pid;
	int		 st, i;

	while ((pid = waitpid(-1, &st, WNOHANG)) > 0) {
		for (i = 0; i < s->nslots; i++)
			if (s->slots[i].pid == pid)
				break;
		if (i == s->nslots)
			continue;
		sl = &s->slots[i];
		describe_status(st, how, sizeof(how));
		if (!s->stopping || sl->busy)
			log_warn("worker %ld %s", (long)pid, how);
		drain_worker(s, sl);
		kill_group(sl);
		if (sl->busy) {
			snprintf(msg, sizeof(msg), "worker %s", how);
			record_unfinished(s, sl, msg, 0);
		}
		slot_close(sl);
		sl->pid = 0;
		/* A worker that dies young is not restarted in a loop. */
		sl->respawn_at = sl->spawned + RESPAWN_MIN_S;
	}
}

/* A worker's socket is readable: an outcome, or its end. */
static void
worker_input(struct sup *s, struct slot *sl)
{
	json_t	*msg;
	int	 r;

	r = wire_recv(sl->fd, &msg);
	if (r == 1 && sl->busy) {
		take_message(s, sl, msg);
		json_decref(msg);
		return;
	}
	json_decref(msg);
	if (r == 1)
		log_error("worker %ld spoke out of turn", (long)sl->pid);
	/* Ended or garbled: make sure it is dead, reap() does the rest. */
	slot_close(sl);
	kill(sl->pid, SIGKILL);
}

/* Kill workers whose job ran far past its own timeout. */
static void
check_overdue(struct sup *s)
{
	struct slot	*sl;
	int		 i;

	for (i = 0; i < s->nslots; i++) {
		sl = &s->slots[i];
		if (sl->busy && sl->pid != 0 && now_s() > sl->overdue) {
			log_warn("job=%lld: worker %ld is stuck, killing it",
			    sl->job, (long)sl->pid);
			kill(sl->pid, SIGKILL);
			sl->overdue = now_s() + 3600;
		}
	}
}

/*
 * Ask the worker in sl to stop its job: SIGUSR1 makes it stop the
 * handler gently (SIGTERM, then SIGKILL after the grace period),
 * SIGUSR2 at once (SIGKILL).  The worker then reports as usual; if it
 * does not, check_overdue kills it and reap() records the job.
 */
static void
ask_stop(struct sup *s, struct slot *sl, enum stop_why why, int now)
{

	union sigval	 v;

	sl->stop = why;
	sl->urgent = now;
	v.sival_int = sl->seq;
	sigqueue(sl->pid, now ? SIGUSR2 : SIGUSR1, v);
	sl->overdue = now_s() + STOP_SLACK_S + (now ? 0 : 2 * kill_grace(s));
}

/* A client cancelled job id; stop it if one of our workers runs it. */
static void
cancel_job(struct sup *s, long long id)
{
	struct slot	*sl;
	int		 i;

	for (i = 0; i < s->nslots; i++) {
		sl = &s->slots[i];
		if (!sl->busy || sl->job != id || sl->pid == 0)
			continue;
		if (sl->stop != STOP_NONE)
			return;
		log_info("job=%lld: cancel requested, stopping worker %ld",
		    id, (long)sl->pid);
		ask_stop(s, sl, STOP_CANCEL, 0);
		return;
	}
}

/* ---- claiming ---- */

static int
idle_count(const struct sup *s)
{
	int	 i, n = 0;

	for (i = 0; i < s->nslots; i++)
		if (s->slots[i].pid != 0 && s->slots[i].fd != -1 &&
		    !s->slots[i].busy)
			n++;
	return n;
}

static int
busy_count(const struct sup *s)
{
	int	 i, n = 0;

	for (i = 0; i < s->nslots; i++)
		if (s->slots[i].busy)
			n++;
	return n;
}

/* The job message for row i of a claim, with its exec and timeout. */
static json_t *
job_message(const struct sup *s, PGresult *res, int i, int *timeout)
{
	const struct kind_cfg	*k;
	json_error_t		 jerr;
	json_t			*msg, *args;
	const char		*kind = PQgetvalue(res, i, 1);
	size_t			 j;

	k = config_kind(s->cfg, kind);
	if (!PQgetisnull(res, i, 5))
		*timeout = atoi(PQgetvalue(res, i, 5));
	else
		*timeout = k != NULL && k->timeout > 0 ? k->timeout :
		    JOBQ_DEFAULT_TIMEOUT;
	args = json_loads(PQgetvalue(res, i, 6), 0, &jerr);
	msg = json_pack("{s:I, s:s, s:s, s:i, s:i, s:o}", "id",
	    (json_int_t)strtoll(PQgetvalue(res, i, 0), NULL, 10), "kind",
	    kind, "queue", PQgetvalue(res, i, 2), "attempt",
	    atoi(PQgetvalue(res, i, 3)), "timeout", *timeout, "args",
	    args != NULL ? args : json_object());
	if (msg != NULL && k != NULL) {
		args = json_array();
		for (j = 0; k->argv[j] != NULL; j++)
			json_array_append_new(args, json_string(k->argv[j]));
		json_object_set_new(msg, "exec", args);
	}
	return msg;
}

/* Hand row i of a claim to an idle worker. */
static void
dispatch(struct sup *s, PGresult *res, int i)
{
	struct slot	*sl = NULL;
	json_t		*msg;
	int		 j, timeout;

	for (j = 0; j < s->nslots && sl == NULL; j++)
		if (s->slots[j].pid != 0 && s->slots[j].fd != -1 &&
		    !s->slots[j].busy)
			sl = &s->slots[j];
	if (sl == NULL)		/* cannot happen: we claimed <= idle */
		return;
	sl->job = strtoll(PQgetvalue(res, i, 0), NULL, 10);
	sl->attempt = atoi(PQgetvalue(res, i, 3));
	sl->max_attempts = atoi(PQgetvalue(res, i, 4));
	sl->busy = 1;
	sl->stop = STOP_NONE;
	sl->urgent = 0;
	sl->pgid = 0;
	msg = job_message(s, res, i, &timeout);
	/* Wraps after 2^31 jobs: only equality with the last one counts. */
	s->seq = s->seq == 0x7fffffff ? 1 : s->seq + 1;
	sl->seq = s->seq;
	if (msg != NULL) {
		json_object_set_new(msg, "grace", json_integer(kill_grace(s)));
		json_object_set_new(msg, "seq", json_integer(sl->seq));
	}
	sl->overdue = now_s() + timeout + 2 * kill_grace(s) +
	    OVERDUE_SLACK_S;
	log_debug("job=%lld: kind \"%s\" attempt %d to worker %ld", sl->job,
	    PQgetvalue(res, i, 1), sl->attempt, (long)sl->pid);
	if (msg == NULL || wire_send(sl->fd, msg) == -1) {
		log_warn("job=%lld: cannot hand to worker %ld: %s", sl->job,
		    (long)sl->pid, msg == NULL ? "out of memory" :
		    strerror(errno));
		record_release(s, sl);
		sl->busy = 0;
		slot_close(sl);
		kill(sl->pid, SIGKILL);
	}
	json_decref(msg);
}

/*
 * Claim as many due jobs as there are idle workers, recording the
 * outcomes waiting in s->pending in the same statement.  When the claim
 * fails, the outcomes stay pending: flush() tries them on their own.
 */
static void
claim(struct sup *s)
{
	PGresult	*res;
	char		 err[512], *outcomes;
	int		 idle, got, i;
	double		 now = now_s();

	if (s->conn == NULL || s->stopping || (idle = idle_count(s)) == 0)
		return;
	if (!s->more && now < s->next_poll)
		return;
	if ((outcomes = json_dumps(s->pending, JSON_COMPACT)) == NULL) {
		log_error("out of memory claiming jobs");
		return;
	}
	got = store_claim(s->conn, s->id, outcomes, idle, queues(s), &res,
	    err, sizeof(err));
	free(outcomes);
	if (got < 0) {
		if (got == STORE_OUTAGE)
			db_lost(s, err);
		else
			log_error("claim: %s", err);
		s->more = 0;
		s->next_poll = now + poll_interval(s);
		return;
	}
	json_array_clear(s->pending);
	for (i = 0; i < got; i++)
		dispatch(s, res, i);
	PQclear(res);
	s->last_got = got;
	s->more = got == idle;
	if (!s->more)
		s->next_poll = now + poll_interval(s);
}

/* ---- signals, reload, stop ---- */

static void
reload(struct sup *s)
{
	struct config	*cfg;
	char		 err[512];
	int		 beat, resc;

	if (s->opt->config_path == NULL) {
		log_info("SIGHUP: no configuration file to reload");
		return;
	}
	if ((cfg = config_load(s->opt->config_path, err, sizeof(err))) ==
	    NULL) {
		log_error("reload failed, keeping the old configuration: %s",
		    err);
		return;
	}
	if (supervisor_timing(s->opt, cfg, &beat, &resc, err,
	    sizeof(err)) == -1) {
		log_error("reload failed, keeping the old configuration: "
		    "%s: %s", cfg->path, err);
		config_free(cfg);
		return;
	}
	s->beat_s = beat;
	s->rescue_s = resc;
	if (!s->opt->workers_cli && cfg->workers != 0 &&
	    cfg->workers != s->nslots)
		log_warn("workers = %d takes effect only after a restart",
		    cfg->workers);
	config_free(s->cfg);
	s->cfg = cfg;
	log_info("configuration reloaded from \"%s\"", cfg->path);
}

static void
begin_stop(struct sup *s, const char *why)
{

	if (s->stopping)
		return;
	s->stopping = 1;
	s->stop_deadline = now_s() + shutdown_timeout(s);
	log_info("stopping (%s): waiting up to %d s for %d jobs", why,
	    shutdown_timeout(s), busy_count(s));
}

static void
read_signals(struct sup *s)
{
	unsigned char	 buf[64];
	ssize_t		 n, i;

	while ((n = read(sig_pipe[0], buf, sizeof(buf))) > 0)
		for (i = 0; i < n; i++) {
			if (buf[i] == SIGHUP)
				reload(s);
			else if (buf[i] == SIGTERM)
				begin_stop(s, "SIGTERM");
			else if (buf[i] == SIGINT)
				begin_stop(s, "SIGINT");
			else if (buf[i] == SIGCHLD)
				reap(s);
		}
}

/*
 * Past the shutdown timeout: have the workers kill their handlers and
 * give those jobs back without counting the attempt.  A job that
 * completes before its worker hears of it is recorded as completed.
 */
static void
kill_busy(struct sup *s)
{
	struct slot	*sl;
	int		 i;

	for (i = 0; i < s->nslots; i++) {
		sl = &s->slots[i];
		if (!sl->busy || sl->stop == STOP_RELEASE || sl->urgent)
			continue;
		if (sl->stop == STOP_CANCEL) {
			/* Cancelled it stays; only hurry it. */
			ask_stop(s, sl, STOP_CANCEL, 1);
			continue;
		}
		log_warn("job=%lld: shutdown timeout, stopping it in worker "
		    "%ld and releasing the job", sl->job, (long)sl->pid);
		ask_stop(s, sl, STOP_RELEASE, 1);
	}
}

/* ---- the loop ---- */

static int
poll_timeout(const struct sup *s)
{
	double	 t = now_s(), next = t + poll_interval(s);
	int	 ms;

	if (!s->more && s->next_poll < next)
		next = s->next_poll;
	if (s->conn != NULL && s->next_beat < next)
		next = s->next_beat;
	if (s->conn == NULL && s->reconnect_at < next)
		next = s->reconnect_at;
	if (s->stopping && s->stop_deadline < next)
		next = s->stop_deadline;
	if (s->more && idle_count(s) > 0 && s->conn != NULL && !s->stopping)
		return 0;
	ms = (int)((next - t) * 1000) + 1;
	/* Respawns wait on the clock too; look at least twice a second. */
	if (ms > 500)
		ms = 500;
	return ms < 0 ? 0 : ms;
}

static void
wait_events(struct sup *s)
{
	struct pollfd	*pfd;
	int		 i, n = 0, dbi = -1;

	take_notifies(s);
	if ((pfd = calloc(s->nslots + 2, sizeof(*pfd))) == NULL)
		return;
	pfd[n].fd = sig_pipe[0];
	pfd[n++].events = POLLIN;
	if (s->conn != NULL) {
		dbi = n;
		pfd[n].fd = PQsocket(s->conn);
		pfd[n++].events = POLLIN;
	}
	for (i = 0; i < s->nslots; i++) {
		pfd[n + i].fd = s->slots[i].fd;	/* -1 is skipped */
		pfd[n + i].events = POLLIN;
	}
	if (poll(pfd, n + s->nslots, poll_timeout(s)) > 0) {
		if (pfd[0].revents)
			read_signals(s);
		if (dbi != -1 && pfd[dbi].revents && s->conn != NULL)
			db_input(s);
		for (i = 0; i < s->nslots; i++)
			if (pfd[n + i].revents && s->slots[i].fd != -1 &&
			    s->slots[i].fd == pfd[n + i].fd)
				worker_input(s, &s->slots[i]);
	}
	free(pfd);
}

/* One turn of the loop; returns 0 when it is time to leave. */
static int
step(struct sup *s)
{

	db_reconnect(s);
	respawn(s);
	check_overdue(s);
	/* A claim records the outcomes; flush() those no claim took. */
	claim(s);
	flush(s);
	heartbeat(s);
	if (s->stopping) {
		if (busy_count(s) > 0 && now_s() >= s->stop_deadline)
			kill_busy(s);
		if (busy_count(s) == 0)
			return 0;
	} else {
		if (s->opt->once && s->last_got == 0 && busy_count(s) == 0 &&
		    s->conn != NULL)
			begin_stop(s, "--once: nothing left to do");
		if (s->stopping && busy_count(s) == 0)
			return 0;
	}
	wait_events(s);
	return 1;
}

/* Record what is left, let the workers go, leave jobq.runners. */
static int
finish(struct sup *s)
{
	double	 until = now_s() + FINAL_FLUSH_S;
	char	 err[512];
	int	 i, st;

	while (json_array_size(s->pending) > 0 && now_s() < until) {
		db_reconnect(s);
		flush(s);
		if (json_array_size(s->pending) > 0)
			poll(NULL, 0, 200);
	}
	if (json_array_size(s->pending) > 0) {
		/* XXX these jobs stay running until a rescue finds them. */
		log_error("could not record %zu outcomes before exiting",
		    json_array_size(s->pending));
		s->lost += (int)json_array_size(s->pending);
	}
	/* Closing a worker's socket is its signal to exit. */
	for (i = 0; i < s->nslots; i++)
		slot_close(&s->slots[i]);
	for (i = 0; i < s->nslots; i++)
		if (s->slots[i].pid != 0)
			waitpid(s->slots[i].pid, &st, 0);
	if (s->conn != NULL &&
	    store_deregister(s->conn, s->id, err, sizeof(err)) < 0)
		log_warn("cannot remove runner row: %s", err);
	log_info("stopped");
	return s->lost > 0 ? 1 : 0;
}

static void
sup_free(struct sup *s)
{

	if (s->conn != NULL)
		PQfinish(s->conn);
	json_decref(s->pending);
	free(s->slots);
	config_free(s->cfg);
}

/* Start-up: who we are, the database, our orphans, the signals. */
static int
start(struct sup *s)
{
	char	 err[512], msg[512];
	int	 r, i;

	if (gethostname(s->host, sizeof(s->host)) == -1)
		snprintf(s->host, sizeof(s->host), "localhost");
	s->host[sizeof(s->host) - 1] = '\0';
	if (s->opt->id != NULL)
		snprintf(s->id, sizeof(s->id), "%s", s->opt->id);
	else
		snprintf(s->id, sizeof(s->id), "%s:%ld", s->host,
		    (long)getpid());
	if ((s->pending = json_array()) == NULL ||
	    (s->slots = calloc(s->nslots, sizeof(*s->slots))) == NULL) {
		log_error("out of memory");
		return -1;
	}
	for (i = 0; i < s->nslots; i++)
		s->slots[i].fd = -1;
	if ((r = db_open(s, err, sizeof(err))) < 0) {
		log_error("%s: %s", r == -1 ? "cannot connect to the database" :
		    "connected, but cannot use the database",
		    one_line(err, msg, sizeof(msg)));
		return -1;
	}
	if ((r = store_rescue_own(s->conn, s->id, err, sizeof(err))) < 0)
		log_warn("cannot release jobs of an earlier \"%s\": %s",
		    s->id, err);
	else if (r > 0)
		log_warn("released %d jobs an earlier \"%s\" left running",
		    r, s->id);
	if (signals_setup() == -1) {
		log_error("signals: %s", strerror(errno));
		return -1;
	}
	return 0;
}

int
supervisor_run(const struct sup_options *opt, struct config *cfg)
{
	struct sup	 s;
	char		 err[256];
	int		 rc = 1;

	memset(&s, 0, sizeof(s));
	s.opt = opt;
	s.cfg = cfg;
	s.nslots = opt->workers;
	s.more = 1;
	s.dbfd = -1;
	s.last_got = -1;	/* no claim yet */
	s.beat_s = JOBQ_HEARTBEAT_S;
	s.rescue_s = JOBQ_RESCUE_AFTER_S;
	if (supervisor_timing(opt, cfg, &s.beat_s, &s.rescue_s, err,
	    sizeof(err)) == -1)
		log_warn("%s", err);	/* main() checked it already */
	if (start(&s) == 0) {
		respawn(&s);
		log_info("started: id \"%s\", %d workers, queues %s%s, "
		    "heartbeat %d s, rescue after %d s, retention %d s",
		    s.id, s.nslots, queues(&s) != NULL ? queues(&s) : "(all)",
		    opt->once ? ", once" : "", s.beat_s, s.rescue_s,
		    retention(&s));
		while (step(&s))
			continue;
		rc = finish(&s);
	}
	sup_free(&s);
	return rc;
}
