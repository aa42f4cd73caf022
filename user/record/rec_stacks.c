// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * A file's kernel stacks (rec_stacks.h): the tables both ends keep, the
 * writer's lookup by content, and the STACKS payload
 * (docs/trace-format.md). Frames are shared between stacks, since stacks
 * that reach one callback mostly differ only near the top.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "rec_stacks.h"
#include "trace_format.h"

void rec_stacks_free(struct rec_stacks *s)
{
	free(s->frames);
	free(s->levels);
	free(s->first);
	free(s->frame_slots);
	free(s->stack_slots);
	memset(s, 0, sizeof(*s));
}

/* Room for need elements of size in *p; false when it cannot be had. */
static bool reserve(void **p, __u32 *cap, __u32 need, size_t size)
{
	__u32 c = *cap ? *cap : 64;
	void *q;

	if (need <= *cap)
		return true;
	while (c < need)
		c *= 2;
	q = realloc(*p, (size_t)c * size);
	if (!q)
		return false;
	*p = q;
	*cap = c;
	return true;
}

static __u64 mix(__u64 h, __u64 v)
{
	h = (h ^ v) * 0x9e3779b97f4a7c15ULL;
	return h ^ (h >> 31);
}

static __u64 hash_str(__u64 h, const char *str)
{
	for (; *str; str++)
		h = mix(h, (unsigned char)*str);
	return h;
}

static __u64 hash_frame(const struct ntf_rec_frame *f)
{
	return hash_str(hash_str(mix(mix(1, f->addr), f->offset), f->sym), f->module);
}

static bool same_frame(const struct ntf_rec_frame *a, const struct ntf_rec_frame *b)
{
	return a->addr == b->addr && a->offset == b->offset && !strcmp(a->sym, b->sym) &&
	       !strcmp(a->module, b->module);
}

static __u64 hash_ids(const __u32 *ids, unsigned int n)
{
	__u64 h = n;

	for (unsigned int i = 0; i < n; i++)
		h = mix(h, ids[i]);
	return h;
}

static const __u32 *stack_ids(const struct rec_stacks *s, __u32 id, unsigned int *n)
{
	*n = s->first[id] - s->first[id - 1];
	return s->levels + s->first[id - 1];
}

/*
 * An open-addressing table of ids (0: free) kept at most half full; grown
 * and refilled from the tables when needed. hash_of gives an id's hash.
 */
static bool slots_room(const struct rec_stacks *s, __u32 **slots, __u32 *nslots, __u32 count,
		       __u64 (*hash_of)(const struct rec_stacks *, __u32))
{
	__u32 n = *nslots ? *nslots : 256, *t;

	if (2 * (count + 1) <= *nslots)
		return true;
	while (2 * (count + 1) > n)
		n *= 2;
	t = calloc(n, sizeof(*t));
	if (!t)
		return false;
	for (__u32 id = 1; id <= count; id++) {
		__u32 k = hash_of(s, id) & (n - 1);

		while (t[k])
			k = (k + 1) & (n - 1);
		t[k] = id;
	}
	free(*slots);
	*slots = t;
	*nslots = n;
	return true;
}

static __u64 frame_hash_of(const struct rec_stacks *s, __u32 id)
{
	return hash_frame(&s->frames[id - 1]);
}

static __u64 stack_hash_of(const struct rec_stacks *s, __u32 id)
{
	unsigned int n;
	const __u32 *ids = stack_ids(s, id, &n);

	return hash_ids(ids, n);
}

/* The frame's id, or 0; *slot: where it goes when new. */
static __u32 find_frame(const struct rec_stacks *s, const struct ntf_rec_frame *f, __u32 *slot)
{
	__u32 mask = s->nframe_slots - 1, k = hash_frame(f) & mask;

	for (; s->frame_slots[k]; k = (k + 1) & mask)
		if (same_frame(&s->frames[s->frame_slots[k] - 1], f))
			return s->frame_slots[k];
	*slot = k;
	return 0;
}

static __u32 find_stack(const struct rec_stacks *s, const __u32 *ids, unsigned int n, __u32 *slot)
{
	__u32 mask = s->nstack_slots - 1, k = hash_ids(ids, n) & mask;

	for (; s->stack_slots[k]; k = (k + 1) & mask) {
		unsigned int m;
		const __u32 *have = stack_ids(s, s->stack_slots[k], &m);

		if (m == n && !memcmp(have, ids, n * sizeof(*ids)))
			return s->stack_slots[k];
	}
	*slot = k;
	return 0;
}

/* A frame as the file keeps it: strings cut to their fields, and terminated. */
static void normal_frame(struct ntf_rec_frame *to, const struct ntf_rec_frame *from)
{
	memset(to, 0, sizeof(*to));
	to->addr = from->addr;
	to->offset = from->offset;
	memcpy(to->sym, from->sym, strnlen(from->sym, NTF_REC_SYM_LEN - 1));
	memcpy(to->module, from->module, strnlen(from->module, NTF_REC_MOD_LEN - 1));
}

static int add_frame(struct rec_stacks *s, const struct ntf_rec_frame *f, __u32 *id)
{
	__u32 slot = 0;

	if (!slots_room(s, &s->frame_slots, &s->nframe_slots, s->nframes, frame_hash_of) ||
	    !reserve((void **)&s->frames, &s->frames_cap, s->nframes + 1, sizeof(*s->frames)))
		return -ENOMEM;
	*id = find_frame(s, f, &slot);
	if (*id)
		return 0;
	s->frames[s->nframes++] = *f;
	s->frame_slots[slot] = *id = s->nframes;
	return 0;
}

int rec_stacks_add(struct rec_stacks *s, const struct ntf_rec_frame *frames, unsigned int n,
		   __u32 *id)
{
	struct ntf_rec_frame f;
	__u32 ids[NTF_REC_MAX_DEPTH], slot = 0, unknown = 0;
	int err;

	if (!n || n > NTF_REC_MAX_DEPTH)
		return -EINVAL;
	if (!slots_room(s, &s->frame_slots, &s->nframe_slots, s->nframes, frame_hash_of) ||
	    !slots_room(s, &s->stack_slots, &s->nstack_slots, s->nstacks, stack_hash_of))
		return -ENOMEM;
	/* what a reader would refuse is never written: full means no new stack */
	for (unsigned int i = 0; i < n; i++) {
		normal_frame(&f, &frames[i]);
		unknown += !find_frame(s, &f, &slot);
	}
	if (unknown && (s->nstacks == NTR_MAX_STACKS || unknown > NTR_MAX_FRAMES - s->nframes))
		return -ENOSPC;
	for (unsigned int i = 0; i < n; i++) {
		normal_frame(&f, &frames[i]);
		err = add_frame(s, &f, &ids[i]);
		if (err)
			return err;
	}
	if (!slots_room(s, &s->stack_slots, &s->nstack_slots, s->nstacks, stack_hash_of))
		return -ENOMEM;
	*id = find_stack(s, ids, n, &slot);
	if (*id)
		return 0;
	if (s->nstacks == NTR_MAX_STACKS)
		return -ENOSPC;
	if (!reserve((void **)&s->levels, &s->levels_cap, s->nlevels + n, sizeof(*s->levels)) ||
	    !reserve((void **)&s->first, &s->stacks_cap, s->nstacks + 2, sizeof(*s->first)))
		return -ENOMEM;
	memcpy(s->levels + s->nlevels, ids, n * sizeof(*ids));
	s->first[0] = 0;
	s->nlevels += n;
	s->first[++s->nstacks] = s->nlevels;
	s->stack_slots[slot] = *id = s->nstacks;
	return 0;
}

__u32 rec_stacks_pending(const struct rec_stacks *s)
{
	return (s->nframes - s->written_frames) + (s->nstacks - s->written_stacks);
}

void rec_stacks_encode(struct rec_stacks *s, struct rec_buf *b)
{
	b->len = 0;
	b->oom = false;
	rec_put_varint(b, s->nframes - s->written_frames);
	for (__u32 i = s->written_frames; i < s->nframes; i++) {
		const struct ntf_rec_frame *f = &s->frames[i];

		rec_put_varint(b, f->addr);
		rec_put_varint(b, f->offset);
		rec_put_str(b, f->sym, NTF_REC_SYM_LEN - 1);
		rec_put_str(b, f->module, NTF_REC_MOD_LEN - 1);
	}
	rec_put_varint(b, s->nstacks - s->written_stacks);
	for (__u32 id = s->written_stacks + 1; id <= s->nstacks; id++) {
		unsigned int n;
		const __u32 *ids = stack_ids(s, id, &n);

		rec_put_varint(b, n);
		for (unsigned int i = 0; i < n; i++)
			rec_put_varint(b, ids[i]);
	}
	s->written_frames = s->nframes;
	s->written_stacks = s->nstacks;
}

int rec_stacks_decode(struct rec_stacks *s, const __u8 *p, size_t n, char *why, size_t len,
		      size_t *at)
{
	struct rec_cur c = rec_cur_make(p, n);
	__u32 nframes = s->nframes, nstacks = s->nstacks, nlevels = s->nlevels;
	__u64 nf, ns;
	const char *what = NULL;
	int err = -EBADMSG;

	nf = rec_get_varint(&c);
	/* a frame takes four bytes at least: a count beyond that is a lie, not an allocation */
	if (c.bad || nf > rec_cur_left(&c) / 4 || nf > NTR_MAX_FRAMES - s->nframes) {
		what = "its count of frames is malformed or more than a file may hold";
		goto fail;
	}
	if (!reserve((void **)&s->frames, &s->frames_cap, s->nframes + nf, sizeof(*s->frames)))
		goto nomem;
	for (__u64 i = 0; i < nf; i++) {
		struct ntf_rec_frame *f = &s->frames[s->nframes];

		memset(f, 0, sizeof(*f));
		f->addr = rec_get_varint(&c);
		f->offset = rec_get_varint(&c);
		rec_get_str(&c, f->sym, sizeof(f->sym));
		rec_get_str(&c, f->module, sizeof(f->module));
		if (c.bad) {
			what = "a frame is malformed";
			goto fail;
		}
		s->nframes++;
	}
	ns = rec_get_varint(&c);
	/* a stack takes two bytes at least (its depth and a frame) */
	if (c.bad || ns > rec_cur_left(&c) / 2 || ns > NTR_MAX_STACKS - s->nstacks) {
		what = "its count of stacks is malformed or more than a file may hold";
		goto fail;
	}
	if (!reserve((void **)&s->first, &s->stacks_cap, s->nstacks + ns + 1, sizeof(*s->first)))
		goto nomem;
	s->first[0] = 0;
	for (__u64 i = 0; i < ns; i++) {
		__u64 depth = rec_get_varint(&c);

		if (c.bad || !depth || depth > NTF_REC_MAX_DEPTH) {
			what = "a stack's depth is malformed (1 to 64 frames)";
			goto fail;
		}
		if (!reserve((void **)&s->levels, &s->levels_cap, s->nlevels + depth,
			     sizeof(*s->levels)))
			goto nomem;
		for (__u64 k = 0; k < depth; k++) {
			__u64 id = rec_get_varint(&c);

			if (c.bad || !id || id > s->nframes) {
				what = "a stack names a frame not defined before it";
				goto fail;
			}
			s->levels[s->nlevels++] = id;
		}
		s->first[++s->nstacks] = s->nlevels;
	}
	if (rec_cur_left(&c)) {
		what = "bytes after its stacks";
		goto fail;
	}
	return 0;
nomem:
	err = -ENOMEM;
	goto undo;
fail:
	snprintf(why, len, "STACKS: %s", what);
	*at = c.p - p;
undo:
	/* a block defines all it holds or nothing */
	s->nframes = nframes;
	s->nstacks = nstacks;
	s->nlevels = nlevels;
	return err;
}

int rec_stacks_get(const struct rec_stacks *s, __u32 id, struct ntf_rec_frame *out,
		   unsigned int max)
{
	unsigned int n;
	const __u32 *ids;

	if (!id || id > s->nstacks)
		return -ENOENT;
	ids = stack_ids(s, id, &n);
	if (n > max)
		n = max;
	for (unsigned int i = 0; i < n; i++)
		out[i] = s->frames[ids[i] - 1];
	return n;
}

void ntf_rec_frame_name(char *buf, size_t len, const struct ntf_rec_frame *f)
{
	if (!f->sym[0])
		snprintf(buf, len, "0x%llx", (unsigned long long)f->addr);
	else if (f->module[0])
		snprintf(buf, len, "%s+0x%llx [%s]", f->sym, (unsigned long long)f->offset,
			 f->module);
	else
		snprintf(buf, len, "%s+0x%llx", f->sym, (unsigned long long)f->offset);
}
