// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * hist --by's groups: the dimension list, keys projected and summed (log2
 * histograms and fine buckets alike), the order groups are shown in, and
 * the filter that decides which keys enter.
 */
#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include "callbacks.h"
#include "groups.h"
#include "histogram.h"
#include "top_filter.h"

static void by_list(void **state)
{
	unsigned int by;
	char err[160];

	(void)state;
	assert_int_equal(ntf_by_parse("driver,origin", &by, err, sizeof(err)), 0);
	assert_int_equal(by, NTF_BY_DRIVER | NTF_BY_ORIGIN | NTF_BY_EVENT);
	assert_int_equal(ntf_by_parse("process,cgroup,blockable,event", &by, err, sizeof(err)), 0);
	assert_int_equal(by, NTF_BY_PROCESS | NTF_BY_CGROUP | NTF_BY_BLOCKABLE | NTF_BY_EVENT);
	assert_int_equal(ntf_by_parse("driver,colour", &by, err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "'colour'"));
	assert_int_equal(ntf_by_parse("driver,", &by, err, sizeof(err)), -EINVAL);
	assert_int_equal(ntf_by_parse("", &by, err, sizeof(err)), 0);
	assert_int_equal(by, NTF_BY_EVENT);
}

static struct ntf_hist hist_of(const __u64 *ns, size_t n)
{
	struct ntf_hist h = {};

	for (size_t i = 0; i < n; i++)
		ntf_hist_add(&h, ns[i]);
	return h;
}

/* Adds what BPF would have for key: the histogram and its fine buckets. */
static void add_key(struct ntf_groups *g, struct ntf_hist_key k, const __u64 *ns, size_t n,
		    const char *comm)
{
	struct ntf_hist h = hist_of(ns, n);

	assert_int_equal(ntf_groups_add_hist(g, &k, &h, comm), 0);
	for (size_t i = 0; i < n; i++)
		assert_int_equal(ntf_groups_add_bucket(g, &k, ntf_bucket_of(ns[i]), 1), 0);
}

static const __u64 fast[] = { 1000, 1100, 1200 }, slow[] = { 500000, 600000 };

static void projected_and_summed(void **state)
{
	struct ntf_hist_key k = { .class = NTF_CLASS_CALLBACK, .callback = 3, .tgid = 10 };
	struct ntf_groups *g = ntf_groups_new(NTF_BY_DRIVER);
	const struct ntf_group **v;
	size_t n;

	(void)state;
	/* two processes and two origins of driver 3, one key of driver 4 */
	k.origin = NTF_ORIGIN_FAULT;
	add_key(g, k, fast, 3, "a");
	k.tgid = 11;
	k.origin = NTF_ORIGIN_MADVISE;
	add_key(g, k, slow, 2, "b");
	k.callback = 4;
	add_key(g, k, fast, 1, "b");
	v = ntf_groups_sorted(g, &n);
	assert_int_equal(n, 2);
	assert_int_equal(v[0]->key.callback, 3);
	assert_int_equal(v[0]->hist.count, 5);
	assert_int_equal(v[0]->hist.min_ns, 1000);
	assert_int_equal(v[0]->hist.max_ns, 600000);
	assert_int_equal(ntf_buckets_total(&v[0]->fine), 5);
	/* what no dimension keeps is gone from the key */
	assert_int_equal(v[0]->key.tgid, 0);
	assert_int_equal(v[0]->key.origin, NTF_ORIGIN_MAX);
	assert_string_equal(v[0]->comm, "");
	assert_int_equal(v[1]->key.callback, 4);
	assert_int_equal(v[1]->hist.count, 1);
	free(v);
	ntf_groups_free(g);
}

static void split_by_origin_and_process(void **state)
{
	struct ntf_hist_key k = { .class = NTF_CLASS_INVAL_START, .tgid = 10 };
	struct ntf_groups *g = ntf_groups_new(NTF_BY_ORIGIN | NTF_BY_PROCESS | NTF_BY_BLOCKABLE);
	const struct ntf_group **v;
	size_t n;

	(void)state;
	k.origin = NTF_ORIGIN_FAULT;
	k.blockable = NTF_BLK_YES;
	add_key(g, k, fast, 3, "a");
	k.blockable = NTF_BLK_NO;
	add_key(g, k, slow, 1, "a");
	k.origin = NTF_ORIGIN_MADVISE;
	add_key(g, k, slow, 2, "a");
	/* the unmap class sorts after the invalidates, whatever its count */
	k.class = NTF_CLASS_UNMAP;
	k.blockable = NTF_BLK_NONE;
	add_key(g, k, fast, 3, "a");
	add_key(g, k, fast, 3, "a");
	v = ntf_groups_sorted(g, &n);
	assert_int_equal(n, 4);
	assert_int_equal(v[0]->hist.count, 3);
	assert_int_equal(v[0]->key.blockable, NTF_BLK_YES);
	assert_int_equal(v[1]->hist.count, 2);
	assert_int_equal(v[1]->key.origin, NTF_ORIGIN_MADVISE);
	assert_int_equal(v[2]->hist.count, 1);
	assert_int_equal(v[2]->key.blockable, NTF_BLK_NO);
	assert_int_equal(v[3]->key.class, NTF_CLASS_UNMAP);
	assert_int_equal(v[3]->hist.count, 6);
	assert_int_equal(ntf_buckets_total(&v[3]->fine), 6);
	assert_int_equal(v[3]->key.tgid, 10);
	assert_string_equal(v[3]->comm, "a");
	free(v);
	ntf_groups_free(g);
}

static void filter_terms(void **state)
{
	struct ntf_hist_key k = { .class = NTF_CLASS_CALLBACK, .tgid = 42 };
	struct top_filter f = {};
	char err[160];

	(void)state;
	k.callback = ntf_callback_id("kvm");
	assert_int_not_equal(k.callback, 0);
	assert_int_equal(top_filter_parse("pid 42 driver kvm", &f, err, sizeof(err)), 0);
	assert_true(top_filter_needs_process(&f));
	assert_true(top_filter_keeps(&f, &k, "x", 0));
	k.tgid = 43;
	assert_false(top_filter_keeps(&f, &k, "x", 0));
	k.tgid = 42;
	k.callback++;
	assert_false(top_filter_keeps(&f, &k, "x", 0));
	memset(&f, 0, sizeof(f));
	assert_int_equal(top_filter_parse("comm=gpu", &f, err, sizeof(err)), 0);
	assert_true(top_filter_keeps(&f, &k, "my-gpu-job", 0));
	assert_false(top_filter_keeps(&f, &k, "other", 0));
	memset(&f, 0, sizeof(f));
	assert_int_equal(top_filter_parse("class pin", &f, err, sizeof(err)), 0);
	assert_false(top_filter_needs_process(&f));
}

static void fine_graph(void **state)
{
	struct ntf_buckets bs = {};
	char *text = NULL;
	size_t len = 0;
	FILE *out = open_memstream(&text, &len);

	(void)state;
	/* two clusters far apart: their rows, and one "~" line for the gap */
	for (int i = 0; i < 4; i++)
		assert_int_equal(ntf_buckets_add(&bs, 1000), 0);
	assert_int_equal(ntf_buckets_add(&bs, 1050), 0);
	assert_int_equal(ntf_buckets_add(&bs, 900000), 0);
	ntf_buckets_print(out, &bs, NTF_UNIT_US);
	fclose(out);
	assert_non_null(strstr(text, "usecs"));
	assert_non_null(strstr(text, "~"));
	assert_non_null(strstr(text, ": 4 "));
	assert_non_null(strstr(text, "|****************************************|"));
	/* header, three buckets, one gap */
	{
		int lines = 0;

		for (char *p = text; *p; p++)
			lines += *p == '\n';
		assert_int_equal(lines, 5);
	}
	free(text);
	ntf_buckets_free(&bs);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(by_list),
		cmocka_unit_test(projected_and_summed),
		cmocka_unit_test(split_by_origin_and_process),
		cmocka_unit_test(filter_terms),
		cmocka_unit_test(fine_graph),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
