// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "groups.h"
#include "hashtable.h"
#include "histogram.h"

struct ntf_groups {
	struct ntf_table t; /* struct ntf_group by projected key */
	unsigned int by;
};

static const struct {
	const char *word;
	unsigned int bit;
} by_words[] = {
	{ "driver", NTF_BY_DRIVER }, { "event", NTF_BY_EVENT },
	{ "class", NTF_BY_EVENT },   { "process", NTF_BY_PROCESS },
	{ "pid", NTF_BY_PROCESS },   { "cgroup", NTF_BY_CGROUP },
	{ "origin", NTF_BY_ORIGIN }, { "blockable", NTF_BY_BLOCKABLE },
};

int ntf_by_parse(const char *s, unsigned int *mask, char *err, size_t errlen)
{
	const char *p = s;

	*mask = NTF_BY_EVENT;
	while (*p) {
		size_t len = strcspn(p, ",");
		bool known = false;

		for (size_t i = 0; i < sizeof(by_words) / sizeof(by_words[0]); i++)
			if (strlen(by_words[i].word) == len && !strncmp(p, by_words[i].word, len)) {
				*mask |= by_words[i].bit;
				known = true;
			}
		if (!known) {
			snprintf(err, errlen,
				 "unknown --by key '%.*s' (driver, event, process, cgroup, origin, "
				 "blockable)",
				 (int)len, p);
			return -EINVAL;
		}
		p += len;
		if (*p == ',' && *++p == '\0') {
			snprintf(err, errlen, "--by list ends with ','");
			return -EINVAL;
		}
	}
	return 0;
}

const char *ntf_blockable_name(unsigned int blockable)
{
	static const char *const names[NTF_BLK_MAX] = {
		[NTF_BLK_NONE] = "-",
		[NTF_BLK_YES] = "yes",
		[NTF_BLK_NO] = "no",
		[NTF_BLK_UNKNOWN] = "unknown",
	};

	return blockable < NTF_BLK_MAX ? names[blockable] : "?";
}

static __u64 key_hash(const struct ntf_hist_key *k)
{
	__u64 h = ((__u64)k->class << 56) ^ ((__u64)k->callback << 32) ^ k->tgid;

	h ^= k->cgroup_id * 0x9e3779b97f4a7c15ULL;
	h ^= ((__u64)k->origin << 40) ^ ((__u64)k->blockable << 48);
	h ^= h >> 31;
	h *= 0xbf58476d1ce4e5b9ULL;
	h ^= h >> 29;
	return h;
}

static bool group_is(const void *entry, const void *key)
{
	const struct ntf_hist_key *a = &((const struct ntf_group *)entry)->key, *b = key;

	return a->class == b->class && a->callback == b->callback && a->tgid == b->tgid &&
	       a->origin == b->origin && a->cgroup_id == b->cgroup_id &&
	       a->blockable == b->blockable;
}

struct ntf_groups *ntf_groups_new(unsigned int by)
{
	struct ntf_groups *g = calloc(1, sizeof(*g));

	if (!g)
		return NULL;
	g->by = by | NTF_BY_EVENT;
	if (ntf_table_init(&g->t, sizeof(struct ntf_group))) {
		free(g);
		return NULL;
	}
	return g;
}

void ntf_groups_free(struct ntf_groups *g)
{
	if (!g)
		return;
	for (size_t i = 0; i < g->t.cap; i++)
		if (ntf_table_used(&g->t, i))
			ntf_buckets_free(&((struct ntf_group *)ntf_table_at(&g->t, i))->fine);
	ntf_table_fini(&g->t);
	free(g);
}

unsigned int ntf_groups_by(const struct ntf_groups *g)
{
	return g->by;
}

static struct ntf_hist_key project(unsigned int by, const struct ntf_hist_key *k)
{
	struct ntf_hist_key p = { .class = k->class, .origin = NTF_ORIGIN_MAX };

	if (by & NTF_BY_DRIVER)
		p.callback = k->callback;
	if (by & NTF_BY_PROCESS)
		p.tgid = k->tgid;
	if (by & NTF_BY_CGROUP)
		p.cgroup_id = k->cgroup_id;
	if (by & NTF_BY_ORIGIN)
		p.origin = k->origin;
	if (by & NTF_BY_BLOCKABLE)
		p.blockable = k->blockable;
	return p;
}

static struct ntf_group *group_of(struct ntf_groups *g, const struct ntf_hist_key *key)
{
	struct ntf_hist_key k = project(g->by, key);
	__u64 h = key_hash(&k);
	size_t i = ntf_table_slot(&g->t, h, &k, group_is);
	struct ntf_group *grp;

	if (ntf_table_used(&g->t, i))
		return ntf_table_at(&g->t, i);
	grp = ntf_table_claim(&g->t, i, h);
	if (grp)
		grp->key = k;
	return grp;
}

int ntf_groups_add_hist(struct ntf_groups *g, const struct ntf_hist_key *key,
			const struct ntf_hist *h, const char *comm)
{
	struct ntf_group *grp = group_of(g, key);

	if (!grp)
		return -ENOMEM;
	ntf_hist_merge(&grp->hist, h);
	if (comm && !grp->comm[0] && (g->by & NTF_BY_PROCESS))
		snprintf(grp->comm, sizeof(grp->comm), "%s", comm);
	return 0;
}

int ntf_groups_add_event(struct ntf_groups *g, const struct ntf_hist_key *key,
			 const struct ntf_event *e)
{
	struct ntf_group *grp = group_of(g, key);

	if (!grp)
		return -ENOMEM;
	ntf_hist_add_event(&grp->hist, e);
	if (!grp->comm[0] && (g->by & NTF_BY_PROCESS))
		snprintf(grp->comm, sizeof(grp->comm), "%s", e->comm);
	return ntf_buckets_add(&grp->fine, e->latency_ns);
}

int ntf_groups_add_bucket(struct ntf_groups *g, const struct ntf_hist_key *key, __u32 bucket,
			  __u64 n)
{
	struct ntf_group *grp = group_of(g, key);

	if (!grp)
		return -ENOMEM;
	return ntf_buckets_add_index(&grp->fine, bucket, n);
}

static int by_class_then_count(const void *a, const void *b)
{
	const struct ntf_group *x = *(const struct ntf_group *const *)a;
	const struct ntf_group *y = *(const struct ntf_group *const *)b;

	if (x->key.class != y->key.class)
		return x->key.class < y->key.class ? -1 : 1;
	if (x->hist.count != y->hist.count)
		return x->hist.count > y->hist.count ? -1 : 1;
	return memcmp(&x->key, &y->key, sizeof(x->key));
}

const struct ntf_group **ntf_groups_sorted(const struct ntf_groups *g, size_t *n)
{
	const struct ntf_group **v = calloc(g->t.count ? g->t.count : 1, sizeof(*v));
	size_t k = 0;

	*n = 0;
	if (!v)
		return NULL;
	for (size_t i = 0; i < g->t.cap; i++) {
		const struct ntf_group *grp = ntf_table_at(&g->t, i);

		if (ntf_table_used(&g->t, i) && grp->hist.count)
			v[k++] = grp;
	}
	qsort(v, k, sizeof(*v), by_class_then_count);
	*n = k;
	return v;
}
