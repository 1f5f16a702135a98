/* SPDX-License-Identifier: ISC */
/* store.c - the runner's SQL: register, heartbeat, claim, finish. */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "db.h"
#include "store.h"

/*
 * Whether job j was asked to stop (cancel_requested_at, added by
 * sql/003_roles_api.sql).  Statements that use it are prepared with
 * "false" instead while the schema lacks the column.
 */
#define ASKED_NEW	"(j.cancel_requested_at IS NOT NULL)"
#define ASKED_OLD	"false"

/*
 * The action of outcome r on job j: putting back ("retry", "release")
 * a job a client asked to cancel cancels it instead.
 */
#define ACT(C) \
	"(CASE WHEN r.action IN ('retry', 'release') AND " C " " \
	"THEN 'cancel' ELSE r.action END)"

/* Record a batch of outcomes; see store_finish. */
#define FINISH(C) \
	"UPDATE jobq.jobs j SET " \
	"state = CASE " ACT(C) " WHEN 'complete' THEN 'completed' " \
	"WHEN 'fail' THEN 'failed' WHEN 'cancel' THEN 'cancelled' " \
	"ELSE 'available' END::jobq.job_state, " \
	"result = CASE WHEN r.action = 'complete' THEN r.result " \
	"ELSE j.result END, " \
	"finished_at = CASE WHEN " ACT(C) " IN ('complete', 'fail', " \
	"'cancel') THEN now() ELSE j.finished_at END, " \
	"run_at = CASE WHEN " ACT(C) " = 'retry' " \
	"THEN now() + make_interval(secs => r.delay) ELSE j.run_at END, " \
	"runner = CASE WHEN " ACT(C) " IN ('retry', 'release') THEN NULL " \
	"ELSE j.runner END, " \
	"attempt = CASE WHEN " ACT(C) " = 'release' " \
	"THEN greatest(j.attempt - 1, 0) ELSE j.attempt END, " \
	"errors = CASE WHEN " ACT(C) " IN ('retry', 'fail', 'cancel') " \
	"THEN j.errors || jsonb_build_array(jsonb_build_object(" \
	"'attempt', j.attempt, 'at', now(), 'error', " \
	"coalesce(r.error, 'cancelled'))) ELSE j.errors END " \
	"FROM jsonb_to_recordset($2::jsonb) AS r(id bigint, action text, " \
	"result jsonb, error text, delay float8) " \
	"WHERE j.id = r.id AND j.state = 'running' AND j.runner = $1"

/*
 * Record a batch of outcomes ($2, as for store_finish) and claim up to
 * $3 due jobs for runner $1, in one statement and so one commit: a
 * runner that is busy does both each time a worker comes free.  The
 * claim reads jobs_claim_idx (priority, run_at, id) WHERE state =
 * 'available' in its own order, so LIMIT stops after $3 rows; SKIP
 * LOCKED lets concurrent runners take different rows without waiting.
 * Jobs of queues paused in jobq.queues (few rows) are passed over.
 * Both parts see the same snapshot and touch different rows (running
 * ones of ours, available ones), so a job put back for a retry is not
 * claimed again by the same statement.
 */
#define CLAIM(C, QUEUES) \
	"WITH f AS (" FINISH(C) " RETURNING 1), " \
	"c AS (SELECT id FROM jobq.jobs j " \
	"WHERE state = 'available' AND run_at <= now() " \
	"AND NOT EXISTS (SELECT 1 FROM jobq.queues q " \
	"WHERE q.name = j.queue AND q.paused) " QUEUES \
	"ORDER BY priority, run_at, id LIMIT $3 FOR UPDATE SKIP LOCKED) " \
	"UPDATE jobq.jobs j SET state = 'running', " \
	"attempt = j.attempt + 1, started_at = now(), runner = $1 " \
	"FROM c WHERE j.id = c.id " \
	"RETURNING j.id, j.kind, j.queue, j.attempt, j.max_attempts, " \
	"j.timeout, j.args::text"
#define IN_QUEUES	"AND queue = ANY($4::text[]) "

/*
 * The columns a rescue sets on job j: back to available while attempts
 * remain, else failed; cancelled when a client asked for it.  WHY is
 * the SQL text of the error appended.
 */
#define PUT_BACK(C) "(NOT " C " AND j.attempt < j.max_attempts)"
#define RESCUE_SET(C, WHY) \
	"state = CASE WHEN " C " THEN 'cancelled' " \
	"WHEN j.attempt < j.max_attempts THEN 'available' " \
	"ELSE 'failed' END::jobq.job_state, " \
	"run_at = CASE WHEN " PUT_BACK(C) " THEN now() ELSE j.run_at END, " \
	"finished_at = CASE WHEN " PUT_BACK(C) " THEN NULL ELSE now() END, " \
	"runner = CASE WHEN " PUT_BACK(C) " THEN NULL ELSE j.runner END, " \
	"errors = j.errors || jsonb_build_array(jsonb_build_object(" \
	"'attempt', j.attempt, 'at', now(), 'error', " WHY ")) "

/* Jobs an earlier process of this runner's id left running. */
#define RESCUE_OWN(C) \
	"UPDATE jobq.jobs j SET " \
	RESCUE_SET(C, "'runner ' || $1 || ' restarted while the job ran'") \
	"WHERE j.state = 'running' AND j.runner = $1"

/*
 * Jobs of dead runners, in one statement.  A runner is dead when its
 * heartbeat is older than $2 seconds; a job whose runner has no row at
 * all is taken once it started more than $2 seconds ago (its runner's
 * row was removed, or it never had one).  Only rows still running
 * change, and rows another transaction holds (a finish under way) are
 * skipped until the next turn, so a job that completes meanwhile keeps
 * its state.  Our own jobs ($1) are never touched.  The dead runners'
 * rows go too.  Returns one row: jobs rescued, runners removed.
 */
#define RESCUE_STALE(C) \
	"WITH stale AS (SELECT id FROM jobq.runners " \
	"WHERE heartbeat_at < now() - make_interval(secs => $2) " \
	"AND id <> $1), " \
	"lost AS (SELECT j.id, j.runner, " \
	"j.runner IN (SELECT id FROM stale) AS stale FROM jobq.jobs j " \
	"WHERE j.state = 'running' AND j.runner IS DISTINCT FROM $1 " \
	"AND (j.runner IN (SELECT id FROM stale) OR (NOT EXISTS (" \
	"SELECT 1 FROM jobq.runners r WHERE r.id = j.runner) " \
	"AND j.started_at < now() - make_interval(secs => $2))) " \
	"FOR UPDATE OF j SKIP LOCKED), " \
	"moved AS (UPDATE jobq.jobs j SET " \
	RESCUE_SET(C, "'runner ' || coalesce(l.runner, '(none)') || " \
	"' lost: ' || CASE WHEN l.stale THEN 'heartbeat stale' " \
	"ELSE 'no heartbeat row' END") \
	"FROM lost l WHERE j.id = l.id AND j.state = 'running' " \
	"RETURNING j.id), " \
	"gone AS (DELETE FROM jobq.runners WHERE id IN " \
	"(SELECT id FROM stale) RETURNING id) " \
	"SELECT (SELECT count(*) FROM moved), (SELECT count(*) FROM gone)"

/*
 * One batch of the prune: the $2 oldest finished jobs past the
 * retention of $1 seconds.  The inner SELECT reads jobs_finished_idx
 * (sql/004_prune.sql) in its order, so LIMIT stops early however many
 * rows the table holds; SKIP LOCKED lets several runners prune at once
 * and never waits on a job someone is retrying.  The outer condition
 * is checked again on the row's newest version, so a job put back to
 * available meanwhile stays.
 */
#define FINISHED	"state IN ('completed', 'failed', 'cancelled') "
#define PRUNE \
	"DELETE FROM jobq.jobs WHERE " FINISHED "AND id IN (" \
	"SELECT id FROM jobq.jobs WHERE " FINISHED \
	"AND finished_at < now() - make_interval(secs => $1) " \
	"ORDER BY finished_at LIMIT $2 FOR UPDATE SKIP LOCKED)"

/* sql_old, when set, replaces sql while the schema lacks 003's column. */
static const struct {
	const char	*name;
	const char	*sql;
	const char	*sql_old;
} statements[] = {
	{ "claim", CLAIM(ASKED_NEW, ""), CLAIM(ASKED_OLD, "") },
	{ "claim_q", CLAIM(ASKED_NEW, IN_QUEUES), CLAIM(ASKED_OLD, IN_QUEUES) },
	{ "finish", FINISH(ASKED_NEW), FINISH(ASKED_OLD) },
	{ "register",
	  "INSERT INTO jobq.runners (id, host, pid, workers) "
	  "VALUES ($1, $2, $3::int, $4::int) ON CONFLICT (id) DO UPDATE "
	  "SET host = EXCLUDED.host, pid = EXCLUDED.pid, "
	  "workers = EXCLUDED.workers, heartbeat_at = now()", NULL },
	{ "heartbeat",
	  "UPDATE jobq.runners SET heartbeat_at = now() WHERE id = $1",
	  NULL },
	{ "rescue_own", RESCUE_OWN(ASKED_NEW), RESCUE_OWN(ASKED_OLD) },
	{ "deregister", "DELETE FROM jobq.runners WHERE id = $1", NULL },
	{ "prune", PRUNE, NULL },
	{ "rescue_stale", RESCUE_STALE(ASKED_NEW), RESCUE_STALE(ASKED_OLD) },
};

/* Needs sql/003_roles_api.sql; prepared apart so older schemas work. */
#define CANCEL_REQUESTED \
	"SELECT id FROM jobq.jobs WHERE state = 'running' AND runner = $1 " \
	"AND cancel_requested_at IS NOT NULL"


/* Classify a failed result, fill err, clear it. */
/*
 * What to do about errors that mean the database is not set up for
 * the runner, rather than a fault of the statement; NULL for others.
 */
static const char *
advice(const PGresult *res)
{
	const char	*state = db_sqlstate(res);

	/* undefined_table, invalid_schema_name */
	if (strcmp(state, "42P01") == 0 || strcmp(state, "3F000") == 0)
		return "database has no jobq schema (or an old one): "
		    "run jobq-runner --migrate";
	/* insufficient_privilege; sql/003_roles_api.sql makes the role */
	if (strcmp(state, "42501") == 0)
		return "role lacks privileges on schema jobq: grant it "
		    "jobq_runner";
	return NULL;
}

static int
fail(PGconn *conn, PGresult *res, char *err, size_t errlen)
{
	const char	*what, *msg;
	int		 outage = db_is_outage(conn, res);

	msg = PQresultErrorField(res, PG_DIAG_MESSAGE_PRIMARY);
	if ((what = advice(res)) != NULL && msg != NULL)
		snprintf(err, errlen, "%s (%s)", what, msg);
	else
		snprintf(err, errlen, "%s", db_error(conn));
	PQclear(res);
	return outage ? STORE_OUTAGE : STORE_ERR;
}

/* Run a prepared statement that returns no rows; rows affected. */
static int
exec_cmd(PGconn *conn, const char *name, int n, const char *const *params,
    char *err, size_t errlen)
{
	PGresult	*res;
	int		 rows;

	res = PQexecPrepared(conn, name, n, params, NULL, NULL, 0);
	if (PQresultStatus(res) != PGRES_COMMAND_OK)
		return fail(conn, res, err, errlen);
	rows = atoi(PQcmdTuples(res));
	PQclear(res);
	return rows;
}

int
store_setup(PGconn *conn, int *no_cancel, char *err, size_t errlen)
{
	PGresult	*res;
	const char	*sql;
	size_t		 i;

	/* Whether the schema has cancel_requested_at decides the rest. */
	res = PQprepare(conn, "cancel_requested", CANCEL_REQUESTED, 0, NULL);
	*no_cancel = PQresultStatus(res) != PGRES_COMMAND_OK;
	if (*no_cancel && db_is_outage(conn, res))
		return fail(conn, res, err, errlen);
	PQclear(res);
	for (i = 0; i < sizeof(statements) / sizeof(statements[0]); i++) {
		sql = statements[i].sql;
		if (*no_cancel && statements[i].sql_old != NULL)
			sql = statements[i].sql_old;
		res = PQprepare(conn, statements[i].name, sql, 0, NULL);
		if (PQresultStatus(res) != PGRES_COMMAND_OK)
			return fail(conn, res, err, errlen);
		PQclear(res);
	}
	res = PQexec(conn, "LISTEN " STORE_CHANNEL "; LISTEN "
	    STORE_CANCEL_CHANNEL);
	if (PQresultStatus(res) != PGRES_COMMAND_OK)
		return fail(conn, res, err, errlen);
	PQclear(res);
	return 0;
}

int
store_rescue_stale(PGconn *conn, const char *id, int after, int *runners,
    char *err, size_t errlen)
{
	const char	*params[2];
	char		 secs[16];
	PGresult	*res;
	int		 n;

	snprintf(secs, sizeof(secs), "%d", after);
	params[0] = id;
	params[1] = secs;
	res = PQexecPrepared(conn, "rescue_stale", 2, params, NULL, NULL, 0);
	if (PQresultStatus(res) != PGRES_TUPLES_OK || PQntuples(res) != 1)
		return fail(conn, res, err, errlen);
	n = atoi(PQgetvalue(res, 0, 0));
	*runners = atoi(PQgetvalue(res, 0, 1));
	PQclear(res);
	return n;
}

int
store_cancel_requested(PGconn *conn, const char *id, PGresult **resp,
    char *err, size_t errlen)
{
	const char	*params[1] = { id };
	PGresult	*res;

	*resp = NULL;
	res = PQexecPrepared(conn, "cancel_requested", 1, params, NULL, NULL,
	    0);
	if (PQresultStatus(res) != PGRES_TUPLES_OK)
		return fail(conn, res, err, errlen);
	*resp = res;
	return PQntuples(res);
}

int
store_register(PGconn *conn, const char *id, const char *host, long pid,
    int workers, char *err, size_t errlen)
{
	const char	*params[4];
	char		 p[24], w[16];

	snprintf(p, sizeof(p), "%ld", pid);
	snprintf(w, sizeof(w), "%d", workers);
	params[0] = id;
	params[1] = host;
	params[2] = p;
	params[3] = w;
	return exec_cmd(conn, "register", 4, params, err, errlen);
}

int
store_heartbeat(PGconn *conn, const char *id, char *err, size_t errlen)
{
	const char	*params[1] = { id };

	return exec_cmd(conn, "heartbeat", 1, params, err, errlen);
}

int
store_rescue_own(PGconn *conn, const char *id, char *err, size_t errlen)
{
	const char	*params[1] = { id };

	return exec_cmd(conn, "rescue_own", 1, params, err, errlen);
}

int
store_prune(PGconn *conn, int retention, int batch, char *err,
    size_t errlen)
{
	const char	*params[2];
	char		 secs[16], limit[16];

	snprintf(secs, sizeof(secs), "%d", retention);
	snprintf(limit, sizeof(limit), "%d", batch);
	params[0] = secs;
	params[1] = limit;
	return exec_cmd(conn, "prune", 2, params, err, errlen);
}

int
store_deregister(PGconn *conn, const char *id, char *err, size_t errlen)
{
	const char	*params[1] = { id };

	return exec_cmd(conn, "deregister", 1, params, err, errlen);
}

int
store_finish(PGconn *conn, const char *id, const char *json, char *err,
    size_t errlen)
{
	const char	*params[2];

	params[0] = id;
	params[1] = json;
	return exec_cmd(conn, "finish", 2, params, err, errlen);
}

/*
 * Turn "a,b" into the array literal {"a","b"}.  The names were checked
 * to hold only [A-Za-z0-9_.:-], so quoting each is enough.
 */
static char *
queues_literal(const char *queues)
{
	char		*lit, *o;
	const char	*p;

	if ((lit = malloc(strlen(queues) * 3 + 3)) == NULL)
		return NULL;
	o = lit;
	*o++ = '{';
	*o++ = '"';
	for (p = queues; *p != '\0'; p++) {
		if (*p == ',') {
			*o++ = '"';
			*o++ = ',';
			*o++ = '"';
		} else
			*o++ = *p;
	}
	*o++ = '"';
	*o++ = '}';
	*o = '\0';
	return lit;
}

int
store_claim(PGconn *conn, const char *id, const char *outcomes, int n,
    const char *queues, PGresult **resp, char *err, size_t errlen)
{
	const char	*params[4];
	char		 limit[16], *lit = NULL;
	PGresult	*res;

	*resp = NULL;
	snprintf(limit, sizeof(limit), "%d", n);
	params[0] = id;
	params[1] = outcomes;
	params[2] = limit;
	if (queues != NULL) {
		if ((lit = queues_literal(queues)) == NULL) {
			snprintf(err, errlen, "out of memory");
			return STORE_ERR;
		}
		params[3] = lit;
	}
	res = PQexecPrepared(conn, queues != NULL ? "claim_q" : "claim",
	    queues != NULL ? 4 : 3, params, NULL, NULL, 0);
	free(lit);
	if (PQresultStatus(res) != PGRES_TUPLES_OK)
		return fail(conn, res, err, errlen);
	*resp = res;
	return PQntuples(res);
}
