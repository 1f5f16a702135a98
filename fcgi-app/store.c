/* SPDX-License-Identifier: ISC */
/* store.c - the app's prepared statements, and reconnecting. */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <libpq-fe.h>

#include "db.h"
#include "jobq_limits.h"
#include "log.h"
#include "store.h"

/* How often a unique-key conflict is retried when its holder vanishes. */
#define ENQUEUE_TRIES	3

/* The statements prepared on every connection, by name. */
enum stmt {
	STMT_INSERT,
	STMT_DUPLICATE,
	STMT_GET,
	STMT_WAKE,
	STMT_PING,
	STMT_LIST,
	STMT_CANCEL,
	STMT_RETRY,
	STMT_COUNTS,
	STMT_ENQUEUED,
	STMT_BATCH,
	STMT__MAX
};

/*
 * The job's JSON comes straight from to_jsonb(), so it always has the
 * table's columns under their own names.  The conflict target names
 * the partial unique index on (queue, unique_key): a job whose key is
 * held by an unfinished job is not inserted, and returns no row.
 */
static const struct {
	const char	*name;
	const char	*sql;
} stmts[STMT__MAX] = {
	{ "jobq_insert",			/* STMT_INSERT */
	    "INSERT INTO jobq.jobs AS j (queue, kind, args, priority,"
	    " run_at, max_attempts, timeout, unique_key)"
	    " VALUES ($1, $2, $3::jsonb, $4::smallint,"
	    " coalesce($5::timestamptz,"
	    " now() + make_interval(secs => $6::integer)),"
	    " $7::integer, $8::integer, $9)"
	    " ON CONFLICT (queue, unique_key) WHERE unique_key IS NOT NULL"
	    " AND state IN ('available', 'running', 'waiting') DO NOTHING"
	    " RETURNING to_jsonb(j.*)::text, j.id, j.run_at <= now(),"
	    " j.queue" },
	{ "jobq_duplicate",			/* STMT_DUPLICATE */
	    "SELECT (to_jsonb(j.*) || '{\"duplicate\": true}')::text, j.id,"
	    " false, j.queue FROM jobq.jobs j"
	    " WHERE j.queue = $1 AND j.unique_key = $2"
	    " AND j.state IN ('available', 'running', 'waiting')" },
	{ "jobq_get",				/* STMT_GET */
	    "SELECT to_jsonb(j.*)::text, j.id, false, j.queue"
	    " FROM jobq.jobs j WHERE j.id = $1::bigint" },
	{ "jobq_wake",				/* STMT_WAKE */
	    "SELECT jobq.wake($1)" },
	{ "jobq_ping",				/* STMT_PING */
	    "SELECT 1" },
	/*
	 * One page, oldest first; "next" is the cursor for the page after
	 * it, or null on the last page.
	 * XXX the optional filters share one generic plan after a few
	 * runs; a plan per filter combination would use the indexes better.
	 */
	{ "jobq_list",				/* STMT_LIST */
	    "SELECT json_build_object('jobs', coalesce(json_agg(to_jsonb(p.*)"
	    " ORDER BY p.id), '[]'), 'next', CASE WHEN count(*) = $5::integer"
	    " THEN max(p.id) END)::text, 0, false, ''"
	    " FROM (SELECT * FROM jobq.jobs j"
	    " WHERE ($1::text IS NULL OR j.queue = $1)"
	    " AND ($2::jobq.job_state IS NULL OR j.state = $2)"
	    " AND ($3::text IS NULL OR j.kind = $3) AND j.id > $4::bigint"
	    " ORDER BY j.id LIMIT $5::integer) p" },
	/* The third column says whether the job is still running. */
	{ "jobq_cancel",			/* STMT_CANCEL */
	    "SELECT to_jsonb(c.*)::text, c.id, c.state = 'running', c.queue"
	    " FROM jobq.cancel($1::bigint) c" },
	{ "jobq_retry",				/* STMT_RETRY */
	    "SELECT to_jsonb(r.*)::text, r.id, r.run_at <= now(), r.queue"
	    " FROM jobq.retry($1::bigint) r" },
	/* XXX counts every job on each call; fine until millions. */
	{ "jobq_counts",			/* STMT_COUNTS */
	    "SELECT j.queue, j.state::text, count(*),"
	    " count(*) FILTER (WHERE j.run_at > now()),"
	    " round(extract(epoch FROM now() - min(j.run_at)"
	    " FILTER (WHERE j.run_at <= now())), 3)::float8,"
	    " EXISTS (SELECT 1 FROM jobq.queues q"
	    " WHERE q.name = j.queue AND q.paused)"
	    " FROM jobq.jobs j GROUP BY 1, 2 ORDER BY 1, 2" },
	/* Ids handed out so far: a cluster-wide enqueue counter. */
	{ "jobq_enqueued",			/* STMT_ENQUEUED */
	    "SELECT CASE WHEN is_called THEN last_value ELSE 0 END"
	    " FROM jobq.jobs_id_seq" },
	/*
	 * Many jobs in one statement.  Identity values are drawn in the
	 * order of the ORDER BY, so ids sorted ascending are in the
	 * order the client sent.  The second column lists the queues
	 * with a job due now, one per line.
	 */
	{ "jobq_batch",				/* STMT_BATCH */
	    "WITH r AS (SELECT * FROM ROWS FROM (jsonb_to_recordset($1::jsonb)"
	    " AS (queue text, kind text, args jsonb, priority smallint,"
	    " run_at timestamptz, delay integer, max_attempts integer,"
	    " timeout integer)) WITH ORDINALITY AS r(queue, kind, args,"
	    " priority, run_at, delay, max_attempts, timeout, ord)),"
	    " ins AS (INSERT INTO jobq.jobs AS j (queue, kind, args, priority,"
	    " run_at, max_attempts, timeout)"
	    " SELECT r.queue, r.kind, r.args, r.priority, coalesce(r.run_at,"
	    " now() + make_interval(secs => r.delay)), r.max_attempts,"
	    " r.timeout FROM r ORDER BY r.ord"
	    " RETURNING j.id, j.queue, j.run_at <= now() AS due)"
	    " SELECT (SELECT json_agg(id ORDER BY id) FROM ins)::text,"
	    " (SELECT string_agg(DISTINCT queue, E'\\n') FROM ins"
	    " WHERE due)" },
};

struct store {
	PGconn		*conn;
	int		 lost;	/* the server said it is closing the session */
	time_t		 hold_until;	/* no connection attempt before this */
};

struct store *
store_new(void)
{

	return calloc(1, sizeof(struct store));
}

static void
drop_conn(struct store *s)
{

	PQfinish(s->conn);
	s->conn = NULL;
}

void
store_free(struct store *s)
{

	if (s == NULL)
		return;
	drop_conn(s);
	free(s);
}

/*
 * Log what the server says outside a query.  A FATAL or PANIC ends the
 * session: remember it, so the next request reconnects first.
 */
static void
on_notice(void *arg, const PGresult *res)
{
	struct store	*s = arg;
	const char	*sev, *msg;
	char		 esc[256];

	sev = PQresultErrorField(res, PG_DIAG_SEVERITY_NONLOCALIZED);
	msg = PQresultErrorField(res, PG_DIAG_MESSAGE_PRIMARY);
	if (msg == NULL)
		msg = "";
	log_escape(esc, sizeof(esc), msg, strlen(msg));
	if (sev != NULL && (strcmp(sev, "FATAL") == 0 ||
	    strcmp(sev, "PANIC") == 0)) {
		s->lost = 1;
		log_warn("database closing the session: %s", esc);
	} else
		log_debug("database notice: %s", esc);
}

/*
 * Connect and prepare every statement.  Times are shown in UTC so the
 * JSON does not depend on the server's TimeZone setting.
 * XXX prepared statements need a session; behind PgBouncer in
 * transaction mode they need its prepared statement support (1.21+).
 */
static int
store_connect(struct store *s, char *err, size_t errlen)
{
	size_t	 i;
	time_t	 start = time(NULL);

	if ((s->conn = db_connect("jobq.fcgi", err, errlen)) == NULL) {
		/*
		 * A refused connection fails at once and is tried again by
		 * the next request.  One that ran into connect_timeout (a
		 * host that does not answer) would cost every request that
		 * long, tying up the web server: answer 503 at once for a
		 * while instead.
		 */
		if (time(NULL) - start >= 1)
			s->hold_until = time(NULL) + JOBQ_RETRY_AFTER;
		return -1;
	}
	s->lost = 0;
	PQsetNoticeReceiver(s->conn, on_notice, s);
	if (db_check(s->conn, PQexec(s->conn, "SELECT pg_catalog."
	    "set_config('TimeZone', 'UTC', false)"), err, errlen) == -1)
		goto fail;
	for (i = 0; i < STMT__MAX; i++)
		if (db_check(s->conn, PQprepare(s->conn, stmts[i].name,
		    stmts[i].sql, 0, NULL), err, errlen) == -1)
			goto fail;
	return 0;
fail:
	drop_conn(s);
	return -1;
}

enum store_rc
store_ready(struct store *s, char *err, size_t errlen)
{

	if (s->conn != NULL && db_idle_ok(s->conn) && !s->lost)
		return STORE_OK;
	if (s->conn != NULL)
		log_info("reconnecting to the database");
	drop_conn(s);
	if (time(NULL) < s->hold_until) {
		snprintf(err, errlen, "database unreachable, not retrying "
		    "for %lld s", (long long)(s->hold_until - time(NULL)));
		return STORE_UNAVAILABLE;
	}
	return store_connect(s, err, errlen) == 0 ?
	    STORE_OK : STORE_UNAVAILABLE;
}

/* Sort a failed statement into a store_rc, from its SQLSTATE. */
static enum store_rc
classify(struct store *s, PGresult *res, char *err, size_t errlen)
{
	const char	*state = db_sqlstate(res);
	const char	*msg;

	msg = res != NULL ?
	    PQresultErrorField(res, PG_DIAG_MESSAGE_PRIMARY) : NULL;
	snprintf(err, errlen, "%s", msg != NULL ? msg : db_error(s->conn));
	if (db_is_outage(s->conn, res)) {
		drop_conn(s);
		return STORE_UNAVAILABLE;
	}
	/* Class 22: data exception, such as a run_at in month 13. */
	if (strncmp(state, "22", 2) == 0)
		return STORE_INVALID;
	if (strcmp(state, "23505") == 0)
		return STORE_CONFLICT;
	if (strncmp(state, "23", 2) == 0)
		return STORE_INVALID;
	/* Start afresh: the session may have lost its statements. */
	drop_conn(s);
	return STORE_ERROR;
}

/*
 * Run a prepared statement that returns (json, id, due).  STORE_OK
 * fills job from the first row, STORE_NOT_FOUND when no row came back.
 */
static enum store_rc
run(struct store *s, enum stmt st, int n, const char *const *vals,
    struct store_job *job, char *err, size_t errlen)
{
	PGresult	*res;
	enum store_rc	 rc = STORE_OK;

	if (s->conn == NULL) {
		snprintf(err, errlen, "not connected");
		return STORE_UNAVAILABLE;
	}
	res = PQexecPrepared(s->conn, stmts[st].name, n, vals, NULL, NULL,
	    0);
	if (PQresultStatus(res) != PGRES_TUPLES_OK)
		rc = classify(s, res, err, errlen);
	else if (job == NULL || PQntuples(res) == 0)
		rc = PQntuples(res) == 0 ? STORE_NOT_FOUND : STORE_OK;
	else if ((job->json = strdup(PQgetvalue(res, 0, 0))) == NULL) {
		snprintf(err, errlen, "out of memory");
		rc = STORE_ERROR;
	} else {
		job->id = strtoll(PQgetvalue(res, 0, 1), NULL, 10);
		job->due = PQgetvalue(res, 0, 2)[0] == 't';
		if (PQnfields(res) > 3)
			snprintf(job->queue, sizeof(job->queue), "%s",
			    PQgetvalue(res, 0, 3));
	}
	PQclear(res);
	return rc;
}

static const char *
int_param(char *buf, size_t len, int has, int v)
{

	if (!has)
		return NULL;
	snprintf(buf, len, "%d", v);
	return buf;
}

enum store_rc
store_enqueue(struct store *s, const struct jobreq *r,
    struct store_job *job, char *err, size_t errlen)
{
	char		 prio[16], delay[16], att[16], tmo[16];
	const char	*vals[9], *dvals[2];
	enum store_rc	 rc;
	int		 i;

	memset(job, 0, sizeof(*job));
	vals[0] = r->queue != NULL ? r->queue : JOBQ_DEFAULT_QUEUE;
	vals[1] = r->kind;
	vals[2] = r->args != NULL ? r->args : "{}";
	vals[3] = int_param(prio, sizeof(prio), 1,
	    r->has_priority ? r->priority : 0);
	vals[4] = r->run_at;
	vals[5] = int_param(delay, sizeof(delay), 1,
	    r->has_delay ? r->delay : 0);
	vals[6] = int_param(att, sizeof(att), 1, r->has_max_attempts ?
	    r->max_attempts : JOBQ_DEFAULT_MAX_ATTEMPTS);
	vals[7] = int_param(tmo, sizeof(tmo), r->has_timeout, r->timeout);
	vals[8] = r->unique_key;
	dvals[0] = vals[0];
	dvals[1] = vals[8];
	/*
	 * No row back means an unfinished job holds the key.  If that job
	 * finishes before we read it, the insert may succeed next time:
	 * retrying is safe because nothing was written.
	 */
	for (i = 0; i < ENQUEUE_TRIES; i++) {
		rc = run(s, STMT_INSERT, 9, vals, job, err, errlen);
		if (rc != STORE_NOT_FOUND)
			return rc;
		rc = run(s, STMT_DUPLICATE, 2, dvals, job, err, errlen);
		if (rc == STORE_OK)
			return STORE_DUPLICATE;
		if (rc != STORE_NOT_FOUND)
			return rc;
	}
	snprintf(err, errlen, "the unique key kept changing hands");
	return STORE_CONFLICT;
}

/* Read-only statements may run again on a fresh connection. */
static enum store_rc
run_twice(struct store *s, enum stmt st, int n, const char *const *vals,
    struct store_job *job, char *err, size_t errlen)
{
	enum store_rc	 rc;
	int		 i;

	for (i = 0; i < 2; i++) {
		if ((rc = store_ready(s, err, errlen)) != STORE_OK)
			return rc;
		rc = run(s, st, n, vals, job, err, errlen);
		if (rc != STORE_UNAVAILABLE)
			break;
	}
	return rc;
}

enum store_rc
store_get(struct store *s, long long id, struct store_job *job, char *err,
    size_t errlen)
{
	char		 idbuf[24];
	const char	*vals[1] = { idbuf };

	memset(job, 0, sizeof(*job));
	snprintf(idbuf, sizeof(idbuf), "%lld", id);
	return run_twice(s, STMT_GET, 1, vals, job, err, errlen);
}

enum store_rc
store_ping(struct store *s, char *err, size_t errlen)
{

	return run_twice(s, STMT_PING, 0, NULL, NULL, err, errlen);
}

enum store_rc
store_wake(struct store *s, const char *queue, char *err, size_t errlen)
{
	const char	*vals[1] = { queue };

	return run(s, STMT_WAKE, 1, vals, NULL, err, errlen);
}

enum store_rc
store_list(struct store *s, const struct jobfilter *f,
    struct store_job *job, char *err, size_t errlen)
{
	char		 after[24], limit[16];
	const char	*vals[5];

	memset(job, 0, sizeof(*job));
	vals[0] = f->queue[0] != '\0' ? f->queue : NULL;
	vals[1] = f->state[0] != '\0' ? f->state : NULL;
	vals[2] = f->kind[0] != '\0' ? f->kind : NULL;
	snprintf(after, sizeof(after), "%lld", f->after);
	snprintf(limit, sizeof(limit), "%d", f->limit);
	vals[3] = after;
	vals[4] = limit;
	return run_twice(s, STMT_LIST, 5, vals, job, err, errlen);
}

/* cancel and retry change a row: they are never run twice. */
static enum store_rc
run_once(struct store *s, enum stmt st, long long id,
    struct store_job *job, char *err, size_t errlen)
{
	char		 idbuf[24];
	const char	*vals[1] = { idbuf };
	enum store_rc	 rc;

	memset(job, 0, sizeof(*job));
	snprintf(idbuf, sizeof(idbuf), "%lld", id);
	if ((rc = store_ready(s, err, errlen)) != STORE_OK)
		return rc;
	return run(s, st, 1, vals, job, err, errlen);
}

enum store_rc
store_cancel(struct store *s, long long id, struct store_job *job,
    char *err, size_t errlen)
{

	return run_once(s, STMT_CANCEL, id, job, err, errlen);
}

enum store_rc
store_retry(struct store *s, long long id, struct store_job *job,
    char *err, size_t errlen)
{

	return run_once(s, STMT_RETRY, id, job, err, errlen);
}

/* Run a read-only statement and keep its result; NULL on failure. */
static PGresult *
query(struct store *s, enum stmt st, enum store_rc *rc, char *err,
    size_t errlen)
{
	PGresult	*res;
	int		 i;

	for (i = 0; i < 2; i++) {
		if ((*rc = store_ready(s, err, errlen)) != STORE_OK)
			return NULL;
		res = PQexecPrepared(s->conn, stmts[st].name, 0, NULL, NULL,
		    NULL, 0);
		if (PQresultStatus(res) == PGRES_TUPLES_OK)
			return res;
		*rc = classify(s, res, err, errlen);
		PQclear(res);
		if (*rc != STORE_UNAVAILABLE)
			break;
	}
	return NULL;
}

enum store_rc
store_counts(struct store *s, struct store_count **rows, size_t *n,
    char *err, size_t errlen)
{
	struct store_count	*c;
	PGresult		*res;
	enum store_rc		 rc;
	int			 i;

	*rows = NULL;
	*n = 0;
	if ((res = query(s, STMT_COUNTS, &rc, err, errlen)) == NULL)
		return rc;
	if ((c = calloc((size_t)PQntuples(res) + 1, sizeof(*c))) == NULL) {
		PQclear(res);
		snprintf(err, errlen, "out of memory");
		return STORE_ERROR;
	}
	for (i = 0; i < PQntuples(res); i++) {
		snprintf(c[i].queue, sizeof(c[i].queue), "%s",
		    PQgetvalue(res, i, 0));
		snprintf(c[i].state, sizeof(c[i].state), "%s",
		    PQgetvalue(res, i, 1));
		c[i].count = strtoll(PQgetvalue(res, i, 2), NULL, 10);
		c[i].scheduled = strtoll(PQgetvalue(res, i, 3), NULL, 10);
		c[i].has_oldest = !PQgetisnull(res, i, 4);
		c[i].oldest = strtod(PQgetvalue(res, i, 4), NULL);
		c[i].paused = PQgetvalue(res, i, 5)[0] == 't';
	}
	*rows = c;
	*n = (size_t)PQntuples(res);
	PQclear(res);
	return STORE_OK;
}

enum store_rc
store_enqueued(struct store *s, long long *total, char *err, size_t errlen)
{
	PGresult	*res;
	enum store_rc	 rc;

	*total = 0;
	if ((res = query(s, STMT_ENQUEUED, &rc, err, errlen)) == NULL)
		return rc;
	if (PQntuples(res) == 1)
		*total = strtoll(PQgetvalue(res, 0, 0), NULL, 10);
	PQclear(res);
	return STORE_OK;
}

/*
 * One job of a batch as a JSON object for jsonb_to_recordset.  Names
 * and run_at have been validated to hold no character JSON must
 * escape, and args is already compact JSON.
 */
static int
batch_item(char **buf, size_t *len, size_t *cap, const struct jobreq *r)
{
	char	 head[512];
	size_t	 hl, al, need;
	char	*np;
	int	 n;

	n = snprintf(head, sizeof(head), "%s{\"queue\":\"%s\","
	    "\"kind\":\"%s\",\"priority\":%d,\"delay\":%d,"
	    "\"max_attempts\":%d,\"run_at\":%s%s%s,\"timeout\":",
	    *len > 1 ? "," : "",
	    r->queue != NULL ? r->queue : JOBQ_DEFAULT_QUEUE, r->kind,
	    r->has_priority ? r->priority : 0, r->has_delay ? r->delay : 0,
	    r->has_max_attempts ? r->max_attempts :
	    JOBQ_DEFAULT_MAX_ATTEMPTS, r->run_at != NULL ? "\"" : "",
	    r->run_at != NULL ? r->run_at : "null",
	    r->run_at != NULL ? "\"" : "");
	if (n < 0 || (size_t)n >= sizeof(head) - 40)
		return -1;
	hl = (size_t)n;
	if (r->has_timeout)
		hl += (size_t)snprintf(head + hl, sizeof(head) - hl, "%d",
		    r->timeout);
	else
		hl += (size_t)snprintf(head + hl, sizeof(head) - hl, "null");
	hl += (size_t)snprintf(head + hl, sizeof(head) - hl, ",\"args\":");
	al = r->args != NULL ? strlen(r->args) : 2;
	need = *len + hl + al + 3;
	if (need > *cap) {
		if ((np = realloc(*buf, need * 2)) == NULL)
			return -1;
		*buf = np;
		*cap = need * 2;
	}
	memcpy(*buf + *len, head, hl);
	memcpy(*buf + *len + hl, r->args != NULL ? r->args : "{}", al);
	*len += hl + al;
	memcpy(*buf + *len, "}", 2);
	*len += 1;
	return 0;
}

enum store_rc
store_batch(struct store *s, const struct jobbatch *b, char **ids,
    char **due, char *err, size_t errlen)
{
	PGresult	*res;
	const char	*vals[1];
	char		*buf = NULL;
	size_t		 i, len = 1, cap = 0;
	enum store_rc	 rc = STORE_OK;

	*ids = *due = NULL;
	if (b->n == 0) {
		snprintf(err, errlen, "empty batch");
		return STORE_ERROR;
	}
	for (i = 0; i < b->n; i++)
		if (batch_item(&buf, &len, &cap, &b->jobs[i]) == -1) {
			free(buf);
			snprintf(err, errlen, "out of memory");
			return STORE_ERROR;
		}
	buf[0] = '[';
	memcpy(buf + len, "]", 2);
	if ((rc = store_ready(s, err, errlen)) != STORE_OK) {
		free(buf);
		return rc;
	}
	vals[0] = buf;
	res = PQexecPrepared(s->conn, stmts[STMT_BATCH].name, 1, vals, NULL,
	    NULL, 0);
	free(buf);
	if (PQresultStatus(res) != PGRES_TUPLES_OK)
		rc = classify(s, res, err, errlen);
	else if ((*ids = strdup(PQgetvalue(res, 0, 0))) == NULL ||
	    (*due = strdup(PQgetvalue(res, 0, 1))) == NULL) {
		snprintf(err, errlen, "out of memory");
		rc = STORE_ERROR;
	}
	PQclear(res);
	return rc;
}
