/* SPDX-License-Identifier: ISC */
/* match.c - which route a method and PATH_INFO name (pure, no I/O). */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "match.h"

/*
 * The path of each route; "{id}" stands for one segment holding a job
 * id.  Literal paths are tried first, so /jobs/batch is never an id.
 */
static const struct {
	const char	*method;
	const char	*pattern;
} routes[ROUTE__MAX] = {
	{ "POST", "/jobs" },			/* ROUTE_ENQUEUE */
	{ "POST", "/jobs/batch" },		/* ROUTE_BATCH */
	{ "GET", "/jobs" },			/* ROUTE_LIST */
	{ "GET", "/jobs/{id}" },		/* ROUTE_GET_JOB */
	{ "POST", "/jobs/{id}/cancel" },	/* ROUTE_CANCEL */
	{ "POST", "/jobs/{id}/retry" },		/* ROUTE_RETRY */
	{ "GET", "/queues" },			/* ROUTE_QUEUES */
	{ "GET", "/health" },			/* ROUTE_HEALTH */
	{ "GET", "/metrics" },			/* ROUTE_METRICS */
};

/* A job id: 1 to 19 digits, no sign or leading zero, fits a bigint. */
static long long
parse_id(const char *s, size_t n)
{
	char		 buf[24];
	char		*end;
	long long	 v;

	if (n == 0 || n > 19 || s[0] < '1' || s[0] > '9')
		return 0;
	memcpy(buf, s, n);
	buf[n] = '\0';
	errno = 0;
	v = strtoll(buf, &end, 10);
	if (*end != '\0' || errno == ERANGE || v <= 0)
		return 0;
	return v;
}

/*
 * Whether path fits pattern; 0 or 1.  A pattern with "{id}" stores
 * the id, and a segment there that is no id does not fit.
 */
static int
fits(const char *pattern, const char *path, long long *id)
{
	const char	*brace = strstr(pattern, "{id}");
	size_t		 pre, seg;

	if (brace == NULL)
		return strcmp(pattern, path) == 0;
	pre = (size_t)(brace - pattern);
	if (strncmp(pattern, path, pre) != 0)
		return 0;
	path += pre;
	seg = strcspn(path, "/");
	if (strcmp(brace + 4, path + seg) != 0)
		return 0;
	return (*id = parse_id(path, seg)) != 0;
}

int
route_is(const char *path, enum route r)
{
	long long	 id;

	return r >= 0 && r < ROUTE__MAX && fits(routes[r].pattern, path, &id);
}

int
route_match(const char *method, const char *path, long long *id,
    char *allow, size_t allowlen)
{
	const char	*pat = NULL;
	long long	 v = 0;
	size_t		 i, n = 0;

	/* RFC 9110 section 9.3.2: HEAD is GET without the body. */
	if (strcmp(method, "HEAD") == 0)
		method = "GET";
	if (allow != NULL && allowlen > 0)
		allow[0] = '\0';
	/* Literal patterns first, then the ones with an id. */
	for (i = 0; i < ROUTE__MAX && pat == NULL; i++)
		if (strstr(routes[i].pattern, "{id}") == NULL &&
		    fits(routes[i].pattern, path, &v))
			pat = routes[i].pattern;
	for (i = 0; i < ROUTE__MAX && pat == NULL; i++)
		if (fits(routes[i].pattern, path, &v))
			pat = routes[i].pattern;
	if (pat == NULL)
		return ROUTE_NOT_FOUND;
	for (i = 0; i < ROUTE__MAX; i++)
		if (strcmp(routes[i].pattern, pat) == 0 &&
		    strcmp(routes[i].method, method) == 0) {
			*id = v;
			return (int)i;
		}
	/* RFC 9110 section 10.2.1: a 405 lists the methods it supports. */
	for (i = 0; allow != NULL && i < ROUTE__MAX; i++)
		if (strcmp(routes[i].pattern, pat) == 0 && n < allowlen)
			n += (size_t)snprintf(allow + n, allowlen - n, "%s%s%s",
			    n > 0 ? ", " : "", routes[i].method,
			    strcmp(routes[i].method, "GET") == 0 ?
			    ", HEAD" : "");
	return ROUTE_BAD_METHOD;
}
