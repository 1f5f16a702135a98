/* SPDX-License-Identifier: ISC */
/* routes.h - the PATH_INFO routing table and the request handlers. */
#ifndef JOBQ_ROUTES_H
#define JOBQ_ROUTES_H

#include <stddef.h>

#include "http.h"
#include "store.h"

/* What every handler shares for the life of the process. */
struct app {
	struct store	*store;
	size_t		 maxbody;	/* JOBQ_MAX_BODY, or its env override */
};

/*
 * Answer req: route on PATH_INFO and REQUEST_METHOD, run the handler,
 * and always send exactly one response (404 or 405 when nothing fits).
 */
void	routes_dispatch(struct app *, struct request *);

#endif
