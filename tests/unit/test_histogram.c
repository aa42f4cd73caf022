// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include "histogram.h"

static void slot_boundaries(void **state)
{
	(void)state;
	assert_int_equal(ntf_hist_slot(0), 0);
	assert_int_equal(ntf_hist_slot(1), 0);
	assert_int_equal(ntf_hist_slot(2), 1);
	assert_int_equal(ntf_hist_slot(3), 1);
	assert_int_equal(ntf_hist_slot(1023), 9);
	assert_int_equal(ntf_hist_slot(1024), 10);
	assert_int_equal(ntf_hist_slot(1ULL << 35), 35);
	/* everything past the last slot lands in it */
	assert_int_equal(ntf_hist_slot(1ULL << 50), NTF_HIST_SLOTS - 1);
	assert_int_equal(ntf_hist_slot(~0ULL), NTF_HIST_SLOTS - 1);
	for (unsigned int s = 1; s < NTF_HIST_SLOTS - 1; s++) {
		assert_int_equal(ntf_hist_slot(ntf_hist_slot_low(s)), s);
		assert_int_equal(ntf_hist_slot(ntf_hist_slot_high(s)), s);
		assert_int_equal(ntf_hist_slot_high(s) + 1, ntf_hist_slot_low(s + 1));
	}
}

/*
 * How an event counts, by class and flags, against the rules said plainly:
 * the counting adds where it once tested, and must agree with them for
 * every class (classes past 31 included) and flag.
 */
static void event_counts_by_class_and_flags(void **state)
{
	static const __u16 classes[] = { 0, 1, 2, 3, 4, 5, 6, 7, 8, 31, 32, 33, 40, 300, 0xffff };
	static const __s64 rets[] = { -14, 0, 7 };

	(void)state;
	for (size_t c = 0; c < sizeof(classes) / sizeof(classes[0]); c++) {
		for (__u32 flags = 0; flags < 1u << 12; flags++) {
			for (size_t r = 0; r < sizeof(rets) / sizeof(rets[0]); r++) {
				struct ntf_event e = { .class = classes[c],
						       .flags = flags,
						       .latency_ns = 900,
						       .ret = rets[r] };
				struct ntf_hist h = {};
				int ranged = e.class == NTF_CLASS_INVAL_START ||
					     e.class == NTF_CLASS_INVAL_END ||
					     e.class == NTF_CLASS_CALLBACK;
				__u32 blk = !ranged			    ? NTF_BLK_NONE :
					    flags & NTF_F_BLOCKABLE_UNKNOWN ? NTF_BLK_UNKNOWN :
					    flags & NTF_F_BLOCKABLE	    ? NTF_BLK_YES :
									      NTF_BLK_NO;
				__u64 pages = 0;

				if (e.class == NTF_CLASS_UNMAP)
					e.unmap.notifier_calls = 3;
				else
					e.pin.nr_pages = 5;
				if (e.class == NTF_CLASS_PIN && e.ret > 0)
					pages = (__u64)e.ret;
				else if (e.class == NTF_CLASS_UNPIN)
					pages = 5;
				else if (e.class == NTF_CLASS_UNMAP)
					pages = 3;
				assert_int_equal(ntf_blockable_key(&e), blk);
				assert_int_equal(ntf_event_pages(&e), pages);
				ntf_hist_count_event(&h, &e);
				assert_int_equal(h.count, 1);
				assert_int_equal(h.sum_ns, 900);
				assert_int_equal(h.min_ns, 900);
				assert_int_equal(h.max_ns, 900);
				assert_int_equal(h.failures, !!(flags & NTF_F_FAILED));
				assert_int_equal(h.nested, !!(flags & NTF_F_NESTED));
				assert_int_equal(h.nonblock, blk == NTF_BLK_NO);
				assert_int_equal(h.pages, pages);
			}
		}
	}
}

static void add_tracks_count_sum_max(void **state)
{
	struct ntf_hist h = {};

	(void)state;
	ntf_hist_add(&h, 100);
	ntf_hist_add(&h, 5000);
	ntf_hist_add(&h, 70);
	assert_int_equal(h.count, 3);
	assert_int_equal(h.sum_ns, 5170);
	assert_int_equal(h.max_ns, 5000);
	assert_int_equal(h.slots[6], 2); /* 64..127 */
	assert_int_equal(h.slots[12], 1); /* 4096..8191 */
}

static void quantiles_of_a_known_distribution(void **state)
{
	struct ntf_hist h = {};

	(void)state;
	assert_int_equal(ntf_hist_quantile(&h, 0.5), 0);
	/* 99 samples of 1000 ns (slot 9: 512..1023) and 1 of 1 ms */
	for (int i = 0; i < 99; i++)
		ntf_hist_add(&h, 1000);
	ntf_hist_add(&h, 1000000);
	/* p50 falls in slot 9 */
	assert_in_range(ntf_hist_quantile(&h, 0.50), 512, 1023);
	/* p99 is the 99th sample: still slot 9 */
	assert_in_range(ntf_hist_quantile(&h, 0.99), 512, 1023);
	/* p100 is the outlier, never above the exact max */
	assert_in_range(ntf_hist_quantile(&h, 1.0), 524288, 1000000);
	assert_true(ntf_hist_quantile(&h, 1.0) <= h.max_ns);
}

static void quantile_single_sample_is_clamped_to_max(void **state)
{
	struct ntf_hist h = {};

	(void)state;
	ntf_hist_add(&h, 50000000); /* 50 ms: slot 25 spans 33.5..67.1 ms */
	assert_int_equal(ntf_hist_quantile(&h, 0.5), 50000000);
	assert_int_equal(ntf_hist_quantile(&h, 0.99), 50000000);
}

static void merge_and_sub_are_inverse(void **state)
{
	struct ntf_hist a = {}, b = {}, sum = {}, diff = {};

	(void)state;
	for (int i = 0; i < 10; i++)
		ntf_hist_add(&a, 1 << i);
	for (int i = 0; i < 5; i++)
		ntf_hist_add(&b, 3 << i);
	a.failures = 2;
	b.pages = 7;
	ntf_hist_merge(&sum, &a);
	ntf_hist_merge(&sum, &b);
	assert_int_equal(sum.count, 15);
	assert_int_equal(sum.failures, 2);
	assert_int_equal(sum.pages, 7);
	assert_int_equal(sum.max_ns, 512);
	ntf_hist_sub(&diff, &sum, &b);
	assert_int_equal(diff.count, a.count);
	assert_int_equal(diff.sum_ns, a.sum_ns);
	assert_memory_equal(diff.slots, a.slots, sizeof(a.slots));
}

static void format_ns_picks_units(void **state)
{
	char buf[16];

	(void)state;
	ntf_format_ns(buf, sizeof(buf), 812);
	assert_string_equal(buf, "812ns");
	ntf_format_ns(buf, sizeof(buf), 1500);
	assert_string_equal(buf, "1.50us");
	ntf_format_ns(buf, sizeof(buf), 230000);
	assert_string_equal(buf, "230us");
	ntf_format_ns(buf, sizeof(buf), 50000000);
	assert_string_equal(buf, "50.0ms");
	ntf_format_ns(buf, sizeof(buf), 2000000000ULL);
	assert_string_equal(buf, "2.00s");
}

static void print_shows_only_the_used_range(void **state)
{
	struct ntf_hist h = {};
	char *text = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&text, &len);

	(void)state;
	for (int i = 0; i < 4; i++)
		ntf_hist_add(&h, 3000); /* slot 11: 2048..4095 */
	ntf_hist_add(&h, 20000); /* slot 14: 16384..32767 */
	ntf_hist_print(f, &h, NTF_UNIT_NS);
	fclose(f);
	assert_non_null(strstr(text, "nsecs"));
	assert_non_null(strstr(text, "2048 -> 4095"));
	assert_non_null(strstr(text, "16384 -> 32767"));
	assert_null(strstr(text, "1024 -> 2047"));
	/* the largest slot gets the full 40-star bar */
	assert_non_null(strstr(text, "|****************************************|"));
	/* 4 header+rows: header, slots 11..14 */
	int lines = 0;
	for (char *p = text; *p; p++)
		lines += *p == '\n';
	assert_int_equal(lines, 5);
	free(text);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(slot_boundaries),
		cmocka_unit_test(add_tracks_count_sum_max),
		cmocka_unit_test(event_counts_by_class_and_flags),
		cmocka_unit_test(quantiles_of_a_known_distribution),
		cmocka_unit_test(quantile_single_sample_is_clamped_to_max),
		cmocka_unit_test(merge_and_sub_are_inverse),
		cmocka_unit_test(format_ns_picks_units),
		cmocka_unit_test(print_shows_only_the_used_range),
	};

	return cmocka_run_group_tests_name("histogram", tests, NULL, NULL);
}
