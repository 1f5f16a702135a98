/* SPDX-License-Identifier: ISC */
/* routes.c - the PATH_INFO routing table and the request handlers. */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "jobreq.h"
#include "jobq_limits.h"
#include "log.h"
#include "routes.h"

typedef void	(*handler_fn)(struct app *, struct request *, const char *);

/* The paths we know, after the prefix the web server strips. */
enum route_path {
	PATH_JOBS,
	PATH_JOB,
	PATH_HEALTH,
	PATH__MAX
};

/* One entry per (path, method) we answer. */
enum route {
	ROUTE_ENQUEUE,
	ROUTE_GET_JOB,
	ROUTE_HEALTH,
	ROUTE__MAX
};

static void	 handle_enqueue(struct app *, struct request *, const char *);
static void	 handle_get_job(struct app *, struct request *, const char *);
static void	 handle_health(struct app *, struct request *, const char *);

/*
 * A path is either literal or a prefix followed by one non-empty
 * segment, which the handler receives (the job id in /jobs/{id}).
 */
static const struct {
	const char	*text;
	int		 has_arg;
} paths[PATH__MAX] = {
	{ "/jobs", 0 },		/* PATH_JOBS */
	{ "/jobs/", 1 },	/* PATH_JOB */
	{ "/health", 0 },	/* PATH_HEALTH */
};

static const struct {
	enum route_path	 path;
	const char	*method;
	handler_fn	 handler;
} routes[ROUTE__MAX] = {
	{ PATH_JOBS, "POST", handle_enqueue },		/* ROUTE_ENQUEUE */
	{ PATH_JOB, "GET", handle_get_job },		/* ROUTE_GET_JOB */
	{ PATH_HEALTH, "GET", handle_health },		/* ROUTE_HEALTH */
};

/*
 * Send err.  Client mistakes are logged at debug only, so hostile
 * traffic cannot flood the log; our own failures at error.
 */
static void
reply_error(struct request *req, const struct api_error *err,
    const char *extra)
{
	char	 esc[300];

	log_escape(esc, sizeof(esc), err->message, strlen(err->message));
	if (err->status >= 500 && err->status != 503)
		log_error("%s: %s", err->code, esc);
	else if (err->status == 503)
		log_warn("%s: %s", err->code, esc);
	else
		log_debug("%s: %s", err->code, esc);
	http_respond_error(req, err, extra);
}

static void
reply(struct request *req, int status, const char *code, const char *msg)
{
	struct api_error	 err;

	api_error_set(&err, status, code, "%s", msg);
	reply_error(req, &err, "");
}

/* Answer a store failure; detail is logged, never shown to the client. */
static void
reply_store(struct request *req, enum store_rc rc, const char *detail)
{
	char	 esc[300];

	log_escape(esc, sizeof(esc), detail, strlen(detail));
	switch (rc) {
	case STORE_UNAVAILABLE:
		log_warn("database unavailable: %s", esc);
		reply(req, 503, "database_unavailable",
		    "the database is unavailable, try again later");
		break;
	case STORE_CONFLICT:
		log_info("conflict: %s", esc);
		reply(req, 409, "conflict", "the job conflicts with another"
		    " job, try again");
		break;
	case STORE_NOT_FOUND:
		reply(req, 404, "not_found", "no such job");
		break;
	default:
		log_error("database error: %s", esc);
		reply(req, 500, "internal", "internal error");
		break;
	}
}

/* A job id: a positive decimal that fits a bigint; 0 otherwise. */
static long long
parse_id(const char *s)
{
	char		*end;
	long long	 v;

	if (s[0] < '0' || s[0] > '9')
		return 0;
	errno = 0;
	v = strtoll(s, &end, 10);
	if (*end != '\0' || errno == ERANGE || v <= 0)
		return 0;
	return v;
}

/* The Location of a new job, when SCRIPT_NAME is safe to echo. */
static void
location(char *buf, size_t len, const struct request *req, long long id)
{
	const char	*p;

	for (p = req->script_name; *p != '\0'; p++)
		if (*p <= 0x20 || *p >= 0x7f) {
			buf[0] = '\0';
			return;
		}
	snprintf(buf, len, "Location: %s/jobs/%lld\r\n", req->script_name,
	    id);
}

/* Wake the runners; losing a wake-up only delays the job to a poll. */
static void
wake(struct app *app, const char *queue)
{
	char	 err[256] = "", esc[300];

	if (store_wake(app->store, queue, err, sizeof(err)) != STORE_OK) {
		log_escape(esc, sizeof(esc), err, strlen(err));
		log_warn("could not wake runners: %s", esc);
	}
}

static void
reply_invalid(struct request *req, const struct jobreq *jr,
    const char *detail)
{
	struct api_error	 err;
	char			 safe[128];
	size_t			 i;

	/* Keep the message plain ASCII whatever the server's language. */
	for (i = 0; detail[i] != '\0' && i + 1 < sizeof(safe); i++)
		safe[i] = detail[i] >= 0x20 && detail[i] < 0x7f ?
		    detail[i] : '?';
	safe[i] = '\0';
	if (jr->run_at != NULL)
		api_error_set(&err, 400, "invalid_field",
		    "\"run_at\" is not a valid timestamp: %s", safe);
	else
		api_error_set(&err, 400, "invalid_field",
		    "the database refused a value: %s", safe);
	reply_error(req, &err, "");
}

static void
store_and_reply(struct app *app, struct request *req,
    const struct jobreq *jr)
{
	struct store_job	 job;
	char			 err[256] = "", loc[512];
	enum store_rc		 rc;

	if ((rc = store_ready(app->store, err, sizeof(err))) == STORE_OK)
		rc = store_enqueue(app->store, jr, &job, err, sizeof(err));
	switch (rc) {
	case STORE_OK:
		req->job_id = job.id;
		if (job.due)
			wake(app, jr->queue != NULL ? jr->queue :
			    JOBQ_DEFAULT_QUEUE);
		location(loc, sizeof(loc), req, job.id);
		http_respond(req, 201, loc, job.json);
		free(job.json);
		break;
	case STORE_DUPLICATE:
		req->job_id = job.id;
		http_respond(req, 200, "", job.json);
		free(job.json);
		break;
	case STORE_INVALID:
		reply_invalid(req, jr, err);
		break;
	default:
		reply_store(req, rc, err);
		break;
	}
}

static void
handle_enqueue(struct app *app, struct request *req, const char *arg)
{
	struct api_error	 err;
	struct jobreq		 jr;

	(void)arg;
	if (http_read_body(req, app->maxbody, &err) == -1) {
		reply_error(req, &err, "");
		return;
	}
	if (jobreq_parse(req->body, req->bodylen, &jr, &err) == -1)
		reply_error(req, &err, "");
	else
		store_and_reply(app, req, &jr);
	jobreq_free(&jr);
}

static void
handle_get_job(struct app *app, struct request *req, const char *arg)
{
	struct store_job	 job;
	char			 err[256] = "";
	enum store_rc		 rc;
	long long		 id;

	if ((id = parse_id(arg)) == 0) {
		reply(req, 404, "not_found", "no such job");
		return;
	}
	rc = store_get(app->store, id, &job, err, sizeof(err));
	if (rc != STORE_OK) {
		reply_store(req, rc, err);
		return;
	}
	req->job_id = id;
	http_respond(req, 200, "", job.json);
	free(job.json);
}

static void
handle_health(struct app *app, struct request *req, const char *arg)
{
	char		 err[256] = "";
	enum store_rc	 rc;

	(void)arg;
	rc = store_ping(app->store, err, sizeof(err));
	if (rc == STORE_OK)
		http_respond(req, 200, "", "{\"status\":\"ok\"}");
	else
		reply_store(req, STORE_UNAVAILABLE, err);
}

/* Which path req names; *arg gets the segment after a prefix. */
static int
match_path(const char *path, const char **arg)
{
	size_t	 i, n;

	for (i = 0; i < PATH__MAX; i++) {
		n = strlen(paths[i].text);
		if (!paths[i].has_arg) {
			if (strcmp(path, paths[i].text) == 0)
				return (int)i;
			continue;
		}
		if (strncmp(path, paths[i].text, n) == 0 &&
		    path[n] != '\0' && strchr(path + n, '/') == NULL) {
			*arg = path + n;
			return (int)i;
		}
	}
	return -1;
}

void
routes_dispatch(struct app *app, struct request *req)
{
	struct api_error	 err;
	char			 allow[128];
	const char		*arg = "";
	size_t			 i, n = 0;
	int			 p;

	if ((p = match_path(req->path, &arg)) == -1) {
		reply(req, 404, "not_found", "no such resource");
		return;
	}
	for (i = 0; i < ROUTE__MAX; i++)
		if ((int)routes[i].path == p &&
		    strcmp(routes[i].method, req->method) == 0) {
			routes[i].handler(app, req, arg);
			return;
		}
	/* RFC 9110 15.5.6: a 405 lists the methods the path supports. */
	n = (size_t)snprintf(allow, sizeof(allow), "Allow: ");
	for (i = 0; i < ROUTE__MAX; i++)
		if ((int)routes[i].path == p && n < sizeof(allow))
			n += (size_t)snprintf(allow + n, sizeof(allow) - n,
			    "%s%s", n > 7 ? ", " : "", routes[i].method);
	if (n + 2 < sizeof(allow))
		memcpy(allow + n, "\r\n", 3);
	api_error_set(&err, 405, "method_not_allowed",
	    "this resource does not support that method");
	reply_error(req, &err, allow);
}
