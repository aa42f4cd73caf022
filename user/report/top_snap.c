// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include "hashtable.h"
#include "top_snap.h"

/*
 * Hashed as the aggregate is (ntf_agg_hash) in the same kind of table,
 * which grows by the same rule: a walk of the aggregate finds its keys
 * here in about the same order, so lookups stream through memory instead
 * of jumping about it (at 70,000 keys, that is most of the cost).
 */
struct top_snap {
	struct ntf_table t; /* struct top_snap_entry */
	unsigned char *scratch; /* an entry's data while it is packed */
	size_t cap_scratch;
	const struct ntf_agg *agg; /* of the last take */
	__u64 gen; /* the generation the last take ended */
	bool synced; /* every take since a full one continued the one before */
};

static bool snap_is(const void *entry, const void *key)
{
	const struct top_snap_entry *e = entry;

	return ntf_agg_key_is(&e->key, key);
}

struct top_snap *top_snap_new(void)
{
	struct top_snap *s = calloc(1, sizeof(*s));

	if (s && ntf_table_init(&s->t, sizeof(struct top_snap_entry))) {
		free(s);
		return NULL;
	}
	return s;
}

void top_snap_free(struct top_snap *s)
{
	if (!s)
		return;
	for (size_t i = 0; i < s->t.cap; i++) {
		struct top_snap_entry *e = ntf_table_at(&s->t, i);

		if (!e)
			continue;
		ntf_packed_free(&e->data);
		free(e->slots);
	}
	ntf_table_fini(&s->t);
	free(s->scratch);
	free(s);
}

__u64 top_reclaim_unmaps(const struct ntf_agg_entry *e)
{
	if (e->key.class != NTF_CLASS_UNMAP)
		return 0;
	return e->origins[NTF_ORIGIN_KSWAPD] + e->origins[NTF_ORIGIN_DIRECT_RECLAIM];
}

/* s follows agg: what it holds of every key is agg's as of the generation s->gen. */
static bool follows(const struct top_snap *s, const struct ntf_agg *agg)
{
	return s->synced && s->agg == agg;
}

bool top_snap_unchanged(const struct top_snap *s, const struct ntf_agg *agg,
			const struct ntf_agg_entry *e)
{
	return follows(s, agg) && e->gen <= s->gen;
}

_Static_assert(sizeof(struct top_snap_entry) == 40, "top_snap.h's 40 bytes a key");

void top_snap_counts(const struct top_snap_entry *e, struct ntf_hist_counts *c, __u64 *reclaim)
{
	const unsigned char *p;
	__u64 rec = 0;

	/* a key claimed where packing its data then failed: nothing yet */
	if (!e->data.p) {
		memset(c, 0, sizeof(*c));
	} else {
		p = ntf_packed_get_counts(e->data.p, c);
		ntf_packed_get_values(p, &rec, 1);
	}
	if (reclaim)
		*reclaim = rec;
}

struct ntf_packed top_snap_fine(const struct top_snap_entry *e)
{
	return (struct ntf_packed){ .p = e->data.p + e->head,
				    .len = (__u16)(e->data.len - e->head),
				    .cap = (__u16)(e->data.len - e->head),
				    .n = e->data.n };
}

/*
 * e's data := ent's counters, reclaim-driven unmaps and fine buckets: 0,
 * or -ENOMEM (-EOVERFLOW past 64 KiB) with e as it was.
 */
static int pack_data(struct top_snap *s, struct top_snap_entry *e, const struct ntf_agg_entry *ent)
{
	size_t most = NTF_PACKED_COUNTS_BYTES + NTF_PACKED_VALUE_BYTES +
		      (size_t)ent->fine.n * NTF_PACKED_COUNTER_BYTES,
	       head, len;
	__u64 rec = top_reclaim_unmaps(ent);
	struct ntf_hist_counts c;
	__u32 n;
	int err;

	if (most > s->cap_scratch) {
		unsigned char *p = realloc(s->scratch, most);

		if (!p)
			return -ENOMEM;
		s->scratch = p;
		s->cap_scratch = most;
	}
	ntf_hist_counts_of(&c, &ent->hist);
	head = ntf_packed_put_counts(s->scratch, &c);
	head += ntf_packed_put_values(s->scratch + head, &rec, 1);
	len = head + ntf_packed_encode(s->scratch + head, &ent->fine, &n);
	err = ntf_packed_store(&e->data, s->scratch, len, n);
	if (!err)
		e->head = (__u8)head;
	return err;
}

/* Stores ent in slot i, found for its key (hashed h) by ntf_table_slot. */
static int store(struct top_snap *s, size_t i, __u64 h, const struct ntf_agg_entry *ent)
{
	bool keep_slots = !top_snap_slots_in_buckets(ent);
	struct top_snap_entry *e;
	__u64 *slots;
	int err;

	if (ntf_table_used(&s->t, i)) {
		e = ntf_table_at(&s->t, i);
	} else {
		e = ntf_table_claim(&s->t, i, h);
		if (!e)
			return -ENOMEM;
		e->key = ntf_agg_key_of(&ent->key);
	}
	slots = e->slots;
	/* the slots' room first, and nothing changed unless the data packs: e stays whole */
	if (keep_slots && !slots && !(slots = malloc(sizeof(ent->hist.slots))))
		return -ENOMEM;
	err = pack_data(s, e, ent);
	if (err) {
		if (slots != e->slots)
			free(slots);
		return err;
	}
	if (keep_slots) {
		memcpy(slots, ent->hist.slots, sizeof(ent->hist.slots));
	} else {
		free(slots); /* the buckets stand for them */
		slots = NULL;
	}
	e->slots = slots;
	return 0;
}

bool top_snap_slots_in_buckets(const struct ntf_agg_entry *ent)
{
	return ntf_buckets_total(&ent->fine) == ent->hist.count;
}

void top_snap_hist(const struct top_snap_entry *e, struct ntf_hist *out)
{
	struct ntf_packed fine = top_snap_fine(e);
	struct ntf_packed_cur c = ntf_packed_walk(&fine);
	struct ntf_hist_counts counts;
	__u32 index;
	__u64 count;

	top_snap_counts(e, &counts, NULL);
	ntf_hist_of_counts(out, &counts);
	if (e->slots) {
		memcpy(out->slots, e->slots, sizeof(out->slots));
		return;
	}
	/* as ntf_buckets_add_to_slots would */
	while (ntf_packed_next(&c, &index, &count))
		out->slots[ntf_bucket_top_slot(index)] += count;
}

struct walk {
	struct top_snap *s;
	const struct ntf_agg *agg;
	top_snap_visit_fn fn;
	void *ctx;
};

static int walk_one(const struct ntf_agg_entry *ent, void *ctx)
{
	struct walk *w = ctx;
	struct top_snap *s = w->s;
	__u64 h;
	size_t i;
	int err;

	if (top_snap_unchanged(s, w->agg, ent))
		return w->fn ? w->fn(ent, NULL, true, w->ctx) : 0;
	h = ntf_agg_hash(&ent->key);
	i = ntf_table_slot(&s->t, h, &ent->key, snap_is);
	if (w->fn) {
		err = w->fn(ent, ntf_table_used(&s->t, i) ? ntf_table_at(&s->t, i) : NULL, false,
			    w->ctx);
		if (err)
			return err;
	}
	return store(s, i, h, ent);
}

/* An entry walk_one finds unchanged needs no buckets: most of them, in an interval. */
static bool brief(const struct ntf_hist_key *key, __u64 gen, void *ctx)
{
	const struct walk *w = ctx;

	(void)key;
	return follows(w->s, w->agg) && gen <= w->s->gen;
}

/* The walk of agg: the entries changed after since, or all of them. */
static int walk(struct walk *w, const struct ntf_agg *agg, __u64 since)
{
	return ntf_agg_foreach_brief(agg, since, brief, walk_one, w);
}

/* Ends a take or a follow: changes from now on get a later generation than what s holds. */
static void ended(struct top_snap *s, struct ntf_agg *agg, bool synced)
{
	s->synced = synced;
	s->agg = agg;
	s->gen = ntf_agg_tick(agg);
}

int top_snap_take(struct top_snap *s, struct ntf_agg *agg, __u64 since)
{
	struct walk w = { .s = s };
	int err;

	/* w.agg NULL: nothing counts as unchanged, every entry visited is stored */
	err = walk(&w, agg, since);
	/* a take that left a gap, or failed half way, says nothing of what s holds */
	ended(s, agg, !err && (!since || (follows(s, agg) && since == s->gen)));
	return err;
}

int top_snap_follow(struct top_snap *s, struct ntf_agg *agg, top_snap_visit_fn fn, void *ctx)
{
	struct walk w = { .s = s, .agg = agg, .fn = fn, .ctx = ctx };
	int err;

	/* without fn, only what changed needs a visit */
	err = walk(&w, agg, !fn && follows(s, agg) ? s->gen : 0);
	ended(s, agg, !err);
	return err;
}

const struct top_snap_entry *top_snap_get(const struct top_snap *s, const struct ntf_hist_key *key)
{
	if (!s->t.count)
		return NULL;
	return ntf_table_find(&s->t, ntf_agg_hash(key), key, snap_is);
}

size_t top_snap_count(const struct top_snap *s)
{
	return s->t.count;
}
