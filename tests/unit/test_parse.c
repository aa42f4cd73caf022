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

/* Sizes: bytes or K/M/G/T of 1024, whole where they can be, refused where ambiguous. */
static void sizes_in_bytes(void **state)
{
	static const struct {
		const char *arg;
		__u64 want;
	} ok[] = {
		{ "65536", 65536 },	 { "512K", 512 << 10 },	 { "512k", 512 << 10 },
		{ "512KiB", 512 << 10 }, { "100M", 100 << 20 },	 { "100MB", 100 << 20 },
		{ "1G", 1ULL << 30 },	 { "1.5G", 3ULL << 29 }, { "2T", 2ULL << 40 },
		{ "4096B", 4096 },	 { "0.5M", 512 << 10 },
	};
	static const char *const bad[] = { "",	 "-1M", " 1M", "+1M", "12Q", "100m",
					   "1g", "1.5", "M",   "1M ", "1KK", "0x10K" };
	char why[128];
	__u64 v;

	(void)state;
	for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
		v = 0;
		assert_int_equal(ntf_parse_size(ok[i].arg, 0, ~0ULL, &v, why, sizeof(why)), 0);
		assert_int_equal(v, ok[i].want);
	}
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		v = 7;
		print_message("size '%s'\n", bad[i]);
		assert_int_equal(ntf_parse_size(bad[i], 0, ~0ULL, &v, why, sizeof(why)), -EINVAL);
		assert_int_equal(v, 7);
	}
	assert_int_equal(ntf_parse_size("12Q", 0, ~0ULL, &v, why, sizeof(why)), -EINVAL);
	assert_string_equal(why, "'12Q' has an unknown unit (use K, M, G or T, or bytes)");
	assert_int_equal(ntf_parse_size("1K", 64 << 10, 1ULL << 40, &v, why, sizeof(why)), -ERANGE);
	assert_string_equal(why, "'1K' is out of range [64K, 1T]");
	/* beyond 64 bits is out of range, not wrapped */
	assert_int_equal(ntf_parse_size("99999999T", 0, ~0ULL - 1, &v, why, sizeof(why)), -ERANGE);
	assert_int_equal(ntf_parse_size("99999999999999999999", 0, ~0ULL, &v, why, sizeof(why)),
			 -EINVAL);
}

static void sizes_for_people(void **state)
{
	char buf[24];

	(void)state;
	ntf_format_size(buf, sizeof(buf), 1000);
	assert_string_equal(buf, "1000");
	ntf_format_size(buf, sizeof(buf), 64 << 10);
	assert_string_equal(buf, "64K");
	ntf_format_size(buf, sizeof(buf), 3 << 19);
	assert_string_equal(buf, "1.5M");
	ntf_format_size(buf, sizeof(buf), 1ULL << 40);
	assert_string_equal(buf, "1T");
	ntf_format_size(buf, sizeof(buf), 4096ULL << 40);
	assert_string_equal(buf, "4096T");
}

/* --flight's window: a time, a size, or both, each once. */
static void windows_of_time_and_size(void **state)
{
	static const char *const bad[] = { "",	    "0",   "0s",  "30s,",    ",30s", "30s,60s",
					   "1M,2M", "30m", "12Q", "30s,,1M", "1K" };
	char why[128];
	__u64 ns, bytes;

	(void)state;
	assert_int_equal(
		ntf_parse_window("30s", 64 << 10, 1ULL << 36, &ns, &bytes, why, sizeof(why)), 0);
	assert_int_equal(ns, 30000000000ULL);
	assert_int_equal(bytes, 0);
	assert_int_equal(
		ntf_parse_window("30", 64 << 10, 1ULL << 36, &ns, &bytes, why, sizeof(why)), 0);
	assert_int_equal(ns, 30000000000ULL);
	assert_int_equal(
		ntf_parse_window("500ms", 64 << 10, 1ULL << 36, &ns, &bytes, why, sizeof(why)), 0);
	assert_int_equal(ns, 500000000ULL);
	assert_int_equal(
		ntf_parse_window("64M", 64 << 10, 1ULL << 36, &ns, &bytes, why, sizeof(why)), 0);
	assert_int_equal(ns, 0);
	assert_int_equal(bytes, 64 << 20);
	assert_int_equal(
		ntf_parse_window("64M,2.5s", 64 << 10, 1ULL << 36, &ns, &bytes, why, sizeof(why)),
		0);
	assert_int_equal(ns, 2500000000ULL);
	assert_int_equal(bytes, 64 << 20);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		print_message("window '%s'\n", bad[i]);
		assert_int_equal(ntf_parse_window(bad[i], 64 << 10, 1ULL << 36, &ns, &bytes, why,
						  sizeof(why)),
				 -EINVAL);
		assert_true(why[0] != '\0');
	}
	ntf_parse_window("30s,60s", 64 << 10, 1ULL << 36, &ns, &bytes, why, sizeof(why));
	assert_string_equal(why, "'30s,60s' gives two times");
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
		cmocka_unit_test(sizes_in_bytes),
		cmocka_unit_test(sizes_for_people),
		cmocka_unit_test(windows_of_time_and_size),
		cmocka_unit_test(log_levels_and_writer),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
