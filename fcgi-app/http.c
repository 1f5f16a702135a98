/* SPDX-License-Identifier: ISC */
/* http.c - request fields, the body under its limit, JSON responses. */
#include "config.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <jansson.h>

#include "http.h"
#include "jobq_limits.h"

#define DRAIN_CHUNK	16384

static const char *
param_or(struct request *req, const char *name, const char *dflt)
{
	const char	*v = req->io->param(req->io->ctx, name);

	return v != NULL ? v : dflt;
}

void
http_request_init(struct request *req, const struct http_io *io)
{

	memset(req, 0, sizeof(*req));
	req->io = io;
	req->method = param_or(req, "REQUEST_METHOD", "GET");
	req->head_only = strcmp(req->method, "HEAD") == 0;
	req->path = param_or(req, "PATH_INFO", "");
	req->query = param_or(req, "QUERY_STRING", "");
	req->script_name = param_or(req, "SCRIPT_NAME", "");
	req->content_type = param_or(req, "CONTENT_TYPE", NULL);
	req->authorization = param_or(req, "HTTP_AUTHORIZATION", NULL);
	/* RFC 3875 4.1.2: an empty CONTENT_LENGTH means no body. */
	req->content_length = param_or(req, "CONTENT_LENGTH", NULL);
	if (req->content_length != NULL && req->content_length[0] == '\0')
		req->content_length = NULL;
}

void
http_request_free(struct request *req)
{

	free(req->body);
	req->body = NULL;
	req->bodylen = 0;
}

/*
 * Parse CONTENT_LENGTH.  Returns 0, or -1 when it is not a decimal
 * number.  A value too large for *len is stored as SIZE_MAX, which is
 * over every limit.
 */
static int
parse_length(const char *s, size_t *len)
{
	size_t	 i, n = 0;

	for (i = 0; s[i] != '\0'; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -1;
		if (n > (SIZE_MAX - 9) / 10)
			n = SIZE_MAX;
		else
			n = n * 10 + (size_t)(s[i] - '0');
	}
	if (i == 0)
		return -1;
	*len = n;
	return 0;
}

/* Read up to len bytes and drop them, stopping at the end of input. */
static void
drain_bytes(struct request *req, size_t len)
{
	char	 buf[DRAIN_CHUNK];
	size_t	 want;
	int	 n;

	while (len > 0) {
		want = len < sizeof(buf) ? len : sizeof(buf);
		if ((n = req->io->read(req->io->ctx, buf, want)) <= 0)
			return;
		len -= (size_t)n;
		if ((size_t)n < want)
			return;
	}
}

void
http_drain(struct request *req)
{
	size_t	 len;

	if (req->body == NULL && req->content_length != NULL &&
	    parse_length(req->content_length, &len) == 0)
		drain_bytes(req, len);
}

/* Whether ";charset=..." names UTF-8, or no charset is given at all. */
static int
charset_ok(const char *params)
{
	const char	*p = params;
	size_t		 n;

	while ((p = strchr(p, ';')) != NULL) {
		p++;
		p += strspn(p, " \t");
		if (strncasecmp(p, "charset=", 8) != 0)
			continue;
		p += 8;
		if (*p == '"')
			p++;
		n = strcspn(p, "\"; \t");
		return (n == 5 && strncasecmp(p, "utf-8", 5) == 0) ||
		    (n == 4 && strncasecmp(p, "utf8", 4) == 0);
	}
	return 1;
}

int
http_is_json_type(const char *ctype)
{
	const char	*p;

	if (ctype == NULL)
		return 0;
	p = ctype + strspn(ctype, " \t");
	if (strncasecmp(p, "application/json", 16) != 0)
		return 0;
	p += 16;
	p += strspn(p, " \t");
	if (*p == '\0')
		return 1;
	return *p == ';' && charset_ok(p);
}

int
http_read_body(struct request *req, size_t maxbody, struct api_error *err)
{
	size_t	 len, got = 0;
	int	 n;

	if (req->content_length == NULL)
		return api_error_set(err, 411, "length_required",
		    "a Content-Length header is required");
	if (parse_length(req->content_length, &len) == -1)
		return api_error_set(err, 400, "invalid_field",
		    "Content-Length is not a number");
	if (len > maxbody) {
		drain_bytes(req, len);
		return api_error_set(err, 413, "body_too_large",
		    "request body is larger than %zu bytes", maxbody);
	}
	if (!http_is_json_type(req->content_type)) {
		drain_bytes(req, len);
		return api_error_set(err, 415, "unsupported_media_type",
		    "Content-Type must be application/json");
	}
	if ((req->body = malloc(len + 1)) == NULL) {
		drain_bytes(req, len);
		return api_error_set(err, 500, "internal", "out of memory");
	}
	while (got < len) {
		n = req->io->read(req->io->ctx, req->body + got, len - got);
		if (n <= 0)
			break;
		got += (size_t)n;
	}
	req->body[got] = '\0';
	req->bodylen = got;
	if (got < len)
		return api_error_set(err, 400, "incomplete_body",
		    "request body ended after %zu of %zu bytes", got, len);
	return 0;
}

const char *
http_reason(int status)
{

	switch (status) {
	case 200: return "OK";
	case 201: return "Created";
	case 202: return "Accepted";
	case 400: return "Bad Request";
	case 401: return "Unauthorized";
	case 404: return "Not Found";
	case 405: return "Method Not Allowed";
	case 409: return "Conflict";
	case 411: return "Length Required";
	case 413: return "Content Too Large";
	case 415: return "Unsupported Media Type";
	case 503: return "Service Unavailable";
	default: return "Internal Server Error";
	}
}

int
http_respond(struct request *req, int status, const char *extra,
    const char *json)
{

	return http_respond_type(req, status, "application/json", extra,
	    json);
}

int
http_respond_type(struct request *req, int status, const char *ctype,
    const char *extra, const char *json)
{
	char	 head[1024];
	size_t	 blen = strlen(json);
	int	 n;

	/* RFC 3875 6.3.3: the Status header carries the status line. */
	n = snprintf(head, sizeof(head), "Status: %d %s\r\n"
	    "Content-Type: %s\r\n"
	    "Content-Length: %zu\r\n"
	    "Cache-Control: no-store\r\n"
	    "%s\r\n", status, http_reason(status), ctype, blen + 1, extra);
	req->status = status;
	req->responded = 1;
	if (n < 0 || (size_t)n >= sizeof(head))
		return -1;
	if (req->io->write(req->io->ctx, head, (size_t)n) == -1)
		return -1;
	if (req->head_only)
		return 0;
	if (req->io->write(req->io->ctx, json, blen) == -1 ||
	    req->io->write(req->io->ctx, "\n", 1) == -1)
		return -1;
	return 0;
}

int
http_respond_error(struct request *req, const struct api_error *err,
    const char *extra)
{
	char	 hdr[512];
	json_t	*obj;
	char	*s;
	int	 rc;

	if (err->status == 503)
		snprintf(hdr, sizeof(hdr), "Retry-After: %d\r\n%s",
		    JOBQ_RETRY_AFTER, extra);
	else
		snprintf(hdr, sizeof(hdr), "%s", extra);
	obj = json_pack("{s:s, s:s}", "error", err->code,
	    "message", err->message);
	s = obj != NULL ? json_dumps(obj, JSON_COMPACT) : NULL;
	json_decref(obj);
	/* Only a message that is not UTF-8 (our bug) or no memory. */
	rc = http_respond(req, err->status, hdr, s != NULL ? s :
	    "{\"error\":\"internal\",\"message\":\"unprintable error\"}");
	free(s);
	return rc;
}
