// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include "top_snap.h"

/*
 * Open addressing hashed as the aggregate is (ntf_agg_hash), entries in
 * the slots, grown by the aggregate's rule: a walk of the aggregate finds
 * its keys here in about the same order, so lookups stream through memory
 * instead of jumping about it (at 70,000 keys, that is most of the cost).
 */
struct top_snap {
	struct top_snap_entry *slots;
	unsigned char *used;
	size_t n, cap;
	const struct ntf_agg *agg; /* of the last take */
	__u64 gen; /* the generation the last take ended */
	bool synced; /* every take since a full one continued the one before */
};

static bool key_eq(const struct ntf_hist_key *a, const struct ntf_hist_key *b)
{
	return a->class == b->class && a->subscriber == b->subscriber && a->tgid == b->tgid;
}

struct top_snap *top_snap_new(void)
{
	return calloc(1, sizeof(struct top_snap));
}

void top_snap_free(struct top_snap *s)
{
	if (!s)
		return;
	free(s->slots);
	free(s->used);
	free(s);
}

/* The slot that holds key, or the free one where it would go. */
static size_t find_slot(const struct top_snap *s, const struct ntf_hist_key *key)
{
	size_t mask = s->cap - 1, i = ntf_agg_hash(key) & mask;

	while (s->used[i] && !key_eq(&s->slots[i].key, key))
		i = (i + 1) & mask;
	return i;
}

/* As the aggregate grows: from 64, doubled past 3/4 full. */
static int grow(struct top_snap *s)
{
	struct top_snap old = *s;

	s->cap = old.cap ? old.cap * 2 : 64;
	s->slots = malloc(s->cap * sizeof(*s->slots));
	s->used = calloc(s->cap, 1);
	if (!s->slots || !s->used) {
		free(s->slots);
		free(s->used);
		*s = old;
		return -ENOMEM;
	}
	for (size_t i = 0; i < old.cap; i++) {
		size_t j;

		if (!old.used[i])
			continue;
		j = find_slot(s, &old.slots[i].key);
		s->slots[j] = old.slots[i];
		s->used[j] = 1;
	}
	free(old.slots);
	free(old.used);
	return 0;
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

/* Stores ent in slot i, found for its key by find_slot. */
static int store(struct top_snap *s, size_t i, const struct ntf_agg_entry *ent)
{
	if (!s->used[i]) {
		if ((s->n + 1) * 4 > s->cap * 3) {
			if (grow(s))
				return -ENOMEM;
			i = find_slot(s, &ent->key);
		}
		s->used[i] = 1;
		s->n++;
		s->slots[i].key = ent->key;
	}
	s->slots[i].hist = ent->hist;
	s->slots[i].reclaim = top_reclaim_unmaps(ent);
	return 0;
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
	size_t i;
	int err;

	if (top_snap_unchanged(s, w->agg, ent))
		return w->fn ? w->fn(ent, NULL, true, w->ctx) : 0;
	if (!s->cap && grow(s))
		return -ENOMEM;
	i = find_slot(s, &ent->key);
	if (w->fn) {
		err = w->fn(ent, s->used[i] ? &s->slots[i] : NULL, false, w->ctx);
		if (err)
			return err;
	}
	return store(s, i, ent);
}

/* The walk of agg: the entries changed after since, or all of them. */
static int walk(struct walk *w, const struct ntf_agg *agg, __u64 since)
{
	return since ? ntf_agg_foreach_since(agg, since, walk_one, w) :
		       ntf_agg_foreach(agg, walk_one, w);
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
	size_t i;

	if (!s->n)
		return NULL;
	i = find_slot(s, key);
	return s->used[i] ? &s->slots[i] : NULL;
}

size_t top_snap_count(const struct top_snap *s)
{
	return s->n;
}
