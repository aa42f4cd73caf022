// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include "hashtable.h"

#define MIN_CAP 64

/* Entries a table of cap slots holds before it grows: half, where probes stay short. */
static size_t room(size_t cap)
{
	return cap / 2;
}

static int alloc(struct ntf_table *t, size_t cap)
{
	t->slot = calloc(cap, sizeof(*t->slot));
	t->hash = malloc(room(cap) * sizeof(*t->hash));
	/*
	 * Entries are zeroed when claimed, and only the pages they fill are
	 * touched: a table costs its slots and its entries. On a line
	 * boundary (the room is a power of two from 32, so the size is a
	 * multiple of 64 for entries of an even size): entries whose size is
	 * a multiple of 64 then start on a line.
	 */
	t->ent = aligned_alloc(64, room(cap) * t->size);
	if (!t->slot || !t->hash || !t->ent) {
		free(t->slot);
		free(t->hash);
		free(t->ent);
		return -ENOMEM;
	}
	t->cap = cap;
	return 0;
}

int ntf_table_init(struct ntf_table *t, size_t size)
{
	memset(t, 0, sizeof(*t));
	t->size = size;
	return alloc(t, MIN_CAP);
}

void ntf_table_fini(struct ntf_table *t)
{
	free(t->slot);
	free(t->hash);
	free(t->ent);
	memset(t, 0, sizeof(*t));
}

void ntf_table_clear(struct ntf_table *t)
{
	memset(t->slot, 0, t->cap * sizeof(*t->slot));
	t->count = 0;
}

/* The first free slot from h's: where an entry known absent goes. */
static size_t free_slot(const struct ntf_table *t, __u64 h)
{
	size_t mask = t->cap - 1, i = h & mask;

	while (t->slot[i])
		i = (i + 1) & mask;
	return i;
}

/* Takes free slot i for the next entry, hashed h: the entry, not yet written. */
static void *take(struct ntf_table *t, size_t i, __u64 h)
{
	t->slot[i] = ntf_table_word(h, t->count);
	t->hash[t->count] = h;
	return t->ent + t->count++ * t->size;
}

/* Moves every entry of old that keep keeps (all with keep NULL) into t, allocated empty. */
static void move_from(struct ntf_table *t, const struct ntf_table *old, ntf_table_keep_fn keep,
		      void *ctx)
{
	t->count = 0;
	for (size_t at = 0; at < old->count; at++) {
		void *e = old->ent + at * old->size;

		if (keep && !keep(e, ctx))
			continue;
		memcpy(take(t, free_slot(t, old->hash[at]), old->hash[at]), e, t->size);
	}
}

/* Rehashes into cap slots, keeping what keep keeps. */
static int rebuild(struct ntf_table *t, size_t cap, ntf_table_keep_fn keep, void *ctx)
{
	struct ntf_table old = *t;

	if (alloc(t, cap)) {
		*t = old;
		return -ENOMEM;
	}
	move_from(t, &old, keep, ctx);
	free(old.slot);
	free(old.hash);
	free(old.ent);
	return 0;
}

int ntf_table_reserve(struct ntf_table *t, size_t n)
{
	size_t cap = t->cap;

	while (n > room(cap))
		cap *= 2;
	return cap == t->cap ? 0 : rebuild(t, cap, NULL, NULL);
}

void *ntf_table_claim(struct ntf_table *t, size_t i, __u64 h)
{
	void *e;

	if (t->count + 1 > room(t->cap)) {
		if (rebuild(t, t->cap * 2, NULL, NULL))
			return NULL;
		i = free_slot(t, h);
	}
	e = take(t, i, h);
	memset(e, 0, t->size);
	return e;
}

int ntf_table_filter(struct ntf_table *t, ntf_table_keep_fn keep, void *ctx)
{
	return rebuild(t, t->cap, keep, ctx);
}
