/* SPDX-License-Identifier: ISC */
/* http.h - one request and its response, whether FastCGI or plain CGI. */
#ifndef JOBQ_HTTP_H
#define JOBQ_HTTP_H

#include <stddef.h>

#include "jobreq.h"

/*
 * How a request reaches us.  main.c supplies one for FastCGI (libfcgi
 * streams and parameters) and one for plain CGI (environment and
 * stdio), so nothing else needs to know which mode it runs in.
 */
struct http_io {
	/* Up to n bytes; fewer only at the end of the body; -1 on error. */
	int		 (*read)(void *ctx, char *buf, size_t n);
	/* All n bytes, or -1 (the client went away). */
	int		 (*write)(void *ctx, const char *buf, size_t n);
	/* A CGI meta-variable (RFC 3875 section 4.1), or NULL. */
	const char	*(*param)(void *ctx, const char *name);
	void		*ctx;
};

struct request {
	const struct http_io *io;
	const char	*method;	/* REQUEST_METHOD, never NULL */
	const char	*path;		/* PATH_INFO, never NULL */
	const char	*query;		/* QUERY_STRING, never NULL */
	const char	*content_type;	/* CONTENT_TYPE, or NULL */
	const char	*content_length; /* CONTENT_LENGTH, or NULL */
	const char	*authorization;	/* HTTP_AUTHORIZATION, or NULL */
	const char	*script_name;	/* SCRIPT_NAME, never NULL */
	char		*body;		/* after http_read_body(); NUL-ended */
	size_t		 bodylen;
	int		 status;	/* of the response, once sent */
	long long	 job_id;	/* for the log line; 0 when none */
	int		 responded;
	int		 head_only;	/* HEAD: headers, no body */
};

/* Fill req from io's parameters.  Nothing is read yet. */
void	http_request_init(struct request *req, const struct http_io *io);

/* Free what http_request_init() and http_read_body() allocated. */
void	http_request_free(struct request *req);

/*
 * Read the whole body of a request that must carry one.  Checks, in
 * order: a Content-Length is present (411), it is a number (400), it is
 * at most maxbody (413), the Content-Type is JSON (415), all of it
 * arrived (400).  Whatever was not read is drained, never stored.
 * Returns 0, or -1 with err filled.
 */
int	http_read_body(struct request *req, size_t maxbody,
	    struct api_error *err);

/* Read and throw away whatever body the client sent. */
void	http_drain(struct request *req);

/*
 * Send status with a JSON body; extra is "" or further header lines,
 * each ending in "\r\n".  Returns 0, or -1 when the client is gone.
 */
int	http_respond(struct request *req, int status, const char *extra,
	    const char *json);

/* The same with another Content-Type; the body need not be JSON. */
int	http_respond_type(struct request *req, int status, const char *ctype,
	    const char *extra, const char *body);

/* Send err as {"error": code, "message": text}, with Retry-After on 503. */
int	http_respond_error(struct request *req, const struct api_error *err,
	    const char *extra);

/* Whether a Content-Type names JSON (parameters such as charset ok). */
int	http_is_json_type(const char *ctype);

/* The reason phrase of an HTTP status. */
const char *http_reason(int status);

#endif
