// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * The export's counters: events a second per class, over every process.
 * One set of tracks for the whole machine, not one per process: the
 * question a rate answers is when the machine was stormed, and each
 * process's slices already show its own share; per process, a hundred
 * processes would bring seven hundred mostly flat tracks.
 *
 * Bins are whole seconds from the trace's ts 0, kept in a table by
 * second: events come in any order, and a recording's seconds are few.
 */
#include <errno.h>
#include <stdlib.h>
#include "json_out.h"
#include "names.h"
#include "perfetto_int.h"

#define NS_PER_S 1000000000LL

struct bin {
	__s64 second;
	__u64 count[NTF_CLASS_MAX];
};

static bool bin_is(const void *entry, const void *key)
{
	return ((const struct bin *)entry)->second == *(const __s64 *)key;
}

static __u64 bin_hash(__s64 second)
{
	__u64 h = (__u64)second * 0x9e3779b97f4a7c15ULL;

	return h ^ (h >> 29);
}

int ntf_pf_rate_init(struct ntf_pf_rate *r)
{
	r->classes = 0;
	return ntf_table_init(&r->t, sizeof(struct bin));
}

void ntf_pf_rate_fini(struct ntf_pf_rate *r)
{
	ntf_table_fini(&r->t);
}

int ntf_pf_rate_add(struct ntf_pf_rate *r, const struct ntf_pf_out *o, const struct ntf_event *e)
{
	__s64 rel = (__s64)(e->ts_ns - o->base);
	/* floor, not C's truncation: an event before ts 0 is in second -1 */
	__s64 second = rel / NS_PER_S - (rel % NS_PER_S < 0);
	__u64 h = bin_hash(second);
	size_t i = ntf_table_slot(&r->t, h, &second, bin_is);
	struct bin *b;

	if (ntf_table_used(&r->t, i)) {
		b = ntf_table_at(&r->t, i);
	} else {
		b = ntf_table_claim(&r->t, i, h);
		if (!b)
			return -ENOMEM;
		b->second = second;
	}
	b->count[e->class]++;
	r->classes |= 1u << e->class;
	return 0;
}

static int by_second(const void *a, const void *b)
{
	__s64 x = (*(const struct bin *const *)a)->second,
	      y = (*(const struct bin *const *)b)->second;

	return (x > y) - (x < y);
}

/* A zero count is written too: a counter holds its value until the next sample. */
static void sample(const struct ntf_pf_rate *r, struct ntf_pf_out *o, __s64 second,
		   const struct bin *b)
{
	FILE *f = ntf_pf_next(o);
	char ts[NTF_JSON_US_LEN];
	bool any = false;

	ntf_json_us(ts, second * NS_PER_S);
	fprintf(f,
		"{\"ph\":\"C\",\"name\":\"notifier events/s\",\"pid\":%u,\"tid\":%u,\"ts\":%s,\"args\":{",
		NTF_PF_ALL_PID, NTF_PF_ALL_PID, ts);
	for (unsigned int c = 1; c < NTF_CLASS_MAX; c++) {
		if (!(r->classes & (1u << c)))
			continue;
		fprintf(f, "%s\"%s\":%llu", any ? "," : "", ntf_class_name(c),
			b ? (unsigned long long)b->count[c] : 0ULL);
		any = true;
	}
	fputs("}}", f);
}

int ntf_pf_rate_write(const struct ntf_pf_rate *r, struct ntf_pf_out *o, __u64 *samples)
{
	const struct bin **bins = malloc((r->t.count ? r->t.count : 1) * sizeof(*bins));
	size_t n = 0;

	if (!bins)
		return -ENOMEM;
	for (size_t i = 0; i < r->t.cap; i++)
		if (ntf_table_used(&r->t, i))
			bins[n++] = ntf_table_at(&r->t, i);
	qsort(bins, n, sizeof(*bins), by_second);
	for (size_t i = 0; i < n; i++) {
		sample(r, o, bins[i]->second, bins[i]);
		(*samples)++;
		/* back to zero after a second with events that the next second does not continue */
		if (i + 1 == n || bins[i + 1]->second != bins[i]->second + 1) {
			sample(r, o, bins[i]->second + 1, NULL);
			(*samples)++;
		}
	}
	free(bins);
	return 0;
}
