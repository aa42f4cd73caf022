// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * The open EVENTS block (rec_enc.h): events into streams, the block into
 * a framed buffer. docs/trace-format.md has the streams and why they
 * are shaped so.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include "rec_enc.h"

bool rec_event_valid(const struct ntf_event *e)
{
	return e->class != NTF_CLASS_NONE && e->class < NTF_CLASS_MAX && e->mech != NTF_MECH_NONE &&
	       e->mech < NTF_MECH_MAX && e->origin < NTF_ORIGIN_MAX;
}

static void reset(struct rec_enc *e)
{
	for (int i = 0; i < NTR_S_MAX; i++) {
		e->s[i].len = 0;
		e->s[i].oom = false;
	}
	e->nevents = 0;
	e->ts_min = ~0ULL;
	e->ts_max = 0;
	e->prev_ts = e->prev_end = e->prev_addr = e->prev_mm = e->prev_seqno = 0;
	memset(e->prev_flags, 0, sizeof(e->prev_flags));
	e->any_stack = false;
	e->ntasks = 0;
	e->last_task = ~0u;
	if (e->slots)
		memset(e->slots, 0, e->nslots * sizeof(*e->slots));
}

void rec_enc_init(struct rec_enc *e)
{
	reset(e);
}

void rec_enc_free(struct rec_enc *e)
{
	for (int i = 0; i < NTR_S_MAX; i++)
		rec_buf_free(&e->s[i]);
	free(e->tasks);
	free(e->slots);
	memset(e, 0, sizeof(*e));
}

size_t rec_enc_bytes(const struct rec_enc *e)
{
	size_t n = 0;

	for (int i = 0; i < NTR_S_MAX; i++)
		n += e->s[i].len;
	return n;
}

bool rec_enc_full(const struct rec_enc *e, __u32 block_events, __u32 block_bytes)
{
	if (e->nevents >= block_events || e->ntasks >= NTR_MAX_TASKS)
		return true;
	return e->nevents && !(e->nevents % REC_SIZE_CHECK_EVERY) &&
	       rec_enc_bytes(e) >= block_bytes;
}

static __u32 hash_task(const struct rec_task *t)
{
	__u64 c0, c1, h;

	memcpy(&c0, t->comm, 8);
	memcpy(&c1, t->comm + 8, 8);
	h = ((__u64)t->pid << 32 | t->tgid) * 0x9e3779b97f4a7c15ULL;
	h ^= (t->mm + (h >> 29)) * 0xbf58476d1ce4e5b9ULL;
	h ^= (t->cgroup_id ^ c0 ^ (c1 << 1) ^ (h >> 31)) * 0x94d049bb133111ebULL;
	return (__u32)(h ^ (h >> 32));
}

static bool grow_tasks(struct rec_enc *e)
{
	__u32 cap = e->tasks_cap ? e->tasks_cap * 2 : 256;
	__u32 nslots = cap * 2;
	struct rec_task *t;
	__u32 *slots;

	if (cap > NTR_MAX_TASKS)
		return false;
	t = realloc(e->tasks, cap * sizeof(*t));
	if (!t)
		return false;
	e->tasks = t;
	slots = calloc(nslots, sizeof(*slots));
	if (!slots)
		return false;
	free(e->slots);
	e->slots = slots;
	e->nslots = nslots;
	e->tasks_cap = cap;
	for (__u32 i = 0; i < e->ntasks; i++) {
		__u32 k = hash_task(&e->tasks[i]) & (nslots - 1);

		while (slots[k])
			k = (k + 1) & (nslots - 1);
		slots[k] = i + 1;
	}
	return true;
}

/*
 * The task's id in this block, defining it in TASKDEF when new. -ENOMEM
 * when the table cannot grow.
 */
static int task_ref(struct rec_enc *e, const struct ntf_event *ev)
{
	struct rec_task t;
	size_t n = strnlen(ev->comm, NTF_COMM_LEN - 1);
	struct rec_buf *d = &e->s[NTR_S_TASKDEF];
	__u32 k;

	memset(&t, 0, sizeof(t));
	t.pid = ev->pid;
	t.tgid = ev->tgid;
	t.mm = ev->mm;
	t.cgroup_id = ev->cgroup_id;
	memcpy(t.comm, ev->comm, n);
	if (e->last_task < e->ntasks && !memcmp(&e->tasks[e->last_task], &t, sizeof(t))) {
		rec_put_varint(&e->s[NTR_S_TASK], e->last_task);
		return 0;
	}
	if (e->ntasks == e->tasks_cap && !grow_tasks(e))
		return -ENOMEM;
	for (k = hash_task(&t) & (e->nslots - 1); e->slots[k]; k = (k + 1) & (e->nslots - 1)) {
		__u32 id = e->slots[k] - 1;

		if (!memcmp(&e->tasks[id], &t, sizeof(t))) {
			e->last_task = id;
			rec_put_varint(&e->s[NTR_S_TASK], id);
			return 0;
		}
	}
	e->slots[k] = e->ntasks + 1;
	e->tasks[e->ntasks] = t;
	e->last_task = e->ntasks;
	rec_put_varint(&e->s[NTR_S_TASK], e->ntasks++);
	rec_put_varint(d, t.tgid);
	rec_put_svarint(d, (__s64)t.pid - (__s64)t.tgid);
	rec_put_varint(d, t.cgroup_id);
	rec_put_svarint(d, (__s64)(t.mm - e->prev_mm));
	e->prev_mm = t.mm;
	rec_put_varint(d, n);
	rec_put_bytes(d, t.comm, n);
	return 0;
}

static void put_addr(struct rec_enc *e, __u64 addr)
{
	rec_put_svarint(&e->s[NTR_S_ADDR], (__s64)(addr - e->prev_addr));
	e->prev_addr = addr;
}

int rec_enc_add(struct rec_enc *e, const struct ntf_event *ev)
{
	struct rec_buf *s = e->s;
	unsigned int class = ev->class;
	int err;

	rec_put_varint(&s[NTR_S_CLASS], class);
	/* both ways; the block keeps the shorter */
	rec_put_svarint(&s[NTR_S_TIME], (__s64)(ev->ts_ns - e->prev_ts));
	e->prev_ts = ev->ts_ns;
	rec_put_svarint(&s[NTR_S_END], (__s64)(ev->ts_ns + ev->latency_ns - e->prev_end));
	e->prev_end = ev->ts_ns + ev->latency_ns;
	rec_put_varint(&s[NTR_S_LATENCY], ev->latency_ns);
	err = task_ref(e, ev);
	if (err)
		return err;
	rec_put_varint(&s[NTR_S_FLAGS], ev->flags ^ e->prev_flags[class]);
	e->prev_flags[class] = ev->flags;
	rec_put_varint(&s[NTR_S_CALLBACK], ev->callback);
	rec_put_varint(&s[NTR_S_MECH], ev->mech);
	rec_put_varint(&s[NTR_S_ORIGIN], ev->origin);
	rec_put_svarint(&s[NTR_S_SYSCALL], ev->syscall_nr);
	rec_put_svarint(&s[NTR_S_RET], ev->ret);
	rec_put_varint(&s[NTR_S_STACK], ev->stack_id);
	e->any_stack |= ev->stack_id != 0;
	switch (class) {
	case NTF_CLASS_INVAL_START:
	case NTF_CLASS_INVAL_END:
	case NTF_CLASS_CALLBACK:
		put_addr(e, ev->range.start);
		rec_put_varint(&s[NTR_S_SIZE], ev->range.end - ev->range.start);
		rec_put_varint(&s[NTR_S_MMU], ev->range.event);
		rec_put_varint(&s[NTR_S_MMU], ev->range.owner);
		break;
	case NTF_CLASS_UNMAP:
		put_addr(e, ev->unmap.address);
		rec_put_varint(&s[NTR_S_PAGES], ev->unmap.notifier_calls);
		rec_put_varint(&s[NTR_S_ARGS], ev->unmap.notifier_ns);
		break;
	case NTF_CLASS_PIN:
	case NTF_CLASS_UNPIN:
		put_addr(e, ev->pin.start);
		rec_put_varint(&s[NTR_S_PAGES], ev->pin.nr_pages);
		rec_put_varint(&s[NTR_S_ARGS], ev->pin.gup_flags);
		rec_put_varint(&s[NTR_S_ARGS], ev->pin.variant);
		break;
	case NTF_CLASS_FENCE_WAIT:
		rec_put_varint(&s[NTR_S_FENCE], ev->fence.context);
		rec_put_svarint(&s[NTR_S_FENCE], (__s64)(ev->fence.seqno - e->prev_seqno));
		e->prev_seqno = ev->fence.seqno;
		rec_put_varint(&s[NTR_S_FENCE], ev->fence.ops);
		rec_put_svarint(&s[NTR_S_FENCE], ev->fence.timeout);
		break;
	}
	e->nevents++;
	if (ev->ts_ns < e->ts_min)
		e->ts_min = ev->ts_ns;
	if (ev->ts_ns > e->ts_max)
		e->ts_max = ev->ts_ns;
	return 0;
}

static bool streams_oom(const struct rec_enc *e)
{
	for (int i = 0; i < NTR_S_MAX; i++)
		if (e->s[i].oom)
			return true;
	return false;
}

/* The streams behind their directory: the EVENTS payload. */
static int payload(struct rec_enc *e, struct rec_buf *b)
{
	unsigned int nstreams = 0;

	if (streams_oom(e))
		return -ENOMEM;
	/* start times or end times, whichever takes fewer bytes */
	if (e->s[NTR_S_END].len < e->s[NTR_S_TIME].len)
		e->s[NTR_S_TIME].len = 0;
	else
		e->s[NTR_S_END].len = 0;
	/* zeros would cost bytes for nothing: a reader takes no stream as no stacks */
	if (!e->any_stack)
		e->s[NTR_S_STACK].len = 0;
	for (int i = 1; i < NTR_S_MAX; i++)
		nstreams += e->s[i].len > 0;
	b->len = 0;
	b->oom = false;
	rec_put_varint(b, nstreams);
	for (int i = 1; i < NTR_S_MAX; i++) {
		if (!e->s[i].len)
			continue;
		rec_put_varint(b, i);
		rec_put_varint(b, e->s[i].len);
	}
	for (int i = 1; i < NTR_S_MAX; i++)
		rec_put_bytes(b, e->s[i].p, e->s[i].len);
	return b->oom ? -ENOMEM : 0;
}

int rec_enc_block(struct rec_enc *e, struct rec_zip *z, __u32 seq, struct rec_buf *raw,
		  struct rec_buf *out)
{
	struct ntr_block_info bi = { .kind = NTR_K_EVENTS,
				     .seq = seq,
				     .count = e->nevents,
				     .ts_min = e->ts_min,
				     .ts_max = e->ts_max };
	int err;

	out->len = 0;
	if (!e->nevents)
		return 0;
	err = payload(e, raw);
	if (!err)
		err = ntr_block_frame(out, z, &bi, raw->p, raw->len, true);
	reset(e);
	return err;
}
