/* SPDX-License-Identifier: ISC */
/* store.c - the runner's SQL: register, heartbeat, claim, finish. */
#include <config.h>		/* autoconf's; see runner/config.h */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "db.h"
#include "store.h"

/*
 * The claim reads jobs_claim_idx (priority, run_at, id) WHERE state =
 * 'available' in its own order, so LIMIT stops after n rows; SKIP
 * LOCKED lets concurrent runners take different rows without waiting.
 * Jobs of queues paused in jobq.queues (few rows) are passed over.
 */
#define CLAIM_HEAD \
	"WITH c AS (SELECT id FROM jobq.jobs j " \
	"WHERE state = 'available' AND run_at <= now() " \
	"AND NOT EXISTS (SELECT 1 FROM jobq.queues q " \
	"WHERE q.name = j.queue AND q.paused) "
#define CLAIM_TAIL \
	"ORDER BY priority, run_at, id LIMIT $1 FOR UPDATE SKIP LOCKED) " \
	"UPDATE jobq.jobs j SET state = 'running', " \
	"attempt = j.attempt + 1, started_at = now(), runner = $2 " \
	"FROM c WHERE j.id = c.id " \
	"RETURNING j.id, j.kind, j.queue, j.attempt, j.max_attempts, " \
	"j.timeout, j.args::text"

static const struct {
	const char	*name;
	const char	*sql;
} statements[] = {
	{ "claim", CLAIM_HEAD CLAIM_TAIL },
	{ "claim_q", CLAIM_HEAD "AND queue = ANY($3::text[]) " CLAIM_TAIL },
	{ "finish",
	  "UPDATE jobq.jobs j SET "
	  "state = CASE r.action WHEN 'complete' THEN 'completed' "
	  "WHEN 'fail' THEN 'failed' ELSE 'available' END::jobq.job_state, "
	  "result = CASE WHEN r.action = 'complete' THEN r.result "
	  "ELSE j.result END, "
	  "finished_at = CASE WHEN r.action IN ('complete', 'fail') "
	  "THEN now() ELSE j.finished_at END, "
	  "run_at = CASE WHEN r.action = 'retry' "
	  "THEN now() + make_interval(secs => r.delay) ELSE j.run_at END, "
	  "runner = CASE WHEN r.action IN ('retry', 'release') THEN NULL "
	  "ELSE j.runner END, "
	  "attempt = CASE WHEN r.action = 'release' "
	  "THEN greatest(j.attempt - 1, 0) ELSE j.attempt END, "
	  "errors = CASE WHEN r.action IN ('retry', 'fail') "
	  "THEN j.errors || jsonb_build_array(jsonb_build_object("
	  "'attempt', j.attempt, 'at', now(), 'error', r.error)) "
	  "ELSE j.errors END "
	  "FROM jsonb_to_recordset($2::jsonb) AS r(id bigint, action text, "
	  "result jsonb, error text, delay float8) "
	  "WHERE j.id = r.id AND j.state = 'running' AND j.runner = $1" },
	{ "register",
	  "INSERT INTO jobq.runners (id, host, pid, workers) "
	  "VALUES ($1, $2, $3::int, $4::int) ON CONFLICT (id) DO UPDATE "
	  "SET host = EXCLUDED.host, pid = EXCLUDED.pid, "
	  "workers = EXCLUDED.workers, heartbeat_at = now()" },
	{ "heartbeat",
	  "UPDATE jobq.runners SET heartbeat_at = now() WHERE id = $1" },
	{ "rescue_own",
	  "UPDATE jobq.jobs SET "
	  "state = CASE WHEN attempt < max_attempts THEN 'available' "
	  "ELSE 'failed' END::jobq.job_state, "
	  "finished_at = CASE WHEN attempt < max_attempts THEN NULL "
	  "ELSE now() END, "
	  "runner = CASE WHEN attempt < max_attempts THEN NULL "
	  "ELSE runner END, "
	  "errors = errors || jsonb_build_array(jsonb_build_object("
	  "'attempt', attempt, 'at', now(), 'error', "
	  "'runner ' || $1 || ' restarted while the job ran')) "
	  "WHERE state = 'running' AND runner = $1" },
	{ "deregister", "DELETE FROM jobq.runners WHERE id = $1" },
};

/* Classify a failed result, fill err, clear it. */
static int
fail(PGconn *conn, PGresult *res, char *err, size_t errlen)
{
	int	 outage = db_is_outage(conn, res);

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
store_setup(PGconn *conn, char *err, size_t errlen)
{
	PGresult	*res;
	size_t		 i;

	for (i = 0; i < sizeof(statements) / sizeof(statements[0]); i++) {
		res = PQprepare(conn, statements[i].name, statements[i].sql,
		    0, NULL);
		if (PQresultStatus(res) != PGRES_COMMAND_OK)
			return fail(conn, res, err, errlen);
		PQclear(res);
	}
	res = PQexec(conn, "LISTEN " STORE_CHANNEL);
	if (PQresultStatus(res) != PGRES_COMMAND_OK)
		return fail(conn, res, err, errlen);
	PQclear(res);
	return 0;
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
store_claim(PGconn *conn, const char *id, int n, const char *queues,
    PGresult **resp, char *err, size_t errlen)
{
	const char	*params[3];
	char		 limit[16], *lit = NULL;
	PGresult	*res;

	*resp = NULL;
	snprintf(limit, sizeof(limit), "%d", n);
	params[0] = limit;
	params[1] = id;
	if (queues != NULL) {
		if ((lit = queues_literal(queues)) == NULL) {
			snprintf(err, errlen, "out of memory");
			return STORE_ERR;
		}
		params[2] = lit;
	}
	res = PQexecPrepared(conn, queues != NULL ? "claim_q" : "claim",
	    queues != NULL ? 3 : 2, params, NULL, NULL, 0);
	free(lit);
	if (PQresultStatus(res) != PGRES_TUPLES_OK)
		return fail(conn, res, err, errlen);
	*resp = res;
	return PQntuples(res);
}
