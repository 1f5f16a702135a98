/* SPDX-License-Identifier: ISC */
/* routes.h - the request handlers behind the route table of match.c. */
#ifndef JOBQ_ROUTES_H
#define JOBQ_ROUTES_H

#include <stddef.h>

#include "http.h"
#include "store.h"

#define ROUTES_STATUS_MAX	600	/* statuses counted for /metrics */

/* What every handler shares for the life of the process. */
struct app {
	struct store	*store;
	size_t		 maxbody;	/* JOBQ_MAX_BODY, or its env override */
	const char	*token;		/* JOBQ_API_TOKEN; NULL or "": none */
	unsigned long long requests[ROUTES_STATUS_MAX]; /* by status */
};

/*
 * Answer req: check the bearer token, route on PATH_INFO and
 * REQUEST_METHOD, run the handler, and always send exactly one
 * response (401, 404 or 405 when nothing fits).
 */
void	routes_dispatch(struct app *, struct request *);

/*
 * Whether an Authorization header value carries the token, compared in
 * time that depends on the token's length only.
 */
int	routes_token_ok(const char *authorization, const char *token);

#endif
