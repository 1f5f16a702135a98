/* SPDX-License-Identifier: ISC */
/* test_log.c - log_escape keeps request data from forging log lines. */
#include "config.h"

#include <string.h>

#include <CUnit/CUnit.h>

#include "log.h"
#include "suites.h"

static void
test_escape_plain(void)
{
	char	 buf[64];

	log_escape(buf, sizeof(buf), "/jobs/12", 8);
	CU_ASSERT_STRING_EQUAL(buf, "/jobs/12");
}

static void
test_escape_control(void)
{
	char	 buf[64];

	/* A newline would start a forged line; NUL and high bytes too. */
	log_escape(buf, sizeof(buf), "a\nb\0c\xff\"\\", 8);
	CU_ASSERT_STRING_EQUAL(buf, "a\\x0ab\\x00c\\xff\\\"\\\\");
	CU_ASSERT_PTR_NULL(strchr(buf, '\n'));
}

static void
test_escape_truncates(void)
{
	char	 buf[16], big[100];

	memset(big, 'x', sizeof(big));
	log_escape(buf, sizeof(buf), big, sizeof(big));
	CU_ASSERT(strlen(buf) < sizeof(buf));
	CU_ASSERT(strstr(buf, "...") != NULL);
	log_escape(buf, 4, big, sizeof(big));
	CU_ASSERT_STRING_EQUAL(buf, "");
}

int
register_log_suite(void)
{
	CU_pSuite	 s;

	if ((s = CU_add_suite("log", NULL, NULL)) == NULL)
		return -1;
	if (CU_add_test(s, "escape plain", test_escape_plain) == NULL ||
	    CU_add_test(s, "escape control", test_escape_control) == NULL ||
	    CU_add_test(s, "escape truncates", test_escape_truncates) == NULL)
		return -1;
	return 0;
}
