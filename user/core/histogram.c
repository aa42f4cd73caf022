// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#include <string.h>
#include "buckets.h"
#include "histogram.h"

__u64 ntf_hist_slot_low(unsigned int slot)
{
	return slot ? 1ULL << slot : 0;
}

__u64 ntf_hist_slot_high(unsigned int slot)
{
	if (slot >= NTF_HIST_SLOTS - 1)
		return ~0ULL;
	return (2ULL << slot) - 1;
}

void ntf_hist_add(struct ntf_hist *h, __u64 ns)
{
	ntf_hist_count_ns(h, ns);
	h->slots[ntf_hist_slot(ns)]++;
}

void ntf_hist_add_event(struct ntf_hist *h, const struct ntf_event *e)
{
	ntf_hist_count_event(h, e);
	h->slots[ntf_hist_slot(e->latency_ns)]++;
}

void ntf_hist_counts_merge(struct ntf_hist_counts *dst, const struct ntf_hist_counts *src)
{
	if (src->count && (!dst->count || src->min_ns < dst->min_ns))
		dst->min_ns = src->min_ns;
	dst->count += src->count;
	dst->sum_ns += src->sum_ns;
	dst->failures += src->failures;
	dst->pages += src->pages;
	dst->nested += src->nested;
	dst->nonblock += src->nonblock;
	if (src->max_ns > dst->max_ns)
		dst->max_ns = src->max_ns;
}

void ntf_hist_merge(struct ntf_hist *dst, const struct ntf_hist *src)
{
	struct ntf_hist_counts d, s;

	ntf_hist_counts_of(&d, dst);
	ntf_hist_counts_of(&s, src);
	ntf_hist_counts_merge(&d, &s);
	memcpy(dst, &d, sizeof(d));
	for (int i = 0; i < NTF_HIST_SLOTS; i++)
		dst->slots[i] += src->slots[i];
}

void ntf_hist_sub(struct ntf_hist *dst, const struct ntf_hist *a, const struct ntf_hist *b)
{
	/* max and min cannot be subtracted: the later read's are the best bounds. */
	dst->count = a->count - b->count;
	dst->sum_ns = a->sum_ns - b->sum_ns;
	dst->failures = a->failures - b->failures;
	dst->pages = a->pages - b->pages;
	dst->nested = a->nested - b->nested;
	dst->nonblock = a->nonblock - b->nonblock;
	dst->max_ns = a->max_ns;
	dst->min_ns = a->min_ns;
	for (int i = 0; i < NTF_HIST_SLOTS; i++)
		dst->slots[i] = a->slots[i] - b->slots[i];
}

__u64 ntf_hist_quantile(const struct ntf_hist *h, double p)
{
	__u64 total = 0, seen = 0, rank;

	for (int i = 0; i < NTF_HIST_SLOTS; i++)
		total += h->slots[i];
	if (!total)
		return 0;
	/* rank of the wanted sample, 1-based: ceil(p * total) */
	rank = (__u64)(p * total);
	if ((double)rank < p * total)
		rank++;
	if (rank < 1)
		rank = 1;
	for (int i = 0; i < NTF_HIST_SLOTS; i++) {
		__u64 low, high, v;

		if (!h->slots[i] || seen + h->slots[i] < rank) {
			seen += h->slots[i];
			continue;
		}
		low = ntf_hist_slot_low(i);
		high = i == NTF_HIST_SLOTS - 1 ? h->max_ns : ntf_hist_slot_high(i);
		v = low + (__u64)((double)(high - low) * (rank - seen) / h->slots[i]);
		if (v > h->max_ns)
			v = h->max_ns;
		return v;
	}
	return h->max_ns;
}

void ntf_format_ns(char *buf, size_t size, __u64 ns)
{
	static const struct {
		double div;
		const char *unit;
	} units[] = { { 1e9, "s" }, { 1e6, "ms" }, { 1e3, "us" } };

	for (size_t i = 0; i < sizeof(units) / sizeof(units[0]); i++) {
		double v = ns / units[i].div;

		if (v >= 1.0) {
			snprintf(buf, size, "%.*f%s",
				 v >= 100 ? 0 :
				 v >= 10  ? 1 :
					    2,
				 v, units[i].unit);
			return;
		}
	}
	snprintf(buf, size, "%lluns", (unsigned long long)ns);
}

#define STARS_MAX 40

static void print_stars(FILE *out, __u64 val, __u64 max)
{
	int n = max ? (int)(val * STARS_MAX / max) : 0;

	/* A non-empty slot always gets at least a bar's trace. */
	if (val && !n)
		n = 1;
	for (int i = 0; i < STARS_MAX; i++)
		fputc(i < n ? '*' : ' ', out);
}

void ntf_hist_print(FILE *out, const struct ntf_hist *h, enum ntf_unit unit)
{
	static const char *const unit_names[] = { "nsecs", "usecs", "msecs" };
	static const __u64 divs[] = { 1, 1000, 1000000 };
	int first = -1, last = -1;
	__u64 max = 0;

	for (int i = 0; i < NTF_HIST_SLOTS; i++) {
		if (!h->slots[i])
			continue;
		if (first < 0)
			first = i;
		last = i;
		if (h->slots[i] > max)
			max = h->slots[i];
	}
	if (first < 0)
		return;
	fprintf(out, "%24s : count    distribution\n", unit_names[unit]);
	for (int i = first; i <= last; i++) {
		/*
		 * Slots are powers of two in ns; in us or ms their bounds are
		 * not whole numbers, so they get a decimal rather than
		 * truncated labels that would seem to overlap.
		 */
		double low = (double)ntf_hist_slot_low(i) / divs[unit];
		double end = (double)(ntf_hist_slot_high(i) + 1) / divs[unit];
		int prec = unit == NTF_UNIT_NS ? 0 : 1;

		if (i == NTF_HIST_SLOTS - 1)
			fprintf(out, "%11.*f -> %-10s : %-8llu |", prec, low, "inf",
				(unsigned long long)h->slots[i]);
		else
			fprintf(out, "%11.*f -> %-10.*f : %-8llu |", prec, low, prec,
				unit == NTF_UNIT_NS ? end - 1 : end,
				(unsigned long long)h->slots[i]);
		print_stars(out, h->slots[i], max);
		fputs("|\n", out);
	}
}

void ntf_buckets_print(FILE *out, const struct ntf_buckets *bs, enum ntf_unit unit)
{
	static const char *const unit_names[] = { "nsecs", "usecs", "msecs" };
	static const double divs[] = { 1, 1000, 1000000 };
	__u64 max = 0;
	__u32 prev = 0;

	for (__u32 i = 0; i < bs->n; i++)
		if (ntf_bucket_count(&bs->b[i]) > max)
			max = ntf_bucket_count(&bs->b[i]);
	if (!max)
		return;
	fprintf(out, "%24s : count    distribution\n", unit_names[unit]);
	for (__u32 i = 0; i < bs->n; i++) {
		const struct ntf_bucket *b = &bs->b[i];
		__u64 n = ntf_bucket_count(b);

		/* Only buckets that hold something; "~" where empty ones were left out. */
		if (i && b->index != NTF_BUCKET_ZERO && bs->b[i - 1].index != NTF_BUCKET_ZERO &&
		    b->index != prev + 1)
			fprintf(out, "%24s :\n", "~");
		prev = b->index;
		if (b->index == NTF_BUCKET_ZERO)
			fprintf(out, "%11s    %-10s : %-8llu |", "0", "", (unsigned long long)n);
		else
			fprintf(out, "%11.*f -> %-10.*f : %-8llu |", unit == NTF_UNIT_NS ? 0 : 2,
				ntf_bucket_low(b->index) / divs[unit], unit == NTF_UNIT_NS ? 0 : 2,
				ntf_bucket_high(b->index) / divs[unit], (unsigned long long)n);
		print_stars(out, n, max);
		fputs("|\n", out);
	}
}
