// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#include <errno.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "aggregate.h"
#include "hashtable.h"
#include "histogram.h"
#include "packed.h"
#include "split.h"
#include "stage.h"

/*
 * A process a mirror folded into "other" (ntf_agg_put): what it put there
 * last. Its puts carry its cumulative totals, so each adds only what
 * changed since the one before.
 */
struct folded {
	struct ntf_hist_key key;
	__u64 gen; /* of its last put */
	__u64 origins[NTF_ORIGIN_MAX];
	struct ntf_hist hist;
	struct ntf_buckets fine; /* owned */
};

_Static_assert(sizeof(struct folded) == 560, "aggregate.h's size of a folded process");

/*
 * A key as the aggregate keeps it, laid out for ntf_agg_add, which touches
 * both its lines per event, and two of its stage's (stage_pool): the
 * first 64 bytes hold what it reads first (the key it compares, the name
 * it checks) and the generation, the next the counters. The split buckets
 * are written when the stage settles, or overflows. The hash table keeps
 * entries on 64-byte boundaries.
 */
struct rec {
	struct ntf_agg_key key;
	char comm[NTF_COMM_LEN];
	struct ntf_packed split; /* owned: split fine buckets (core/split.h), packed, and origins */
	/*
	 * The log2 slots, kept (owned) only where the split buckets do not
	 * hold them: counted by the kernel, or put by a sender whose buckets
	 * and slots disagree. NULL otherwise.
	 */
	__u64 *slots;
	__u64 gen;
	struct ntf_hist_counts hist;
};

/*
 * Who holds a stage of the pool, and what an event of its holder needs
 * before the stage itself: eight to a line, found by the key's place in
 * the table as the record is, so the counter's address waits on neither
 * the record nor the stage's first line.
 */
struct stage_place {
	__u32 owner; /* 1 + the table place of the record staged there; 0: none */
	__u16 base; /* its stage's window base, kept equal to it (stage_placed) */
	/*
	 * events of other keys that found the stage taken since its owner's
	 * last (pool_take: a busy owner keeps it)
	 */
	__u8 contest;
	__u8 pad;
};

/*
 * The stages keys with events lately borrow, by their place in the table
 * (kept apart from the records: a stage of byte counters in every record
 * would take 48 MiB at 100,000 keys). A key that finds its stage taken by
 * another gives that one's events to their owner's buckets first. 32,768
 * stages (8 MiB) at most, 16,384 in a compact aggregate, touched only as
 * far as there are keys; the records come in order, so up to that many
 * keys none shares.
 */
struct stage_pool {
	struct ntf_stage *stage; /* NULL until the first event */
	struct stage_place *place; /* by stage */
	__u32 mask; /* stages - 1, a power of two */
};

struct ntf_agg {
	struct ntf_table t; /* struct rec, hashed by ntf_agg_hash */
	size_t max_keys;
	__u64 folded;
	__u64 gen;
	/* struct folded by key, only in a mirror that ran out of keys (cap 0 until then) */
	struct ntf_table fold;
	bool staged; /* entries may have staged events (settle_all) */
	struct stage_pool pool;
	/*
	 * Where a class's last stage window moved: a new process's keys start
	 * there, about the middle of what their class's events spread over,
	 * where their first event may lie at either end.
	 */
	__u16 window[NTF_CLASS_MAX];
	/* the entry handed out last, and its fine buckets' storage */
	struct ntf_agg_entry view;
	struct ntf_buckets view_fine;
	struct ntf_buckets unpacked; /* a record's split buckets, unpacked */
};

/* A record's place in the table, which growing keeps (a filter does not: pool_flush first). */
static __u32 rec_place(const struct ntf_agg *agg, const struct rec *r)
{
	return r - (const struct rec *)agg->t.ent;
}

/*
 * The place of the pool's stage that the record at table place at holds
 * (the stage's index in the pool is the place's); NULL when it holds none.
 */
static inline struct stage_place *held_place(const struct ntf_agg *agg, __u32 at)
{
	struct stage_place *pl;

	if (!agg->pool.place)
		return NULL;
	pl = &agg->pool.place[at & agg->pool.mask];
	return pl->owner == at + 1 ? pl : NULL;
}

/* The pool's stage r holds; NULL when it holds none. */
static struct ntf_stage *stage_of(const struct ntf_agg *agg, struct rec *r)
{
	struct stage_place *pl = held_place(agg, rec_place(agg, r));

	return pl ? &agg->pool.stage[pl - agg->pool.place] : NULL;
}

/* After whatever may move the window of the pool's stage i: its place's copy of the base follows. */
static inline void stage_placed(const struct ntf_agg *agg, __u32 i)
{
	agg->pool.place[i].base = agg->pool.stage[i].base;
}

/*
 * Settles the pool's stage i into r's buckets; its place's copy of the
 * base follows the window wherever the settle put it. 0, or -ENOMEM with
 * the events still staged.
 */
static int settle_into(const struct ntf_agg *agg, struct rec *r, __u32 i)
{
	int err = ntf_stage_settle(&agg->pool.stage[i], &r->split);

	stage_placed(agg, i);
	return err;
}

/*
 * ntf_agg_add stages each event's split bucket and origin (core/stage.h);
 * what hands entries out settles them first. It may do so on a const
 * aggregate: the events are in it already, in a form readers cannot see,
 * and no aggregate is made const (ntf_agg_new allocates them).
 */
static void settle(const struct ntf_agg *agg, struct rec *r, bool *again)
{
	struct ntf_stage *st = stage_of(agg, r);

	if (st && settle_into(agg, r, st - agg->pool.stage))
		*again = true; /* out of memory: they stay staged, for the next time */
}

/* The record holding the pool's stage i (owned). */
static struct rec *pool_owner(const struct ntf_agg *agg, size_t i)
{
	return (struct rec *)(agg->t.ent + (agg->pool.place[i].owner - 1) * agg->t.size);
}

/* Settles every stage of the pool into its record: 0, or -ENOMEM with some still staged. */
static int pool_settle(struct ntf_agg *agg)
{
	const struct stage_pool *pool = &agg->pool;
	int err = 0;

	/* places are taken in order: past the table's count no stage was */
	for (size_t i = 0; pool->stage && i <= pool->mask && i < agg->t.count; i++)
		if (pool->place[i].owner && settle_into(agg, pool_owner(agg, i), i))
			err = -ENOMEM;
	return err;
}

/* Gives every stage back: no record holds one. */
static void pool_forget(struct ntf_agg *agg)
{
	if (agg->pool.stage)
		memset(agg->pool.place, 0, (agg->pool.mask + 1) * sizeof(*agg->pool.place));
}

/* Settles the pool and gives every stage back, before the records move. */
static int pool_flush(struct ntf_agg *agg)
{
	int err = pool_settle(agg);

	if (!err)
		pool_forget(agg);
	return err;
}

/*
 * Events of other keys a stage's owner lets go past it, to their own
 * buckets, before it gives the stage up: a key whose events have stopped
 * soon does; of two busy keys sharing a place, one keeps it, where taking
 * turns would settle the stage into its owner's buckets at every turn.
 */
#define POOL_PATIENCE 16

/*
 * The pool's stage for r, which a new key's first event (index) places,
 * into *stp: taken from its owner, whose events go to its buckets, when
 * another holds it and has had none of its events for POOL_PATIENCE;
 * NULL while that one keeps it. 0, or -ENOMEM.
 */
static __attribute__((noinline)) int pool_take(struct ntf_agg *agg, struct rec *r, __u32 index,
					       struct ntf_stage **stp)
{
	struct stage_pool *pool = &agg->pool;
	__u32 at = rec_place(agg, r), i = at & pool->mask;
	struct stage_place *pl;
	struct ntf_stage *st;

	if (!pool->stage) {
		/* both on line boundaries; the places zeroed, the stages mapped as touched */
		pool->place = aligned_alloc(64, (pool->mask + 1) * sizeof(*pool->place));
		pool->stage = aligned_alloc(64, (pool->mask + 1) * sizeof(*pool->stage));
		if (!pool->place || !pool->stage) {
			free(pool->place);
			free(pool->stage);
			pool->place = NULL;
			pool->stage = NULL;
			return -ENOMEM;
		}
		memset(pool->place, 0, (pool->mask + 1) * sizeof(*pool->place));
	}
	pl = &pool->place[i];
	*stp = st = &pool->stage[i];
	if (pl->owner) {
		if (++pl->contest < POOL_PATIENCE) {
			*stp = NULL;
			return 0;
		}
		if (ntf_stage_release(st, &pool_owner(agg, i)->split))
			return -ENOMEM;
	}
	ntf_stage_start(st, index, agg->window[r->key.class % NTF_CLASS_MAX]);
	pl->owner = at + 1;
	pl->contest = 0;
	stage_placed(agg, i);
	return 0;
}

/*
 * A settled record's fine buckets into fine, and its log2 slots (read from
 * them, when not kept) and origins added to slots and origins: one walk
 * of the packed counters, for whichever of the three is not NULL. 0, or
 * -ENOMEM when fine could not grow.
 */
static int rec_read(const struct rec *r, struct ntf_buckets *fine, __u64 *slots, __u64 *origins)
{
	struct ntf_packed_cur c = ntf_packed_walk(&r->split);
	__u32 index;
	__u64 count;

	if (fine) {
		ntf_buckets_reset(fine);
		if (ntf_buckets_reserve(fine, r->split.n))
			return -ENOMEM;
	}
	if (r->slots && slots) {
		for (unsigned int s = 0; s < NTF_HIST_SLOTS; s++)
			slots[s] += r->slots[s];
		slots = NULL;
	}
	while (ntf_packed_next(&c, &index, &count)) {
		struct ntf_bucket *last;
		__u32 bucket;

		if (!ntf_split_is_bucket(index)) {
			if (origins && index - NTF_STAGE_ORIGIN(0) < NTF_ORIGIN_MAX)
				origins[index - NTF_STAGE_ORIGIN(0)] += count;
			continue;
		}
		if (slots)
			slots[ntf_split_slot(index)] += count;
		if (!fine)
			continue;
		/* a bucket's splits are next to each other */
		bucket = ntf_split_bucket(index);
		last = fine->n ? &fine->b[fine->n - 1] : NULL;
		if (last && last->index == bucket) {
			count += ntf_bucket_count(last);
		} else {
			last = &fine->b[fine->n++];
			last->index = (__u16)bucket;
		}
		ntf_bucket_set_count(last, count);
	}
	return 0;
}

static void rec_hist(const struct rec *r, struct ntf_hist *out)
{
	ntf_hist_of_counts(out, &r->hist);
	rec_read(r, NULL, out->slots, NULL);
}

/* A settled record's entry in agg->view, with its buckets unless brief: it, or NULL when out of memory. */
static const struct ntf_agg_entry *view_of(const struct ntf_agg *cagg, const struct rec *r,
					   bool brief)
{
	struct ntf_agg *agg = (struct ntf_agg *)cagg;
	struct ntf_agg_entry *v = &agg->view;

	ntf_hist_of_counts(&v->hist, &r->hist);
	memset(v->origins, 0, sizeof(v->origins));
	if (brief)
		ntf_buckets_reset(&agg->view_fine);
	else if (rec_read(r, &agg->view_fine, v->hist.slots, v->origins))
		return NULL;
	v->key = ntf_agg_key_hist(&r->key);
	memcpy(v->comm, r->comm, sizeof(v->comm));
	v->fine = agg->view_fine;
	v->gen = r->gen;
	return v;
}

static const struct ntf_agg_entry *view(const struct ntf_agg *agg, const struct rec *r)
{
	return view_of(agg, r, false);
}

/*
 * r := ent but for its generation, in r's storage: its buckets split by
 * its slots, or its slots kept beside them where the two disagree.
 */
static int rec_store(struct ntf_agg *agg, struct rec *r, const struct ntf_agg_entry *ent)
{
	struct ntf_buckets *split = &agg->unpacked;
	struct ntf_stage *st;
	int err;

	r->key = ntf_agg_key_of(&ent->key);
	memcpy(r->comm, ent->comm, sizeof(r->comm));
	ntf_hist_counts_of(&r->hist, &ent->hist);
	st = stage_of(agg, r);
	if (st)
		ntf_stage_reset(st); /* ent is settled: what it staged is in it */
	err = ntf_split_from(split, &ent->fine, ent->hist.slots);
	if (err == -ENOMEM)
		return err;
	/* past every split index, in order */
	if (ntf_buckets_reserve(split, split->n + NTF_ORIGIN_MAX))
		return -ENOMEM;
	for (unsigned int o = 0; o < NTF_ORIGIN_MAX; o++)
		if (ent->origins[o]) {
			split->b[split->n].index = NTF_STAGE_ORIGIN(o);
			ntf_bucket_set_count(&split->b[split->n++], ent->origins[o]);
		}
	if (ntf_packed_pack(&r->split, split))
		return -ENOMEM;
	if (!err) {
		free(r->slots);
		r->slots = NULL;
		return 0;
	}
	if (!r->slots && !(r->slots = malloc(sizeof(ent->hist.slots))))
		return -ENOMEM;
	memcpy(r->slots, ent->hist.slots, sizeof(ent->hist.slots));
	return 0;
}

/*
 * Keeps r's slots apart from its buckets from now on (for what comes with
 * slots and buckets apart, as the kernel's histograms): 0 or -ENOMEM.
 */
static int keep_slots(const struct ntf_agg *agg, struct rec *r)
{
	__u64 *slots;
	bool again = false;

	if (r->slots)
		return 0;
	settle(agg, r, &again);
	if (again || !(slots = calloc(NTF_HIST_SLOTS, sizeof(*slots))))
		return -ENOMEM;
	rec_read(r, NULL, slots, NULL); /* read from the buckets, then kept */
	r->slots = slots;
	return 0;
}

static void rec_free(struct rec *r)
{
	ntf_packed_free(&r->split);
	free(r->slots);
	r->slots = NULL;
}

static void settle_all(const struct ntf_agg *cagg)
{
	struct ntf_agg *agg = (struct ntf_agg *)cagg;

	if (agg->staged)
		agg->staged = pool_settle(agg) != 0;
}

/* What a key is compared and hashed by (ntf_agg_key_eq): as three scalars. */
static inline __u64 hash_of(__u32 cls, __u32 callback, __u32 tgid)
{
	__u64 h = ((__u64)cls << 56) ^ ((__u64)callback << 32) ^ tgid;

	/* splitmix64 finaliser: cheap and spreads sequential pids well */
	h ^= h >> 30;
	h *= 0xbf58476d1ce4e5b9ULL;
	h ^= h >> 27;
	h *= 0x94d049bb133111ebULL;
	h ^= h >> 31;
	return h;
}

__u64 ntf_agg_hash(const struct ntf_hist_key *k)
{
	return hash_of(k->class, k->callback, k->tgid);
}

static bool entry_is(const void *entry, const void *key)
{
	const struct rec *r = entry;

	return ntf_agg_key_is(&r->key, key);
}

static struct ntf_agg *agg_new(size_t max_keys, __u32 stages)
{
	struct ntf_agg *agg = calloc(1, sizeof(*agg));

	if (!agg)
		return NULL;
	agg->gen = 1;
	agg->max_keys = max_keys ? max_keys : 65536;
	/* no more stages than keys may come (the "other" keys aside) */
	while (stages > 64 && stages / 2 >= agg->max_keys)
		stages /= 2;
	agg->pool.mask = stages - 1;
	if (ntf_table_init(&agg->t, sizeof(struct rec))) {
		free(agg);
		return NULL;
	}
	return agg;
}

struct ntf_agg *ntf_agg_new(size_t max_keys)
{
	return agg_new(max_keys, 32768);
}

struct ntf_agg *ntf_agg_new_compact(size_t max_keys)
{
	return agg_new(max_keys, 16384);
}

static void free_recs(struct ntf_table *t)
{
	for (size_t i = 0; i < t->cap; i++)
		if (ntf_table_used(t, i))
			rec_free(ntf_table_at(t, i));
}

static void free_folded(struct ntf_table *t)
{
	for (size_t i = 0; i < t->cap; i++)
		if (ntf_table_used(t, i))
			ntf_buckets_free(&((struct folded *)ntf_table_at(t, i))->fine);
}

void ntf_agg_free(struct ntf_agg *agg)
{
	if (!agg)
		return;
	free_recs(&agg->t);
	free_folded(&agg->fold);
	ntf_buckets_free(&agg->view_fine);
	ntf_buckets_free(&agg->unpacked);
	free(agg->pool.stage);
	free(agg->pool.place);
	ntf_table_fini(&agg->t);
	ntf_table_fini(&agg->fold);
	free(agg);
}

static struct rec *find(const struct ntf_agg *agg, const struct ntf_hist_key *key)
{
	return ntf_table_find(&agg->t, ntf_agg_hash(key), key, entry_is);
}

static struct rec *lookup_or_insert(struct ntf_agg *agg, struct ntf_hist_key key)
{
	__u64 h = ntf_agg_hash(&key);
	size_t i = ntf_table_slot(&agg->t, h, &key, entry_is);
	struct rec *ent;

	if (ntf_table_used(&agg->t, i))
		return ntf_table_at(&agg->t, i);
	if (agg->t.count >= agg->max_keys && key.tgid != NTF_AGG_OTHER_TGID) {
		agg->folded++;
		key.tgid = NTF_AGG_OTHER_TGID;
		return lookup_or_insert(agg, key);
	}
	ent = ntf_table_claim(&agg->t, i, h);
	if (ent)
		ent->key = ntf_agg_key_of(&key);
	return ent;
}

/*
 * ntf_agg_add's lookup, by struct ntf_agg_key: a struct ntf_hist_key
 * built on the stack and read back whole is written in pieces the CPU
 * cannot forward to the wider reads, which then wait for every store
 * before them, the last event's cache misses included.
 */
static bool entry_is_event(const void *entry, const void *key)
{
	const struct rec *a = entry;
	const struct ntf_agg_key *b = key;

	return a->key.class == b->class && a->key.callback == b->callback && a->key.tgid == b->tgid;
}

static __attribute__((noinline)) struct rec *insert_event(struct ntf_agg *agg,
							  const struct ntf_event *e)
{
	struct ntf_hist_key key = { .class = e->class, .callback = e->callback, .tgid = e->tgid };

	return lookup_or_insert(agg, key);
}

_Static_assert(offsetof(struct rec, hist) == 64, "what a lookup reads fills one line");
_Static_assert(sizeof(struct rec) == 128, "a key's 128 bytes, as aggregate.h says");

/*
 * Counts an event at once in r's buckets (and its slots, when kept apart),
 * without a stage: for a key whose slots are kept apart, or whose stage
 * another holds.
 */
static __attribute__((noinline)) int add_unstaged(struct ntf_agg *agg, struct rec *r,
						  const struct ntf_event *e, __u32 index,
						  unsigned int slot)
{
	if (e->origin < NTF_ORIGIN_MAX && ntf_packed_add(&r->split, NTF_STAGE_ORIGIN(e->origin), 1))
		return -ENOMEM;
	if (ntf_packed_add(&r->split, index, 1))
		return -ENOMEM;
	if (r->slots)
		r->slots[slot]++;
	r->gen = agg->gen;
	ntf_hist_counts_count_event(&r->hist, e);
	return 0;
}

int ntf_agg_add(struct ntf_agg *agg, const struct ntf_event *e)
{
	struct ntf_agg_key key = { .class = e->class, .callback = e->callback, .tgid = e->tgid };
	/* before the lookup, whose cache misses it then overlaps */
	unsigned int slot = ntf_hist_slot(e->latency_ns);
	__u32 index = ntf_split_index(ntf_bucket_of(e->latency_ns), slot);
	int moved;
	__u32 at;
	struct stage_place *pl;
	struct ntf_stage *st;
	struct rec *ent = ntf_table_find(&agg->t, hash_of(key.class, key.callback, key.tgid), &key,
					 entry_is_event);

	if (!ent) {
		if (!(ent = insert_event(agg, e)))
			return -ENOMEM;
	}
	if (!ent->comm[0])
		snprintf(ent->comm, sizeof(ent->comm), "%s",
			 ent->key.tgid == e->tgid ? e->comm : "[other]");
	if (__builtin_expect(ent->slots != NULL, 0))
		return add_unstaged(agg, ent, e, index, slot);
	at = rec_place(agg, ent);
	/* the place, by the key's place in the table: the stage's address and base without the record */
	pl = held_place(agg, at);
	if (__builtin_expect(!pl, 0)) {
		if (pool_take(agg, ent, index, &st))
			return -ENOMEM;
		if (!st)
			return add_unstaged(agg, ent, e, index, slot);
		pl = &agg->pool.place[at & agg->pool.mask];
	} else {
		st = &agg->pool.stage[at & agg->pool.mask];
	}
	pl->contest = 0;
	/* an origin's byte about to wrap goes to the buckets first, so that nothing is half counted */
	if (e->origin < NTF_ORIGIN_MAX && st->origins[e->origin] == 0xffff) {
		if (ntf_packed_add(&ent->split, NTF_STAGE_ORIGIN(e->origin), 0xffff))
			return -ENOMEM;
		st->origins[e->origin] = 0;
	}
	moved = ntf_stage_add_from(st, &ent->split, index, pl->base);
	if (moved < 0)
		return -ENOMEM;
	if (moved) {
		agg->window[e->class % NTF_CLASS_MAX] = st->base;
		pl->base = st->base;
	}
	agg->staged = true;
	ent->gen = agg->gen;
	ntf_hist_counts_count_event(&ent->hist, e);
	/* ntf_stage_add_from set staged */
	if (e->origin < NTF_ORIGIN_MAX)
		st->origins[e->origin]++;
	return 0;
}

/* The entry of a key BPF made: its origin is counted in the entry, not keyed. */
static struct rec *entry_of_bpf_key(struct ntf_agg *agg, const struct ntf_hist_key *key)
{
	struct ntf_hist_key k = *key;

	k.origin = 0;
	k.cgroup_id = 0;
	k.blockable = 0;
	return lookup_or_insert(agg, k);
}

int ntf_agg_add_hist(struct ntf_agg *agg, const struct ntf_hist_key *key, const struct ntf_hist *h,
		     const char *comm)
{
	struct rec *ent = entry_of_bpf_key(agg, key);
	struct ntf_hist sum;

	if (!ent || keep_slots(agg, ent))
		return -ENOMEM;
	rec_hist(ent, &sum);
	ntf_hist_merge(&sum, h);
	ntf_hist_counts_of(&ent->hist, &sum);
	memcpy(ent->slots, sum.slots, sizeof(sum.slots));
	if (key->origin < NTF_ORIGIN_MAX && h->count &&
	    ntf_packed_add(&ent->split, NTF_STAGE_ORIGIN(key->origin), h->count))
		return -ENOMEM;
	ent->gen = agg->gen;
	if (comm && !ent->comm[0])
		snprintf(ent->comm, sizeof(ent->comm), "%s", comm);
	return 0;
}

static bool folded_is(const void *entry, const void *key)
{
	return ntf_agg_key_eq(&((const struct folded *)entry)->key, key);
}

static struct folded *find_folded(const struct ntf_agg *agg, const struct ntf_hist_key *key)
{
	if (!agg->fold.count)
		return NULL;
	return ntf_table_find(&agg->fold, ntf_agg_hash(key), key, folded_is);
}

/* dst += now - before, for every counter; wraps right when now < before. */
static void hist_move(struct ntf_hist *dst, const struct ntf_hist *before,
		      const struct ntf_hist *now)
{
	dst->count += now->count - before->count;
	dst->sum_ns += now->sum_ns - before->sum_ns;
	dst->failures += now->failures - before->failures;
	dst->pages += now->pages - before->pages;
	dst->nested += now->nested - before->nested;
	dst->nonblock += now->nonblock - before->nonblock;
	for (int i = 0; i < NTF_HIST_SLOTS; i++)
		dst->slots[i] += now->slots[i] - before->slots[i];
	/* a max or min cannot be taken back out: "other"'s are the extremes put */
	if (now->max_ns > dst->max_ns)
		dst->max_ns = now->max_ns;
	if (now->count && (dst->count == now->count - before->count || now->min_ns < dst->min_ns))
		dst->min_ns = now->min_ns;
}

static void origins_move(__u64 *dst, const __u64 *before, const __u64 *now)
{
	for (int o = 0; o < NTF_ORIGIN_MAX; o++)
		dst[o] += now[o] - before[o];
}

/*
 * An "other" key as an entry in agg->view, to be changed and stored back
 * (rec_store): it, or NULL when out of memory.
 */
static struct ntf_agg_entry *other_view(struct ntf_agg *agg, struct rec *other)
{
	bool again = false;

	settle(agg, other, &again);
	return again || !view(agg, other) ? NULL : &agg->view;
}

/*
 * ent's process goes into its "other" key with its current totals: what it
 * put there before is replaced, as a put of a key of its own replaces.
 */
static int put_folded(struct ntf_agg *agg, const struct ntf_agg_entry *ent)
{
	struct ntf_hist_key okey = ent->key;
	struct ntf_agg_entry *o;
	struct rec *other;
	struct folded *f;
	__u64 h = ntf_agg_hash(&ent->key);
	size_t i;

	if (!agg->fold.cap && ntf_table_init(&agg->fold, sizeof(*f)))
		return -ENOMEM;
	okey.tgid = NTF_AGG_OTHER_TGID;
	other = lookup_or_insert(agg, okey);
	if (!other)
		return -ENOMEM;
	i = ntf_table_slot(&agg->fold, h, &ent->key, folded_is);
	if (ntf_table_used(&agg->fold, i)) {
		f = ntf_table_at(&agg->fold, i);
	} else {
		f = ntf_table_claim(&agg->fold, i, h);
		if (!f)
			return -ENOMEM;
		f->key = ent->key;
	}
	if (!(o = other_view(agg, other)))
		return -ENOMEM;
	/* out of memory, other's buckets are left part-way: the mirror is given up then */
	if (ntf_buckets_merge(&agg->view_fine, &ent->fine))
		return -ENOMEM;
	ntf_buckets_sub(&agg->view_fine, &f->fine);
	o->fine = agg->view_fine;
	if (ntf_buckets_copy(&f->fine, &ent->fine))
		return -ENOMEM;
	hist_move(&o->hist, &f->hist, &ent->hist);
	origins_move(o->origins, f->origins, ent->origins);
	if (!o->comm[0])
		snprintf(o->comm, sizeof(o->comm), "[other]");
	if (rec_store(agg, other, o))
		return -ENOMEM;
	if (ent->key.tgid != NTF_AGG_OTHER_TGID && ent->hist.count > f->hist.count)
		agg->folded += ent->hist.count - f->hist.count;
	f->hist = ent->hist;
	memcpy(f->origins, ent->origins, sizeof(f->origins));
	f->gen = agg->gen;
	other->gen = agg->gen;
	return 0;
}

int ntf_agg_put(struct ntf_agg *agg, const struct ntf_agg_entry *ent)
{
	struct rec *slot;
	__u64 h;
	size_t i;

	/*
	 * The sender's own "other" keys are processes folded already, and a
	 * process folded once stays so: its totals are in "other".
	 */
	if (ent->key.tgid == NTF_AGG_OTHER_TGID || find_folded(agg, &ent->key))
		return put_folded(agg, ent);
	h = ntf_agg_hash(&ent->key);
	i = ntf_table_slot(&agg->t, h, &ent->key, entry_is);
	if (ntf_table_used(&agg->t, i)) {
		slot = ntf_table_at(&agg->t, i);
	} else {
		if (agg->t.count >= agg->max_keys)
			return put_folded(agg, ent);
		slot = ntf_table_claim(&agg->t, i, h);
		if (!slot)
			return -ENOMEM;
	}
	/* in the slot's own storage: a put a key at a time allocates only to grow */
	slot->gen = agg->gen;
	return rec_store(agg, slot, ent);
}

struct prune {
	struct ntf_agg *agg;
	__u64 since;
	int err;
};

/*
 * A folded process no put stamped after since leaves its "other" key, and
 * takes its share along, unless "other" goes too.
 */
static bool keep_folded(void *entry, void *ctx)
{
	struct prune *p = ctx;
	struct folded *f = entry;
	struct ntf_hist_key okey = f->key;
	struct ntf_agg_entry *o;
	struct rec *other;
	static const struct folded none;

	if (f->gen > p->since)
		return true;
	okey.tgid = NTF_AGG_OTHER_TGID;
	other = find(p->agg, &okey);
	if (other && other->gen > p->since) {
		if (!(o = other_view(p->agg, other))) {
			p->err = -ENOMEM;
			return true;
		}
		hist_move(&o->hist, &f->hist, &none.hist);
		origins_move(o->origins, f->origins, none.origins);
		ntf_buckets_sub(&p->agg->view_fine, &f->fine);
		o->fine = p->agg->view_fine;
		if (rec_store(p->agg, other, o)) {
			p->err = -ENOMEM;
			return true;
		}
		other->gen = p->agg->gen;
	}
	ntf_buckets_free(&f->fine);
	return false;
}

static bool keep_entry(void *entry, void *ctx)
{
	struct rec *ent = entry;

	if (ent->gen > ((struct prune *)ctx)->since)
		return true;
	rec_free(ent);
	return false;
}

/*
 * Sets every "other" key's max and min to the extremes of its processes':
 * after a prune, which cannot take them back out, or a restarted sender's
 * snapshot, whose extremes moved.
 */
static void other_max(struct ntf_agg *agg)
{
	for (size_t i = 0; i < agg->t.cap; i++) {
		struct rec *ent = ntf_table_at(&agg->t, i);

		if (ntf_table_used(&agg->t, i) && ent->key.tgid == NTF_AGG_OTHER_TGID) {
			ent->hist.max_ns = 0;
			ent->hist.min_ns = ~0ULL;
		}
	}
	for (size_t i = 0; i < agg->fold.cap; i++) {
		const struct folded *f = ntf_table_at(&agg->fold, i);
		struct ntf_hist_key okey;
		struct rec *other;

		if (!ntf_table_used(&agg->fold, i))
			continue;
		okey = f->key;
		okey.tgid = NTF_AGG_OTHER_TGID;
		other = find(agg, &okey);
		if (!other)
			continue;
		if (other->hist.max_ns < f->hist.max_ns)
			other->hist.max_ns = f->hist.max_ns;
		if (f->hist.count && other->hist.min_ns > f->hist.min_ns)
			other->hist.min_ns = f->hist.min_ns;
	}
	for (size_t i = 0; i < agg->t.cap; i++) {
		struct rec *ent = ntf_table_at(&agg->t, i);

		if (ntf_table_used(&agg->t, i) && ent->hist.min_ns == ~0ULL)
			ent->hist.min_ns = 0;
	}
}

/* Whether table t of entries with gen at offset off has any stamped at or before since. */
static bool any_stale(const struct ntf_table *t, size_t off, __u64 since)
{
	for (size_t i = 0; i < t->cap; i++)
		if (ntf_table_used(t, i) &&
		    *(const __u64 *)((const char *)ntf_table_at(t, i) + off) <= since)
			return true;
	return false;
}

int ntf_agg_prune(struct ntf_agg *agg, __u64 since)
{
	struct prune p = { .agg = agg, .since = since };
	int err;

	if (agg->fold.count && any_stale(&agg->fold, offsetof(struct folded, gen), since)) {
		err = ntf_table_filter(&agg->fold, keep_folded, &p);
		if (err || p.err)
			return err ? err : p.err;
	}
	if (agg->fold.count)
		other_max(agg);
	if (!any_stale(&agg->t, offsetof(struct rec, gen), since))
		return 0;
	/* the pool's stages are held by place, which a filter changes */
	err = pool_flush(agg);
	if (err)
		return err;
	return ntf_table_filter(&agg->t, keep_entry, &p);
}

void ntf_agg_prefetch(const struct ntf_agg *agg, const struct ntf_hist_key *key)
{
	ntf_table_prefetch(&agg->t, ntf_agg_hash(key));
}

const struct ntf_agg_entry *ntf_agg_get(const struct ntf_agg *agg, const struct ntf_hist_key *key)
{
	struct rec *ent = find(agg, key);
	bool again = false;

	if (!ent)
		return NULL;
	/* out of memory, it stays staged, and agg->staged says so */
	settle(agg, ent, &again);
	return view(agg, ent);
}

__u64 ntf_agg_tick(struct ntf_agg *agg)
{
	return agg->gen++;
}

__u64 ntf_agg_gen(const struct ntf_agg *agg)
{
	return agg->gen;
}

int ntf_agg_foreach_brief(const struct ntf_agg *agg, __u64 since, ntf_agg_brief_fn brief,
			  ntf_agg_visit_fn fn, void *ctx)
{
	settle_all(agg);
	for (size_t i = 0; i < agg->t.cap; i++) {
		const struct rec *ent = ntf_table_at(&agg->t, i);
		const struct ntf_agg_entry *v;
		struct ntf_hist_key key;
		int err;

		if (!ntf_table_used(&agg->t, i) || ent->gen <= since)
			continue;
		key = ntf_agg_key_hist(&ent->key);
		if (!(v = view_of(agg, ent, brief && brief(&key, ent->gen, ctx))))
			return -ENOMEM;
		err = fn(v, ctx);
		if (err)
			return err;
	}
	return 0;
}

int ntf_agg_foreach_since(const struct ntf_agg *agg, __u64 since, ntf_agg_visit_fn fn, void *ctx)
{
	return ntf_agg_foreach_brief(agg, since, NULL, fn, ctx);
}

size_t ntf_agg_count(const struct ntf_agg *agg)
{
	return agg->t.count;
}

__u64 ntf_agg_folded(const struct ntf_agg *agg)
{
	return agg->folded;
}

int ntf_agg_foreach(const struct ntf_agg *agg, ntf_agg_visit_fn fn, void *ctx)
{
	return ntf_agg_foreach_since(agg, 0, fn, ctx);
}

void ntf_agg_class_total(const struct ntf_agg *agg, unsigned int class, struct ntf_hist *out)
{
	struct ntf_hist h;

	memset(out, 0, sizeof(*out));
	settle_all(agg);
	for (size_t i = 0; i < agg->t.cap; i++) {
		const struct rec *ent = ntf_table_at(&agg->t, i);

		if (!ntf_table_used(&agg->t, i) || ent->key.class != class)
			continue;
		rec_hist(ent, &h);
		ntf_hist_merge(out, &h);
	}
}

int ntf_agg_add_bucket(struct ntf_agg *agg, const struct ntf_hist_key *key, __u32 bucket, __u64 n)
{
	struct rec *ent = entry_of_bpf_key(agg, key);

	/* the kernel counts the slots apart: they are kept so */
	if (!ent || keep_slots(agg, ent))
		return -ENOMEM;
	ent->gen = agg->gen; /* a change like any other: a walk since a generation sees it */
	return ntf_packed_add(&ent->split, ntf_split_lowest(bucket), n);
}

double ntf_agg_quantile(const struct ntf_agg_entry *ent, double p)
{
	if (ntf_buckets_cover(&ent->fine, ent->hist.count))
		return ntf_buckets_quantile(&ent->fine, p, ent->hist.min_ns, ent->hist.max_ns);
	return (double)ntf_hist_quantile(&ent->hist, p);
}

int ntf_agg_fine(const struct ntf_agg *agg, unsigned int class, __u32 callback,
		 struct ntf_buckets *out)
{
	struct ntf_buckets *fine = &((struct ntf_agg *)agg)->view_fine;

	ntf_buckets_reset(out);
	settle_all(agg);
	for (size_t i = 0; i < agg->t.cap; i++) {
		const struct rec *ent = ntf_table_at(&agg->t, i);

		if (!ntf_table_used(&agg->t, i) || ent->key.class != class ||
		    (callback != NTF_AGG_ANY_CALLBACK && ent->key.callback != callback))
			continue;
		if (rec_read(ent, fine, NULL, NULL) || ntf_buckets_merge(out, fine))
			return -ENOMEM;
	}
	return 0;
}

void ntf_agg_origins(const struct ntf_agg *agg, unsigned int class, __u32 callback,
		     __u64 out[NTF_ORIGIN_MAX])
{
	memset(out, 0, NTF_ORIGIN_MAX * sizeof(*out));
	settle_all(agg);
	for (size_t i = 0; i < agg->t.cap; i++) {
		const struct rec *ent = ntf_table_at(&agg->t, i);

		if (!ntf_table_used(&agg->t, i) || ent->key.class != class ||
		    (callback != NTF_AGG_ANY_CALLBACK && ent->key.callback != callback))
			continue;
		rec_read(ent, NULL, NULL, out);
	}
}

void ntf_agg_reset(struct ntf_agg *agg)
{
	free_recs(&agg->t);
	ntf_table_clear(&agg->t);
	pool_forget(agg);
	agg->staged = false;
	agg->folded = 0;
	if (agg->fold.cap) {
		free_folded(&agg->fold);
		ntf_table_clear(&agg->fold);
	}
}
