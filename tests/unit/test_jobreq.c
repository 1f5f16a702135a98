/* SPDX-License-Identifier: ISC */
/* test_jobreq.c - jobreq_parse accepts good bodies and names each fault. */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <CUnit/CUnit.h>

#include "jobreq.h"
#include "match.h"
#include "jobq_limits.h"
#include "suites.h"

/* Parse a NUL-terminated body; returns jobreq_parse's result. */
static int
parse(const char *body, struct jobreq *r, struct api_error *err)
{

	memset(err, 0, sizeof(*err));
	return jobreq_parse(body, strlen(body), r, err);
}

/* Assert that body is refused with status and code. */
static void
expect_error(const char *body, size_t len, int status, const char *code)
{
	struct jobreq		 r;
	struct api_error	 err;

	memset(&err, 0, sizeof(err));
	CU_ASSERT_EQUAL(jobreq_parse(body, len, &r, &err), -1);
	CU_ASSERT_EQUAL(err.status, status);
	CU_ASSERT_PTR_NOT_NULL_FATAL(err.code);
	CU_ASSERT_STRING_EQUAL(err.code, code);
	CU_ASSERT(err.message[0] != '\0');
	jobreq_free(&r);
}

static void
expect_str_error(const char *body, const char *code)
{

	expect_error(body, strlen(body), 400, code);
}

/* Assert that body is refused as invalid_field naming field. */
static void
expect_field_error(const char *body, const char *field)
{
	struct jobreq		 r;
	struct api_error	 err;

	CU_ASSERT_EQUAL(parse(body, &r, &err), -1);
	CU_ASSERT_EQUAL(err.status, 400);
	CU_ASSERT_STRING_EQUAL(err.code, "invalid_field");
	CU_ASSERT_PTR_NOT_NULL(strstr(err.message, field));
	jobreq_free(&r);
}

static void
test_minimal(void)
{
	struct jobreq		 r;
	struct api_error	 err;

	CU_ASSERT_EQUAL_FATAL(parse("{\"kind\":\"noop\"}", &r, &err), 0);
	CU_ASSERT_STRING_EQUAL(r.kind, "noop");
	CU_ASSERT_PTR_NULL(r.queue);
	CU_ASSERT_PTR_NULL(r.args);
	CU_ASSERT_PTR_NULL(r.run_at);
	CU_ASSERT_PTR_NULL(r.unique_key);
	CU_ASSERT_FALSE(r.has_priority || r.has_max_attempts ||
	    r.has_delay || r.has_timeout);
	jobreq_free(&r);
}

static void
test_full(void)
{
	struct jobreq		 r;
	struct api_error	 err;
	const char		*body = "{\"kind\": \"mail.send\", "
	    "\"args\": {\"to\": \"a@b\", \"n\": [1, 0.1, true, null], "
	    "\"s\": \"\\u00e9\\\"\\n\"}, \"queue\": \"mail:eu\", "
	    "\"priority\": -5, \"run_at\": \"2030-01-02T03:04:05.25+02:00\", "
	    "\"max_attempts\": 3, \"timeout\": 60, \"unique_key\": \"u1\"}";

	CU_ASSERT_EQUAL_FATAL(parse(body, &r, &err), 0);
	CU_ASSERT_STRING_EQUAL(r.kind, "mail.send");
	CU_ASSERT_STRING_EQUAL(r.queue, "mail:eu");
	/* Compact, insertion order, 0.1 stays 0.1. */
	CU_ASSERT_STRING_EQUAL(r.args, "{\"to\":\"a@b\",\"n\":[1,0.1,true,"
	    "null],\"s\":\"\xc3\xa9\\\"\\u000a\"}");
	CU_ASSERT(r.has_priority && r.priority == -5);
	CU_ASSERT_STRING_EQUAL(r.run_at, "2030-01-02T03:04:05.25+02:00");
	CU_ASSERT(r.has_max_attempts && r.max_attempts == 3);
	CU_ASSERT(r.has_timeout && r.timeout == 60);
	CU_ASSERT_STRING_EQUAL(r.unique_key, "u1");
	CU_ASSERT_FALSE(r.has_delay);
	jobreq_free(&r);
}

static void
test_delay_and_nulls(void)
{
	struct jobreq		 r;
	struct api_error	 err;

	CU_ASSERT_EQUAL_FATAL(parse("{\"kind\":\"k\",\"delay\":0,"
	    "\"queue\":null,\"run_at\":null}", &r, &err), 0);
	CU_ASSERT(r.has_delay && r.delay == 0);
	CU_ASSERT_PTR_NULL(r.queue);
	CU_ASSERT_PTR_NULL(r.run_at);
	jobreq_free(&r);
}

static void
test_limits_accepted(void)
{
	struct jobreq		 r;
	struct api_error	 err;
	char			 body[256];

	snprintf(body, sizeof(body), "{\"kind\":\"k\",\"priority\":%d,"
	    "\"max_attempts\":%d,\"timeout\":%d,\"delay\":%d}",
	    JOBQ_MIN_PRIORITY, JOBQ_MAX_ATTEMPTS_LIMIT, JOBQ_MAX_TIMEOUT,
	    JOBQ_MAX_DELAY);
	CU_ASSERT_EQUAL(parse(body, &r, &err), 0);
	jobreq_free(&r);
	/* 64 bytes of kind is the longest name. */
	snprintf(body, sizeof(body), "{\"kind\":\"%064d\"}", 0);
	CU_ASSERT_EQUAL(parse(body, &r, &err), 0);
	jobreq_free(&r);
}

static void
test_malformed(void)
{
	struct jobreq		 r;
	struct api_error	 err;

	CU_ASSERT_EQUAL(parse("{\"kind\":\n  tru}", &r, &err), -1);
	CU_ASSERT_STRING_EQUAL(err.code, "invalid_json");
	CU_ASSERT_EQUAL(err.status, 400);
	CU_ASSERT_PTR_NOT_NULL(strstr(err.message, "line 2, column 5"));
	jobreq_free(&r);
	expect_str_error("{\"kind\":\"x\",", "invalid_json");
	expect_str_error("{\"kind\":\"x\"} trailing", "invalid_json");
	/* Well-formed JSON of the wrong type is a wrong type. */
	expect_str_error("[\"kind\"]", "invalid_field");
	expect_str_error("\"kind\"", "invalid_field");
	expect_str_error("{\"kind\":\"x\",\"kind\":\"y\"}", "invalid_json");
	expect_error("", 0, 400, "invalid_json");
}

static void
test_wrong_types(void)
{

	expect_field_error("{\"kind\":1}", "kind");
	expect_field_error("{\"kind\":null}", "kind");
	expect_field_error("{\"kind\":\"k\",\"args\":[]}", "args");
	expect_field_error("{\"kind\":\"k\",\"args\":\"{}\"}", "args");
	expect_field_error("{\"kind\":\"k\",\"queue\":7}", "queue");
	expect_field_error("{\"kind\":\"k\",\"priority\":\"1\"}", "priority");
	expect_field_error("{\"kind\":\"k\",\"priority\":1.5}", "priority");
	expect_field_error("{\"kind\":\"k\",\"priority\":true}", "priority");
	expect_field_error("{\"kind\":\"k\",\"run_at\":1}", "run_at");
	expect_field_error("{\"kind\":\"k\",\"max_attempts\":\"3\"}",
	    "max_attempts");
	expect_field_error("{\"kind\":\"k\",\"delay\":1.0}", "delay");
	expect_field_error("{\"kind\":\"k\",\"timeout\":[]}", "timeout");
	expect_field_error("{\"kind\":\"k\",\"unique_key\":{}}",
	    "unique_key");
}

static void
test_out_of_range(void)
{

	expect_field_error("{\"kind\":\"k\",\"priority\":1001}", "priority");
	expect_field_error("{\"kind\":\"k\",\"priority\":-1001}",
	    "priority");
	expect_field_error("{\"kind\":\"k\",\"priority\":99999999999}",
	    "priority");
	expect_field_error("{\"kind\":\"k\",\"max_attempts\":0}",
	    "max_attempts");
	expect_field_error("{\"kind\":\"k\",\"max_attempts\":1001}",
	    "max_attempts");
	expect_field_error("{\"kind\":\"k\",\"delay\":-1}", "delay");
	expect_field_error("{\"kind\":\"k\",\"timeout\":0}", "timeout");
	expect_field_error("{\"kind\":\"-k\"}", "kind");
	expect_field_error("{\"kind\":\"\"}", "kind");
	expect_field_error("{\"kind\":\"a b\"}", "kind");
	expect_field_error("{\"kind\":\"k\",\"queue\":\"q/1\"}", "queue");
	expect_field_error("{\"kind\":\"k\",\"unique_key\":\"\"}",
	    "unique_key");
}

static void
test_long_name(void)
{
	char	 body[128];

	snprintf(body, sizeof(body), "{\"kind\":\"%065d\"}", 0);
	expect_field_error(body, "kind");
}

static void
test_unknown_field(void)
{
	struct jobreq		 r;
	struct api_error	 err;

	CU_ASSERT_EQUAL(parse("{\"kind\":\"k\",\"payload\":{}}", &r, &err),
	    -1);
	CU_ASSERT_STRING_EQUAL(err.code, "unknown_field");
	CU_ASSERT_PTR_NOT_NULL(strstr(err.message, "payload"));
	jobreq_free(&r);
}

static void
test_missing_kind(void)
{

	expect_str_error("{}", "missing_field");
	expect_str_error("{\"args\":{}}", "missing_field");
}

static void
test_nul(void)
{
	static const char	 raw[] = "{\"kind\":\"a\0b\"}";

	expect_str_error("{\"kind\":\"k\",\"args\":{\"a\":\"x\\u0000\"}}",
	    "nul_in_string");
	expect_str_error("{\"kind\":\"k\\u0000\"}", "nul_in_string");
	/* A raw NUL byte is no JSON at all. */
	expect_error(raw, sizeof(raw) - 1, 400, "invalid_json");
}

static void
test_invalid_utf8(void)
{

	expect_str_error("{\"kind\":\"k\",\"args\":{\"a\":\"\xff\"}}",
	    "invalid_utf8");
	expect_str_error("{\"kind\":\"k\xc3\"}", "invalid_utf8");
	/* An overlong encoding of '/'. */
	expect_str_error("{\"kind\":\"k\",\"args\":{\"a\":\"\xc0\xaf\"}}",
	    "invalid_utf8");
}

/* args nested depth levels deep, args itself counting as one. */
static char *
nested(int depth)
{
	char	*b = malloc((size_t)depth * 6 + 64);
	size_t	 n;
	int	 i;

	n = (size_t)sprintf(b, "{\"kind\":\"k\",\"args\":");
	for (i = 1; i < depth; i++)
		n += (size_t)sprintf(b + n, "{\"a\":");
	n += (size_t)sprintf(b + n, "{}");
	for (i = 1; i < depth; i++)
		b[n++] = '}';
	strcpy(b + n, "}");
	return b;
}

static void
test_too_deep(void)
{
	struct jobreq		 r;
	struct api_error	 err;
	char			*b;

	b = nested(JOBQ_MAX_DEPTH);
	CU_ASSERT_EQUAL(parse(b, &r, &err), 0);
	jobreq_free(&r);
	free(b);
	b = nested(JOBQ_MAX_DEPTH + 1);
	expect_str_error(b, "too_deep");
	free(b);
	/* Deeper than Jansson itself will go. */
	b = nested(5000);
	expect_str_error(b, "too_deep");
	free(b);
}

static void
test_args_too_big(void)
{
	struct jobreq		 r;
	struct api_error	 err;
	char			*b;
	size_t			 n, fill;

	/* {"a":"xxx"} is 8 bytes plus the string. */
	fill = JOBQ_MAX_ARGS - 8;
	b = malloc(fill + 64);
	n = (size_t)sprintf(b, "{\"kind\":\"k\",\"args\":{\"a\":\"");
	memset(b + n, 'x', fill);
	strcpy(b + n + fill, "\"}}");
	CU_ASSERT_EQUAL(parse(b, &r, &err), 0);
	CU_ASSERT_EQUAL(strlen(r.args), (size_t)JOBQ_MAX_ARGS);
	jobreq_free(&r);
	free(b);
	/* One byte more. */
	b = malloc(fill + 65);
	n = (size_t)sprintf(b, "{\"kind\":\"k\",\"args\":{\"a\":\"");
	memset(b + n, 'x', fill + 1);
	strcpy(b + n + fill + 1, "\"}}");
	expect_field_error(b, "args");
	free(b);
}

static void
test_run_at(void)
{
	struct jobreq		 r;
	struct api_error	 err;

	CU_ASSERT(jobreq_valid_rfc3339("2030-01-02T03:04:05Z"));
	CU_ASSERT(jobreq_valid_rfc3339("2030-01-02t03:04:05.123456z"));
	CU_ASSERT(jobreq_valid_rfc3339("2030-01-02T03:04:05-07:30"));
	/* Month 13 has the right shape; PostgreSQL refuses it later. */
	CU_ASSERT(jobreq_valid_rfc3339("2030-13-02T03:04:05Z"));
	CU_ASSERT_FALSE(jobreq_valid_rfc3339("2030-01-02T03:04:05"));
	CU_ASSERT_FALSE(jobreq_valid_rfc3339("2030-01-02 03:04:05Z"));
	CU_ASSERT_FALSE(jobreq_valid_rfc3339("2030-01-02"));
	CU_ASSERT_FALSE(jobreq_valid_rfc3339("2030-1-02T03:04:05Z"));
	CU_ASSERT_FALSE(jobreq_valid_rfc3339("2030-01-02T03:04:05.Z"));
	CU_ASSERT_FALSE(jobreq_valid_rfc3339("2030-01-02T03:04:05+0200"));
	CU_ASSERT_FALSE(jobreq_valid_rfc3339("2030-01-02T03:04:05Z "));
	CU_ASSERT_FALSE(jobreq_valid_rfc3339("tomorrow"));
	CU_ASSERT_FALSE(jobreq_valid_rfc3339(""));
	expect_field_error("{\"kind\":\"k\",\"run_at\":\"now\"}", "run_at");
	expect_field_error("{\"kind\":\"k\","
	    "\"run_at\":\"2030-01-02T03:04:05\"}", "run_at");
	CU_ASSERT_EQUAL(parse("{\"kind\":\"k\","
	    "\"run_at\":\"2030-01-02T03:04:05Z\"}", &r, &err), 0);
	jobreq_free(&r);
}

static void
test_delay_with_run_at(void)
{

	expect_field_error("{\"kind\":\"k\",\"delay\":5,"
	    "\"run_at\":\"2030-01-02T03:04:05Z\"}", "delay");
}

static void
test_args_not_object(void)
{

	expect_field_error("{\"kind\":\"k\",\"args\":true}", "args");
	expect_field_error("{\"kind\":\"k\",\"args\":[1]}", "args");
	expect_field_error("{\"kind\":\"k\",\"args\":42}", "args");
}

static void
test_names(void)
{

	CU_ASSERT(jobreq_valid_name("a"));
	CU_ASSERT(jobreq_valid_name("Mail.send_v2:eu-1"));
	CU_ASSERT_FALSE(jobreq_valid_name("_a"));
	CU_ASSERT_FALSE(jobreq_valid_name(""));
	CU_ASSERT_FALSE(jobreq_valid_name("a\xc3\xa9"));
}

/* Parse a batch body; returns jobreq_parse_batch's result. */
static int
batch(const char *body, struct jobbatch *b, struct api_error *err)
{

	memset(err, 0, sizeof(*err));
	return jobreq_parse_batch(body, strlen(body), b, err);
}

static void
test_batch_ok(void)
{
	struct jobbatch		 b;
	struct api_error	 err;

	CU_ASSERT_EQUAL_FATAL(batch("{\"jobs\": [{\"kind\": \"a\"}, "
	    "{\"kind\": \"b\", \"queue\": \"q\", \"delay\": 5}]}", &b,
	    &err), 0);
	CU_ASSERT_EQUAL_FATAL(b.n, 2);
	CU_ASSERT_STRING_EQUAL(b.jobs[0].kind, "a");
	CU_ASSERT_STRING_EQUAL(b.jobs[1].queue, "q");
	CU_ASSERT_EQUAL(b.jobs[1].delay, 5);
	jobreq_batch_free(&b);
	CU_ASSERT_PTR_NULL(b.jobs);
}

/* Assert that a batch body is refused with code and message part. */
static void
expect_batch_error(const char *body, const char *code, const char *part)
{
	struct jobbatch		 b;
	struct api_error	 err;

	CU_ASSERT_EQUAL(batch(body, &b, &err), -1);
	CU_ASSERT_EQUAL(err.status, 400);
	CU_ASSERT_STRING_EQUAL(err.code, code);
	CU_ASSERT_PTR_NOT_NULL(strstr(err.message, part));
	jobreq_batch_free(&b);
}

static void
test_batch_errors(void)
{
	char	*big;
	size_t	 i, n;

	expect_batch_error("{\"jobs\": [{\"kind\": \"a\"}, {\"kind\": 5}]}",
	    "invalid_field", "jobs[1]: ");
	expect_batch_error("{\"jobs\": [{\"kind\": \"a\"}, 7]}",
	    "invalid_field", "jobs[1]");
	expect_batch_error("{\"jobs\": [{\"kind\": \"a\", "
	    "\"unique_key\": \"k\"}]}", "invalid_field", "unique_key");
	expect_batch_error("{\"jobs\": []}", "invalid_field", "1 to");
	expect_batch_error("{\"jobs\": {}}", "invalid_field", "array");
	expect_batch_error("{}", "missing_field", "jobs");
	expect_batch_error("{\"jobs\": [], \"x\": 1}", "unknown_field", "x");
	expect_batch_error("{\"jobs\": [{\"args\": {}}]}", "missing_field",
	    "jobs[0]: ");
	expect_batch_error("[]", "invalid_field", "object");
	/* One more than the limit. */
	n = (JOBQ_MAX_BATCH + 1) * 14 + 32;
	big = malloc(n);
	CU_ASSERT_PTR_NOT_NULL_FATAL(big);
	strcpy(big, "{\"jobs\": [");
	for (i = 0; i <= JOBQ_MAX_BATCH; i++)
		strcat(big, i ? ",{\"kind\":\"a\"}" : "{\"kind\":\"a\"}");
	strcat(big, "]}");
	expect_batch_error(big, "invalid_field", "1000");
	free(big);
}

static void
test_filter(void)
{
	struct jobfilter	 f;
	struct api_error	 err;

	CU_ASSERT_EQUAL_FATAL(jobreq_parse_filter("", &f, &err), 0);
	CU_ASSERT_EQUAL(f.limit, JOBQ_LIST_DEFAULT);
	CU_ASSERT_EQUAL(f.after, 0);
	CU_ASSERT_STRING_EQUAL(f.queue, "");
	CU_ASSERT_EQUAL_FATAL(jobreq_parse_filter("queue=a%3Ab&state=failed"
	    "&kind=k.x&limit=1000&after=9223372036854775807&", &f, &err), 0);
	CU_ASSERT_STRING_EQUAL(f.queue, "a:b");
	CU_ASSERT_STRING_EQUAL(f.state, "failed");
	CU_ASSERT_STRING_EQUAL(f.kind, "k.x");
	CU_ASSERT_EQUAL(f.limit, 1000);
	CU_ASSERT_EQUAL(f.after, 9223372036854775807LL);
}

static void
test_filter_errors(void)
{
	static const char *const bad[] = { "state=bogus", "limit=0",
	    "limit=1001", "limit=x", "after=-1", "after=9223372036854775808",
	    "queue=a%20b", "queue=", "kind=%00", "limit=1&limit=2",
	    "colour=red", "queue=%zz", "queue=%4", "state" };
	struct jobfilter	 f;
	struct api_error	 err;
	size_t			 i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		memset(&err, 0, sizeof(err));
		CU_ASSERT_EQUAL(jobreq_parse_filter(bad[i], &f, &err), -1);
		CU_ASSERT_EQUAL(err.status, 400);
	}
}

static void
test_routes(void)
{
	char		 allow[64];
	long long	 id = 0;

	CU_ASSERT_EQUAL(route_match("POST", "/jobs", &id, allow,
	    sizeof(allow)), ROUTE_ENQUEUE);
	CU_ASSERT_EQUAL(route_match("GET", "/jobs", &id, allow,
	    sizeof(allow)), ROUTE_LIST);
	CU_ASSERT_EQUAL(route_match("POST", "/jobs/batch", &id, allow,
	    sizeof(allow)), ROUTE_BATCH);
	CU_ASSERT_EQUAL(route_match("GET", "/jobs/42", &id, allow,
	    sizeof(allow)), ROUTE_GET_JOB);
	CU_ASSERT_EQUAL(id, 42);
	CU_ASSERT_EQUAL(route_match("POST", "/jobs/7/cancel", &id, allow,
	    sizeof(allow)), ROUTE_CANCEL);
	CU_ASSERT_EQUAL(id, 7);
	CU_ASSERT_EQUAL(route_match("POST", "/jobs/8/retry", &id, allow,
	    sizeof(allow)), ROUTE_RETRY);
	CU_ASSERT_EQUAL(route_match("GET", "/metrics", &id, NULL, 0),
	    ROUTE_METRICS);
	CU_ASSERT_EQUAL(route_match("DELETE", "/jobs", &id, allow,
	    sizeof(allow)), ROUTE_BAD_METHOD);
	CU_ASSERT_STRING_EQUAL(allow, "POST, GET, HEAD");
	CU_ASSERT_EQUAL(route_match("HEAD", "/jobs/5", &id, allow,
	    sizeof(allow)), ROUTE_GET_JOB);
	CU_ASSERT_EQUAL(id, 5);
	CU_ASSERT_EQUAL(route_match("HEAD", "/jobs/batch", &id, allow,
	    sizeof(allow)), ROUTE_BAD_METHOD);
	CU_ASSERT_EQUAL(route_match("GET", "/jobs/batch", &id, allow,
	    sizeof(allow)), ROUTE_BAD_METHOD);
	CU_ASSERT_STRING_EQUAL(allow, "POST");
	CU_ASSERT_EQUAL(route_match("GET", "/jobs/1/cancel", &id, allow,
	    sizeof(allow)), ROUTE_BAD_METHOD);
	CU_ASSERT_EQUAL(route_match("GET", "/jobs/", &id, NULL, 0),
	    ROUTE_NOT_FOUND);
	CU_ASSERT_EQUAL(route_match("GET", "/jobs/0", &id, NULL, 0),
	    ROUTE_NOT_FOUND);
	CU_ASSERT_EQUAL(route_match("GET", "/jobs/01", &id, NULL, 0),
	    ROUTE_NOT_FOUND);
	CU_ASSERT_EQUAL(route_match("GET", "/jobs/-1", &id, NULL, 0),
	    ROUTE_NOT_FOUND);
	CU_ASSERT_EQUAL(route_match("GET", "/jobs/9223372036854775808", &id,
	    NULL, 0), ROUTE_NOT_FOUND);
	CU_ASSERT_EQUAL(route_match("GET", "/jobs/1/", &id, NULL, 0),
	    ROUTE_NOT_FOUND);
	CU_ASSERT_EQUAL(route_match("POST", "/jobs/1/cancel/x", &id, NULL,
	    0), ROUTE_NOT_FOUND);
	CU_ASSERT_EQUAL(route_match("GET", "/health/", &id, NULL, 0),
	    ROUTE_NOT_FOUND);
	CU_ASSERT_TRUE(route_is("/health", ROUTE_HEALTH));
	CU_ASSERT_FALSE(route_is("/healthz", ROUTE_HEALTH));
}

int
register_jobreq_suite(void)
{
	static const struct {
		const char	*name;
		CU_TestFunc	 fn;
	} tests[] = {
		{ "minimal body", test_minimal },
		{ "full body", test_full },
		{ "delay and nulls", test_delay_and_nulls },
		{ "limits accepted", test_limits_accepted },
		{ "malformed JSON", test_malformed },
		{ "wrong types", test_wrong_types },
		{ "out of range", test_out_of_range },
		{ "long name", test_long_name },
		{ "unknown field", test_unknown_field },
		{ "missing kind", test_missing_kind },
		{ "NUL", test_nul },
		{ "invalid UTF-8", test_invalid_utf8 },
		{ "too deep", test_too_deep },
		{ "args too big", test_args_too_big },
		{ "run_at", test_run_at },
		{ "delay with run_at", test_delay_with_run_at },
		{ "args not an object", test_args_not_object },
		{ "names", test_names },
		{ "batch", test_batch_ok },
		{ "batch errors", test_batch_errors },
		{ "list filter", test_filter },
		{ "list filter errors", test_filter_errors },
		{ "routes", test_routes },
	};
	CU_pSuite	 s;
	size_t		 i;

	if ((s = CU_add_suite("jobreq", NULL, NULL)) == NULL)
		return -1;
	for (i = 0; i < sizeof(tests) / sizeof(tests[0]); i++)
		if (CU_add_test(s, tests[i].name, tests[i].fn) == NULL)
			return -1;
	return 0;
}
