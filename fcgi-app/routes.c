/* SPDX-License-Identifier: ISC */
/* routes.c - the request handlers behind the route table of match.c. */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include <jansson.h>

#include "jobq_limits.h"
#include "jobreq.h"
#include "log.h"
#include "match.h"
#include "routes.h"

typedef void	(*handler_fn)(struct app *, struct request *, long long);

static void	 handle_enqueue(struct app *, struct request *, long long);
static void	 handle_batch(struct app *, struct request *, long long);
static void	 handle_list(struct app *, struct request *, long long);
static void	 handle_get_job(struct app *, struct request *, long long);
static void	 handle_cancel(struct app *, struct request *, long long);
static void	 handle_retry(struct app *, struct request *, long long);
static void	 handle_queues(struct app *, struct request *, long long);
static void	 handle_health(struct app *, struct request *, long long);
static void	 handle_metrics(struct app *, struct request *, long long);

static const handler_fn handlers[ROUTE__MAX] = {
	handle_enqueue,		/* ROUTE_ENQUEUE */
	handle_batch,		/* ROUTE_BATCH */
	handle_list,		/* ROUTE_LIST */
	handle_get_job,		/* ROUTE_GET_JOB */
	handle_cancel,		/* ROUTE_CANCEL */
	handle_retry,		/* ROUTE_RETRY */
	handle_queues,		/* ROUTE_QUEUES */
	handle_health,		/* ROUTE_HEALTH */
	handle_metrics,		/* ROUTE_METRICS */
};

/* Every state, in the order /queues and /metrics show them. */
static const char *const states[] = { "available", "running", "completed",
    "failed", "cancelled", "waiting" };
#define NSTATES	(sizeof(states) / sizeof(states[0]))

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
		reply(req, 409, "conflict", "another unfinished job holds "
		    "the same unique_key in this queue");
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
reply_invalid(struct request *req, int run_at, const char *detail)
{
	struct api_error	 err;
	char			 safe[128];
	size_t			 i;

	/* Keep the message plain ASCII whatever the server's language. */
	for (i = 0; detail[i] != '\0' && i + 1 < sizeof(safe); i++)
		safe[i] = detail[i] >= 0x20 && detail[i] < 0x7f ?
		    detail[i] : '?';
	safe[i] = '\0';
	if (run_at)
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
			wake(app, job.queue);
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
		reply_invalid(req, jr->run_at != NULL, err);
		break;
	default:
		reply_store(req, rc, err);
		break;
	}
}

static void
handle_enqueue(struct app *app, struct request *req, long long id)
{
	struct api_error	 err;
	struct jobreq		 jr;

	(void)id;
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

/* Whether any job of the batch has a run_at PostgreSQL must parse. */
static int
batch_has_run_at(const struct jobbatch *b)
{
	size_t	 i;

	for (i = 0; i < b->n; i++)
		if (b->jobs[i].run_at != NULL)
			return 1;
	return 0;
}

static void
batch_reply(struct app *app, struct request *req, const struct jobbatch *b)
{
	char		 err[256] = "", *ids, *due, *q, *nl, *body;
	enum store_rc	 rc;
	size_t		 n;

	rc = store_batch(app->store, b, &ids, &due, err, sizeof(err));
	if (rc == STORE_INVALID)
		reply_invalid(req, batch_has_run_at(b), err);
	else if (rc != STORE_OK)
		reply_store(req, rc, err);
	if (rc != STORE_OK)
		return;
	/* Committed: one wake-up per queue with a job due now. */
	for (q = due; *q != '\0'; q = nl) {
		nl = q + strcspn(q, "\n");
		if (*nl == '\n')
			*nl++ = '\0';
		wake(app, q);
	}
	req->job_id = strtoll(ids + 1, NULL, 10);
	n = strlen(ids) + 16;
	if ((body = malloc(n)) == NULL)
		reply(req, 500, "internal", "out of memory");
	else {
		snprintf(body, n, "{\"ids\":%s}", ids);
		http_respond(req, 201, "", body);
	}
	free(body);
	free(ids);
	free(due);
}

static void
handle_batch(struct app *app, struct request *req, long long id)
{
	struct api_error	 err;
	struct jobbatch		 b;

	(void)id;
	if (http_read_body(req, app->maxbody, &err) == -1) {
		reply_error(req, &err, "");
		return;
	}
	if (jobreq_parse_batch(req->body, req->bodylen, &b, &err) == -1)
		reply_error(req, &err, "");
	else
		batch_reply(app, req, &b);
	jobreq_batch_free(&b);
}

static void
handle_list(struct app *app, struct request *req, long long id)
{
	struct api_error	 err;
	struct jobfilter	 f;
	struct store_job	 job;
	char			 msg[256] = "";
	enum store_rc		 rc;

	(void)id;
	if (jobreq_parse_filter(req->query, &f, &err) == -1) {
		reply_error(req, &err, "");
		return;
	}
	rc = store_list(app->store, &f, &job, msg, sizeof(msg));
	if (rc != STORE_OK) {
		reply_store(req, rc == STORE_NOT_FOUND ? STORE_ERROR : rc,
		    msg);
		return;
	}
	http_respond(req, 200, "", job.json);
	free(job.json);
}

static void
handle_get_job(struct app *app, struct request *req, long long id)
{
	struct store_job	 job;
	char			 err[256] = "";
	enum store_rc		 rc;

	rc = store_get(app->store, id, &job, err, sizeof(err));
	if (rc != STORE_OK) {
		reply_store(req, rc, err);
		return;
	}
	req->job_id = id;
	http_respond(req, 200, "", job.json);
	free(job.json);
}

/*
 * After cancel or retry changed nothing: 404 when the job is absent,
 * else 409 naming the state it is in.
 */
static void
reply_wrong_state(struct app *app, struct request *req, long long id,
    const char *want, const char *verb)
{
	struct api_error	 err;
	struct store_job	 job;
	json_t			*o;
	char			 msg[256] = "";
	const char		*st;
	enum store_rc		 rc;

	rc = store_get(app->store, id, &job, msg, sizeof(msg));
	if (rc != STORE_OK) {
		reply_store(req, rc, msg);
		return;
	}
	o = json_loads(job.json, 0, NULL);
	st = json_string_value(json_object_get(o, "state"));
	api_error_set(&err, 409, "conflict", "job %lld is %s; only %s jobs "
	    "can be %s", id, st != NULL ? st : "in another state", want, verb);
	json_decref(o);
	free(job.json);
	reply_error(req, &err, "");
}

static void
handle_cancel(struct app *app, struct request *req, long long id)
{
	struct store_job	 job;
	char			 err[256] = "";
	enum store_rc		 rc;

	req->job_id = id;
	rc = store_cancel(app->store, id, &job, err, sizeof(err));
	if (rc == STORE_NOT_FOUND)
		reply_wrong_state(app, req, id,
		    "available, waiting or running", "cancelled");
	else if (rc != STORE_OK)
		reply_store(req, rc, err);
	else {
		/* 202: the runner stops a running job soon after. */
		http_respond(req, job.due ? 202 : 200, "", job.json);
		free(job.json);
	}
}

static void
handle_retry(struct app *app, struct request *req, long long id)
{
	struct store_job	 job;
	char			 err[256] = "";
	enum store_rc		 rc;

	req->job_id = id;
	rc = store_retry(app->store, id, &job, err, sizeof(err));
	if (rc == STORE_NOT_FOUND)
		reply_wrong_state(app, req, id, "failed or cancelled",
		    "retried");
	else if (rc != STORE_OK)
		reply_store(req, rc, err);
	else {
		if (job.due)
			wake(app, job.queue);
		http_respond(req, 200, "", job.json);
		free(job.json);
	}
}

static size_t
state_index(const char *s)
{
	size_t	 i;

	for (i = 0; i < NSTATES; i++)
		if (strcmp(s, states[i]) == 0)
			break;
	return i;
}

/* {"queues":[{"name", "paused", "counts", "scheduled", "oldest..."}]} */
static json_t *
queues_json(const struct store_count *c, size_t n)
{
	json_t	*arr = json_array(), *q = NULL, *counts = NULL;
	size_t	 i, k;

	for (i = 0; arr != NULL && i < n; i++) {
		if (i == 0 || strcmp(c[i].queue, c[i - 1].queue) != 0) {
			counts = json_object();
			q = json_pack("{s:s, s:b, s:o, s:I, s:n}", "name",
			    c[i].queue, "paused", c[i].paused, "counts",
			    counts, "scheduled", (json_int_t)0,
			    "oldest_available_age_seconds");
			for (k = 0; k < NSTATES; k++)
				json_object_set_new(counts, states[k],
				    json_integer(0));
			json_array_append_new(arr, q);
		}
		if (q == NULL || state_index(c[i].state) == NSTATES)
			continue;
		json_object_set_new(counts, c[i].state,
		    json_integer(c[i].count));
		if (strcmp(c[i].state, "available") != 0)
			continue;
		json_object_set_new(q, "scheduled",
		    json_integer(c[i].scheduled));
		if (c[i].has_oldest)
			json_object_set_new(q, "oldest_available_age_seconds",
			    json_real(c[i].oldest));
	}
	return json_pack("{s:o}", "queues", arr);
}

static void
handle_queues(struct app *app, struct request *req, long long id)
{
	struct store_count	*c;
	json_t			*o;
	char			 err[256] = "", *s = NULL;
	size_t			 n;
	enum store_rc		 rc;

	(void)id;
	rc = store_counts(app->store, &c, &n, err, sizeof(err));
	if (rc != STORE_OK) {
		reply_store(req, rc, err);
		return;
	}
	if ((o = queues_json(c, n)) != NULL)
		s = json_dumps(o, JSON_COMPACT | JSON_REAL_PRECISION(15));
	if (s == NULL)
		reply(req, 500, "internal", "out of memory");
	else
		http_respond(req, 200, "", s);
	free(s);
	json_decref(o);
	free(c);
}

static void
handle_health(struct app *app, struct request *req, long long id)
{
	char		 err[256] = "";
	enum store_rc	 rc;

	(void)id;
	rc = store_ping(app->store, err, sizeof(err));
	if (rc == STORE_OK)
		http_respond(req, 200, "", "{\"status\":\"ok\"}");
	else
		reply_store(req, STORE_UNAVAILABLE, err);
}

/* Prometheus text format 0.0.4: the gauges from the database. */
static void
metrics_jobs(FILE *f, const struct store_count *c, size_t n)
{
	size_t	 i, k, j;

	fputs("# HELP jobq_jobs Jobs by queue and state.\n"
	    "# TYPE jobq_jobs gauge\n", f);
	for (i = 0; i < n; i = j) {
		for (k = 0; k < NSTATES; k++) {
			long long	 cnt = 0;

			for (j = i; j < n &&
			    strcmp(c[j].queue, c[i].queue) == 0; j++)
				if (strcmp(c[j].state, states[k]) == 0)
					cnt = c[j].count;
			fprintf(f, "jobq_jobs{queue=\"%s\",state=\"%s\"}"
			    " %lld\n", c[i].queue, states[k], cnt);
		}
	}
	fputs("# HELP jobq_oldest_available_age_seconds Seconds the oldest "
	    "due available job of the queue has waited.\n"
	    "# TYPE jobq_oldest_available_age_seconds gauge\n", f);
	for (i = 0; i < n; i++)
		if (strcmp(c[i].state, "available") == 0)
			fprintf(f, "jobq_oldest_available_age_seconds"
			    "{queue=\"%s\"} %.3f\n", c[i].queue,
			    c[i].has_oldest ? c[i].oldest : 0.0);
}

static void
metrics_process(FILE *f, const struct app *app, long long enqueued)
{
	size_t	 i;

	fprintf(f, "# HELP jobq_enqueued_total Job ids handed out, over all "
	    "processes.\n# TYPE jobq_enqueued_total counter\n"
	    "jobq_enqueued_total %lld\n", enqueued);
	fputs("# HELP jobq_http_requests_total Requests this jobq.fcgi "
	    "process answered, by status.\n"
	    "# TYPE jobq_http_requests_total counter\n", f);
	for (i = 100; i < ROUTES_STATUS_MAX; i++)
		if (app->requests[i] > 0)
			fprintf(f, "jobq_http_requests_total{pid=\"%ld\","
			    "code=\"%zu\"} %llu\n", (long)getpid(), i,
			    app->requests[i]);
}

static void
handle_metrics(struct app *app, struct request *req, long long id)
{
	struct store_count	*c = NULL;
	char			 err[256] = "", *text = NULL;
	size_t			 n, len;
	long long		 enq;
	enum store_rc		 rc;
	FILE			*f;

	(void)id;
	if ((rc = store_counts(app->store, &c, &n, err, sizeof(err))) !=
	    STORE_OK || (rc = store_enqueued(app->store, &enq, err,
	    sizeof(err))) != STORE_OK) {
		free(c);
		reply_store(req, rc, err);
		return;
	}
	if ((f = open_memstream(&text, &len)) != NULL) {
		metrics_jobs(f, c, n);
		metrics_process(f, app, enq);
	}
	if (f == NULL || fclose(f) != 0)
		reply(req, 500, "internal", "out of memory");
	else
		http_respond_type(req, 200,
		    "text/plain; version=0.0.4; charset=utf-8", "", text);
	free(text);
	free(c);
}

int
routes_token_ok(const char *authorization, const char *token)
{
	const char	*p;
	size_t		 i, plen, tlen = strlen(token);
	unsigned char	 diff;

	if (authorization == NULL || strncasecmp(authorization, "Bearer ",
	    7) != 0)
		return 0;
	p = authorization + 7;
	p += strspn(p, " ");
	plen = strlen(p);
	/* Every byte of the token is compared, whatever matched before. */
	diff = plen != tlen;
	for (i = 0; i < tlen; i++)
		diff |= (unsigned char)token[i] ^
		    (unsigned char)(i < plen ? p[i] : 0);
	return diff == 0;
}

void
routes_dispatch(struct app *app, struct request *req)
{
	struct api_error	 err;
	char			 allow[128], hdr[160];
	long long		 id = 0;
	int			 r;

	/* /health stays open for load balancers' checks. */
	if (app->token != NULL && app->token[0] != '\0' &&
	    !route_is(req->path, ROUTE_HEALTH) &&
	    !routes_token_ok(req->authorization, app->token)) {
		api_error_set(&err, 401, "unauthorized",
		    "a valid \"Authorization: Bearer\" token is required");
		reply_error(req, &err, req->authorization == NULL ?
		    "WWW-Authenticate: Bearer realm=\"jobq\"\r\n" :
		    "WWW-Authenticate: Bearer realm=\"jobq\", "
		    "error=\"invalid_token\"\r\n");
		return;
	}
	r = route_match(req->method, req->path, &id, allow, sizeof(allow));
	if (r >= 0) {
		handlers[r](app, req, id);
		return;
	}
	if (r == ROUTE_NOT_FOUND) {
		reply(req, 404, "not_found", "no such resource");
		return;
	}
	snprintf(hdr, sizeof(hdr), "Allow: %s\r\n", allow);
	api_error_set(&err, 405, "method_not_allowed",
	    "this resource does not support that method");
	reply_error(req, &err, hdr);
}
