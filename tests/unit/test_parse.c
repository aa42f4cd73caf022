// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* The parsers return errors (never exit) and the logger routes by level. */
#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>
#include "log.h"
#include "parse.h"

static void u64_whole_string_in_range(void **state)
{
	char why[128];
	__u64 v = 7;

	(void)state;
	assert_int_equal(ntf_parse_u64("42", 1, 100, &v, why, sizeof(why)), 0);
	assert_int_equal(v, 42);
	assert_int_equal(ntf_parse_u64("0x10", 0, 100, &v, why, sizeof(why)), 0);
	assert_int_equal(v, 16);
	v = 7;
	assert_int_equal(ntf_parse_u64("42x", 1, 100, &v, why, sizeof(why)), -EINVAL);
	assert_string_equal(why, "'42x' is not a number");
	assert_int_equal(v, 7); /* untouched on error */
	assert_int_equal(ntf_parse_u64("-1", 0, 100, &v, why, sizeof(why)), -EINVAL);
	assert_int_equal(ntf_parse_u64("", 0, 100, &v, why, sizeof(why)), -EINVAL);
	assert_int_equal(ntf_parse_u64("101", 1, 100, &v, why, sizeof(why)), -ERANGE);
	assert_string_equal(why, "101 is out of range [1, 100]");
	assert_int_equal(ntf_parse_u64("99999999999999999999", 0, ~0ULL, &v, why, sizeof(why)),
			 -EINVAL);
}

static void durations_in_ms(void **state)
{
	char why[128];
	__u64 ms = 0;

	(void)state;
	assert_int_equal(ntf_parse_duration_ms("2", &ms, why, sizeof(why)), 0);
	assert_int_equal(ms, 2000);
	assert_int_equal(ntf_parse_duration_ms("0.5", &ms, why, sizeof(why)), 0);
	assert_int_equal(ms, 500);
	assert_int_equal(ntf_parse_duration_ms("1.5s", &ms, why, sizeof(why)), 0);
	assert_int_equal(ms, 1500);
	assert_int_equal(ntf_parse_duration_ms("250ms", &ms, why, sizeof(why)), 0);
	assert_int_equal(ms, 250);
	assert_int_equal(ntf_parse_duration_ms("3m", &ms, why, sizeof(why)), -EINVAL);
	assert_string_equal(why, "'3m' has an unknown unit (use s or ms)");
	assert_int_equal(ntf_parse_duration_ms("0", &ms, why, sizeof(why)), -EINVAL);
	assert_int_equal(ntf_parse_duration_ms("-1", &ms, why, sizeof(why)), -EINVAL);
	assert_int_equal(ntf_parse_duration_ms("soon", &ms, why, sizeof(why)), -EINVAL);
}

static void speeds(void **state)
{
	double v = -1;
	char why[128];

	(void)state;
	assert_int_equal(ntf_parse_speed("4", &v, why, sizeof(why)), 0);
	assert_true(v == 4);
	assert_int_equal(ntf_parse_speed("0.25", &v, why, sizeof(why)), 0);
	assert_true(v == 0.25);
	assert_int_equal(ntf_parse_speed("max", &v, why, sizeof(why)), 0);
	assert_true(v == 0);
	assert_int_equal(ntf_parse_speed("0", &v, why, sizeof(why)), 0);
	assert_true(v == 0);
	assert_int_equal(ntf_parse_speed("-1", &v, why, sizeof(why)), -EINVAL);
	assert_string_equal(why, "'-1' is not a speed (a factor such as 0.5 or 4, or 0 or max)");
	assert_int_equal(ntf_parse_speed("fast", &v, why, sizeof(why)), -EINVAL);
	assert_int_equal(ntf_parse_speed("4x", &v, why, sizeof(why)), -EINVAL);
	assert_int_equal(ntf_parse_speed("nan", &v, why, sizeof(why)), -EINVAL);
	assert_int_equal(ntf_parse_speed("inf", &v, why, sizeof(why)), -EINVAL);
	assert_int_equal(ntf_parse_speed("", &v, why, sizeof(why)), -EINVAL);
}

static char seen[4][256];
static int nseen;

static void capture(enum ntf_log_level level, const char *msg)
{
	snprintf(seen[nseen++ % 4], sizeof(seen[0]), "%d:%s", (int)level, msg);
}

static void log_levels_and_writer(void **state)
{
	(void)state;
	ntf_log_set_writer(capture);
	ntf_log_set_level(NTF_LOG_WARN);
	ntf_err("bad %d", 1);
	ntf_warn("meh");
	ntf_info("dropped at WARN");
	ntf_debug("dropped too");
	assert_int_equal(nseen, 2);
	assert_string_equal(seen[0], "0:bad 1");
	assert_string_equal(seen[1], "1:meh");
	ntf_log_set_level(NTF_LOG_DEBUG);
	ntf_debug("now %s", "kept");
	assert_int_equal(nseen, 3);
	assert_string_equal(seen[2], "3:now kept");
	ntf_log_set_writer(NULL);
	ntf_log_set_level(NTF_LOG_INFO);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(u64_whole_string_in_range),
		cmocka_unit_test(durations_in_ms),
		cmocka_unit_test(speeds),
		cmocka_unit_test(log_levels_and_writer),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
