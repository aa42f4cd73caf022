/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * An open-addressing table of fixed-size entries keyed by a 64-bit hash
 * the caller computes, with the caller's key equality: the aggregate
 * (tens of millions of events a second), the mirror's folded processes,
 * notifier-top's snapshot and its row grouping all use it.
 *
 * Linear probing in a power-of-two array of slots, from 64, doubled when
 * it would pass half full: at 3/4, a lookup among 70 keys (128 slots)
 * took 8% longer, its probe loop mispredicted where the keys' probes
 * differ in length. A slot is 8 bytes, so the room costs little: the high
 * half of its entry's hash and where the entry is (0: free), so a probe
 * reads 8 bytes per slot and an entry only when the hashes match, and
 * growing needs no callback.
 * The entries themselves lie side by side in the order they came, so a
 * table's memory is its entries, not its slots times an entry (100,000
 * aggregate entries of 704 bytes took 184 MB in slots of 262,144). Two
 * tables with the same hash and the same entries inserted have the same
 * capacity, so walking one in slot order finds the other's entries about
 * in step.
 *
 * Entries are not removed one by one: ntf_table_clear empties the table,
 * ntf_table_filter keeps what a predicate keeps. A claimed entry may move
 * when the table grows; pointers into it last until the next claim.
 */
#ifndef NTF_HASHTABLE_H
#define NTF_HASHTABLE_H

#include <stdbool.h>
#include <stddef.h>
#include <linux/types.h>

struct ntf_table {
	__u64 *slot; /* per slot: ntf_table_word() of its entry, 0 when free */
	__u64 *hash; /* per entry: its hash, for growing */
	unsigned char *ent; /* count entries of size bytes, room for half of cap */
	size_t size, cap, count;
};

/* True when entry is the one key names. */
typedef bool (*ntf_table_eq_fn)(const void *entry, const void *key);

/* 0 or -ENOMEM; entries of size bytes. */
int ntf_table_init(struct ntf_table *t, size_t size);
void ntf_table_fini(struct ntf_table *t);
/* Removes every entry, keeping the memory. */
void ntf_table_clear(struct ntf_table *t);
/* Grows so that n entries fit without growing again: 0 or -ENOMEM. */
int ntf_table_reserve(struct ntf_table *t, size_t n);
/*
 * Takes free slot i, found by ntf_table_slot for hash h, for a new entry,
 * growing the table first if it must: the entry, zeroed (which may be in
 * another slot then), or NULL when out of memory.
 */
void *ntf_table_claim(struct ntf_table *t, size_t i, __u64 h);
typedef bool (*ntf_table_keep_fn)(void *entry, void *ctx);
/* Keeps the entries keep says to, in the same capacity: 0 or -ENOMEM (then all kept). */
int ntf_table_filter(struct ntf_table *t, ntf_table_keep_fn keep, void *ctx);

/* A slot's word: the high half of the hash, and 1 + the entry's place. */
static inline __u64 ntf_table_word(__u64 h, size_t at)
{
	return (h & ~0xffffffffULL) | (at + 1);
}

static inline bool ntf_table_used(const struct ntf_table *t, size_t i)
{
	return t->slot[i] != 0;
}

/* Slot i's entry; NULL for a free slot. */
static inline void *ntf_table_at(const struct ntf_table *t, size_t i)
{
	__u32 at = (__u32)t->slot[i];

	return at ? t->ent + (at - 1) * t->size : NULL;
}

/*
 * The slot of key's entry, or the free one where it would go. Always
 * inlined: eq, a constant where it is called, is then a direct call the
 * compiler inlines too, which the aggregate's hot path needs.
 */
static inline __attribute__((always_inline)) size_t
ntf_table_slot(const struct ntf_table *t, __u64 h, const void *key, ntf_table_eq_fn eq)
{
	size_t mask = t->cap - 1, i;

	for (i = h & mask; t->slot[i]; i = (i + 1) & mask)
		if ((t->slot[i] ^ h) >> 32 == 0 && eq(ntf_table_at(t, i), key))
			break;
	return i;
}

/* key's entry, or NULL. */
static inline __attribute__((always_inline)) void *
ntf_table_find(const struct ntf_table *t, __u64 h, const void *key, ntf_table_eq_fn eq)
{
	size_t i = ntf_table_slot(t, h, key, eq);

	return ntf_table_used(t, i) ? ntf_table_at(t, i) : NULL;
}

/*
 * A hint: starts fetching where the entry hashed h is or would go, so that
 * a lookup a little later finds it in cache.
 */
static inline void ntf_table_prefetch(const struct ntf_table *t, __u64 h)
{
	size_t i = h & (t->cap - 1);
	const unsigned char *p = ntf_table_at(t, i);

	__builtin_prefetch(&t->slot[i]);
	for (size_t off = 0; p && off < t->size; off += 64)
		__builtin_prefetch(p + off, 1);
}

#endif
