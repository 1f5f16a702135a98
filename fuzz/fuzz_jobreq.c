/* SPDX-License-Identifier: ISC */
/* fuzz_jobreq.c - libFuzzer driver for request parsing and routing. */
#include "config.h"

#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "jobreq.h"
#include "match.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

/*
 * The first byte picks what the rest is fed to, so one corpus covers
 * every parser: 0-3 an enqueue body, 4-7 a batch body, 8-11 a query
 * string, others a "METHOD PATH" line for the route matcher.  Every
 * success and failure must leave a consistent result behind.
 */
static void
check_error(const struct api_error *err)
{

	if (err->code == NULL || err->status < 400 || err->status > 599 ||
	    memchr(err->message, '\0', sizeof(err->message)) == NULL)
		abort();
}

static void
fuzz_body(const char *p, size_t n)
{
	struct api_error	 err;
	struct jobreq		 r;

	memset(&err, 0, sizeof(err));
	if (jobreq_parse(p, n, &r, &err) == -1)
		check_error(&err);
	else if (r.kind == NULL || !jobreq_valid_name(r.kind) ||
	    (r.queue != NULL && !jobreq_valid_name(r.queue)) ||
	    (r.run_at != NULL && !jobreq_valid_rfc3339(r.run_at)))
		abort();
	jobreq_free(&r);
}

static void
fuzz_batch(const char *p, size_t n)
{
	struct api_error	 err;
	struct jobbatch		 b;
	size_t			 i;

	memset(&err, 0, sizeof(err));
	if (jobreq_parse_batch(p, n, &b, &err) == -1)
		check_error(&err);
	else {
		if (b.n == 0 || b.n > JOBQ_MAX_BATCH)
			abort();
		for (i = 0; i < b.n; i++)
			if (b.jobs[i].kind == NULL ||
			    b.jobs[i].unique_key != NULL)
				abort();
	}
	jobreq_batch_free(&b);
}

static void
fuzz_query(const char *s)
{
	struct api_error	 err;
	struct jobfilter	 f;

	memset(&err, 0, sizeof(err));
	if (jobreq_parse_filter(s, &f, &err) == -1)
		check_error(&err);
	else if (f.limit < 1 || f.limit > JOBQ_LIST_MAX || f.after < 0 ||
	    (f.state[0] != '\0' && !jobreq_valid_state(f.state)))
		abort();
}

static void
fuzz_route(char *s)
{
	char		 allow[128];
	char		*sp;
	long long	 id = -1;
	int		 r;

	if ((sp = strchr(s, ' ')) == NULL)
		return;
	*sp = '\0';
	r = route_match(s, sp + 1, &id, allow, sizeof(allow));
	if (r >= ROUTE__MAX || r < ROUTE_BAD_METHOD)
		abort();
	if ((r == ROUTE_GET_JOB || r == ROUTE_CANCEL || r == ROUTE_RETRY) &&
	    id <= 0)
		abort();
	if (r == ROUTE_BAD_METHOD && allow[0] == '\0')
		abort();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char	*s;

	if (size < 1)
		return 0;
	/* A copy of exactly the input, so ASan sees any overread. */
	if ((s = malloc(size)) == NULL)
		return 0;
	memcpy(s, data + 1, size - 1);
	s[size - 1] = '\0';
	switch (data[0] % 16) {
	case 0: case 1: case 2: case 3:
		fuzz_body(s, size - 1);
		break;
	case 4: case 5: case 6: case 7:
		fuzz_batch(s, size - 1);
		break;
	case 8: case 9: case 10: case 11:
		fuzz_query(s);
		break;
	default:
		fuzz_route(s);
		break;
	}
	free(s);
	return 0;
}
