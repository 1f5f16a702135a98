/* SPDX-License-Identifier: ISC */
/* test_config.c - the runner's INI file: fields, and errors by line. */
#include "conf.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <CUnit/CUnit.h>

#include "conf.h"
#include "suites.h"

static char	 tmpdir[64];
static char	 path[128];
static char	 err[512];

static int
setup(void)
{

	snprintf(tmpdir, sizeof(tmpdir), "/tmp/jobq-cfgtest.XXXXXX");
	if (mkdtemp(tmpdir) == NULL)
		return -1;
	snprintf(path, sizeof(path), "%s/t.ini", tmpdir);
	return 0;
}

static int
teardown(void)
{

	unlink(path);
	rmdir(tmpdir);
	return 0;
}

/* Write text to the test file and parse it. */
static struct config *
load(const char *text)
{
	FILE	*fp;

	if ((fp = fopen(path, "w")) == NULL)
		return NULL;
	fputs(text, fp);
	fclose(fp);
	err[0] = '\0';
	return config_load(path, err, sizeof(err));
}

/* Parsing text fails, and the message is "path:line: ..." with want. */
static void
expect_error(const char *text, int line, const char *want)
{
	struct config	*cfg;
	char		 prefix[160];

	cfg = load(text);
	CU_ASSERT_PTR_NULL(cfg);
	config_free(cfg);
	snprintf(prefix, sizeof(prefix), "%s:%d: ", path, line);
	CU_ASSERT_EQUAL(strncmp(err, prefix, strlen(prefix)), 0);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, want));
	if (strncmp(err, prefix, strlen(prefix)) != 0 ||
	    strstr(err, want) == NULL)
		fprintf(stderr, "\n  got \"%s\", want \"%s...%s\"\n", err,
		    prefix, want);
}

static void
test_good_file(void)
{
	struct config		*cfg;
	const struct kind_cfg	*k;

	cfg = load("; sample\n"
	    "[runner]\n"
	    "workers = 3\n"
	    "poll_interval = 0.25\n"
	    "queues = default, mail\t,low\n"
	    "shutdown_timeout = 12\n"
	    "heartbeat_interval = 2\n"
	    "rescue_after = 30\n"
	    "kill_grace = 3\n"
	    "\n"
	    "# a kind\n"
	    "[kind.resize]\n"
	    "exec = /bin/sh  -c\t'exit 0'\n"
	    "timeout = 60\n"
	    "[kind.cat]\n"
	    "exec = /bin/cat\n");
	CU_ASSERT_PTR_NOT_NULL_FATAL(cfg);
	CU_ASSERT_EQUAL(cfg->workers, 3);
	CU_ASSERT_DOUBLE_EQUAL(cfg->poll_interval, 0.25, 1e-9);
	CU_ASSERT_STRING_EQUAL(cfg->queues, "default,mail,low");
	CU_ASSERT_EQUAL(cfg->shutdown_timeout, 12);
	CU_ASSERT_EQUAL(cfg->heartbeat_interval, 2);
	CU_ASSERT_EQUAL(cfg->rescue_after, 30);
	CU_ASSERT_EQUAL(cfg->kill_grace, 3);
	k = config_kind(cfg, "resize");
	CU_ASSERT_PTR_NOT_NULL_FATAL(k);
	CU_ASSERT_STRING_EQUAL(k->argv[0], "/bin/sh");
	CU_ASSERT_STRING_EQUAL(k->argv[1], "-c");
	CU_ASSERT_STRING_EQUAL(k->argv[2], "'exit");
	CU_ASSERT_STRING_EQUAL(k->argv[3], "0'");
	CU_ASSERT_PTR_NULL(k->argv[4]);
	CU_ASSERT_EQUAL(k->timeout, 60);
	k = config_kind(cfg, "cat");
	CU_ASSERT_PTR_NOT_NULL_FATAL(k);
	CU_ASSERT_STRING_EQUAL(k->argv[0], "/bin/cat");
	CU_ASSERT_PTR_NULL(k->argv[1]);
	CU_ASSERT_EQUAL(k->timeout, 0);
	CU_ASSERT_PTR_NULL(config_kind(cfg, "nope"));
	config_free(cfg);
}

static void
test_unset_fields(void)
{
	struct config	*cfg;

	cfg = load("");
	CU_ASSERT_PTR_NOT_NULL_FATAL(cfg);
	CU_ASSERT_EQUAL(cfg->workers, 0);
	CU_ASSERT_DOUBLE_EQUAL(cfg->poll_interval, 0.0, 1e-9);
	CU_ASSERT_PTR_NULL(cfg->queues);
	CU_ASSERT_EQUAL(cfg->shutdown_timeout, -1);
	CU_ASSERT_EQUAL(cfg->heartbeat_interval, 0);
	CU_ASSERT_EQUAL(cfg->rescue_after, 0);
	CU_ASSERT_EQUAL(cfg->kill_grace, 0);
	CU_ASSERT_PTR_NULL(cfg->kinds);
	config_free(cfg);
}

static void
test_bad_line(void)
{

	expect_error("[runner]\nworkers = 2\nthis line has no equals\n", 3,
	    "syntax error");
	expect_error("[runner\nworkers = 2\n", 1, "syntax error");
}

static void
test_unknown_key(void)
{

	expect_error("[runner]\n\nworkerz = 2\n", 3,
	    "unknown key \"workerz\" in [runner]");
	expect_error("[kind.x]\nexec = /bin/true\nretries = 3\n", 3,
	    "unknown key \"retries\"");
	expect_error("[other]\na = b\n", 2, "unknown section [other]");
	expect_error("a = b\n", 1, "outside any section");
}

static void
test_missing_exec(void)
{

	expect_error("[runner]\nworkers = 1\n[kind.lonely]\ntimeout = 5\n",
	    4, "kind \"lonely\" has no exec");
	expect_error("[kind.rel]\nexec = bin/true\n", 2, "absolute path");
	expect_error("[kind.gone]\nexec = /nonexistent/prog\n", 2,
	    "cannot execute");
	expect_error("[kind.bad name]\nexec = /bin/true\n", 2,
	    "bad kind name");
}

static void
test_bad_numbers(void)
{

	expect_error("[runner]\nworkers = 0\n", 2, "workers must be");
	expect_error("[runner]\nworkers = 3x\n", 2, "workers must be");
	expect_error("[runner]\nworkers = 99999999999999999999\n", 2,
	    "workers must be");
	expect_error("[runner]\npoll_interval = -1\n", 2, "poll interval");
	expect_error("[runner]\npoll_interval = nan\n", 2, "poll interval");
	expect_error("[runner]\npoll_interval = 1s\n", 2, "poll interval");
	expect_error("[runner]\nshutdown_timeout = -3\n", 2,
	    "shutdown_timeout must be");
	expect_error("[kind.k]\nexec = /bin/true\ntimeout = 0\n", 3,
	    "timeout must be");
	expect_error("[runner]\nqueues = a,,b\n", 2, "bad queue name");
	expect_error("[runner]\nqueues = a, ,b\n", 2, "bad queue name");
	expect_error("[runner]\nqueues = a b\n", 2, "bad queue name");
	expect_error("[runner]\npoll_interval = 1e3\n", 2, "poll interval");
	expect_error("[runner]\npoll_interval = 0x1\n", 2, "poll interval");
	expect_error("[runner]\nworkers = +3\n", 2, "workers must be");
	expect_error("[runner]\nworkers = 0x3\n", 2, "workers must be");
	expect_error("[runner]\nworkers = 1\nworkers = 2\n", 3,
	    "given twice");
	expect_error("[runner]\nheartbeat_interval = 0\n", 2,
	    "heartbeat_interval must be");
	expect_error("[runner]\nrescue_after = 1.5\n", 2,
	    "rescue_after must be");
	expect_error("[runner]\nrescue_after = 99999999\n", 2,
	    "rescue_after must be");
	expect_error("[runner]\nkill_grace = -1\n", 2, "kill_grace must be");
	expect_error("[runner]\nkill_grace = 1\nkill_grace = 2\n", 3,
	    "given twice");
}

static void
test_rescue_check(void)
{
	char	 msg[200];

	CU_ASSERT_EQUAL(config_check_rescue(5, 60, msg, sizeof(msg)), 0);
	CU_ASSERT_EQUAL(config_check_rescue(1, 3, msg, sizeof(msg)), 0);
	CU_ASSERT_EQUAL(config_check_rescue(1, 2, msg, sizeof(msg)), -1);
	CU_ASSERT_PTR_NOT_NULL(strstr(msg, "rescue_after"));
	CU_ASSERT_EQUAL(config_check_rescue(30, 60, msg, sizeof(msg)), -1);
}

static void
test_long_line(void)
{
	char	 text[1024];

	snprintf(text, sizeof(text), "[runner]\n; %0900d\nworkers = 1\n", 0);
	expect_error(text, 2, "line too long");
}

static void
test_missing_file(void)
{
	char	 want[160];

	CU_ASSERT_PTR_NULL(config_load("/nonexistent/jobq.ini", err,
	    sizeof(err)));
	snprintf(want, sizeof(want), "/nonexistent/jobq.ini: ");
	CU_ASSERT_EQUAL(strncmp(err, want, strlen(want)), 0);
}

/* Parsing path fails with "path: " and want in the message. */
static void
expect_file_error(const char *file, const char *want)
{
	struct config	*cfg;
	char		 prefix[160];

	err[0] = '\0';
	cfg = config_load(file, err, sizeof(err));
	CU_ASSERT_PTR_NULL(cfg);
	config_free(cfg);
	snprintf(prefix, sizeof(prefix), "%s: ", file);
	CU_ASSERT_EQUAL(strncmp(err, prefix, strlen(prefix)), 0);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, want));
	if (strncmp(err, prefix, strlen(prefix)) != 0 ||
	    strstr(err, want) == NULL)
		fprintf(stderr, "\n  got \"%s\", want \"%s...%s\"\n", err,
		    prefix, want);
}

static void
test_not_a_file(void)
{

	/* A directory opens and reads as empty: it must not pass. */
	expect_file_error(tmpdir, "is a directory");
	expect_file_error("/dev/null", "not a regular file");
}

static void
test_nul_byte(void)
{
	static const char	 text[] = "[runner]\nworkers = 1\0junk\n";
	FILE			*fp;

	if ((fp = fopen(path, "w")) == NULL) {
		CU_FAIL("cannot write the test file");
		return;
	}
	fwrite(text, 1, sizeof(text) - 1, fp);
	fclose(fp);
	expect_file_error(path, "NUL byte on line 2");
}

static void
test_value_checkers(void)
{
	char	 msg[200];
	double	 d;
	int	 n;

	CU_ASSERT_EQUAL(config_parse_workers("8", &n, msg, sizeof(msg)), 0);
	CU_ASSERT_EQUAL(n, 8);
	CU_ASSERT_EQUAL(config_parse_workers("100000", &n, msg, sizeof(msg)),
	    -1);
	CU_ASSERT_EQUAL(config_parse_seconds("1.5", &d, msg, sizeof(msg)), 0);
	CU_ASSERT_DOUBLE_EQUAL(d, 1.5, 1e-9);
	CU_ASSERT_EQUAL(config_parse_seconds("", &d, msg, sizeof(msg)), -1);
	CU_ASSERT_EQUAL(config_parse_seconds("10", &d, msg, sizeof(msg)), 0);
	CU_ASSERT_DOUBLE_EQUAL(d, 10.0, 1e-9);
	CU_ASSERT_EQUAL(config_parse_seconds("0.001", &d, msg, sizeof(msg)),
	    0);
	CU_ASSERT_EQUAL(config_parse_seconds("0.0001", &d, msg, sizeof(msg)),
	    -1);
	CU_ASSERT_EQUAL(config_parse_seconds("3600.5", &d, msg, sizeof(msg)),
	    -1);
}

/* Each of these is not a plain decimal number, though strtod takes it. */
static void
test_number_format(void)
{
	static const char	*bad[] = { "0x1", "1e3", "1E0", " 1", "1 ",
	    "+1", "-0", ".5", "5.", "inf", "nan", "1..2", "1,5", "0x1p3",
	    NULL };
	char			 msg[200];
	double			 d;
	int			 i, n;

	for (i = 0; bad[i] != NULL; i++) {
		if (config_parse_seconds(bad[i], &d, msg, sizeof(msg)) != -1)
			fprintf(stderr, "\n  seconds \"%s\" taken\n", bad[i]);
		CU_ASSERT_EQUAL(config_parse_seconds(bad[i], &d, msg,
		    sizeof(msg)), -1);
		CU_ASSERT_PTR_NOT_NULL(strstr(msg, "decimal number"));
		CU_ASSERT_EQUAL(config_parse_workers(bad[i], &n, msg,
		    sizeof(msg)), -1);
	}
	CU_ASSERT_EQUAL(config_parse_workers("0012", &n, msg, sizeof(msg)), 0);
	CU_ASSERT_EQUAL(n, 12);
}

/* Blanks around items go; empty items and inner blanks stay errors. */
static void
test_queue_list(void)
{
	static const char	*bad[] = { "", " ", "a,", ",a", "a, ,b",
	    "a b", "a,,b", "a,\nb", "-a", NULL };
	char			 msg[200], *q;
	int			 i;

	CU_ASSERT_EQUAL(config_parse_queues("a.b,c-d", NULL, msg,
	    sizeof(msg)), 0);
	q = NULL;
	CU_ASSERT_EQUAL(config_parse_queues(" default ,\tmail, x:y ", &q,
	    msg, sizeof(msg)), 0);
	CU_ASSERT_PTR_NOT_NULL_FATAL(q);
	CU_ASSERT_STRING_EQUAL(q, "default,mail,x:y");
	free(q);
	for (i = 0; bad[i] != NULL; i++) {
		q = NULL;
		CU_ASSERT_EQUAL(config_parse_queues(bad[i], &q, msg,
		    sizeof(msg)), -1);
		CU_ASSERT_PTR_NULL(q);
		CU_ASSERT_PTR_NOT_NULL(strstr(msg, "bad queue name"));
	}
}

static void
test_runner_id(void)
{
	static const char	*bad[] = { "", "a b", "a\tb", "a\nb", "a\rb",
	    "a\033[1m", "caf\xc3\xa9", "a\x7f", " a", NULL };
	char			 msg[200], id[CONFIG_MAX_ID + 2];
	int			 i;

	CU_ASSERT_EQUAL(config_parse_id("web-1:worker/2@x", msg, sizeof(msg)),
	    0);
	for (i = 0; bad[i] != NULL; i++)
		CU_ASSERT_EQUAL(config_parse_id(bad[i], msg, sizeof(msg)), -1);
	CU_ASSERT_PTR_NOT_NULL(strstr(msg, "printable ASCII"));
	memset(id, 'r', CONFIG_MAX_ID);
	id[CONFIG_MAX_ID] = '\0';
	CU_ASSERT_EQUAL(config_parse_id(id, msg, sizeof(msg)), 0);
	id[CONFIG_MAX_ID] = 'r';
	id[CONFIG_MAX_ID + 1] = '\0';
	CU_ASSERT_EQUAL(config_parse_id(id, msg, sizeof(msg)), -1);
}

int
register_config_suite(void)
{
	CU_pSuite	 s;

	if ((s = CU_add_suite("config", setup, teardown)) == NULL)
		return -1;
	if (CU_add_test(s, "good file", test_good_file) == NULL ||
	    CU_add_test(s, "unset fields", test_unset_fields) == NULL ||
	    CU_add_test(s, "bad line", test_bad_line) == NULL ||
	    CU_add_test(s, "unknown key", test_unknown_key) == NULL ||
	    CU_add_test(s, "missing exec", test_missing_exec) == NULL ||
	    CU_add_test(s, "bad numbers", test_bad_numbers) == NULL ||
	    CU_add_test(s, "long line", test_long_line) == NULL ||
	    CU_add_test(s, "missing file", test_missing_file) == NULL ||
	    CU_add_test(s, "not a file", test_not_a_file) == NULL ||
	    CU_add_test(s, "NUL byte", test_nul_byte) == NULL ||
	    CU_add_test(s, "number format", test_number_format) == NULL ||
	    CU_add_test(s, "queue list", test_queue_list) == NULL ||
	    CU_add_test(s, "runner id", test_runner_id) == NULL ||
	    CU_add_test(s, "value checkers", test_value_checkers) == NULL ||
	    CU_add_test(s, "rescue check", test_rescue_check) == NULL)
		return -1;
	return 0;
}
