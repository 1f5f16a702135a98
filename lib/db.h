/* SPDX-License-Identifier: ISC */
/* db.h - libpq helpers both programs share. */
#ifndef JOBQ_DB_H
#define JOBQ_DB_H

#include <stddef.h>
#include <libpq-fe.h>

/*
 * Connect with the libpq connection string in JOBQ_DATABASE_URL, or with
 * the PG* variables alone when it is unset.  appname becomes
 * application_name unless the string sets one.  Returns NULL and fills
 * err on failure; the caller owns the connection.
 */
PGconn		*db_connect(const char *appname, char *err, size_t errlen);

/*
 * Whether an idle connection that does not LISTEN is still usable.  Any
 * message the server sent while idle (such as the FATAL error of a
 * shutdown) counts as the end of the session.  A connection that fails
 * this must be reset before it is used.
 */
int		 db_idle_ok(PGconn *);

/*
 * Take res (which may be NULL) and clear it: 0 when the command or query
 * succeeded, else -1 with the connection's error in err.
 */
int		 db_check(PGconn *, PGresult *res, char *err, size_t errlen);

/* The connection's last error without the trailing newline. */
const char	*db_error(PGconn *);

/* The SQLSTATE of res, or "" when there is none. */
const char	*db_sqlstate(const PGresult *);

/*
 * Whether a failed result means the server is unreachable (connection
 * lost, shutting down, not accepting connections) rather than a
 * problem with the statement.
 */
int		 db_is_outage(PGconn *, const PGresult *);

#endif
