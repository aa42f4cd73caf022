// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "aggregate.h"
#include "histogram.h"

/* Open addressing, linear probing, power-of-two table kept under 3/4 full. */
struct ntf_agg {
	struct ntf_agg_entry *slots;
	unsigned char *used;
	size_t cap;
	size_t count;
	size_t max_keys;
	__u64 folded;
	__u64 gen;
};

__u64 ntf_agg_hash(const struct ntf_hist_key *k)
{
	__u64 h = ((__u64)k->class << 56) ^ ((__u64)k->subscriber << 32) ^ k->tgid;

	/* splitmix64 finaliser: cheap and spreads sequential pids well */
	h ^= h >> 30;
	h *= 0xbf58476d1ce4e5b9ULL;
	h ^= h >> 27;
	h *= 0x94d049bb133111ebULL;
	h ^= h >> 31;
	return h;
}

static bool key_eq(const struct ntf_hist_key *a, const struct ntf_hist_key *b)
{
	return a->class == b->class && a->subscriber == b->subscriber && a->tgid == b->tgid;
}

struct ntf_agg *ntf_agg_new(size_t max_keys)
{
	struct ntf_agg *agg = calloc(1, sizeof(*agg));

	if (!agg)
		return NULL;
	agg->cap = 64;
	agg->gen = 1;
	agg->max_keys = max_keys ? max_keys : 65536;
	agg->slots = calloc(agg->cap, sizeof(*agg->slots));
	agg->used = calloc(agg->cap, 1);
	if (!agg->slots || !agg->used) {
		ntf_agg_free(agg);
		return NULL;
	}
	return agg;
}

void ntf_agg_free(struct ntf_agg *agg)
{
	if (!agg)
		return;
	free(agg->slots);
	free(agg->used);
	free(agg);
}

static size_t find_slot(const struct ntf_agg *agg, const struct ntf_hist_key *key)
{
	size_t mask = agg->cap - 1, i = ntf_agg_hash(key) & mask;

	while (agg->used[i] && !key_eq(&agg->slots[i].key, key))
		i = (i + 1) & mask;
	return i;
}

static int grow(struct ntf_agg *agg)
{
	struct ntf_agg old = *agg;

	agg->cap *= 2;
	agg->slots = calloc(agg->cap, sizeof(*agg->slots));
	agg->used = calloc(agg->cap, 1);
	if (!agg->slots || !agg->used) {
		free(agg->slots);
		free(agg->used);
		*agg = old;
		return -ENOMEM;
	}
	for (size_t i = 0; i < old.cap; i++) {
		size_t j;

		if (!old.used[i])
			continue;
		j = find_slot(agg, &old.slots[i].key);
		agg->slots[j] = old.slots[i];
		agg->used[j] = 1;
	}
	free(old.slots);
	free(old.used);
	return 0;
}

static struct ntf_agg_entry *lookup_or_insert(struct ntf_agg *agg, struct ntf_hist_key key)
{
	size_t i = find_slot(agg, &key);

	if (agg->used[i])
		return &agg->slots[i];
	if (agg->count >= agg->max_keys && key.tgid != NTF_AGG_OTHER_TGID) {
		agg->folded++;
		key.tgid = NTF_AGG_OTHER_TGID;
		return lookup_or_insert(agg, key);
	}
	if ((agg->count + 1) * 4 > agg->cap * 3) {
		if (grow(agg))
			return NULL;
		i = find_slot(agg, &key);
	}
	memset(&agg->slots[i], 0, sizeof(agg->slots[i]));
	agg->slots[i].key = key;
	agg->used[i] = 1;
	agg->count++;
	return &agg->slots[i];
}

int ntf_agg_add(struct ntf_agg *agg, const struct ntf_event *e)
{
	struct ntf_hist_key key = { .class = e->class,
				    .subscriber = e->subscriber,
				    .tgid = e->tgid };
	struct ntf_agg_entry *ent = lookup_or_insert(agg, key);

	if (!ent)
		return -ENOMEM;
	ent->gen = agg->gen;
	if (!ent->comm[0])
		snprintf(ent->comm, sizeof(ent->comm), "%s",
			 ent->key.tgid == e->tgid ? e->comm : "[other]");
	ntf_hist_add(&ent->hist, e->latency_ns);
	if (e->flags & NTF_F_FAILED)
		ent->hist.failures++;
	if (e->flags & NTF_F_NESTED)
		ent->hist.nested++;
	if ((e->class == NTF_CLASS_INVAL_START || e->class == NTF_CLASS_INVAL_END ||
	     e->class == NTF_CLASS_CALLBACK) &&
	    !(e->flags & (NTF_F_BLOCKABLE | NTF_F_BLOCKABLE_UNKNOWN)))
		ent->hist.nonblock++;
	if (e->class == NTF_CLASS_PIN && e->ret > 0)
		ent->hist.pages += e->ret;
	else if (e->class == NTF_CLASS_UNPIN)
		ent->hist.pages += e->pin.nr_pages;
	else if (e->class == NTF_CLASS_UNMAP)
		ent->hist.pages += e->unmap.notifier_calls;
	if (e->origin < NTF_ORIGIN_MAX)
		ent->origins[e->origin]++;
	return 0;
}

int ntf_agg_add_hist(struct ntf_agg *agg, const struct ntf_hist_key *key, const struct ntf_hist *h,
		     const char *comm)
{
	struct ntf_hist_key k = *key;
	struct ntf_agg_entry *ent;

	k.pad = 0;
	ent = lookup_or_insert(agg, k);
	if (!ent)
		return -ENOMEM;
	ntf_hist_merge(&ent->hist, h);
	ent->gen = agg->gen;
	if (comm && !ent->comm[0])
		snprintf(ent->comm, sizeof(ent->comm), "%s", comm);
	return 0;
}

int ntf_agg_put(struct ntf_agg *agg, const struct ntf_agg_entry *ent)
{
	struct ntf_agg_entry *slot = lookup_or_insert(agg, ent->key);

	if (!slot)
		return -ENOMEM;
	/* Folded into "other": the sender's entry adds to what is there. */
	if (slot->key.tgid != ent->key.tgid) {
		ntf_hist_merge(&slot->hist, &ent->hist);
	} else {
		*slot = *ent;
	}
	slot->gen = agg->gen;
	return 0;
}

void ntf_agg_prefetch(const struct ntf_agg *agg, const struct ntf_hist_key *key)
{
	size_t i = ntf_agg_hash(key) & (agg->cap - 1);
	const char *p = (const char *)&agg->slots[i];

	__builtin_prefetch(&agg->used[i]);
	/* the key is compared, then the whole entry written */
	for (size_t off = 0; off < sizeof(agg->slots[i]); off += 64)
		__builtin_prefetch(p + off, 1);
}

const struct ntf_agg_entry *ntf_agg_get(const struct ntf_agg *agg, const struct ntf_hist_key *key)
{
	size_t i = find_slot(agg, key);

	return agg->used[i] ? &agg->slots[i] : NULL;
}

__u64 ntf_agg_tick(struct ntf_agg *agg)
{
	return agg->gen++;
}

__u64 ntf_agg_gen(const struct ntf_agg *agg)
{
	return agg->gen;
}

int ntf_agg_foreach_since(const struct ntf_agg *agg, __u64 since, ntf_agg_visit_fn fn, void *ctx)
{
	for (size_t i = 0; i < agg->cap; i++) {
		int err;

		if (!agg->used[i] || agg->slots[i].gen <= since)
			continue;
		err = fn(&agg->slots[i], ctx);
		if (err)
			return err;
	}
	return 0;
}

size_t ntf_agg_count(const struct ntf_agg *agg)
{
	return agg->count;
}

__u64 ntf_agg_folded(const struct ntf_agg *agg)
{
	return agg->folded;
}

int ntf_agg_foreach(const struct ntf_agg *agg, ntf_agg_visit_fn fn, void *ctx)
{
	for (size_t i = 0; i < agg->cap; i++) {
		int err;

		if (!agg->used[i])
			continue;
		err = fn(&agg->slots[i], ctx);
		if (err)
			return err;
	}
	return 0;
}

void ntf_agg_class_total(const struct ntf_agg *agg, unsigned int class, struct ntf_hist *out)
{
	memset(out, 0, sizeof(*out));
	for (size_t i = 0; i < agg->cap; i++)
		if (agg->used[i] && agg->slots[i].key.class == class)
			ntf_hist_merge(out, &agg->slots[i].hist);
}

void ntf_agg_reset(struct ntf_agg *agg)
{
	memset(agg->used, 0, agg->cap);
	agg->count = 0;
	agg->folded = 0;
}
