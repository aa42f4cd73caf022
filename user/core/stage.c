// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#include <errno.h>
#include <string.h>
#include "histogram.h"
#include "stage.h"

_Static_assert(sizeof(struct ntf_stage) == 128, "a stage is two cache lines");
_Static_assert(NTF_BUCKET_HIGHEST < 0xffff, "base holds any index");

__u8 ntf_stage_bucket_slot[NTF_BUCKET_HIGHEST + 1];

/* Each slot's values from its lowest to its highest fall in a run of buckets. */
__attribute__((constructor)) static void map_buckets_to_slots(void)
{
	memset(ntf_stage_bucket_slot, NTF_STAGE_CUT, sizeof(ntf_stage_bucket_slot));
	for (unsigned int k = 0; k < 64; k++) {
		__u64 lo = 1ULL << k, hi = k == 63 ? ~0ULL : (2ULL << k) - 1;
		unsigned int slot = ntf_hist_slot(lo);
		__u32 last = ntf_bucket_of(hi);

		for (__u32 i = ntf_bucket_of(lo); i <= last; i++) {
			/* a bucket with values of the slot below is cut */
			bool cut = i == ntf_bucket_of(lo) && k && ntf_hist_slot(lo - 1) != slot &&
				   ntf_bucket_of(lo - 1) == i;

			ntf_stage_bucket_slot[i] = cut ? NTF_STAGE_CUT : slot;
		}
	}
}

/* The slot a staged bucket's events count in at a settle; NTF_STAGE_CUT if counted already. */
static unsigned int settled_slot(__u32 index)
{
	return index == NTF_BUCKET_ZERO ? 0 : ntf_stage_bucket_slot[index];
}

/* Whether the window holds nothing, so that it may move without a settle. */
static bool window_empty(const struct ntf_stage *st)
{
	__u64 any = 0, w;

	for (size_t i = 0; i + 8 <= sizeof(st->fine); i += 8) {
		memcpy(&w, st->fine + i, 8);
		any |= w;
	}
	for (size_t i = sizeof(st->fine) & ~7ul; i < sizeof(st->fine); i++)
		any |= st->fine[i];
	return !any;
}

/*
 * Misses before a window moves: few enough that a key whose events fell
 * elsewhere soon stages them again, enough that a key whose spread is
 * wider than the window settles seldom.
 */
#define MOVE_AFTER_MISSES 16

/* A window starts where index would be in its middle. */
static __u16 base_for(__u32 index)
{
	return index > NTF_STAGE_FINE / 2 ? index - NTF_STAGE_FINE / 2 : 0;
}

/* Counts n events of index, the staged ones among them now in b, in the slots they were not. */
static void count_slots(__u64 slots[NTF_HIST_SLOTS], __u32 index, unsigned int slot, __u64 n,
			__u64 staged)
{
	unsigned int at = settled_slot(index);

	if (at == NTF_STAGE_CUT)
		slots[slot] += n - staged;
	else
		slots[at] += n;
}

/* The index at or below which half of fine's timed events (not 0 ns) lie. */
static __u32 median_index(const struct ntf_buckets *fine)
{
	__u32 z = fine->n && fine->b[0].index == NTF_BUCKET_ZERO;
	__u64 total = 0, seen = 0;

	for (__u32 i = z; i < fine->n; i++)
		total += ntf_bucket_count(&fine->b[i]);
	for (__u32 i = z; i < fine->n; i++) {
		seen += ntf_bucket_count(&fine->b[i]);
		if (seen * 2 >= total)
			return fine->b[i].index;
	}
	return NTF_BUCKET_ZERO;
}

/*
 * Adds the window and the zero count to fine and slots, then places the
 * window for what comes next (index: the last miss, or NTF_BUCKET_ZERO):
 * 0, or -ENOMEM with nothing changed.
 */
static int settle_buckets(struct ntf_stage *st, struct ntf_buckets *fine,
			  __u64 slots[NTF_HIST_SLOTS], __u32 index)
{
	struct ntf_bucket got[NTF_STAGE_FINE + 1];
	struct ntf_buckets run = { .b = got };
	__u32 median;

	/* in the buckets' order: the zero bucket first */
	if (st->zero)
		got[run.n++] =
			(struct ntf_bucket){ .index = NTF_BUCKET_ZERO, .count_lo = st->zero };
	if (!window_empty(st)) {
		for (__u32 index = st->base; index < st->base + (__u32)NTF_STAGE_FINE; index++) {
			unsigned int count = *ntf_stage_nibbles(st, index) >> (index & 1) * 4 & 15;

			if (count)
				got[run.n++] =
					(struct ntf_bucket){ .index = index, .count_lo = count };
		}
	}
	if (run.n && ntf_buckets_merge(fine, &run))
		return -ENOMEM;
	for (__u32 i = 0; i < run.n; i++)
		if (settled_slot(got[i].index) != NTF_STAGE_CUT)
			slots[settled_slot(got[i].index)] += got[i].count_lo;
	memset(st->fine, 0, sizeof(st->fine));
	st->zero = 0;
	st->missed = 0;
	/*
	 * Around the median of all the key's events, unless that would leave
	 * out where the latest went (misses at index): a key whose latencies
	 * moved follows them.
	 */
	median = median_index(fine);
	if (median != NTF_BUCKET_ZERO)
		st->base = base_for(median);
	if (index != NTF_BUCKET_ZERO && index - st->base >= NTF_STAGE_FINE)
		st->base = base_for(index);
	return 0;
}

int ntf_stage_slow(struct ntf_stage *st, struct ntf_buckets *fine, __u64 slots[NTF_HIST_SLOTS],
		   __u32 index, unsigned int slot)
{
	unsigned char *c = ntf_stage_nibbles(st, index);
	unsigned int shift = (index & 1) * 4;
	int err;

	st->staged = 1;
	if (index == NTF_BUCKET_ZERO) {
		if (st->zero < 0xffff) {
			st->zero++;
			return 0;
		}
		err = ntf_buckets_add_index(fine, index, 0x10000);
		if (!err) {
			count_slots(slots, index, slot, 0x10000, 0xffff);
			st->zero = 0;
		}
		return err;
	}
	if (index - st->base < NTF_STAGE_FINE) {
		/* a full nibble: its 15 and this event go to the buckets */
		err = ntf_buckets_add_index(fine, index, 16);
		if (!err) {
			count_slots(slots, index, slot, 16, 15);
			*c &= (unsigned char)~(15u << shift);
		}
		return err;
	}
	if (window_empty(st)) {
		st->base = base_for(index);
		*c += 1 << shift;
		if (settled_slot(index) == NTF_STAGE_CUT)
			slots[slot]++;
		return 0;
	}
	err = ntf_buckets_add_index(fine, index, 1);
	if (err)
		return err;
	slots[slot]++;
	/* the key's events moved or spread: the window moves (out of memory, at the next miss) */
	if (++st->missed >= MOVE_AFTER_MISSES && !settle_buckets(st, fine, slots, index))
		return 1;
	return 0;
}

void ntf_stage_place(struct ntf_stage *st, __u32 index, __u16 hint)
{
	if (index == NTF_BUCKET_ZERO || !window_empty(st))
		return;
	st->base = index - hint < NTF_STAGE_FINE ? hint : base_for(index);
}

int ntf_stage_settle(struct ntf_stage *st, struct ntf_buckets *fine, __u64 slots[NTF_HIST_SLOTS],
		     __u64 origins[NTF_ORIGIN_MAX])
{
	if (!st->staged)
		return 0;
	if (settle_buckets(st, fine, slots, NTF_BUCKET_ZERO))
		return -ENOMEM;
	for (unsigned int o = 0; o < NTF_ORIGIN_MAX; o++)
		origins[o] += st->origins[o];
	memset(st->origins, 0, sizeof(st->origins));
	st->staged = 0;
	return 0;
}

void ntf_stage_reset(struct ntf_stage *st)
{
	memset(st->origins, 0, sizeof(st->origins));
	memset(st->fine, 0, sizeof(st->fine));
	st->zero = 0;
	st->missed = 0;
	st->staged = 0;
}
