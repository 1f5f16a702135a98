/* SPDX-License-Identifier: ISC */
/* migrate.c - applies the compiled-in migrations under an advisory lock. */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>

#include "db.h"
#include "log.h"
#include "migrate.h"

/* pg_advisory_lock key for migrations: "jobq" in ASCII, then 1. */
#define MIGRATE_LOCK_KEY	"7669456927906070529"

/* Run sql (no parameters); 0, or -1 with the server's message in err. */
static int
run(PGconn *conn, const char *sql, char *err, size_t errlen)
{

	return db_check(conn, PQexec(conn, sql), err, errlen);
}

/* 1 when version is recorded, 0 when not, -1 on error. */
static int
is_applied(PGconn *conn, int version, char *err, size_t errlen)
{
	const char	*params[1];
	char		 v[16];
	PGresult	*res;
	int		 found;

	snprintf(v, sizeof(v), "%d", version);
	params[0] = v;
	res = PQexecParams(conn, "SELECT 1 FROM jobq.schema_migrations "
	    "WHERE version = $1::int", 1, NULL, params, NULL, NULL, 0);
	if (PQresultStatus(res) != PGRES_TUPLES_OK) {
		snprintf(err, errlen, "%s", db_error(conn));
		PQclear(res);
		return -1;
	}
	found = PQntuples(res) > 0;
	PQclear(res);
	return found;
}

static int
record(PGconn *conn, const struct migration *m, char *err, size_t errlen)
{
	const char	*params[2];
	char		 v[16];
	PGresult	*res;

	snprintf(v, sizeof(v), "%d", m->version);
	params[0] = v;
	params[1] = m->name;
	res = PQexecParams(conn, "INSERT INTO jobq.schema_migrations "
	    "(version, name) VALUES ($1::int, $2)", 2, NULL, params, NULL,
	    NULL, 0);
	return db_check(conn, res, err, errlen);
}

/* Apply one migration in a transaction of its own; 1 applied, 0 not. */
static int
apply_one(PGconn *conn, const struct migration *m, char *err, size_t errlen)
{
	char	 msg[512];
	int	 applied;

	if (run(conn, "BEGIN", err, errlen) == -1)
		return -1;
	if ((applied = is_applied(conn, m->version, err, errlen)) != 0) {
		run(conn, "ROLLBACK", msg, sizeof(msg));
		return applied == 1 ? 0 : -1;
	}
	/* The text is our own constant SQL, several statements long. */
	if (run(conn, m->sql, msg, sizeof(msg)) == -1 ||
	    record(conn, m, msg, sizeof(msg)) == -1 ||
	    run(conn, "COMMIT", msg, sizeof(msg)) == -1) {
		snprintf(err, errlen, "migration \"%s\": %s", m->name, msg);
		run(conn, "ROLLBACK", msg, sizeof(msg));
		return -1;
	}
	log_info("applied migration %d \"%s\"", m->version, m->name);
	return 1;
}

int
migrate_run(PGconn *conn, char *err, size_t errlen)
{
	const struct migration	*m;
	char			 msg[512];
	int			 n = 0, r;

	/*
	 * Take the lock before creating anything: two runs creating the
	 * schema at once could otherwise collide on the catalog's unique
	 * indexes even with IF NOT EXISTS.
	 */
	/* IF NOT EXISTS notices would only be noise on stderr. */
	if (run(conn, "SET client_min_messages = warning", err, errlen) == -1)
		return -1;
	if (run(conn, "SELECT pg_catalog.pg_advisory_lock("
	    MIGRATE_LOCK_KEY ")", err, errlen) == -1)
		return -1;
	if (run(conn, "CREATE SCHEMA IF NOT EXISTS jobq", err, errlen) == -1 ||
	    run(conn, "CREATE TABLE IF NOT EXISTS jobq.schema_migrations ("
	    "version int PRIMARY KEY, name text NOT NULL, "
	    "applied_at timestamptz NOT NULL DEFAULT now())",
	    err, errlen) == -1)
		n = -1;
	for (m = migrations; n != -1 && m->sql != NULL; m++) {
		if ((r = apply_one(conn, m, err, errlen)) == -1)
			n = -1;
		else
			n += r;
	}
	if (run(conn, "SELECT pg_catalog.pg_advisory_unlock("
	    MIGRATE_LOCK_KEY ")", msg, sizeof(msg)) == -1 && n != -1) {
		snprintf(err, errlen, "%s", msg);
		n = -1;
	}
	return n;
}
