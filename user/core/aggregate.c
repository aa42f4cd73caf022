// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "aggregate.h"
#include "hashtable.h"
#include "histogram.h"

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
};

/* Open addressing, linear probing, power-of-two table kept under 3/4 full. */
struct ntf_agg {
	struct ntf_agg_entry *slots;
	unsigned char *used;
	size_t cap;
	size_t count;
	size_t max_keys;
	__u64 folded;
	__u64 gen;
	/* struct folded by key, only in a mirror that ran out of keys (cap 0 until then) */
	struct ntf_table fold;
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
	ntf_table_fini(&agg->fold);
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

static bool folded_is(const void *entry, const void *key)
{
	return key_eq(&((const struct folded *)entry)->key, key);
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
	/* a max cannot be taken back out: "other"'s is the largest put */
	if (now->max_ns > dst->max_ns)
		dst->max_ns = now->max_ns;
}

static void origins_move(__u64 *dst, const __u64 *before, const __u64 *now)
{
	for (int o = 0; o < NTF_ORIGIN_MAX; o++)
		dst[o] += now[o] - before[o];
}

/*
 * ent's process goes into its "other" key with its current totals: what it
 * put there before is replaced, as a put of a key of its own replaces.
 */
static int put_folded(struct ntf_agg *agg, const struct ntf_agg_entry *ent)
{
	struct ntf_hist_key okey = ent->key;
	struct ntf_agg_entry *other;
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
	hist_move(&other->hist, &f->hist, &ent->hist);
	origins_move(other->origins, f->origins, ent->origins);
	if (ent->key.tgid != NTF_AGG_OTHER_TGID && ent->hist.count > f->hist.count)
		agg->folded += ent->hist.count - f->hist.count;
	f->hist = ent->hist;
	memcpy(f->origins, ent->origins, sizeof(f->origins));
	f->gen = agg->gen;
	if (!other->comm[0])
		snprintf(other->comm, sizeof(other->comm), "[other]");
	other->gen = agg->gen;
	return 0;
}

int ntf_agg_put(struct ntf_agg *agg, const struct ntf_agg_entry *ent)
{
	struct ntf_agg_entry *slot;
	size_t i;

	/*
	 * The sender's own "other" keys are processes folded already, and a
	 * process folded once stays so: its totals are in "other".
	 */
	if (ent->key.tgid == NTF_AGG_OTHER_TGID || find_folded(agg, &ent->key))
		return put_folded(agg, ent);
	i = find_slot(agg, &ent->key);
	if (!agg->used[i] && agg->count >= agg->max_keys)
		return put_folded(agg, ent);
	slot = lookup_or_insert(agg, ent->key);
	if (!slot)
		return -ENOMEM;
	*slot = *ent;
	slot->gen = agg->gen;
	return 0;
}

struct prune {
	struct ntf_agg *agg;
	__u64 since;
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
	struct ntf_agg_entry *other;
	static const struct folded none;
	size_t i;

	if (f->gen > p->since)
		return true;
	okey.tgid = NTF_AGG_OTHER_TGID;
	i = find_slot(p->agg, &okey);
	other = p->agg->used[i] ? &p->agg->slots[i] : NULL;
	if (other && other->gen > p->since) {
		hist_move(&other->hist, &f->hist, &none.hist);
		origins_move(other->origins, f->origins, none.origins);
		other->gen = p->agg->gen;
	}
	return false;
}

/*
 * Sets every "other" key's max to the largest of its processes': after a
 * prune, which cannot take a max back out, or a restarted sender's
 * snapshot, whose maxes went down.
 */
static void other_max(struct ntf_agg *agg)
{
	for (size_t i = 0; i < agg->cap; i++)
		if (agg->used[i] && agg->slots[i].key.tgid == NTF_AGG_OTHER_TGID)
			agg->slots[i].hist.max_ns = 0;
	for (size_t i = 0; i < agg->fold.cap; i++) {
		const struct folded *f = ntf_table_at(&agg->fold, i);
		struct ntf_hist_key okey;
		size_t j;

		if (!ntf_table_used(&agg->fold, i))
			continue;
		okey = f->key;
		okey.tgid = NTF_AGG_OTHER_TGID;
		j = find_slot(agg, &okey);
		if (agg->used[j] && agg->slots[j].hist.max_ns < f->hist.max_ns)
			agg->slots[j].hist.max_ns = f->hist.max_ns;
	}
}

static size_t stale_folded(const struct ntf_agg *agg, __u64 since)
{
	size_t n = 0;

	for (size_t i = 0; i < agg->fold.cap; i++)
		n += ntf_table_used(&agg->fold, i) &&
		     ((const struct folded *)ntf_table_at(&agg->fold, i))->gen <= since;
	return n;
}

int ntf_agg_prune(struct ntf_agg *agg, __u64 since)
{
	struct prune p = { .agg = agg, .since = since };
	struct ntf_agg old;
	size_t stale = 0;
	int err;

	if (stale_folded(agg, since)) {
		err = ntf_table_filter(&agg->fold, keep_folded, &p);
		if (err)
			return err;
	}
	if (agg->fold.count)
		other_max(agg);
	for (size_t i = 0; i < agg->cap; i++)
		stale += agg->used[i] && agg->slots[i].gen <= since;
	if (!stale)
		return 0;
	old = *agg;
	agg->slots = calloc(agg->cap, sizeof(*agg->slots));
	agg->used = calloc(agg->cap, 1);
	if (!agg->slots || !agg->used) {
		free(agg->slots);
		free(agg->used);
		*agg = old;
		return -ENOMEM;
	}
	agg->count = 0;
	for (size_t i = 0; i < old.cap; i++) {
		size_t j;

		if (!old.used[i] || old.slots[i].gen <= since)
			continue;
		j = find_slot(agg, &old.slots[i].key);
		agg->slots[j] = old.slots[i];
		agg->used[j] = 1;
		agg->count++;
	}
	free(old.slots);
	free(old.used);
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
	if (agg->fold.cap)
		ntf_table_clear(&agg->fold);
}
