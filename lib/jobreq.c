/* SPDX-License-Identifier: ISC */
/* jobreq.c - parsing and validating the body of an enqueue request. */
#include "config.h"

#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "jobreq.h"
#include "jobq_limits.h"

/* A growing output buffer for the args serializer. */
struct sbuf {
	char		*p;
	size_t		 len;
	size_t		 cap;
	size_t		 max;	/* longest allowed content */
};

enum dump_rc {
	DUMP_OK,
	DUMP_TOO_DEEP,
	DUMP_TOO_BIG,
	DUMP_NOMEM,
};

typedef int	(*field_fn)(json_t *, const char *, struct jobreq *,
		    struct api_error *);

static int	 parse_kind(json_t *, const char *, struct jobreq *,
		    struct api_error *);
static int	 parse_args(json_t *, const char *, struct jobreq *,
		    struct api_error *);
static int	 parse_queue(json_t *, const char *, struct jobreq *,
		    struct api_error *);
static int	 parse_priority(json_t *, const char *, struct jobreq *,
		    struct api_error *);
static int	 parse_run_at(json_t *, const char *, struct jobreq *,
		    struct api_error *);
static int	 parse_max_attempts(json_t *, const char *, struct jobreq *,
		    struct api_error *);
static int	 parse_delay(json_t *, const char *, struct jobreq *,
		    struct api_error *);
static int	 parse_timeout(json_t *, const char *, struct jobreq *,
		    struct api_error *);
static int	 parse_unique_key(json_t *, const char *, struct jobreq *,
		    struct api_error *);

enum jobreq_field {
	JF_KIND,
	JF_ARGS,
	JF_QUEUE,
	JF_PRIORITY,
	JF_RUN_AT,
	JF_MAX_ATTEMPTS,
	JF_DELAY,
	JF_TIMEOUT,
	JF_UNIQUE_KEY,
	JF__MAX
};

/* Every field a client may send, with its validator. */
static const struct {
	const char	*name;
	field_fn	 parse;
} fields[JF__MAX] = {
	{ "kind", parse_kind },			/* JF_KIND */
	{ "args", parse_args },			/* JF_ARGS */
	{ "queue", parse_queue },		/* JF_QUEUE */
	{ "priority", parse_priority },		/* JF_PRIORITY */
	{ "run_at", parse_run_at },		/* JF_RUN_AT */
	{ "max_attempts", parse_max_attempts },	/* JF_MAX_ATTEMPTS */
	{ "delay", parse_delay },		/* JF_DELAY */
	{ "timeout", parse_timeout },		/* JF_TIMEOUT */
	{ "unique_key", parse_unique_key },	/* JF_UNIQUE_KEY */
};

static enum dump_rc	dump_value(struct sbuf *, json_t *, int);

int
api_error_set(struct api_error *err, int status, const char *code,
    const char *fmt, ...)
{
	va_list	 ap;

	err->status = status;
	err->code = code;
	va_start(ap, fmt);
	vsnprintf(err->message, sizeof(err->message), fmt, ap);
	va_end(ap);
	return -1;
}

void
jobreq_free(struct jobreq *r)
{

	free(r->kind);
	free(r->queue);
	free(r->args);
	free(r->run_at);
	free(r->unique_key);
	memset(r, 0, sizeof(*r));
}

/*
 * Copy client text into a message: anything but printable ASCII becomes
 * '?', so the message stays valid UTF-8 however it is cut.
 */
static void
safe_copy(char *dst, size_t dstlen, const char *src)
{
	size_t	 i;

	for (i = 0; src[i] != '\0' && i + 1 < dstlen; i++)
		dst[i] = (src[i] >= 0x20 && src[i] < 0x7f) ? src[i] : '?';
	dst[i] = '\0';
}

int
jobreq_valid_name(const char *s)
{
	size_t	 i;

	if (!isalnum((unsigned char)s[0]))
		return 0;
	for (i = 1; s[i] != '\0'; i++) {
		if (i >= JOBQ_MAX_NAME)
			return 0;
		if (!isalnum((unsigned char)s[i]) &&
		    strchr("_.:-", s[i]) == NULL)
			return 0;
	}
	return 1;
}

/*
 * RFC 3339 section 5.6 date-time: full-date "T" full-time, where the
 * time has optional fractional seconds and a "Z" or numeric offset.
 * Only the shape is checked here; PostgreSQL checks the ranges.
 */
int
jobreq_valid_rfc3339(const char *s)
{
	const char	*shape = "dddd-dd-ddTdd:dd:dd";
	size_t		 i, n;

	for (i = 0; shape[i] != '\0'; i++) {
		if (shape[i] == 'd' && !isdigit((unsigned char)s[i]))
			return 0;
		if (shape[i] == 'T' && s[i] != 'T' && s[i] != 't')
			return 0;
		if (shape[i] != 'd' && shape[i] != 'T' && s[i] != shape[i])
			return 0;
	}
	s += i;
	if (*s == '.') {
		for (n = 1; isdigit((unsigned char)s[n]); n++)
			continue;
		/* PostgreSQL keeps microseconds; nanoseconds still parse. */
		if (n == 1 || n > 10)
			return 0;
		s += n;
	}
	if (*s == 'Z' || *s == 'z')
		return s[1] == '\0';
	if (*s != '+' && *s != '-')
		return 0;
	return isdigit((unsigned char)s[1]) && isdigit((unsigned char)s[2]) &&
	    s[3] == ':' && isdigit((unsigned char)s[4]) &&
	    isdigit((unsigned char)s[5]) && s[6] == '\0';
}

static int
sb_put(struct sbuf *b, const char *s, size_t n)
{
	char	*np;
	size_t	 ncap;

	if (b->len + n > b->max)
		return DUMP_TOO_BIG;
	if (b->len + n + 1 > b->cap) {
		ncap = b->cap ? b->cap : 256;
		while (ncap < b->len + n + 1)
			ncap *= 2;
		if ((np = realloc(b->p, ncap)) == NULL)
			return DUMP_NOMEM;
		b->p = np;
		b->cap = ncap;
	}
	memcpy(b->p + b->len, s, n);
	b->len += n;
	b->p[b->len] = '\0';
	return DUMP_OK;
}

/* A JSON string literal; Jansson has already checked it is UTF-8. */
static enum dump_rc
dump_string(struct sbuf *b, const char *s, size_t n)
{
	char		 esc[8];
	size_t		 i, start;
	unsigned char	 c;
	int		 rc;

	if ((rc = sb_put(b, "\"", 1)) != DUMP_OK)
		return rc;
	for (i = start = 0; i < n; i++) {
		c = (unsigned char)s[i];
		if (c >= 0x20 && c != '"' && c != '\\')
			continue;
		if ((rc = sb_put(b, s + start, i - start)) != DUMP_OK)
			return rc;
		if (c == '"' || c == '\\')
			snprintf(esc, sizeof(esc), "\\%c", c);
		else
			snprintf(esc, sizeof(esc), "\\u%04x", c);
		if ((rc = sb_put(b, esc, strlen(esc))) != DUMP_OK)
			return rc;
		start = i + 1;
	}
	if ((rc = sb_put(b, s + start, n - start)) != DUMP_OK)
		return rc;
	return sb_put(b, "\"", 1);
}

/*
 * The shortest decimal that reads back as the same double, so that 0.1
 * is stored as 0.1 and not as 0.10000000000000001 (Jansson's "%.17g").
 */
static enum dump_rc
dump_real(struct sbuf *b, double v)
{
	char	 num[40];
	int	 prec;

	for (prec = 15; prec <= 17; prec++) {
		snprintf(num, sizeof(num), "%.*g", prec, v);
		if (strtod(num, NULL) == v)
			break;
	}
	return sb_put(b, num, strlen(num));
}

static enum dump_rc
dump_container(struct sbuf *b, json_t *v, int depth)
{
	const char	*key;
	json_t		*item;
	size_t		 i;
	int		 rc, first = 1;

	if (depth > JOBQ_MAX_DEPTH)
		return DUMP_TOO_DEEP;
	if (json_is_array(v)) {
		if ((rc = sb_put(b, "[", 1)) != DUMP_OK)
			return rc;
		json_array_foreach(v, i, item) {
			if ((i > 0 && (rc = sb_put(b, ",", 1)) != DUMP_OK) ||
			    (rc = dump_value(b, item, depth + 1)) != DUMP_OK)
				return rc;
		}
		return sb_put(b, "]", 1);
	}
	if ((rc = sb_put(b, "{", 1)) != DUMP_OK)
		return rc;
	json_object_foreach(v, key, item) {
		if ((!first && (rc = sb_put(b, ",", 1)) != DUMP_OK) ||
		    (rc = dump_string(b, key, strlen(key))) != DUMP_OK ||
		    (rc = sb_put(b, ":", 1)) != DUMP_OK ||
		    (rc = dump_value(b, item, depth + 1)) != DUMP_OK)
			return rc;
		first = 0;
	}
	return sb_put(b, "}", 1);
}

/* Serialize v compactly; depth counts the containers around it. */
static enum dump_rc
dump_value(struct sbuf *b, json_t *v, int depth)
{
	char	 num[32];

	switch (json_typeof(v)) {
	case JSON_OBJECT:
	case JSON_ARRAY:
		return dump_container(b, v, depth);
	case JSON_STRING:
		return dump_string(b, json_string_value(v),
		    json_string_length(v));
	case JSON_INTEGER:
		snprintf(num, sizeof(num), "%" JSON_INTEGER_FORMAT,
		    json_integer_value(v));
		return sb_put(b, num, strlen(num));
	case JSON_REAL:
		return dump_real(b, json_real_value(v));
	case JSON_TRUE:
		return sb_put(b, "true", 4);
	case JSON_FALSE:
		return sb_put(b, "false", 5);
	default:
		return sb_put(b, "null", 4);
	}
}

static int
copy_string(json_t *v, const char *name, char **dst, size_t maxlen,
    struct api_error *err)
{

	if (!json_is_string(v))
		return api_error_set(err, 400, "invalid_field",
		    "\"%s\" must be a string", name);
	if (json_string_length(v) == 0 || json_string_length(v) > maxlen)
		return api_error_set(err, 400, "invalid_field",
		    "\"%s\" must be 1 to %zu bytes long", name, maxlen);
	if ((*dst = strdup(json_string_value(v))) == NULL)
		return api_error_set(err, 500, "internal", "out of memory");
	return 0;
}

static int
copy_int(json_t *v, const char *name, long long min, long long max,
    int *dst, struct api_error *err)
{

	if (!json_is_integer(v) || json_integer_value(v) < min ||
	    json_integer_value(v) > max)
		return api_error_set(err, 400, "invalid_field",
		    "\"%s\" must be an integer from %lld to %lld",
		    name, min, max);
	*dst = (int)json_integer_value(v);
	return 0;
}

static int
parse_name(json_t *v, const char *name, char **dst, struct api_error *err)
{

	if (copy_string(v, name, dst, JOBQ_MAX_NAME, err) == -1)
		return -1;
	if (!jobreq_valid_name(*dst))
		return api_error_set(err, 400, "invalid_field",
		    "\"%s\" must match ^[A-Za-z0-9][A-Za-z0-9_.:-]{0,63}$",
		    name);
	return 0;
}

static int
parse_kind(json_t *v, const char *name, struct jobreq *r,
    struct api_error *err)
{

	return parse_name(v, name, &r->kind, err);
}

static int
parse_queue(json_t *v, const char *name, struct jobreq *r,
    struct api_error *err)
{

	return parse_name(v, name, &r->queue, err);
}

static int
parse_args(json_t *v, const char *name, struct jobreq *r,
    struct api_error *err)
{
	struct sbuf	 b = { NULL, 0, 0, JOBQ_MAX_ARGS };

	if (!json_is_object(v))
		return api_error_set(err, 400, "invalid_field",
		    "\"%s\" must be an object", name);
	switch (dump_value(&b, v, 1)) {
	case DUMP_OK:
		r->args = b.p;
		return 0;
	case DUMP_TOO_DEEP:
		api_error_set(err, 400, "too_deep", "\"%s\" is nested more "
		    "than %d levels deep", name, JOBQ_MAX_DEPTH);
		break;
	case DUMP_TOO_BIG:
		api_error_set(err, 400, "invalid_field", "\"%s\" is larger "
		    "than %d bytes as JSON", name, JOBQ_MAX_ARGS);
		break;
	default:
		api_error_set(err, 500, "internal", "out of memory");
		break;
	}
	free(b.p);
	return -1;
}

static int
parse_priority(json_t *v, const char *name, struct jobreq *r,
    struct api_error *err)
{

	r->has_priority = 1;
	return copy_int(v, name, JOBQ_MIN_PRIORITY, JOBQ_MAX_PRIORITY,
	    &r->priority, err);
}

static int
parse_run_at(json_t *v, const char *name, struct jobreq *r,
    struct api_error *err)
{

	if (copy_string(v, name, &r->run_at, 64, err) == -1)
		return -1;
	if (!jobreq_valid_rfc3339(r->run_at))
		return api_error_set(err, 400, "invalid_field",
		    "\"%s\" must be an RFC 3339 date-time with an offset, "
		    "such as 2030-01-02T03:04:05Z", name);
	return 0;
}

static int
parse_max_attempts(json_t *v, const char *name, struct jobreq *r,
    struct api_error *err)
{

	r->has_max_attempts = 1;
	return copy_int(v, name, 1, JOBQ_MAX_ATTEMPTS_LIMIT,
	    &r->max_attempts, err);
}

static int
parse_delay(json_t *v, const char *name, struct jobreq *r,
    struct api_error *err)
{

	r->has_delay = 1;
	return copy_int(v, name, 0, JOBQ_MAX_DELAY, &r->delay, err);
}

static int
parse_timeout(json_t *v, const char *name, struct jobreq *r,
    struct api_error *err)
{

	r->has_timeout = 1;
	return copy_int(v, name, 1, JOBQ_MAX_TIMEOUT, &r->timeout, err);
}

static int
parse_unique_key(json_t *v, const char *name, struct jobreq *r,
    struct api_error *err)
{

	return copy_string(v, name, &r->unique_key, JOBQ_MAX_UNIQUE_KEY,
	    err);
}

/* Map a Jansson load error to the client's error. */
static int
load_error(const json_error_t *je, struct api_error *err)
{
	char	 text[JSON_ERROR_TEXT_LENGTH];

	safe_copy(text, sizeof(text), je->text);
	switch (json_error_code(je)) {
	case json_error_invalid_utf8:
		return api_error_set(err, 400, "invalid_utf8",
		    "invalid UTF-8 at line %d, column %d: %s",
		    je->line, je->column, text);
	case json_error_null_character:
		return api_error_set(err, 400, "nul_in_string",
		    "\\u0000 is not allowed in strings (line %d, "
		    "column %d)", je->line, je->column);
	case json_error_stack_overflow:
		return api_error_set(err, 400, "too_deep",
		    "JSON nested too deeply at line %d, column %d",
		    je->line, je->column);
	case json_error_out_of_memory:
		return api_error_set(err, 500, "internal", "out of memory");
	default:
		return api_error_set(err, 400, "invalid_json",
		    "malformed JSON at line %d, column %d: %s",
		    je->line, je->column, text);
	}
}

static int
parse_fields(json_t *root, struct jobreq *out, struct api_error *err)
{
	const char	*key;
	json_t		*v;
	char		 safe[65];
	size_t		 i;

	json_object_foreach(root, key, v) {
		for (i = 0; i < JF__MAX; i++)
			if (strcmp(key, fields[i].name) == 0)
				break;
		if (i == JF__MAX) {
			safe_copy(safe, sizeof(safe), key);
			return api_error_set(err, 400, "unknown_field",
			    "unknown field \"%s\"", safe);
		}
		/* null stands for "not given" in every optional field. */
		if (json_is_null(v) && i != JF_KIND)
			continue;
		if (fields[i].parse(v, fields[i].name, out, err) == -1)
			return -1;
	}
	if (out->kind == NULL)
		return api_error_set(err, 400, "missing_field",
		    "\"kind\" is required");
	if (out->has_delay && out->run_at != NULL)
		return api_error_set(err, 400, "invalid_field",
		    "\"delay\" and \"run_at\" cannot be used together");
	return 0;
}

/*
 * Load len bytes of JSON that must be an object.  Returns the object,
 * or NULL with err filled.
 */
static json_t *
load_object(const char *body, size_t len, struct api_error *err)
{
	json_error_t	 je;
	json_t		*root;

	if (len == 0) {
		api_error_set(err, 400, "invalid_json",
		    "request body is empty");
		return NULL;
	}
	/*
	 * Jansson refuses invalid UTF-8 and \u0000 unless told otherwise;
	 * duplicate keys are refused too, since their meaning is unclear.
	 * Any value is decoded, so that a well-formed body of the wrong
	 * type is reported as such.
	 */
	if ((root = json_loadb(body, len, JSON_REJECT_DUPLICATES |
	    JSON_DECODE_ANY, &je)) == NULL) {
		load_error(&je, err);
		return NULL;
	}
	if (!json_is_object(root)) {
		json_decref(root);
		api_error_set(err, 400, "invalid_field",
		    "request body must be a JSON object");
		return NULL;
	}
	return root;
}

int
jobreq_parse(const char *body, size_t len, struct jobreq *out,
    struct api_error *err)
{
	json_t		*root;
	int		 rc;

	memset(out, 0, sizeof(*out));
	if ((root = load_object(body, len, err)) == NULL)
		return -1;
	rc = parse_fields(root, out, err);
	json_decref(root);
	return rc;
}

void
jobreq_batch_free(struct jobbatch *b)
{
	size_t	 i;

	for (i = 0; i < b->n; i++)
		jobreq_free(&b->jobs[i]);
	free(b->jobs);
	memset(b, 0, sizeof(*b));
}

/* Validate element i of the batch into out; prefix errors with it. */
static int
parse_batch_job(json_t *v, size_t i, struct jobreq *out,
    struct api_error *err)
{
	char	 msg[sizeof(err->message)];

	if (!json_is_object(v))
		return api_error_set(err, 400, "invalid_field",
		    "jobs[%zu]: must be an object", i);
	if (json_object_get(v, "unique_key") != NULL &&
	    !json_is_null(json_object_get(v, "unique_key")))
		return api_error_set(err, 400, "invalid_field",
		    "jobs[%zu]: \"unique_key\" is not allowed in a batch; "
		    "use POST /jobs", i);
	if (parse_fields(v, out, err) == 0)
		return 0;
	snprintf(msg, sizeof(msg), "%s", err->message);
	snprintf(err->message, sizeof(err->message), "jobs[%zu]: %.200s", i,
	    msg);
	return -1;
}

static int
parse_batch_root(json_t *root, struct jobbatch *out, struct api_error *err)
{
	const char	*key;
	json_t		*jobs, *v;
	char		 safe[65];
	size_t		 i;

	json_object_foreach(root, key, v) {
		if (strcmp(key, "jobs") != 0) {
			safe_copy(safe, sizeof(safe), key);
			return api_error_set(err, 400, "unknown_field",
			    "unknown field \"%s\"", safe);
		}
	}
	if ((jobs = json_object_get(root, "jobs")) == NULL)
		return api_error_set(err, 400, "missing_field",
		    "\"jobs\" is required");
	if (!json_is_array(jobs) || json_array_size(jobs) == 0 ||
	    json_array_size(jobs) > JOBQ_MAX_BATCH)
		return api_error_set(err, 400, "invalid_field",
		    "\"jobs\" must be an array of 1 to %d jobs",
		    JOBQ_MAX_BATCH);
	out->jobs = calloc(json_array_size(jobs), sizeof(*out->jobs));
	if (out->jobs == NULL)
		return api_error_set(err, 500, "internal", "out of memory");
	json_array_foreach(jobs, i, v) {
		out->n = i + 1;
		if (parse_batch_job(v, i, &out->jobs[i], err) == -1)
			return -1;
	}
	return 0;
}

int
jobreq_parse_batch(const char *body, size_t len, struct jobbatch *out,
    struct api_error *err)
{
	json_t	*root;
	int	 rc;

	memset(out, 0, sizeof(*out));
	if ((root = load_object(body, len, err)) == NULL)
		return -1;
	rc = parse_batch_root(root, out, err);
	json_decref(root);
	return rc;
}

int
jobreq_valid_state(const char *s)
{
	static const char *const states[] = { "available", "running",
	    "completed", "failed", "cancelled", "waiting" };
	size_t	 i;

	for (i = 0; i < sizeof(states) / sizeof(states[0]); i++)
		if (strcmp(s, states[i]) == 0)
			return 1;
	return 0;
}

static int
hexval(char c)
{

	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/*
 * Percent-decode n bytes of src into dst (size dstlen), "+" being a
 * space (HTML forms).  Returns 0, or -1 when the result does not fit,
 * has a NUL or a bad escape.
 */
static int
url_decode(char *dst, size_t dstlen, const char *src, size_t n)
{
	size_t	 i, o = 0;
	int	 hi, lo;

	for (i = 0; i < n; i++) {
		if (o + 1 >= dstlen)
			return -1;
		if (src[i] == '+')
			dst[o++] = ' ';
		else if (src[i] != '%')
			dst[o++] = src[i];
		else {
			if (i + 2 >= n)
				return -1;
			if ((hi = hexval(src[i + 1])) < 0 ||
			    (lo = hexval(src[i + 2])) < 0 ||
			    (hi == 0 && lo == 0))
				return -1;
			dst[o++] = (char)(hi * 16 + lo);
			i += 2;
		}
	}
	dst[o] = '\0';
	return 0;
}

/* A positive decimal up to max; -1 when it is not one. */
static long long
parse_count(const char *s, long long max)
{
	long long	 v = 0;
	size_t		 i;

	if (s[0] < '0' || s[0] > '9')
		return -1;
	for (i = 0; s[i] != '\0'; i++) {
		if (s[i] < '0' || s[i] > '9' ||
		    v > (max - (s[i] - '0')) / 10)
			return -1;
		v = v * 10 + (s[i] - '0');
	}
	return v;
}

/* Store one decoded parameter; seen tracks repeats by bit. */
static int
filter_param(struct jobfilter *f, const char *key, const char *val,
    unsigned *seen, struct api_error *err)
{
	static const char *const keys[] = { "queue", "kind", "state",
	    "limit", "after" };
	char		 safe[65];
	long long	 v;
	size_t		 i;

	for (i = 0; i < sizeof(keys) / sizeof(keys[0]); i++)
		if (strcmp(key, keys[i]) == 0)
			break;
	safe_copy(safe, sizeof(safe), key);
	if (i == sizeof(keys) / sizeof(keys[0]))
		return api_error_set(err, 400, "unknown_field",
		    "unknown query parameter \"%s\"", safe);
	if (*seen & (1u << i))
		return api_error_set(err, 400, "invalid_field",
		    "query parameter \"%s\" given twice", safe);
	*seen |= 1u << i;
	switch (i) {
	case 0:
	case 1:
		if (strlen(val) > JOBQ_MAX_NAME || !jobreq_valid_name(val))
			return api_error_set(err, 400, "invalid_field",
			    "\"%s\" must match "
			    "^[A-Za-z0-9][A-Za-z0-9_.:-]{0,63}$", safe);
		snprintf(i == 0 ? f->queue : f->kind, JOBQ_MAX_NAME + 1,
		    "%s", val);
		return 0;
	case 2:
		if (!jobreq_valid_state(val))
			return api_error_set(err, 400, "invalid_field",
			    "\"state\" must be available, running, "
			    "completed, failed, cancelled or waiting");
		snprintf(f->state, sizeof(f->state), "%.15s", val);
		return 0;
	case 3:
		if ((v = parse_count(val, JOBQ_LIST_MAX)) < 1)
			return api_error_set(err, 400, "invalid_field",
			    "\"limit\" must be an integer from 1 to %d",
			    JOBQ_LIST_MAX);
		f->limit = (int)v;
		return 0;
	default:
		if ((v = parse_count(val, 9223372036854775807LL)) < 0)
			return api_error_set(err, 400, "invalid_field",
			    "\"after\" must be a job id");
		f->after = v;
		return 0;
	}
}

int
jobreq_parse_filter(const char *query, struct jobfilter *out,
    struct api_error *err)
{
	char		 key[32], val[256];
	const char	*p = query, *eq;
	size_t		 n;
	unsigned	 seen = 0;

	memset(out, 0, sizeof(*out));
	out->limit = JOBQ_LIST_DEFAULT;
	for (; *p != '\0'; p += n + (p[n] == '&')) {
		n = strcspn(p, "&");
		if (n == 0)
			continue;
		if ((eq = memchr(p, '=', n)) == NULL)
			eq = p + n;
		if (url_decode(key, sizeof(key), p, (size_t)(eq - p)) == -1)
			return api_error_set(err, 400, "unknown_field",
			    "unknown query parameter");
		if (url_decode(val, sizeof(val), eq + (eq < p + n),
		    (size_t)(p + n - eq - (eq < p + n))) == -1)
			return api_error_set(err, 400, "invalid_field",
			    "query parameter value is too long or badly "
			    "encoded");
		if (filter_param(out, key, val, &seen, err) == -1)
			return -1;
	}
	return 0;
}
