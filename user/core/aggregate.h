/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * User-space aggregation of streamed events, keyed by event class x
 * driver x process. Bounded: past max_keys, new processes fold into
 * one "other" key per class and callback, so memory stays flat. A
 * mirror (ntf_agg_put) also keeps what each folded process last put (560
 * bytes each, and 8 a fine bucket): that memory is bounded by the sender's
 * max_keys, not its own.
 *
 * A key costs 128 bytes and about 2 a split fine bucket (core/split.h,
 * packed: core/packed.h), its origins among them: its log2 slots are read
 * from those, and its entry is put together for whoever asks for it.
 */
#ifndef NTF_AGGREGATE_H
#define NTF_AGGREGATE_H

#include <stdbool.h>
#include <stddef.h>
#include <linux/types.h>
#include "notifier.h"
#include "buckets.h"

#define NTF_AGG_OTHER_TGID 0xffffffffu

/*
 * A key as handed out (ntf_agg_get, ntf_agg_foreach): settled, every
 * event of hist.count in its fine buckets, slots and origins. The
 * aggregate keeps it in another form and puts this one together on
 * demand: it, and the storage of its fine buckets, last until the next
 * call on the same aggregate.
 */
struct ntf_agg_entry {
	struct ntf_hist_key key;
	char comm[NTF_COMM_LEN];
	/*
	 * The fine buckets (core/buckets.h) the percentiles are read from.
	 * Empty where only log2 slots came (an in-kernel histogram read
	 * without its buckets).
	 */
	struct ntf_buckets fine;
	__u64 gen; /* the generation (ntf_agg_tick) of the last change */
	struct ntf_hist hist;
	__u64 origins[NTF_ORIGIN_MAX];
};

struct ntf_agg;

/*
 * An aggregate of at most max_keys keys (0: 65,536). The keys with events
 * lately stage them (core/stage.h) in a pool of 256-byte stages, by their
 * place in the table, touched as keys come: 32,768 (8 MiB) at most, no
 * more than max_keys needs. Up to that many keys each has its own; past
 * it, one that finds its stage held by another key gives that key's
 * events to its buckets first (about 1,000 instructions an event when
 * every event does).
 */
struct ntf_agg *ntf_agg_new(size_t max_keys);
/*
 * The same with at most 16,384 stages (4 MiB): for notifier-top, which
 * holds many keys and takes events at far lower rates than notifierd,
 * and for a mirror, which takes a sender's entries whole (ntf_agg_put).
 */
struct ntf_agg *ntf_agg_new_compact(size_t max_keys);
void ntf_agg_free(struct ntf_agg *agg);
int ntf_agg_add(struct ntf_agg *agg, const struct ntf_event *e);
/*
 * Adds an in-kernel histogram read from the BPF map under its key (its
 * count to the key's origin, if it has one); comm (may be NULL) names the
 * process if the entry has no name yet.
 */
int ntf_agg_add_hist(struct ntf_agg *agg, const struct ntf_hist_key *key, const struct ntf_hist *h,
		     const char *comm);
/*
 * Replaces (or inserts) the entry with ent's key by a copy of ent, as a
 * client mirroring a daemon's aggregate does; ent->gen is set to now.
 * Past max_keys, and for the sender's own "other" keys, ent's totals go
 * into the "other" key of its class and callback in place of what ent's
 * key put there before: "other" holds the sum of the current totals of
 * the processes folded into it. A process folded once stays folded.
 * ent->fine is copied, into the storage the entry already has when it is
 * big enough; ent keeps its own.
 */
int ntf_agg_put(struct ntf_agg *agg, const struct ntf_agg_entry *ent);
/*
 * Drops what no change stamped after generation since: entries, and
 * processes folded into an "other" key, which then holds their share no
 * more. A mirror calls it after a snapshot (since: the generation it
 * ended before it) for what the sender no longer has. 0 or -ENOMEM.
 */
int ntf_agg_prune(struct ntf_agg *agg, __u64 since);
/*
 * The hash that places keys: foreach walks the table in the order of its
 * low bits, so another table hashed alike is walked in step with it.
 */
__u64 ntf_agg_hash(const struct ntf_hist_key *key);
/*
 * What keys an entry, as the tables that hold one per key keep it (the
 * aggregate, notifier-top's snapshot and deltas): struct ntf_hist_key's
 * class, callback and tgid, 12 bytes where the whole key takes 32.
 */
struct ntf_agg_key {
	__u32 class, callback, tgid;
};

static inline struct ntf_agg_key ntf_agg_key_of(const struct ntf_hist_key *k)
{
	return (struct ntf_agg_key){ .class = k->class, .callback = k->callback, .tgid = k->tgid };
}

/* k as struct ntf_hist_key, the rest 0 (as the aggregate keys). */
static inline struct ntf_hist_key ntf_agg_key_hist(const struct ntf_agg_key *k)
{
	return (struct ntf_hist_key){ .class = k->class, .callback = k->callback, .tgid = k->tgid };
}

/* Whether k names a, in the three scalars it is compared by (so they stay apart in registers). */
static inline bool ntf_agg_key_is(const struct ntf_agg_key *a, const struct ntf_hist_key *k)
{
	return a->class == k->class && a->callback == k->callback && a->tgid == k->tgid;
}

/*
 * Keys are equal in class, callback and tgid; the origin BPF keys by is
 * counted in the entry's origins instead.
 */
static inline bool ntf_agg_key_eq(const struct ntf_hist_key *a, const struct ntf_hist_key *b)
{
	return a->class == b->class && a->callback == b->callback && a->tgid == b->tgid;
}
/*
 * A hint: starts fetching the slot where key's entry is or would go, so
 * that a put a little later finds it in cache (a mirror applying an
 * update's entries one ahead).
 */
void ntf_agg_prefetch(const struct ntf_agg *agg, const struct ntf_hist_key *key);
/*
 * Looks an entry up by key; NULL when absent (or out of memory). What it
 * (and foreach) returns lasts until the next call on agg.
 */
const struct ntf_agg_entry *ntf_agg_get(const struct ntf_agg *agg, const struct ntf_hist_key *key);
/*
 * Generations: every change stamps its entry with the current generation;
 * ntf_agg_tick() starts a new one and returns the one that ended, so a
 * sender can ship only the entries changed since the generation it last
 * sent (ntf_agg_foreach_since).
 */
__u64 ntf_agg_tick(struct ntf_agg *agg);
__u64 ntf_agg_gen(const struct ntf_agg *agg);
size_t ntf_agg_count(const struct ntf_agg *agg);
/* Events folded into "other" keys because max_keys was reached. */
__u64 ntf_agg_folded(const struct ntf_agg *agg);

typedef int (*ntf_agg_visit_fn)(const struct ntf_agg_entry *entry, void *ctx);
/* Visits every entry; stops at and returns the first non-zero result. */
int ntf_agg_foreach(const struct ntf_agg *agg, ntf_agg_visit_fn fn, void *ctx);
/* Visits the entries changed in generations after since (since < gen). */
int ntf_agg_foreach_since(const struct ntf_agg *agg, __u64 since, ntf_agg_visit_fn fn, void *ctx);
/*
 * True when a visit of the entry of key, last changed in generation gen,
 * needs no more than its key, name, generation and counters.
 */
typedef bool (*ntf_agg_brief_fn)(const struct ntf_hist_key *key, __u64 gen, void *ctx);
/*
 * ntf_agg_foreach_since, but the entries brief picks come with their
 * counters only (hist's slots, fine and origins empty), which costs no
 * walk of their buckets: for a visitor that skips most entries, such as
 * those unchanged since it last saw them.
 */
int ntf_agg_foreach_brief(const struct ntf_agg *agg, __u64 since, ntf_agg_brief_fn brief,
			  ntf_agg_visit_fn fn, void *ctx);
/* Adds n events of bucket to key's fine buckets (an in-kernel bucket read). */
int ntf_agg_add_bucket(struct ntf_agg *agg, const struct ntf_hist_key *key, __u32 bucket, __u64 n);
/*
 * The p-quantile of an entry in ns: from its fine buckets when it has
 * them (within 2.2%), else interpolated in its log2 slots.
 */
double ntf_agg_quantile(const struct ntf_agg_entry *ent, double p);
/* Sums every process of a class into *out (all callbacks). */
void ntf_agg_class_total(const struct ntf_agg *agg, unsigned int class, struct ntf_hist *out);
/* Sums the origins of a class's events, of one callback or of any. */
#define NTF_AGG_ANY_CALLBACK 0xffffffffu
void ntf_agg_origins(const struct ntf_agg *agg, unsigned int class, __u32 callback,
		     __u64 out[NTF_ORIGIN_MAX]);
/*
 * The fine buckets of a class's events, of one callback or of any, into
 * out (reset first); -ENOMEM leaves out partial.
 */
int ntf_agg_fine(const struct ntf_agg *agg, unsigned int class, __u32 callback,
		 struct ntf_buckets *out);
void ntf_agg_reset(struct ntf_agg *agg);

#endif
