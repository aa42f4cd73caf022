// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include "hashtable.h"

#define MIN_CAP 64

/* At most 3/4 full: probes stay short at the load the aggregate runs. */
static bool fits(size_t n, size_t cap)
{
	return n * 4 <= cap * 3;
}

static int alloc(struct ntf_table *t, size_t cap)
{
	t->hash = calloc(cap, sizeof(*t->hash));
	/*
	 * entries are zeroed when claimed: a new table costs only its hashes.
	 * On a line boundary (cap is a power of two from 64, so the size is a
	 * multiple of 64): entries whose size is one then start on a line.
	 */
	t->ent = aligned_alloc(64, cap * t->size);
	if (!t->hash || !t->ent) {
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
	free(t->hash);
	free(t->ent);
	memset(t, 0, sizeof(*t));
}

void ntf_table_clear(struct ntf_table *t)
{
	memset(t->hash, 0, t->cap * sizeof(*t->hash));
	t->count = 0;
}

/* The first free slot from h's: where an entry known absent goes. */
static size_t free_slot(const struct ntf_table *t, __u64 h)
{
	size_t mask = t->cap - 1, i = h & mask;

	while (t->hash[i])
		i = (i + 1) & mask;
	return i;
}

/* Moves every entry of old that keep keeps (all with keep NULL) into t, allocated empty. */
static void move_from(struct ntf_table *t, const struct ntf_table *old, ntf_table_keep_fn keep,
		      void *ctx)
{
	t->count = 0;
	for (size_t i = 0; i < old->cap; i++) {
		size_t j;

		if (!old->hash[i] || (keep && !keep(ntf_table_at(old, i), ctx)))
			continue;
		j = free_slot(t, old->hash[i]);
		t->hash[j] = old->hash[i];
		memcpy(ntf_table_at(t, j), ntf_table_at(old, i), t->size);
		t->count++;
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
	free(old.hash);
	free(old.ent);
	return 0;
}

int ntf_table_reserve(struct ntf_table *t, size_t n)
{
	size_t cap = t->cap;

	while (!fits(n, cap))
		cap *= 2;
	return cap == t->cap ? 0 : rebuild(t, cap, NULL, NULL);
}

void *ntf_table_claim(struct ntf_table *t, size_t i, __u64 h)
{
	void *e;

	h = ntf_table_tag(h);
	if (!fits(t->count + 1, t->cap)) {
		if (rebuild(t, t->cap * 2, NULL, NULL))
			return NULL;
		i = free_slot(t, h);
	}
	t->hash[i] = h;
	t->count++;
	e = ntf_table_at(t, i);
	memset(e, 0, t->size);
	return e;
}

int ntf_table_filter(struct ntf_table *t, ntf_table_keep_fn keep, void *ctx)
{
	return rebuild(t, t->cap, keep, ctx);
}
