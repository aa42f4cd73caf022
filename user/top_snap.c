// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include "top_snap.h"

/* Entries in a dense array; an index of slots (entry + 1, 0 free) at most half full. */
struct top_snap {
	struct top_snap_entry *ents;
	size_t n, cap;
	__u32 *slots;
	size_t nslots;
};

static __u64 key_hash(const struct ntf_hist_key *k)
{
	__u64 h = ((__u64)k->class << 56) ^ ((__u64)k->subscriber << 32) ^ k->tgid;

	h ^= h >> 33;
	h *= 0xff51afd7ed558ccdULL;
	h ^= h >> 33;
	return h;
}

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
	free(s->ents);
	free(s->slots);
	free(s);
}

/* The slot that holds key, or the free one where it would go. */
static size_t find_slot(const struct top_snap *s, const struct ntf_hist_key *key)
{
	size_t mask = s->nslots - 1, i = key_hash(key) & mask;

	while (s->slots[i] && !key_eq(&s->ents[s->slots[i] - 1].key, key))
		i = (i + 1) & mask;
	return i;
}

static int grow(struct top_snap *s)
{
	size_t cap = s->cap ? s->cap * 2 : 256;
	struct top_snap_entry *ents = realloc(s->ents, cap * sizeof(*ents));
	__u32 *slots;

	if (!ents)
		return -ENOMEM;
	s->ents = ents;
	slots = calloc(2 * cap, sizeof(*slots));
	if (!slots)
		return -ENOMEM;
	free(s->slots);
	s->slots = slots;
	s->nslots = 2 * cap;
	s->cap = cap;
	for (size_t i = 0; i < s->n; i++)
		s->slots[find_slot(s, &s->ents[i].key)] = i + 1;
	return 0;
}

__u64 top_reclaim_unmaps(const struct ntf_agg_entry *e)
{
	if (e->key.class != NTF_CLASS_UNMAP)
		return 0;
	return e->origins[NTF_ORIGIN_KSWAPD] + e->origins[NTF_ORIGIN_DIRECT_RECLAIM];
}

static int take_one(const struct ntf_agg_entry *ent, void *ctx)
{
	struct top_snap *s = ctx;
	struct top_snap_entry *e;
	size_t i;

	if (s->n == s->cap && grow(s))
		return -ENOMEM;
	i = find_slot(s, &ent->key);
	if (!s->slots[i]) {
		s->slots[i] = ++s->n;
		s->ents[s->n - 1].key = ent->key;
	}
	e = &s->ents[s->slots[i] - 1];
	e->hist = ent->hist;
	e->reclaim = top_reclaim_unmaps(ent);
	return 0;
}

int top_snap_take(struct top_snap *s, const struct ntf_agg *agg, __u64 since)
{
	return since ? ntf_agg_foreach_since(agg, since, take_one, s) :
		       ntf_agg_foreach(agg, take_one, s);
}

const struct top_snap_entry *top_snap_get(const struct top_snap *s, const struct ntf_hist_key *key)
{
	size_t i;

	if (!s->n)
		return NULL;
	i = find_slot(s, key);
	return s->slots[i] ? &s->ents[s->slots[i] - 1] : NULL;
}

size_t top_snap_count(const struct top_snap *s)
{
	return s->n;
}
