/* SPDX-License-Identifier: ISC */
/* match.h - which route a method and PATH_INFO name (pure, no I/O). */
#ifndef JOBQ_MATCH_H
#define JOBQ_MATCH_H

#include <stddef.h>

/* Every (path, method) the API answers. */
enum route {
	ROUTE_ENQUEUE,		/* POST /jobs */
	ROUTE_BATCH,		/* POST /jobs/batch */
	ROUTE_LIST,		/* GET /jobs */
	ROUTE_GET_JOB,		/* GET /jobs/{id} */
	ROUTE_CANCEL,		/* POST /jobs/{id}/cancel */
	ROUTE_RETRY,		/* POST /jobs/{id}/retry */
	ROUTE_QUEUES,		/* GET /queues */
	ROUTE_HEALTH,		/* GET /health */
	ROUTE_METRICS,		/* GET /metrics */
	ROUTE__MAX
};

#define ROUTE_NOT_FOUND		(-1)	/* no such path: 404 */
#define ROUTE_BAD_METHOD	(-2)	/* path known, method not: 405 */

/*
 * Match method and path.  Returns an enum route and sets *id for the
 * routes with {id} (a positive decimal that fits a bigint; anything
 * else in its place is ROUTE_NOT_FOUND).  ROUTE_BAD_METHOD fills allow
 * with the comma-separated methods of the path.  allow may be NULL.
 */
int	route_match(const char *method, const char *path, long long *id,
	    char *allow, size_t allowlen);

/* Whether path is exactly the one of route r (for routes without {id}). */
int	route_is(const char *path, enum route r);

#endif
