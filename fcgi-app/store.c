/* SPDX-License-Identifier: ISC */
/* store.c - the app's prepared statements, and reconnecting. */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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
	    " RETURNING to_jsonb(j.*)::text, j.id, j.run_at <= now()" },
	{ "jobq_duplicate",			/* STMT_DUPLICATE */
	    "SELECT (to_jsonb(j.*) || '{\"duplicate\": true}')::text, j.id,"
	    " false FROM jobq.jobs j"
	    " WHERE j.queue = $1 AND j.unique_key = $2"
	    " AND j.state IN ('available', 'running', 'waiting')" },
	{ "jobq_get",				/* STMT_GET */
	    "SELECT to_jsonb(j.*)::text, j.id, false FROM jobq.jobs j"
	    " WHERE j.id = $1::bigint" },
	{ "jobq_wake",				/* STMT_WAKE */
	    "SELECT jobq.wake($1)" },
	{ "jobq_ping",				/* STMT_PING */
	    "SELECT 1" },
};

struct store {
	PGconn		*conn;
	int		 lost;	/* the server said it is closing the session */
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

/* A command on a fresh connection; 0 or -1 with err filled. */
static int
setup_exec(PGconn *conn, PGresult *res, char *err, size_t errlen)
{
	ExecStatusType	 st = PQresultStatus(res);

	if (st != PGRES_COMMAND_OK && st != PGRES_TUPLES_OK) {
		snprintf(err, errlen, "%s", db_error(conn));
		PQclear(res);
		return -1;
	}
	PQclear(res);
	return 0;
}

/*
 * Connect and prepare every statement.  Times are shown in UTC so the
 * JSON does not depend on the server's TimeZone setting.
 * XXX prepared statements need a session; behind PgBouncer in
 * transaction mode they need its prepared statement support (1.21+).
 * XXX an unreachable host costs each request connect_timeout; there is
 * no backoff between attempts.
 */
static int
store_connect(struct store *s, char *err, size_t errlen)
{
	size_t	 i;

	if ((s->conn = db_connect("jobq.fcgi", err, errlen)) == NULL)
		return -1;
	s->lost = 0;
	PQsetNoticeReceiver(s->conn, on_notice, s);
	if (setup_exec(s->conn, PQexec(s->conn, "SELECT pg_catalog."
	    "set_config('TimeZone', 'UTC', false)"), err, errlen) == -1)
		goto fail;
	for (i = 0; i < STMT__MAX; i++)
		if (setup_exec(s->conn, PQprepare(s->conn, stmts[i].name,
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
