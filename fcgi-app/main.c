/* SPDX-License-Identifier: ISC */
/* main.c - jobq.fcgi: the FastCGI accept loop, or one plain CGI request. */
#include "config.h"

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <fcgiapp.h>

#include "http.h"
#include "jobq_limits.h"
#include "log.h"
#include "routes.h"
#include "store.h"

/*
 * The largest single read or write handed to libfcgi, which counts in
 * int.
 */
#define IO_MAX		(1 << 30)

static int
fcgx_read(void *ctx, char *buf, size_t n)
{
	FCGX_Request	*rq = ctx;

	if (n > IO_MAX)
		n = IO_MAX;
	/* FCGX_GetStr returns less than asked only at the end of stdin. */
	return FCGX_GetStr(buf, (int)n, rq->in);
}

static int
fcgx_write(void *ctx, const char *buf, size_t n)
{
	FCGX_Request	*rq = ctx;

	if (n > IO_MAX)
		return -1;
	return FCGX_PutStr(buf, (int)n, rq->out) == (int)n ? 0 : -1;
}

static const char *
fcgx_param(void *ctx, const char *name)
{
	FCGX_Request	*rq = ctx;

	return FCGX_GetParam(name, rq->envp);
}

static int
cgi_read(void *ctx, char *buf, size_t n)
{

	(void)ctx;
	if (n > IO_MAX)
		n = IO_MAX;
	return (int)fread(buf, 1, n, stdin);
}

static int
cgi_write(void *ctx, const char *buf, size_t n)
{

	(void)ctx;
	return fwrite(buf, 1, n, stdout) == n ? 0 : -1;
}

static const char *
cgi_param(void *ctx, const char *name)
{

	(void)ctx;
	return getenv(name);
}

static double
elapsed_ms(const struct timespec *t0)
{
	struct timespec	 t1;

	clock_gettime(CLOCK_MONOTONIC, &t1);
	return (t1.tv_sec - t0->tv_sec) * 1e3 +
	    (t1.tv_nsec - t0->tv_nsec) / 1e6;
}

/* Answer one request and write its log line. */
static void
serve(struct app *app, const struct http_io *io)
{
	static unsigned long	 counter;
	struct request		 req;
	struct timespec		 t0;
	char			 ctx[64], method[40], path[200];

	clock_gettime(CLOCK_MONOTONIC, &t0);
	snprintf(ctx, sizeof(ctx), "req=%ld-%lu", (long)getpid(), ++counter);
	log_set_context(ctx);
	http_request_init(&req, io);
	routes_dispatch(app, &req);
	/* The web server must see all of stdin consumed before the end. */
	http_drain(&req);
	if (req.status > 0 && req.status < ROUTES_STATUS_MAX)
		app->requests[req.status]++;
	log_escape(method, sizeof(method), req.method, strlen(req.method));
	log_escape(path, sizeof(path), req.path, strlen(req.path));
	log_info("%s %s %d job=%lld %.1fms", method, path, req.status,
	    req.job_id, elapsed_ms(&t0));
	http_request_free(&req);
	log_set_context(NULL);
}

/* JOBQ_MAX_BODY from the environment, else the compiled-in limit. */
static size_t
max_body(void)
{
	const char	*s = getenv("JOBQ_MAX_BODY");
	char		*end;
	long long	 v;

	if (s == NULL || *s == '\0')
		return JOBQ_MAX_BODY;
	v = strtoll(s, &end, 10);
	if (*end != '\0' || v <= 0 || v > IO_MAX) {
		log_warn("ignoring JOBQ_MAX_BODY \"%.20s\": not a positive "
		    "number of bytes", s);
		return JOBQ_MAX_BODY;
	}
	return (size_t)v;
}

/*
 * SIGTERM (how mod_fcgid and spawn-fcgi stop a process): finish the
 * request in hand, then leave the accept loop and exit cleanly.
 */
static void
on_term(int sig)
{

	(void)sig;
	FCGX_ShutdownPending();
}

static int
run_fastcgi(struct app *app)
{
	struct http_io	 io = { fcgx_read, fcgx_write, fcgx_param, NULL };
	struct sigaction sa;
	FCGX_Request	 rq;
	char		 err[256];

	if (FCGX_Init() != 0 || FCGX_InitRequest(&rq, 0, 0) != 0) {
		log_error("could not initialise libfcgi");
		return 1;
	}
	io.ctx = &rq;
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_term;
	sigemptyset(&sa.sa_mask);
	/* No SA_RESTART: accept(2) must return for the loop to end. */
	sigaction(SIGTERM, &sa, NULL);
	/* Connect early so the first request does not pay for it. */
	if (store_ready(app->store, err, sizeof(err)) != STORE_OK)
		log_warn("database unavailable at start: %s", err);
	while (FCGX_Accept_r(&rq) >= 0) {
		serve(app, &io);
		FCGX_Finish_r(&rq);
	}
	FCGX_Free(&rq, 1);
	log_debug("leaving the accept loop");
	return 0;
}

static void
usage(void)
{

	fprintf(stderr, "usage: jobq.fcgi [-v]\n");
	exit(2);
}

int
main(int argc, char *argv[])
{
	struct http_io	 cgi = { cgi_read, cgi_write, cgi_param, NULL };
	struct app	 app;
	int		 ch, rc = 0, verbose = 0;
	const char	*v;

	while ((ch = getopt(argc, argv, "v")) != -1) {
		if (ch == 'v')
			verbose = 1;
		else
			usage();
	}
	if ((v = getenv("JOBQ_VERBOSE")) != NULL && strcmp(v, "1") == 0)
		verbose = 1;
	log_init("jobq.fcgi", verbose);
	/* A client that hangs up must cost its request, not the process. */
	signal(SIGPIPE, SIG_IGN);
	memset(&app, 0, sizeof(app));
	app.maxbody = max_body();
	app.token = getenv("JOBQ_API_TOKEN");
	if ((app.store = store_new()) == NULL) {
		log_error("out of memory");
		return 1;
	}
	if (FCGX_IsCGI()) {
		serve(&app, &cgi);
		if (fflush(stdout) != 0)
			rc = 1;
	} else
		rc = run_fastcgi(&app);
	store_free(app.store);
	return rc;
}
