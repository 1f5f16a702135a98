/* SPDX-License-Identifier: ISC */
/* db.c - connecting to PostgreSQL and classifying its failures. */
#include "config.h"

#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "db.h"

PGconn *
db_connect(const char *appname, char *err, size_t errlen)
{
	/*
	 * dbname with expand_dbname=1 takes a whole connection string.  It
	 * comes last so that its settings win over our defaults.
	 */
	const char	*keys[] = { "fallback_application_name",
			    "connect_timeout", "dbname", NULL };
	const char	*vals[] = { appname, "10", "", NULL };
	const char	*url = getenv("JOBQ_DATABASE_URL");
	PGconn		*conn;
	PGresult	*res;

	vals[2] = url != NULL ? url : "";
	conn = PQconnectdbParams(keys, vals, 1);
	if (conn == NULL) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	if (PQstatus(conn) != CONNECTION_OK) {
		snprintf(err, errlen, "%s", db_error(conn));
		PQfinish(conn);
		return NULL;
	}
	/* Nothing a role's search_path holds may shadow our objects. */
	res = PQexec(conn, "SELECT pg_catalog.set_config("
	    "'search_path', 'pg_catalog, jobq', false)");
	if (PQresultStatus(res) != PGRES_TUPLES_OK) {
		snprintf(err, errlen, "%s", db_error(conn));
		PQclear(res);
		PQfinish(conn);
		return NULL;
	}
	PQclear(res);
	return conn;
}

int
db_idle_ok(PGconn *conn)
{
	struct pollfd	 pfd;

	if (conn == NULL || PQstatus(conn) != CONNECTION_OK)
		return 0;
	pfd.fd = PQsocket(conn);
	pfd.events = POLLIN;
	if (pfd.fd < 0)
		return 0;
	if (poll(&pfd, 1, 0) <= 0)
		return 1;
	/*
	 * Readable while idle.  A server that shuts down sends a FATAL
	 * error and closes, but libpq only notices the close on a later
	 * read, so PQstatus can still say OK here.  A connection that does
	 * not LISTEN expects nothing while idle: treat any message as the
	 * end of the session, and let the caller reconnect.
	 */
	(void)PQconsumeInput(conn);
	return 0;
}

int
db_check(PGconn *conn, PGresult *res, char *err, size_t errlen)
{
	ExecStatusType	 st = PQresultStatus(res);

	PQclear(res);
	if (st == PGRES_COMMAND_OK || st == PGRES_TUPLES_OK)
		return 0;
	snprintf(err, errlen, "%s", db_error(conn));
	return -1;
}

const char *
db_error(PGconn *conn)
{
	static char	 buf[512];
	size_t		 n;

	snprintf(buf, sizeof(buf), "%s",
	    conn != NULL ? PQerrorMessage(conn) : "no connection");
	n = strlen(buf);
	while (n > 0 && (buf[n - 1] == '\n' || buf[n - 1] == ' '))
		buf[--n] = '\0';
	return buf;
}

const char *
db_sqlstate(const PGresult *res)
{
	const char	*s;

	if (res == NULL)
		return "";
	s = PQresultErrorField(res, PG_DIAG_SQLSTATE);
	return s != NULL ? s : "";
}

int
db_is_outage(PGconn *conn, const PGresult *res)
{
	const char	*state = db_sqlstate(res);

	if (PQstatus(conn) != CONNECTION_OK)
		return 1;
	/* Class 08: connection exception; 57P0x: shutdown, cannot connect. */
	return strncmp(state, "08", 2) == 0 ||
	    strncmp(state, "57P", 3) == 0 || res == NULL;
}
