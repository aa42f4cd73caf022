// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* The synthetic source's keys mode: exact (process, driver) pairs, and their variety. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include "decode.h"
#include "source.h"

#define EVENTS 50000
#define MAX_KEYS 64

struct tally {
	unsigned char pair[MAX_KEYS * 8][8]; /* [tgid - 1000][callback] */
	__u64 n, bad, nonblock, failed_start, nested_fence, nested_pin, reclaim_unmaps;
	__u64 calls, chain_events;
	__u32 max_tgid, max_sub;
};

static int count(void *ctx, const struct ntf_event *e)
{
	struct tally *t = ctx;
	struct ntf_event out;

	t->n++;
	if (ntf_decode(e, sizeof(*e), &out) || memcmp(&out, e, sizeof(out)))
		t->bad++;
	if (e->tgid < 1000 || e->tgid - 1000 >= MAX_KEYS * 8 || e->callback >= 8) {
		t->bad++;
		return 0;
	}
	t->pair[e->tgid - 1000][e->callback] = 1;
	if (e->tgid > t->max_tgid)
		t->max_tgid = e->tgid;
	if (e->callback > t->max_sub)
		t->max_sub = e->callback;
	t->chain_events += !e->callback;
	switch (e->class) {
	case NTF_CLASS_INVAL_START:
		t->nonblock += !(e->flags & NTF_F_BLOCKABLE);
		t->failed_start += !!(e->flags & NTF_F_FAILED) && e->ret == -11;
		break;
	case NTF_CLASS_FENCE_WAIT: t->nested_fence += !!(e->flags & NTF_F_NESTED); break;
	case NTF_CLASS_PIN:
		t->nested_pin += !!(e->flags & NTF_F_NESTED);
		if (e->ret != e->pin.nr_pages || !e->ret || e->ret > 64)
			t->bad++;
		break;
	case NTF_CLASS_UNMAP:
		t->reclaim_unmaps += e->origin == NTF_ORIGIN_DIRECT_RECLAIM;
		t->calls += e->unmap.notifier_calls;
		break;
	}
	return 0;
}

static struct tally *run(__u64 seed, __u32 keys, __u32 callbacks)
{
	struct ntf_synth_opts o = {
		.seed = seed,
		.count = EVENTS,
		.batch = 500,
		.keys = keys,
		.callbacks = callbacks,
	};
	struct tally *t = calloc(1, sizeof(*t));
	struct ntf_source *src;

	assert_non_null(t);
	src = ntf_source_synth_new(&o, count, t);
	assert_non_null(src);
	while (ntf_source_poll(src, 0) > 0)
		;
	ntf_source_free(src);
	assert_int_equal(t->n, EVENTS);
	assert_int_equal(t->bad, 0);
	return t;
}

static unsigned int pairs(const struct tally *t)
{
	unsigned int n = 0;

	for (size_t i = 0; i < MAX_KEYS * 8; i++)
		for (size_t s = 0; s < 8; s++)
			n += t->pair[i][s];
	return n;
}

static void exact_pairs(void **state)
{
	struct tally *t;

	(void)state;
	/* 4 callbacks by default: 10 pairs are pids 1000-1002, callbacks 1-4 */
	t = run(1, 10, 0);
	assert_int_equal(pairs(t), 10);
	assert_int_equal(t->max_tgid, 1002);
	assert_int_equal(t->max_sub, 4);
	assert_int_equal(t->chain_events, 0);
	assert_true(t->pair[2][1] && t->pair[2][2] && !t->pair[2][3]);
	free(t);

	t = run(2, 37, 3);
	assert_int_equal(pairs(t), 37);
	assert_int_equal(t->max_sub, 3);
	assert_int_equal(t->max_tgid, 1000 + 36 / 3);
	free(t);

	t = run(3, 1, 0);
	assert_int_equal(pairs(t), 1);
	free(t);
}

static void varied_like_a_live_system(void **state)
{
	struct tally *t = run(4, 64, 0);
	__u64 per_class = EVENTS / (NTF_CLASS_MAX - 1);

	(void)state;
	/* roughly 1/32 non-blockable, half of those refused; 1/8 fence waits nested ... */
	assert_in_range(t->nonblock, per_class / 64, per_class / 16);
	assert_in_range(t->failed_start, 1, t->nonblock);
	assert_in_range(t->nested_fence, per_class / 16, per_class / 4);
	assert_in_range(t->nested_pin, per_class / 32, per_class / 8);
	/* ... half the unmaps in reclaim, 1-3 notifier calls each */
	assert_in_range(t->reclaim_unmaps, per_class / 4, per_class * 3 / 4);
	assert_in_range(t->calls, per_class, per_class * 3);
	free(t);
}

static void deterministic(void **state)
{
	struct tally *a = run(9, 20, 0), *b = run(9, 20, 0);

	(void)state;
	assert_memory_equal(a, b, sizeof(*a));
	free(a);
	free(b);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(exact_pairs),
		cmocka_unit_test(varied_like_a_live_system),
		cmocka_unit_test(deterministic),
	};

	return cmocka_run_group_tests_name("synth_keys", tests, NULL, NULL);
}
